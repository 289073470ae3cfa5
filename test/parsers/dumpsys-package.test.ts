import { describe, expect, it } from 'vitest';
import { parseListing } from '../../src/parsers/listing.js';
import { app, ids, parseFixture } from './listing-helpers.js';

describe('dumpsys package', () => {
  it('Android 10 full dump: userId, package-level firstInstallTime, pkgFlags; hidden system packages ignored', () => {
    const inv = parseFixture('listings/dumpsys/android10-full.txt');
    expect(inv.format).toBe('dumpsys-package');
    expect(ids(inv)).toEqual(['com.android.settings@0', 'com.tencent.mm@0']);
    expect(app(inv, 'com.tencent.mm')).toMatchObject({
      versionName: '7.0.21',
      versionCode: 1800,
      minSdk: 21,
      targetSdk: 28,
      installer: 'com.android.vending',
      system: false,
      enabled: false,
      firstInstallTime: '2020-11-19T18:02:31',
      paths: ['/data/app/com.tencent.mm-Gk2hJ8sLqW0xYz1AbC3dEf=='],
      publisher: {},
      extra: { appId: 10211, signatureHash: 'a1b2c3d4' },
      origin: { parser: 'dumpsys-package', line: 34 },
    });
    // The factory copy under "Hidden system packages:" (versionCode 28) must not replace the live one.
    expect(app(inv, 'com.android.settings')).toMatchObject({ versionCode: 29, system: true, enabled: true });
  });

  it('Android 11 per-package dump with Queries, Dexopt and Compiler stats after Packages', () => {
    const inv = parseFixture('listings/dumpsys/android11-single.txt');
    expect(ids(inv)).toEqual(['com.kms.free@0']);
    expect(app(inv, 'com.kms.free')).toMatchObject({
      versionName: '11.95.4.7829',
      firstInstallTime: '2021-09-21T14:10:13',
      installer: 'com.android.vending',
    });
  });

  it('Android 12: appId and firstInstallTime under User N; enabled=2 is disabled', () => {
    const inv = parseFixture('listings/dumpsys/android12-packages.txt');
    expect(app(inv, 'com.zhiliaoapp.musically')).toMatchObject({
      firstInstallTime: '2022-12-24T19:45:00',
      extra: { appId: 10245, signatureHash: '9b8a7c6d' },
      enabled: true,
    });
    expect(app(inv, 'com.google.android.youtube')).toMatchObject({ system: true, enabled: false });
  });

  it('Android 14 multi-user: installed=false users produce no record', () => {
    const inv = parseFixture('listings/dumpsys/android14-multiuser.txt');
    expect(ids(inv)).toEqual(['com.android.chrome@0', 'com.android.chrome@10', 'com.tencent.mm@10']);
    expect(app(inv, 'com.tencent.mm', 10)).toMatchObject({
      firstInstallTime: '2025-08-26T13:40:57',
      enabled: true,
    });
    expect(app(inv, 'com.android.chrome', 10)).toMatchObject({
      enabled: false,
      firstInstallTime: '2024-02-02T11:30:00',
    });
    expect(app(inv, 'com.android.chrome', 0).versionName).toBe('126.0.6478.122');
    expect(inv.diagnostics).toEqual([
      expect.objectContaining({
        level: 'info',
        line: 47,
        message: expect.stringMatching(/com\.old\.removed/),
      }),
    ]);
  });

  it('bugreport: only the package service is read; getprop section gives device facts', () => {
    const inv = parseFixture('listings/dumpsys/bugreport-excerpt.txt');
    expect(ids(inv)).toEqual(['com.ss.android.ugc.trill@0']);
    expect(inv.device).toEqual({
      platform: 'android',
      manufacturer: 'OnePlus',
      model: 'CPH2449',
      osVersion: '13',
      sdk: 33,
    });
    expect(inv.diagnostics).toEqual([]);
  });

  it('a signature hash never becomes a publisher identity', () => {
    const inv = parseFixture('listings/dumpsys/android14-multiuser.txt');
    for (const a of inv.apps) expect(a.publisher).toEqual({});
  });

  // Issue 9: a header that was not exactly `  Package [x] (hash):` used to be skipped silently.
  describe('package headers that are not in the exact form', () => {
    const dump = (header: string, after = ''): string =>
      [
        'Packages:',
        '  Package [com.android.camera2] (1a2b):',
        '    userId=10040',
        header,
        '    userId=10123',
        '    versionCode=2023 minSdk=21 targetSdk=34',
        '    User 0: ceDataInode=1 installed=true hidden=false suspended=false stopped=false notLaunched=false enabled=0',
        after,
        'Hidden system packages:',
        '  Package [com.factory.copy] (9):',
        '',
      ].join('\n');
    const parse = (text: string) => parseListing(text, { target: 't' });

    it.each([
      ['a trailing note', '  Package [com.zhiliaoapp.musically] (3c4d):   # flagged'],
      ['a tab', '\tPackage [com.zhiliaoapp.musically] (3c4d):'],
      ['zero-width characters', '  Pack\u200bage [\u200dcom.zhiliaoapp.musically] (3c4d):'],
      ['spaces in the brackets', '  Package [ com.zhiliaoapp.musically ] (3c4d):'],
      ['stray bytes before it', '  \ufffdPackage [com.zhiliaoapp.musically] (3c4d):'],
    ])('%s: kept with a warning on its line', (_, header) => {
      const inv = parse(dump(header));
      expect(inv.apps.map((a) => a.id)).toContain('com.zhiliaoapp.musically');
      expect(inv.partial).toBeUndefined();
      expect(inv.diagnostics).toEqual([
        expect.objectContaining({
          level: 'warning',
          line: 4,
          message: expect.stringMatching(/com\.zhiliaoapp\.musically kept despite/),
        }),
      ]);
    });

    it('the exact form keeps its fields and users', () => {
      const inv = parse(dump('  Package [com.zhiliaoapp.musically] (3c4d):'));
      expect(app(inv, 'com.zhiliaoapp.musically', 0)).toMatchObject({ versionCode: 2023 });
      expect(inv.apps.map((a) => a.id)).not.toContain('com.factory.copy');
      expect(inv.diagnostics).toEqual([]);
    });

    it.each([
      ['no closing bracket', '  Package [com.zhiliaoapp.musi', /no closing "\]"/],
      ['an invalid name', '  Package [com.zhiliao\ufffdapp] (3c4d):', /invalid package name/],
      [
        'a garbled keyword',
        '  Pa\ufffd\ufffdkage [com.zhiliaoapp.musically] (3c4d):',
        /looks like a package header/,
      ],
    ])('%s: the listing is partial, naming the line', (_, header, reason) => {
      const inv = parse(dump(header));
      expect(inv.partial).toMatch(/could not be read in full: line 4 \(/);
      expect(inv.partial).toMatch(reason);
    });

    it('a stray line between blocks that looks like a section title does not hide the packages after it', () => {
      const inv = parse(
        dump('  Package [com.zhiliaoapp.musically] (3c4d):').replace(
          '    userId=10040',
          '    userId=10040\nSome Pasted Title:',
        ),
      );
      expect(ids(inv)).toContain('com.zhiliaoapp.musically@0');
    });
  });
});
