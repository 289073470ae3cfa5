/**
 * Reads the inventory table back from NDJSON (docs/inventory-table.md), as `--format ndjson`
 * writes it or a warehouse exports it. Target rows carry each target's status and app count, so a
 * target whose app rows are missing (a filtered or truncated export) is partial, and app rows whose
 * target row is missing leave their target's completeness unknown (partial), never clean.
 */

import type {
  AppRecord,
  DeviceFacts,
  Diagnostic,
  ProfileInfo,
  PublisherEvidence,
  TargetResult,
} from '../../model.js';
import { PROFILE_KINDS, TARGET_KINDS, TARGET_STATUSES } from '../../model.js';
import {
  arr,
  isObject,
  type Json,
  type JsonObject,
  normaliseDigest,
  put,
  str,
  versionCode,
} from './common.js';
import { INVENTORY_TABLE_SCHEMA } from './table.js';

export const NDJSON_FORMAT = 'inventory-ndjson';

const SCHEMA_MAJOR = INVENTORY_TABLE_SCHEMA.split('/')[0]!;

export const looksLikeInventoryNdjson = (head: string): boolean => {
  const first = head
    .replace(/^\uFEFF/, '')
    .split('\n', 5)
    .find((l) => l.trim() !== '');
  if (first === undefined || !first.trimStart().startsWith('{')) return false;
  return new RegExp(`"schema"\\s*:\\s*"${SCHEMA_MAJOR.replace(/\./g, '\\.')}/\\d+"`).test(first);
};

const EVIDENCE: PublisherEvidence[] = ['none', 'sha1', 'sha256', 'team-id', 'mixed'];

const oneOf = <T extends string>(values: readonly T[], v: string | undefined): T | undefined =>
  v !== undefined && (values as readonly string[]).includes(v) ? (v as T) : undefined;

const num = (o: JsonObject, key: string): number | undefined => {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
};
const bool = (o: JsonObject, key: string): boolean | undefined => {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return typeof v === 'boolean' ? v : undefined;
};

const digestList = (o: JsonObject, key: string, bytes: 16 | 20 | 32): string[] | undefined => {
  const list = (arr(o, key) ?? [])
    .filter((v): v is string => typeof v === 'string')
    .map((v) => normaliseDigest(v, bytes))
    .filter((v): v is string => v !== undefined);
  return list.length > 0 ? list : undefined;
};

const deviceOf = (row: JsonObject): DeviceFacts | undefined => {
  const d: DeviceFacts = {};
  const platform = str(row, 'device_platform');
  if (platform === 'android' || platform === 'ios') d.platform = platform;
  put(d, 'serial', str(row, 'device_serial'));
  put(d, 'udid', str(row, 'device_udid'));
  put(d, 'name', str(row, 'device_name'));
  put(d, 'manufacturer', str(row, 'device_manufacturer'));
  put(d, 'model', str(row, 'device_model'));
  put(d, 'osVersion', str(row, 'device_os_version'));
  put(d, 'sdk', num(row, 'device_sdk'));
  put(d, 'fingerprint', str(row, 'device_fingerprint'));
  return Object.keys(d).length > 0 ? d : undefined;
};

const profilesOf = (row: JsonObject): ProfileInfo[] | undefined => {
  const list = arr(row, 'profiles');
  if (!list || list.length === 0) return undefined;
  return list.filter(isObject).flatMap((p) => {
    const user = num(p, 'user');
    if (user === undefined) return [];
    const profile: ProfileInfo = {
      user,
      kind: oneOf(PROFILE_KINDS, str(p, 'kind')) ?? 'unknown',
      scanned: bool(p, 'scanned') !== false,
    };
    put(profile, 'name', str(p, 'name'));
    put(profile, 'reason', str(p, 'reason'));
    return [profile];
  });
};

const appOf = (row: JsonObject, target: string, path: string): AppRecord | undefined => {
  const platform = str(row, 'platform');
  const id = str(row, 'package');
  if ((platform !== 'android' && platform !== 'ios') || id === undefined) return undefined;
  const app: AppRecord = {
    platform,
    id,
    publisher: {},
    origin: { target, parser: str(row, 'origin_parser') ?? NDJSON_FORMAT, path },
  };
  put(app.origin, 'line', num(row, 'origin_line'));
  put(app, 'name', str(row, 'name'));
  put(app, 'versionName', str(row, 'version_name'));
  put(app, 'versionCode', versionCode(str(row, 'version_code')));
  put(app, 'installer', str(row, 'installer'));
  put(app, 'system', bool(row, 'system'));
  put(app, 'enabled', bool(row, 'enabled'));
  put(app, 'user', num(row, 'user'));
  put(app.publisher, 'certSha256', digestList(row, 'cert_sha256', 32));
  put(app.publisher, 'certSha1', digestList(row, 'cert_sha1', 20));
  put(app.publisher, 'certMd5', digestList(row, 'cert_md5', 16));
  put(app.publisher, 'certLineage', digestList(row, 'cert_lineage', 32));
  put(app.publisher, 'teamId', str(row, 'team_id'));
  put(app.publisher, 'name', str(row, 'publisher_name'));
  return app;
};

interface Pending {
  target?: TargetResult;
  expected?: number;
  apps: AppRecord[];
  firstRow: JsonObject;
  badApps: number;
}

export const parseInventoryNdjson = (text: string, path: string): TargetResult[] | undefined => {
  const byId = new Map<string, Pending>();
  const order: Pending[] = [];
  const badLines: number[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let row: Json;
    try {
      row = JSON.parse(line) as Json;
    } catch {
      badLines.push(i + 1);
      continue;
    }
    const record = isObject(row) ? str(row, 'record') : undefined;
    // Inputs the scan that wrote the table did not read: about that scan, not apps of this one.
    if (record === 'skipped') continue;
    const id = isObject(row) ? str(row, 'target_id') : undefined;
    if (!isObject(row) || id === undefined || (record !== 'target' && record !== 'app')) {
      badLines.push(i + 1);
      continue;
    }
    let p = byId.get(id);
    // Two inputs may name the same device (one MDM exported twice): a second target row starts
    // a second target, as the scan that wrote the table had two.
    if (!p || (record === 'target' && p.target !== undefined)) {
      p = { apps: [], firstRow: row, badApps: 0 };
      byId.set(id, p);
      order.push(p);
    }
    if (record === 'target') {
      const target: TargetResult = {
        id,
        kind: oneOf(TARGET_KINDS, str(row, 'target_kind')) ?? 'inventory',
        status: oneOf(TARGET_STATUSES, str(row, 'target_status')) ?? 'partial',
        apps: [],
        diagnostics: [],
      };
      put(target, 'error', str(row, 'target_error'));
      put(target, 'format', str(row, 'source_format'));
      put(target, 'device', deviceOf(row));
      put(target, 'profiles', profilesOf(row));
      const evidence = oneOf(EVIDENCE, str(row, 'evidence_publisher'));
      if (evidence) target.evidence = { publisher: evidence };
      p.target = target;
      put(p, 'expected', num(row, 'app_count'));
      continue;
    }
    const app = appOf(row, id, path);
    if (app) p.apps.push(app);
    else p.badApps++;
  }
  if (order.length === 0) return undefined;
  const targets: TargetResult[] = [];
  for (const p of order) {
    const id = str(p.firstRow, 'target_id') ?? '';
    const diagnostics: Diagnostic[] = [{ level: 'info', message: `read from inventory table ${path}` }];
    const partial: string[] = [];
    let target = p.target;
    if (!target) {
      target = {
        id,
        kind: oneOf(TARGET_KINDS, str(p.firstRow, 'target_kind')) ?? 'inventory',
        status: 'partial',
        apps: [],
        diagnostics: [],
      };
      put(target, 'format', str(p.firstRow, 'source_format'));
      put(target, 'device', deviceOf(p.firstRow));
      partial.push('no target row for this target in the file: whether all its apps are here is unknown');
    } else if (p.expected !== undefined && p.expected !== p.apps.length + p.badApps) {
      partial.push(
        `the target row counts ${p.expected} app(s) but the file holds ${p.apps.length + p.badApps}`,
      );
    }
    if (p.badApps > 0) partial.push(`${p.badApps} app row(s) lack a platform or package and were skipped`);
    if (badLines.length > 0) {
      partial.push(
        `${badLines.length} line(s) of the file are not inventory rows (line ${badLines.slice(0, 5).join(', ')}${badLines.length > 5 ? ', …' : ''})`,
      );
    }
    target.apps = p.apps;
    target.diagnostics = diagnostics;
    if (partial.length > 0) {
      if (target.status === 'scanned') target.status = 'partial';
      target.error = [target.error, ...partial].filter((e) => e !== undefined).join('; ');
    }
    targets.push(target);
  }
  return targets;
};
