#!/usr/bin/env node
// Builds the IPA fixtures in fixtures/ipa/ from scratch: Info.plists (XML and binary), provisioning
// profiles CMS-signed with a throw-away self-made certificate (definite and indefinite BER lengths),
// tiny hand-built Mach-O executables carrying a code-signature SuperBlob with a team ID, and the IPA
// ZIPs around them (nested X/Payload/, __MACOSX resource forks, a Watch app and an extension deeper).
// Needs: node, openssl, zip.   Run: node scripts/make-ipa-fixtures.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBinaryPlist, writeXmlPlist } from './bplist-writer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'fixtures', 'ipa');
const work = mkdtempSync(join(tmpdir(), 'ipa-fixtures-'));
mkdirSync(out, { recursive: true });

const run = (cmd, args, cwd = work) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

// ---- a self-made "Apple developer" certificate: OU = team id, O = team name, as Apple issues them
const makeCert = (name, subject) => {
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-subj',
    subject,
  ]);
  run('openssl', ['x509', '-in', `${name}.pem`, '-outform', 'der', '-out', `${name}.der`]);
  return readFileSync(join(work, `${name}.der`));
};

const profileTeam = { id: 'EXAMPLE123', name: 'Example Widgets Ltd.' };
const storeTeam = { id: 'STORE45678', name: 'Store Team GmbH' };
const profileCert = makeCert(
  'profile',
  `/C=US/O=${profileTeam.name}/OU=${profileTeam.id}/CN=iPhone Distribution: ${profileTeam.name} (${profileTeam.id})/UID=${profileTeam.id}`,
);
makeCert(
  'store',
  `/C=DE/O=${storeTeam.name}/OU=${storeTeam.id}/CN=Apple Distribution: ${storeTeam.name} (${storeTeam.id})/UID=${storeTeam.id}`,
);

const profilePlist = (bundleId, name) => ({
  AppIDName: name,
  ApplicationIdentifierPrefix: [profileTeam.id],
  CreationDate: new Date('2025-01-02T03:04:05Z'),
  Platform: ['iOS'],
  DeveloperCertificates: [new Uint8Array(profileCert)],
  Entitlements: { 'application-identifier': `${profileTeam.id}.${bundleId}`, 'get-task-allow': false },
  ExpirationDate: new Date('2035-01-02T03:04:05Z'),
  Name: `${name} AdHoc`,
  TeamIdentifier: [profileTeam.id],
  TeamName: profileTeam.name,
  TimeToLive: 3650,
  UUID: '00000000-1111-2222-3333-444444444444',
  Version: 1,
});

/** CMS-signs `content`; `stream` makes openssl write indefinite BER lengths as Apple's signer does. */
const cmsSign = (name, content, { stream = false, detached = false } = {}) => {
  writeFileSync(join(work, `${name}.in`), content);
  const args = [
    'cms',
    '-sign',
    '-binary',
    '-outform',
    'der',
    '-in',
    `${name}.in`,
    '-signer',
    'profile.pem',
    '-inkey',
    'profile.key',
    '-out',
    `${name}.p7`,
  ];
  if (!detached) args.push('-nodetach');
  if (stream) args.push('-stream');
  if (name.startsWith('store')) {
    args[args.indexOf('profile.pem')] = 'store.pem';
    args[args.indexOf('profile.key')] = 'store.key';
  }
  run('openssl', args);
  return readFileSync(join(work, `${name}.p7`));
};

// ---- Mach-O with an embedded code signature
const be32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const le32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};

const codeDirectory = (identifier, teamId, version = 0x20400) => {
  const headerSize = 88;
  const ident = Buffer.from(`${identifier}\0`);
  const team = teamId === undefined ? Buffer.alloc(0) : Buffer.from(`${teamId}\0`);
  const hashOffset = headerSize + ident.length + team.length;
  const cd = Buffer.alloc(hashOffset);
  cd.writeUInt32BE(0xfade0c02, 0);
  cd.writeUInt32BE(hashOffset, 4);
  cd.writeUInt32BE(version, 8);
  cd.writeUInt32BE(0, 12); // flags
  cd.writeUInt32BE(hashOffset, 16);
  cd.writeUInt32BE(headerSize, 20); // identOffset
  cd.writeUInt32BE(0, 24); // nSpecialSlots
  cd.writeUInt32BE(0, 28); // nCodeSlots
  cd.writeUInt32BE(0, 32); // codeLimit
  cd.writeUInt8(32, 36); // hashSize
  cd.writeUInt8(2, 37); // hashType SHA-256
  cd.writeUInt8(12, 39); // pageSize 4096
  cd.writeUInt32BE(teamId === undefined ? 0 : headerSize + ident.length, 48); // teamOffset
  ident.copy(cd, headerSize);
  team.copy(cd, headerSize + ident.length);
  return cd;
};

const superBlob = (cd, cms) => {
  const blobs = [[0, cd]];
  if (cms !== undefined) blobs.push([0x10000, Buffer.concat([be32(0xfade0b01), be32(8 + cms.length), cms])]);
  let offset = 12 + blobs.length * 8;
  const index = [];
  for (const [type, blob] of blobs) {
    index.push(be32(type), be32(offset));
    offset += blob.length;
  }
  return Buffer.concat([
    be32(0xfade0cc0),
    be32(offset),
    be32(blobs.length),
    ...index,
    ...blobs.map(([, b]) => b),
  ]);
};

/** A thin little-endian 64-bit MH_EXECUTE with a segment-less LC_UUID and LC_CODE_SIGNATURE. */
const thinMachO = (cpuType, signature) => {
  const uuidCmd = Buffer.concat([le32(0x1b), le32(24), Buffer.alloc(16, 0xab)]);
  const headerSize = 32;
  const sigCmdSize = 16;
  const sizeofcmds = uuidCmd.length + sigCmdSize;
  const code = Buffer.alloc(64, 0x90); // stand-in for __TEXT
  const dataoff = headerSize + sizeofcmds + code.length;
  const sigCmd = Buffer.concat([le32(0x1d), le32(sigCmdSize), le32(dataoff), le32(signature.length)]);
  const header = Buffer.concat([
    le32(0xfeedfacf),
    le32(cpuType),
    le32(0),
    le32(2),
    le32(2),
    le32(sizeofcmds),
    le32(0),
    le32(0),
  ]);
  return Buffer.concat([header, uuidCmd, sigCmd, code, signature]);
};

const fatMachO = (slices) => {
  const headerSize = 8 + slices.length * 20;
  const align = 256;
  let offset = Math.ceil(headerSize / align) * align;
  const archs = [];
  const bodies = [];
  for (const [cpuType, body] of slices) {
    archs.push(Buffer.concat([be32(cpuType), be32(0), be32(offset), be32(body.length), be32(8)]));
    const padded = Buffer.alloc(Math.ceil(body.length / align) * align);
    body.copy(padded);
    bodies.push(padded);
    offset += padded.length;
  }
  const header = Buffer.concat([be32(0xcafebabe), be32(slices.length), ...archs]);
  return Buffer.concat([header, Buffer.alloc(Math.ceil(headerSize / align) * align - headerSize), ...bodies]);
};

const CPU_ARM64 = 0x0100000c;
const CPU_X86_64 = 0x01000007;

const infoPlist = (id, name, executable, extra = {}) => ({
  CFBundleDevelopmentRegion: 'en',
  CFBundleDisplayName: name,
  CFBundleExecutable: executable,
  CFBundleIdentifier: id,
  CFBundleName: executable,
  CFBundlePackageType: 'APPL',
  CFBundleShortVersionString: '2.4.1',
  CFBundleVersion: '241',
  DTPlatformName: 'iphoneos',
  LSRequiresIPhoneOS: true,
  MinimumOSVersion: '15.0',
  UIDeviceFamily: [1, 2],
  ...extra,
});

const files = (base, entries) => {
  for (const [path, data] of Object.entries(entries)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), data);
  }
};

const makeZip = (name, dir, { store = false } = {}) => {
  const target = join(out, name);
  rmSync(target, { force: true });
  // -X drops extra attributes; -D leaves directory entries out for some archives (like ditto does not).
  run('zip', ['-q', '-X', '-r', ...(store ? ['-0'] : ['-9']), target, '.'], dir);
};

// 1. XML Info.plist + CMS profile (definite lengths, XML payload) + a deeper Watch app and extension
{
  const dir = join(work, 'xml-profile');
  const id = 'com.example.widgets';
  files(dir, {
    'Payload/Widgets.app/Info.plist': writeXmlPlist(infoPlist(id, 'Widgets & Co', 'Widgets')),
    'Payload/Widgets.app/embedded.mobileprovision': cmsSign(
      'profile-xml',
      writeXmlPlist(profilePlist(id, 'Widgets')),
    ),
    'Payload/Widgets.app/Widgets': thinMachO(CPU_ARM64, superBlob(codeDirectory(id, profileTeam.id))),
    'Payload/Widgets.app/Watch/WidgetsWatch.app/Info.plist': writeBinaryPlist(
      infoPlist(`${id}.watchkitapp`, 'Widgets Watch', 'WidgetsWatch', { MinimumOSVersion: '9.0' }),
    ),
    'Payload/Widgets.app/PlugIns/Share.appex/Info.plist': writeBinaryPlist(
      infoPlist(`${id}.share`, 'Share', 'Share'),
    ),
    '__MACOSX/Payload/Widgets.app/._Info.plist': Buffer.from('\0\x05\x16\x07 resource fork junk'),
    'iTunesMetadata.plist': writeXmlPlist({ itemName: 'Widgets', softwareVersionBundleId: id }),
  });
  makeZip('xml-profile.ipa', dir);
  writeFileSync(
    join(out, 'profile-definite.mobileprovision'),
    readFileSync(join(dir, 'Payload/Widgets.app/embedded.mobileprovision')),
  );
}

// 2. Nested X/Payload/, binary Info.plist, profile with indefinite lengths and a binary-plist payload
{
  const dir = join(work, 'nested-binary');
  const id = 'com.example.nested';
  files(dir, {
    'Build/Payload/Nested.app/Info.plist': writeBinaryPlist(infoPlist(id, 'Nested 入れ子', 'Nested')),
    'Build/Payload/Nested.app/embedded.mobileprovision': cmsSign(
      'profile-bin',
      writeBinaryPlist(profilePlist(id, 'Nested')),
      {
        stream: true,
      },
    ),
    '__MACOSX/Build/Payload/Nested.app/._Info.plist': Buffer.from('\0\x05\x16\x07 resource fork junk'),
    '__MACOSX/Build/Payload/Decoy.app/Info.plist': writeBinaryPlist(infoPlist('com.decoy', 'Decoy', 'Decoy')),
  });
  makeZip('nested-binary.ipa', dir);
  writeFileSync(
    join(out, 'profile-indefinite.mobileprovision'),
    readFileSync(join(dir, 'Build/Payload/Nested.app/embedded.mobileprovision')),
  );
}

// 3. App Store style: no profile; team from a fat Mach-O's code signature (CMS signer OU = team id)
{
  const id = 'com.example.store';
  const cd = codeDirectory(id, storeTeam.id);
  const cms = cmsSign('store-cd', cd, { detached: true });
  const executable = fatMachO([
    [CPU_X86_64, thinMachO(CPU_X86_64, superBlob(cd, cms))],
    [CPU_ARM64, thinMachO(CPU_ARM64, superBlob(cd, cms))],
  ]);
  writeFileSync(join(out, 'store-fat.macho'), executable);
  for (const [name, store] of [
    ['appstore-deflated.ipa', false],
    ['appstore-stored.ipa', true],
  ]) {
    const dir = join(work, name);
    files(dir, {
      'Payload/Store.app/Info.plist': writeBinaryPlist(
        infoPlist(id, 'Store', 'Store', { CFBundleVersion: '2025.1 (7)' }),
      ),
      'Payload/Store.app/Store': executable,
      'Payload/Store.app/_CodeSignature/CodeResources': writeXmlPlist({ files: {} }),
    });
    makeZip(name, dir, { store });
  }
  // An old CodeDirectory (version 0x20100) has no team field: the identifier is still read.
  writeFileSync(
    join(out, 'old-cd.macho'),
    thinMachO(CPU_ARM64, superBlob(codeDirectory(id, undefined, 0x20100))),
  );
}

rmSync(work, { recursive: true, force: true });
console.log(`wrote fixtures to ${out}`);
