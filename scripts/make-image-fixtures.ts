/**
 * Generates the packages.xml and Android image fixtures:
 *   fixtures/packages-xml/android11-packages.xml  text packages.xml (Android ≤ 11 style)
 *   fixtures/packages-xml/android14-packages.abx   the same content as ABX (Android 12+), typed as AOSP does
 *   fixtures/packages-xml/expected.json           what a reader must report, digests from `openssl x509`
 *   fixtures/image/android-14/…                   an image tree with small signed APKs and an ABX packages.xml
 *   fixtures/image/broken/…                       an image with a corrupt APK and a truncated packages.xml
 *   fixtures/image/keys/*.p12                     the signing keys, reused on later runs so digests stay put
 * Run: npx vite-node scripts/make-image-fixtures.ts
 * Needs Debian packages: openjdk (keytool), apksigner, zip, openssl; aapt to cross-check the APKs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXml, type XmlElement } from '../src/parsers/xml.js';
import { packagesXmlAttributeType, writeAbxTree } from '../test/image/abx-writer.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fx = (...p: string[]): string => join(root, 'fixtures', ...p);
const work = mkdtempSync(join(tmpdir(), 'appwarden-image-'));

const run = (cmd: string, args: string[], cwd = work): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// ---------------------------------------------------------------- keys and certificates
const KEYS: Record<string, string> = {
  platform: 'CN=Fixture Platform, O=Fixture AOSP Platform, C=US',
  google: 'CN=Fixture Google, O=Fixture Google, C=US',
  bytedance: 'CN=Fixture ByteDance, O=Fixture ByteDance, C=SG',
  tencent: 'CN=Fixture Tencent, O=Fixture Tencent, C=CN',
  'kasper-old': 'CN=Fixture Kaspersky 2015, O=Fixture Kaspersky, C=RU',
  'kasper-new': 'CN=Fixture Kaspersky 2024, O=Fixture Kaspersky, C=RU',
  vendor: 'CN=Fixture Vendor, O=Fixture Vendor, C=KR',
};
const keyDir = fx('image', 'keys');
mkdirSync(keyDir, { recursive: true });
const keystore = (name: string): string => join(keyDir, `${name}.p12`);
const cert: Record<string, { der: Buffer; sha256: string }> = {};
for (const [name, dname] of Object.entries(KEYS)) {
  if (!existsSync(keystore(name))) {
    run('keytool', [
      '-genkeypair',
      ...['-keystore', keystore(name), '-storetype', 'PKCS12', '-storepass', `pass-${name}`],
      ...['-alias', name, '-keyalg', 'RSA', '-keysize', '2048', '-validity', '20000', '-dname', dname],
    ]);
  }
  const derPath = join(work, `${name}.der`);
  run('keytool', [
    '-exportcert',
    '-keystore',
    keystore(name),
    '-storepass',
    `pass-${name}`,
    '-alias',
    name,
    '-file',
    derPath,
  ]);
  const fingerprint = run('openssl', [
    'x509',
    '-inform',
    'DER',
    '-in',
    derPath,
    '-noout',
    '-fingerprint',
    '-sha256',
  ]);
  const sha256 = (fingerprint.split('=')[1] ?? '').trim().replace(/:/g, '').toLowerCase();
  cert[name] = { der: readFileSync(derPath), sha256 };
}
const certOf = (name: string): { der: Buffer; sha256: string } => {
  const c = cert[name];
  if (!c) throw new Error(`no key ${name}`);
  return c;
};

// ---------------------------------------------------------------- packages.xml content
interface Pkg {
  name: string;
  codePath: string;
  version: number;
  /** publicFlags; bit 0 SYSTEM, 0x80 UPDATED_SYSTEM_APP. */
  flags: number;
  sharedUserId?: number;
  userId?: number;
  installer?: string;
  initiator?: string;
  /** Signing key names: current signer; `past` lists the lineage oldest first (ending with current). */
  keys: string[];
  past?: string[];
  factory?: { codePath: string; version: number };
}

const FT = '18b7a1c2d00';
const PACKAGES: Pkg[] = [
  {
    name: 'android',
    codePath: '/system/framework/framework-res.apk',
    version: 34,
    flags: 0x30c8be49,
    sharedUserId: 1000,
    keys: ['platform'],
  },
  {
    name: 'com.android.settings',
    codePath: '/system/priv-app/Settings',
    version: 34,
    flags: 0x38c83e45,
    sharedUserId: 1000,
    keys: ['platform'],
  },
  // No <sigs> of its own: the certificate comes from the shared-user block.
  {
    name: 'com.android.providers.settings',
    codePath: '/system/priv-app/SettingsProvider',
    version: 34,
    flags: 0x38c83e45,
    sharedUserId: 1000,
    keys: [],
  },
  {
    name: 'com.android.calculator2',
    codePath: '/system/app/Calculator',
    version: 8,
    flags: 0x30c8be45,
    userId: 10050,
    keys: ['platform'],
  },
  {
    name: 'com.google.android.youtube',
    codePath: '/data/app/~~Qx1bA7==/com.google.android.youtube-Zk2pL9==',
    version: 1541,
    flags: 0x30c8bec5,
    userId: 10120,
    installer: 'com.android.vending',
    keys: ['google'],
    factory: { codePath: '/product/app/YouTube', version: 1500 },
  },
  {
    name: 'com.zhiliaoapp.musically',
    codePath: '/data/app/~~Rt5mN2==/com.zhiliaoapp.musically-Pp9xQ4==',
    version: 2023405030,
    flags: 0x30c8be44,
    userId: 10150,
    installer: 'com.android.vending',
    initiator: 'com.android.vending',
    keys: ['bytedance'],
  },
  {
    name: 'com.ss.android.ugc.trill',
    codePath: '/data/app/~~Tt1oP3==/com.ss.android.ugc.trill-Uu2==',
    version: 330105,
    flags: 0x30c8be44,
    userId: 10151,
    installer: 'com.android.vending',
    keys: ['bytedance'],
  },
  {
    name: 'com.tencent.mm',
    codePath: '/data/app/~~Ww7cD1==/com.tencent.mm-Aa1sF5==',
    version: 2380,
    flags: 0x30c8be44,
    userId: 10152,
    installer: 'com.google.android.packageinstaller',
    initiator: 'com.google.android.packageinstaller',
    keys: ['tencent'],
  },
  {
    name: 'com.kms.free',
    codePath: '/data/app/~~Kk3==/com.kms.free-Ll4==',
    version: 11990,
    flags: 0x30c8be44,
    userId: 10153,
    installer: 'com.android.vending',
    keys: ['kasper-new'],
    past: ['kasper-old', 'kasper-new'],
  },
  {
    name: 'com.vendor.tool',
    codePath: '/vendor/app/VendorTool',
    version: 3,
    flags: 0x30c8be45,
    userId: 10060,
    keys: ['vendor'],
  },
  {
    name: 'com.example.flat',
    codePath: '/system/app/Flat.apk',
    version: 1,
    flags: 0x30c8be45,
    userId: 10061,
    keys: ['platform'],
  },
];
const SHARED_USERS = [{ name: 'android.uid.system', userId: 1000, keys: ['platform'] }];

const packagesXmlText = (sdk: number): string => {
  const indexOf = new Map<string, number>();
  const certXml = (key: string, indent: string, flags?: number): string => {
    const extra = flags === undefined ? '' : ` flags="${flags}"`;
    const known = indexOf.get(key);
    if (known !== undefined) return `${indent}<cert index="${known}"${extra} />\n`;
    const index = indexOf.size;
    indexOf.set(key, index);
    return `${indent}<cert index="${index}" key="${certOf(key).der.toString('hex')}"${extra} />\n`;
  };
  const sigsXml = (keys: string[], past: string[] | undefined, indent: string): string => {
    if (keys.length === 0) return '';
    let s = `${indent}<sigs count="${keys.length}" schemeVersion="${past ? 3 : 2}">\n`;
    for (const k of keys) s += certXml(k, `${indent}    `);
    if (past) {
      s += `${indent}    <pastSigs count="${past.length}" schemeVersion="3">\n`;
      for (const k of past) s += certXml(k, `${indent}        `, 23);
      s += `${indent}    </pastSigs>\n`;
    }
    return `${s}${indent}</sigs>\n`;
  };
  let xml = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<packages>\n";
  xml += `    <version sdkVersion="${sdk}" databaseVersion="3" fingerprint="fixture/appwarden/generic:${sdk}/TEST/1:userdebug/test-keys" />\n`;
  xml += `    <version volumeUuid="primary_physical" sdkVersion="${sdk}" databaseVersion="3" fingerprint="other" />\n`;
  xml +=
    '    <permissions>\n        <item name="android.permission.INTERNET" package="android" protection="0" />\n    </permissions>\n';
  for (const p of PACKAGES) {
    const id = p.sharedUserId === undefined ? `userId="${p.userId}"` : `sharedUserId="${p.sharedUserId}"`;
    const installer =
      (p.installer ? ` installer="${p.installer}"` : '') +
      (p.initiator ? ` installInitiator="${p.initiator}"` : '');
    xml += `    <package name="${p.name}" codePath="${p.codePath}" publicFlags="${p.flags | 0}" privateFlags="0" ft="${FT}" it="${FT}" ut="${FT}" version="${p.version}" ${id}${installer}>\n`;
    xml += sigsXml(p.keys, p.past, '        ');
    xml +=
      '        <perms>\n            <item name="android.permission.INTERNET" granted="true" flags="0" />\n        </perms>\n';
    xml += `        <proper-signing-keyset identifier="1" />\n    </package>\n`;
  }
  for (const p of PACKAGES) {
    if (!p.factory) continue;
    xml += `    <updated-package name="${p.name}" codePath="${p.factory.codePath}" ft="${FT}" it="${FT}" ut="${FT}" version="${p.factory.version}" userId="${p.userId}" />\n`;
  }
  for (const u of SHARED_USERS) {
    xml += `    <shared-user name="${u.name}" userId="${u.userId}">\n${sigsXml(u.keys, undefined, '        ')}    </shared-user>\n`;
  }
  xml +=
    '    <keyset-settings version="1">\n        <keys>\n            <public-key identifier="1" value="AAAA" />\n        </keys>\n';
  xml +=
    '        <lastIssuedKeyId value="1" />\n        <lastIssuedKeySetId value="1" />\n    </keyset-settings>\n</packages>\n';
  return xml;
};

/** The ABX serializer writes no indentation: whitespace-only text disappears. */
const stripWhitespace = (element: XmlElement): XmlElement => ({
  ...element,
  children: element.children
    .filter((c) => typeof c !== 'string' || c.trim() !== '')
    .map((c) => (typeof c === 'string' ? c : stripWhitespace(c))),
});
const toAbx = (text: string): Uint8Array =>
  writeAbxTree(stripWhitespace(parseXml(text)), packagesXmlAttributeType);

mkdirSync(fx('packages-xml'), { recursive: true });
const text11 = packagesXmlText(30);
writeFileSync(fx('packages-xml', 'android11-packages.xml'), text11);
const abx14 = toAbx(packagesXmlText(34));
writeFileSync(fx('packages-xml', 'android14-packages.abx'), abx14);

const expected = PACKAGES.map((p) => {
  const keys =
    p.keys.length > 0 ? p.keys : (SHARED_USERS.find((u) => u.userId === p.sharedUserId)?.keys ?? []);
  return {
    id: p.name,
    versionCode: p.version,
    system: (p.flags & 1) !== 0 || p.factory !== undefined,
    installer: p.installer ?? null,
    certSha256: keys.map((k) => certOf(k).sha256),
    certLineage: (p.past ?? []).filter((k) => !keys.includes(k)).map((k) => certOf(k).sha256),
    updatedSystemApp: p.factory !== undefined,
  };
});
writeFileSync(
  fx('packages-xml', 'expected.json'),
  `${JSON.stringify({ certs: Object.fromEntries(Object.entries(cert).map(([k, v]) => [k, v.sha256])), packages: expected }, null, 2)}\n`,
);

// ---------------------------------------------------------------- minimal binary AndroidManifest.xml
const ATTR_IDS: Record<string, number> = {
  versionCode: 0x0101021b,
  versionName: 0x0101021c,
  label: 0x01010001,
  minSdkVersion: 0x0101020c,
  targetSdkVersion: 0x01010270,
};
const ANDROID_NS = 'http://schemas.android.com/apk/res/android';

interface Manifest {
  pkg: string;
  versionCode: number;
  versionName: string;
  label: string;
  split?: string;
}

const axml = (m: Manifest): Buffer => {
  // Resource-mapped attribute names come first in the pool, in resource-map order.
  const strings: string[] = Object.keys(ATTR_IDS);
  const idx = (s: string): number => {
    const i = strings.indexOf(s);
    if (i >= 0) return i;
    strings.push(s);
    return strings.length - 1;
  };
  for (const s of ['android', ANDROID_NS, 'manifest', 'package', 'split', 'uses-sdk', 'application']) idx(s);
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  const chunk = (type: number, headerSize: number, header: Buffer, body: Buffer): Buffer => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(type, 0);
    b.writeUInt16LE(headerSize, 2);
    b.writeUInt32LE(8 + header.length + body.length, 4);
    return Buffer.concat([b, header, body]);
  };
  const NONE = 0xffffffff;
  const nodeHeader = (line: number): Buffer => Buffer.concat([u32(line), u32(NONE)]);
  type Attr = { ns: string | null; name: string; string?: string; int?: number };
  const element = (name: string, attrs: Attr[], line: number): Buffer => {
    const ext = Buffer.alloc(20);
    ext.writeUInt32LE(NONE, 0);
    ext.writeUInt32LE(idx(name), 4);
    ext.writeUInt16LE(20, 8);
    ext.writeUInt16LE(20, 10);
    ext.writeUInt16LE(attrs.length, 12);
    const body = attrs.map((a) => {
      const b = Buffer.alloc(20);
      b.writeUInt32LE(a.ns === null ? NONE : idx(a.ns), 0);
      b.writeUInt32LE(idx(a.name), 4);
      b.writeUInt32LE(a.string === undefined ? NONE : idx(a.string), 8);
      b.writeUInt16LE(8, 12);
      b.writeUInt8(0, 14);
      b.writeUInt8(a.string === undefined ? 0x10 : 0x03, 15);
      b.writeUInt32LE(a.string === undefined ? (a.int ?? 0) : idx(a.string), 16);
      return b;
    });
    return chunk(0x0102, 16, nodeHeader(line), Buffer.concat([ext, ...body]));
  };
  const endElement = (name: string, line: number): Buffer =>
    chunk(0x0103, 16, nodeHeader(line), Buffer.concat([u32(NONE), u32(idx(name))]));
  const manifestAttrs: Attr[] = [
    { ns: ANDROID_NS, name: 'versionCode', int: m.versionCode },
    { ns: ANDROID_NS, name: 'versionName', string: m.versionName },
    { ns: null, name: 'package', string: m.pkg },
  ];
  if (m.split) manifestAttrs.push({ ns: null, name: 'split', string: m.split });
  const nodes = Buffer.concat([
    chunk(0x0100, 16, nodeHeader(1), Buffer.concat([u32(idx('android')), u32(idx(ANDROID_NS))])),
    element('manifest', manifestAttrs, 1),
    element(
      'uses-sdk',
      [
        { ns: ANDROID_NS, name: 'minSdkVersion', int: 24 },
        { ns: ANDROID_NS, name: 'targetSdkVersion', int: 34 },
      ],
      2,
    ),
    endElement('uses-sdk', 2),
    element('application', [{ ns: ANDROID_NS, name: 'label', string: m.label }], 3),
    endElement('application', 3),
    endElement('manifest', 4),
    chunk(0x0101, 16, nodeHeader(4), Buffer.concat([u32(idx('android')), u32(idx(ANDROID_NS))])),
  ]);
  // UTF-8 string pool: each string is [u8 chars][u8 bytes] bytes NUL (all strings here are short ASCII).
  const data = Buffer.concat(
    strings.map((s) => Buffer.concat([Buffer.from([s.length, s.length]), Buffer.from(s), Buffer.from([0])])),
  );
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  const offsets: number[] = [];
  let at = 0;
  for (const s of strings) {
    offsets.push(at);
    at += s.length + 3;
  }
  const poolHeader = Buffer.concat([
    u32(strings.length),
    u32(0),
    u32(0x100),
    u32(28 + strings.length * 4),
    u32(0),
  ]);
  const pool = chunk(0x0001, 28, poolHeader, Buffer.concat([...offsets.map(u32), padded]));
  const resMap = chunk(0x0180, 8, Buffer.alloc(0), Buffer.concat(Object.values(ATTR_IDS).map(u32)));
  return chunk(0x0003, 8, Buffer.alloc(0), Buffer.concat([pool, resMap, nodes]));
};

// ---------------------------------------------------------------- APKs
const apk = (out: string, m: Manifest, key: string, options: { rotateFrom?: string } = {}): void => {
  const stage = mkdtempSync(join(work, 'apk-'));
  writeFileSync(join(stage, 'AndroidManifest.xml'), axml(m));
  writeFileSync(join(stage, 'classes.dex'), 'dex\n');
  const unsigned = join(work, 'unsigned.apk');
  rmSync(unsigned, { force: true });
  run('zip', ['-q', '-X', '-r', unsigned, '.'], stage);
  const pass = (k: string): string[] => ['--ks', keystore(k), '--ks-pass', `pass:pass-${k}`];
  if (options.rotateFrom) {
    const lineage = join(work, `${key}.lineage`);
    run('apksigner', [
      'rotate',
      '--out',
      lineage,
      '--old-signer',
      ...pass(options.rotateFrom),
      '--new-signer',
      ...pass(key),
    ]);
    run('apksigner', [
      'sign',
      ...pass(options.rotateFrom),
      '--next-signer',
      ...pass(key),
      '--lineage',
      lineage,
      '--min-sdk-version',
      '28',
      '--v1-signing-enabled',
      'false',
      unsigned,
    ]);
  } else {
    run('apksigner', [
      'sign',
      ...pass(key),
      '--min-sdk-version',
      '24',
      '--v1-signing-enabled',
      'false',
      unsigned,
    ]);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, readFileSync(unsigned));
  // Cross-check with independent tools: aapt must read the manifest, apksigner the signer.
  const badging = run('aapt', ['dump', 'badging', out]);
  if (!badging.includes(`package: name='${m.pkg}'`)) throw new Error(`aapt cannot read ${out}:\n${badging}`);
  const certs = run('apksigner', ['verify', '--min-sdk-version', '28', '--print-certs', out]);
  if (!certs.includes(certOf(key).sha256))
    throw new Error(`apksigner reports another signer for ${out}:\n${certs}`);
};

const image = fx('image', 'android-14');
rmSync(image, { recursive: true, force: true });
const img = (...p: string[]): string => join(image, ...p);
apk(
  img('system/priv-app/Settings/Settings.apk'),
  { pkg: 'com.android.settings', versionCode: 34, versionName: '14', label: 'Settings' },
  'platform',
);
apk(
  img('system/app/Calculator/Calculator.apk'),
  { pkg: 'com.android.calculator2', versionCode: 8, versionName: '8.4', label: 'Calculator' },
  'platform',
);
apk(
  img('system/app/Flat.apk'),
  { pkg: 'com.example.flat', versionCode: 1, versionName: '1.0', label: 'Flat' },
  'platform',
);
apk(
  img('product/app/YouTube/YouTube.apk'),
  { pkg: 'com.google.android.youtube', versionCode: 1500, versionName: '18.0.0', label: 'YouTube' },
  'google',
);
apk(
  img('system_ext/priv-app/Extra/Extra.apk'),
  { pkg: 'com.example.systemext', versionCode: 2, versionName: '2.0', label: 'Extra' },
  'platform',
);
apk(
  img('vendor/app/VendorTool/VendorTool.apk'),
  { pkg: 'com.vendor.tool', versionCode: 3, versionName: '3.0', label: 'Vendor Tool' },
  'vendor',
);
const dataApp = (p: Pkg): string => img('data/app', p.codePath.replace('/data/app/', ''));
const pkg = (name: string): Pkg => {
  const p = PACKAGES.find((q) => q.name === name);
  if (!p) throw new Error(name);
  return p;
};
const yt = dataApp(pkg('com.google.android.youtube'));
apk(
  join(yt, 'base.apk'),
  { pkg: 'com.google.android.youtube', versionCode: 1541, versionName: '18.41.3', label: 'YouTube' },
  'google',
);
apk(
  join(yt, 'split_config.en.apk'),
  {
    pkg: 'com.google.android.youtube',
    versionCode: 1541,
    versionName: '18.41.3',
    label: 'YouTube',
    split: 'config.en',
  },
  'google',
);
const tt = dataApp(pkg('com.zhiliaoapp.musically'));
apk(
  join(tt, 'base.apk'),
  { pkg: 'com.zhiliaoapp.musically', versionCode: 2023405030, versionName: '34.5.3', label: 'TikTok' },
  'bytedance',
);
apk(
  join(tt, 'split_config.arm64_v8a.apk'),
  {
    pkg: 'com.zhiliaoapp.musically',
    versionCode: 2023405030,
    versionName: '34.5.3',
    label: 'TikTok',
    split: 'config.arm64_v8a',
  },
  'bytedance',
);
apk(
  join(dataApp(pkg('com.ss.android.ugc.trill')), 'base.apk'),
  { pkg: 'com.ss.android.ugc.trill', versionCode: 330105, versionName: '33.1.5', label: 'TikTok' },
  'bytedance',
);
apk(
  join(dataApp(pkg('com.tencent.mm')), 'base.apk'),
  { pkg: 'com.tencent.mm', versionCode: 2380, versionName: '8.0.40', label: 'WeChat' },
  'tencent',
);
apk(
  join(dataApp(pkg('com.kms.free')), 'base.apk'),
  { pkg: 'com.kms.free', versionCode: 11990, versionName: '11.99.0', label: 'Kaspersky' },
  'kasper-new',
  { rotateFrom: 'kasper-old' },
);
mkdirSync(img('data/system'), { recursive: true });
writeFileSync(img('data/system/packages.xml'), abx14);
writeFileSync(
  img('system/build.prop'),
  [
    '# fixture build.prop',
    'ro.build.version.release=14',
    'ro.build.version.sdk=34',
    'ro.product.system.manufacturer=Fixture',
    'ro.product.system.model=appwarden generic',
    'ro.system.build.fingerprint=fixture/appwarden/generic:14/TEST/1:userdebug/test-keys',
    '',
  ].join('\n'),
);

// An image that must come out partial: one good APK, one corrupt, a truncated packages.xml.
const broken = fx('image', 'broken');
rmSync(broken, { recursive: true, force: true });
mkdirSync(join(broken, 'system/app/Broken'), { recursive: true });
mkdirSync(join(broken, 'system/app/Calculator'), { recursive: true });
mkdirSync(join(broken, 'data/system'), { recursive: true });
writeFileSync(
  join(broken, 'system/app/Calculator/Calculator.apk'),
  readFileSync(img('system/app/Calculator/Calculator.apk')),
);
writeFileSync(
  join(broken, 'system/app/Broken/Broken.apk'),
  Buffer.from('PK\u0003\u0004 this is not really a zip file\n'),
);
writeFileSync(join(broken, 'data/system/packages.xml'), abx14.subarray(0, Math.floor(abx14.length / 2)));

rmSync(work, { recursive: true, force: true });
process.stdout.write(
  `fixtures written; certificates: ${JSON.stringify(Object.fromEntries(Object.entries(cert).map(([k, v]) => [k, v.sha256.slice(0, 16)])))}\n`,
);
