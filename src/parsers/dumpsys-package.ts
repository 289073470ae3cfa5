/**
 * `dumpsys package` (whole, `dumpsys package packages`, per package, or the `DUMP OF SERVICE
 * package:` part of a bugreport / androidqf dumpsys.txt), Android 10–14 layouts.
 *
 * Only the `Packages:` section is read: one `  Package [name] (hash):` block per package, with
 * `User N: … installed=…` sub-blocks. `Hidden system packages:` (factory copies of updated system
 * apps, not separate installs), resolver tables, Queries, Dexopt and other sections are skipped.
 * `signatures:[74831dfd]` is a 32-bit Java hash, never an identity: kept only as extra.signatureHash.
 *
 * Package blocks are read in every section but `Hidden system packages:`, so a stray line that
 * looks like a section title cannot hide the packages after it. A header not in the exact form
 * (a note, a tab, invisible characters, stray bytes) keeps its package with a warning when the
 * name between the brackets is a plausible package name; otherwise (no `]`, a garbled name or
 * keyword) the listing is partial, naming the line.
 */
import type { AppRecord } from '../model.js';
import { appKey, isoLocalTime, type LineScan, mergeInto } from './listing-context.js';
import { preview, stripInvisible, UNUSUAL_SPACE } from './text.js';

export const DUMPSYS_PACKAGE = 'dumpsys-package';

const PACKAGE_BLOCK = /^( *)Package \[([^\]]+)\] \(([0-9a-fA-F]+)\):\s*$/;
const USER_LINE = /^User (\d+):(.*)$/;
/** A package block header however mangled: `Package [` then the name, up to `]` if it is there. */
const LENIENT_BLOCK = /^(\s*)(.*?)Package\s*\[([^\]]*)(?:(\])(.*))?$/;
const PACKAGE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
/** A section title of the dump (`Packages:`, `Hidden system packages:`, `Dexopt state:`…). */
const SECTION_HEADER = /^[A-Z][A-Za-z0-9 ()/'_-]*:/;
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

/** The package name of a header that is not in the exact form, and what was odd; a string when none can be read. */
function lenientBlockName(m: RegExpExecArray, stripped: boolean): { id: string; notes: string[] } | string {
  const inside = m[3] ?? '';
  if (m[4] === undefined) return `no closing "]" after "${preview(inside, 60)}" (line cut short?)`;
  const id = inside.trim();
  if (!PACKAGE_NAME.test(id)) return `invalid package name "${preview(id, 60)}"`;
  const notes: string[] = [];
  if (stripped) notes.push('invisible characters (zero-width/BOM) removed');
  if (id !== inside) notes.push('spaces around the package name');
  if (UNUSUAL_SPACE.test(m[0])) notes.push('a tab or unusual space');
  if ((m[2] ?? '') !== '') notes.push(`unexpected text "${preview(m[2] ?? '', 20)}" before "Package"`);
  const rest = (m[5] ?? '').trim();
  if (!/^\([0-9a-fA-F]+\):$/.test(rest)) notes.push(`unexpected text "${preview(rest, 40)}" after the name`);
  return { id, notes };
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
    // Only `Hidden system packages:` holds package blocks that are not installs; every other
    // section is read, so a stray line that looks like a section header cannot hide the packages.
    let inPackages = true;
    /** Under the `Packages:` title, where every line at header depth is a package header. */
    let packagesTitle = false;
    let block: Block | undefined;
    let user: UserState | undefined;
    for (let i = start; i < end; i++) {
      const raw = scan.lines[i] ?? '';
      scan.claim(i);
      const cleaned = stripInvisible(raw);
      const line = cleaned.text;
      if (line.trim() === '') continue;
      const header = line.includes('ackage') ? PACKAGE_BLOCK.exec(line) : null;
      if (!/^\s/.test(line) && !LENIENT_BLOCK.test(line)) {
        const title = line.trimEnd();
        if (SECTION_HEADER.test(title)) {
          add(block);
          block = undefined;
          user = undefined;
          inPackages = !/^Hidden system packages:/.test(title);
          packagesTitle = /^Packages:/.test(title);
        }
        continue;
      }
      if (!inPackages) continue;
      if (header && !cleaned.stripped && PACKAGE_NAME.test(header[2] ?? '')) {
        add(block);
        user = undefined;
        block = { name: header[2] ?? '', line: i, indent: header[1]?.length ?? 0, users: [] };
        continue;
      }
      const lenient = LENIENT_BLOCK.exec(line);
      if (lenient) {
        add(block);
        block = undefined;
        user = undefined;
        const name = lenientBlockName(lenient, cleaned.stripped);
        if (typeof name === 'string') {
          scan.lose(i, `dumpsys package header: ${name}`);
          continue;
        }
        if (name.notes.length > 0) {
          scan.warn(i, `dumpsys package line ${i + 1}: ${name.id} kept despite ${name.notes.join(', ')}`);
        }
        block = { name: name.id, line: i, indent: lenient[1]?.length ?? 0, users: [] };
        continue;
      }
      const indent = line.length - line.trimStart().length;
      if (packagesTitle && indent <= (block?.indent ?? 2) && line.includes('[')) {
        // `  Pack?age [com.x] (…):` with its keyword garbled: a header whose app cannot be read.
        add(block);
        block = undefined;
        user = undefined;
        scan.lose(
          i,
          `dumpsys package line looks like a package header but is not one: "${preview(line.trim(), 60)}"`,
        );
        continue;
      }
      if (block === undefined) continue;
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
