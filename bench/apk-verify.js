// Cost of `--verify-signatures` on APKs of 5 MB and 100 MB (sizes can be given as arguments, in MB):
// a generated APK signed for real with Debian apksigner and a throwaway key, then read with and
// without verification, best of three, against `apksigner verify`. Needs apksigner and keytool.
// Run after `npm run build` (or point APPWARDEN_DIST at another tsc output): node bench/apk-verify.js [5 100]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { storedZipWriter } from './stored-zip.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.APPWARDEN_DIST ?? join(here, '../dist');
const { readApkFile } = await import(pathToFileURL(join(dist, 'sources/apk.js')).href);

/** A stored-entries ZIP: the fixture's manifest and resources, then alternating random and zero blobs. */
function makeUnsignedApk(path, totalBytes) {
  const fixture = join(here, '../fixtures/apk/unsigned.apk');
  const zip = storedZipWriter(path);
  // The fixture's manifest and resources, walked through its local headers (it has no data descriptors).
  const src = readFileSync(fixture);
  for (let p = 0; src.readUInt32LE(p) === 0x04034b50; ) {
    const method = src.readUInt16LE(p + 8);
    const size = src.readUInt32LE(p + 18);
    const nameLen = src.readUInt16LE(p + 26);
    const extra = src.readUInt16LE(p + 28);
    const name = src.subarray(p + 30, p + 30 + nameLen).toString();
    const data = src.subarray(p + 30 + nameLen + extra, p + 30 + nameLen + extra + size);
    zip.add(name, method === 0 ? data : inflateRawSync(data));
    p += 30 + nameLen + extra + size;
  }
  const chunk = Math.min(8 * 1024 * 1024, Math.floor(totalBytes / 5));
  const random = randomBytes(chunk);
  const zeros = Buffer.alloc(chunk);
  for (let i = 0; zip.offset < totalBytes - 1024; i++) {
    const left = totalBytes - 1024 - zip.offset;
    zip.add(`assets/blob${i}.bin`, (i % 2 ? zeros : random).subarray(0, Math.min(chunk, left)));
  }
  zip.close();
}

const best = async (fn, rounds = 3) => {
  let ms = Number.POSITIVE_INFINITY;
  let value;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    value = await fn();
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, value };
};

const work = mkdtempSync(join(tmpdir(), 'appwarden-verify-bench-'));
try {
  const ks = join(work, 'bench.p12');
  execFileSync(
    'keytool',
    [
      '-genkeypair',
      '-keystore',
      ks,
      '-storetype',
      'PKCS12',
      '-storepass',
      'benchpass',
      '-alias',
      'bench',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-validity',
      '2',
      '-dname',
      'CN=appwarden bench',
    ],
    { stdio: 'ignore' },
  );
  const sizes = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['5', '100']).map(Number);
  const rows = [
    [
      'size',
      'read (ms)',
      'read+verify (ms)',
      'MB/s verified',
      'bytes read plain / verify',
      'verdict',
      'apksigner verify (ms)',
      'peak rss growth (MB)',
    ],
  ];
  for (const mb of sizes) {
    const unsigned = join(work, `big-${mb}-unsigned.apk`);
    const signed = join(work, `big-${mb}.apk`);
    makeUnsignedApk(unsigned, mb * 1_000_000);
    execFileSync(
      'apksigner',
      [
        'sign',
        '--ks',
        ks,
        '--ks-pass',
        'pass:benchpass',
        '--min-sdk-version',
        '24',
        '--v1-signing-enabled',
        'false',
        '--v3-signing-enabled',
        'true',
        '--out',
        signed,
        unsigned,
      ],
      { stdio: 'ignore' },
    );
    const size = statSync(signed).size;
    const plain = await best(() => readApkFile(signed));
    // Peak resident memory while verifying, sampled: the file itself must never be held whole.
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 2);
    const verified = await best(() => readApkFile(signed, { verify: true }));
    clearInterval(sampler);
    const rssGrowth = (rssPeak - rssBefore) / 1e6;
    const app = verified.value.target.apps[0];
    const ref = await best(
      () => execFileSync('apksigner', ['verify', '--min-sdk-version', '24', signed], { stdio: 'ignore' }),
      1,
    );
    rows.push([
      `${(size / 1e6).toFixed(1)} MB`,
      plain.ms.toFixed(1),
      verified.ms.toFixed(1),
      (size / 1e6 / (verified.ms / 1000)).toFixed(0),
      `${plain.value.bytesRead} / ${verified.value.bytesRead}`,
      `${app?.signature} (${app?.signingSchemes?.join('+')})`,
      ref.ms.toFixed(0),
      rssGrowth.toFixed(1),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  console.log(rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
