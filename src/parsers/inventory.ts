/**
 * appwarden's own inventory JSON (written by `appwarden collect` and embedded in `--format json
 * --include-inventory` reports), so collected inventories can be rescanned later. The file is
 * untrusted input: every field is checked and anything off is dropped with a diagnostic.
 */

import type {
  AppRecord,
  DeviceFacts,
  Diagnostic,
  Platform,
  ProfileInfo,
  ProfileKind,
  Publisher,
  TargetKind,
  TargetResult,
  TargetStatus,
} from '../model.js';
import { PROFILE_KINDS, TARGET_KINDS, TARGET_STATUSES } from '../model.js';
import { ParseError } from './types.js';

export const INVENTORY_SCHEMA_VERSION = '1.0';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: Json | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const bool = (v: Json | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strList = (v: Json | undefined): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

const DIGEST = /^[0-9a-f]{64}$/;

/** Cheap content check: JSON object that names appwarden as its tool. */
export const looksLikeInventory = (text: string): boolean => {
  const head = text.slice(0, 4096).trimStart();
  return head.startsWith('{') && /"tool"\s*:\s*\{\s*"name"\s*:\s*"appwarden"/.test(head);
};

const assign = <T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void => {
  if (value !== undefined) target[key] = value;
};

const readPublisher = (v: Json | undefined): Publisher => {
  const out: Publisher = {};
  if (!isObj(v)) return out;
  const certs = strList(v.certSha256)?.map((c) => c.toLowerCase());
  if (certs) out.certSha256 = certs.filter((c) => DIGEST.test(c));
  const lineage = strList(v.certLineage)?.map((c) => c.toLowerCase());
  if (lineage) out.certLineage = lineage.filter((c) => DIGEST.test(c));
  const sha1 = strList(v.certSha1)?.map((c) => c.toLowerCase());
  if (sha1) out.certSha1 = sha1.filter((c) => /^[0-9a-f]{40}$/.test(c));
  const md5 = strList(v.certMd5)?.map((c) => c.toLowerCase());
  if (md5) out.certMd5 = md5.filter((c) => /^[0-9a-f]{32}$/.test(c));
  assign(out, 'certSubjects', strList(v.certSubjects));
  assign(out, 'teamId', str(v.teamId));
  assign(out, 'name', str(v.name));
  return out;
};

const readApp = (v: Json, target: string, path: string): AppRecord | undefined => {
  if (!isObj(v)) return undefined;
  const platform = str(v.platform);
  const id = str(v.id);
  if ((platform !== 'android' && platform !== 'ios') || !id) return undefined;
  const origin = isObj(v.origin) ? v.origin : {};
  const app: AppRecord = {
    platform: platform as Platform,
    id,
    publisher: readPublisher(v.publisher),
    origin: { target, parser: str(origin.parser) ?? 'inventory', path },
  };
  assign(app, 'name', str(v.name));
  assign(app, 'versionName', str(v.versionName));
  const code = v.versionCode;
  if (typeof code === 'number' || typeof code === 'string') app.versionCode = code;
  assign(app, 'installer', str(v.installer));
  assign(app, 'system', bool(v.system));
  assign(app, 'enabled', bool(v.enabled));
  assign(app, 'user', num(v.user));
  assign(app, 'firstInstallTime', str(v.firstInstallTime));
  assign(app, 'paths', strList(v.paths));
  assign(app, 'minSdk', num(v.minSdk));
  assign(app, 'targetSdk', num(v.targetSdk));
  assign(app, 'minOs', str(v.minOs));
  assign(app, 'signingSchemes', strList(v.signingSchemes));
  const sig = str(v.signature);
  if (sig === 'valid' || sig === 'invalid' || sig === 'unverified') app.signature = sig;
  return app;
};

const readDevice = (v: Json | undefined): DeviceFacts | undefined => {
  if (!isObj(v)) return undefined;
  const d: DeviceFacts = {};
  for (const key of [
    'serial',
    'udid',
    'name',
    'manufacturer',
    'model',
    'osVersion',
    'fingerprint',
    'state',
  ] as const) {
    assign(d, key, str(v[key]));
  }
  const platform = str(v.platform);
  if (platform === 'android' || platform === 'ios') d.platform = platform;
  assign(d, 'sdk', num(v.sdk));
  return d;
};

const readProfiles = (v: Json | undefined): ProfileInfo[] | undefined => {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isObj).flatMap((p) => {
    const user = num(p.user);
    if (user === undefined) return [];
    const kind = str(p.kind) as ProfileKind | undefined;
    const profile: ProfileInfo = {
      user,
      kind: kind && PROFILE_KINDS.includes(kind) ? kind : 'unknown',
      scanned: p.scanned !== false,
    };
    assign(profile, 'name', str(p.name));
    assign(profile, 'reason', str(p.reason));
    return [profile];
  });
};

/**
 * True for an appwarden JSON report that carries no app list for any target (one written without
 * the inventory): it is the output of an earlier scan, not a device's inventory.
 */
export const isReportWithoutInventory = (text: string): boolean => {
  if (!looksLikeInventory(text)) return false;
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return false;
  }
  return (
    isObj(doc) &&
    Array.isArray(doc.targets) &&
    Array.isArray(doc.findings) &&
    doc.targets.every((t) => !isObj(t) || !Array.isArray(t.apps))
  );
};

/** Parse an inventory or a JSON report with inventory into targets. `path` is the file it came from. */
export const parseInventory = (text: string, path: string): TargetResult[] => {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (error) {
    throw new ParseError(`not valid JSON: ${(error as Error).message}`);
  }
  if (!isObj(doc) || !isObj(doc.tool) || doc.tool.name !== 'appwarden' || !Array.isArray(doc.targets)) {
    throw new ParseError('not an appwarden inventory (expected tool.name "appwarden" and a targets list)');
  }
  const major = (str(doc.schemaVersion) ?? '').split('.')[0];
  if (major !== INVENTORY_SCHEMA_VERSION.split('.')[0]) {
    throw new ParseError(
      `unsupported schemaVersion "${str(doc.schemaVersion) ?? ''}" (this appwarden reads 1.x)`,
    );
  }
  const targets: TargetResult[] = [];
  for (const [i, raw] of doc.targets.entries()) {
    if (!isObj(raw)) continue;
    const id = str(raw.id) ?? `${path}#${i}`;
    const kind = str(raw.kind) as TargetKind | undefined;
    const status = str(raw.status) as TargetStatus | undefined;
    const diagnostics: Diagnostic[] = [{ level: 'info', message: `read from saved inventory ${path}` }];
    if (!Array.isArray(raw.apps)) {
      targets.push({
        id,
        kind: kind && TARGET_KINDS.includes(kind) ? kind : 'inventory',
        status: 'failed',
        error: `${path} holds no app list for this target (was the report written with --include-inventory?)`,
        apps: [],
        diagnostics,
      });
      continue;
    }
    const apps: AppRecord[] = [];
    let dropped = 0;
    for (const a of raw.apps) {
      const app = readApp(a, id, path);
      if (app) apps.push(app);
      else dropped++;
    }
    if (dropped > 0)
      diagnostics.push({
        level: 'warning',
        message: `${dropped} app entries were malformed and skipped`,
        path,
      });
    const target: TargetResult = {
      id,
      kind: kind && TARGET_KINDS.includes(kind) ? kind : 'inventory',
      status: status && TARGET_STATUSES.includes(status) ? status : 'scanned',
      apps,
      diagnostics,
    };
    if (dropped > 0 && target.status === 'scanned') target.status = 'partial';
    assign(target, 'error', str(raw.error));
    assign(target, 'format', str(raw.format));
    assign(target, 'device', readDevice(raw.device));
    assign(target, 'profiles', readProfiles(raw.profiles));
    targets.push(target);
  }
  return targets;
};
