import { ParseError } from './types.js';

/**
 * Pieces shared by Android's binary XML and resources.arsc: chunk headers, the string pool and
 * typed values (ResChunk_header, ResStringPool, Res_value in AOSP's ResourceTypes.h).
 */

export const CHUNK = {
  STRING_POOL: 0x0001,
  TABLE: 0x0002,
  XML: 0x0003,
  XML_START_NAMESPACE: 0x0100,
  XML_END_NAMESPACE: 0x0101,
  XML_START_ELEMENT: 0x0102,
  XML_END_ELEMENT: 0x0103,
  XML_CDATA: 0x0104,
  XML_RESOURCE_MAP: 0x0180,
  TABLE_PACKAGE: 0x0200,
  TABLE_TYPE: 0x0201,
  TABLE_TYPE_SPEC: 0x0202,
  TABLE_LIBRARY: 0x0203,
} as const;

export const VALUE_TYPE = {
  NULL: 0x00,
  REFERENCE: 0x01,
  ATTRIBUTE: 0x02,
  STRING: 0x03,
  FLOAT: 0x04,
  DIMENSION: 0x05,
  FRACTION: 0x06,
  DYNAMIC_REFERENCE: 0x07,
  INT_DEC: 0x10,
  INT_HEX: 0x11,
  BOOLEAN: 0x12,
} as const;

export interface Chunk {
  type: number;
  headerSize: number;
  size: number;
  /** Offset of the chunk in the enclosing buffer. */
  offset: number;
}

export const dataView = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Read a chunk header at `offset`, checking it fits inside `[offset, limit)`. */
export function readChunk(dv: DataView, offset: number, limit: number, what: string): Chunk {
  if (offset + 8 > limit) throw new ParseError(`${what}: chunk header at ${offset} runs past the data`);
  const type = dv.getUint16(offset, true);
  const headerSize = dv.getUint16(offset + 2, true);
  const size = dv.getUint32(offset + 4, true);
  if (headerSize < 8 || headerSize > size) {
    throw new ParseError(`${what}: chunk at ${offset} has bad header size ${headerSize} (size ${size})`);
  }
  if (offset + size > limit) {
    throw new ParseError(
      `${what}: chunk 0x${type.toString(16)} at ${offset} (size ${size}) runs past the data`,
    );
  }
  return { type, headerSize, size, offset };
}

export interface StringPool {
  count: number;
  get(index: number): string | undefined;
}

const MAX_STRINGS = 1_000_000;
const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf16 = new TextDecoder('utf-16le', { fatal: false });

/** Parse a string pool chunk lazily: strings are decoded on first use and cached. */
export function readStringPool(dv: DataView, chunk: Chunk, what: string): StringPool {
  if (chunk.headerSize < 28) throw new ParseError(`${what}: string pool header too small`);
  const base = chunk.offset;
  const end = base + chunk.size;
  const count = dv.getUint32(base + 8, true);
  const flags = dv.getUint32(base + 16, true);
  const stringsStart = dv.getUint32(base + 20, true);
  const isUtf8 = (flags & 0x100) !== 0;
  if (count > MAX_STRINGS || base + chunk.headerSize + count * 4 > end) {
    throw new ParseError(`${what}: string pool declares ${count} strings, more than fit`);
  }
  const dataStart = base + stringsStart;
  if (count > 0 && (stringsStart === 0 || dataStart > end))
    throw new ParseError(`${what}: string data out of range`);
  const cache = new Map<number, string | undefined>();
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);

  const decode = (index: number): string | undefined => {
    let pos = dataStart + dv.getUint32(base + chunk.headerSize + index * 4, true);
    if (isUtf8) {
      if (pos + 2 > end) return undefined;
      // UTF-16 length first (unused), then UTF-8 byte length; each 1 or 2 bytes.
      pos += (dv.getUint8(pos) & 0x80) !== 0 ? 2 : 1;
      if (pos + 1 > end) return undefined;
      let len = dv.getUint8(pos);
      if ((len & 0x80) !== 0) {
        if (pos + 2 > end) return undefined;
        len = ((len & 0x7f) << 8) | dv.getUint8(pos + 1);
        pos += 2;
      } else {
        pos += 1;
      }
      if (pos + len > end) return undefined;
      return utf8.decode(bytes.subarray(pos, pos + len));
    }
    if (pos + 2 > end) return undefined;
    let len = dv.getUint16(pos, true);
    pos += 2;
    if ((len & 0x8000) !== 0) {
      if (pos + 2 > end) return undefined;
      len = ((len & 0x7fff) << 16) | dv.getUint16(pos, true);
      pos += 2;
    }
    if (pos + len * 2 > end) return undefined;
    return utf16.decode(bytes.subarray(pos, pos + len * 2));
  };

  return {
    count,
    get(index: number): string | undefined {
      if (!Number.isInteger(index) || index < 0 || index >= count) return undefined;
      if (!cache.has(index)) cache.set(index, decode(index));
      return cache.get(index);
    },
  };
}

export interface TypedValue {
  type: number;
  data: number;
}

/** `@0x7f040001` style text for a reference that could not be resolved. */
export const formatReference = (id: number): string => `@0x${(id >>> 0).toString(16).padStart(8, '0')}`;
