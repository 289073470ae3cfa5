// Device-scan benchmark: adb round-trips and wall time for the 800-app recorded phone, with
// 40 ms added to every adb call (USB latency). Run after `npm run build`: node bench/devices.js
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { androidSource } from '../dist/sources/adb.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const bin = join(root, 'test', 'harness', 'bin');
const delayMs = Number(process.env.DELAY_MS ?? 40);
const runs = Number(process.env.RUNS ?? 3);

const results = [];
for (let run = 0; run < runs; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'appwarden-bench-'));
  const log = join(dir, 'calls.jsonl');
  const ctx = {
    timeoutMs: 120_000,
    tools: {
      adb: join(bin, 'adb'),
      ideviceId: join(bin, 'idevice_id'),
      ideviceInfo: join(bin, 'ideviceinfo'),
      ideviceInstaller: join(bin, 'ideviceinstaller'),
    },
    env: {
      PATH: process.env.PATH,
      AW_HARNESS_SCENARIO: join(root, 'test', 'harness', 'scenarios', 'phone-800.yaml'),
      AW_HARNESS_LOG: log,
      AW_HARNESS_DELAY_MS: String(delayMs),
    },
  };
  const started = performance.now();
  const devices = await androidSource.discover(ctx);
  const targets = await Promise.all(devices.map((d) => androidSource.scan(d, ctx)));
  const wallMs = performance.now() - started;
  const calls = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const target = targets[0];
  results.push({
    run: run + 1,
    status: target?.status,
    apps: target?.apps.length,
    withCert: target?.apps.filter((a) => a.publisher.certSha256?.length).length,
    adbCalls: calls.length,
    perDeviceCalls: calls.filter((c) => c.argv[0] === '-s').length,
    wallMs: Math.round(wallMs),
  });
  rmSync(dir, { recursive: true, force: true });
}
console.log(`bench/devices: phone-800 scenario, ${delayMs} ms added per adb call`);
console.table(results);
const walls = results.map((r) => r.wallMs).sort((a, b) => a - b);
console.log(
  `median wall time ${walls[Math.floor(walls.length / 2)]} ms; adb calls per scan ${results[0]?.adbCalls}`,
);
