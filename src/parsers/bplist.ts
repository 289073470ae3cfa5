/**
 * Binary property lists (`bplist00`), the format of most Info.plist files inside IPAs and of
 * iTunes backup plists. Layout (CoreFoundation CFBinaryPList.c): 8-byte header, objects, an offset
 * table, and a 32-byte trailer giving the offset/ref sizes, object count, top object and table offset.
 *
 * Every count and offset comes from the file, so each is checked against the buffer before use;
 * objects can refer to each other, so cycles are detected and total expansion is bounded (a DAG of
 * shared arrays can otherwise expand exponentially).
 */
import {
  MAX_PLIST_DECODED_BYTES,
  MAX_PLIST_VALUES,
  PLIST_DECODED_BYTES_FLOOR,
  PLIST_DECODED_BYTES_PER_INPUT_BYTE,
} from '../limits.js';
import type { PlistValue } from './plist.js';
import { ParseError } from './types.js';

export interface BinaryPlistLimits {
  /** Deepest container nesting accepted. */
  maxDepth: number;
  /** Most values produced in total, counting every reference to a shared object again. */
  maxValues: number;
  /** Most bytes copied into `data` values in total. */
  maxDataBytes: number;
  /**
   * Most bytes of strings and data produced in total, counting every reference to the same object
   * again; undefined means a few times the input size (see src/limits.ts).
   */
  maxDecodedBytes?: number;
}

const DEFAULT_BPLIST_LIMITS: BinaryPlistLimits = {
  maxDepth: 64,
  maxValues: MAX_PLIST_VALUES,
  maxDataBytes: MAX_PLIST_DECODED_BYTES,
};

/** The decoded-bytes budget for an input of `size` bytes. */
export const decodedBytesBudget = (size: number): number =>
  Math.min(
    MAX_PLIST_DECODED_BYTES,
    Math.max(PLIST_DECODED_BYTES_FLOOR, size * PLIST_DECODED_BYTES_PER_INPUT_BYTE),
  );

const MAGIC = 'bplist0';
const HEADER_SIZE = 8;
const TRAILER_SIZE = 32;
/** Seconds between the Unix epoch and the Core Data epoch (2001-01-01T00:00:00Z). */
const APPLE_EPOCH_SECONDS = 978_307_200;

/** True when the bytes start like a binary plist (`bplist00`; `bplist01`.. are not produced by Apple). */
export const isBinaryPlist = (bytes: Uint8Array): boolean => {
  if (bytes.length < HEADER_SIZE) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
};

interface Trailer {
  offsetSize: number;
  refSize: number;
  numObjects: number;
  topObject: number;
  tableOffset: number;
}

/** Reads an unsigned big-endian integer of 1..8 bytes as a number, or throws when it exceeds 2^53. */
const readUInt = (bytes: Uint8Array, at: number, size: number, what: string): number => {
  let value = 0;
  for (let i = 0; i < size; i++) {
    value = value * 256 + (bytes[at + i] ?? 0);
  }
  if (!Number.isSafeInteger(value)) throw new ParseError(`binary plist: ${what} ${value} is too large`);
  return value;
};

const readTrailer = (bytes: Uint8Array): Trailer => {
  if (bytes.length < HEADER_SIZE + TRAILER_SIZE + 1) {
    throw new ParseError(`binary plist: file is too short (${bytes.length} bytes)`);
  }
  const t = bytes.length - TRAILER_SIZE;
  const offsetSize = bytes[t + 6] ?? 0;
  const refSize = bytes[t + 7] ?? 0;
  if (offsetSize < 1 || offsetSize > 8) throw new ParseError(`binary plist: bad offset size ${offsetSize}`);
  if (refSize < 1 || refSize > 8) throw new ParseError(`binary plist: bad object reference size ${refSize}`);
  const numObjects = readUInt(bytes, t + 8, 8, 'object count');
  const topObject = readUInt(bytes, t + 16, 8, 'top object');
  const tableOffset = readUInt(bytes, t + 24, 8, 'offset table position');
  if (numObjects < 1) throw new ParseError('binary plist: no objects');
  if (topObject >= numObjects) {
    throw new ParseError(`binary plist: top object ${topObject} is outside the ${numObjects} objects`);
  }
  // The offset table must sit between the header and the trailer: this also bounds numObjects by the file size.
  if (tableOffset < HEADER_SIZE || tableOffset + numObjects * offsetSize > t) {
    throw new ParseError(
      `binary plist: offset table (${numObjects} entries of ${offsetSize} bytes at ${tableOffset}) does not fit in ${bytes.length} bytes`,
    );
  }
  return { offsetSize, refSize, numObjects, topObject, tableOffset };
};

const decodeUtf16Be = (bytes: Uint8Array, start: number, units: number): string => {
  const codes: number[] = [];
  let out = '';
  for (let i = 0; i < units; i++) {
    codes.push(((bytes[start + 2 * i] ?? 0) << 8) | (bytes[start + 2 * i + 1] ?? 0));
    if (codes.length === 4096) {
      out += String.fromCharCode(...codes);
      codes.length = 0;
    }
  }
  return out + String.fromCharCode(...codes);
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/**
 * Parses a binary plist. Throws `ParseError` naming what is wrong for anything malformed:
 * bad trailer, offsets or lengths outside the file, unknown object types, cycles, too deep nesting,
 * or more values/bytes than the limits allow.
 */
export const parseBinaryPlist = (
  bytes: Uint8Array,
  limits: BinaryPlistLimits = DEFAULT_BPLIST_LIMITS,
): PlistValue => {
  if (!isBinaryPlist(bytes)) throw new ParseError('binary plist: missing "bplist00" header');
  const trailer = readTrailer(bytes);
  const { offsetSize, refSize, numObjects, tableOffset } = trailer;
  /** Objects must lie before the offset table. */
  const objectsEnd = tableOffset;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inProgress = new Set<number>();
  // Keyed by offset, not by reference: an offset table may point many references at one object.
  const stringCache = new Map<number, string>();
  const maxDecoded = limits.maxDecodedBytes ?? decodedBytesBudget(bytes.length);
  let values = 0;
  let dataBytes = 0;
  let decodedBytes = 0;
  /** Every string or data value handed out counts, cached or not: callers may copy each one. */
  const spend = (n: number, at: number): void => {
    decodedBytes += n;
    if (decodedBytes > maxDecoded) {
      throw new ParseError(
        `binary plist: more than ${maxDecoded} bytes of strings and data (object at ${at}; shared objects expand too far)`,
      );
    }
  };

  const objectOffset = (ref: number): number => {
    if (ref >= numObjects) throw new ParseError(`binary plist: object reference ${ref} >= ${numObjects}`);
    const offset = readUInt(bytes, tableOffset + ref * offsetSize, offsetSize, 'object offset');
    if (offset < HEADER_SIZE || offset >= objectsEnd) {
      throw new ParseError(`binary plist: object ${ref} offset ${offset} is outside the object area`);
    }
    return offset;
  };

  const need = (at: number, length: number, what: string): void => {
    if (length < 0 || at + length > objectsEnd) {
      throw new ParseError(`binary plist: ${what} at ${at} (${length} bytes) runs past the object area`);
    }
  };

  /** Reads the length nibble of a marker, or the int object following it when the nibble is 0xF. */
  const readCount = (at: number, nibble: number): { count: number; start: number } => {
    if (nibble !== 0x0f) return { count: nibble, start: at + 1 };
    need(at + 1, 1, 'length marker');
    const marker = bytes[at + 1] ?? 0;
    if (marker >> 4 !== 0x1) throw new ParseError(`binary plist: bad length marker 0x${marker.toString(16)}`);
    const size = 1 << (marker & 0x0f);
    if (size > 8) throw new ParseError(`binary plist: length of ${size} bytes at ${at}`);
    need(at + 2, size, 'length');
    return { count: readUInt(bytes, at + 2, size, 'length'), start: at + 2 + size };
  };

  const readRefs = (start: number, count: number, what: string): number[] => {
    need(start, count * refSize, what);
    const refs: number[] = [];
    for (let i = 0; i < count; i++) refs.push(readUInt(bytes, start + i * refSize, refSize, 'reference'));
    return refs;
  };

  const readInt = (at: number, size: number): number | bigint => {
    need(at, size, 'integer');
    if (size === 1) return view.getUint8(at);
    if (size === 2) return view.getUint16(at);
    if (size === 4) return view.getUint32(at);
    if (size === 8) {
      const big = view.getBigInt64(at);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    // 16-byte integers carry the value in the low 8 bytes (CoreFoundation writes them for large unsigned values).
    const big = view.getBigUint64(at + 8);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  };

  const parseObject = (ref: number, depth: number): PlistValue => {
    values += 1;
    if (values > limits.maxValues) {
      throw new ParseError(
        `binary plist: more than ${limits.maxValues} values (shared objects expand too far)`,
      );
    }
    const at = objectOffset(ref);
    const cached = stringCache.get(at);
    if (cached !== undefined) {
      spend(cached.length, at);
      return cached;
    }
    const marker = bytes[at] ?? 0;
    const type = marker >> 4;
    const nibble = marker & 0x0f;
    switch (type) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        throw new ParseError(`binary plist: unsupported singleton 0x${marker.toString(16)} at ${at}`);
      case 0x1:
        if (nibble > 4) throw new ParseError(`binary plist: integer of 2^${nibble} bytes at ${at}`);
        return readInt(at + 1, 1 << nibble);
      case 0x2:
        if (nibble === 2) {
          need(at + 1, 4, 'real');
          return view.getFloat32(at + 1);
        }
        if (nibble === 3) {
          need(at + 1, 8, 'real');
          return view.getFloat64(at + 1);
        }
        throw new ParseError(`binary plist: real of 2^${nibble} bytes at ${at}`);
      case 0x3: {
        if (marker !== 0x33) throw new ParseError(`binary plist: bad date marker 0x${marker.toString(16)}`);
        need(at + 1, 8, 'date');
        const ms = (view.getFloat64(at + 1) + APPLE_EPOCH_SECONDS) * 1000;
        if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
          throw new ParseError(`binary plist: date at ${at} is out of range`);
        }
        return new Date(ms);
      }
      case 0x4: {
        const { count, start } = readCount(at, nibble);
        need(start, count, 'data');
        spend(count, at);
        dataBytes += count;
        if (dataBytes > limits.maxDataBytes) {
          throw new ParseError(`binary plist: more than ${limits.maxDataBytes} bytes of data`);
        }
        return bytes.slice(start, start + count);
      }
      case 0x5:
      case 0x6:
      case 0x7: {
        const { count, start } = readCount(at, nibble);
        let text: string;
        if (type === 0x6) {
          need(start, count * 2, 'UTF-16 string');
          spend(count * 2, at);
          text = decodeUtf16Be(bytes, start, count);
        } else {
          need(start, count, 'string');
          spend(count, at);
          text = (type === 0x5 ? latin1 : utf8).decode(bytes.subarray(start, start + count));
        }
        stringCache.set(at, text);
        return text;
      }
      case 0x8: {
        // UIDs appear in NSKeyedArchiver plists; expose them the way the XML form spells them.
        const size = nibble + 1;
        if (size > 8) throw new ParseError(`binary plist: UID of ${size} bytes at ${at}`);
        need(at + 1, size, 'UID');
        return { CF$UID: readUInt(bytes, at + 1, size, 'UID') };
      }
      case 0xa:
      case 0xb:
      case 0xc:
      case 0xd: {
        if (depth >= limits.maxDepth) {
          throw new ParseError(`binary plist: nesting deeper than ${limits.maxDepth} levels`);
        }
        if (inProgress.has(ref)) throw new ParseError(`binary plist: object ${ref} contains itself (cycle)`);
        const { count, start } = readCount(at, nibble);
        inProgress.add(ref);
        try {
          if (type !== 0xd) {
            return readRefs(start, count, 'array').map((child) => parseObject(child, depth + 1));
          }
          const keyRefs = readRefs(start, count, 'dictionary keys');
          const valueRefs = readRefs(start + count * refSize, count, 'dictionary values');
          const dict: { [key: string]: PlistValue } = {};
          for (let i = 0; i < count; i++) {
            const key = parseObject(keyRefs[i] ?? 0, depth + 1);
            if (typeof key !== 'string')
              throw new ParseError(`binary plist: dictionary key at ${at} is not a string`);
            const value = parseObject(valueRefs[i] ?? 0, depth + 1);
            // defineProperty so that a key named "__proto__" stays an ordinary key.
            Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
          }
          return dict;
        } finally {
          inProgress.delete(ref);
        }
      }
      default:
        throw new ParseError(`binary plist: unknown object type 0x${marker.toString(16)} at ${at}`);
    }
  };

  return parseObject(trailer.topObject, 0);
};
