/** Writes small ZIP archives for hostile-input tests (sizes and offsets can be made to lie). */
import { deflateRawSync } from 'node:zlib';

export interface BuildEntry {
  name: string;
  data: Uint8Array;
  /** Deflate (default) or store. */
  store?: boolean;
  /** Overrides the uncompressed size written in the headers. */
  declaredSize?: number;
  /** Already-deflated bytes to store as they are (`data` is then ignored). */
  deflated?: Uint8Array;
}

export const buildZip = (entries: BuildEntry[]): Uint8Array => {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const body = entry.deflated ?? (entry.store ? Buffer.from(entry.data) : deflateRawSync(entry.data));
    const size = entry.declaredSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.store ? 0 : 8, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.store ? 0 : 8, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, eocd]));
};

/** Reads one entry of an in-memory ZIP with the project's own ZIP reader. */
export const readZipEntry = async (zip: Uint8Array, name: string): Promise<Uint8Array> => {
  const { findEndOfCentralDirectory, parseCentralDirectory, inflateEntry } = await import(
    '../../src/parsers/zip.js'
  );
  const found = findEndOfCentralDirectory(zip);
  if (found.kind !== 'ok') throw new Error(`not a zip: ${JSON.stringify(found)}`);
  const { cdOffset, cdSize, entries, shift } = found.eocd;
  const entry = parseCentralDirectory(zip.subarray(cdOffset, cdOffset + cdSize), entries, { shift }).find(
    (e) => e.name === name,
  );
  if (entry === undefined) throw new Error(`${name} not in zip`);
  return inflateEntry(zip.subarray(entry.localHeaderOffset), entry, 64 * 1024 * 1024);
};
