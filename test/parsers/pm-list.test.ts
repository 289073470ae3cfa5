import { describe, expect, it } from 'vitest';
import { parseListing } from '../../src/parsers/listing.js';
import { parseCommandLine, parsePackageLine } from '../../src/parsers/pm-list.js';
import { app, ids, parseFixture } from './listing-helpers.js';

describe('pm list packages line grammar', () => {
  it('splits -f paths on the last = (paths contain ==)', () => {
    const line = parsePackageLine(
      '/data/app/~~klmr-FplGr_cw4RxWoKR0A==/com.amazon.appmanager-sOH-pN2hqEa6cMwpbXmU1Q==/base.apk=com.amazon.appmanager',
    );
    expect(line).toEqual({
      id: 'com.amazon.appmanager',
      path: '/data/app/~~klmr-FplGr_cw4RxWoKR0A==/com.amazon.appmanager-sOH-pN2hqEa6cMwpbXmU1Q==/base.apk',
      uids: [],
    });
  });

  it('reads versionCode, installer (two spaces, null) and merged uids', () => {
    expect(parsePackageLine('com.x versionCode:9  installer=null uid:10123,1010123')).toEqual({
      id: 'com.x',
      versionCode: 9,
      uids: [10123, 1010123],
    });
    expect(parsePackageLine('com.x  installer=com.android.vending')).toMatchObject({
      installer: 'com.android.vending',
    });
  });

  it('keeps versionCodes beyond 2^53 as strings', () => {
    expect(parsePackageLine('com.x versionCode:9223372036854775807')).toMatchObject({
      versionCode: '9223372036854775807',
    });
  });

  it('refuses only a line with no package id, saying why', () => {
    expect(parsePackageLine('')).toMatch(/empty package name/);
    expect(parsePackageLine('/data/app/x/base.apk=')).toMatch(/truncated/);
    expect(parsePackageLine('com.x\ufffd\ufffd')).toMatch(/not valid UTF-8/);
    expect(parsePackageLine('versionCode:3')).toMatch(/invalid package name/);
  });

  // Issue 9: these lines used to be dropped with a warning (and the app with them).
  it('keeps the app of an odd line and says what was odd', () => {
    expect(parsePackageLine('com.x versionCode:abc')).toEqual({
      id: 'com.x',
      uids: [],
      notes: ['invalid versionCode "abc" (ignored)'],
    });
    expect(parsePackageLine('com.x uid:1,,2')).toMatchObject({
      id: 'com.x',
      notes: [expect.stringMatching(/invalid uid/)],
    });
    expect(parsePackageLine('com.x garbage here uid:1')).toMatchObject({
      id: 'com.x',
      uids: [1],
      notes: ['unknown trailing text "garbage here"'],
    });
    expect(parsePackageLine('com.zhiliaoapp.musically # TikTok, banned')).toMatchObject({
      id: 'com.zhiliaoapp.musically',
      notes: [expect.stringMatching(/trailing comment/)],
    });
    expect(parsePackageLine('\u200bcom.x\u00a0versionCode:7\tuid:10001 newField:1')).toMatchObject({
      id: 'com.x',
      versionCode: 7,
      uids: [10001],
      notes: [
        expect.stringMatching(/invisible/),
        expect.stringMatching(/tab or unusual space/),
        expect.stringMatching(/unknown trailing text "newField:1"/),
      ],
    });
  });

  it('reads flags and user from saved command lines', () => {
    expect(parseCommandLine('$ adb shell pm list packages -f -U --user 10')).toMatchObject({
      user: 10,
      filtered: false,
    });
    expect([...(parseCommandLine('cmd package list packages -3f --user all')?.flags ?? [])].sort()).toEqual([
      '-3',
      '-f',
    ]);
    expect(parseCommandLine('blue:/ $ pm list packages -f | grep amazon')).toMatchObject({ filtered: true });
    expect(parseCommandLine('pm list users')).toBeUndefined();
  });
});

describe('pm list fixtures', () => {
  it('every combination of -f -i -U --show-versioncode yields the same packages, fields merged', () => {
    const inv = parseFixture('listings/pm-list/all-field-flags.txt');
    expect(inv.format).toBe('pm-list');
    expect(ids(inv)).toEqual([
      'com.android.settings@0',
      'com.google.android.gms@0',
      'com.whatsapp@0',
      'org.mozilla.firefox@0',
    ]);
    const gms = app(inv, 'com.google.android.gms');
    expect(gms).toMatchObject({
      versionCode: 243333044,
      installer: 'com.android.vending',
      system: true,
      paths: ['/product/priv-app/PrebuiltGmsCore/PrebuiltGmsCore.apk'],
      extra: { uid: 10123 },
      origin: { parser: 'pm-list', line: 3, target: 'listings/pm-list/all-field-flags.txt' },
    });
    expect(app(inv, 'com.android.settings').installer).toBeUndefined();
    expect(app(inv, 'com.whatsapp').system).toBeUndefined();
    expect(inv.diagnostics).toEqual([]);
  });

  it('filter flags set enabled/system; partition paths mean system', () => {
    const inv = parseFixture('listings/pm-list/filter-flags.txt');
    expect(app(inv, 'com.android.dreams.basic')).toMatchObject({ enabled: false, system: true });
    expect(app(inv, 'com.facebook.katana')).toMatchObject({ enabled: false, system: false });
    expect(app(inv, 'org.mozilla.firefox')).toMatchObject({ enabled: true, system: false });
    expect(app(inv, 'com.android.phone')).toMatchObject({ system: true });
    expect(inv.apps).toHaveLength(6);
    expect(inv.diagnostics.filter((d) => d.level === 'warning')).toEqual([]);
  });

  it('CRLF and a UTF-8 BOM do not leak into ids or paths', () => {
    const inv = parseFixture('listings/pm-list/crlf-bom.txt');
    expect(ids(inv)).toEqual(['com.android.chrome@0', 'com.microsoft.teams@0', 'com.tencent.mm@0']);
    expect(app(inv, 'com.android.chrome').paths?.[0]).toBe('/system/app/Chrome/Chrome.apk');
    expect(app(inv, 'com.microsoft.teams').extra).toEqual({ uid: 10231 });
  });

  it('Android 6 plain lines (no uid, no versionCode) are user 0', () => {
    const inv = parseFixture('listings/pm-list/android6-plain.txt');
    expect(inv.apps).toHaveLength(5);
    expect(app(inv, 'com.tencent.mm')).toMatchObject({ user: 0, publisher: {} });
    expect(app(inv, 'com.tencent.mm').versionCode).toBeUndefined();
  });

  it('Android 13 merged uid lists give one record per user', () => {
    const inv = parseFixture('listings/pm-list/android13-merged-uids.txt');
    expect(inv.apps.filter((a) => a.id === 'com.google.android.gms').map((a) => a.user)).toEqual([0, 10, 11]);
    expect(app(inv, 'com.zhiliaoapp.musically')).toMatchObject({ user: 11, extra: { uid: 1110230 } });
    expect(app(inv, 'android')).toMatchObject({ user: 0, extra: { uid: 1000 } });
  });

  it('Samsung SecurityException: stack trace skipped, user 150 unscanned, listing partial', () => {
    const inv = parseFixture('listings/pm-list/samsung-securityexception.txt');
    expect(ids(inv)).toEqual([
      'com.kms.free@0',
      'com.microsoft.office.outlook@11',
      'com.samsung.android.messaging@0',
      'com.samsung.android.messaging@11',
      'com.sec.android.app.sbrowser@0',
    ]);
    expect(inv.profiles).toEqual([
      { user: 0, name: 'Owner', kind: 'primary', scanned: true },
      { user: 11, name: 'Work', kind: 'work', scanned: true },
      {
        user: 150,
        name: 'Secure Folder',
        kind: 'secure-folder',
        scanned: false,
        reason: 'Shell does not have permission to access user 150',
      },
    ]);
    expect(inv.partial).toMatch(/user 150/);
    expect(inv.diagnostics.filter((d) => d.level === 'warning')).toEqual([]);
  });

  it('Xiaomi -f paths with shell prompts', () => {
    const inv = parseFixture('listings/pm-list/xiaomi-f-paths.txt');
    expect(inv.apps.map((a) => [a.id, a.system])).toEqual([
      ['com.amazon.appmanager', undefined],
      ['com.miui.analytics', true],
      ['com.miui.home', true],
      ['com.miui.overlay.frameworkres', true],
      ['com.qualcomm.qti.cne', true],
      ['com.tencent.mm', undefined],
    ]);
    expect(inv.diagnostics).toEqual([]);
  });

  it('Huawei lines with installer but no uid', () => {
    const inv = parseFixture('listings/pm-list/huawei-no-uid.txt');
    expect(app(inv, 'com.kms.free')).toMatchObject({ installer: 'com.huawei.appmarket', user: 0 });
    expect(app(inv, 'com.kmsjp')).toMatchObject({ system: true });
    expect(app(inv, 'com.kmsjp').installer).toBeUndefined();
  });

  it('`# user N` headers set the user of the lines below', () => {
    const inv = parseFixture('listings/pm-list/user-sections.txt');
    expect(ids(inv)).toEqual([
      'com.android.settings@0',
      'com.android.settings@10',
      'com.tencent.mm@10',
      'com.whatsapp@0',
    ]);
  });

  it('-u packages missing from the plain listing of the same user are not installed', () => {
    const inv = parseFixture('listings/pm-list/uninstalled-with-plain.txt');
    expect(ids(inv)).toEqual(['com.android.settings@0', 'com.whatsapp@0']);
    expect(
      inv.diagnostics.some(
        (d) => d.level === 'info' && /2 package\(s\) appear only in a -u listing/.test(d.message),
      ),
    ).toBe(true);
  });

  it('a -u listing alone is kept but marked and warned about', () => {
    const inv = parseFixture('listings/pm-list/uninstalled-only.txt');
    expect(app(inv, 'com.zhiliaoapp.musically').extra).toEqual({ maybeUninstalled: true });
    expect(inv.diagnostics.filter((d) => d.level === 'warning')).toHaveLength(1);
  });

  // Issue 9: before, lines 2 and 3 were dropped and the listing passed as complete.
  it('odd lines keep their app with a warning; a line with no id makes the listing partial', () => {
    const inv = parseFixture('listings/pm-list/bad-lines.txt');
    expect(ids(inv)).toEqual(['com.bad@0', 'com.good.one@0', 'com.good.three@0', 'com.good.two@0']);
    expect(inv.diagnostics.map((d) => [d.level, d.line])).toEqual([
      ['warning', 2],
      ['warning', 2],
      ['warning', 3],
      ['warning', 4],
      ['warning', 5],
    ]);
    expect(inv.diagnostics[0]?.message).toMatch(
      /com\.bad kept despite unknown trailing text "name with spaces"/,
    );
    // "name" could be the rest of a package name split by a space: the line may be misread.
    expect(inv.diagnostics[1]?.message).toMatch(/may be part of the package name/);
    expect(inv.diagnostics[2]?.message).toMatch(/invalid versionCode "notanumber"/);
    expect(inv.diagnostics[3]?.message).toMatch(/line 4: .*truncated/);
    expect(inv.partial).toMatch(/2 app line\(s\) could not be read in full: line 2 \(.*\), line 4 \(/);
    expect(inv.diagnostics.every((d) => d.path === 'listings/pm-list/bad-lines.txt')).toBe(true);
  });

  it('--user all without uids leaves the user unknown, with a note', () => {
    const inv = parseListing('$ adb shell pm list packages --user all\npackage:com.a\npackage:com.b\n', {
      target: 't',
    });
    expect(inv.apps.map((a) => a.user)).toEqual([undefined, undefined]);
    expect(inv.diagnostics).toEqual([expect.objectContaining({ level: 'info', line: 2 })]);
  });

  it('a user listed by pm list users but absent from every package listing is reported unscanned', () => {
    const text = [
      'Users:',
      '\tUserInfo{0:Owner:c13} running',
      '\tUserInfo{10:Work:1030} running',
      '$ adb shell pm list packages --user 0',
      'package:com.a',
    ].join('\n');
    const inv = parseListing(text, { target: 't' });
    expect(inv.profiles).toEqual([
      { user: 0, name: 'Owner', kind: 'primary', scanned: true },
      {
        user: 10,
        name: 'Work',
        kind: 'work',
        scanned: false,
        reason: 'no package listing for this user in the file',
      },
    ]);
    expect(inv.partial).toMatch(/user 10 \(Work\) was not listed/);
  });

  it('usage text alone is a clear error', () => {
    expect(() => parseFixture('listings/pm-list/android6-usage.txt')).toThrow(/usage text/);
  });

  it('a combined getprop + pm list users + pm list file gives facts, profiles and apps', () => {
    const inv = parseFixture('listings/misc/combined-android.txt');
    expect(inv.format).toBe('pm-list');
    expect(inv.device).toEqual({
      platform: 'android',
      manufacturer: 'samsung',
      model: 'SM-S911B',
      osVersion: '14',
      sdk: 34,
      serial: 'R58N12ABCDE',
    });
    expect(inv.profiles?.map((p) => [p.user, p.kind, p.scanned])).toEqual([
      [0, 'primary', true],
      [11, 'work', true],
      [95, 'clone', true],
    ]);
    expect(ids(inv)).toEqual([
      'com.android.settings@0',
      'com.android.settings@11',
      'com.android.settings@95',
      'com.microsoft.teams@11',
      'com.whatsapp@0',
      'com.whatsapp@95',
    ]);
    expect(inv.diagnostics).toEqual([]);
  });
});

// Issue 9: lines that are recognisably app lines keep their app, or make the listing partial.
describe('pm list lines that are not in the exact form', () => {
  const parse = (text: string) => parseListing(text, { target: 't' });

  it('a damaged line start still reads as a package line', () => {
    const inv = parse(
      'package:com.a\n\u200b package:com.b\n  Package : com.c\n* package:com.d\n# package:com.gone\n',
    );
    expect(inv.apps.map((a) => a.id)).toEqual(['com.a', 'com.b', 'com.c', 'com.d']);
    expect(inv.partial).toBeUndefined();
    expect(inv.diagnostics.map((d) => d.line)).toEqual([2, 3, 4]);
  });

  it('a package id alone on a line of a pm listing is kept, with a warning', () => {
    const inv = parse(
      'package:com.a\ncom.zhiliaoapp.musically   # pasted without the prefix\nsome words here\n',
    );
    expect(inv.apps.map((a) => a.id)).toEqual(['com.a', 'com.zhiliaoapp.musically']);
    expect(inv.diagnostics.map((d) => [d.line, d.message.slice(0, 40)])).toEqual([
      [2, 'line 2: com.zhiliaoapp.musically kept, t'],
      [3, 'unrecognised line 3: "some words here"'],
    ]);
  });

  it('a damaged prefix or bytes that are not text on an unrecognised line: partial', () => {
    expect(parse('package:com.a\npakage:com.zhiliaoapp.musically\n').partial).toMatch(
      /line 2 \(unreadable line/,
    );
    expect(parse('package:com.a\np\ufffd\ufffdkage:com.b\n').partial).toMatch(/line 2/);
  });

  it('the last line cut short: partial when it lacks what the line before has, or is not a line at all', () => {
    const before = 'package:com.a versionCode:1 uid:10001\n';
    expect(parse(`${before}package:com.zhili`).partial).toMatch(/line 2 \(the file ends in the middle/);
    expect(parse(`${before}package:com.b versionCode:2 uid:1`).partial).toBeUndefined();
    expect(parse(`${before}packa`).partial).toMatch(
      /line 2 \(the file ends in the middle of an unrecognised line/,
    );
    // -f: the APK folder names the whole id.
    expect(parse('package:/data/app/~~a==/com.zhiliaoapp.musically-b==/base.apk=com.zhilia').partial).toMatch(
      /line 1/,
    );
  });

  it('many unreadable lines: the reason names five and counts the rest; warnings past 100 are counted', () => {
    const lines = [
      'package:com.ok',
      ...Array.from({ length: 150 }, (_, i) => `package:/data/app/x${i}/base.apk=`),
    ];
    const inv = parse(`${lines.join('\n')}\n`);
    expect(inv.partial).toMatch(
      /^150 app line\(s\) could not be read in full: line 2 \(.*line 6 \(.*\) and 145 more line\(s\) up to line 151$/,
    );
    expect(inv.diagnostics.at(-1)?.message).toBe(
      '50 more warnings not listed (lines 102–151); 150 app line(s) in all could not be read',
    );
  });
});
