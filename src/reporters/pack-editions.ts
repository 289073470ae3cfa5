import type { ScanResult } from '../model.js';
import { sanitizeText } from './sanitize.js';

/**
 * `ca-gov 2026.12.06, us-tx 2026.12.06`: the edition of each pack a scan applied, so a reader can
 * tell which version of a ban list a report used. Empty when the result does not say (older results).
 */
export const packEditionText = (result: ScanResult): string =>
  (result.rules.packs ?? [])
    .filter((p) => p.kind === 'pack')
    .map((p) => sanitizeText(p.version ? `${p.name} ${p.version}` : `${p.name} (unversioned)`))
    .join(', ');
