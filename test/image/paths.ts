import path from 'node:path';
import { hasShared, repoRoot, sharedPath } from '../shared.js';

export { repoRoot };
export const fixture = (...parts: string[]): string => path.join(repoRoot, 'fixtures', ...parts);

/** A file or folder of the shared reference corpus (undefined outside CI when it is absent). */
export const shared = (...parts: string[]): string | undefined =>
  hasShared(...parts) ? sharedPath(...parts) : undefined;
