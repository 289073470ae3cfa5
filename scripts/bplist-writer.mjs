// Minimal binary plist (bplist00) writer for fixtures and round-trip tests: the reverse of
// src/parsers/bplist.ts, written independently from CoreFoundation's layout description.
// Values: string, number (integers as int, others as real), bigint, boolean, Date, Uint8Array,
// arrays and plain objects. Equal strings are written once, as CoreFoundation does.

const APPLE_EPOCH_MS = 978_307_200_000;

const sizeFor = (max) => (max < 0x100 ? 1 : max < 0x10000 ? 2 : max < 0x100000000 ? 4 : 8);

const uintBytes = (value, size) => {
  const out = new Uint8Array(size);
  let v = BigInt(value);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};

const intObject = (value) => {
  const v = BigInt(value);
  if (v >= 0n && v < 0x100n) return Uint8Array.of(0x10, Number(v));
  if (v >= 0n && v < 0x10000n) return Uint8Array.of(0x11, ...uintBytes(v, 2));
  if (v >= 0n && v < 0x100000000n) return Uint8Array.of(0x12, ...uintBytes(v, 4));
  // Negative and large values: 8-byte two's complement.
  return Uint8Array.of(0x13, ...uintBytes(BigInt.asUintN(64, v), 8));
};

const lengthMarker = (type, count) =>
  count < 15 ? Uint8Array.of((type << 4) | count) : Uint8Array.of((type << 4) | 0x0f, ...intObject(count));

const isAscii = (text) => [...text].every((c) => c.charCodeAt(0) < 0x80);

/** @param {unknown} root @returns {Uint8Array} */
export function writeBinaryPlist(root) {
  const objects = [];
  const strings = new Map();
  const refs = new Map();

  const add = (value) => {
    if (typeof value === 'string') {
      const known = strings.get(value);
      if (known !== undefined) return known;
      const index = objects.length;
      objects.push({ value });
      strings.set(value, index);
      return index;
    }
    const index = objects.length;
    const entry = { value };
    objects.push(entry);
    if (Array.isArray(value)) {
      entry.children = value.map(add);
    } else if (
      value !== null &&
      typeof value === 'object' &&
      !(value instanceof Date) &&
      !(value instanceof Uint8Array)
    ) {
      const keys = Object.keys(value);
      const keyRefs = keys.map(add);
      entry.children = [...keyRefs, ...keys.map((key) => add(value[key]))];
      entry.dict = true;
    }
    refs.set(entry, index);
    return index;
  };
  add(root);

  const refSize = sizeFor(objects.length);
  const chunks = [new TextEncoder().encode('bplist00')];
  let position = 8;
  const offsets = [];
  const push = (bytes) => {
    chunks.push(bytes);
    position += bytes.length;
  };
  for (const entry of objects) {
    offsets.push(position);
    const { value } = entry;
    if (entry.children !== undefined) {
      const count = entry.dict ? entry.children.length / 2 : entry.children.length;
      push(lengthMarker(entry.dict ? 0xd : 0xa, count));
      for (const child of entry.children) push(uintBytes(child, refSize));
    } else if (typeof value === 'string') {
      if (isAscii(value)) {
        push(lengthMarker(0x5, value.length));
        push(Uint8Array.from(value, (c) => c.charCodeAt(0)));
      } else {
        push(lengthMarker(0x6, value.length));
        const out = new Uint8Array(value.length * 2);
        for (let i = 0; i < value.length; i++) {
          out[2 * i] = value.charCodeAt(i) >> 8;
          out[2 * i + 1] = value.charCodeAt(i) & 0xff;
        }
        push(out);
      }
    } else if (typeof value === 'boolean') {
      push(Uint8Array.of(value ? 0x09 : 0x08));
    } else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
      push(intObject(value));
    } else if (typeof value === 'number') {
      const out = new Uint8Array(9);
      out[0] = 0x23;
      new DataView(out.buffer).setFloat64(1, value);
      push(out);
    } else if (value instanceof Date) {
      const out = new Uint8Array(9);
      out[0] = 0x33;
      new DataView(out.buffer).setFloat64(1, (value.getTime() - APPLE_EPOCH_MS) / 1000);
      push(out);
    } else if (value instanceof Uint8Array) {
      push(lengthMarker(0x4, value.length));
      push(value);
    } else {
      throw new Error(`cannot write ${typeof value} to a binary plist`);
    }
  }
  const tableOffset = position;
  const offsetSize = sizeFor(tableOffset);
  for (const offset of offsets) push(uintBytes(offset, offsetSize));
  const trailer = new Uint8Array(32);
  trailer[6] = offsetSize;
  trailer[7] = refSize;
  trailer.set(uintBytes(objects.length, 8), 8);
  trailer.set(uintBytes(0, 8), 16);
  trailer.set(uintBytes(tableOffset, 8), 24);
  push(trailer);
  const out = new Uint8Array(position);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const escapeXml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** @param {unknown} root @returns {string} an Apple XML plist */
export function writeXmlPlist(root) {
  const lines = [];
  const write = (value, indent) => {
    const pad = '\t'.repeat(indent);
    if (typeof value === 'string') lines.push(`${pad}<string>${escapeXml(value)}</string>`);
    else if (typeof value === 'boolean') lines.push(`${pad}<${value}/>`);
    else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)))
      lines.push(`${pad}<integer>${value}</integer>`);
    else if (typeof value === 'number') lines.push(`${pad}<real>${value}</real>`);
    else if (value instanceof Date)
      lines.push(`${pad}<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
    else if (value instanceof Uint8Array)
      lines.push(`${pad}<data>${Buffer.from(value).toString('base64')}</data>`);
    else if (Array.isArray(value)) {
      lines.push(`${pad}<array>`);
      for (const item of value) write(item, indent + 1);
      lines.push(`${pad}</array>`);
    } else {
      lines.push(`${pad}<dict>`);
      for (const [key, item] of Object.entries(value)) {
        lines.push(`${pad}\t<key>${escapeXml(key)}</key>`);
        write(item, indent + 1);
      }
      lines.push(`${pad}</dict>`);
    }
  };
  write(root, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    ...lines,
    '</plist>',
    '',
  ].join('\n');
}
