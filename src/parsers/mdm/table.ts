/**
 * The inventory table (docs/inventory-table.md): one row per app with its target and device
 * columns, plus one row per target so targets without apps (failed, partial, empty) survive.
 * `--format ndjson` writes it and `scan` reads it back; the column names are the contract.
 */
import type { AppRecord, TargetResult } from '../../model.js';

export const INVENTORY_TABLE_SCHEMA = 'appwarden.inventory/1';

/** Columns every row carries (target and device facts), in output order. */
export const TARGET_COLUMNS = [
  'record',
  'schema',
  'target_id',
  'target_kind',
  'target_status',
  'target_error',
  'source_format',
  'evidence_publisher',
  'device_platform',
  'device_serial',
  'device_udid',
  'device_name',
  'device_manufacturer',
  'device_model',
  'device_os_version',
  'device_sdk',
  'device_fingerprint',
] as const;

/** Columns only app rows fill (null on target rows). */
export const APP_COLUMNS = [
  'platform',
  'user',
  'profile_kind',
  'package',
  'name',
  'version_name',
  'version_code',
  'version_key',
  'installer',
  'system',
  'enabled',
  'cert_sha256',
  'cert_sha1',
  'cert_md5',
  'cert_lineage',
  'team_id',
  'publisher_name',
  'origin_parser',
  'origin_path',
  'origin_line',
] as const;

/** Columns only target rows fill. */
export const TARGET_ONLY_COLUMNS = ['app_count', 'profiles'] as const;

type TableValue = string | number | boolean | null | string[] | TableProfile[];
interface TableProfile {
  user: number;
  kind: string;
  name: string | null;
  scanned: boolean;
  reason: string | null;
}
export type TableRow = Record<string, TableValue>;

/** Width numeric components are padded to in `version_key`. */
const VERSION_KEY_WIDTH = 12;

/**
 * A string that sorts like the version: digit runs zero-padded to 12 places, other runs lowercased,
 * separators (`.`, `-`, `_`, `+`, spaces) dropped and components joined with `.`. So
 * `version_key >= versionKey('32.5')` is a version constraint in plain SQL, with no UDF.
 * Numbers sort before text in the same place (`1.0.0` < `1.0.beta`), and a longer version after
 * its prefix (`1.2` < `1.2.0`).
 */
export const versionKey = (version: string | number | undefined): string | null => {
  if (version === undefined) return null;
  const parts = String(version).match(/\d+|[^\d.\-_+\s]+/g);
  if (!parts) return null;
  return parts
    .map((p) =>
      /^\d/.test(p) ? p.replace(/^0+(?=\d)/, '').padStart(VERSION_KEY_WIDTH, '0') : p.toLowerCase(),
    )
    .join('.');
};

const nullable = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** The target and device columns of a target. */
export const targetColumns = (t: TargetResult, record: 'target' | 'app'): TableRow => ({
  record,
  schema: INVENTORY_TABLE_SCHEMA,
  target_id: t.id,
  target_kind: t.kind,
  target_status: t.status,
  target_error: nullable(t.error),
  source_format: nullable(t.format),
  evidence_publisher: nullable(t.evidence?.publisher),
  device_platform: nullable(t.device?.platform),
  device_serial: nullable(t.device?.serial),
  device_udid: nullable(t.device?.udid),
  device_name: nullable(t.device?.name),
  device_manufacturer: nullable(t.device?.manufacturer),
  device_model: nullable(t.device?.model),
  device_os_version: nullable(t.device?.osVersion),
  device_sdk: nullable(t.device?.sdk),
  device_fingerprint: nullable(t.device?.fingerprint),
});

export const targetRow = (t: TargetResult, appCount: number): TableRow => {
  const row = targetColumns(t, 'target');
  for (const c of APP_COLUMNS) row[c] = null;
  row.app_count = appCount;
  row.profiles = (t.profiles ?? []).map((p) => ({
    user: p.user,
    kind: p.kind,
    name: nullable(p.name),
    scanned: p.scanned,
    reason: nullable(p.reason),
  }));
  return row;
};

/** An app row: `base` is `targetColumns(target, 'app')`, computed once per target. */
export const appRow = (base: TableRow, t: TargetResult, a: AppRecord): TableRow => {
  const row: TableRow = { ...base };
  row.platform = a.platform;
  row.user = nullable(a.user);
  row.profile_kind = nullable(t.profiles?.find((p) => p.user === a.user)?.kind);
  row.package = a.id;
  row.name = nullable(a.name);
  row.version_name = nullable(a.versionName);
  row.version_code = a.versionCode === undefined ? null : String(a.versionCode);
  row.version_key = versionKey(a.versionName ?? a.versionCode);
  row.installer = nullable(a.installer);
  row.system = nullable(a.system);
  row.enabled = nullable(a.enabled);
  row.cert_sha256 = a.publisher.certSha256 ?? [];
  row.cert_sha1 = a.publisher.certSha1 ?? [];
  row.cert_md5 = a.publisher.certMd5 ?? [];
  row.cert_lineage = a.publisher.certLineage ?? [];
  row.team_id = nullable(a.publisher.teamId);
  row.publisher_name = nullable(a.publisher.name);
  row.origin_parser = a.origin.parser;
  row.origin_path = nullable(a.origin.path);
  row.origin_line = nullable(a.origin.line);
  for (const c of TARGET_ONLY_COLUMNS) row[c] = null;
  return row;
};
