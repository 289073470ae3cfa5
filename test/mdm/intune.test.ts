import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectMdm } from '../../src/parsers/mdm/index.js';
import { parseIntuneCsv, parseIntuneGraph } from '../../src/parsers/mdm/intune.js';

const fixture = (name: string) => readFileSync(`fixtures/mdm/${name}`, 'utf8');

describe('Intune Graph detectedApp JSON', () => {
  it('reads a detectedApp with its managed devices as one target per device', () => {
    const text = fixture('intune-detected-app.json');
    expect(detectMdm(text)).toBe('intune-graph');
    const targets = parseIntuneGraph(text, 'app.json') ?? [];
    expect(targets.map((t) => [t.id, t.device?.name, t.apps.map((a) => a.id)])).toEqual([
      ['intune:b1f7c6a2-6c0e-4d7e-9b1e-2f3a4b5c6d7e', 'ANNA-PIXEL8', ['com.zhiliaoapp.musically']],
      ['intune:c2e8d7b3-7d1f-4e8f-8c2f-3a4b5c6d7e8f', 'RAJ-GALAXY-S23', ['com.zhiliaoapp.musically']],
    ]);
    expect(targets[0]?.apps[0]).toMatchObject({ platform: 'android', versionName: '37.4.3' });
    expect(targets.every((t) => t.evidence?.publisher === 'none')).toBe(true);
  });

  it('reads a managedDevice with its detectedApps; display-name-only apps make it partial', () => {
    const [t] = parseIntuneGraph(fixture('intune-managed-device.json'), 'dev.json') ?? [];
    expect(t?.id).toBe('intune:d3f9e8c4-8e2a-4f9a-9d3a-4b5c6d7e8f9a');
    expect(t?.device).toMatchObject({ platform: 'ios', name: 'LEE-IPHONE15', serial: 'F2LXK0ABCDEF' });
    expect(t?.apps.map((a) => a.id)).toEqual(['com.tencent.xin', 'com.apple.Pages']);
    expect(t?.status).toBe('partial');
    expect(t?.error).toMatch(/1 discovered app\(s\) are named only by display name \("Contoso Expenses"\)/);
  });

  it('keeps detected apps without devices on one target for the file, and skips desktop platforms', () => {
    const doc = {
      value: [
        { id: '1', displayName: 'com.tencent.mm', version: '8.0', platform: 'androidOSP', deviceCount: 3 },
        { id: '2', displayName: 'Notepad++', version: '8.6', platform: 'windows', deviceCount: 9 },
      ],
    };
    const [t, ...rest] = parseIntuneGraph(JSON.stringify(doc), 'apps.json') ?? [];
    expect(rest).toEqual([]);
    expect(t?.id).toBe('apps.json');
    expect(t?.apps.map((a) => a.id)).toEqual(['com.tencent.mm']);
    const messages = t?.diagnostics.map((d) => d.message).join('\n');
    expect(messages).toMatch(/1 discovered app\(s\) on platforms other than Android and iOS skipped/);
    expect(messages).toMatch(/\$expand=managedDevices/);
  });
});

describe('Intune Discovered apps CSV export', () => {
  it('reads DiscoveredAppsRawData rows as one target per device', () => {
    const text = fixture('intune-discovered-apps.csv');
    expect(detectMdm(text)).toBe('intune-discovered-apps');
    const targets = parseIntuneCsv(text, 'apps.csv') ?? [];
    expect(targets.map((t) => [t.id, t.device?.name, t.device?.platform, t.apps.length])).toEqual([
      ['intune:b1f7c6a2-6c0e-4d7e-9b1e-2f3a4b5c6d7e', 'ANNA-PIXEL8', 'android', 2],
      ['intune:d3f9e8c4-8e2a-4f9a-9d3a-4b5c6d7e8f9a', 'LEE-IPHONE15', 'ios', 2],
    ]);
    const tiktok = targets[0]?.apps[0];
    expect(tiktok).toMatchObject({
      id: 'com.zhiliaoapp.musically',
      name: 'TikTok',
      versionName: '37.4.3',
      versionCode: '2023704030',
      publisher: { name: 'TikTok Pte. Ltd.' },
      origin: { line: 2 },
    });
    expect(targets.every((t) => t.status === 'scanned')).toBe(true);
  });

  it('reads the aggregate export (no device columns) as one target for the file, and names short rows', () => {
    const text =
      'ApplicationKey,ApplicationName,ApplicationVersion,DeviceCount,Platform\ncom.tencent.mm,WeChat,8.0,4,Android\ncom.x.y,Broken\n';
    const [t] = parseIntuneCsv(text, 'agg.csv') ?? [];
    expect(t?.id).toBe('agg.csv');
    expect(t?.apps.map((a) => a.id)).toEqual(['com.tencent.mm']);
    expect(t?.status).toBe('partial');
    expect(t?.error).toMatch(/1 row\(s\) have fewer cells than the header \(line 3\)/);
  });
});
