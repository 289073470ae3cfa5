import { describe, expect, it } from 'vitest';
import type { ScanResult, TargetResult } from '../../src/model.js';
import { detectMdm } from '../../src/parsers/mdm/index.js';
import { parseInventoryNdjson } from '../../src/parsers/mdm/ndjson.js';
import { APP_COLUMNS, TARGET_COLUMNS, versionKey } from '../../src/parsers/mdm/table.js';
import { renderNdjson } from '../../src/reporters/ndjson.js';

const targets: TargetResult[] = [
  {
    id: 'android:ABC',
    kind: 'device',
    status: 'scanned',
    format: 'pm-list',
    device: { platform: 'android', serial: 'ABC', model: 'Pixel 8', sdk: 34 },
    profiles: [{ user: 0, kind: 'primary', scanned: true }],
    apps: [
      {
        platform: 'android',
        id: 'com.tencent.mm',
        versionName: '8.0.54',
        versionCode: 2800,
        installer: 'com.android.vending',
        system: false,
        user: 0,
        publisher: { certSha256: ['a'.repeat(64)], certSha1: ['b'.repeat(40)] },
        origin: { target: 'android:ABC', parser: 'pm-list', path: 'p.txt', line: 3 },
      },
    ],
    diagnostics: [],
  },
  { id: 'broken.txt', kind: 'listing', status: 'failed', error: 'empty file', apps: [], diagnostics: [] },
];
const result = { targets } as unknown as ScanResult;
const ctx = {} as Parameters<typeof renderNdjson>[1];

describe('NDJSON inventory table', () => {
  it('writes a target row per target and an app row per app, every row with every column', () => {
    const lines = renderNdjson(result, ctx).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.record, r.target_id])).toEqual([
      ['target', 'android:ABC'],
      ['app', 'android:ABC'],
      ['target', 'broken.txt'],
    ]);
    for (const r of rows) for (const c of [...TARGET_COLUMNS, ...APP_COLUMNS]) expect(r).toHaveProperty(c);
    expect(rows[1]).toMatchObject({
      package: 'com.tencent.mm',
      version_code: '2800',
      version_key: '000000000008.000000000000.000000000054',
      device_serial: 'ABC',
      profile_kind: 'primary',
      cert_sha1: ['b'.repeat(40)],
      cert_md5: [],
    });
    expect(rows[2]).toMatchObject({ target_status: 'failed', target_error: 'empty file', app_count: 0 });
  });

  it('reads its own output back to the same targets', () => {
    const text = renderNdjson(result, ctx);
    expect(detectMdm(text)).toBe('inventory-ndjson');
    const back = parseInventoryNdjson(text, 'inv.ndjson') ?? [];
    expect(back.map((t) => [t.id, t.kind, t.status, t.error, t.format])).toEqual([
      ['android:ABC', 'device', 'scanned', undefined, 'pm-list'],
      ['broken.txt', 'listing', 'failed', 'empty file', undefined],
    ]);
    expect(back[0]?.device).toEqual(targets[0]?.device);
    expect(back[0]?.profiles).toEqual(targets[0]?.profiles);
    const { origin: _o, ...app } = back[0]!.apps[0]!;
    const { origin: _p, ...orig } = targets[0]!.apps[0]!;
    expect(app).toEqual(orig);
  });

  it('never reads a filtered export as complete', () => {
    const lines = renderNdjson(result, ctx).trimEnd().split('\n');
    const appsOnly = parseInventoryNdjson(lines[1]!, 'x.ndjson') ?? [];
    expect(appsOnly[0]?.status).toBe('partial');
    expect(appsOnly[0]?.error).toMatch(/no target row/);
    const targetOnly = parseInventoryNdjson(`${lines[0]}\n`, 'x.ndjson') ?? [];
    expect(targetOnly[0]?.status).toBe('partial');
    expect(targetOnly[0]?.error).toMatch(/counts 1 app\(s\) but the file holds 0/);
    const garbled = parseInventoryNdjson(`${lines[0]}\n${lines[1]}\n{not json\n`, 'x.ndjson') ?? [];
    expect(garbled[0]?.status).toBe('partial');
    expect(garbled[0]?.error).toMatch(/line 3/);
  });

  it('keeps two targets of the same id apart, each with its own apps', () => {
    const twice = { targets: [targets[0], targets[0]] } as unknown as ScanResult;
    const back = parseInventoryNdjson(renderNdjson(twice, ctx), 'x.ndjson') ?? [];
    expect(back.map((t) => [t.id, t.status, t.apps.length])).toEqual([
      ['android:ABC', 'scanned', 1],
      ['android:ABC', 'scanned', 1],
    ]);
  });

  it('version_key sorts like versions', () => {
    const ordered = ['1.0.0', '1.0.beta', '1.2', '1.2.0', '1.10', '2.0.0', '2.0.0-beta', '10.0'];
    const keys = ordered.map((v) => versionKey(v)!);
    expect([...keys].sort()).toEqual(keys);
    expect(versionKey('007')).toBe('000000000007');
    expect(versionKey(undefined)).toBeNull();
  });
});
