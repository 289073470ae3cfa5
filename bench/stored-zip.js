// A stored-entries ZIP writer for the benchmarks' generated APKs: entries go straight to disk, so a
// 500 MB file never sits in memory. `raw` writes bytes between the entries and the central directory
// (an APK Signing Block).
import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

const u16 = (v) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};

export function storedZipWriter(path) {
  const fd = openSync(path, 'w');
  const central = [];
  let offset = 0;
  return {
    get offset() {
      return offset;
    },
    add(name, data) {
      const n = Buffer.from(name);
      // node:zlib has crc32 from Node 20.15; the reader does not check it, so 0 is fine before that.
      const header = [
        u16(20),
        u16(0x0800),
        u16(0),
        u32(0),
        u32(crc32 ? crc32(data) : 0),
        u32(data.length),
        u32(data.length),
        u16(n.length),
      ];
      const local = Buffer.concat([u32(0x04034b50), ...header, u16(0), n]);
      writeSync(fd, local);
      writeSync(fd, data);
      central.push(
        Buffer.concat([
          u32(0x02014b50),
          u16(20),
          ...header,
          u16(0),
          u16(0),
          u16(0),
          u16(0),
          u32(0),
          u32(offset),
          n,
        ]),
      );
      offset += local.length + data.length;
    },
    raw(bytes) {
      writeSync(fd, bytes);
      offset += bytes.length;
    },
    close() {
      const cd = Buffer.concat(central);
      writeSync(fd, cd);
      writeSync(
        fd,
        Buffer.concat([
          u32(0x06054b50),
          u16(0),
          u16(0),
          u16(central.length),
          u16(central.length),
          u32(cd.length),
          u32(offset),
          u16(0),
        ]),
      );
      closeSync(fd);
    },
  };
}
