/**
 * Saved listings (text outputs of pm/dumpsys/ideviceinstaller, androidqf JSON) and appwarden's own
 * inventory JSON, read from files or stdin. Detection is by content, never by file name.
 */
import { readFile, stat } from 'node:fs/promises';
import { failedTarget, type TargetKind, type TargetResult } from '../model.js';
import { looksLikeInventory, parseInventory } from '../parsers/inventory.js';
import { detectListingFormat, parseTextChecked } from '../parsers/listing.js';
import { detectMdm, parseMdm } from '../parsers/mdm/index.js';
import { binaryReason, decodeText } from '../parsers/text.js';
import { ParseError } from '../parsers/types.js';
import type { FileReader } from './types.js';

/** Listings bigger than this are refused: a real device listing is a few MB at most. */
export const MAX_LISTING_BYTES = 256 * 1024 * 1024;

const describe = (error: unknown): string =>
  error instanceof ParseError
    ? `${error.message}${error.line ? ` (line ${error.line})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);

/** Turn listing bytes into targets. Shared by files and stdin. */
export const readListingBytes = (
  bytes: Uint8Array,
  id: string,
  path: string,
  kind: TargetKind,
): TargetResult[] => {
  let text: string;
  try {
    text = decodeText(bytes);
  } catch (error) {
    return [failedTarget(id, kind, `cannot decode text: ${describe(error)}`)];
  }
  if (looksLikeInventory(text)) {
    try {
      return parseInventory(text, path);
    } catch (error) {
      return [failedTarget(id, 'inventory', describe(error))];
    }
  }
  const binary = binaryReason(text);
  if (binary) return [failedTarget(id, kind, `not a device listing: ${binary}`)];
  // MDM exports and inventory tables (src/parsers/mdm): only text no listing format claims.
  const mdm =
    detectMdm(text.slice(0, 65536)) !== undefined && detectListingFormat(text) === undefined
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
    return [target];
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
