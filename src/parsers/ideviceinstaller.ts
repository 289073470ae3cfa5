/**
 * libimobiledevice `ideviceinstaller` listings.
 *
 * Text: a header naming the columns (`CFBundleIdentifier, CFBundleShortVersionString,
 * CFBundleDisplayName` by default in 1.2, other attributes with `-a`), then one row per app: the
 * bundle id as is, then `, ` and each other value. How values are printed depends on the build:
 *  - 1.1.x (`-l`): header `…, CFBundleVersion, …`, values raw as `"%s"` with no escaping at all
 *    (commas, quotes, control characters appear as they are); an app without a version prints
 *    `id, "Name"`, one without a display name prints its id as the name.
 *  - 1.2 development builds: the 1.2 header, values raw as `"%s"`, numbers/booleans unquoted, an
 *    absent key printing nothing between the separators.
 *  - 1.2.0 (ideviceinstaller fc32f82, 2025-10-30): each value through libplist's
 *    PLIST_FORMAT_PRINT (src/out-default.c): strings double-quoted, `"` written `\"`, control
 *    characters `\b \t \n \f \r` or `\u00XX`, a backslash itself NOT escaped; an absent key still
 *    prints nothing (`com.tencent.xin, "8.0.49", ` for an app with no CFBundleDisplayName).
 * Which of the raw and escaped forms a listing uses is told per listing from its rows (raw control
 * characters or quotes inside a value mean raw; `\"`/`\uXXXX` mean escaped), since both 1.2 kinds
 * print the same header. CFBundleVersion (the build) is stored as versionCode,
 * CFBundleShortVersionString as versionName. A header with no rows is a device with no apps.
 * Up to 1.1.0: `Total: N apps`, then `id - Name build` (the build is CFBundleVersion: versionCode).
 *
 * A row whose bundle id can be read is kept whatever else is odd about it (with a warning); a row
 * whose id cannot be read makes the listing incomplete, as do rows missing from a `Total:` count.
 *
 * XML (`-l -o xml`, `list --xml`): a plist array of app dicts; the publisher is the Team ID from
 * the entitlements, or the team named by a distribution SignerIdentity.
 */
import type { AppRecord } from '../model.js';
import type { LineScan } from './listing-context.js';
import { isPlistDict, type PlistDict, type PlistValue, parsePlistXml } from './plist.js';
import { preview, stripInvisible, UNUSUAL_SPACE } from './text.js';
import type { ParseContext, ParsedInventory } from './types.js';
import { ParseError } from './types.js';

export const IDEVICEINSTALLER_TEXT = 'ideviceinstaller-text';
export const IDEVICEINSTALLER_XML = 'ideviceinstaller-xml';

/** The column header: CFBundleIdentifier first, then the attribute names, comma-separated. */
const TEXT_HEADER = /^CFBundleIdentifier((?:, [A-Za-z][\w.-]*)+)[ \t]*$/;
const LEGACY_1_1_HEADER = 'CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName';
const TOTAL_LINE = /^Total: (\d+) apps?\s*$/;
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9.\-_]*$/;
const TEAM_ID = /^[A-Z0-9]{10}$/;
/** Lines a person adds around pasted output; never rows. */
const NOTE_LINE = /^\s*(?:#|\/\/|-{3,}|={3,})/;
/** A control character printed raw (tab and line ends excepted): only the unescaped forms do that. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f]/;
/** A quote inside a value, neither opening nor closing it: only the unescaped forms print one. */
const RAW_INNER_QUOTE = /[^\\\s,]"[^\s,]|[^,\s]\s+"[^\s,]/;
const PRINT_ESCAPE = /\\(?:"|u[0-9a-fA-F]{4}|[btnfr])/;

export type ValueStyle = 'raw' | 'print';

export interface IdeviceinstallerTextResult {
  apps: AppRecord[];
  found: boolean;
  /** A header was seen but no app rows: a device with no (user) apps. */
  headerOnly: boolean;
  /** Why the listing is incomplete beyond unreadable rows (rows missing from a `Total:` count). */
  partial?: string;
}

export interface TextRow {
  id: string;
  /** One value per column after the id; undefined where the row printed nothing. */
  values: Array<string | undefined>;
  /** What was odd about the row (it is still read). */
  notes: string[];
  /** The row ends inside a quoted value. */
  unterminated?: boolean;
}

const unescapePrint = (s: string): string =>
  s.includes('\\')
    ? s.replace(/\\(["btnfr]|u[0-9a-fA-F]{4})/g, (_, e: string) => {
        switch (e) {
          case '"':
            return '"';
          case 'b':
            return '\b';
          case 't':
            return '\t';
          case 'n':
            return '\n';
          case 'f':
            return '\f';
          case 'r':
            return '\r';
          default:
            return String.fromCharCode(Number.parseInt(e.slice(1), 16));
        }
      })
    : s;

/** True when `text[i]` ends a value: a comma, or only spaces up to the end of the line. */
const endsValue = (text: string, i: number): boolean => {
  let j = i;
  while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
  return j === text.length || text[j] === ',' || (j > i && /^(?:#|\/\/)/.test(text.slice(j)));
};

/** Index of the quote closing the value opened at `open`, or -1. */
function closingQuote(text: string, open: number, style: ValueStyle, last: boolean): number {
  if (style === 'raw') {
    // Raw values hold any character, quotes included: the last column runs to the last quote.
    if (last) {
      const q = text.lastIndexOf('"');
      return q > open ? q : -1;
    }
    for (let q = text.indexOf('"', open + 1); q !== -1; q = text.indexOf('"', q + 1)) {
      if (endsValue(text, q + 1)) return q;
    }
    return text.indexOf('"', open + 1);
  }
  // Escaped values: every quote inside is `\"`, so the first bare quote closes. A value ending
  // in a backslash prints `\"` at its end (backslashes are not escaped): then the first quote
  // followed by the end of the value closes it.
  let fallback = -1;
  for (let q = text.indexOf('"', open + 1); q !== -1; q = text.indexOf('"', q + 1)) {
    if (text[q - 1] !== '\\') return q;
    if (fallback === -1 && endsValue(text, q + 1)) fallback = q;
  }
  return fallback;
}

/**
 * Parse one row given the number of columns of its header and how values are printed; a string
 * is the reason no bundle id could be read from it.
 */
export function parseTextRow(line: string, columns = 3, style: ValueStyle = 'raw'): TextRow | string {
  const notes: string[] = [];
  const firstComma = line.indexOf(',');
  // Invisible characters are dropped from the id only: names legitimately hold them (ZWJ emoji).
  const cleaned = stripInvisible(firstComma === -1 ? line : line.slice(0, firstComma));
  if (cleaned.stripped) notes.push('invisible characters (zero-width/BOM) removed');
  const text = (firstComma === -1 ? cleaned.text : cleaned.text + line.slice(firstComma)).replace(/\s+$/, '');
  const comma = text.indexOf(',');
  const rawId = comma === -1 ? text : text.slice(0, comma);
  const id = rawId.trim();
  if (id !== rawId.replace(/\s+$/, '')) notes.push('space before the bundle id');
  if (id.includes('\ufffd')) return 'bytes that are not valid UTF-8 in the bundle id';
  // One token: a row of words (`No device found.`) is an error message, not an app.
  if (!BUNDLE_ID.test(id)) return `invalid bundle identifier "${preview(id, 80)}"`;
  const row: TextRow = { id, values: [], notes };
  if (comma === -1) {
    if (columns > 1) notes.push('no value columns');
    return row;
  }
  let p = comma + 1;
  for (let col = 1; col < columns; col++) {
    const spaces = /^[ \t\u00a0]*/.exec(text.slice(p))?.[0] ?? '';
    if (spaces !== ' ' && spaces !== '' && UNUSUAL_SPACE.test(spaces)) notes.push('a tab or unusual space');
    p += spaces.length;
    const last = col === columns - 1;
    let value: string | undefined;
    if (text[p] === '"') {
      const close = closingQuote(text, p, style, last);
      if (close === -1) {
        row.unterminated = true;
        notes.push('a quoted value with no closing quote (line cut short?)');
        row.values.push(text.slice(p + 1));
        return row;
      }
      const inner = text.slice(p + 1, close);
      value = style === 'print' ? unescapePrint(inner) : inner;
      p = close + 1;
    } else {
      // Numbers and booleans print unquoted; an absent key prints nothing.
      let end = p;
      while (end < text.length && text[end] !== ',' && !/^\s+(?:#|\/\/)/.test(text.slice(end))) end++;
      const bare = text.slice(p, end).trim();
      value = bare === '' ? undefined : bare;
      p = end;
    }
    row.values.push(value);
    const gap = /^\s*/.exec(text.slice(p))?.[0] ?? '';
    p += gap.length;
    if (p >= text.length) break;
    if (text[p] === ',' && !last) {
      // `id, "1.0", ` at the end: the next column runs to the end and reads as absent.
      p++;
      continue;
    }
    notes.push(
      /^(?:#|\/\/)/.test(text.slice(p))
        ? `a trailing comment "${preview(text.slice(p), 40)}"`
        : `unexpected text "${preview(text.slice(p), 40)}"`,
    );
    break;
  }
  if (row.values.length < columns - 1 && columns > 2 && row.values.length !== columns - 2) {
    notes.push(`${row.values.length + 1} of ${columns} columns`);
  }
  return row;
}

const numericOrString = (value: string): number | string => {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  return value;
};

interface Section {
  kind: 'columns' | 'legacy';
  header: number;
  columns: string[];
  rows: number[];
  /** `Total: N apps`. */
  expected?: number;
}

/** Opening minus closing brackets outside quoted strings (`\"` is a quote inside one). */
function bracketDelta(line: string): number {
  let delta = 0;
  let quoted = false;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (c === '"' && line[k - 1] !== '\\') quoted = !quoted;
    else if (!quoted && (c === '[' || c === '{')) delta++;
    else if (!quoted && (c === ']' || c === '}')) delta--;
  }
  return delta;
}

/** A header line without invisible characters, surrounding spaces or a trailing `# note`. */
const headerText = (line: string): string =>
  stripInvisible(line)
    .text.replace(/\s+(?:#|\/\/).*$/, '')
    .trim();

/** Raw or escaped: told from the rows, since 1.2 development builds and 1.2.0 print the same header. */
function valueStyle(section: Section, lines: readonly string[]): ValueStyle {
  if (section.columns.join(', ') === LEGACY_1_1_HEADER) return 'raw';
  let raw = false;
  for (const i of section.rows) {
    const rest = (lines[i] ?? '').slice((lines[i] ?? '').indexOf(','));
    if (PRINT_ESCAPE.test(rest)) return 'print';
    if (RAW_CONTROL.test(rest) || RAW_INNER_QUOTE.test(rest)) raw = true;
  }
  return raw ? 'raw' : 'print';
}

/** Claim header-led sections of ideviceinstaller text output. */
export function parseIdeviceinstallerTextLines(scan: LineScan): IdeviceinstallerTextResult {
  const result: IdeviceinstallerTextResult = { apps: [], found: false, headerOnly: false };
  const sections: Section[] = [];
  let section: Section | undefined;
  let afterPrompt = false;
  /** Open `[`/`{` of a value printed over several lines (1.2.0 prints arrays and dicts so). */
  let nesting = 0;
  scan.lines.forEach((raw, i) => {
    if (scan.isClaimed(i)) return;
    const line = raw.trimEnd();
    // Inside such a value lines are indented, and it closes with `]`/`}` at the start of a line;
    // any other line ends it, so a stray bracket can never swallow the rows after it.
    if (nesting > 0 && /^(?:\s|[\]}])/.test(line)) {
      scan.claim(i);
      nesting = Math.max(0, nesting + bracketDelta(line));
      return;
    }
    nesting = 0;
    const header = TEXT_HEADER.exec(line) ?? TEXT_HEADER.exec(headerText(line));
    if (header) {
      scan.claim(i);
      afterPrompt = false;
      section = {
        kind: 'columns',
        header: i,
        columns: ['CFBundleIdentifier', ...(header[1] ?? '').slice(2).split(', ')],
        rows: [],
      };
      sections.push(section);
      return;
    }
    const total = TOTAL_LINE.exec(line) ?? TOTAL_LINE.exec(headerText(line));
    if (total?.[1] !== undefined) {
      scan.claim(i);
      afterPrompt = false;
      section = { kind: 'legacy', header: i, columns: [], rows: [], expected: Number(total[1]) };
      sections.push(section);
      return;
    }
    if (section === undefined || line.trim() === '' || NOTE_LINE.test(line)) return;
    if (/\bideviceinstaller\b|^\S*\s?[$#%>] /.test(line)) {
      // A prompt: the next command's output follows (left to the other parsers), then maybe more rows.
      afterPrompt = true;
      return;
    }
    if (afterPrompt) {
      // Another command's output is not rows; rows again (a listing pasted around a prompt) are.
      const looksLikeRow = section.kind === 'legacy' ? / - /.test(line) : /^\s*[^\s,]+\s*,/.test(line);
      if (!looksLikeRow) return;
      afterPrompt = false;
    }
    scan.claim(i);
    section.rows.push(i);
    if (section.kind === 'columns' && /,\s*[[{]$/.test(line)) nesting = Math.max(0, bracketDelta(line));
  });
  result.found = sections.length > 0;

  const incomplete: string[] = [];
  for (const s of sections) {
    const style = s.kind === 'columns' ? valueStyle(s, scan.lines) : 'raw';
    for (const i of s.rows) {
      const app = s.kind === 'legacy' ? legacyRow(scan, i) : columnsRow(scan, i, s.columns, style);
      if (app !== undefined) result.apps.push(app);
    }
    if (s.expected !== undefined && s.rows.length < s.expected) {
      const reason = `ideviceinstaller announced ${s.expected} apps at line ${s.header + 1} but the listing holds ${s.rows.length} (cut short?)`;
      scan.warn(s.header, reason);
      incomplete.push(reason);
    }
  }
  if (incomplete.length > 0) result.partial = incomplete.join('; ');
  result.headerOnly = sections.length > 0 && sections.every((s) => s.rows.length === 0);
  return result;
}

function columnsRow(scan: LineScan, i: number, columns: string[], style: ValueStyle): AppRecord | undefined {
  const row = parseTextRow(scan.lines[i] ?? '', columns.length, style);
  if (typeof row === 'string') {
    scan.lose(i, `ideviceinstaller row: ${row}`);
    return undefined;
  }
  let names = columns.slice(1);
  // 1.1.x prints no version for an app without one, but always a name: `id, "Name"`.
  if (columns.join(', ') === LEGACY_1_1_HEADER && row.values.length === 1) names = ['CFBundleDisplayName'];
  const app: AppRecord = {
    platform: 'ios',
    id: row.id,
    publisher: {},
    origin: scan.origin(IDEVICEINSTALLER_TEXT, i),
  };
  let name: string | undefined;
  let bundleName: string | undefined;
  names.forEach((column, k) => {
    const value = row.values[k];
    if (value === undefined || value === '') return;
    if (column === 'CFBundleDisplayName') name = value;
    else if (column === 'CFBundleName') bundleName = value;
    else if (column === 'CFBundleShortVersionString') app.versionName = value;
    else if (column === 'CFBundleVersion') app.versionCode = numericOrString(value);
  });
  if ((name ?? bundleName) !== undefined) app.name = name ?? bundleName;
  if (scan.isCutShort(i) && (row.unterminated || row.values.length < columns.length - 1)) {
    scan.lose(i, `the file ends in the middle of this row: bundle id "${row.id}" may be cut short`);
  } else if (row.notes.length > 0) {
    scan.warn(i, `ideviceinstaller line ${i + 1}: ${row.id} kept despite ${row.notes.join(', ')}`);
  }
  return app;
}

/** `id - Name build` (up to 1.1.0; the name is the id when the app has none). */
function legacyRow(scan: LineScan, i: number): AppRecord | undefined {
  const { text, stripped } = stripInvisible(scan.lines[i] ?? '');
  const line = text.trim();
  const sep = line.indexOf(' - ');
  const id = (sep === -1 ? line.split(/\s/, 1)[0] : line.slice(0, sep)) ?? '';
  if (!BUNDLE_ID.test(id)) {
    scan.lose(i, `ideviceinstaller row: expected \`bundle.id - Name build\`, read "${preview(line, 60)}"`);
    return undefined;
  }
  const app: AppRecord = {
    platform: 'ios',
    id,
    publisher: {},
    origin: scan.origin(IDEVICEINSTALLER_TEXT, i),
  };
  if (sep === -1) {
    if (scan.isCutShort(i))
      scan.lose(i, `the file ends in the middle of this row: bundle id "${id}" may be cut short`);
    else scan.warn(i, `ideviceinstaller line ${i + 1}: ${id} kept, though the row has no " - Name"`);
    return app;
  }
  const rest = line.slice(sep + 3);
  const m = /^(.*) (\d[\w.+-]*)$/.exec(rest);
  const name = m ? m[1] : rest;
  if (name) app.name = name;
  if (m?.[2]) app.versionCode = numericOrString(m[2]);
  if (stripped) scan.warn(i, `ideviceinstaller line ${i + 1}: ${id} kept despite invisible characters`);
  return app;
}

const str = (dict: PlistDict, key: string): string | undefined => {
  const v = Object.hasOwn(dict, key) ? dict[key] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** `iPhone Distribution: Foo Ltd (TEAMID)` / `Apple Distribution: …` name a company; development certs name a person. */
export function signerPublisher(signer: string): { name?: string; teamId?: string } {
  const m = /^(?:iPhone|Apple|iOS) Distribution: (.+?)(?: \(([A-Z0-9]{10})\))?$/.exec(signer.trim());
  if (!m?.[1]) return {};
  return { name: m[1], ...(m[2] ? { teamId: m[2] } : {}) };
}

function teamFromEntitlements(entitlements: PlistValue | undefined): string | undefined {
  if (!isPlistDict(entitlements)) return undefined;
  const explicit = str(entitlements, 'com.apple.developer.team-identifier');
  if (explicit && TEAM_ID.test(explicit)) return explicit;
  const appId =
    str(entitlements, 'application-identifier') ?? str(entitlements, 'com.apple.application-identifier');
  const prefix = appId?.split('.')[0];
  return prefix && TEAM_ID.test(prefix) ? prefix : undefined;
}

function appFromDict(
  dict: PlistDict,
  index: number,
  ctx: ParseContext,
  line: number | undefined,
): AppRecord | string {
  const id = str(dict, 'CFBundleIdentifier');
  if (id === undefined) return `app #${index + 1} has no CFBundleIdentifier`;
  const app: AppRecord = {
    platform: 'ios',
    id,
    publisher: {},
    origin: {
      target: ctx.target,
      parser: IDEVICEINSTALLER_XML,
      ...(ctx.path === undefined ? {} : { path: ctx.path }),
      ...(line === undefined ? {} : { line }),
    },
  };
  const name = str(dict, 'CFBundleDisplayName') ?? str(dict, 'CFBundleName');
  if (name !== undefined) app.name = name;
  const short = str(dict, 'CFBundleShortVersionString');
  if (short !== undefined) app.versionName = short;
  const build = str(dict, 'CFBundleVersion');
  if (build !== undefined) app.versionCode = numericOrString(build);
  const minOs = str(dict, 'MinimumOSVersion');
  if (minOs !== undefined) app.minOs = minOs;
  const path = str(dict, 'Path');
  if (path !== undefined) app.paths = [path];
  const extra: Record<string, string | number | boolean> = {};
  const type = str(dict, 'ApplicationType');
  if (type !== undefined) {
    extra.applicationType = type;
    if (type === 'System') app.system = true;
    else if (type === 'User') app.system = false;
  }
  const teamId = teamFromEntitlements(dict.Entitlements);
  const signer = str(dict, 'SignerIdentity');
  if (signer !== undefined) {
    extra.signerIdentity = signer;
    const fromSigner = signerPublisher(signer);
    if (fromSigner.name !== undefined) app.publisher.name = fromSigner.name;
    if (teamId === undefined && fromSigner.teamId !== undefined) app.publisher.teamId = fromSigner.teamId;
  }
  if (teamId !== undefined) app.publisher.teamId = teamId;
  for (const [key, value] of Object.entries(dict)) {
    if (/^Is[A-Z]/.test(key) && typeof value === 'boolean')
      extra[key.charAt(0).toLowerCase() + key.slice(1)] = value;
  }
  if (Object.keys(extra).length > 0) app.extra = extra;
  return app;
}

/** Line of each top-level `<dict>` of the array, for origins; cheap single pass. */
function dictLines(text: string, count: number): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  const re = /\n|<(\/?)(dict|array)(\/?)>/g;
  for (let m = re.exec(text); m !== null && lines.length < count; m = re.exec(text)) {
    if (m[0] === '\n') {
      line++;
      continue;
    }
    if (m[3] === '/') {
      if (m[2] === 'dict' && depth === 1) lines.push(line);
      continue;
    }
    if (m[1] === '/') depth--;
    else {
      if (m[2] === 'dict' && depth === 1) lines.push(line);
      depth++;
    }
  }
  return lines;
}

/** Parse `ideviceinstaller -l -o xml` / `list --xml` output. */
export function parseIdeviceinstallerXml(text: string, ctx: ParseContext): ParsedInventory {
  const root = parsePlistXml(text);
  if (!Array.isArray(root)) {
    throw new ParseError(
      isPlistDict(root) && 'CFBundleIdentifier' in root
        ? 'XML plist is a single app Info.plist, not an ideviceinstaller listing'
        : 'XML plist is not an ideviceinstaller listing (expected an array of app dictionaries)',
    );
  }
  const lines = dictLines(text, root.length);
  const diagnostics: ParsedInventory['diagnostics'] = [];
  const apps: AppRecord[] = [];
  /** Entries whose app could not be read: the listing is incomplete. */
  const unread: string[] = [];
  root.forEach((item, index) => {
    const line = lines[index];
    const where = {
      ...(ctx.path === undefined ? {} : { path: ctx.path }),
      ...(line === undefined ? {} : { line }),
    };
    if (!isPlistDict(item)) {
      diagnostics.push({
        level: 'warning',
        message: `app #${index + 1} is not a dictionary: skipped`,
        ...where,
      });
      unread.push(`app #${index + 1}${line === undefined ? '' : ` (line ${line})`} is not a dictionary`);
      return;
    }
    const app = appFromDict(item, index, ctx, line);
    if (typeof app === 'string') {
      diagnostics.push({ level: 'warning', message: `${app}: skipped`, ...where });
      unread.push(`${app}${line === undefined ? '' : ` (line ${line})`}`);
    } else apps.push(app);
  });
  if (root.length === 0) {
    diagnostics.push({
      level: 'info',
      message: 'ideviceinstaller listed no apps',
      ...(ctx.path ? { path: ctx.path } : {}),
    });
  }
  const result: ParsedInventory = {
    format: IDEVICEINSTALLER_XML,
    apps,
    device: { platform: 'ios' },
    diagnostics,
  };
  if (unread.length > 0) {
    const named = unread.slice(0, 5).join(', ');
    result.partial = `${unread.length} app entr${unread.length === 1 ? 'y' : 'ies'} could not be read: ${named}${unread.length > 5 ? ` and ${unread.length - 5} more` : ''}`;
  }
  return result;
}
