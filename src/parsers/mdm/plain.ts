/**
 * The lowest common denominator of every MDM export: ids, one per line, or a CSV whose header names
 * an id column. Both are inventories (what is installed), never rule lists.
 *
 * Plain list: one package name / bundle id per line; `#` starts a comment (whole line or after the
 * id), blank lines are ignored; a line that is not a plausible id makes the target partial and is
 * named by its line number. Such a list says nothing of the platform: ids are read as Android
 * packages (every shipped rule matches by id on either platform), and the target says so.
 *
 * CSV: header cells matched case-insensitively, ignoring spaces, `_` and `-` (docs/mdm.md):
 *   id:        package, package_name, packageName, package_id, bundle_id, bundle_identifier,
 *              identifier, app_id, application_id, id
 *   optional:  device (device, device_id, device_name, serial, udid, host, hostname),
 *              platform, version (version, version_name, short_version), version_code,
 *              name (name, app_name, label), installer, system, user,
 *              cert_sha256, cert_sha1, cert_md5 (several digests separated by `|` or spaces),
 *              team_id, publisher
 * One target per distinct device value; without a device column, one target for the file.
 */
import type { AppRecord, DeviceFacts, Diagnostic, Platform, TargetResult } from '../../model.js';
import { preview } from '../text.js';
import {
  buildTarget,
  csvDelimiter,
  firstLine,
  headerKey,
  isPlausibleId,
  normaliseDigest,
  parseCsv,
  platformOf,
  put,
  versionCode,
} from './common.js';

export const PLAIN_LIST_FORMAT = 'plain-list';
export const ID_CSV_FORMAT = 'id-csv';

const stripComment = (line: string): string => line.replace(/(?:^|\s)#.*$/, '').trim();

/** A list whose first id lines are (nearly) all plausible ids. */
export const looksLikePlainList = (head: string): boolean => {
  const lines = head
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .slice(0, 200);
  // The head may end mid-line: leave the last, possibly cut, line out.
  if (lines.length > 1) lines.pop();
  const candidates = lines.map(stripComment).filter((l) => l !== '');
  if (candidates.length === 0) return false;
  const sample = candidates.slice(0, 20);
  if (!isPlausibleId(sample[0]!)) return false;
  const good = sample.filter(isPlausibleId).length;
  return good / sample.length >= 0.8;
};

export const parsePlainList = (text: string, path: string, id: string): TargetResult => {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const apps: AppRecord[] = [];
  const seen = new Set<string>();
  const bad: number[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, raw] of lines.entries()) {
    const value = stripComment(raw);
    if (value === '') continue;
    if (!isPlausibleId(value)) {
      bad.push(i + 1);
      diagnostics.push({
        level: 'warning',
        message: `line ${i + 1} is not a package or bundle id: "${preview(value)}"`,
        path,
        line: i + 1,
      });
      continue;
    }
    if (seen.has(value)) continue;
    seen.add(value);
    apps.push({
      platform: 'android',
      id: value,
      publisher: {},
      origin: { target: id, parser: PLAIN_LIST_FORMAT, path, line: i + 1 },
    });
  }
  diagnostics.push({
    level: 'info',
    message: 'a plain id list does not say the platform: ids are checked as Android packages',
    path,
  });
  const partial =
    bad.length > 0
      ? [
          `${bad.length} line(s) are not package or bundle ids (line ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''})`,
        ]
      : [];
  return buildTarget({
    id,
    format: PLAIN_LIST_FORMAT,
    apps,
    diagnostics,
    partial,
    sourceCarriesCerts: false,
  });
};

const COLUMNS = {
  id: [
    'package',
    'packagename',
    'packageid',
    'bundleid',
    'bundleidentifier',
    'identifier',
    'appid',
    'applicationid',
    'id',
  ],
  device: ['device', 'deviceid', 'devicename', 'serial', 'serialnumber', 'udid', 'host', 'hostname'],
  platform: ['platform', 'os'],
  version: ['version', 'versionname', 'shortversion'],
  versionCode: ['versioncode', 'build'],
  name: ['name', 'appname', 'label'],
  installer: ['installer', 'installerpackagename'],
  system: ['system'],
  user: ['user', 'userid'],
  sha256: ['certsha256', 'sha256'],
  sha1: ['certsha1', 'sha1'],
  md5: ['certmd5', 'md5'],
  teamId: ['teamid'],
  publisher: ['publisher', 'publishername', 'developer'],
} as const;

type Column = keyof typeof COLUMNS;

const columnsOf = (keys: string[]): Record<Column, number> => {
  const out = {} as Record<Column, number>;
  for (const [name, aliases] of Object.entries(COLUMNS) as Array<[Column, readonly string[]]>) {
    out[name] = aliases.map((a) => keys.indexOf(a)).find((i) => i !== -1) ?? -1;
  }
  return out;
};

/**
 * appwarden's own CSV report (`row_type`) and rule block lists (`rule` + `severity`) name an id
 * column too, but list findings or banned apps, not what is installed: never read as inventories.
 */
const isNotInventory = (keys: string[]): boolean =>
  keys.includes('rowtype') || (keys.includes('rule') && keys.includes('severity'));

export const looksLikeIdCsv = (head: string): boolean => {
  const line = firstLine(head);
  const delimiter = csvDelimiter(line);
  if (!line.includes(delimiter) && !COLUMNS.id.includes(headerKey(line) as 'id')) return false;
  const keys = line.split(delimiter).map((c) => headerKey(c.replace(/^"|"$/g, '')));
  return !isNotInventory(keys) && columnsOf(keys).id !== -1;
};

const digests = (value: string | undefined, bytes: 16 | 20 | 32): string[] | undefined => {
  if (value === undefined) return undefined;
  const out = value
    .split(/[|\s;]+/)
    .filter((v) => v !== '')
    .map((v) => normaliseDigest(v, bytes));
  return out.every((v) => v !== undefined) ? (out as string[]) : undefined;
};

interface Bucket {
  apps: AppRecord[];
  device: DeviceFacts;
  bad: number[];
  diagnostics: Diagnostic[];
}

export const parseIdCsv = (text: string, path: string): TargetResult[] | undefined => {
  const body = text.replace(/^\uFEFF/, '');
  const rows = parseCsv(body, csvDelimiter(firstLine(body)));
  const header = rows.shift();
  if (!header) return undefined;
  const keys = header.cells.map(headerKey);
  if (isNotInventory(keys)) return undefined;
  const c = columnsOf(keys);
  if (c.id === -1) return undefined;
  const buckets = new Map<string, Bucket>();
  const cell = (cells: string[], i: number): string | undefined => {
    const v = i === -1 ? undefined : cells[i]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  for (const row of rows) {
    const device = cell(row.cells, c.device);
    const targetId = device === undefined ? path : device;
    let b = buckets.get(targetId);
    if (!b) {
      b = { apps: [], device: {}, bad: [], diagnostics: [] };
      if (device !== undefined) b.device.name = device;
      buckets.set(targetId, b);
    }
    const id = cell(row.cells, c.id);
    if (id === undefined || !isPlausibleId(id)) {
      b.bad.push(row.line);
      b.diagnostics.push({
        level: 'warning',
        message: `line ${row.line}: "${preview(id ?? '')}" is not a package or bundle id`,
        path,
        line: row.line,
      });
      continue;
    }
    const platformCell = cell(row.cells, c.platform);
    const platform: Platform = platformOf(platformCell) ?? 'android';
    if (platformCell !== undefined && platformOf(platformCell) === undefined) {
      b.diagnostics.push({
        level: 'info',
        message: `line ${row.line}: platform "${preview(platformCell)}" is not Android or iOS; skipped`,
        path,
        line: row.line,
      });
      continue;
    }
    b.device.platform ??= platform;
    const app: AppRecord = {
      platform,
      id,
      publisher: {},
      origin: { target: targetId, parser: ID_CSV_FORMAT, path, line: row.line },
    };
    put(app, 'name', cell(row.cells, c.name));
    put(app, 'versionName', cell(row.cells, c.version));
    put(app, 'versionCode', versionCode(cell(row.cells, c.versionCode)));
    put(app, 'installer', cell(row.cells, c.installer));
    const system = cell(row.cells, c.system)?.toLowerCase();
    if (system === 'true' || system === '1' || system === 'yes') app.system = true;
    else if (system === 'false' || system === '0' || system === 'no') app.system = false;
    const user = cell(row.cells, c.user);
    if (user !== undefined && /^\d{1,9}$/.test(user)) app.user = Number(user);
    const certs: Array<[Column, 16 | 20 | 32, 'certSha256' | 'certSha1' | 'certMd5']> = [
      ['sha256', 32, 'certSha256'],
      ['sha1', 20, 'certSha1'],
      ['md5', 16, 'certMd5'],
    ];
    for (const [column, bytes, field] of certs) {
      const raw = cell(row.cells, c[column]);
      const list = digests(raw, bytes);
      if (list && list.length > 0) app.publisher[field] = list;
      else if (raw !== undefined) {
        b.bad.push(row.line);
        b.diagnostics.push({
          level: 'warning',
          message: `line ${row.line}: ${column} "${preview(raw)}" is not a certificate digest`,
          path,
          line: row.line,
        });
      }
    }
    put(app.publisher, 'teamId', cell(row.cells, c.teamId));
    put(app.publisher, 'name', cell(row.cells, c.publisher));
    b.apps.push(app);
  }
  const sourceCarriesCerts = c.sha256 !== -1 || c.sha1 !== -1 || c.md5 !== -1 || c.teamId !== -1;
  if (buckets.size === 0) buckets.set(path, { apps: [], device: {}, bad: [], diagnostics: [] });
  return [...buckets.entries()].map(([id, b]) => {
    if (c.platform === -1) {
      b.diagnostics.push({
        level: 'info',
        message: 'no platform column: ids are checked as Android packages',
        path,
      });
    }
    const lines = [...new Set(b.bad)];
    return buildTarget({
      id,
      format: ID_CSV_FORMAT,
      apps: b.apps.map((a) => ({ ...a, origin: { ...a.origin, target: id } })),
      device: b.device,
      diagnostics: b.diagnostics,
      partial:
        lines.length > 0
          ? [
              `${lines.length} row(s) could not be read (line ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''})`,
            ]
          : [],
      sourceCarriesCerts,
    });
  });
};
