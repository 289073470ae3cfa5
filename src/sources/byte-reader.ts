import { type FileHandle, open } from 'node:fs/promises';
import { MAX_SINGLE_READ_BYTES } from '../limits.js';
import { ParseError } from '../parsers/types.js';

/** Random access to a file (or any byte source) with bounded reads and a count of bytes read. */
export interface ByteReader {
  readonly size: number;
  /** Bytes delivered so far by `read`. */
  readonly bytesRead: number;
  /** Read exactly `length` bytes at `offset`; throws ParseError when the range is outside the file or too large. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** No single read may exceed this (see src/limits.ts). */
const DEFAULT_MAX_READ = MAX_SINGLE_READ_BYTES;

const checkRange = (size: number, offset: number, length: number, max: number, what: string): void => {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new ParseError(`${what}: invalid read of ${length} bytes at ${offset}`);
  }
  if (length > max) throw new ParseError(`${what}: refusing to read ${length} bytes (limit ${max})`);
  if (offset + length > size) {
    throw new ParseError(`${what}: truncated (wanted ${length} bytes at ${offset}, file has ${size})`);
  }
};

class FileByteReader implements ByteReader {
  bytesRead = 0;
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly name: string,
    private readonly maxRead: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.size, offset, length, this.maxRead, this.name);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new ParseError(`${this.name}: file shrank while reading`);
      done += bytesRead;
    }
    this.bytesRead += length;
    return out;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export async function openFileByteReader(path: string, maxRead = DEFAULT_MAX_READ): Promise<ByteReader> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ParseError(`${path}: not a regular file`);
    return new FileByteReader(handle, stat.size, path, maxRead);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A reader over bytes already in memory (tests, or a tail fetched from a device). */
export function memoryByteReader(bytes: Uint8Array, name = 'buffer', maxRead = DEFAULT_MAX_READ): ByteReader {
  let count = 0;
  return {
    size: bytes.length,
    get bytesRead() {
      return count;
    },
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(bytes.length, offset, length, maxRead, name);
      count += length;
      return bytes.subarray(offset, offset + length);
    },
    async close(): Promise<void> {},
  };
}

/** Serve reads that fall inside bytes already fetched (the file tail) without reading again. */
export function withCachedRange(reader: ByteReader, cached: Uint8Array, cachedOffset: number): ByteReader {
  return {
    size: reader.size,
    get bytesRead() {
      return reader.bytesRead;
    },
    read(offset: number, length: number): Promise<Uint8Array> {
      if (offset >= cachedOffset && offset + length <= cachedOffset + cached.length && length >= 0) {
        return Promise.resolve(cached.subarray(offset - cachedOffset, offset - cachedOffset + length));
      }
      return reader.read(offset, length);
    },
    close: () => reader.close(),
  };
}
