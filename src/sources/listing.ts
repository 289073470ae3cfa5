/**
 * Saved listings (text outputs of pm/dumpsys/ideviceinstaller, androidqf JSON) and appwarden's own
 * inventory JSON, read from files or stdin. Detection is by content, never by file name.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  MAX_APPS_PER_INPUT,
  MAX_DOCUMENT_BYTES,
  MAX_JSON_CONTAINERS,
  MAX_LINE_BYTES,
  MAX_LISTING_LINES,
} from '../limits.js';
import { failedTarget, type TargetKind, type TargetResult } from '../model.js';
import { looksLikeInventory, parseInventory } from '../parsers/inventory.js';
import { detectListingFormat, detectTextFormat, parseTextChecked } from '../parsers/listing.js';
import { detectMdm, parseMdm } from '../parsers/mdm/index.js';
import { binaryReason, decodeText } from '../parsers/text.js';
import { ParseError } from '../parsers/types.js';
import type { FileReader } from './types.js';

/** Listings bigger than this are refused: a real device listing is a few MB at most (src/limits.ts). */
export const MAX_LISTING_BYTES = MAX_DOCUMENT_BYTES;

/** A line that starts an app in one of the line formats: pm list, dumpsys package, ideviceinstaller. */
const APP_LINE =
  /package:|[ \t]*Package \[|[ \t]*<key>CFBundleIdentifier<\/key>|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+ ?[,-] /y;

/**
 * Why a listing's text is too big to parse safely, or undefined. One linear pass that allocates
 * nothing, run before any parser: it bounds the line length, the number of lines, the number of
 * app-shaped lines and (for JSON) the number of objects and arrays, since parsing costs memory per
 * line, per app and per JSON value (a 59 MB JSON of 3 million objects costs 870 MB to parse).
 */
export const listingBoundsProblem = (text: string): string | undefined => {
  const json = /^\uFEFF?\s*[[{]/.test(text.slice(0, 1024));
  if (json) {
    let containers = 0;
    for (const open of ['{', '[']) {
      for (let i = text.indexOf(open); i !== -1; i = text.indexOf(open, i + 1)) {
        if (++containers > MAX_JSON_CONTAINERS) {
          return `more than ${MAX_JSON_CONTAINERS} JSON objects and arrays; a device inventory has far fewer (limit ${MAX_APPS_PER_INPUT} apps)`;
        }
      }
    }
    return undefined;
  }
  let lines = 0;
  let apps = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lines += 1;
    if (end - start > MAX_LINE_BYTES) {
      return `line ${lines} is ${end - start} characters long; lines longer than ${MAX_LINE_BYTES} are not device output`;
    }
    if (lines > MAX_LISTING_LINES) return `more than ${MAX_LISTING_LINES} lines`;
    APP_LINE.lastIndex = start;
    if (APP_LINE.test(text) && ++apps > MAX_APPS_PER_INPUT) {
      return `more than ${MAX_APPS_PER_INPUT} apps (line ${lines}); a phone has fewer than 3,000`;
    }
    start = end + 1;
  }
  return undefined;
};

const describe = (error: unknown): string =>
  error instanceof ParseError
    ? `${error.message}${error.line ? ` (line ${error.line})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);

/** A target with more apps than any device has is refused rather than reported (src/limits.ts). */
const capApps = (target: TargetResult): TargetResult =>
  target.apps.length > MAX_APPS_PER_INPUT
    ? failedTarget(
        target.id,
        target.kind,
        `refused: more than ${MAX_APPS_PER_INPUT} apps (${target.apps.length}); a phone has fewer than 3,000`,
      )
    : target;

/** Turn listing bytes into targets. Shared by files and stdin. */
export const readListingBytes = (
  bytes: Uint8Array,
  id: string,
  path: string,
  kind: TargetKind,
): TargetResult[] => {
  if (bytes.length > MAX_LISTING_BYTES) {
    return [
      failedTarget(
        id,
        kind,
        `input is ${bytes.length} bytes; listings larger than ${MAX_LISTING_BYTES} are refused`,
      ),
    ];
  }
  let text: string;
  try {
    text = decodeText(bytes);
  } catch (error) {
    return [failedTarget(id, kind, `cannot decode text: ${describe(error)}`)];
  }
  const tooBig = listingBoundsProblem(text);
  if (tooBig) return [failedTarget(id, kind, `refused: ${tooBig}`)];
  if (looksLikeInventory(text)) {
    try {
      return parseInventory(text, path).map(capApps);
    } catch (error) {
      return [failedTarget(id, 'inventory', describe(error))];
    }
  }
  const binary = binaryReason(text);
  if (binary) return [failedTarget(id, kind, `not a device listing: ${binary}`)];
  // MDM exports and inventory tables (src/parsers/mdm): only text no listing format claims.
  const mdm =
    // Both tests are pure, so their order changes nothing but cost: the listing test goes first,
    // as a few regex scans settle a device listing where the MDM detectors split up to 64 KiB.
    detectTextFormat(text) === undefined && detectMdm(text.slice(0, 65536)) !== undefined
      ? parseMdm(text, id, path, kind)
      : undefined;
  if (mdm) return mdm;
  try {
    const parsed = parseTextChecked(text, { target: id, path });
    const target: TargetResult = {
      id,
      kind,
      status: parsed.partial ? 'partial' : 'scanned',
      format: parsed.format,
      apps: parsed.apps,
      diagnostics: parsed.diagnostics,
    };
    if (parsed.partial) target.error = parsed.partial;
    if (parsed.device) target.device = parsed.device;
    if (parsed.profiles) target.profiles = parsed.profiles;
    return [capApps(target)];
  } catch (error) {
    return [failedTarget(id, kind, describe(error))];
  }
};

const looksLikeText = (head: Uint8Array): boolean => {
  if (head.length === 0) return true; // empty files get a clear "empty" error from the parser
  // UTF-16 BOMs are text; otherwise a NUL in the head means binary.
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  if (!head.includes(0)) return true;
  // UTF-16LE without a BOM (PowerShell redirection): decodeText recognises it by its NUL pattern.
  return !decodeText(head).includes('\0');
};

/** A reader that can also take the file's bytes when the caller already read the whole file. */
export interface BytesFileReader extends FileReader {
  readBytes(bytes: Uint8Array, path: string): TargetResult[];
}

export const takesBytes = (reader: FileReader): reader is BytesFileReader => 'readBytes' in reader;

export const listingReader: BytesFileReader = {
  name: 'listing',
  detect: (head) => {
    if (!looksLikeText(head)) return false;
    const text = decodeText(head);
    // Only JSON that names its format is claimed: other JSON in a scanned folder is not ours.
    return (
      looksLikeInventory(text) || detectListingFormat(text) !== undefined || detectMdm(text) !== undefined
    );
  },
  read: async (path) => {
    const info = await stat(path);
    if (info.size > MAX_LISTING_BYTES) {
      return [
        failedTarget(
          path,
          'listing',
          `file is ${info.size} bytes; listings larger than ${MAX_LISTING_BYTES} are refused`,
        ),
      ];
    }
    const bytes = await readFile(path);
    return readListingBytes(bytes, path, path, 'listing');
  },
  readBytes: (bytes, path) => readListingBytes(bytes, path, path, 'listing'),
};

/** A text file no other reader claimed: parse anyway so the user gets the parser's precise reason. */
export const fallbackTextReader: BytesFileReader = {
  name: 'text',
  detect: (head) => looksLikeText(head),
  read: listingReader.read,
  readBytes: listingReader.readBytes,
};
