import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppRecord, TargetResult } from '../../src/model.js';
import { createImageReader, type ImageApkReader, imageReader } from '../../src/sources/image.js';
import { packagesXmlReader } from '../../src/sources/packages-xml.js';
import type { SourceContext } from '../../src/sources/types.js';
import { fixture, repoRoot } from './paths.js';

const ctx: SourceContext = {
  timeoutMs: 5000,
  tools: {
    adb: 'adb',
    ideviceId: 'idevice_id',
    ideviceInfo: 'ideviceinfo',
    ideviceInstaller: 'ideviceinstaller',
  },
  env: {},
};
const expected = JSON.parse(readFileSync(fixture('packages-xml', 'expected.json'), 'utf8')) as {
  certs: Record<string, string>;
};
const certOf = (key: string): string => expected.certs[key] ?? '';

const temp = mkdtempSync(path.join(tmpdir(), 'appwarden-image-test-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Builds a folder tree of empty files under a fresh temp dir. */
const tree = (name: string, files: Record<string, string | Uint8Array>): string => {
  const root = path.join(temp, name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
};

/** A fake APK reader: each file's content is the JSON of the app it holds, or `broken`. */
const fakeReadApk: ImageApkReader = async (file) => {
  const text = readFileSync(file, 'utf8');
  if (text === 'throw') throw new Error('reader exploded');
  if (text === 'broken') {
    return {
      id: file,
      kind: 'apk',
      status: 'failed',
      error: 'not a readable ZIP',
      apps: [],
      diagnostics: [],
    };
  }
  const app = JSON.parse(text) as Partial<AppRecord>;
  const record: AppRecord = {
    platform: 'android',
    id: app.id ?? '?',
    publisher: app.publisher ?? {},
    origin: { target: file, parser: 'apk', path: file },
    paths: [file],
    ...app,
  };
  return { id: file, kind: 'apk', status: 'scanned', apps: [record], diagnostics: [] };
};
const apkJson = (app: Partial<AppRecord>): string => JSON.stringify(app);
const fake = createImageReader({ readApk: fakeReadApk });
const only = async (reader = fake, dir: string): Promise<TargetResult> => {
  const targets = await reader.read(dir, ctx);
  expect(targets).toHaveLength(1);
  return targets[0] as TargetResult;
};
const app = (t: TargetResult, id: string): AppRecord | undefined => t.apps.find((a) => a.id === id);

describe('image folder detection', () => {
  it('claims image roots, a system partition and a data folder', async () => {
    expect(await imageReader.detect(fixture('image', 'android-14'))).toBe(true);
    expect(await imageReader.detect(fixture('image', 'android-14', 'system'))).toBe(true);
    expect(
      await imageReader.detect(
        tree('data-only', { 'app/x/base.apk': 'x', 'system/packages.xml': '<packages/>' }),
      ),
    ).toBe(true);
    expect(
      await imageReader.detect(tree('packages-only', { 'data/system/packages.xml': '<packages/>' })),
    ).toBe(true);
  });

  it('does not claim source trees that merely have a vendor/ or system/ folder', async () => {
    expect(await imageReader.detect(repoRoot)).toBe(false);
    expect(
      await imageReader.detect(
        tree('go-project', { 'vendor/github.com/x/y.go': '', 'system/notes.txt': '' }),
      ),
    ).toBe(false);
    expect(await imageReader.detect(path.join(temp, 'does-not-exist'))).toBe(false);
  });
});

describe('image reading with a fake APK reader', () => {
  it('finds APKs in every partition layout, flat and nested, and data/app with splits', async () => {
    const dir = tree('layouts', {
      'system/app/A/A.apk': apkJson({ id: 'a' }),
      'system/app/Flat.apk': apkJson({ id: 'flat' }),
      'system/priv-app/P/P.apk': apkJson({ id: 'p' }),
      'product/app/Pr/Pr.apk': apkJson({ id: 'pr' }),
      'system_ext/priv-app/E/E.apk': apkJson({ id: 'e' }),
      'vendor/app/V/V.apk': apkJson({ id: 'v' }),
      'system/app/A/oat/arm64/A.odex': 'not an apk',
      'data/app/~~r1==/u.one-s1==/base.apk': apkJson({ id: 'u.one' }),
      'data/app/~~r1==/u.one-s1==/split_config.en.apk': apkJson({
        id: 'u.one',
        extra: { split: 'config.en' },
      }),
      'data/app/old.pkg-1.apk': apkJson({ id: 'old.pkg' }),
      'data/app/~~r2==/orphan-s2==/split_config.xx.apk': apkJson({
        id: 'orphan',
        extra: { split: 'config.xx' },
      }),
    });
    const t = await only(fake, dir);
    expect(t.kind).toBe('image');
    expect(t.id).toBe(dir);
    expect(t.status).toBe('scanned');
    expect(t.apps.map((a) => [a.id, a.system]).sort()).toEqual([
      ['a', true],
      ['e', true],
      ['flat', true],
      ['old.pkg', false],
      ['p', true],
      ['pr', true],
      ['u.one', false],
      ['v', true],
    ]);
    expect(app(t, 'u.one')?.paths).toEqual([
      path.join(dir, 'data/app/~~r1==/u.one-s1==/base.apk'),
      path.join(dir, 'data/app/~~r1==/u.one-s1==/split_config.en.apk'),
    ]);
    expect(app(t, 'u.one')?.extra?.devicePath).toBe('/data/app/~~r1==/u.one-s1==/base.apk');
    expect(app(t, 'e')?.extra?.devicePath).toBe('/system_ext/priv-app/E/E.apk');
    expect(app(t, 'a')?.origin).toEqual({
      target: dir,
      parser: 'image',
      path: path.join(dir, 'system/app/A/A.apk'),
    });
    expect(t.diagnostics.map((d) => d.message).join('\n')).toMatch(/split APK of orphan without a base APK/);
  });

  it('makes an updated system app one app: the data/app copy, with the factory copy noted', async () => {
    const dir = tree('updated', {
      'product/app/Y/Y.apk': apkJson({ id: 'y', versionCode: 1, versionName: '1.0' }),
      'data/app/y-1/base.apk': apkJson({ id: 'y', versionCode: 2, versionName: '2.0' }),
    });
    const t = await only(fake, dir);
    expect(t.apps).toHaveLength(1);
    const y = t.apps[0];
    expect(y?.versionName).toBe('2.0');
    expect(y?.system).toBe(true);
    expect(y?.extra).toMatchObject({
      updatedSystemApp: true,
      factoryPath: '/product/app/Y/Y.apk',
      factoryVersionCode: 1,
    });
  });

  it('reads the system partition folder on its own', async () => {
    const dir = tree('system', {
      'build.prop': 'ro.build.version.sdk=33\nro.product.system.model=Solo\n',
      'app/S/S.apk': apkJson({ id: 's' }),
    });
    const t = await only(fake, dir);
    expect(t.apps.map((a) => [a.id, a.system, a.extra?.devicePath])).toEqual([
      ['s', true, '/system/app/S/S.apk'],
    ]);
    expect(t.device).toMatchObject({ sdk: 33, model: 'Solo' });
  });

  it('reports unreadable APKs and keeps the rest (partial)', async () => {
    const dir = tree('partial', {
      'system/app/Good/Good.apk': apkJson({ id: 'good' }),
      'system/app/Bad/Bad.apk': 'broken',
      'system/app/Worse/Worse.apk': 'throw',
    });
    const t = await only(fake, dir);
    expect(t.status).toBe('partial');
    expect(t.error).toMatch(/2 of 3 APKs could not be read/);
    expect(t.apps.map((a) => a.id)).toEqual(['good']);
    const errors = t.diagnostics.filter((d) => d.level === 'error');
    expect(errors.map((d) => d.message)).toEqual([
      '/system/app/Bad/Bad.apk: not a readable ZIP',
      '/system/app/Worse/Worse.apk: reader exploded',
    ]);
    expect(errors[0]?.path).toBe(path.join(dir, 'system/app/Bad/Bad.apk'));
  });

  it('fails an image where nothing could be read', async () => {
    const t = await only(fake, tree('nothing', { 'system/app/Bad/Bad.apk': 'broken' }));
    expect(t.status).toBe('failed');
    expect(t.apps).toEqual([]);
  });

  it('merges packages.xml with the APKs and warns when their certificates disagree', async () => {
    const dir = tree('merge', {
      'system/app/Y/Y.apk': apkJson({ id: 'y', publisher: { certSha256: ['aa'] } }),
      'data/app/u-1/base.apk': apkJson({ id: 'u', versionName: '9.9', publisher: { certSha256: ['bb'] } }),
      'data/system/packages.xml': `<packages>
  <package name="u" codePath="/data/app/u-1" publicFlags="0" version="99" userId="10001" installer="com.android.vending" it="18b7a1c2d00">
    <sigs count="1"><cert index="0" key="00ff" /></sigs>
  </package>
  <package name="y" codePath="/system/app/Y" publicFlags="1" version="5" userId="10002"><sigs count="1"><cert index="1" key="aa" /></sigs></package>
  <package name="only.xml" codePath="/data/app/only-1" publicFlags="0" version="1" userId="10003" />
</packages>`,
    });
    const t = await only(fake, dir);
    expect(t.format).toBe('android-image+packages-xml');
    const u = app(t, 'u');
    expect(u?.installer).toBe('com.android.vending');
    expect(u?.system).toBe(false);
    expect(u?.versionName).toBe('9.9');
    expect(u?.firstInstallTime).toBe(new Date(0x18b7a1c2d00).toISOString());
    // sha256 of the DER bytes 00 ff.
    expect(u?.publisher.certSha256).toEqual([
      'bb',
      '06eb7d6a69ee19e5fbdf749018d3d2abfa04bcbd1365db312eb86dc7169389b8',
    ]);
    expect(t.diagnostics.map((d) => d.message).join('\n')).toMatch(
      /u: packages.xml records a different signing certificate/,
    );
    expect(app(t, 'y')?.system).toBe(true);
    expect(app(t, 'only.xml')?.origin.parser).toBe('packages-xml');
    expect(app(t, 'only.xml')?.system).toBe(false);
  });
});

describe('image fixture fixtures/image/android-14 with the real APK reader', () => {
  const dir = fixture('image', 'android-14');

  it('lists each package once, merging packages.xml (ABX) with the APKs', async () => {
    const t = await only(imageReader, dir);
    expect(t.format).toBe('android-image+packages-xml-abx');
    expect(t.status).toBe('scanned');
    // APKs and packages.xml agree on every certificate: nothing but the APK-only note.
    expect(t.diagnostics).toEqual([
      {
        level: 'info',
        message:
          'com.example.systemext is in the image (/system_ext/priv-app/Extra/Extra.apk) but not in packages.xml',
      },
    ]);
    expect(t.apps.map((a) => a.id).sort()).toEqual([
      'android',
      'com.android.calculator2',
      'com.android.providers.settings',
      'com.android.settings',
      'com.example.flat',
      'com.example.systemext',
      'com.google.android.youtube',
      'com.kms.free',
      'com.ss.android.ugc.trill',
      'com.tencent.mm',
      'com.vendor.tool',
      'com.zhiliaoapp.musically',
    ]);
    expect(t.device).toMatchObject({
      platform: 'android',
      sdk: 34,
      osVersion: '14',
      model: 'appwarden generic',
    });
  });

  it('gives each app its signer certificate (digests from openssl) and system flag', async () => {
    const t = await only(imageReader, dir);
    const want: Record<string, [string, boolean]> = {
      android: ['platform', true],
      'com.android.settings': ['platform', true],
      'com.android.providers.settings': ['platform', true],
      'com.android.calculator2': ['platform', true],
      'com.example.flat': ['platform', true],
      'com.example.systemext': ['platform', true],
      'com.google.android.youtube': ['google', true],
      'com.zhiliaoapp.musically': ['bytedance', false],
      'com.ss.android.ugc.trill': ['bytedance', false],
      'com.tencent.mm': ['tencent', false],
      'com.kms.free': ['kasper-new', false],
      'com.vendor.tool': ['vendor', true],
    };
    for (const [id, [key, system]] of Object.entries(want)) {
      expect(app(t, id)?.publisher.certSha256, id).toEqual([certOf(key)]);
      expect(app(t, id)?.system, id).toBe(system);
    }
    expect(app(t, 'com.kms.free')?.publisher.certLineage).toEqual([certOf('kasper-old')]);
  });

  it('takes labels and versionName from the APK, installer from packages.xml, splits as paths', async () => {
    const t = await only(imageReader, dir);
    const tiktok = app(t, 'com.zhiliaoapp.musically');
    expect(tiktok?.name).toBe('TikTok');
    expect(tiktok?.versionName).toBe('34.5.3');
    expect(tiktok?.installer).toBe('com.android.vending');
    expect(tiktok?.paths?.map((p) => path.basename(p))).toEqual(['base.apk', 'split_config.arm64_v8a.apk']);
    const wechat = app(t, 'com.tencent.mm');
    expect(wechat?.installer).toBe('com.google.android.packageinstaller');
    const youtube = app(t, 'com.google.android.youtube');
    expect(youtube?.versionName).toBe('18.41.3');
    expect(youtube?.extra).toMatchObject({
      updatedSystemApp: true,
      factoryPath: '/product/app/YouTube/YouTube.apk',
    });
    expect(app(t, 'android')?.origin.parser).toBe('packages-xml');
  });

  it('reads the system/ folder passed on its own', async () => {
    const t = await only(imageReader, path.join(dir, 'system'));
    expect(t.status).toBe('scanned');
    expect(t.apps.map((a) => [a.id, a.system, a.publisher.certSha256?.[0]]).sort()).toEqual([
      ['com.android.calculator2', true, certOf('platform')],
      ['com.android.settings', true, certOf('platform')],
      ['com.example.flat', true, certOf('platform')],
    ]);
  });

  it('reports a corrupt APK and a truncated packages.xml in fixtures/image/broken as partial', async () => {
    const t = await only(imageReader, fixture('image', 'broken'));
    expect(t.status).toBe('partial');
    expect(t.error).toMatch(/packages.xml unreadable; 1 of 2 APKs could not be read/);
    expect(t.apps.map((a) => a.id)).toEqual(['com.android.calculator2']);
    const messages = t.diagnostics.map((d) => d.message).join('\n');
    expect(messages).toMatch(/packages\.xml: ABX offset \d+: truncated/);
    expect(messages).toMatch(/\/system\/app\/Broken\/Broken\.apk: not a readable ZIP/);
  });
});

describe('packages.xml file reader', () => {
  const head = (file: string): Uint8Array => readFileSync(file).subarray(0, 4096);

  it('detects text and ABX packages.xml by content', () => {
    expect(packagesXmlReader.detect(head(fixture('packages-xml', 'android11-packages.xml')), 'x')).toBe(true);
    expect(packagesXmlReader.detect(head(fixture('packages-xml', 'android14-packages.abx')), 'x')).toBe(true);
    expect(packagesXmlReader.detect(Buffer.from('<!-- c -->\n<packages>'), 'x')).toBe(true);
    expect(packagesXmlReader.detect(Buffer.from('<?xml version="1.0"?><manifest/>'), 'packages.xml')).toBe(
      false,
    );
    expect(packagesXmlReader.detect(Buffer.from('package:com.a\n'), 'x')).toBe(false);
  });

  it('reads a packages.xml into one target', async () => {
    const file = fixture('packages-xml', 'android14-packages.abx');
    const [t] = await packagesXmlReader.read(file, ctx);
    expect(t).toMatchObject({
      id: file,
      kind: 'packages-xml',
      status: 'scanned',
      format: 'packages-xml-abx',
    });
    expect(t?.apps).toHaveLength(11);
    expect(t?.device?.sdk).toBe(34);
  });

  it('fails a damaged file with an error naming it', async () => {
    const file = path.join(
      tree('damaged', {
        'packages.xml': readFileSync(fixture('packages-xml', 'android14-packages.abx')).subarray(0, 999),
      }),
      'packages.xml',
    );
    const [t] = await packagesXmlReader.read(file, ctx);
    expect(t?.status).toBe('failed');
    // The target is the file, so its id names it and the error does not repeat the path.
    expect(t?.id).toBe(file);
    expect(t?.error).not.toContain(file);
    expect(t?.error).toMatch(/ABX offset \d+: truncated/);
    const [missing] = await packagesXmlReader.read(path.join(temp, 'nope.xml'), ctx);
    expect(missing?.status).toBe('failed');
    expect(missing?.error).toMatch(/cannot read/);
  });
});
