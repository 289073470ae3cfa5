// Benchmark (issue 11): N saved `pm list packages -f -i -U --show-versioncode` listings of 150 apps,
// checked against 500 rules (400 exact ids, 100 globs), run as users run it: the built CLI,
// `appwarden scan DIR --rules R --format json > file`, timed by GNU time (median of 3), next to a
// floor measured the same way in the same run (bench/listings-floor.js: read, split, regex the id,
// Set + glob-prefix Map, write findings as JSON). Prints every figure with its ratio and target.
// Usage: node bench/listings.js [listings=10000]   (BENCH_RUNS=1 for a quick look)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh, timeShell } from './measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '../bin/appwarden.js');
const FLOOR = path.join(here, 'listings-floor.js');
const APPS_PER_LISTING = 150;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Deterministic PRNG (mulberry32) so every run scans the same data. */
const rng = (seed) => () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const VENDORS = Array.from({ length: 400 }, (_, i) => `com.vendor${i}`);
const POOL = Array.from({ length: 20_000 }, (_, i) => `${VENDORS[i % VENDORS.length]}.app${i}`);

/** A rule file (YAML for appwarden) and the same rules as JSON for the floor. */
const writeRules = (root, name, exact, globs) => {
  const yaml = [
    'name: bench',
    'rules:',
    ...exact.map(
      ([id, rule]) =>
        `  - { id: ${rule}, title: ${rule}, severity: high, message: m, match: { package: ${id} } }`,
    ),
    ...globs.map(
      ([glob, rule]) =>
        `  - { id: ${rule}, title: ${rule}, severity: medium, message: m, match: { package: "${glob}" } }`,
    ),
  ];
  writeFileSync(path.join(root, `${name}.yaml`), `${yaml.join('\n')}\n`);
  writeFileSync(path.join(root, `${name}.json`), JSON.stringify({ exact, globs }));
};

const generate = (root, listings) => {
  const random = rng(42);
  mkdirSync(path.join(root, 'listings'), { recursive: true });
  // Few findings (about 300 per 10,000 listings): 4 of the 400 exact ids are installed somewhere,
  // the globs name prefixes nobody has; the matcher still has to check every app against all 500.
  const exact = Array.from({ length: 400 }, (_, i) => [
    i < 4 ? POOL[(i * 37) % POOL.length] : `org.absent${i}.app`,
    `bench.exact${i}`,
  ]);
  const fewGlobs = Array.from({ length: 100 }, (_, i) => [
    `${VENDORS[(i * 7) % 400]}.tool*`,
    `bench.glob${i}`,
  ]);
  writeRules(root, 'few', exact, fewGlobs);
  // Many findings (about 225,000 per 10,000 listings): 60 whole vendors, 15 % of all apps, by glob.
  const manyGlobs = Array.from({ length: 100 }, (_, i) =>
    i < 60 ? [`${VENDORS[i]}.*`, `bench.glob${i}`] : [`org.absent${i}.*`, `bench.glob${i}`],
  );
  writeRules(root, 'many', exact, manyGlobs);
  for (let n = 0; n < listings; n++) {
    const lines = [];
    const seen = new Set();
    for (let a = 0; a < APPS_PER_LISTING; a++) {
      let pkg = POOL[Math.floor(random() * POOL.length)];
      while (seen.has(pkg)) pkg = POOL[Math.floor(random() * POOL.length)];
      seen.add(pkg);
      const salt = Math.floor(random() * 1e9).toString(36);
      lines.push(
        `package:/data/app/~~${salt}==/${pkg}-${salt}==/base.apk=${pkg} versionCode:${Math.floor(random() * 1e6)}  installer=com.android.vending uid:${10000 + a}`,
      );
    }
    writeFileSync(
      path.join(root, 'listings', `device-${String(n).padStart(5, '0')}.txt`),
      `${lines.join('\n')}\n`,
    );
  }
};

const fmt = (n, d = 2) => n.toFixed(d);

// appwarden keeps validated rule files in a compiled-rule cache ($XDG_CACHE_HOME/appwarden): the
// bench gives it a fresh cache directory and fills it with one untimed run per rule file, so the
// timed runs are what a nightly job sees from its second night on. Start-up is shown both ways.
const CACHE = mkdtempSync(path.join(tmpdir(), 'appwarden-bench-cache-'));
process.env.XDG_CACHE_HOME = CACHE;
const TINY = path.join(tmpdir(), 'appwarden-bench-tiny.txt');
const warmRules = (rulesFile) => {
  writeFileSync(TINY, 'package:com.android.chrome versionCode:1\n');
  try {
    execFileSync(
      'node',
      [BIN, 'scan', TINY, '--format', 'json', ...(rulesFile ? ['--rules', rulesFile] : [])],
      {
        stdio: 'ignore',
      },
    );
  } catch {
    // Exit 1 (a finding) or 3 is fine: only the cache entry matters here.
  }
};

const measure = (root, rules) => {
  const out = path.join(root, `out-${rules}.json`);
  warmRules(path.join(root, `${rules}.yaml`));
  const floor = timeShell(
    `node ${sh(FLOOR)} ${sh(path.join(root, 'listings'))} ${sh(path.join(root, `${rules}.json`))} > ${sh(out)}`,
    { runs: RUNS },
  );
  const floorDoc = JSON.parse(readFileSync(out, 'utf8'));
  const cli = timeShell(
    `node ${sh(BIN)} scan ${sh(path.join(root, 'listings'))} --rules ${sh(path.join(root, `${rules}.yaml`))} --format json > ${sh(out)}`,
    { runs: RUNS, okStatus: [0, 1] },
  );
  const doc = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  if (doc.findings.length !== floorDoc.findings.length || doc.summary.apps !== floorDoc.apps) {
    console.log(
      `  ! appwarden and the floor disagree: ${doc.findings.length} vs ${floorDoc.findings.length} findings, ${doc.summary.apps} vs ${floorDoc.apps} apps`,
    );
  }
  return { floor, cli, apps: doc.summary.apps, findings: doc.findings.length };
};

const row = (label, m, wallTarget, memTarget) => {
  const wallRatio = m.cli.wall / m.floor.wall;
  const cpuRatio = m.cli.cpu / m.floor.cpu;
  const rate = m.apps / m.cli.wall / 1e6;
  const verdicts = [
    `wall ${fmt(wallRatio)}x ${wallRatio <= wallTarget ? 'ok' : 'MISS'} (≤ ${wallTarget}x)`,
    `CPU ${fmt(cpuRatio)}x ${cpuRatio <= wallTarget ? 'ok' : 'MISS'}`,
    memTarget
      ? `peak ${fmt(m.cli.rssMb, 0)} MiB ${m.cli.rssMb <= memTarget ? 'ok' : 'MISS'} (≤ ${memTarget})`
      : '',
  ];
  console.log(
    `${label.padEnd(28)} | ${String(m.apps).padStart(9)} | ${String(m.findings).padStart(8)} | ${fmt(m.cli.wall).padStart(7)} s | ${fmt(m.cli.cpu).padStart(7)} s | ${fmt(rate).padStart(5)} M/s | ${fmt(m.cli.rssMb, 0).padStart(5)} MiB | ${fmt(m.floor.wall).padStart(6)} s | ${fmt(m.floor.cpu).padStart(6)} s | ${verdicts.filter(Boolean).join(', ')}`,
  );
};

export const main = async (listings = Number(process.argv[2] ?? 10_000)) => {
  console.log(
    `Listings: ${APPS_PER_LISTING} apps each, 500 rules (400 exact, 100 globs); CLI \`scan DIR --format json > file\` vs floor, both under GNU time, median of ${RUNS}`,
  );
  console.log(
    'case                         |      apps | findings |    wall |     CPU | rate      |  peak     | floor wall | floor CPU | targets',
  );
  const results = [];
  for (const n of [Math.max(1, Math.floor(listings / 4)), listings]) {
    const root = path.join(tmpdir(), `appwarden-bench-listings-${n}`);
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
    if (!existsSync(path.join(root, 'many.yaml'))) generate(root, n);
    const few = measure(root, 'few');
    row(`${n} listings, few findings`, few, n >= 50_000 ? 1.8 : 2);
    const many = measure(root, 'many');
    row(`${n} listings, many findings`, many, 3, 300);
    results.push({ n, few, many });
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
  }
  const [small, big] = results;
  for (const kind of ['few', 'many']) {
    const a = small[kind].cli.rssMb;
    const b = big[kind].cli.rssMb;
    const change = (b - a) / a;
    console.log(
      `memory, ${kind} findings: ${fmt(a, 0)} MiB at ${small.n} listings, ${fmt(b, 0)} MiB at ${big.n} (${change >= 0 ? '+' : ''}${fmt(change * 100, 0)} %; target flat ± 10 %: ${Math.abs(change) <= 0.1 ? 'ok' : 'MISS'})`,
    );
  }
  // Start-up: one tiny listing with the default pack, against node doing nothing; warm rule cache,
  // then without it (APPWARDEN_NO_CACHE=1: every rule file parsed and validated as on a first run).
  warmRules();
  const node0 = timeShell('node -e 0', { runs: RUNS });
  const startCmd = `node ${sh(BIN)} scan ${sh(TINY)} --format json > /dev/null`;
  const start = timeShell(startCmd, { runs: RUNS, okStatus: [0, 1, 3] });
  const cold = timeShell(startCmd, { runs: RUNS, okStatus: [0, 1, 3], env: { APPWARDEN_NO_CACHE: '1' } });
  rmSync(TINY, { force: true });
  rmSync(CACHE, { recursive: true, force: true });
  const ratio = start.wall / node0.wall;
  console.log(
    `start-up (one tiny listing, default pack): ${fmt(start.wall, 3)} s wall, ${fmt(start.cpu, 3)} CPU-s vs \`node -e 0\` ${fmt(node0.wall, 3)} s, ${fmt(node0.cpu, 3)} CPU-s = ${fmt(ratio)}x wall, ${fmt(start.cpu / node0.cpu)}x CPU (target ≤ 2x: ${ratio <= 2 ? 'ok' : 'MISS'}); without the rule cache ${fmt(cold.wall, 3)} s = ${fmt(cold.wall / node0.wall)}x`,
  );
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
