/**
 * Issue 9, "Files": an APK with two entries of one name gives no identity (as Android, aapt and
 * apksigner refuse it), and an APK behind a DEX (the Janus polyglot) is read as apksigner reads
 * it, with the prefix said in the record. apksigner's verdicts are recorded here and re-checked
 * live when Debian's apksigner is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/model.js';
import { dataBeforeFirstEntry, duplicateEntryNames, type ZipEntry } from '../../src/parsers/zip.js';
import { apkReader, readApk, readZipDirectory, readZipEntry } from '../../src/sources/apk.js';
import { memoryByteReader } from '../../src/sources/byte-reader.js';
import { minimalDex, prependToApk } from './janus.js';
import { writeZip } from './zip-writer.js';

const dir = join(import.meta.dirname, '../../fixtures/apk');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { certSha256: string[] }
>;

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const apksigner = has('apksigner');

/** `apksigner verify --print-certs`: whether it verifies, and the signers' SHA-256 digests. */
const apksignerVerify = (bytes: Uint8Array): { verifies: boolean; certs: string[]; output: string } => {
  const file = join(mkdtempSync(join(tmpdir(), 'appwarden-janus-')), 'x.apk');
  writeFileSync(file, bytes);
  let output: string;
  try {
    output = execFileSync('apksigner', ['verify', '--print-certs', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  const certs = [...output.matchAll(/certificate SHA-256 digest: ([0-9a-f]{64})/g)].map((m) => m[1] ?? '');
  return { verifies: !/DOES NOT VERIFY|Exception|ERROR/.test(output) && certs.length > 0, certs, output };
};

async function entryOf(apk: Uint8Array, name: string): Promise<Uint8Array> {
  const reader = memoryByteReader(apk);
  const entry = (await readZipDirectory(reader)).entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return readZipEntry(reader, entry, 1 << 24);
}

const scan = (bytes: Uint8Array, verify = false): Promise<TargetResult> =>
  readApk(memoryByteReader(bytes, 'test.apk'), 'test.apk', { verify });
const messages = (t: TargetResult): string => t.diagnostics.map((d) => d.message).join('\n');

const v2Manifest = await entryOf(fixture('v2-ec.apk'), 'AndroidManifest.xml');
const majorManifest = await entryOf(fixture('major-v2.apk'), 'AndroidManifest.xml');

describe('duplicate ZIP entries', () => {
  it('lists each repeated name once', () => {
    const e = (name: string): ZipEntry => ({
      name,
      method: 0,
      compressedSize: 0,
      size: 0,
      localHeaderOffset: 0,
      crc: 0,
      flags: 0,
    });
    expect(duplicateEntryNames([e('a'), e('b'), e('a'), e('a'), e('c'), e('b')])).toEqual(['a', 'b']);
    expect(duplicateEntryNames([e('a'), e('A'), e('a/')])).toEqual([]);
  });

  it('gives no identity for two AndroidManifest.xml entries, whichever comes first', async () => {
    for (const order of [
      [v2Manifest, majorManifest],
      [majorManifest, v2Manifest],
    ]) {
      const apk = writeZip(order.map((data) => ({ name: 'AndroidManifest.xml', data })));
      const target = await scan(apk);
      expect(target.status).toBe('failed');
      expect(target.apps).toEqual([]);
      expect(target.error).toMatch(/^duplicate ZIP entry AndroidManifest\.xml: /);
    }
  });

  it('refuses any repeated name, as apksigner does (a second classes.dex or signature file)', async () => {
    const apk = writeZip([
      { name: 'AndroidManifest.xml', data: v2Manifest },
      { name: 'classes.dex', data: minimalDex() },
      { name: 'META-INF/CERT.SF', data: new Uint8Array(4) },
      { name: 'classes.dex', data: minimalDex(8) },
      { name: 'META-INF/CERT.SF', data: new Uint8Array(8) },
    ]);
    const target = await scan(apk);
    expect(target.status).toBe('failed');
    expect(target.error).toMatch(/^duplicate ZIP entries classes\.dex, META-INF\/CERT\.SF: /);
  });

  it.skipIf(!apksigner)('apksigner refuses the same archive (live check)', () => {
    const signed = fixture('v1-rsa.apk');
    // A signed APK with its manifest entry listed twice in the central directory.
    const buf = Buffer.from(signed);
    let eocd = buf.length - 22;
    while (buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
    const cdOffset = buf.readUInt32LE(eocd + 16);
    const cdSize = buf.readUInt32LE(eocd + 12);
    const count = buf.readUInt16LE(eocd + 10);
    let p = cdOffset;
    let record: Buffer | undefined;
    for (let n = 0; n < count; n++) {
      const len = 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
      if (buf.subarray(p + 46, p + 46 + buf.readUInt16LE(p + 28)).toString() === 'AndroidManifest.xml')
        record = buf.subarray(p, p + len);
      p += len;
    }
    if (!record) throw new Error('no manifest record');
    const end = Buffer.from(buf.subarray(eocd));
    end.writeUInt16LE(count + 1, 8);
    end.writeUInt16LE(count + 1, 10);
    end.writeUInt32LE(cdSize + record.length, 12);
    const doubled = new Uint8Array(Buffer.concat([buf.subarray(0, cdOffset + cdSize), record, end]));
    const live = apksignerVerify(doubled);
    expect(live.verifies, live.output).toBe(false);
    expect(live.output).toMatch(/Duplicate entry: AndroidManifest\.xml/);
    if (has('aapt')) {
      // aapt opens APKs with Android's libziparchive, which refuses the archive the same way.
      const file = join(mkdtempSync(join(tmpdir(), 'appwarden-dup-')), 'dup.apk');
      writeFileSync(file, doubled);
      const aapt = spawnSync('aapt', ['dump', 'badging', file], { encoding: 'utf8' });
      expect(aapt.status).not.toBe(0);
      expect(`${aapt.stdout}${aapt.stderr}`).toMatch(/duplicate entry AndroidManifest\.xml/);
    }
    return scan(doubled).then((target) => {
      expect(target.status).toBe('failed');
      expect(target.error).toMatch(/^duplicate ZIP entry AndroidManifest\.xml/);
    });
  });
});

describe('data before the archive (Janus DEX+APK polyglot)', () => {
  const signer = expected['v1-rsa.apk']?.certSha256;
  const janus = prependToApk(fixture('v1-rsa.apk'), minimalDex());

  it('is claimed by the APK reader from its DEX header', () => {
    expect(apkReader.detect(janus.subarray(0, 4096), 'janus.bin')).toBe(true);
    expect(apkReader.detect(new TextEncoder().encode('dex\n035'), 'x')).toBe(false);
  });

  it('reads the APK behind the DEX with the v1 signer apksigner prints, and says data precedes it', async () => {
    const target = await scan(janus);
    expect(target.status).toBe('scanned');
    const app = target.apps[0];
    expect(app?.id).toBe('org.appwarden.fixture');
    expect(app?.publisher.certSha256).toEqual(signer);
    expect(app?.extra?.dataBeforeArchive).toBe(112);
    expect(messages(target)).toMatch(
      /dataBeforeArchive: 112 bytes precede the ZIP archive and start with a DEX header .*Janus/,
    );
    // The same APK without the DEX carries no such note.
    const plain = await scan(fixture('v1-rsa.apk'));
    expect(plain.apps[0]?.extra?.dataBeforeArchive).toBeUndefined();
    expect(dataBeforeFirstEntry((await readZipDirectory(memoryByteReader(janus))).entries)).toBe(112);
  });

  it.skipIf(!apksigner)('apksigner accepts the fixture and prints the same certificate (live check)', () => {
    const live = apksignerVerify(janus);
    expect(live.verifies, live.output).toBe(true);
    expect(live.certs).toEqual(signer);
  });

  it('reads offsets left relative to the archive too, and says apksigner would refuse them', async () => {
    const relative = prependToApk(fixture('v1-rsa.apk'), minimalDex(), { adjustOffsets: false });
    const target = await scan(relative);
    expect(target.status).toBe('scanned');
    expect(target.apps[0]?.publisher.certSha256).toEqual(signer);
    expect(messages(target)).toMatch(/offsets count from the archive.*112 bytes short.*apksigner/);
    if (apksigner) expect(apksignerVerify(relative).verifies).toBe(false);
  });

  it('marks a v2 signature over the APK alone invalid once a DEX is put in front, as apksigner does', async () => {
    const polyglot = prependToApk(fixture('v2-ec.apk'), minimalDex());
    const target = await scan(polyglot, true);
    expect(target.apps[0]?.signature).toBe('invalid');
    expect(target.apps[0]?.publisher.certSha256).toEqual(expected['v2-ec.apk']?.certSha256);
    expect(messages(target)).toMatch(/signature invalid: v2 signer 1: content digest mismatch/);
    if (apksigner) {
      const live = apksignerVerify(polyglot);
      expect(live.verifies).toBe(false);
      expect(live.output).toMatch(/digest mismatch/);
    }
  });

  it('names a DEX file with no APK behind it', async () => {
    const target = await scan(minimalDex(200));
    expect(target.status).toBe('failed');
    expect(target.error).toMatch(/^a DEX file with no readable APK \(ZIP\) behind it: /);
  });
});
