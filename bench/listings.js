// Benchmark (issue 2): N saved `pm list packages` listings of 150 apps each, checked against a
// 500-rule set of exact ids and globs. Prints apps/second and peak memory for appwarden and, in the
// same run, for a bare Node script that only reads, splits and looks names up in a Set.
// Usage: node bench/listings.js [listings=10000]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const APPS_PER_LISTING = 150;
const RULES = 500;

/** Deterministic PRNG (mulberry32) so every run scans the same data. */
const rng = (seed) => () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const generate = (root, listings) => {
  const random = rng(42);
  const vendors = Array.from({ length: 400 }, (_, i) => `com.vendor${i}`);
  const pool = Array.from({ length: 20_000 }, (_, i) => `${vendors[i % vendors.length]}.app${i}`);
  const exact = Array.from({ length: 400 }, (_, i) => pool[(i * 37) % pool.length]);
  const globs = Array.from({ length: 100 }, (_, i) => `${vendors[(i * 7) % vendors.length]}.app1*`);
  const rules = [
    'name: bench',
    'rules:',
    ...exact.map(
      (id, i) =>
        `  - { id: bench.exact${i}, title: E${i}, severity: high, message: m, match: { package: ${id} } }`,
    ),
    ...globs.map(
      (g, i) =>
        `  - { id: bench.glob${i}, title: G${i}, severity: medium, message: m, match: { package: "${g}" } }`,
    ),
  ];
  if (rules.length - 2 !== RULES) throw new Error('rule count');
  mkdirSync(path.join(root, 'listings'), { recursive: true });
  writeFileSync(path.join(root, 'rules.yaml'), `${rules.join('\n')}\n`);
  writeFileSync(path.join(root, 'exact-ids.json'), JSON.stringify(exact));
  // Same shape of rule set, ids nobody has installed: isolates memory that is not findings.
  const none = rules.map((line) => line.replace(/com\.vendor(\d+)/g, 'org.absent$1'));
  writeFileSync(path.join(root, 'rules-nohit.yaml'), `${none.join('\n')}\n`);
  for (let n = 0; n < listings; n++) {
    const lines = [];
    const seen = new Set();
    for (let a = 0; a < APPS_PER_LISTING; a++) {
      let pkg = pool[Math.floor(random() * pool.length)];
      while (seen.has(pkg)) pkg = pool[Math.floor(random() * pool.length)];
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

const runChild = (mode, root, rules = 'rules.yaml', env = {}) => {
  const r = spawnSync(
    process.execPath,
    [path.join(here, 'listings-child.js'), mode, path.join(root, 'listings'), path.join(root, rules)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...env },
    },
  );
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
};

export const main = async (listings = Number(process.argv[2] ?? 10_000)) => {
  const rows = [];
  for (const n of [Math.max(1, Math.floor(listings / 4)), listings]) {
    const root = path.join(tmpdir(), `appwarden-bench-listings-${n}`);
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
    if (!existsSync(root)) generate(root, n);
    const bare = runChild('bare', root);
    const aw = runChild('appwarden', root);
    const quiet = runChild('appwarden', root, 'rules-nohit.yaml');
    // The same scan without listing workers: what the main thread alone does.
    const single = runChild('appwarden', root, 'rules.yaml', { BENCH_WORKERS: '0' });
    rows.push({ n, bare, aw, quiet, single });
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `\nListings benchmark: ${APPS_PER_LISTING} apps per listing, ${RULES} rules (400 exact ids, 100 globs)`,
  );
  console.log(
    'listings | apps      | appwarden s | apps/s    | peak MB | bare s | bare apps/s | ratio | bare MB',
  );
  for (const { n, bare, aw } of rows) {
    console.log(
      [
        String(n).padStart(8),
        String(aw.apps).padStart(9),
        (aw.ms / 1000).toFixed(2).padStart(11),
        Math.round(aw.apps / (aw.ms / 1000))
          .toLocaleString('en')
          .padStart(9),
        aw.maxRssMb.toFixed(0).padStart(7),
        (bare.ms / 1000).toFixed(2).padStart(6),
        Math.round(bare.apps / (bare.ms / 1000))
          .toLocaleString('en')
          .padStart(11),
        `${(aw.ms / bare.ms).toFixed(2)}x`.padStart(5),
        bare.maxRssMb.toFixed(0).padStart(7),
      ].join(' | '),
    );
    if (aw.apps !== bare.apps) console.log(`  ! app counts differ: appwarden ${aw.apps}, bare ${bare.apps}`);
  }
  for (const { n, aw, quiet, single } of rows) {
    console.log(
      `  ${n} listings: ${aw.hits} findings; with a rule set nobody matches: ${(quiet.ms / 1000).toFixed(2)} s, ${quiet.maxRssMb.toFixed(0)} MB peak, ${quiet.hits} findings; ` +
        `without listing workers: ${(single.ms / 1000).toFixed(2)} s, ${single.maxRssMb.toFixed(0)} MB peak`,
    );
  }
  const [small, big] = rows;
  console.log(
    `memory without findings: ${small.quiet.maxRssMb.toFixed(0)} MB at ${small.n} listings vs ${big.quiet.maxRssMb.toFixed(0)} MB at ${big.n} (target: flat); ` +
      `with findings it grows by the findings kept: ${(((big.aw.maxRssMb - small.aw.maxRssMb) * 1024) / Math.max(1, big.aw.hits - small.aw.hits)).toFixed(2)} KB per finding; ` +
      `time ratio to the floor ${(big.aw.ms / big.bare.ms).toFixed(2)}x (target <= 3x)`,
  );
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
