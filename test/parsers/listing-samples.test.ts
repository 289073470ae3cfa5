// Conformance against real captures in ../shared/device-samples (required under CI).
// Every expected value below was read from the sample file itself.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectListingFormat, parseListing } from '../../src/parsers/listing.js';
import { decodeText } from '../../src/parsers/text.js';
import type { ParsedInventory } from '../../src/parsers/types.js';
import { hasShared, sharedPath } from '../shared.js';
import { app, ids } from './listing-helpers.js';

const ROOT = sharedPath('device-samples');
const present = hasShared('device-samples');
const read = (rel: string): string => decodeText(readFileSync(`${ROOT}/${rel}`));
const parse = (rel: string): ParsedInventory => {
  const text = read(rel);
  const inv = parseListing(text, { target: rel, path: rel });
  expect(detectListingFormat(text)).toBe(inv.format);
  return inv;
};

describe.skipIf(!present)('real device-listing samples', () => {
  it('mvt full dumpsys package (Samsung, Android 10)', () => {
    const inv = parse('android/mvt/android_data_dumpsys_packages.txt');
    expect(inv.format).toBe('dumpsys-package');
    expect(ids(inv)).toEqual([
      'com.samsung.android.provider.filterprovider@0',
      'com.sec.android.app.DataCreate@0',
    ]);
    expect(app(inv, 'com.samsung.android.provider.filterprovider')).toMatchObject({
      versionName: '5.0.07',
      versionCode: 500700000,
      minSdk: 28,
      system: true,
      enabled: true,
      firstInstallTime: '2008-12-31T16:00:00',
      paths: ['/system/app/FilterProvider'],
      extra: { appId: 1000, signatureHash: 'b378e95c' },
    });
  });

  it('mvt bugreport dumpstate: Instagram from Play, enabled=4', () => {
    const inv = parse('android/mvt/bugreport_dumpstate.txt');
    expect(ids(inv)).toEqual(['com.instagram.android@0', 'com.samsung.android.provider.filterprovider@0']);
    expect(app(inv, 'com.instagram.android')).toMatchObject({
      installer: 'com.android.vending',
      enabled: false,
      system: false,
      versionName: '241.1.0.18.114',
      versionCode: 364105349,
      firstInstallTime: '2020-06-12T00:41:34',
    });
  });

  it('androidqf dumpsys.txt (holds stray binary bytes), trimmed: no User lines', () => {
    const inv = parseListing(readFileSync(`${ROOT}/android/mvt/androidqf_dumpsys.txt`, 'latin1'), {
      target: 'qf',
    });
    expect(inv.format).toBe('dumpsys-package');
    expect(inv.apps.map((a) => [a.id, a.user, a.versionName])).toEqual([
      ['com.samsung.android.provider.filterprovider', undefined, '5.0.07'],
      ['com.sec.android.app.DataCreate', undefined, '1.0'],
    ]);
  });

  it('androidqf packages.json', () => {
    const inv = parse('android/mvt/androidqf_packages.json');
    expect(inv.apps.map((a) => a.id)).toEqual([
      'com.whatsapp',
      'app.revanced.manager.flutter',
      'com.google.android.youtube',
      'org.fdroid.fdroid',
      'org.nuclearfog.apollo',
      'com.malware.blah',
      'com.malware.muahaha',
    ]);
    const whatsapp = app(inv, 'com.whatsapp');
    expect(whatsapp.publisher.certSha256).toEqual([
      '3987d043d10aefaf5a8710b3671418fe57e0e19b653c9df82558feb5ffce5d44',
    ]);
    expect(whatsapp.publisher.certSubjects?.[0]).toMatch(/O=WhatsApp Inc\./);
    expect(whatsapp.installer).toBeUndefined();
    expect(whatsapp).toMatchObject({ user: 0, system: false, enabled: true, extra: { uid: 10271 } });
    expect(app(inv, 'org.nuclearfog.apollo').installer).toBe('org.fdroid.fdroid');
    expect(app(inv, 'com.google.android.youtube').system).toBe(true);
    expect(app(inv, 'app.revanced.manager.flutter').publisher.certSha256).toEqual([
      'b6362c6ea7888efd15c0800f480786ad0f5b133b4f84e12d46afba5f9eac1223',
    ]);
  });

  it('Android 14 Samsung multi-user excerpt: User 10 installed=false gives no record', () => {
    const inv = parse('android/other/dumpsys_package_android14_samsung_multiuser_excerpt.txt');
    expect(ids(inv)).toEqual(['com.bitchat.droid@0']);
    expect(app(inv, 'com.bitchat.droid')).toMatchObject({
      installer: 'com.google.android.packageinstaller',
      versionName: '1.2.0',
      versionCode: 16,
      targetSdk: 34,
      firstInstallTime: '2025-08-26T13:40:57',
      extra: { appId: 10333, signatureHash: '9cff67fe' },
    });
  });

  it('Android 14 YouTube excerpt with elisions', () => {
    const inv = parse('android/other/dumpsys_package_youtube_android14_blog_excerpt_elided.txt');
    expect(app(inv, 'com.google.android.youtube')).toMatchObject({
      versionName: '19.03.35',
      versionCode: 1544019392,
      system: true,
      installer: 'com.android.vending',
      firstInstallTime: '2022-01-01T09:00:00',
      extra: { signatureHash: 'fa41615' },
    });
  });

  it('SecurityException paste: nothing listed, user 11 reported unscanned', () => {
    const inv = parse('android/other/pm_list_packages_SecurityException_issue_paste.txt');
    expect(inv.format).toBe('pm-list');
    expect(inv.apps).toEqual([]);
    expect(inv.profiles).toEqual([
      {
        user: 11,
        kind: 'unknown',
        scanned: false,
        reason: 'Shell does not have permission to access user 11',
      },
    ]);
    expect(inv.partial).toMatch(/user 11/);
  });

  it('Xiaomi pm list -f paste with prompts', () => {
    const inv = parse('android/other/pm_list_packages_f_xiaomi_issue_paste.txt');
    expect(inv.apps.map((a) => a.id)).toEqual([
      'com.amazon.appmanager',
      'com.miui.analytics.go',
      'com.miui.theme.lite',
      'com.miui.cleaner.go',
      'com.miui.player.overlay',
    ]);
    expect(app(inv, 'com.amazon.appmanager').paths).toEqual([
      '/data/app/~~klmr-FplGr_cw4RxWoKR0A==/com.amazon.appmanager-sOH-pN2hqEa6cMwpbXmU1Q==/base.apk',
    ]);
    expect(app(inv, 'com.miui.player.overlay').system).toBe(true);
    expect(inv.diagnostics).toEqual([]);
  });

  it('pm list users with work profile and Secure Folder', () => {
    const inv = parse('android/other/pm_list_users_workprofile_securefolder_issue_paste.txt');
    expect(inv.format).toBe('pm-users');
    expect(inv.profiles?.map((p) => [p.user, p.name, p.kind])).toEqual([
      [0, 'MY-NAME', 'primary'],
      [11, 'Arbeitsprofil', 'work'],
      [151, 'Secure Folder', 'secure-folder'],
    ]);
  });

  it.each([
    [
      'dumpsys_package_spylive360.txt',
      'com.wifi0',
      '1.4.0',
      'com.android.packageinstaller',
      '2021-12-15T17:51:52',
    ],
    [
      'dumpsys_package_fdroid.txt',
      'org.fdroid.fdroid',
      '1.13.1',
      'com.android.packageinstaller',
      '2021-11-04T20:12:50',
    ],
    [
      'dumpsys_package_gpstest.txt',
      'com.android.gpstest.osmdroid',
      '3.9.16',
      'com.android.packageinstaller',
      '2021-11-07T23:55:09',
    ],
    [
      'dumpsys_package_jitsi.txt',
      'org.jitsi.meet',
      '21.4.1',
      'com.android.packageinstaller',
      '2021-11-04T20:13:55',
    ],
  ])('spytrap-adb %s', (file, id, versionName, installer, firstInstallTime) => {
    const inv = parse(`android/spytrap-adb/${file}`);
    expect(ids(inv)).toEqual([`${id}@0`]);
    expect(app(inv, id)).toMatchObject({
      versionName,
      installer,
      firstInstallTime,
      system: false,
      enabled: true,
    });
  });

  it('spytrap-adb contacts: system app without installer', () => {
    const inv = parse('android/spytrap-adb/dumpsys_package_contacts.txt');
    expect(app(inv, 'com.android.contacts')).toMatchObject({
      system: true,
      versionName: '1.7.31',
      versionCode: 10731,
    });
    expect(app(inv, 'com.android.contacts').installer).toBeUndefined();
  });

  it('getprop captures parse to zero apps', () => {
    for (const f of ['android/mvt/android_data_getprop.txt', 'android/mvt/androidqf_getprop.txt']) {
      const inv = parse(f);
      expect(inv.format).toBe('getprop');
      expect(inv.apps).toEqual([]);
      expect(inv.diagnostics).toEqual([]);
    }
  });

  it('ideviceinstaller 1.2 capture', () => {
    const inv = parse('ios/ideviceinstaller_1.2_list_user_capture.txt');
    expect(inv.apps).toHaveLength(7);
    expect(app(inv, 'ru.cardsmobile.wallet')).toMatchObject({
      name: 'Кошелёк',
      versionName: '6.63',
      platform: 'ios',
    });
    expect(app(inv, 'com.google.ios.youtube')).toMatchObject({ name: 'YouTube', versionName: '21.31.3' });
    expect(app(inv, 'ru.yandex.mobile.music').versionName).toBe('797');
  });

  it('a binary backup Info.plist is refused, not misread', () => {
    expect(detectListingFormat(read('ios/mvt_ios_backup_Info.plist'))).toBeUndefined();
    expect(() => parse('ios/mvt_ios_backup_Info.plist')).toThrow(/binary plist/);
  });
});
