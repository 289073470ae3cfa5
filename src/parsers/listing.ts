/**
 * Entry point for saved device listings. Detection is by content, never by file name.
 *
 * A saved file is often several outputs in one (`getprop; pm list users; pm list packages …`,
 * a bugreport holding `DUMP OF SERVICE package:`), so text listings are read in one pass where
 * each format's parser claims the lines it understands: device facts from getprop/ideviceinfo,
 * profiles from `pm list users`, apps from pm list / dumpsys / ideviceinstaller. The result is
 * labelled with the format that supplied the apps (or, for app-less files, the facts).
 * XML plists and androidqf JSON are whole-document formats and are parsed on their own.
 */
import type { AppRecord, DeviceFacts, ProfileInfo } from '../model.js';
import { ANDROIDQF_PACKAGES, looksLikeAndroidqfPackages, parseAndroidqfPackages } from './androidqf.js';
import { DUMPSYS_PACKAGE, findDumpsysRanges, parseDumpsysPackageLines } from './dumpsys-package.js';
import { deviceFactsFromProps, parseGetpropLines } from './getprop.js';
import { hasIdeviceinfoLines, looksLikeIdeviceinfo, parseIdeviceinfoLines } from './ideviceinfo.js';
import {
  IDEVICEINSTALLER_TEXT,
  IDEVICEINSTALLER_XML,
  parseIdeviceinstallerTextLines,
  parseIdeviceinstallerXml,
} from './ideviceinstaller.js';
import { appKey, LineScan, mergeInto } from './listing-context.js';
import { looksLikeXmlPlist } from './plist.js';
import { PM_LIST, parsePmListLines } from './pm-list.js';
import { parsePmUsersLines } from './pm-users.js';
import { binaryReason, normaliseText, preview, stripInvisible } from './text.js';
import { type ParseContext, type ParsedInventory, ParseError } from './types.js';

export type ListingFormat =
  | 'pm-list'
  | 'dumpsys-package'
  | 'ideviceinstaller-text'
  | 'ideviceinstaller-xml'
  | 'androidqf-packages'
  | 'getprop'
  | 'pm-users'
  | 'ideviceinfo';

const NOT_RECOGNISED = 'not a recognised device listing';

const DETECTORS: ReadonlyArray<readonly [ListingFormat, RegExp]> = [
  ['dumpsys-package', /^DUMP OF SERVICE package:/m],
  [
    'pm-list',
    /^[\t \u00a0\u00ad\u200b-\u200f\u2060\ufeff]*package:[\t \u00a0]*\S|^Exception occurred while executing 'list':|^java\.lang\.SecurityException: Shell does not have permission to access user/m,
  ],
  ['dumpsys-package', /^ *Package \[[^\]\n]+\] \([0-9a-fA-F]+\):/m],
  ['ideviceinstaller-text', /^CFBundleIdentifier(?:, [A-Za-z][\w.-]*)+[ \t]*$|^Total: \d+ apps?\s*$/m],
  ['pm-users', /^\s*UserInfo\{-?\d+:/m],
  ['getprop', /^\[[\w.:@-]+\]: \[/m],
];

/** Lines a person or a shell adds around saved output: prompts, commands, comments, separators. */
const NOISE_LINE =
  /^\s*(?:#|\/\/|;|-{3,}|={3,}|\*{3,}|(?:[^\s$#%>]*\s*[$#%>]\s*)?(?:adb|ideviceinstaller|ideviceinfo|idevice_id|pm|cmd|dumpsys|getprop|exit|su)\b|[^\s$#%>]*:[^\s]*\s*[$#]\s*$)/;

/** Detect from CONTENT (never the file name). Undefined when not a known listing. */
export function detectListingFormat(text: string): ListingFormat | undefined {
  return binaryReason(text) === undefined ? detectTextFormat(text) : undefined;
}

/** detectListingFormat for a caller that has already found `binaryReason(text)` undefined. */
export function detectTextFormat(text: string): ListingFormat | undefined {
  if (text.trim() === '') return undefined;
  const t = normaliseText(text);
  if (looksLikeXmlPlist(t)) {
    return /<plist[^>]*>\s*<array\s*\/?>/.test(t.slice(0, 8192)) ? 'ideviceinstaller-xml' : undefined;
  }
  if (looksLikeAndroidqfPackages(t)) return 'androidqf-packages';
  for (const [format, pattern] of DETECTORS) {
    if (pattern.test(t)) return format;
  }
  if (looksLikeIdeviceinfo(t)) return 'ideviceinfo';
  return undefined;
}

/** Parse a listing; throws ParseError with a clear message for empty/binary/unrecognised/truncated-beyond-use input. */
export function parseListing(text: string, ctx: ParseContext): ParsedInventory {
  if (text.length === 0 || text.trim() === '') throw new ParseError(`${NOT_RECOGNISED}: the input is empty`);
  const binary = binaryReason(text);
  if (binary !== undefined) throw new ParseError(`${NOT_RECOGNISED}: ${binary}`);
  return parseTextChecked(text, ctx);
}

/** parseListing for a caller that has already found `binaryReason(text)` undefined. */
export function parseTextChecked(text: string, ctx: ParseContext): ParsedInventory {
  if (text.length === 0 || text.trim() === '') throw new ParseError(`${NOT_RECOGNISED}: the input is empty`);
  const t = normaliseText(text);

  if (looksLikeXmlPlist(t)) return parseIdeviceinstallerXml(t, ctx);
  if (looksLikeAndroidqfPackages(t)) return parseAndroidqfPackages(t, ctx);
  if (/^\s*(?:\{|\[\s*(?:[{\]"\d]|$))/.test(t.slice(0, 256))) {
    throw new ParseError(`${NOT_RECOGNISED}: JSON that is not an androidqf packages.json`);
  }
  return parseTextListing(t, ctx);
}

function parseTextListing(text: string, ctx: ParseContext): ParsedInventory {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  // A capture cut short ends mid-line; parsers check such a last line against the ones before it.
  const scan = new LineScan(lines, ctx, !text.endsWith('\n'));

  const dump = findDumpsysRanges(lines);
  for (const [start, end] of dump.otherServices) {
    for (let i = start; i < end; i++) scan.claim(i);
  }
  const dumpApps = dump.ranges.length > 0 ? parseDumpsysPackageLines(scan, dump.ranges) : [];
  const props = parseGetpropLines(scan);
  const users = parsePmUsersLines(scan);
  const pm = parsePmListLines(scan);
  const ios = parseIdeviceinstallerTextLines(scan);
  const iosInfo = hasIdeviceinfoLines(scan) ? parseIdeviceinfoLines(scan) : undefined;

  const format: ListingFormat | undefined =
    dump.multiService && dumpApps.length > 0
      ? 'dumpsys-package'
      : pm.found
        ? 'pm-list'
        : dump.ranges.length > 0
          ? 'dumpsys-package'
          : ios.found
            ? 'ideviceinstaller-text'
            : users
              ? 'pm-users'
              : props
                ? 'getprop'
                : iosInfo
                  ? 'ideviceinfo'
                  : undefined;

  const usageOnly = pm.usage && pm.apps.length === 0 && pm.inaccessible.length === 0 && dumpApps.length === 0;
  if (format === undefined || (format === PM_LIST && usageOnly)) {
    if (pm.usage) {
      throw new ParseError(
        `${NOT_RECOGNISED}: pm printed its usage text (a flag is not supported by this Android version)`,
      );
    }
    if (dump.multiService) {
      throw new ParseError(
        `${NOT_RECOGNISED}: a dumpsys/bugreport capture without a package service section`,
      );
    }
    const firstIndex = lines.findIndex((l) => l.trim() !== '');
    const first = lines[firstIndex] ?? '';
    throw new ParseError(
      `${NOT_RECOGNISED}: line ${firstIndex + 1} reads "${preview(first.trim())}"`,
      firstIndex + 1,
    );
  }

  // Free-form dumps are mostly sections we do not read; only short listings get per-line warnings.
  const bareIds: AppRecord[] = [];
  if (dump.ranges.length === 0 && !dump.multiService) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (scan.isClaimed(i) || line.trim() === '' || NOISE_LINE.test(line)) continue;
      const bare = format === PM_LIST ? bareIdLine(line) : undefined;
      if (bare !== undefined) {
        // A package id alone on a line of a pm listing: an edited list that lost `package:`.
        scan.warn(i, `line ${i + 1}: ${bare} kept, though the line lacks the "package:" prefix`);
        bareIds.push({
          platform: 'android',
          id: bare,
          publisher: {},
          origin: scan.origin(PM_LIST, i),
          user: 0,
        });
        continue;
      }
      if (line.includes('\ufffd') || (format === PM_LIST && mayHoldApp(line))) {
        // Bytes that are not text, `pakage:com.x`, or a package id inside a line nothing reads:
        // it may have been an app line.
        scan.lose(i, `unreadable line "${preview(line.trim())}" may have held an app`);
        continue;
      }
      if (scan.isCutShort(i)) {
        // The capture stopped in the middle of a line: what it was, and what came after, is unknown.
        scan.lose(
          i,
          `the file ends in the middle of an unrecognised line "${preview(line.trim())}" (cut short?)`,
        );
        continue;
      }
      scan.warn(i, `unrecognised line ${i + 1}: "${preview(line.trim())}"`);
    }
  }

  const apps = mergeApps(
    format === DUMPSYS_PACKAGE ? [dumpApps, pm.apps, bareIds] : [pm.apps, bareIds, dumpApps],
    ios.apps,
  );
  const partial: string[] = [];
  if (pm.partial) partial.push(pm.partial);
  const lost = scan.lostReason();
  if (lost !== undefined) partial.push(lost);
  if (ios.partial !== undefined) partial.push(ios.partial);

  const profiles = buildProfiles(users, pm, partial);
  if (format === IDEVICEINSTALLER_TEXT && ios.headerOnly) {
    scan.info(undefined, 'ideviceinstaller listed no apps: the device has no apps of the requested kind');
  }

  const result: ParsedInventory = { format, apps, diagnostics: scan.finish() };
  const device = mergeDevice(props ? deviceFactsFromProps(props) : undefined, iosInfo, format);
  if (device) result.device = device;
  if (profiles) result.profiles = profiles;
  if (partial.length > 0) result.partial = partial.join('; ');
  return result;
}

/** `word:` then a dotted package id: a `package:` line with its prefix damaged. */
const DAMAGED_APP_LINE = /^\s*[^\s:#/;]*:\s*[A-Za-z]\w*(?:\.\w+)+(?=\s|$)/;

/** A package-id-shaped token after a separator (`=com.x`, `:com.x`, ` com.x`): `-f` lines included. */
const ID_TOKEN = /(?:^|[=:\s])[A-Za-z]\w*(?:\.\w+)+(?=\s|$)/;

/**
 * True when a line of `pm list packages` output that no grammar claimed may still have named an
 * app (a damaged `package:` prefix, with or without the `-f` path): such a line makes the listing
 * incomplete rather than being dropped with a warning.
 */
export const mayHoldApp = (line: string): boolean =>
  line.includes('\ufffd') || DAMAGED_APP_LINE.test(line) || ID_TOKEN.test(line);

/** A line holding only a plausible package id (at least two segments), give or take spaces and invisible characters. */
function bareIdLine(line: string): string | undefined {
  const [first = '', ...rest] = stripInvisible(line).text.trim().split(/\s+/);
  if (rest.length > 0 && !/^(?:#|\/\/|--|;)/.test(rest[0] ?? '')) return undefined;
  return /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/.test(first) ? first : undefined;
}

function mergeApps(androidSources: AppRecord[][], iosApps: AppRecord[]): AppRecord[] {
  // Each parser already merged its own records by key, so one source alone has nothing to merge.
  const filled = androidSources.filter((source) => source.length > 0);
  if (filled.length <= 1)
    return iosApps.length === 0 ? (filled[0] ?? []) : [...(filled[0] ?? []), ...iosApps];
  const byKey = new Map<string, AppRecord>();
  for (const source of androidSources) {
    for (const app of source) {
      const seen = byKey.get(appKey(app));
      if (seen) mergeInto(seen, app);
      else byKey.set(appKey(app), app);
    }
  }
  return [...byKey.values(), ...iosApps];
}

function buildProfiles(
  users: ProfileInfo[] | undefined,
  pm: ReturnType<typeof parsePmListLines>,
  partial: string[],
): ProfileInfo[] | undefined {
  if (users === undefined && pm.inaccessible.length === 0) return undefined;
  const profiles = new Map<number, ProfileInfo>();
  for (const u of users ?? []) profiles.set(u.user, { ...u });
  for (const denied of pm.inaccessible) {
    const known = profiles.get(denied.user);
    profiles.set(denied.user, known ? { ...known, scanned: false, reason: denied.reason ?? '' } : denied);
  }
  // A user the file lists but no package listing covered was not scanned.
  if (pm.apps.length > 0 && !pm.coversAllUsers) {
    for (const profile of profiles.values()) {
      if (!profile.scanned || pm.coveredUsers.has(profile.user)) continue;
      profile.scanned = false;
      profile.reason = 'no package listing for this user in the file';
      partial.push(`user ${profile.user}${profile.name ? ` (${profile.name})` : ''} was not listed`);
    }
  }
  return [...profiles.values()].sort((a, b) => a.user - b.user);
}

function mergeDevice(
  android: DeviceFacts | undefined,
  ios: DeviceFacts | undefined,
  format: ListingFormat,
): DeviceFacts | undefined {
  if (android && ios) return { ...ios, ...android };
  if (android || ios) return android ?? ios;
  if (format === IDEVICEINSTALLER_TEXT || format === IDEVICEINSTALLER_XML) return { platform: 'ios' };
  if (format === PM_LIST || format === DUMPSYS_PACKAGE || format === ANDROIDQF_PACKAGES)
    return { platform: 'android' };
  return undefined;
}
