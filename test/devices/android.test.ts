import { afterEach, describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/model.js';
import { androidSource } from '../../src/sources/adb.js';
import { APK_CERTS, type Harness, harness } from './helpers.js';

let h: Harness | undefined;
afterEach(() => h?.cleanup());

async function scanAll(scenario: string, timeoutMs?: number): Promise<TargetResult[]> {
  h = harness(scenario, timeoutMs === undefined ? {} : { timeoutMs });
  const devices = await androidSource.discover(h.ctx);
  return Promise.all(devices.map((d) => androidSource.scan(d, h!.ctx)));
}

const app = (t: TargetResult, id: string, user: number) => t.apps.find((a) => a.id === id && a.user === user);

describe('android source against recorded devices', () => {
  it('finds WeChat only in the work profile, with its certificate, and skips kept-data uninstalls', async () => {
    const [t] = await scanAll('work-profile.yaml');
    expect(t?.id).toBe('android:35161FDH2000G6');
    expect(t?.status).toBe('scanned');
    expect(t?.device).toMatchObject({ model: 'Pixel 8', osVersion: '14', sdk: 34, manufacturer: 'Google' });
    expect(t?.profiles).toEqual([
      { user: 0, name: 'Owner', kind: 'primary', scanned: true },
      { user: 10, name: 'Work profile', kind: 'work', scanned: true },
    ]);
    const target = t as TargetResult;
    expect(app(target, 'com.tencent.mm', 0)).toBeUndefined();
    const wechat = app(target, 'com.tencent.mm', 10);
    expect(wechat?.publisher.certSha256).toEqual([APK_CERTS['wechat.apk']]);
    expect(wechat).toMatchObject({
      versionName: '8.0.49',
      versionCode: 2540,
      installer: 'com.android.vending',
    });
    expect(app(target, 'com.zhiliaoapp.musically', 0)?.publisher.certSha256).toEqual([
      APK_CERTS['tiktok.apk'],
    ]);
    expect(app(target, 'com.zhiliaoapp.musically', 0)?.signingSchemes).toEqual(['v1', 'v2', 'v3']);
    expect(app(target, 'com.example.old', 0)?.publisher.certSha256).toEqual([APK_CERTS['legacy-v1.apk']]);
    expect(app(target, 'com.example.old', 0)?.signingSchemes).toEqual(['v1']);
    expect(app(target, 'com.example.bigcd', 0)?.publisher.certSha256).toEqual([APK_CERTS['big-cd.apk']]);
    expect(app(target, 'org.example.notes', 10)?.enabled).toBe(false);
    expect(app(target, 'org.example.notes', 0)?.enabled).toBe(true);
    expect(app(target, 'com.android.settings', 0)?.system).toBe(true);
    expect(target.apps.some((a) => a.id === 'com.example.uninstalled')).toBe(false);
    // One listing script, one dumpsys, one tail pass, one v1 pass: independent of the app count.
    // Plus one discovery call (model, manufacturer, OS version), once per run.
    expect(h?.calls('adb', '35161FDH2000G6').length).toBeLessThanOrEqual(5);
    for (const c of h?.calls('adb', '35161FDH2000G6') ?? []) expect(c.argv[0]).toBe('-s');
  });

  it('reads the v3-rotated APK signer: current certificate and its lineage', async () => {
    const [t] = await scanAll('work-profile.yaml');
    const kaspersky = app(t as TargetResult, 'com.kaspersky.security', 0);
    expect(kaspersky?.publisher.certSha256).toEqual([APK_CERTS['rotated.apk']]);
    expect(kaspersky?.publisher.certLineage).toContain(APK_CERTS['rotated.apk#lineage']);
  });

  it('reports an inaccessible Samsung Secure Folder as an unscanned profile and the target as partial', async () => {
    const [t] = await scanAll('samsung-secure-folder.yaml');
    expect(t?.status).toBe('partial');
    expect(t?.error).toMatch(/user 150.*Secure Folder/);
    const secure = t?.profiles?.find((p) => p.user === 150);
    expect(secure).toMatchObject({ kind: 'secure-folder', scanned: false });
    expect(secure?.reason).toMatch(/permission to access user 150/);
    expect(t?.profiles?.find((p) => p.user === 11)).toMatchObject({ kind: 'work', scanned: true });
    expect(app(t as TargetResult, 'com.tencent.mm', 11)?.publisher.certSha256).toEqual([
      APK_CERTS['wechat.apk'],
    ]);
    // pm cannot list user 150, but dumpsys shows TikTok installed there: reported, marked as such.
    const hidden = app(t as TargetResult, 'com.zhiliaoapp.musically', 150);
    expect(hidden?.origin.parser).toBe('dumpsys-package');
    expect(hidden?.extra?.evidence).toBe('dumpsys');
    expect(t?.apps.filter((a) => a.user === 150).map((a) => a.id)).toEqual(['com.zhiliaoapp.musically']);
  });

  it('falls back to the Android 6 pm flags inside the same script and copes with CRLF output', async () => {
    const [t] = await scanAll('android6.yaml');
    expect(t?.status).toBe('scanned');
    expect(t?.device?.sdk).toBe(23);
    expect(t?.apps.map((a) => a.id).sort()).toEqual([
      'com.android.settings',
      'com.example.old',
      'com.tencent.mm',
    ]);
    expect(t?.apps.every((a) => a.user === 0 && !a.id.includes('\r'))).toBe(true);
    expect(app(t as TargetResult, 'com.example.old', 0)?.publisher.certSha256).toEqual([
      APK_CERTS['legacy-v1.apk'],
    ]);
    expect(t?.diagnostics.some((d) => /does not know -U/.test(d.message))).toBe(true);
    // The discovery call (getprop only) is also a shell call; the package listing is one call.
    const listing = h
      ?.calls('adb', '0123456789ABCDEF')
      .filter((c) => c.argv[2] === 'shell' && c.argv[3]?.includes('pm list'));
    expect(listing).toHaveLength(1);
  });

  it('fails unauthorized, offline and no-permission devices with instructions, and scans the rest', async () => {
    const targets = await scanAll('two-devices-unauthorized.yaml');
    const byId = new Map(targets.map((t) => [t.id, t]));
    expect(byId.get('android:35161FDH2000G6')?.status).toBe('scanned');
    expect(byId.get('android:R3CT40KXYZ')).toMatchObject({ status: 'failed' });
    expect(byId.get('android:R3CT40KXYZ')?.error).toMatch(/Allow USB debugging/);
    expect(byId.get('android:emulator-5554')?.error).toMatch(/offline/);
    expect(byId.get('android:0a1b2c3d')?.error).toMatch(/udev/);
    // Nothing is sent to a device that cannot answer.
    expect(h?.calls('adb', 'R3CT40KXYZ')).toHaveLength(0);
  });

  it('turns a disconnect mid-scan into partial/failed targets with the reason', async () => {
    const targets = await scanAll('disconnect.yaml');
    const byId = new Map(targets.map((t) => [t.id, t]));
    const late = byId.get('android:DISCONNECTS1');
    expect(late?.status).toBe('partial');
    expect(late?.error).toMatch(/disconnected/);
    expect(late?.apps.map((a) => a.id)).toEqual(['com.tencent.mm']);
    const early = byId.get('android:DISCONNECTS0');
    expect(early?.status).toBe('failed');
    expect(early?.error).toMatch(/device disconnected during listing packages/);
  });

  it('finishes a scan with hanging commands within the timeout', async () => {
    const started = Date.now();
    const targets = await scanAll('hang.yaml', 3000);
    expect(Date.now() - started).toBeLessThan(15_000);
    const byId = new Map(targets.map((t) => [t.id, t]));
    expect(byId.get('android:HANGDUMPSYS')?.status).toBe('partial');
    expect(byId.get('android:HANGDUMPSYS')?.error).toMatch(/dumpsys package timed out after 3 s/);
    expect(byId.get('android:HANGDUMPSYS')?.apps[0]?.publisher.certSha256).toEqual([APK_CERTS['wechat.apk']]);
    expect(byId.get('android:HANGALL')?.status).toBe('failed');
    expect(byId.get('android:HANGALL')?.error).toMatch(/timed out/);
  }, 30_000);

  it('asks for more bytes when od is unavailable, still with a bounded number of calls', async () => {
    const [t] = await scanAll('no-od.yaml');
    expect(app(t as TargetResult, 'com.example.bigcd', 0)?.publisher.certSha256).toEqual([
      APK_CERTS['big-cd.apk'],
    ]);
    expect(app(t as TargetResult, 'com.example.old', 0)?.publisher.certSha256).toEqual([
      APK_CERTS['legacy-v1.apk'],
    ]);
    expect(h?.calls('adb', 'NOOD').length).toBeLessThanOrEqual(6);
  });

  it('scans an 800-app phone with at most 8 adb calls', async () => {
    // The fake phone spawns ~5 host processes per APK in one call: on a loaded machine that alone
    // can pass the default 30 s per-call timeout. This test counts calls; hang.yaml tests timeouts.
    const [t] = await scanAll('phone-800.yaml', 110_000);
    expect(t?.status).toBe('scanned');
    expect(t?.apps).toHaveLength(801);
    const missing = t?.apps.filter((a) => !a.publisher.certSha256?.length) ?? [];
    expect(missing.map((a) => a.id)).toEqual([]);
    expect(app(t as TargetResult, 'com.tencent.mm', 10)?.publisher.certSha256).toEqual([
      APK_CERTS['wechat.apk'],
    ]);
    const calls = h?.calls('adb', 'BIG800') ?? [];
    expect(calls.length).toBeLessThanOrEqual(8);
  }, 240_000);
});
