/**
 * libimobiledevice `ideviceinstaller` listings.
 *
 * Text (1.1.x `-l`, 1.2.x `list`): a header naming the version column, then rows
 * `bundle.id, "version", "Display Name"`. Names are NOT escaped (commas, quotes, escapes and
 * bidi controls appear raw), so a row is read as: id up to the first `, "`, version up to the next
 * `"`, name between the following `"` and the LAST `"` of the line. 1.1.x prints CFBundleVersion
 * (the build → versionCode), 1.2.x CFBundleShortVersionString (→ versionName). A header with no
 * rows is a device with no apps. Pre-1.1 versions printed `Total: N apps` then `id - Name version`.
 *
 * XML (`-l -o xml`, `list --xml`): a plist array of app dicts; the publisher is the Team ID from
 * the entitlements, or the team named by a distribution SignerIdentity.
 */
import type { AppRecord } from '../model.js';
import type { LineScan } from './listing-context.js';
import { isPlistDict, type PlistDict, type PlistValue, parsePlistXml } from './plist.js';
import type { ParseContext, ParsedInventory } from './types.js';
import { ParseError } from './types.js';

export const IDEVICEINSTALLER_TEXT = 'ideviceinstaller-text';
export const IDEVICEINSTALLER_XML = 'ideviceinstaller-xml';

export const TEXT_HEADER =
  /^CFBundleIdentifier, (CFBundleVersion|CFBundleShortVersionString), CFBundleDisplayName\s*$/;
const TOTAL_LINE = /^Total: (\d+) apps?\s*$/;
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9.\-_]*$/;
const TEAM_ID = /^[A-Z0-9]{10}$/;

export interface IdeviceinstallerTextResult {
  apps: AppRecord[];
  found: boolean;
  /** A header was seen but no app rows: a device with no (user) apps. */
  headerOnly: boolean;
}

type Row = { id: string; version: string; name: string } | string;

/** Parse one `id, "ver", "Name"` row; a string is the reason it could not be parsed. */
export function parseTextRow(line: string): Row {
  const sep = line.indexOf(', "');
  if (sep <= 0) return 'expected `bundle.id, "version", "name"`';
  const id = line.slice(0, sep).trim();
  if (!BUNDLE_ID.test(id)) return `invalid bundle identifier "${id.slice(0, 80)}"`;
  const versionStart = sep + 3;
  const versionEnd = line.indexOf('"', versionStart);
  if (versionEnd === -1) return 'unterminated version field';
  const version = line.slice(versionStart, versionEnd);
  const rest = line.slice(versionEnd + 1);
  const nameOpen = rest.indexOf('"');
  const nameClose = rest.lastIndexOf('"');
  if (nameOpen === -1 || nameClose <= nameOpen) {
    // 1.2.x prints an empty name as `""`; a missing name column is a truncated row.
    return 'missing or unterminated display name';
  }
  if (rest.slice(0, nameOpen).trim() !== ',') return 'expected `, "` before the display name';
  return { id, version, name: rest.slice(nameOpen + 1, nameClose) };
}

const numericOrString = (value: string): number | string => {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  return value;
};

/** Claim header-led sections of ideviceinstaller text output. */
export function parseIdeviceinstallerTextLines(scan: LineScan): IdeviceinstallerTextResult {
  const result: IdeviceinstallerTextResult = { apps: [], found: false, headerOnly: false };
  let column: 'build' | 'short' | 'legacy' | undefined;
  let rowsInSection = 0;
  let sections = 0;
  let expectedTotal: number | undefined;
  let totalLine = 0;
  const closeSection = (): void => {
    if (expectedTotal !== undefined && rowsInSection < expectedTotal) {
      scan.warn(
        totalLine,
        `ideviceinstaller announced ${expectedTotal} apps but the listing holds ${rowsInSection} (truncated?)`,
      );
    }
    expectedTotal = undefined;
  };

  scan.lines.forEach((raw, i) => {
    if (scan.isClaimed(i)) return;
    const line = raw.trimEnd();
    const header = TEXT_HEADER.exec(line);
    if (header) {
      closeSection();
      scan.claim(i);
      result.found = true;
      sections++;
      column = header[1] === 'CFBundleVersion' ? 'build' : 'short';
      rowsInSection = 0;
      return;
    }
    const total = TOTAL_LINE.exec(line);
    if (total?.[1] !== undefined) {
      closeSection();
      scan.claim(i);
      result.found = true;
      expectedTotal = Number(total[1]);
      totalLine = i;
      column ??= 'legacy';
      rowsInSection = 0;
      return;
    }
    if (column === undefined || line.trim() === '') return;
    if (/\bideviceinstaller\b|^\S*\s?[$#%>] /.test(line)) {
      // The next command's prompt: this listing is over.
      closeSection();
      column = undefined;
      return;
    }
    scan.claim(i);
    if (column === 'legacy') {
      const m = /^(\S+) - (.*?)(?: (\S+))?$/.exec(line);
      if (!m?.[1] || !BUNDLE_ID.test(m[1])) {
        scan.warn(i, `ideviceinstaller line ${i + 1}: expected \`bundle.id - Name version\``);
        return;
      }
      const app: AppRecord = {
        platform: 'ios',
        id: m[1],
        publisher: {},
        origin: scan.origin(IDEVICEINSTALLER_TEXT, i),
      };
      if (m[2]) app.name = m[2];
      if (m[3]) app.versionName = m[3];
      result.apps.push(app);
      rowsInSection++;
      return;
    }
    const row = parseTextRow(line);
    if (typeof row === 'string') {
      scan.warn(i, `ideviceinstaller line ${i + 1}: ${row}`);
      return;
    }
    const app: AppRecord = {
      platform: 'ios',
      id: row.id,
      publisher: {},
      origin: scan.origin(IDEVICEINSTALLER_TEXT, i),
    };
    if (row.name !== '') app.name = row.name;
    if (row.version !== '') {
      if (column === 'build') app.versionCode = numericOrString(row.version);
      else app.versionName = row.version;
    }
    result.apps.push(app);
    rowsInSection++;
  });
  closeSection();
  result.headerOnly = sections > 0 && result.apps.length === 0;
  return result;
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
      return;
    }
    const app = appFromDict(item, index, ctx, line);
    if (typeof app === 'string') diagnostics.push({ level: 'warning', message: `${app}: skipped`, ...where });
    else apps.push(app);
  });
  if (root.length === 0) {
    diagnostics.push({
      level: 'info',
      message: 'ideviceinstaller listed no apps',
      ...(ctx.path ? { path: ctx.path } : {}),
    });
  }
  return { format: IDEVICEINSTALLER_XML, apps, device: { platform: 'ios' }, diagnostics };
}
