/**
 * NDJSON inventory table (docs/inventory-table.md): a target row per target, then one row per app
 * with its target and device columns, then one `skipped` row per input deliberately not read, so a
 * warehouse can load the scan and `scan` can read it back.
 * Findings are not in it: they are what a scan of the table computes.
 */
import { countApps } from '../model.js';
import { appRow, INVENTORY_TABLE_SCHEMA, targetColumns, targetRow } from '../parsers/mdm/table.js';
import type { Reporter } from './types.js';

export const renderNdjson: Reporter = (result) => {
  const lines: string[] = [];
  for (const t of result.targets) {
    lines.push(JSON.stringify(targetRow(t, countApps(t))));
    const base = targetColumns(t, 'app');
    for (const a of t.apps) lines.push(JSON.stringify(appRow(base, t, a)));
  }
  // Inputs deliberately not read are rows too, so the table says everything the scan met.
  for (const x of result.skipped ?? []) {
    lines.push(
      JSON.stringify({
        record: 'skipped',
        schema: INVENTORY_TABLE_SCHEMA,
        path: x.path,
        skip_kind: x.kind,
        reason: x.reason,
      }),
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
};
