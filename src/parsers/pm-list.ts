/**
 * `pm list packages` / `cmd package list packages` output, with any flags, possibly several
 * runs saved into one file. Line grammar (AOSP PackageManagerShellCommand.runListPackages):
 *
 *   package:[<sourceDir>=]<pkg>[ versionCode:<long>][  installer=<pkg|null>][ uid:<uid>[,<uid>…]]
 *
 * A line naming the command (`$ adb shell pm list packages -f --user 10`, `# user 10`) starts a
 * section whose flags and user apply to the lines below it. What the flags let us conclude:
 *  - `-d` → disabled, `-e` → enabled, `-s` → system, `-3` → not system; an APK path on a
 *    read-only partition (/system, /product, /vendor, /system_ext, /apex, /odm…) → system.
 *  - `-u` also lists packages NOT installed for the user (data kept, or installed for another
 *    user only). One line cannot say which. When the same file holds a listing without `-u`
 *    for that user (and the same filters), a package found only in the `-u` listing is dropped as
 *    not installed. Otherwise it is kept, marked `extra.maybeUninstalled`, with a warning.
 *  - user: from the uid (uid = user × 100000 + appId; merged Android 13+ lines give one record
 *    per uid), else the section's `--user N`, else 0 when no user was asked for. With
 *    `--user all|current` and no uid the user is unknown and left unset.
 * Samsung's `SecurityException: Shell does not have permission to access user N` (and its stack
 * trace) is skipped; user N is reported as a profile that could not be scanned.
 */
import type { AppRecord, ProfileInfo } from '../model.js';
import { appKey, type LineScan, mergeInto, PER_USER_RANGE } from './listing-context.js';

export const PM_LIST = 'pm-list';

const PACKAGE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
/** The optional fields, in the order pm prints them (two spaces before `installer=`). */
const FIELD_START = / versionCode:| {1,2}installer=| uid:/;
const FIELDS = /^(?: versionCode:(\S*))?(?: {1,2}installer=(\S*))?(?: uid:(\S*))?\s*$/;
const SYSTEM_PARTITIONS = /^\/(system|system_ext|product|vendor|odm|oem|apex|india|preload|my_[a-z]+)\//;
const COMMAND = /\b(?:pm|cmd package) list packages\b/;
const USER_HEADER = /^\s*(?:(?:#+|=+|-+|\*+)\s*user\s+(-?\d+)\b.*|user\s+(-?\d+)\s*:?)\s*$/i;
const EXCEPTION_START = /^Exception occurred while executing '([^']*)':/;
const SECURITY_EXCEPTION = /SecurityException: .*?access user (-?\d+)/;
const STACK_LINE =
  /^\s+(?:at\s+\S|\.\.\. \d+ more|[\w$.]+\.[\w$<>]+:\d+|[\w$.]+\.[\w$<>]+\([\w$.]*(?::\d+)?\))/;
const JAVA_EXCEPTION = /^(?:Caused by: )?(?:[a-z]\w*\.)+\w*(?:Exception|Error)\b/;

export type UserSpec = number | 'all' | 'current';

export interface PmListSection {
  /** 0-based line of the header, undefined for lines before any header. */
  header?: number;
  flags: Set<string>;
  user?: UserSpec;
  /** FILTER argument, or `| grep x`: the section is a subset of the packages. */
  filtered: boolean;
}

export interface PmListResult {
  apps: AppRecord[];
  /** Users pm refused to list. */
  inaccessible: ProfileInfo[];
  /** Users the listing covered: numbers, or 'all' when one section covered every user. */
  coveredUsers: Set<number>;
  coversAllUsers: boolean;
  partial?: string;
  /** `usage:` text seen (the flags were unknown to that Android version). */
  usage: boolean;
  found: boolean;
}

/** Parse the flags of a `pm list packages …` command line. */
export function parseCommandLine(line: string): Omit<PmListSection, 'header'> | undefined {
  const m = COMMAND.exec(line);
  if (!m) return undefined;
  const rest = line.slice(m.index + m[0].length);
  const [args = '', ...piped] = rest.split('|');
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  const flags = new Set<string>();
  let user: UserSpec | undefined;
  let filtered = piped.length > 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    if (t === '--user') {
      const v = tokens[++i] ?? '';
      user = v === 'all' || v === 'current' ? v : /^-?\d+$/.test(v) ? Number(v) : user;
    } else if (t.startsWith('--')) {
      flags.add(t);
    } else if (t.startsWith('-') && t.length > 1) {
      for (const c of t.slice(1)) flags.add(`-${c}`);
    } else if (t !== '' && !t.startsWith('>') && !t.startsWith('2>')) {
      filtered = true;
    }
  }
  return { flags, ...(user === undefined ? {} : { user }), filtered };
}

interface PackageLine {
  path?: string;
  id: string;
  versionCode?: number | string;
  installer?: string;
  uids: number[];
}

/** Parse the text after `package:`; a string is the reason it could not be parsed. */
export function parsePackageLine(body: string): PackageLine | string {
  const headEnd = body.search(FIELD_START);
  const head = (headEnd === -1 ? body : body.slice(0, headEnd)).trim();
  const eq = head.lastIndexOf('=');
  const path = eq >= 0 ? head.slice(0, eq) : undefined;
  const id = eq >= 0 ? head.slice(eq + 1) : head;
  if (id === '' && path === undefined) return 'empty package name';
  if (id === '' || id.includes('/')) return 'APK path without a package name (truncated line?)';
  if (!PACKAGE_NAME.test(id)) return `invalid package name "${id.slice(0, 80)}"`;
  const parsed: PackageLine = { id, uids: [] };
  if (path !== undefined) parsed.path = path;
  if (headEnd === -1) return parsed;
  const fields = FIELDS.exec(body.slice(headEnd));
  if (fields === null) return `unexpected text "${body.slice(headEnd).trim().slice(0, 40)}"`;
  const [, version, installer, uid] = fields;
  if (version !== undefined) {
    if (!/^-?\d+$/.test(version)) return `invalid versionCode "${version.slice(0, 40)}"`;
    const n = Number(version);
    parsed.versionCode = Number.isSafeInteger(n) ? n : version;
  }
  if (installer !== undefined && installer !== 'null' && installer !== '') parsed.installer = installer;
  if (uid !== undefined) {
    if (!/^\d+(,\d+)*$/.test(uid)) return `invalid uid list "${uid.slice(0, 40)}"`;
    parsed.uids = uid.split(',').map(Number);
  }
  return parsed;
}

interface Collected {
  app: AppRecord;
  section: PmListSection;
}

export function parsePmListLines(scan: LineScan): PmListResult {
  const result: PmListResult = {
    apps: [],
    inaccessible: [],
    coveredUsers: new Set(),
    coversAllUsers: false,
    usage: false,
    found: false,
  };
  const sections: PmListSection[] = [];
  let section: PmListSection = { flags: new Set(), filtered: false };
  let sectionUsed = false;
  let inException = false;
  let inUsage = false;
  let unknownUserNoted = false;
  const collected: Collected[] = [];
  const partial: string[] = [];

  const openSection = (next: PmListSection): void => {
    section = next;
    sectionUsed = false;
    sections.push(next);
  };

  scan.lines.forEach((raw, i) => {
    if (scan.isClaimed(i)) return;
    const line = raw.trimEnd();
    if (line.startsWith('package:')) {
      inException = false;
      scan.claim(i);
      result.found = true;
      if (!sectionUsed && !sections.includes(section)) sections.push(section);
      sectionUsed = true;
      const parsed = parsePackageLine(line.slice('package:'.length));
      if (typeof parsed === 'string') {
        scan.warn(i, `pm list line ${i + 1}: ${parsed}`);
        return;
      }
      for (const app of toRecords(parsed, section, scan, i)) {
        if (app.user === undefined && !unknownUserNoted) {
          unknownUserNoted = true;
          scan.info(i, 'listing for several users without uids (-U): the user of each package is unknown');
        }
        collected.push({ app, section });
      }
      return;
    }
    if (/^Error: Unknown option/.test(line)) {
      scan.claim(i);
      return;
    }
    if (/^usage: (?:pm|cmd package)/i.test(line)) {
      if (!result.usage)
        scan.warn(i, 'pm printed its usage text: a flag was not supported by this Android version');
      result.usage = true;
      inUsage = true;
      scan.claim(i);
      return;
    }
    if (inUsage && (line === '' || /^\s/.test(line))) {
      scan.claim(i);
      return;
    }
    inUsage = false;
    const command = parseCommandLine(line);
    if (command) {
      scan.claim(i);
      inException = false;
      result.found = true;
      openSection({ header: i, ...command });
      return;
    }
    const userHeader = USER_HEADER.exec(line);
    const headerUser = userHeader?.[1] ?? userHeader?.[2];
    if (headerUser !== undefined) {
      scan.claim(i);
      inException = false;
      openSection({
        header: i,
        flags: new Set(section.flags),
        filtered: section.filtered,
        user: Number(headerUser),
      });
      return;
    }
    const exception = EXCEPTION_START.exec(line);
    if (exception) {
      scan.claim(i);
      inException = true;
      result.found = true;
      return;
    }
    const denied = SECURITY_EXCEPTION.exec(line);
    if (denied?.[1] !== undefined && (inException || /^(?:java\.lang\.)?SecurityException/.test(line))) {
      scan.claim(i);
      const user = Number(denied[1]);
      const reason = `Shell does not have permission to access user ${user}`;
      if (!result.inaccessible.some((p) => p.user === user)) {
        result.inaccessible.push({ user, kind: 'unknown', scanned: false, reason });
        partial.push(`user ${user} could not be listed (${reason})`);
      }
      result.found = true;
      inException = true;
      return;
    }
    if (!inException) return;
    if (JAVA_EXCEPTION.test(line)) {
      scan.claim(i);
      partial.push(`pm failed: ${line.slice(0, 120)}`);
      return;
    }
    if (STACK_LINE.test(raw) || line === '') {
      scan.claim(i);
      return;
    }
    inException = false;
  });

  resolveUninstalled(collected, sections, scan, result);
  if (partial.length > 0) result.partial = partial.join('; ');
  return result;
}

function toRecords(parsed: PackageLine, section: PmListSection, scan: LineScan, index: number): AppRecord[] {
  const base: AppRecord = {
    platform: 'android',
    id: parsed.id,
    publisher: {},
    origin: scan.origin(PM_LIST, index),
  };
  if (parsed.versionCode !== undefined) base.versionCode = parsed.versionCode;
  if (parsed.installer !== undefined) base.installer = parsed.installer;
  if (parsed.path !== undefined) base.paths = [parsed.path];
  const f = section.flags;
  if (f.has('-s') || (parsed.path !== undefined && SYSTEM_PARTITIONS.test(parsed.path))) base.system = true;
  else if (f.has('-3')) base.system = false;
  if (f.has('-d')) base.enabled = false;
  else if (f.has('-e')) base.enabled = true;
  if (parsed.uids.length === 0) {
    const user = section.user === undefined ? 0 : typeof section.user === 'number' ? section.user : undefined;
    return [user === undefined ? base : { ...base, user }];
  }
  return parsed.uids.map((uid) => ({
    ...base,
    user: Math.floor(uid / PER_USER_RANGE),
    extra: { uid },
  }));
}

const filterSignature = (s: PmListSection): string =>
  ['-d', '-e', '-s', '-3'].filter((f) => s.flags.has(f)).join('') + (s.filtered ? '|filtered' : '');

/**
 * Merge duplicate records, and decide what the `-u` sections' extra packages mean.
 * A section covers the users it names, the users its records carry, and user 0 when it names none.
 */
function resolveUninstalled(
  collected: Collected[],
  sections: PmListSection[],
  scan: LineScan,
  result: PmListResult,
): void {
  const plainKeys = new Set<string>();
  const plainCover = new Map<string, Set<number>>();
  const cover = (s: PmListSection, users: Iterable<number>): void => {
    const sig = filterSignature(s);
    const set = plainCover.get(sig) ?? new Set<number>();
    for (const u of users) set.add(u);
    plainCover.set(sig, set);
  };
  const stats = new Map<PmListSection, { uid: boolean }>();
  for (const c of collected) {
    const st = stats.get(c.section) ?? { uid: false };
    if (c.app.extra?.uid !== undefined) st.uid = true;
    stats.set(c.section, st);
  }
  for (const s of sections) {
    const st = stats.get(s);
    if (st !== undefined) {
      if (s.user === 'all') result.coversAllUsers = true;
      if (typeof s.user === 'number') result.coveredUsers.add(s.user);
      else if (s.user === undefined && !st.uid) result.coveredUsers.add(0);
    }
    if (!s.flags.has('-u') && typeof s.user === 'number') cover(s, [s.user]);
    if (!s.flags.has('-u') && s.user === undefined) cover(s, [0]);
  }
  for (const { app, section } of collected) {
    if (app.user !== undefined) result.coveredUsers.add(app.user);
    if (!section.flags.has('-u')) {
      plainKeys.add(appKey(app));
      if (app.user !== undefined) cover(section, [app.user]);
    }
  }

  const byKey = new Map<string, AppRecord>();
  let maybeCount = 0;
  let firstMaybe: number | undefined;
  let dropped = 0;
  for (const { app, section } of collected) {
    const key = appKey(app);
    if (section.flags.has('-u') && !plainKeys.has(key)) {
      const covered =
        app.user !== undefined && plainCover.get(filterSignature(section))?.has(app.user) === true;
      if (covered) {
        dropped++;
        continue;
      }
      app.extra = { ...app.extra, maybeUninstalled: true };
      maybeCount++;
      firstMaybe ??= (app.origin.line ?? 1) - 1;
    }
    const seen = byKey.get(key);
    if (seen) mergeInto(seen, app);
    else byKey.set(key, app);
  }
  for (const app of byKey.values()) {
    if (app.extra?.maybeUninstalled && plainKeys.has(appKey(app))) {
      delete app.extra.maybeUninstalled;
    }
  }
  if (dropped > 0) {
    scan.info(
      undefined,
      `${dropped} package(s) appear only in a -u listing and not in the plain listing of the same user: not installed, skipped`,
    );
  }
  if (maybeCount > 0) {
    scan.warn(
      firstMaybe ?? 0,
      `listing made with -u also shows packages not installed for the user; ${maybeCount} package(s) cannot be told apart (kept, marked maybeUninstalled)`,
    );
  }
  result.apps = [...byKey.values()];
}
