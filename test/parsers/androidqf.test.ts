import { describe, expect, it } from 'vitest';
import { normaliseSha256 } from '../../src/parsers/androidqf.js';
import { app, parseFixture } from './listing-helpers.js';

const TIKTOK_A = '9041803e91bcb814b4b4399fb5c85a91640b755e5e8ba76813814bf4cf2ab5ba';

describe('androidqf packages.json', () => {
  it('publisher from the base APK certificate (colons, case normalised), user from uid', () => {
    const inv = parseFixture('listings/androidqf/packages.json');
    expect(inv.format).toBe('androidqf-packages');
    const tiktok = app(inv, 'com.zhiliaoapp.musically');
    expect(tiktok).toMatchObject({
      platform: 'android',
      user: 10,
      installer: 'com.android.vending',
      system: false,
      enabled: true,
      publisher: { certSha256: [TIKTOK_A], certSubjects: ['CN=Musical.ly'] },
      extra: { uid: 1010245 },
      origin: { parser: 'androidqf-packages', line: 3 },
    });
    expect(tiktok.paths?.[0]).toMatch(/\/base\.apk$/);
    expect(tiktok.paths).toHaveLength(2);
  });

  it('missing certificate, installer "null" and disabled', () => {
    const inv = parseFixture('listings/androidqf/packages.json');
    const nocert = app(inv, 'com.example.nocert');
    expect(nocert).toMatchObject({ publisher: {}, enabled: false, user: 0 });
    expect(nocert.installer).toBeUndefined();
    expect(app(inv, 'com.android.settings')).toMatchObject({ system: true, enabled: true, user: 0 });
    expect(app(inv, 'com.android.settings').installer).toBeUndefined();
  });

  it('an entry without a name is skipped with a warning', () => {
    const inv = parseFixture('listings/androidqf/packages.json');
    expect(inv.apps).toHaveLength(3);
    expect(inv.diagnostics).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/#4 has no name/) }),
    ]);
  });

  it('truncated JSON is a clear error', () => {
    expect(() => parseFixture('listings/androidqf/truncated.json')).toThrow(
      /truncated androidqf packages\.json/,
    );
  });

  it('normalises SHA-256 spellings and rejects other digests', () => {
    expect(
      normaliseSha256(
        '90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA',
      ),
    ).toBe(TIKTOK_A);
    expect(normaliseSha256('556c6019249bbc0cab70495178d3a9d1')).toBeUndefined();
  });
});
