// APK benchmark: appwarden's APK reader vs `aapt dump badging` + `apksigner verify --print-certs`
// (and androguard's Python API when the Debian package is installed), files per second and bytes
// read per APK, plus a generated 500 MB APK that should cost about what a 5 MB one does.
// Run after `npm run build`: node bench/apk.js
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sh, timeShell } from './measure.js';
import { storedZipWriter } from './stored-zip.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../dist');
const { readApkFile, readZipDirectory, readZipEntry } = await import(
  pathToFileURL(join(dist, 'sources/apk.js')).href
);
const { openFileByteReader } = await import(pathToFileURL(join(dist, 'sources/byte-reader.js')).href);

const listApks = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.apk'))
        .map((f) => join(dir, f))
    : [];

const has = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Best of three timed rounds: other work on the machine only ever slows a round down. */
async function timeAppwarden(files, minMs = 700) {
  const rounds = [];
  for (let i = 0; i < 3; i++) rounds.push(await timeRound(files, minMs));
  return rounds.reduce((best, r) => (r.filesPerSec > best.filesPerSec ? r : best));
}

async function timeRound(files, minMs) {
  let runs = 0;
  let bytes = 0;
  const start = performance.now();
  do {
    for (const f of files) bytes += (await readApkFile(f)).bytesRead;
    runs++;
  } while (performance.now() - start < minMs);
  const ms = performance.now() - start;
  return { filesPerSec: (runs * files.length * 1000) / ms, bytesPerFile: bytes / (runs * files.length) };
}

/**
 * The CI job as a user runs it: `appwarden scan <folder of 1,000 APKs> --format json > file` through
 * the built binary (process start, folder walk, every reader, matching, JSON report), against the
 * reference tools run as a user would run them over the same folder: a shell loop of
 * `aapt dump badging` over every file, and a shell loop of `aapt` + `apksigner verify --print-certs`
 * (a JVM start per file, so over a 40-file sample of the folder, said so in the output). All three
 * are timed by GNU time around one `sh -c`.
 */
function folderScan(sources, count, tools) {
  const dir = mkdtempSync(join(tmpdir(), 'appwarden-bench-folder-'));
  const out = join(tmpdir(), `appwarden-bench-folder-${process.pid}.json`);
  try {
    const usable = sources.filter((f) => statSync(f).size > 0);
    for (let i = 0; i < count; i++) {
      copyFileSync(usable[i % usable.length], join(dir, `app-${String(i).padStart(4, '0')}.apk`));
    }
    const bin = join(here, '../bin/appwarden.js');
    const ours = timeShell(`node ${sh(bin)} scan ${sh(dir)} --format json > ${sh(out)}`, {
      okStatus: [0, 1, 3],
    });
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const sampleDir = join(dir, 'sample');
    let aapt;
    let both;
    if (tools) {
      aapt = timeShell(`for f in ${sh(dir)}/*.apk; do aapt dump badging "$f" >/dev/null 2>&1; done; true`, {
        runs: 1,
      });
      mkdirSync(sampleDir);
      for (const f of readdirSync(dir)
        .filter((f) => f.endsWith('.apk'))
        .slice(0, 40)) {
        copyFileSync(join(dir, f), join(sampleDir, f));
      }
      both = timeShell(
        `for f in ${sh(sampleDir)}/*.apk; do aapt dump badging "$f" >/dev/null 2>&1; apksigner verify --print-certs "$f" >/dev/null 2>&1; done; true`,
        { runs: 1 },
      );
    }
    return {
      count,
      seconds: ours.wall,
      ours: count / ours.wall,
      rssMb: ours.rssMb,
      targets: doc.summary.targets,
      apps: doc.summary.apps,
      aapt: aapt === undefined ? undefined : count / aapt.wall,
      both: both === undefined ? undefined : 40 / both.wall,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { force: true });
  }
}

/** aapt + apksigner over `files` as a user runs them: one shell loop, timed by GNU time. */
function timeReference(files) {
  const list = files.map(sh).join(' ');
  const t = timeShell(
    `for f in ${list}; do aapt dump badging "$f" >/dev/null 2>&1; apksigner verify --print-certs "$f" >/dev/null 2>&1; done; true`,
    { runs: 1 },
  );
  return files.length / t.wall;
}

/** One Python process for all files, so interpreter start-up is not counted per file. */
function timeAndroguard(files) {
  const script = [
    'import sys, time, logging',
    'logging.disable(logging.CRITICAL)',
    'from androguard.core.bytecodes.apk import APK',
    't = time.time()',
    'for f in sys.argv[1:]:',
    '    try:',
    '        a = APK(f); a.get_package(); a.get_app_name(); a.get_certificates()',
    '    except Exception:',
    '        pass',
    'print(time.time() - t)',
  ].join('\n');
  const out = execFileSync('/usr/bin/python3', ['-c', script, ...files], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return files.length / Number(out.trim().split('\n').pop());
}

/**
 * Write an APK of about `totalBytes`: the fixture's manifest and resources.arsc, stored entries of
 * random and zero data, and the fixture's APK Signing Block copied verbatim. apksigner would take
 * minutes over 500 MB, and the reader never checks digests, so a copied block exercises exactly
 * what it reads; the result is a valid ZIP but its v2 signature does not verify.
 */
async function makeBigApk(path, totalBytes, fixture) {
  const reader = await openFileByteReader(fixture);
  const dir = await readZipDirectory(reader);
  const pick = async (name) =>
    readZipEntry(
      reader,
      dir.entries.find((e) => e.name === name),
      1 << 24,
    );
  const manifest = await pick('AndroidManifest.xml');
  const arsc = await pick('resources.arsc');
  // The signing block ends where the fixture's central directory starts.
  const footer = await reader.read(dir.centralDirectory.offset - 24, 24);
  const blockSize = Number(Buffer.from(footer).readBigUInt64LE(0)) + 8;
  const block = await reader.read(dir.centralDirectory.offset - blockSize, blockSize);
  await reader.close();

  const zip = storedZipWriter(path);
  zip.add('AndroidManifest.xml', Buffer.from(manifest));
  zip.add('resources.arsc', Buffer.from(arsc));
  const chunk = Math.min(8 * 1024 * 1024, Math.floor(totalBytes / 5));
  const random = randomBytes(chunk);
  const zeros = Buffer.alloc(chunk);
  for (let i = 0; zip.offset < totalBytes - chunk; i++)
    zip.add(`assets/blob${i}.bin`, i % 2 ? zeros : random);
  zip.raw(block);
  zip.close();
}

const fmt = (n, digits = 1) => (n === undefined ? 'n/a' : n.toFixed(digits));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

export async function main() {
  const fixtures = listApks(join(here, '../fixtures/apk'));
  const shared = join(here, '../../shared/corpus');
  const corpus = [...listApks(join(shared, 'apk')), ...listApks(join(shared, 'apk-appinfo'))];
  const tools = has('aapt') && has('apksigner');
  const androguard = existsSync('/usr/lib/python3/dist-packages/androguard');
  await timeRound([...fixtures, ...corpus], 1500); // warm-up: JIT and file cache
  const rows = [
    ['set', 'files', 'appwarden files/s', 'bytes read/APK', 'aapt+apksigner files/s', 'androguard files/s'],
  ];
  for (const [name, files] of [
    ['fixtures', fixtures],
    ['corpus', corpus],
  ]) {
    if (files.length === 0) continue;
    const ours = await timeAppwarden(files);
    const totalSize = files.reduce((s, f) => s + statSync(f).size, 0) / files.length;
    rows.push([
      name,
      files.length,
      fmt(ours.filesPerSec),
      `${kib(ours.bytesPerFile)} of ${kib(totalSize)}`,
      tools ? fmt(timeReference(files), 2) : 'not installed',
      androguard ? fmt(timeAndroguard(files), 2) : 'not installed',
    ]);
  }

  const work = mkdtempSync(join(tmpdir(), 'appwarden-bench-'));
  try {
    const base = join(here, '../fixtures/apk/v2-ec.apk');
    for (const [label, size] of [
      ['generated 5 MB', 5 * 1024 * 1024],
      ['generated 500 MB', 500 * 1024 * 1024],
    ]) {
      const path = join(work, `big-${size}.apk`);
      await makeBigApk(path, size, base);
      const start = performance.now();
      const { target, bytesRead } = await readApkFile(path);
      const ms = performance.now() - start;
      if (target.status !== 'scanned') throw new Error(`${label}: ${target.error}`);
      const ours = await timeAppwarden([path], 500);
      rows.push([
        label,
        1,
        fmt(ours.filesPerSec),
        `${kib(bytesRead)} of ${kib(statSync(path).size)} (first read ${fmt(ms)} ms)`,
        tools ? fmt(timeReference([path]), 2) : 'not installed',
        androguard ? fmt(timeAndroguard([path]), 2) : 'not installed',
      ]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(table(rows));
  const folder = folderScan([...fixtures, ...corpus], 1000, tools);
  console.log(
    `\nFolder of ${folder.count} APKs through the built binary (\`appwarden scan DIR --format json > file\`, GNU time, median of 3): ` +
      `${fmt(folder.seconds, 2)} s, ${fmt(folder.ours)} files/s, peak ${fmt(folder.rssMb, 0)} MiB (${folder.targets} targets, ${folder.apps} apps)`,
  );
  if (folder.aapt !== undefined) {
    console.log(
      `  aapt dump badging alone, shell loop over all ${folder.count} files: ${fmt(folder.aapt)} files/s -> appwarden is ${fmt(folder.ours / folder.aapt)}x faster (target > 1x)`,
    );
    console.log(
      `  aapt + apksigner verify --print-certs, shell loop over a 40-file sample (a JVM per file): ${fmt(folder.both, 2)} files/s -> appwarden is ${fmt(folder.ours / folder.both, 0)}x faster (target >= 20x)`,
    );
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
