import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectMdm } from '../../src/parsers/mdm/index.js';
import { parseJamfJson, parseJamfXml } from '../../src/parsers/mdm/jamf.js';

const fixture = (name: string) => readFileSync(`fixtures/mdm/${name}`, 'utf8');

describe('Jamf Pro Classic API XML', () => {
  it('reads <applications> of a mobile device', () => {
    const text = fixture('jamf-mobile-device.xml');
    expect(detectMdm(text)).toBe('jamf-classic-xml');
    const [t] = parseJamfXml(text, 'md.xml') ?? [];
    expect(t?.id).toBe('jamf:00008103-001A2B3C4D5E6F70');
    expect(t?.device).toMatchObject({ platform: 'ios', serial: 'DMPXK1ABCD12', osVersion: '18.1' });
    expect(t?.apps.map((a) => a.id)).toEqual([
      'com.zhiliaoapp.musically',
      'com.apple.Pages',
      'com.jamfsoftware.selfservice',
    ]);
    expect(t?.apps[0]).toMatchObject({ name: 'TikTok', versionName: '37.4.3', versionCode: 374030 });
    expect(t?.evidence).toEqual({ publisher: 'none' });
    expect(t?.status).toBe('scanned');
  });

  it('fails a device record without an applications list', () => {
    const text = '<mobile_device><general><udid>U1</udid></general></mobile_device>';
    const [t] = parseJamfXml(text, 'md.xml') ?? [];
    expect(t?.status).toBe('failed');
    expect(t?.error).toMatch(/no application list/);
  });

  it('refuses a DOCTYPE (no entity expansion) with a clear error', () => {
    expect(() => parseJamfXml('<!DOCTYPE x [<!ENTITY a "b">]><mobile_device/>', 'x.xml')).toThrow(/Jamf/);
  });
});

describe('Jamf Pro API JSON', () => {
  it('reads a paged inventory detail as one target per device', () => {
    const text = fixture('jamf-mobile-devices-detail.json');
    expect(detectMdm(text)).toBe('jamf-pro-json');
    const targets = parseJamfJson(text, 'd.json') ?? [];
    expect(targets.map((t) => [t.id, t.device?.name, t.apps.map((a) => a.id)])).toEqual([
      ['jamf:00008103-001A2B3C4D5E6F70', 'Field iPad 07', ['com.apple.Pages', 'com.tencent.xin']],
      ['jamf:00008103-001A2B3C4D5E6F71', 'Field iPad 08', ['com.apple.Pages']],
    ]);
    expect(targets[0]?.apps[1]).toMatchObject({ versionName: '8.0.54', versionCode: '8.0.54.32' });
  });

  it('warns when the page holds fewer devices than totalCount', () => {
    const doc = { totalCount: 5, results: [{ mobileDeviceId: '1', udid: 'U', applications: [] }] };
    const [t] = parseJamfJson(JSON.stringify(doc), 'p.json') ?? [];
    expect(t?.diagnostics.map((d) => d.message).join('\n')).toMatch(/1 of 5 devices/);
  });
});
