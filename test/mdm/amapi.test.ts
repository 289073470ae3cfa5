import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { looksLikeAmapi, parseAmapi } from '../../src/parsers/mdm/amapi.js';
import { detectMdm } from '../../src/parsers/mdm/index.js';

const PAGE = readFileSync('fixtures/mdm/amapi-devices-page.json', 'utf8');
const NO_REPORTS = readFileSync('fixtures/mdm/amapi-device-no-reports.json', 'utf8');

describe('Android Management API devices', () => {
  it('is detected from content', () => {
    expect(detectMdm(PAGE)).toBe('amapi-devices');
    expect(detectMdm(NO_REPORTS)).toBe('amapi-devices');
    expect(looksLikeAmapi('{"devices": []}')).toBe(false);
  });

  it('reads a devices.list page as one target per device, named by the device resource name', () => {
    const targets = parseAmapi(PAGE, 'page.json') ?? [];
    expect(targets.map((t) => t.id)).toEqual([
      'enterprises/LC01abcd/devices/3a5e1f0c2b7d9e41',
      'enterprises/LC01abcd/devices/9c04b2e7d1a36f58',
    ]);
    const [pixel, galaxy] = targets;
    expect(pixel?.status).toBe('scanned');
    expect(pixel?.device).toMatchObject({
      platform: 'android',
      manufacturer: 'Google',
      model: 'Pixel 8 Pro',
      serial: '37281FDJH000AB',
      osVersion: '14',
      sdk: 34,
    });
    const tiktok = pixel?.apps.find((a) => a.id === 'com.zhiliaoapp.musically');
    expect(tiktok).toMatchObject({
      versionName: '37.4.3',
      versionCode: 2023704030,
      installer: 'com.android.vending',
      system: false,
      publisher: { certSha1: ['00112233445566778899aabbccddeeff00112233'] },
    });
    // Colon-separated upper-case fingerprints are normalised to lowercase hex.
    const settings = pixel?.apps.find((a) => a.id === 'com.android.settings');
    expect(settings?.system).toBe(true);
    expect(settings?.publisher.certSha1).toEqual(['aabbccddeeff00112233445566778899aabbccdd']);
    expect(pixel?.evidence).toEqual({ publisher: 'sha1' });
    // REMOVED is not installed: skipped, and counted.
    expect(galaxy?.apps.map((a) => a.id)).toEqual(['org.mozilla.firefox']);
    expect(galaxy?.diagnostics.map((d) => d.message).join('\n')).toMatch(
      /1 application report\(s\) with state REMOVED/,
    );
  });

  it('fails a device without applicationReports instead of calling it clean', () => {
    const [t] = parseAmapi(NO_REPORTS, 'd.json') ?? [];
    expect(t?.status).toBe('failed');
    expect(t?.apps).toEqual([]);
    expect(t?.error).toMatch(/applicationReportsEnabled/);
    expect(t?.diagnostics.some((d) => /work profile apps only/.test(d.message))).toBe(true);
  });

  it('makes a device partial when a report has no usable package name, and accepts base64 SHA-1', () => {
    const b64 = Buffer.from('00112233445566778899aabbccddeeff00112233', 'hex').toString('base64');
    const doc = {
      name: 'enterprises/E/devices/D',
      applicationReports: [
        { packageName: 'com.example.one', state: 'INSTALLED', signingKeyCertFingerprints: [b64] },
        { versionName: '1.0' },
      ],
    };
    const [t] = parseAmapi(JSON.stringify(doc), 'x.json') ?? [];
    expect(t?.status).toBe('partial');
    expect(t?.error).toMatch(/1 application report\(s\) without a usable packageName/);
    expect(t?.apps[0]?.publisher.certSha1).toEqual(['00112233445566778899aabbccddeeff00112233']);
  });

  it('warns that later devices.list pages are not in the file', () => {
    const doc = {
      devices: [
        { name: 'enterprises/E/devices/D', applicationReports: [{ packageName: 'com.example.one' }] },
      ],
      nextPageToken: 'CgwI',
    };
    const [t] = parseAmapi(JSON.stringify(doc), 'p.json') ?? [];
    expect(t?.diagnostics.map((d) => d.message).join('\n')).toMatch(/nextPageToken: devices on later pages/);
  });

  it('says when a device carries no certificates', () => {
    const doc = { name: 'enterprises/E/devices/D', applicationReports: [{ packageName: 'com.example.one' }] };
    const [t] = parseAmapi(JSON.stringify(doc), 'x.json') ?? [];
    expect(t?.evidence).toEqual({ publisher: 'none' });
    expect(t?.diagnostics.map((d) => d.message)).toContain('publisher evidence: none in this source');
  });
});
