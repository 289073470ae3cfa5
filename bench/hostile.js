// `npm run bench:hostile [-- SCALE]`: every hostile-input class of test/hostile (one generator per
// attack class and parser) scanned by the built binary under GNU time, printing the worst wall
// time and peak memory per class and per parser. SCALE (default 1) grows the inputs: 10 gives the
// sizes issue 10 reported (a 26 MB ABX with 2.4 M packages, 1.2 M listing lines). The limits
// themselves are asserted by the test; this only prints.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scale = process.argv[2] ?? '1';
if (!existsSync('/usr/bin/time')) {
  console.log('bench:hostile needs GNU time at /usr/bin/time');
  process.exit(1);
}
const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-bench-hostile-'));
const report = path.join(dir, 'measurements.jsonl');
const run = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/hostile/hostile.test.ts'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: 'true', APPWARDEN_HOSTILE_REPORT: report, APPWARDEN_HOSTILE_SCALE: scale },
  },
);
const rows = existsSync(report)
  ? readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l))
  : [];
rmSync(dir, { recursive: true, force: true });

const mb = (kb) => (kb / 1024).toFixed(0).padStart(5);
console.log(`hostile inputs at scale ${scale} (limits: 5 s, 300 MB per scan)\n`);
console.log(`${'class'.padEnd(60)} ${'input'.padStart(9)} ${'time s'.padStart(7)} ${'RSS MB'.padStart(7)}`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(60)} ${(r.bytes / 1024 / 1024).toFixed(1).padStart(7)}MB ${r.seconds.toFixed(2).padStart(7)} ${mb(r.rssKb).padStart(7)}`,
  );
}
const byParser = new Map();
for (const r of rows) {
  const worst = byParser.get(r.parser) ?? { seconds: 0, rssKb: 0 };
  byParser.set(r.parser, {
    seconds: Math.max(worst.seconds, r.seconds),
    rssKb: Math.max(worst.rssKb, r.rssKb),
  });
}
console.log(`\n${'parser'.padEnd(24)} ${'worst s'.padStart(8)} ${'peak MB'.padStart(8)}`);
for (const [parser, w] of byParser) {
  console.log(`${parser.padEnd(24)} ${w.seconds.toFixed(2).padStart(8)} ${mb(w.rssKb).padStart(8)}`);
}
const worstTime = Math.max(0, ...rows.map((r) => r.seconds));
const worstRss = Math.max(0, ...rows.map((r) => r.rssKb));
console.log(`\nworst: ${worstTime.toFixed(2)} s, ${mb(worstRss).trim()} MB over ${rows.length} classes`);
if (run.status !== 0) console.log('(some limits were exceeded: see the test output above)');
process.exitCode = rows.length === 0 ? 1 : 0;
