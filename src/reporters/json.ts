/**
 * The public JSON document, versioned (`schemaVersion`) and documented in docs/json-schema.md. Only
 * targets are reshaped here (an `appCount`, apps only with `includeInventory`); summary, findings,
 * notes, waivers and skipped inputs are the internal ScanResult shapes as they are, so what pins the
 * public shape is schema/report.schema.json and the JSON golden test, not a mapping layer. With
 * `includeInventory`, each target carries its apps and the file can be rescanned later.
 */
import { type AppRecord, countApps, type ScanResult, type TargetResult } from '../model.js';
import { INVENTORY_SCHEMA_VERSION } from '../parsers/inventory.js';
import type { Reporter } from './types.js';

const JSON_SCHEMA_VERSION = INVENTORY_SCHEMA_VERSION;

const EXIT_DESCRIPTIONS: Record<number, string> = {
  0: 'pass: no failing findings and every target was scanned',
  1: 'fail: unwaived findings at or above the fail threshold',
  2: 'usage, rule or configuration error',
  3: 'incomplete: a target could not be read, was read only in part, or held no apps',
};

/** JSON has no undefined; dropping absent keys keeps the output compact and stable. */
const clean = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const target = (t: TargetResult, includeInventory: boolean) => ({
  id: t.id,
  kind: t.kind,
  status: t.status,
  error: t.error,
  format: t.format,
  device: t.device,
  profiles: t.profiles,
  appCount: countApps(t),
  diagnostics: t.diagnostics.length > 0 ? t.diagnostics : undefined,
  apps: includeInventory ? t.apps.map(app) : undefined,
});

const app = (a: AppRecord) => a;

/**
 * The document before `clean`: JSON.stringify already drops undefined keys and serialises the rest
 * exactly as it would serialise the cleaned copy (parsing JSON back and stringifying it again gives
 * the same text), so the reporters stringify this directly instead of holding the report twice.
 */
const buildDocument = (
  result: ScanResult,
  version: string,
  includeInventory: boolean,
  settingsFile?: string,
) => ({
  schemaVersion: JSON_SCHEMA_VERSION,
  tool: { name: 'appwarden', version },
  startedAt: result.startedAt,
  result: result.result,
  exitCode: result.exitCode,
  exitCodeDescription: EXIT_DESCRIPTIONS[result.exitCode],
  failOn: result.failOn,
  rules: result.rules,
  settings: settingsFile === undefined ? undefined : { file: settingsFile },
  summary: result.summary,
  targets: result.targets.map((t) => target(t, includeInventory)),
  skipped: result.skipped,
  findings: result.findings,
  notes: result.notes,
  waivers: result.waivers,
  baseline: result.baseline,
});

export const toJsonDocument = (
  result: ScanResult,
  version: string,
  includeInventory: boolean,
  settingsFile?: string,
) => clean(buildDocument(result, version, includeInventory, settingsFile));

/**
 * JSON.stringify leaves DEL, C1 controls (U+009B is a terminal CSI), bidi overrides and U+2028/2029
 * raw; a report printed in a terminal or CI log must not act on them. They only occur inside
 * strings, so escaping them in the serialised text is exact.
 */
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
export const escapeUnsafe = (json: string): string =>
  json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const stringify = (value: unknown, replacer: null, space: number): string =>
  escapeUnsafe(JSON.stringify(value, replacer, space));

export const renderJson: Reporter = (result, ctx) =>
  `${stringify(buildDocument(result, ctx.version, ctx.includeInventory, ctx.settingsFile), null, 2)}\n`;

export const exitCodeDescription = (code: number): string => EXIT_DESCRIPTIONS[code] ?? 'unknown';

/** `appwarden collect` output: the same shape without findings, always with the apps. */
export const renderInventory = (targets: TargetResult[], version: string, collectedAt: Date): string =>
  `${stringify(
    {
      schemaVersion: JSON_SCHEMA_VERSION,
      tool: { name: 'appwarden', version },
      kind: 'inventory',
      collectedAt: collectedAt.toISOString(),
      targets: targets.map((t) => target(t, true)),
    },
    null,
    2,
  )}\n`;
