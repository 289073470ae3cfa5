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
 *
 * Shared and hand-edited lists carry notes, tabs, NBSP or zero-width characters, bad values, and a
 * later Android may add a field: a line that is recognisably an app line (a `package:` prefix,
 * however damaged its start) keeps its app whenever a plausible package id can be read from it
 * (the first token, invisible characters removed), with a warning saying what was odd. A line
 * with no readable id, an id that may have been split or cut short, makes the listing partial
 * (LineScan.lose), so a listing is never complete with an app missing.
 */
import type { AppRecord, Origin, ProfileInfo } from '../model.js';
import { appKey, type LineScan, mergeInto, PER_USER_RANGE } from './listing-context.js';
import { detach, preview, stripInvisible, UNUSUAL_SPACE } from './text.js';

export const PM_LIST = 'pm-list';

const PACKAGE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const SYSTEM_PARTITIONS = /^\/(system|system_ext|product|vendor|odm|oem|apex|india|preload|my_[a-z]+)\//;
const COMMAND = /\b(?:pm|cmd package) list packages\b/;
const USER_HEADER = /^\s*(?:(?:#+|=+|-+|\*+)\s*user\s+(-?\d+)\b.*|user\s+(-?\d+)\s*:?)\s*$/i;
const EXCEPTION_START = /^Exception occurred while executing '([^']*)':/;
const SECURITY_EXCEPTION = /SecurityException: .*?access user (-?\d+)/;
const STACK_LINE =
  /^\s+(?:at\s+\S|\.\.\. \d+ more|[\w$.]+\.[\w$<>]+:\d+|[\w$.]+\.[\w$<>]+\([\w$.]*(?::\d+)?\))/;
const JAVA_EXCEPTION = /^(?:Caused by: )?(?:[a-z]\w*\.)+\w*(?:Exception|Error)\b/;

type UserSpec = number | 'all' | 'current';

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
  /** What was odd about a line that was still read (comment, tab, unknown field…), for a warning. */
  notes?: string[];
  /** The text after the id could be the rest of it: the id may be misread. */
  ambiguous?: boolean;
}

/** Parse the text after `package:`; a string is the reason no package id could be read from it. */
export function parsePackageLine(body: string): PackageLine | string {
  return parseCanonicalLine(body) ?? parsePackageLineByGrammar(body);
}

/** A trailing note a person added to a shared list: `# …`, `// …`, `-- …`, `; …`. */
const COMMENT_TOKEN = /^(?:#|\/\/|--|;)/;

/**
 * The line grammar, read leniently: the reference for every line, and the path taken by any line
 * the fast scanner below is not sure about. The package id is the first token (after dropping
 * invisible characters); the fields pm prints are read where they are well formed, and anything
 * else (a comment, an unknown field a later Android adds, a bad value) is noted, never a reason
 * to drop the app. Only a line with no plausible package id is refused.
 */
export function parsePackageLineByGrammar(body: string): PackageLine | string {
  const notes: string[] = [];
  const { text, stripped } = stripInvisible(body);
  if (stripped) notes.push('invisible characters (zero-width/BOM) removed');
  if (text.includes('\ufffd')) {
    // Bytes that are not UTF-8 (or an over-long encoding of an ASCII character) decode to U+FFFD:
    // one of them inside or beside the id may have been a letter of it.
    const head = text.trimStart().split(/\s/, 1)[0] ?? '';
    if (head.includes('\ufffd')) return 'bytes that are not valid UTF-8 in the package name';
    notes.push('bytes that are not valid UTF-8 after the package name');
  }
  if (UNUSUAL_SPACE.test(text)) notes.push('a tab or unusual space (NBSP…)');
  else if (/^ /.test(text)) notes.push('a space after "package:"');
  const tokens = text.split(/\s+/).filter(Boolean);
  const headToken = tokens[0];
  if (headToken === undefined) return 'empty package name';
  const eq = headToken.lastIndexOf('=');
  const path = eq >= 0 ? headToken.slice(0, eq) : undefined;
  const id = eq >= 0 ? headToken.slice(eq + 1) : headToken;
  if (id === '' && path === undefined) return 'empty package name';
  if (id === '' || id.includes('/')) return 'APK path without a package name (truncated line?)';
  if (!PACKAGE_NAME.test(id)) return `invalid package name "${preview(id, 80)}"`;
  const parsed: PackageLine = { id, uids: [] };
  if (path !== undefined) parsed.path = path;
  const unknown: string[] = [];
  for (let t = 1; t < tokens.length; t++) {
    const token = tokens[t] ?? '';
    if (COMMENT_TOKEN.test(token)) {
      notes.push(`a trailing comment "${preview(tokens.slice(t).join(' '), 40)}"`);
      break;
    }
    if (token.startsWith('versionCode:')) {
      const version = token.slice('versionCode:'.length);
      if (/^-?\d+$/.test(version)) {
        const n = Number(version);
        parsed.versionCode = Number.isSafeInteger(n) ? n : version;
      } else notes.push(`invalid versionCode "${preview(version, 40)}" (ignored)`);
    } else if (token.startsWith('installer=')) {
      const installer = token.slice('installer='.length);
      if (installer !== 'null' && installer !== '') parsed.installer = installer;
    } else if (token.startsWith('uid:')) {
      const uid = token.slice('uid:'.length);
      if (/^\d+(,\d+)*$/.test(uid)) parsed.uids = uid.split(',').map(Number);
      else notes.push(`invalid uid list "${preview(uid, 40)}" (ignored)`);
    } else unknown.push(token);
  }
  if (unknown.length > 0) {
    notes.push(`unknown trailing text "${preview(unknown.join(' '), 40)}"`);
    // `com.zhi liaoapp`: a space (or NBSP) inside the id leaves its first part as the id.
    if (/^[A-Za-z0-9_.]+$/.test(unknown[0] ?? '')) parsed.ambiguous = true;
  }
  if (notes.length > 0) parsed.notes = notes;
  return parsed;
}

const SPACE = 0x20;
/** Up to this many decimal digits, accumulating digit by digit is exact (below 2^53), as Number() is. */
const EXACT_DIGITS = 15;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isIdChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x5f;
/** Printable ASCII other than space: never whitespace for `\s`, `\S` or trim(). */
const isVisibleAscii = (c: number): boolean => c > SPACE && c < 0x7f;

/**
 * One left-to-right pass over a line in the shape pm prints: `[path=]id`, then single-space
 * separated fields in pm's order. Anything else (extra spaces, tabs, non-ASCII, fields out of
 * order, bad values) returns undefined and is left to the grammar, so both agree on every line.
 */
function parseCanonicalLine(body: string): PackageLine | undefined {
  const n = body.length;
  let headEnd = body.indexOf(' ');
  if (headEnd === -1) headEnd = n;
  if (headEnd === 0) return undefined;
  // The path and id are printable ASCII: a tab or other character there is the grammar's to read.
  for (let i = 0; i < headEnd; i++) if (!isVisibleAscii(body.charCodeAt(i))) return undefined;
  const eq = body.lastIndexOf('=', headEnd - 1);
  let dot = true;
  for (let i = eq + 1; i < headEnd; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x2e) {
      if (dot) return undefined;
      dot = true;
    } else if (isIdChar(c)) dot = false;
    else return undefined;
  }
  if (dot) return undefined;
  const parsed: PackageLine = { id: body.slice(eq + 1, headEnd), uids: [] };
  if (eq >= 0) parsed.path = body.slice(0, eq);
  let p = headEnd;
  if (body.startsWith(' versionCode:', p)) {
    const start = p + 13;
    const negative = body.charCodeAt(start) === 0x2d;
    let end = negative ? start + 1 : start;
    const digits = end;
    let value = 0;
    for (; end < n; end++) {
      const c = body.charCodeAt(end);
      if (!isDigit(c)) break;
      value = value * 10 + (c - 0x30);
    }
    if (end === digits || (end < n && body.charCodeAt(end) !== SPACE)) return undefined;
    if (end - digits <= EXACT_DIGITS) parsed.versionCode = negative ? -value : value;
    else {
      const version = body.slice(start, end);
      const v = Number(version);
      parsed.versionCode = Number.isSafeInteger(v) ? v : version;
    }
    p = end;
  }
  const installer = body.startsWith('  installer=', p)
    ? p + 12
    : body.startsWith(' installer=', p)
      ? p + 11
      : -1;
  if (installer !== -1) {
    let end = installer;
    while (end < n && isVisibleAscii(body.charCodeAt(end))) end++;
    if (end < n && body.charCodeAt(end) !== SPACE) return undefined;
    const value = body.slice(installer, end);
    if (value !== 'null' && value !== '') parsed.installer = value;
    p = end;
  }
  if (body.startsWith(' uid:', p)) {
    const start = p + 5;
    let end = start;
    let digit = false;
    let comma = false;
    let value = 0;
    for (; end < n; end++) {
      const c = body.charCodeAt(end);
      if (isDigit(c)) {
        digit = true;
        value = value * 10 + (c - 0x30);
      } else if (c === 0x2c && digit) {
        digit = false;
        comma = true;
      } else break;
    }
    if (!digit || (end < n && body.charCodeAt(end) !== SPACE)) return undefined;
    if (!comma && end - start <= EXACT_DIGITS) parsed.uids = [value];
    else {
      const uid = body.slice(start, end);
      parsed.uids = comma ? uid.split(',').map(Number) : [Number(uid)];
    }
    p = end;
  }
  for (; p < n; p++) if (body.charCodeAt(p) !== SPACE) return undefined;
  return parsed;
}

interface Collected {
  app: AppRecord;
  section: PmListSection;
}

/** Which optional fields a line carries, as bits: path, versionCode, installer, uid. */
/** An app's `/data/app/…/<id>-<suffix>/base.apk` folder naming a longer id than the line: the id was cut. */
const pathDisagrees = (p: PackageLine): boolean => {
  const dir = p.path === undefined ? undefined : /\/([A-Za-z0-9_.]+)-[^/]*\/base\.apk$/.exec(p.path)?.[1];
  return dir !== undefined && dir !== p.id && dir.startsWith(p.id);
};

const fieldShape = (p: PackageLine): number =>
  (p.path === undefined ? 0 : 1) |
  (p.versionCode === undefined ? 0 : 2) |
  (p.installer === undefined ? 0 : 4) |
  (p.uids.length === 0 ? 0 : 8);

/**
 * `package:` after anything but letters, digits and comment marks (`# package:x` is a line a
 * person commented out): spaces, a tab, stray bytes, a list bullet. Any case, spaces before `:`.
 */
const LENIENT_PREFIX = /^[^A-Za-z0-9#/;]*package\s*:/i;

/**
 * A `package:` line that does not start exactly so (`line` is `original` without invisible
 * characters). Still an app line; says what was odd.
 */
function lenientPrefix(line: string, original: string): { body: string; note: string } | undefined {
  const m = LENIENT_PREFIX.exec(line);
  if (!m) return undefined;
  const note =
    line === original
      ? `an unusual line start "${preview(m[0], 20)}"`
      : 'invisible characters (zero-width/BOM) removed';
  return { body: line.slice(m[0].length), note };
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
  /** Fields of the previous app line (fieldShape), to tell a line cut short. */
  let lastShape: number | undefined;
  const collected: Collected[] = [];
  const partial: string[] = [];

  const openSection = (next: PmListSection): void => {
    section = next;
    sectionUsed = false;
    sections.push(next);
  };

  const lines = scan.lines;
  for (let i = 0; i < lines.length; i++) {
    if (scan.isClaimed(i)) continue;
    const raw = lines[i] ?? '';
    const line = raw.trimEnd();
    const appLine = line.startsWith('package:') ? undefined : lenientPrefix(stripInvisible(line).text, line);
    if (appLine !== undefined || line.startsWith('package:')) {
      inException = false;
      scan.claim(i);
      result.found = true;
      if (!sectionUsed && !sections.includes(section)) sections.push(section);
      sectionUsed = true;
      // A copy, so records kept by findings do not pin the whole listing text in memory.
      const body = appLine?.body ?? line.slice('package:'.length);
      const parsed = parsePackageLine(detach(body));
      if (typeof parsed === 'string') {
        scan.lose(i, `pm list line: ${parsed}`);
        continue;
      }
      const notes =
        appLine?.note === undefined ? (parsed.notes ?? []) : [appLine.note, ...(parsed.notes ?? [])];
      if (notes.length > 0) {
        scan.warn(i, `pm list line ${i + 1}: ${parsed.id} kept despite ${notes.join(', ')}`);
        delete parsed.notes;
      }
      if (parsed.ambiguous) {
        scan.lose(i, `the text after "${parsed.id}" may be part of the package name`);
        delete parsed.ambiguous;
      }
      const shape = fieldShape(parsed);
      if (
        scan.isCutShort(i) &&
        ((lastShape !== undefined && (lastShape & ~shape) !== 0) || pathDisagrees(parsed))
      ) {
        scan.lose(
          i,
          `the file ends in the middle of this line (no line end, fields the line before has are missing): "${parsed.id}" may be cut short`,
        );
      }
      lastShape = shape;
      if (parsed.uids.length === 0) {
        const user =
          section.user === undefined ? 0 : typeof section.user === 'number' ? section.user : undefined;
        if (user === undefined && !unknownUserNoted) {
          unknownUserNoted = true;
          scan.info(i, 'listing for several users without uids (-U): the user of each package is unknown');
        }
        collected.push({ app: toRecord(parsed, section, scan.origin(PM_LIST, i), user), section });
      } else {
        for (const uid of parsed.uids) {
          const user = Math.floor(uid / PER_USER_RANGE);
          collected.push({ app: toRecord(parsed, section, scan.origin(PM_LIST, i), user, uid), section });
        }
      }
      continue;
    }
    if (/^Error: Unknown option/.test(line)) {
      scan.claim(i);
      continue;
    }
    if (/^usage: (?:pm|cmd package)/i.test(line)) {
      if (!result.usage)
        scan.warn(i, 'pm printed its usage text: a flag was not supported by this Android version');
      result.usage = true;
      inUsage = true;
      scan.claim(i);
      continue;
    }
    if (inUsage && (line === '' || /^\s/.test(line))) {
      scan.claim(i);
      continue;
    }
    inUsage = false;
    const command = parseCommandLine(line);
    if (command) {
      scan.claim(i);
      inException = false;
      result.found = true;
      openSection({ header: i, ...command });
      continue;
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
      continue;
    }
    const exception = EXCEPTION_START.exec(line);
    if (exception) {
      scan.claim(i);
      inException = true;
      result.found = true;
      continue;
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
      continue;
    }
    if (!inException) continue;
    if (JAVA_EXCEPTION.test(line)) {
      scan.claim(i);
      partial.push(`pm failed: ${line.slice(0, 120)}`);
      continue;
    }
    if (STACK_LINE.test(raw) || line === '') {
      scan.claim(i);
      continue;
    }
    inException = false;
  }

  resolveUninstalled(collected, sections, scan, result);
  if (partial.length > 0) result.partial = partial.join('; ');
  return result;
}

/** One record, its fields added in one fixed order so every record shares one object shape. */
function toRecord(
  parsed: PackageLine,
  section: PmListSection,
  origin: Origin,
  user: number | undefined,
  uid?: number,
): AppRecord {
  const app: AppRecord = { platform: 'android', id: parsed.id, publisher: {}, origin };
  if (parsed.versionCode !== undefined) app.versionCode = parsed.versionCode;
  if (parsed.installer !== undefined) app.installer = parsed.installer;
  if (parsed.path !== undefined) app.paths = [parsed.path];
  const f = section.flags;
  if (f.has('-s') || (parsed.path !== undefined && SYSTEM_PARTITIONS.test(parsed.path))) app.system = true;
  else if (f.has('-3')) app.system = false;
  if (f.has('-d')) app.enabled = false;
  else if (f.has('-e')) app.enabled = true;
  if (user !== undefined) app.user = user;
  if (uid !== undefined) app.extra = { uid };
  return app;
}

const distinctIds = (collected: Collected[]): boolean => {
  const ids = new Set<string>();
  for (const { app } of collected) {
    if (ids.has(app.id)) return false;
    ids.add(app.id);
  }
  return true;
};

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
  // Which sections have records, and whether any of those records carries a uid.
  const stats = new Map<PmListSection, { uid: boolean }>();
  let last: PmListSection | undefined;
  let lastStats = { uid: false };
  for (const c of collected) {
    if (c.section !== last) {
      last = c.section;
      lastStats = stats.get(last) ?? { uid: false };
      stats.set(last, lastStats);
    }
    if (c.app.extra?.uid !== undefined) lastStats.uid = true;
  }
  const withU = sections.some((s) => s.flags.has('-u'));
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
    // Keys and cover only matter for telling -u extras apart.
    if (withU && !section.flags.has('-u')) {
      plainKeys.add(appKey(app));
      if (app.user !== undefined) cover(section, [app.user]);
    }
  }
  if (!withU && distinctIds(collected)) {
    // Nothing to drop, mark or merge: the common single listing.
    result.apps = collected.map((c) => c.app);
    return;
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
