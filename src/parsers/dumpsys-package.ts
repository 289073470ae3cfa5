/**
 * `dumpsys package` (whole, `dumpsys package packages`, per package, or the `DUMP OF SERVICE
 * package:` part of a bugreport / androidqf dumpsys.txt), Android 10–14 layouts.
 *
 * Only the `Packages:` section is read: one `  Package [name] (hash):` block per package, with
 * `User N: … installed=…` sub-blocks. `Hidden system packages:` (factory copies of updated system
 * apps, not separate installs), resolver tables, Queries, Dexopt and other sections are skipped.
 * `signatures:[74831dfd]` is a 32-bit Java hash, never an identity: kept only as extra.signatureHash.
 */
import type { AppRecord } from '../model.js';
import { appKey, isoLocalTime, type LineScan, mergeInto } from './listing-context.js';

export const DUMPSYS_PACKAGE = 'dumpsys-package';

const PACKAGE_BLOCK = /^( *)Package \[([^\]]+)\] \(([0-9a-fA-F]+)\):\s*$/;
const USER_LINE = /^User (\d+):(.*)$/;
const SERVICE_START = 'DUMP OF SERVICE ';
const PACKAGE_SERVICE = /^DUMP OF SERVICE package:\s*$/;
/** Bugreport separators: `--------- 2.9s was the duration of dumpsys package…`, `------ SECTION ------`. */
const BUGREPORT_SEPARATOR = /^-{6,}(?: |$)/;

export interface DumpsysRanges {
  /** [start, end) line ranges holding package-service output. */
  ranges: Array<[number, number]>;
  /** True when the text is a multi-service dump (bugreport, androidqf dumpsys.txt). */
  multiService: boolean;
  /** [start, end) ranges of the other services' output: nothing in them is a listing. */
  otherServices: Array<[number, number]>;
}

/** Find where package-service output lives: inside `DUMP OF SERVICE package:` sections, or the whole text. */
export function findDumpsysRanges(lines: readonly string[]): DumpsysRanges {
  const ranges: Array<[number, number]> = [];
  const otherServices: Array<[number, number]> = [];
  let multiService = false;
  let start: number | undefined;
  let other: number | undefined;
  let anyBlock = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith(SERVICE_START)) {
      multiService = true;
      if (start !== undefined) ranges.push([start, i]);
      if (other !== undefined) otherServices.push([other, i]);
      start = PACKAGE_SERVICE.test(line) ? i + 1 : undefined;
      other = start === undefined ? i : undefined;
    } else if ((start !== undefined || other !== undefined) && BUGREPORT_SEPARATOR.test(line)) {
      if (start !== undefined) ranges.push([start, i]);
      if (other !== undefined) otherServices.push([other, i + 1]);
      start = undefined;
      other = undefined;
    } else if (!anyBlock && line.includes('Package [') && PACKAGE_BLOCK.test(line)) {
      anyBlock = true;
    }
  }
  if (start !== undefined) ranges.push([start, lines.length]);
  if (other !== undefined) otherServices.push([other, lines.length]);
  if (!multiService && anyBlock) ranges.push([0, lines.length]);
  return { ranges, multiService, otherServices };
}

interface UserState {
  user: number;
  installed?: boolean;
  enabled?: number;
  hidden?: boolean;
  suspended?: boolean;
  firstInstallTime?: string;
}

interface Block {
  name: string;
  line: number;
  indent: number;
  appId?: number;
  versionCode?: number | string;
  minSdk?: number;
  targetSdk?: number;
  versionName?: string;
  codePath?: string;
  firstInstallTime?: string;
  installer?: string;
  pkgFlags?: string[];
  flags?: string[];
  signatureHashes?: string[];
  users: UserState[];
}

const flagList = (value: string): string[] =>
  value
    .replace(/^\[|\]$/g, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);

const keyValues = (text: string): Map<string, string> => {
  const map = new Map<string, string>();
  for (const m of text.matchAll(/(\w+)=(\S*)/g)) {
    if (m[1] !== undefined) map.set(m[1], m[2] ?? '');
  }
  return map;
};

function readPackageLine(block: Block, text: string, scan: LineScan, index: number): void {
  const eq = text.indexOf('=');
  if (eq <= 0) return;
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  switch (key) {
    case 'userId':
    case 'appId':
      if (/^\d+$/.test(value)) block.appId = Number(value);
      return;
    case 'versionCode': {
      const kv = keyValues(text);
      const code = kv.get('versionCode') ?? '';
      if (/^-?\d+$/.test(code)) {
        const n = Number(code);
        block.versionCode = Number.isSafeInteger(n) ? n : code;
      } else {
        scan.warn(index, `dumpsys package ${block.name}: invalid versionCode "${code.slice(0, 40)}"`);
      }
      const min = kv.get('minSdk');
      const target = kv.get('targetSdk');
      if (min && /^\d+$/.test(min)) block.minSdk = Number(min);
      if (target && /^\d+$/.test(target)) block.targetSdk = Number(target);
      return;
    }
    case 'versionName':
      if (value !== '' && value !== 'null') block.versionName = value;
      return;
    case 'codePath':
      if (value !== '') block.codePath = value;
      return;
    case 'firstInstallTime':
      block.firstInstallTime = value;
      return;
    case 'installerPackageName':
      if (value !== '' && value !== 'null') block.installer = value;
      return;
    case 'pkgFlags':
      block.pkgFlags = flagList(value);
      return;
    case 'flags':
      block.flags = flagList(value);
      return;
    case 'signatures': {
      const m = /signatures:\[([^\]]*)\]/.exec(value);
      if (m?.[1] !== undefined) {
        block.signatureHashes = m[1]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      }
      return;
    }
    default:
      return;
  }
}

function toRecords(block: Block, scan: LineScan): AppRecord[] {
  const base: AppRecord = {
    platform: 'android',
    id: block.name,
    publisher: {},
    origin: scan.origin(DUMPSYS_PACKAGE, block.line),
  };
  if (block.versionName !== undefined) base.versionName = block.versionName;
  if (block.versionCode !== undefined) base.versionCode = block.versionCode;
  if (block.installer !== undefined) base.installer = block.installer;
  const flags = block.pkgFlags ?? block.flags;
  if (flags !== undefined) base.system = flags.includes('SYSTEM');
  if (block.codePath !== undefined) base.paths = [block.codePath];
  if (block.minSdk !== undefined) base.minSdk = block.minSdk;
  if (block.targetSdk !== undefined) base.targetSdk = block.targetSdk;
  const extra: Record<string, string | number | boolean> = {};
  if (block.appId !== undefined) extra.appId = block.appId;
  if (block.signatureHashes?.length) extra.signatureHash = block.signatureHashes.join(',');
  if (Object.keys(extra).length > 0) base.extra = extra;
  const packageTime = block.firstInstallTime === undefined ? undefined : isoLocalTime(block.firstInstallTime);

  if (block.users.length === 0) {
    if (packageTime !== undefined) base.firstInstallTime = packageTime;
    return [base];
  }
  const records: AppRecord[] = [];
  for (const u of block.users) {
    if (u.installed === false) continue;
    const record: AppRecord = { ...base, user: u.user };
    if (base.extra) record.extra = { ...base.extra };
    if (u.enabled !== undefined) record.enabled = u.enabled <= 1;
    const time = u.firstInstallTime === undefined ? packageTime : isoLocalTime(u.firstInstallTime);
    if (time !== undefined) record.firstInstallTime = time;
    if (u.hidden) record.extra = { ...record.extra, hidden: true };
    if (u.suspended) record.extra = { ...record.extra, suspended: true };
    records.push(record);
  }
  if (records.length === 0) {
    scan.info(block.line, `${block.name} is known to the package manager but installed for no user: skipped`);
  }
  return records;
}

/** Read every package block in the given ranges; the ranges' lines are claimed. */
export function parseDumpsysPackageLines(
  scan: LineScan,
  ranges: ReadonlyArray<[number, number]>,
): AppRecord[] {
  const byKey = new Map<string, AppRecord>();
  const add = (block: Block | undefined): void => {
    if (block === undefined) return;
    for (const app of toRecords(block, scan)) {
      const seen = byKey.get(appKey(app));
      if (seen) mergeInto(seen, app);
      else byKey.set(appKey(app), app);
    }
  };

  for (const [start, end] of ranges) {
    let hasHeader = false;
    for (let i = start; i < end; i++) {
      if (scan.lines[i] === 'Packages:' || scan.lines[i]?.trimEnd() === 'Packages:') {
        hasHeader = true;
        break;
      }
    }
    let inPackages = !hasHeader;
    let block: Block | undefined;
    let user: UserState | undefined;
    for (let i = start; i < end; i++) {
      const line = scan.lines[i] ?? '';
      scan.claim(i);
      if (line.trim() === '') continue;
      if (!/^\s/.test(line)) {
        add(block);
        block = undefined;
        user = undefined;
        const header = line.trimEnd();
        if (header === 'Packages:') inPackages = true;
        else if (hasHeader || /^Hidden system packages:/.test(header)) inPackages = false;
        continue;
      }
      if (!inPackages) continue;
      const start = PACKAGE_BLOCK.exec(line);
      if (start) {
        add(block);
        user = undefined;
        block = { name: start[2] ?? '', line: i, indent: start[1]?.length ?? 0, users: [] };
        continue;
      }
      if (block === undefined) continue;
      const indent = line.length - line.trimStart().length;
      if (indent <= block.indent) {
        add(block);
        block = undefined;
        user = undefined;
        continue;
      }
      const text = line.trim();
      if (indent === block.indent + 2) {
        const u = USER_LINE.exec(text);
        if (u?.[1] !== undefined) {
          const kv = keyValues(u[2] ?? '');
          user = { user: Number(u[1]) };
          const installed = kv.get('installed');
          if (installed !== undefined) user.installed = installed === 'true';
          const enabled = kv.get('enabled');
          if (enabled !== undefined && /^\d+$/.test(enabled)) user.enabled = Number(enabled);
          if (kv.get('hidden') === 'true') user.hidden = true;
          if (kv.get('suspended') === 'true') user.suspended = true;
          block.users.push(user);
          continue;
        }
        user = undefined;
        readPackageLine(block, text, scan, i);
        continue;
      }
      if (user !== undefined && indent === block.indent + 4 && text.startsWith('firstInstallTime=')) {
        user.firstInstallTime = text.slice('firstInstallTime='.length);
      }
    }
    add(block);
  }
  return [...byKey.values()];
}
