// Child process for the listings benchmark: runs one side (appwarden or the bare floor) and prints
// its own wall time and peak RSS as JSON, so each measurement has a fresh heap.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [mode, dir, rulesFile] = process.argv.slice(2);
const started = process.hrtime.bigint();
let apps = 0;
let hits = 0;

if (mode === 'bare') {
  // The floor: read each file, split lines, take the package name, look it up in a Set.
  const ids = new Set(JSON.parse(readFileSync(path.join(dir, '..', 'exact-ids.json'), 'utf8')));
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    for (const line of text.split('\n')) {
      if (!line.startsWith('package:')) continue;
      const eq = line.lastIndexOf('=', line.indexOf(' versionCode:'));
      const pkg = line.slice(eq + 1, line.indexOf(' ', eq));
      apps++;
      if (ids.has(pkg)) hits++;
    }
  }
} else {
  const { scan } = await import('../dist/index.js');
  const workers =
    process.env.BENCH_WORKERS === undefined ? {} : { workers: Number(process.env.BENCH_WORKERS) };
  const result = await scan({
    inputs: [dir],
    rules: [rulesFile],
    keepApps: false,
    failOn: 'none',
    ...workers,
  });
  apps = result.summary.apps;
  hits = result.findings.length;
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(
  `${JSON.stringify({ mode, apps, hits, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
