import { deflateRawSync } from 'node:zlib';

/** A deliberately permissive ZIP writer for tests: it writes whatever sizes and methods it is told. */

export interface WriteEntry {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflate, anything else is written as-is with the data stored. */
  method?: number;
  /** Override the declared uncompressed size (hostile headers). */
  declaredSize?: number;
}

export interface WriteOptions {
  /** Bytes inserted between the last entry and the central directory (e.g. an APK Signing Block). */
  beforeCentralDirectory?: Uint8Array;
  /** Override the entry count in the EOCD. */
  declaredEntries?: number;
  /** Write ZIP64 end records (and 0xFFFFFFFF in the classic EOCD). */
  zip64?: boolean;
  comment?: Uint8Array;
}

const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const u64 = (v: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

export function writeZip(entries: WriteEntry[], options: WriteOptions = {}): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(e.data) : Buffer.from(e.data);
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(0x0800),
      u16(method),
      u32(0),
      u32(0),
      u32(body.length),
      u32(Math.min(size, 0xffffffff)),
      u16(name.length),
      u16(0),
      name,
    ]);
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(20),
        u16(20),
        u16(0x0800),
        u16(method),
        u32(0),
        u32(0),
        u32(body.length),
        u32(Math.min(size, 0xffffffff)),
        u16(name.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
        name,
      ]),
    );
    parts.push(local, body);
    offset += local.length + body.length;
  }
  if (options.beforeCentralDirectory) {
    parts.push(Buffer.from(options.beforeCentralDirectory));
    offset += options.beforeCentralDirectory.length;
  }
  const cd = Buffer.concat(central);
  const count = options.declaredEntries ?? entries.length;
  parts.push(cd);
  const comment = Buffer.from(options.comment ?? new Uint8Array());
  if (options.zip64) {
    const z64Offset = offset + cd.length;
    parts.push(
      Buffer.concat([
        u32(0x06064b50),
        u64(44),
        u16(45),
        u16(45),
        u32(0),
        u32(0),
        u64(count),
        u64(count),
        u64(cd.length),
        u64(offset),
      ]),
      Buffer.concat([u32(0x07064b50), u32(0), u64(z64Offset), u32(1)]),
      Buffer.concat([
        u32(0x06054b50),
        u16(0),
        u16(0),
        u16(0xffff),
        u16(0xffff),
        u32(0xffffffff),
        u32(0xffffffff),
        u16(comment.length),
        comment,
      ]),
    );
  } else {
    parts.push(
      Buffer.concat([
        u32(0x06054b50),
        u16(0),
        u16(0),
        u16(Math.min(count, 0xffff)),
        u16(Math.min(count, 0xffff)),
        u32(cd.length),
        u32(offset),
        u16(comment.length),
        comment,
      ]),
    );
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** An APK Signing Block holding the given (id, value) pairs. */
export function signingBlock(pairs: Array<[number, Uint8Array]>, sizeOverride?: bigint): Uint8Array {
  const body = Buffer.concat(
    pairs.map(([id, value]) => Buffer.concat([u64(value.length + 4), u32(id), value])),
  );
  const size = sizeOverride ?? BigInt(body.length + 24);
  return new Uint8Array(
    Buffer.concat([u64(size), body, u64(size), Buffer.from('APK Sig Block 42', 'latin1')]),
  );
}
