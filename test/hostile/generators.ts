/**
 * One generator per attack class and per parser, for the hostile-input suite (hostile.test.ts) and
 * its benchmark (bench/hostile.js). Each builds the bytes of one file meant to crash, stall or
 * flood the scanner: counts and sizes beyond every limit, aliasing and fan-out that multiply work,
 * quadratic checks, deep nesting. Inputs stay small (a few MB at most, `scale` 1) so the suite is
 * fast; the benchmark raises `scale` to the sizes the issue reported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from '../../src/parsers/apk.js';
import { signingBlock, writeZip } from '../apk/zip-writer.js';
import { AbxWriter } from '../image/abx-writer.js';
import { readZipEntry } from '../ipa/zip-builder.js';

export interface HostileCase {
  /** Attack class, e.g. `bplist-aliasing`. */
  name: string;
  /** The parser under attack. */
  parser: string;
  /** File name in the scanned folder (extension matters for nothing but readability). */
  file: string;
  bytes: Uint8Array;
  /**
   * What the per-file error must say; undefined when the input is read to the end within its
   * budgets instead (the work is bounded, nothing is refused).
   */
  error?: RegExp;
}

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const repeat = (n: number, f: (i: number) => string): string => {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(f(i));
  return parts.join('');
};

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'fixtures');

// --- Apple formats -------------------------------------------------------------------------------

const be = (n: number, size: number): number[] => {
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return out;
};

/**
 * A binary Info.plist whose offset table points `refs` times at one `stringBytes`-long string:
 * { CFBundleIdentifier, CFBundleExecutable, X: [big, big, big …] }. Decoding every reference
 * separately costs refs × stringBytes (100 GB at scale 1 before the fix).
 */
export const aliasingBplist = (refs: number, stringBytes: number): Uint8Array => {
  const objects: number[][] = [];
  const intMarker = (n: number): number[] => [0x12, ...be(n, 4)];
  const ascii = (s: string): number[] => [
    ...(s.length < 15 ? [0x50 | s.length] : [0x5f, ...intMarker(s.length)]),
    ...Buffer.from(s, 'latin1'),
  ];
  const refSize = 3;
  // 0: top dict, 1..3 keys, 4..5 values, 6: array, 7: the big string, 8..: aliases of 7.
  const keys = ['CFBundleIdentifier', 'CFBundleExecutable', 'X'];
  const dict = [0xd3, ...[1, 2, 3, 4, 5, 6].flatMap((r) => be(r, refSize))];
  objects.push(dict);
  for (const k of keys) objects.push(ascii(k));
  objects.push(ascii('com.hostile.bplist'), ascii('App'));
  const arrayRefs: number[] = [];
  for (let i = 0; i < refs; i++) arrayRefs.push(...be(8 + i, refSize));
  objects.push([0xaf, ...intMarker(refs), ...arrayRefs]);
  objects.push([0x5f, ...intMarker(stringBytes)]); // header only; the bytes follow below
  const header = Buffer.from('bplist00', 'latin1');
  const parts: Buffer[] = [header];
  const offsets: number[] = [];
  let at = header.length;
  for (const o of objects) {
    offsets.push(at);
    parts.push(Buffer.from(o));
    at += o.length;
  }
  parts.push(Buffer.alloc(stringBytes, 0x41));
  at += stringBytes;
  const stringOffset = offsets[7]!;
  for (let i = 0; i < refs; i++) offsets.push(stringOffset);
  const offsetSize = 4;
  const tableOffset = at;
  parts.push(Buffer.from(offsets.flatMap((o) => be(o, offsetSize))));
  const trailer = Buffer.alloc(32);
  trailer[6] = offsetSize;
  trailer[7] = refSize;
  trailer.writeBigUInt64BE(BigInt(offsets.length), 8);
  trailer.writeBigUInt64BE(0n, 16);
  trailer.writeBigUInt64BE(BigInt(tableOffset), 24);
  parts.push(trailer);
  return new Uint8Array(Buffer.concat(parts));
};

const xmlPlist = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${body}\n</plist>\n`;

const infoPlist = (extra = ''): Uint8Array =>
  text(
    xmlPlist(
      `<dict><key>CFBundleIdentifier</key><string>com.hostile.ipa</string><key>CFBundleExecutable</key><string>App</string><key>CFBundleShortVersionString</key><string>1.0</string>${extra}</dict>`,
    ),
  );

const ipa = (entries: Array<{ name: string; data: Uint8Array }>): Uint8Array =>
  writeZip(entries.map((e) => ({ ...e, method: 8 })));

/** A thin 64-bit Mach-O whose LC_CODE_SIGNATURE points at `signature`. */
const machO = (signature: Uint8Array, extraCommands: Buffer[] = []): Uint8Array => {
  const codeSig = Buffer.alloc(16);
  const commands = Buffer.concat([...extraCommands, codeSig]);
  const headerSize = 32;
  const sigOffset = headerSize + commands.length;
  codeSig.writeUInt32LE(0x1d, 0);
  codeSig.writeUInt32LE(16, 4);
  codeSig.writeUInt32LE(sigOffset, 8);
  codeSig.writeUInt32LE(signature.length, 12);
  const all = Buffer.concat([...extraCommands, codeSig]);
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(0x0100000c, 4);
  header.writeUInt32LE(2, 12);
  header.writeUInt32LE(extraCommands.length + 1, 16);
  header.writeUInt32LE(all.length, 20);
  return new Uint8Array(Buffer.concat([header, all, Buffer.from(signature)]));
};

/** A SuperBlob holding a CodeDirectory and one CMS blob (0xfade0b01) with the given DER bytes. */
const superBlobWithCms = (der: Uint8Array): Uint8Array => {
  const strings = Buffer.from('com.hostile.ipa\0TEAMID1234\0', 'latin1');
  const cd = Buffer.alloc(52);
  cd.writeUInt32BE(0xfade0c02, 0);
  cd.writeUInt32BE(52 + strings.length, 4);
  cd.writeUInt32BE(0x20200, 8);
  cd.writeUInt32BE(52, 20);
  cd.writeUInt32BE(52 + 16, 48);
  const directory = Buffer.concat([cd, strings]);
  const wrapper = Buffer.alloc(8);
  wrapper.writeUInt32BE(0xfade0b01, 0);
  wrapper.writeUInt32BE(8 + der.length, 4);
  const headSize = 12 + 2 * 8;
  const head = Buffer.alloc(headSize);
  head.writeUInt32BE(0xfade0cc0, 0);
  head.writeUInt32BE(headSize + directory.length + 8 + der.length, 4);
  head.writeUInt32BE(2, 8);
  head.writeUInt32BE(0, 12);
  head.writeUInt32BE(headSize, 16);
  head.writeUInt32BE(0x10000, 20);
  head.writeUInt32BE(headSize + directory.length, 24);
  return new Uint8Array(Buffer.concat([head, directory, wrapper, Buffer.from(der)]));
};

/** `depth` nested constructed SEQUENCEs with 4-byte lengths: DER recursion and length bookkeeping. */
const deepDer = (depth: number): Uint8Array => {
  const out = Buffer.alloc(depth * 6);
  for (let i = 0; i < depth; i++) {
    out[i * 6] = 0x30;
    out[i * 6 + 1] = 0x84;
    out.writeUInt32BE(out.length - (i + 1) * 6, i * 6 + 2);
  }
  return new Uint8Array(out);
};

// --- Android formats -----------------------------------------------------------------------------

const abx = (build: (w: AbxWriter) => void): Uint8Array => {
  const w = new AbxWriter().startDocument();
  build(w);
  return w.endDocument().bytes();
};

/** An ABX packages.xml with `n` packages, each one string attribute (≈ 11 bytes a package). */
export const abxManyPackages = (n: number): Uint8Array =>
  abx((w) => {
    w.startTag('packages');
    for (let i = 0; i < n; i++)
      w.startTag('package').attribute('name', { type: 'interned', value: 'com.a' }).endTag('package');
    w.endTag('packages');
  });

/** A fixture APK's manifest with a generated resources.arsc, as an unsigned APK. */
const apkWithArsc = async (arsc: Uint8Array): Promise<Uint8Array> => {
  const base = new Uint8Array(readFileSync(path.join(FIXTURES, 'apk', 'unsigned.apk')));
  const manifest = await readZipEntry(base, 'AndroidManifest.xml');
  return writeZip([
    { name: 'AndroidManifest.xml', data: manifest, method: 8 },
    { name: 'resources.arsc', data: arsc, method: 0 },
  ]);
};

const fixtureManifest = async (): Promise<Uint8Array> =>
  readZipEntry(
    new Uint8Array(readFileSync(path.join(FIXTURES, 'apk', 'unsigned.apk'))),
    'AndroidManifest.xml',
  );

/** The label reference of the fixture manifest used by apkWithArsc. */
const fixtureLabelRef = async (): Promise<number> => {
  const base = new Uint8Array(readFileSync(path.join(FIXTURES, 'apk', 'unsigned.apk')));
  const facts = readManifest(await readZipEntry(base, 'AndroidManifest.xml'));
  if (facts.labelRef === undefined) throw new Error('fixture manifest has no label reference');
  return facts.labelRef;
};

/**
 * A resources.arsc where `chunks` type chunks (one per configuration) each hold, for every entry
 * of the label's type, a reference to the next entry (the last back to the label): resolving the
 * label without a visited set costs chunks^depth lookups (12 chunks never finished).
 */
export const arscFanOut = (labelRef: number, chunks: number): Uint8Array => {
  const packageId = (labelRef >>> 24) & 0xff;
  const typeId = (labelRef >>> 16) & 0xff;
  const entries = (labelRef & 0xffff) + 4;
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  // Global string pool with one UTF-8 string.
  const str = Buffer.concat([Buffer.from([1, 1]), Buffer.from('x'), Buffer.from([0])]);
  const poolBody = Buffer.concat([u32(0), str, Buffer.alloc((4 - (str.length % 4)) % 4)]);
  const pool = Buffer.concat([
    u16(0x0001),
    u16(28),
    u32(28 + poolBody.length),
    u32(1),
    u32(0),
    u32(0x100),
    u32(32),
    u32(0),
    poolBody,
  ]);
  const typeChunk = (config: number): Buffer => {
    const headerSize = 20 + 64;
    const offsets: Buffer[] = [];
    const bodies: Buffer[] = [];
    for (let i = 0; i < entries; i++) {
      offsets.push(u32(i * 16));
      const target = (labelRef & 0xffff0000) | ((i + 1) % entries);
      const idx = labelRef & 0xffff;
      const ref =
        i === entries - 1 ? labelRef : i === idx ? (labelRef & 0xffff0000) | ((idx + 1) % entries) : target;
      bodies.push(Buffer.concat([u16(8), u16(0), u32(0), u16(8), Buffer.from([0, 0x01]), u32(ref)]));
    }
    const cfg = Buffer.alloc(64);
    cfg.writeUInt32LE(64, 0);
    cfg.writeUInt16LE(config + 1, 0x1c); // a distinct density per chunk, so each is its own configuration
    const entriesStart = headerSize + entries * 4;
    const size = entriesStart + entries * 16;
    return Buffer.concat([
      u16(0x0201),
      u16(headerSize),
      u32(size),
      Buffer.from([typeId, 0]),
      u16(0),
      u32(entries),
      u32(entriesStart),
      cfg,
      ...offsets,
      ...bodies,
    ]);
  };
  const types = Buffer.concat(Array.from({ length: chunks }, (_, i) => typeChunk(i)));
  const pkgHeader = 288;
  const pkg = Buffer.concat([
    u16(0x0200),
    u16(pkgHeader),
    u32(pkgHeader + types.length),
    u32(packageId),
    Buffer.alloc(256),
    u32(0),
    u32(0),
    u32(0),
    u32(0),
    u32(0),
    types,
  ]);
  const size = 12 + pool.length + pkg.length;
  return new Uint8Array(Buffer.concat([u16(0x0002), u16(12), u32(size), u32(1), pool, pkg]));
};

/** An AndroidManifest.xml (AXML) whose string pool claims `count` strings with offsets outside it. */
const axmlHugePool = (count: number): Uint8Array => {
  const b = Buffer.alloc(8 + 28 + count * 4);
  b.writeUInt16LE(0x0003, 0);
  b.writeUInt16LE(8, 2);
  b.writeUInt32LE(b.length, 4);
  b.writeUInt16LE(0x0001, 8);
  b.writeUInt16LE(28, 10);
  b.writeUInt32LE(b.length - 8, 12);
  b.writeUInt32LE(count, 16);
  b.writeUInt32LE(0, 20);
  b.writeUInt32LE(0, 24);
  b.writeUInt32LE(28 + count * 4, 28);
  b.writeUInt32LE(0, 32);
  for (let i = 0; i < count; i++) b.writeUInt32LE(0x7fffffff, 36 + i * 4);
  return new Uint8Array(b);
};

// --- The cases -----------------------------------------------------------------------------------

/** Every hostile case at `scale` (1 for tests; the benchmark uses more). */
export const hostileCases = async (scale = 1): Promise<HostileCase[]> => {
  const labelRef = await fixtureLabelRef();
  const apps = Math.round(120_000 * scale);
  const cases: HostileCase[] = [
    {
      name: 'listing: too many apps',
      parser: 'pm-list',
      file: 'pm-many.txt',
      bytes: text(repeat(apps, (i) => `package:com.flood.a${i}\n`)),
      error: /more than 100000 apps/,
    },
    {
      name: 'listing: one huge line',
      parser: 'pm-list',
      file: 'pm-long-line.txt',
      bytes: text(`package:com.a.b\npackage:${'a'.repeat(Math.round(2_000_000 * scale))}\n`),
      error: /lines longer than/,
    },
    {
      name: 'listing: too many lines',
      parser: 'pm-list',
      file: 'pm-many-lines.txt',
      bytes: text(`package:com.a.b\n${'\n'.repeat(Math.round(2_100_000 * scale))}`),
      error: /more than 2000000 lines/,
    },
    {
      name: 'dumpsys: too many packages',
      parser: 'dumpsys-package',
      file: 'dumpsys-many.txt',
      bytes: text(
        `DUMP OF SERVICE package:\nPackages:\n${repeat(apps, (i) => `  Package [com.flood.a${i}] (1a2b${i.toString(16)}):\n    userId=10001\n`)}`,
      ),
      error: /more than 100000 apps/,
    },
    {
      name: 'ideviceinstaller text: too many apps',
      parser: 'ideviceinstaller-text',
      file: 'ios-many.txt',
      bytes: text(
        `CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName\n${repeat(apps, (i) => `com.flood.a${i}, "1.0", "A${i}"\n`)}`,
      ),
      error: /more than 100000 apps/,
    },
    {
      name: 'ideviceinstaller XML: deep nesting',
      parser: 'ideviceinstaller-xml',
      file: 'ios-deep.xml',
      bytes: text(
        xmlPlist(
          `<array>\n<dict>\n<key>CFBundleIdentifier</key>\n<string>com.a.b</string>\n<key>X</key>\n${'<array>\n'.repeat(Math.round(200_000 * scale))}`,
        ),
      ),
      error: /nested deeper than/,
    },
    {
      name: 'ideviceinstaller XML: too many apps',
      parser: 'ideviceinstaller-xml',
      file: 'ios-many.xml',
      bytes: text(
        xmlPlist(
          `<array>\n${repeat(apps, (i) => `<dict>\n<key>CFBundleIdentifier</key>\n<string>com.flood.a${i}</string>\n</dict>\n`)}</array>`,
        ),
      ),
      error: /more than 100000 apps/,
    },
    {
      name: 'androidqf JSON: too many objects',
      parser: 'androidqf-packages',
      file: 'packages.json',
      bytes: text(
        `[\n{"name": "com.a.b", "files": [], "installer": ""},\n${repeat(Math.round(600_000 * scale), () => '{},')}{}]`,
      ),
      error: /more than 500000 JSON/,
    },
    {
      name: 'inventory JSON: too many objects',
      parser: 'inventory',
      file: 'inventory.json',
      bytes: text(
        `{"tool": {"name": "appwarden", "version": "0.1.0"}, "targets": [{"id": "x", "apps": [${repeat(Math.round(600_000 * scale), () => '{},')}{}]}]}`,
      ),
      error: /more than 500000 JSON/,
    },
    {
      name: 'packages.xml: duplicate-attribute check on 200k attributes',
      parser: 'packages-xml',
      file: 'packages-attrs.xml',
      bytes: text(
        `<?xml version="1.0" encoding="utf-8" standalone="yes" ?>\n<packages>\n<package name="com.a.b" ${repeat(Math.round(200_000 * scale), (i) => `a${i}="" `)}/>\n</packages>\n`,
      ),
      // Read to the end: the duplicate check is one Set lookup per attribute (69 s before).
    },
    {
      name: 'packages.xml: too many packages',
      parser: 'packages-xml',
      file: 'packages-many.xml',
      bytes: text(
        `<?xml version="1.0" encoding="utf-8" standalone="yes" ?>\n<packages>\n${repeat(Math.round(160_000 * scale), (i) => `<package name="com.flood.a${i}"/>\n`)}</packages>\n`,
      ),
      error: /more than 150000 children|more than 100000 <package>/,
    },
    {
      name: 'ABX: duplicate-attribute check on 65k attributes',
      parser: 'abx',
      file: 'packages-attrs.abx',
      bytes: abx((w) => {
        w.startTag('packages').startTag('package').attribute('name', { type: 'string', value: 'com.a.b' });
        for (let i = 0; i < Math.round(65_000 * scale); i++) w.attribute(`a${i}`, { type: 'int', value: i });
        w.endTag('package').endTag('packages');
      }),
    },
    {
      name: 'ABX: too many packages',
      parser: 'abx',
      file: 'packages-many.abx',
      bytes: abxManyPackages(Math.round(160_000 * scale)),
      error: /more than 150000 children/,
    },
    {
      name: 'APK ZIP: manifest bomb',
      parser: 'zip',
      file: 'bomb.apk',
      bytes: writeZip([
        {
          name: 'AndroidManifest.xml',
          data: new Uint8Array(Math.round(200_000_000 * Math.min(scale, 1))),
          method: 8,
        },
      ]),
      error: /AndroidManifest\.xml declares 200000000 bytes, more than the limit/,
    },
    {
      name: 'APK signing block: lying size and many entries',
      parser: 'apk-signing-block',
      file: 'sigblock.apk',
      bytes: writeZip([{ name: 'AndroidManifest.xml', data: await fixtureManifest(), method: 8 }], {
        beforeCentralDirectory: signingBlock(
          Array.from({ length: Math.round(20_000 * scale) }, (_, i): [number, Uint8Array] => [
            i,
            new Uint8Array(4),
          ]),
        ),
      }),
      error: /APK Signing Block: too many entries/,
    },
    {
      name: 'AXML: string pool of 1M strings',
      parser: 'axml',
      file: 'axml.apk',
      bytes: writeZip([
        { name: 'AndroidManifest.xml', data: axmlHugePool(Math.round(1_000_000 * scale)), method: 8 },
      ]),
      error: /no <manifest> root/,
    },
    {
      name: 'arsc: label reference fan-out',
      parser: 'arsc',
      file: 'fanout.apk',
      bytes: await apkWithArsc(arscFanOut(labelRef, Math.round(12 * Math.max(1, scale)))),
    },
    {
      name: 'IPA ZIP: Info.plist bomb',
      parser: 'zip',
      file: 'bomb.ipa',
      bytes: writeZip([
        {
          name: 'Payload/App.app/Info.plist',
          data: new Uint8Array(Math.round(200_000_000 * Math.min(scale, 1))),
          method: 8,
        },
      ]),
      error: /Info\.plist declares 200000000 bytes, more than the limit/,
    },
    {
      name: 'plist: deep nesting',
      parser: 'plist',
      file: 'deep.ipa',
      bytes: ipa([
        {
          name: 'Payload/App.app/Info.plist',
          data: text(xmlPlist('<array>'.repeat(Math.round(300_000 * scale)))),
        },
      ]),
      error: /nested deeper than/,
    },
    {
      name: 'bplist: offset table aliasing one large string',
      parser: 'bplist',
      file: 'aliasing.ipa',
      bytes: ipa([
        { name: 'Payload/App.app/Info.plist', data: aliasingBplist(Math.round(100_000 * scale), 1_000_000) },
      ]),
      error: /more than \d+ bytes of strings and data/,
    },
    {
      name: 'CMS: deeply nested DER in the code signature',
      parser: 'cms',
      file: 'cms.ipa',
      bytes: ipa([
        { name: 'Payload/App.app/Info.plist', data: infoPlist() },
        { name: 'Payload/App.app/App', data: machO(superBlobWithCms(deepDer(Math.round(100_000 * scale)))) },
      ]),
    },
    {
      name: 'Mach-O: 65k load commands',
      parser: 'macho',
      file: 'macho.ipa',
      bytes: ipa([
        { name: 'Payload/App.app/Info.plist', data: infoPlist() },
        {
          name: 'Payload/App.app/App',
          data: machO(
            superBlobWithCms(deepDer(4)),
            Array.from({ length: 65_000 }, () => {
              const c = Buffer.alloc(8);
              c.writeUInt32LE(0x2a, 0);
              c.writeUInt32LE(8, 4);
              return c;
            }),
          ),
        },
      ]),
    },
  ];
  return cases;
};
