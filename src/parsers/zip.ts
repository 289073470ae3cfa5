import { inflateRawSync } from 'node:zlib';
import { ParseError } from './types.js';

/**
 * Pure ZIP structure reading over byte arrays: the caller decides which bytes to fetch.
 * Nothing here trusts a declared size before checking it against the bytes actually given.
 */

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIG = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIG = 0x04034b50;
export const LOCAL_HEADER_SIZE = 30;
/** The EOCD comment is at most 65,535 bytes, so the record lies within this many bytes of the end. */
export const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;

interface EndOfCentralDirectory {
  /** File offset of the EOCD record. */
  eocdOffset: number;
  /** Where the central directory really starts in the file (declared offset + shift). */
  cdOffset: number;
  cdSize: number;
  entries: number;
  zip64: boolean;
  /** Bytes of junk before the archive: actual position minus declared position (what `unzip` warns about). */
  shift: number;
}

export type EocdResult =
  | { kind: 'ok'; eocd: EndOfCentralDirectory }
  | { kind: 'need'; fromEnd: number }
  | { kind: 'invalid'; reason: string };

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** File offset of the local header, already corrected by the archive shift. */
  localHeaderOffset: number;
  crc: number;
  flags: number;
}

export interface CentralDirectoryLimits {
  maxEntries?: number;
  maxNameLength?: number;
  /** Added to every local header offset (junk prepended to the archive). */
  shift?: number;
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** u64 little-endian as a safe integer, or undefined when it exceeds 2^53. */
const readSafeU64 = (dv: DataView, offset: number): number | undefined => {
  const value = dv.getBigUint64(offset, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
};

/**
 * Find the End of Central Directory in the last `tail.length` bytes of a file of `fileSize` bytes.
 * `fileSize` defaults to the tail length (the whole file was given).
 */
export function findEndOfCentralDirectory(tail: Uint8Array, fileSize: number = tail.length): EocdResult {
  if (fileSize < EOCD_SIZE)
    return { kind: 'invalid', reason: `file too small for a ZIP (${fileSize} bytes)` };
  if (tail.length > fileSize) return { kind: 'invalid', reason: 'tail longer than the file' };
  if (tail.length < EOCD_SIZE) return { kind: 'need', fromEnd: Math.min(fileSize, MAX_EOCD_SEARCH) };
  const dv = view(tail);
  const base = fileSize - tail.length;
  const lowest = Math.max(0, tail.length - MAX_EOCD_SEARCH);
  let found = -1;
  for (let i = tail.length - EOCD_SIZE; i >= lowest; i--) {
    // The comment length must reach exactly to the end of the file, as apksig and Android require.
    if (dv.getUint32(i, true) === EOCD_SIG && dv.getUint16(i + 20, true) === tail.length - i - EOCD_SIZE) {
      found = i;
      break;
    }
  }
  if (found < 0) {
    if (tail.length < Math.min(fileSize, MAX_EOCD_SEARCH)) {
      return { kind: 'need', fromEnd: Math.min(fileSize, MAX_EOCD_SEARCH) };
    }
    return { kind: 'invalid', reason: 'no ZIP end of central directory record' };
  }
  const eocdOffset = base + found;
  let entries = dv.getUint16(found + 10, true);
  let cdSize = dv.getUint32(found + 12, true);
  let declaredCdOffset = dv.getUint32(found + 16, true);
  const diskNumber = dv.getUint16(found + 4, true);
  let zip64 = false;
  // The record the central directory ends against: the ZIP64 EOCD when there is one.
  let cdEnd = eocdOffset;
  const needs64 = entries === 0xffff || cdSize === 0xffffffff || declaredCdOffset === 0xffffffff;
  const loc = found - ZIP64_LOCATOR_SIZE;
  if (loc >= 0 && dv.getUint32(loc, true) === ZIP64_LOCATOR_SIG) {
    const z64Declared = readSafeU64(dv, loc + 8);
    // Trust position over the declared offset (it is shifted too when junk was prepended).
    const z64 = found - ZIP64_LOCATOR_SIZE - ZIP64_EOCD_SIZE;
    if (z64Declared === undefined) return { kind: 'invalid', reason: 'ZIP64 locator offset out of range' };
    if (z64 < 0) {
      if (base === 0) return { kind: 'invalid', reason: 'truncated ZIP64 end of central directory' };
      return { kind: 'need', fromEnd: Math.min(fileSize, tail.length + ZIP64_EOCD_SIZE) };
    }
    if (dv.getUint32(z64, true) !== ZIP64_EOCD_SIG) {
      if (needs64) return { kind: 'invalid', reason: 'ZIP64 end of central directory record not found' };
    } else {
      const e = readSafeU64(dv, z64 + 32);
      const s = readSafeU64(dv, z64 + 40);
      const o = readSafeU64(dv, z64 + 48);
      if (e === undefined || s === undefined || o === undefined) {
        return { kind: 'invalid', reason: 'ZIP64 end of central directory values out of range' };
      }
      entries = e;
      cdSize = s;
      declaredCdOffset = o;
      zip64 = true;
      cdEnd = base + z64;
    }
  } else if (needs64) {
    return { kind: 'invalid', reason: 'ZIP64 archive without a ZIP64 end of central directory locator' };
  }
  if (diskNumber !== 0 && diskNumber !== 0xffff)
    return { kind: 'invalid', reason: 'multi-disk ZIP archives are not supported' };
  if (cdSize > cdEnd)
    return { kind: 'invalid', reason: `central directory size ${cdSize} exceeds its position ${cdEnd}` };
  const cdOffset = cdEnd - cdSize;
  const shift = cdOffset - declaredCdOffset;
  if (shift < 0) {
    return {
      kind: 'invalid',
      reason: `central directory offset ${declaredCdOffset} points past the end of the archive`,
    };
  }
  return { kind: 'ok', eocd: { eocdOffset, cdOffset, cdSize, entries, zip64, shift } };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Parse `bytes` (exactly the central directory) into entries, refusing more than the limits allow. */
export function parseCentralDirectory(
  bytes: Uint8Array,
  declaredEntries: number,
  limits: CentralDirectoryLimits = {},
): ZipEntry[] {
  const maxEntries = limits.maxEntries ?? 200_000;
  const maxNameLength = limits.maxNameLength ?? 4096;
  const shift = limits.shift ?? 0;
  if (declaredEntries > maxEntries) {
    throw new ParseError(`ZIP declares ${declaredEntries} entries, more than the limit of ${maxEntries}`);
  }
  const dv = view(bytes);
  const entries: ZipEntry[] = [];
  let pos = 0;
  while (pos + CENTRAL_SIZE <= bytes.length && entries.length < declaredEntries) {
    if (dv.getUint32(pos, true) !== CENTRAL_SIG) {
      throw new ParseError(`bad central directory header signature at entry ${entries.length}`);
    }
    const flags = dv.getUint16(pos + 8, true);
    const method = dv.getUint16(pos + 10, true);
    const crc = dv.getUint32(pos + 16, true);
    let compressedSize = dv.getUint32(pos + 20, true);
    let size = dv.getUint32(pos + 24, true);
    const nameLength = dv.getUint16(pos + 28, true);
    const extraLength = dv.getUint16(pos + 30, true);
    const commentLength = dv.getUint16(pos + 32, true);
    let localHeaderOffset = dv.getUint32(pos + 42, true);
    const next = pos + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > bytes.length)
      throw new ParseError(`central directory entry ${entries.length} runs past its end`);
    if (nameLength > maxNameLength) {
      throw new ParseError(`ZIP entry name of ${nameLength} bytes exceeds the limit of ${maxNameLength}`);
    }
    const name = utf8.decode(bytes.subarray(pos + CENTRAL_SIZE, pos + CENTRAL_SIZE + nameLength));
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      // ZIP64 extended information: only the fields that overflowed are present, in this order.
      let e = pos + CENTRAL_SIZE + nameLength;
      const extraEnd = e + extraLength;
      while (e + 4 <= extraEnd) {
        const id = dv.getUint16(e, true);
        const len = dv.getUint16(e + 2, true);
        if (e + 4 + len > extraEnd) break;
        if (id === 0x0001) {
          let f = e + 4;
          const take = (): number => {
            if (f + 8 > e + 4 + len)
              throw new ParseError(`truncated ZIP64 extra field in ${JSON.stringify(name)}`);
            const v = readSafeU64(dv, f);
            if (v === undefined) throw new ParseError(`ZIP64 value out of range in ${JSON.stringify(name)}`);
            f += 8;
            return v;
          };
          if (size === 0xffffffff) size = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
          break;
        }
        e += 4 + len;
      }
    }
    entries.push({
      name,
      method,
      compressedSize,
      size,
      localHeaderOffset: localHeaderOffset + shift,
      crc,
      flags,
    });
    pos = next;
  }
  if (entries.length < declaredEntries && entries.length < 0xffff) {
    throw new ParseError(`central directory holds ${entries.length} entries but declares ${declaredEntries}`);
  }
  return entries;
}

/**
 * Names that more than one central directory entry carries, each once, in order of first repeat.
 * Android's libziparchive, aapt and apksigner refuse such archives: two readers of the same file
 * could otherwise see different content (the "master key" bugs), so a duplicate is never resolved
 * by picking one.
 */
export function duplicateEntryNames(entries: readonly ZipEntry[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name)) repeated.add(name);
    else seen.add(name);
  }
  return [...repeated];
}

/**
 * Bytes in front of the first entry's local header: data that precedes the archive (a DEX file
 * in the Janus DEX+APK polyglot, a self-extractor stub). 0 for an ordinary archive or no entries.
 */
export function dataBeforeFirstEntry(entries: readonly ZipEntry[]): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const e of entries) if (e.localHeaderOffset < lowest) lowest = e.localHeaderOffset;
  return Number.isFinite(lowest) ? lowest : 0;
}

/** Offset of the entry's data from its local header, given at least the 30-byte fixed local header. */
export function localDataOffset(localHeader: Uint8Array, entry: ZipEntry): number {
  if (localHeader.length < LOCAL_HEADER_SIZE)
    throw new ParseError(`truncated local header for ${entry.name}`);
  const dv = view(localHeader);
  if (dv.getUint32(0, true) !== LOCAL_SIG)
    throw new ParseError(`bad local header signature for ${entry.name}`);
  return LOCAL_HEADER_SIZE + dv.getUint16(26, true) + dv.getUint16(28, true);
}

/**
 * Return the uncompressed bytes of `entry` from its local header + data. Sizes are checked against
 * `maxSize` before anything is allocated, and inflation stops at `maxSize` whatever the header claims.
 */
export function inflateEntry(localHeaderAndData: Uint8Array, entry: ZipEntry, maxSize: number): Uint8Array {
  if (entry.flags & 1) throw new ParseError(`${entry.name} is encrypted`);
  if (entry.size > maxSize) {
    throw new ParseError(`${entry.name} declares ${entry.size} bytes, more than the limit of ${maxSize}`);
  }
  const start = localDataOffset(localHeaderAndData, entry);
  const end = start + entry.compressedSize;
  if (end > localHeaderAndData.length) throw new ParseError(`${entry.name} is truncated`);
  const data = localHeaderAndData.subarray(start, end);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size)
      throw new ParseError(`stored entry ${entry.name} has mismatched sizes`);
    return data;
  }
  if (entry.method !== 8)
    throw new ParseError(`${entry.name} uses unsupported compression method ${entry.method}`);
  try {
    const out = inflateRawSync(data, { maxOutputLength: Math.max(1, maxSize) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ParseError(`${entry.name} inflates to more than the limit of ${maxSize} bytes`);
    }
    throw new ParseError(`${entry.name} is not valid deflate data: ${(error as Error).message}`);
  }
}
