import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflateRaw } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBinaryPlist, writeXmlPlist } from '../../scripts/bplist-writer.mjs';
import { findMainApp, readBundleInfo } from '../../src/parsers/ipa.js';
import { ParseError } from '../../src/parsers/types.js';
import { ipaReader, readIpa } from '../../src/sources/ipa.js';
import { corpus, FIXTURES, SHARED } from './paths.js';
import { buildZip } from './zip-builder.js';

const scratch = mkdtempSync(join(tmpdir(), 'appwarden-ipa-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const writeTemp = (bytes: Uint8Array, name = 'test.ipa'): string => {
  const file = join(scratch, `${counter++}-${name}`);
  writeFileSync(file, bytes);
  return file;
};

const info = (id: string, extra: Record<string, unknown> = {}) => ({
  CFBundleIdentifier: id,
  CFBundleName: 'App',
  CFBundleExecutable: 'App',
  CFBundleShortVersionString: '1.0',
  CFBundleVersion: '1',
  ...extra,
});

describe('findMainApp', () => {
  it('picks the shallowest Payload/*.app, not Watch apps or extensions', () => {
    const layout = findMainApp([
      'Payload/',
      'Payload/Main.app/Watch/Watch.app/Info.plist',
      'Payload/Main.app/PlugIns/Share.appex/Info.plist',
      'Payload/Main.app/Frameworks/Kit.framework/Info.plist',
      'Payload/Main.app/Info.plist',
      'Payload/Main.app/embedded.mobileprovision',
    ]);
    expect(layout).toEqual({
      appDir: 'Payload/Main.app',
      infoPlist: 'Payload/Main.app/Info.plist',
      provision: 'Payload/Main.app/embedded.mobileprovision',
      others: [],
    });
  });

  it('accepts a nested X/Payload/ and ignores __MACOSX and ._ resource forks', () => {
    const layout = findMainApp([
      '__MACOSX/Payload/Fake.app/Info.plist',
      '__MACOSX/Build/Payload/Main.app/._Info.plist',
      'Build/Payload/._Other.app/Info.plist',
      'Build/Payload/Main.app/Info.plist',
    ]);
    expect(layout?.appDir).toBe('Build/Payload/Main.app');
    expect(layout?.provision).toBeUndefined();
  });

  it('falls back to a bare .app when there is no Payload folder, and reports extra top-level apps', () => {
    expect(findMainApp(['Main.app/Info.plist', 'Main.app/Watch/W.app/Info.plist'])?.appDir).toBe('Main.app');
    expect(findMainApp(['Payload/B.app/Info.plist', 'Payload/A.app/Info.plist'])).toMatchObject({
      appDir: 'Payload/A.app',
      others: ['Payload/B.app'],
    });
    expect(findMainApp(['AndroidManifest.xml', 'classes.dex'])).toBeUndefined();
  });
});

describe('readBundleInfo', () => {
  it('reads XML and binary Info.plists alike', () => {
    const value = info('com.x', {
      CFBundleDisplayName: 'Display',
      MinimumOSVersion: '12.0',
      CFBundleVersion: '42',
    });
    for (const bytes of [Buffer.from(writeXmlPlist(value)), writeBinaryPlist(value)]) {
      expect(readBundleInfo(bytes)).toMatchObject({
        id: 'com.x',
        name: 'Display',
        versionName: '1.0',
        versionCode: 42,
        minOs: '12.0',
        executable: 'App',
      });
    }
  });

  it('keeps a non-numeric CFBundleVersion as a string and refuses executables outside the .app', () => {
    const bundle = readBundleInfo(
      writeBinaryPlist(info('com.x', { CFBundleVersion: '1.2.3b', CFBundleExecutable: '../../etc/passwd' })),
    );
    expect(bundle.versionCode).toBe('1.2.3b');
    expect(bundle.executable).toBeUndefined();
  });

  it('refuses an Info.plist without a bundle id', () => {
    expect(() => readBundleInfo(writeBinaryPlist({ CFBundleName: 'x' }))).toThrow(/no CFBundleIdentifier/);
    expect(() => readBundleInfo(writeBinaryPlist(['x']))).toThrow(ParseError);
  });
});

describe('readIpa on generated fixtures', () => {
  it('xml-profile.ipa: XML Info.plist, CMS profile, deeper Watch app ignored', async () => {
    const [target] = await ipaReader.read(join(FIXTURES, 'xml-profile.ipa'), undefined as never);
    expect(target).toMatchObject({ kind: 'ipa', status: 'scanned', format: 'ipa', diagnostics: [] });
    expect(target?.apps).toHaveLength(1);
    expect(target?.apps[0]).toMatchObject({
      platform: 'ios',
      id: 'com.example.widgets',
      name: 'Widgets & Co',
      versionName: '2.4.1',
      versionCode: 241,
      minOs: '15.0',
      publisher: { teamId: 'EXAMPLE123', name: 'Example Widgets Ltd.' },
      paths: ['Payload/Widgets.app'],
      signature: 'unverified',
      origin: { parser: 'ipa' },
      extra: { infoPlistFormat: 'xml', teamSource: 'provisioning-profile' },
    });
  });

  it('nested-binary.ipa: X/Payload/, binary Info.plist, indefinite-length profile with a binary plist', async () => {
    const target = await readIpa(join(FIXTURES, 'nested-binary.ipa'));
    expect(target.status).toBe('scanned');
    expect(target.apps[0]).toMatchObject({
      id: 'com.example.nested',
      name: 'Nested 入れ子',
      paths: ['Build/Payload/Nested.app'],
      publisher: { teamId: 'EXAMPLE123', name: 'Example Widgets Ltd.' },
      extra: { infoPlistFormat: 'binary' },
    });
  });

  for (const name of ['appstore-deflated.ipa', 'appstore-stored.ipa']) {
    it(`${name}: no profile, team from the fat executable's code signature`, async () => {
      const target = await readIpa(join(FIXTURES, name));
      expect(target.status).toBe('scanned');
      expect(target.apps[0]).toMatchObject({
        id: 'com.example.store',
        versionCode: '2025.1 (7)',
        publisher: { teamId: 'STORE45678', name: 'Store Team GmbH' },
        extra: { teamSource: 'code-signature', codeSignatureIdentifier: 'com.example.store' },
      });
      expect(target.apps[0]?.publisher.certSubjects?.[0]).toContain('OU=STORE45678');
    });
  }

  it('detects IPAs by content', () => {
    for (const name of ['xml-profile.ipa', 'nested-binary.ipa', 'appstore-stored.ipa']) {
      const head = readFileSync(join(FIXTURES, name)).subarray(0, 4096);
      expect(ipaReader.detect(head, 'renamed.bin')).toBe(true);
    }
    expect(ipaReader.detect(Buffer.from('package:com.x'), 'x.ipa')).toBe(false);
    expect(
      ipaReader.detect(buildZip([{ name: 'AndroidManifest.xml', data: new Uint8Array(4) }]), 'a.apk'),
    ).toBe(false);
  });

  it('reports progress events', async () => {
    const events: string[] = [];
    await readIpa(join(FIXTURES, 'xml-profile.ipa'), {
      timeoutMs: 1000,
      tools: {
        adb: 'adb',
        ideviceId: 'idevice_id',
        ideviceInfo: 'ideviceinfo',
        ideviceInstaller: 'ideviceinstaller',
      },
      env: {},
      onProgress: (event) => events.push(event.type),
    });
    expect(events).toEqual(['target-start', 'apps', 'target-end']);
  });
});

interface IpaTruth {
  infoPlistFormat: string;
  infoPlistPath: string;
  CFBundleIdentifier: string;
  CFBundleShortVersionString: string;
  CFBundleVersion: string;
  CFBundleName: string;
  MinimumOSVersion: string;
  provision: { TeamIdentifier: string[]; TeamName: string };
}
const truthFile = corpus('ground-truth', 'ipa.json');
const truth: Record<string, IpaTruth> = existsSync(truthFile)
  ? JSON.parse(readFileSync(truthFile, 'utf8'))
  : {};

describe.skipIf(SHARED === undefined)('readIpa on real IPAs against ground truth', () => {
  it('covers the corpus', () => expect(Object.keys(truth)).toHaveLength(4));
  for (const [file, expected] of Object.entries(truth)) {
    it(`${file}: ${expected.CFBundleIdentifier} by ${expected.provision.TeamName}`, async () => {
      const target = await readIpa(corpus(file));
      expect(target.status).toBe('scanned');
      const app = target.apps[0];
      const rawInfo = readBundleInfo(
        await (await import('./zip-builder.js')).readZipEntry(
          new Uint8Array(readFileSync(corpus(file))),
          expected.infoPlistPath,
        ),
      );
      expect(app).toMatchObject({
        id: expected.CFBundleIdentifier,
        versionName: expected.CFBundleShortVersionString,
        versionCode: Number(expected.CFBundleVersion),
        minOs: expected.MinimumOSVersion,
        publisher: { teamId: expected.provision.TeamIdentifier[0], name: expected.provision.TeamName },
        paths: [expected.infoPlistPath.replace(/\/Info\.plist$/, '')],
        extra: { infoPlistFormat: expected.infoPlistFormat },
      });
      expect(app?.name).toBe(rawInfo.plist.CFBundleDisplayName ?? expected.CFBundleName);
    });
  }
});

describe('readIpa: hostile archives give a clear per-file error, fast and small', () => {
  const goodInfo = writeBinaryPlist(info('com.hostile'));

  const timed = async (bytes: Uint8Array) => {
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const target = await readIpa(writeTemp(bytes));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
    return target;
  };

  it('an Info.plist that inflates far past its declared size (ZIP bomb)', async () => {
    const bomb = new Uint8Array(64 * 1024 * 1024);
    const target = await timed(
      buildZip([{ name: 'Payload/A.app/Info.plist', data: bomb, declaredSize: 1000 }]),
    );
    expect(target.status).toBe('failed');
    expect(target.error).toMatch(/^Payload\/A\.app\/Info\.plist: .*(inflates to more than|limit)/);
  });

  it('an Info.plist declaring more than the metadata limit', async () => {
    const target = await timed(
      buildZip([{ name: 'Payload/A.app/Info.plist', data: new Uint8Array(16), declaredSize: 2 ** 31 }]),
    );
    expect(target.error).toMatch(/declares 2147483648 bytes, more than the limit/);
  });

  it('an Info.plist that is a cyclic binary plist', async () => {
    const cyclic = new Uint8Array([
      ...Buffer.from('bplist00'),
      0xa1,
      0x00,
      0x08,
      ...new Uint8Array(6),
      1,
      1,
      ...new Uint8Array(7),
      1,
      ...new Uint8Array(8),
      ...new Uint8Array(7),
      10,
    ]);
    const target = await timed(buildZip([{ name: 'Payload/A.app/Info.plist', data: cyclic }]));
    expect(target.status).toBe('failed');
    expect(target.error).toMatch(/Info\.plist: binary plist: object 0 contains itself/);
  });

  it('not a ZIP at all, a truncated ZIP, and a ZIP without an app', async () => {
    expect((await timed(Buffer.from('PK\x03\x04 garbage garbage garbage'))).error).toMatch(
      /not a readable ZIP/,
    );
    const good = buildZip([{ name: 'Payload/A.app/Info.plist', data: goodInfo }]);
    expect((await timed(good.subarray(0, good.length - 30))).status).toBe('failed');
    expect((await timed(buildZip([{ name: 'readme.txt', data: Buffer.from('hi') }]))).error).toBe(
      'IPA has no Payload/<Name>.app/Info.plist',
    );
  });

  it('a corrupt profile with no executable: the app is reported, the target is partial', async () => {
    const target = await timed(
      buildZip([
        { name: 'Payload/A.app/Info.plist', data: goodInfo },
        {
          name: 'Payload/A.app/embedded.mobileprovision',
          data: Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]),
        },
      ]),
    );
    expect(target.status).toBe('partial');
    expect(target.apps[0]?.id).toBe('com.hostile');
    expect(target.error).toMatch(
      /^publisher unknown: Payload\/A\.app\/embedded\.mobileprovision: BER: element at offset 0 claims/,
    );
    expect(target.diagnostics.map((d) => d.level)).toEqual(['warning', 'warning']);
  });

  it('a corrupt profile but a signed executable: the team comes from the code signature', async () => {
    const executable = readFileSync(join(FIXTURES, 'store-fat.macho'));
    const target = await timed(
      buildZip([
        { name: 'Payload/A.app/Info.plist', data: goodInfo },
        { name: 'Payload/A.app/embedded.mobileprovision', data: Buffer.from('<plist><dict><key>') },
        { name: 'Payload/A.app/App', data: executable },
      ]),
    );
    expect(target.status).toBe('scanned');
    expect(target.apps[0]?.publisher.teamId).toBe('STORE45678');
    expect(target.diagnostics[0]?.message).toMatch(/embedded\.mobileprovision: truncated XML plist/);
  });

  it('an executable whose signature offset lies past its declared size, and one too large to read', async () => {
    const executable = Buffer.from(readFileSync(join(FIXTURES, 'old-cd.macho')));
    const pastEnd = await timed(
      buildZip([
        { name: 'Payload/A.app/Info.plist', data: goodInfo },
        { name: 'Payload/A.app/App', data: executable, declaredSize: 200, store: true },
      ]),
    );
    expect(pastEnd.status).toBe('partial');
    expect(pastEnd.error).toMatch(/Payload\/A\.app\/App: Mach-O: code signature .* lies outside the slice/);
    const lying = await timed(
      buildZip([
        { name: 'Payload/A.app/Info.plist', data: goodInfo },
        {
          name: 'Payload/A.app/App',
          data: Buffer.concat([executable, Buffer.alloc(32 * 1024 * 1024)]),
          declaredSize: 200,
        },
      ]),
    );
    expect(lying.status).toBe('partial');
    expect(lying.error).toMatch(/Payload\/A\.app\/App inflates to more than its declared 200 bytes/);
    const huge = await timed(
      buildZip([
        { name: 'Payload/A.app/Info.plist', data: goodInfo },
        { name: 'Payload/A.app/App', data: executable, declaredSize: 0xfffffff0 },
      ]),
    );
    expect(huge.error).toMatch(/more than the 1073741824 read for a code signature/);
  });

  it('streams a 256 MiB executable to its code signature without holding it in memory', async () => {
    // Slice 2 of the fat fixture, with 256 MiB of padding moved in front of its code signature.
    const fat = readFileSync(join(FIXTURES, 'store-fat.macho'));
    const slice = Buffer.from(
      fat.subarray(fat.readUInt32BE(36), fat.readUInt32BE(36) + fat.readUInt32BE(40)),
    );
    const dataoff = slice.readUInt32LE(64);
    const blob = slice.subarray(dataoff, dataoff + slice.readUInt32LE(68));
    const head = Buffer.from(slice.subarray(0, dataoff));
    const pad = 256 * 1024 * 1024;
    head.writeUInt32LE(dataoff + pad, 64);
    const deflater = createDeflateRaw({ level: 1 });
    const parts: Buffer[] = [];
    deflater.on('data', (chunk: Buffer) => parts.push(chunk));
    const finished = new Promise((resolve) => deflater.on('end', resolve));
    deflater.write(head);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < pad / zeros.length; i++) deflater.write(zeros);
    deflater.end(blob);
    await finished;
    const target = await timed(
      buildZip([
        { name: 'Payload/A.app/Info.plist', data: goodInfo },
        {
          name: 'Payload/A.app/App',
          data: new Uint8Array(),
          deflated: Buffer.concat(parts),
          declaredSize: head.length + pad + blob.length,
        },
      ]),
    );
    expect(target.status).toBe('scanned');
    expect(target.apps[0]?.publisher.teamId).toBe('STORE45678');
  });

  it('fuzz: mutated IPAs always give a target, never an exception', async () => {
    const seeds = ['xml-profile.ipa', 'appstore-deflated.ipa', 'nested-binary.ipa'].map(
      (name) => new Uint8Array(readFileSync(join(FIXTURES, name))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (seed, edits) => {
          const bytes = Uint8Array.from(seeds[seed] ?? []);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const started = Date.now();
          const target = await readIpa(writeTemp(bytes));
          expect(['scanned', 'partial', 'failed']).toContain(target.status);
          if (target.status === 'failed') expect(target.error).toBeTruthy();
          expect(Date.now() - started).toBeLessThan(5000);
        },
      ),
      { seed: 2718, numRuns: 300 },
    );
  });
});
