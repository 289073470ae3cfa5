// The demo inputs (fixtures/demo) must parse to exactly the situation fixtures/demo/README.md describes.
import { describe, expect, it } from 'vitest';
import { app, parseFixture } from './listing-helpers.js';

const TIKTOK_CERT_A = '9041803e91bcb814b4b4399fb5c85a91640b755e5e8ba76813814bf4cf2ab5ba';
const BANNED = [/^com\.zhiliaoapp\./, /^com\.ss\./, /^com\.tencent\./, /^com\.kms\./, /^com\.kaspersky\./];

describe('demo fixtures', () => {
  it('pixel-8-work-profile.txt: WeChat only in work profile 10, nothing else banned', () => {
    const inv = parseFixture('demo/pixel-8-work-profile.txt');
    expect(inv.format).toBe('pm-list');
    expect(inv.device).toMatchObject({ manufacturer: 'Google', model: 'Pixel 8', osVersion: '14', sdk: 34 });
    expect(inv.profiles).toEqual([
      { user: 0, name: 'Owner', kind: 'primary', scanned: true },
      { user: 10, name: 'Work profile', kind: 'work', scanned: true },
    ]);
    const distinct = new Set(inv.apps.map((a) => a.id));
    expect(distinct.size).toBe(60);
    expect(inv.apps.filter((a) => a.id === 'com.tencent.mm').map((a) => a.user)).toEqual([10]);
    expect(app(inv, 'com.tencent.mm', 10)).toMatchObject({
      installer: 'com.android.vending',
      extra: { uid: 1010260 },
    });
    const banned = inv.apps.filter((a) => BANNED.some((re) => re.test(a.id)));
    expect(banned.map((a) => `${a.id}@${a.user}`)).toEqual(['com.tencent.mm@10']);
    expect(inv.diagnostics).toEqual([]);
    expect(inv.partial).toBeUndefined();
  });

  it('galaxy-s23-androidqf.json: a renamed app carries TikTok certificate A; a lookalike does not', () => {
    const inv = parseFixture('demo/galaxy-s23-androidqf.json');
    expect(inv.apps).toHaveLength(40);
    expect(app(inv, 'com.example.tiktok.lite.mod').publisher.certSha256).toEqual([TIKTOK_CERT_A]);
    expect(inv.apps.filter((a) => a.publisher.certSha256?.includes(TIKTOK_CERT_A)).map((a) => a.id)).toEqual([
      'com.example.tiktok.lite.mod',
    ]);
    expect(app(inv, 'com.tencentx.app').publisher.certSha256?.[0]).not.toBe(TIKTOK_CERT_A);
    expect(inv.apps.filter((a) => BANNED.some((re) => re.test(a.id)))).toEqual([]);
    expect(app(inv, 'com.samsung.android.bixby.agent').enabled).toBe(false);
  });

  it('iphone-15.xml: Kaspersky Password Manager and a hostile-named benign app', () => {
    const inv = parseFixture('demo/iphone-15.xml');
    expect(inv.apps).toHaveLength(25);
    expect(app(inv, 'com.kaspersky.passwordmanager')).toMatchObject({
      name: 'Kaspersky Password Manager',
      versionName: '9.5.1',
    });
    expect(app(inv, 'com.example.hostile').name).toBe('Notes, Lists & "Things" <b> \u202Etxt.exe 🍕');
    expect(inv.apps.filter((a) => BANNED.some((re) => re.test(a.id))).map((a) => a.id)).toEqual([
      'com.kaspersky.passwordmanager',
    ]);
    expect(inv.apps.filter((a) => a.system).length).toBe(10);
  });

  it('clean-tablet.txt: no banned app', () => {
    const inv = parseFixture('demo/clean-tablet.txt');
    expect(inv.apps).toHaveLength(30);
    expect(inv.apps.filter((a) => BANNED.some((re) => re.test(a.id)))).toEqual([]);
    expect(inv.device).toMatchObject({ manufacturer: 'LENOVO', sdk: 31 });
    expect(inv.diagnostics).toEqual([]);
  });
});
