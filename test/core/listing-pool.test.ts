import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Worker threads run the built package (dist/), as the CLI does; without a build there is nothing to test.
const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const dist = path.join(root, 'dist');
const workerBuilt = existsSync(path.join(dist, 'sources/listing-worker.js'));

type Api = typeof import('../../src/index.js');
type PoolModule = typeof import('../../src/sources/listing-pool.js');

describe.skipIf(!workerBuilt)('listing worker pool (built package)', () => {
  let dir: string;
  let api: Api;
  let poolModule: PoolModule;

  beforeAll(async () => {
    api = (await import(path.join(dist, 'index.js'))) as Api;
    poolModule = (await import(path.join(dist, 'sources/listing-pool.js'))) as PoolModule;
    dir = mkdtempSync(path.join(tmpdir(), 'appwarden-pool-'));
    mkdirSync(path.join(dir, 'listings', 'nested'), { recursive: true });
    const apps = ['com.zhiliaoapp.musically', 'com.tencent.mm', 'com.Tencent.MM', 'com.google.android.gm'];
    for (let n = 0; n < 40; n++) {
      const lines = apps
        .slice(0, 1 + (n % apps.length))
        .map(
          (id, i) =>
            `package:/data/app/~~s${n}==/${id}-s${n}==/base.apk=${id} versionCode:${n * 7 + i}  installer=com.android.vending uid:${10000 + i + (n % 3) * 100000}`,
        );
      // Some listings repeat an app (merged by the scan) or carry a line the parser warns about.
      if (n % 5 === 0) lines.push(lines[0] ?? '');
      if (n % 7 === 0) lines.push('package:/data/app/broken.apk=');
      const sub = n % 4 === 0 ? 'nested' : '';
      writeFileSync(
        path.join(dir, 'listings', sub, `device-${String(n).padStart(3, '0')}.txt`),
        `${lines.join('\n')}\n`,
      );
    }
    writeFileSync(path.join(dir, 'listings', 'notes.md'), '# not a listing\n');
    writeFileSync(path.join(dir, 'listings', 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 0, 0, 9]));
    writeFileSync(path.join(dir, 'listings', 'empty.txt'), '');
    writeFileSync(
      path.join(dir, 'rules.yaml'),
      [
        'name: pool-test',
        'rules:',
        '  - { id: t.tiktok, title: TikTok, severity: high, message: m, references: [https://example.org/t], match: { package: com.zhiliaoapp.musically } }',
        '  - { id: t.wechat, title: WeChat, severity: medium, message: m, match: { package: com.tencent.mm } }',
        '  - { id: t.google, title: Google, severity: low, message: m, match: { package: "com.google.*" } }',
      ].join('\n'),
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (workers: number, keepApps: boolean) => {
    const events: string[] = [];
    const result = await api.scan({
      inputs: [path.join(dir, 'listings')],
      rules: [path.join(dir, 'rules.yaml'), 'uk-gov'],
      keepApps,
      workers,
      now: new Date('2026-01-01T00:00:00Z'),
      onProgress: (e) => events.push(JSON.stringify(e)),
    });
    return { result, json: JSON.stringify(api.toJsonDocument(result, 'test', keepApps)), events };
  };

  it.each([true, false])('gives the same report with and without workers (keepApps %s)', async (keepApps) => {
    const here = await run(0, keepApps);
    const pooled = await run(2, keepApps);
    expect(here.result.findings.length).toBeGreaterThan(40);
    expect(here.result.notes.length).toBeGreaterThan(0);
    expect(pooled.json).toBe(here.json);
    const ends = (events: string[]) => events.filter((e) => e.includes('target-end'));
    expect(ends(pooled.events)).toEqual(ends(here.events));
    expect([...pooled.events].sort()).toEqual([...here.events].sort());
  });

  it('turns a worker that cannot start into failed targets and shuts down', async () => {
    const ruleSet = api.loadRuleSet([path.join(dir, 'rules.yaml')]);
    // A rule whose match is not a list makes the worker's compileRuleSet throw at start-up.
    const broken = { ...ruleSet, rules: [{ ...ruleSet.rules[0]!, match: 7 as never }] };
    const pool = poolModule.ListingPool.create(1, { ruleSet: broken, keepApps: false });
    expect(pool).toBeDefined();
    const file = path.join(dir, 'listings', 'device-001.txt');
    const reply = await pool!.read(file);
    await pool!.close();
    expect(reply.kind).toBe('read');
    if (reply.kind !== 'read') return;
    expect(reply.targets[0]?.target).toMatchObject({ id: file, status: 'failed' });
    expect(reply.targets[0]?.target.error).toMatch(/^listing worker (failed|stopped)/);
    // After close every file goes back to the main thread.
    expect((await pool!.read(file)).kind).toBe('main');
  });
});
