import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSigningFromTail } from '../../src/parsers/apk-signing-block.js';
import { parseAxml } from '../../src/parsers/axml.js';
import { parseSignedData, readNode } from '../../src/parsers/der.js';
import { ParseError } from '../../src/parsers/types.js';
import { findEndOfCentralDirectory, parseCentralDirectory } from '../../src/parsers/zip.js';
import { readApk, readZipDirectory, readZipEntry } from '../../src/sources/apk.js';
import { memoryByteReader } from '../../src/sources/byte-reader.js';
import { signingBlock, writeZip } from './zip-writer.js';

const dir = join(import.meta.dirname, '../../fixtures/apk');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));

async function entryOf(apk: Uint8Array, name: string): Promise<Uint8Array> {
  const reader = memoryByteReader(apk);
  const { entries } = await readZipDirectory(reader);
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return readZipEntry(reader, entry, 1 << 24);
}

const manifest = await entryOf(fixture('v2-ec.apk'), 'AndroidManifest.xml');
const resources = await entryOf(fixture('v2-ec.apk'), 'resources.arsc');
const rsaBlock = await entryOf(fixture('v1-rsa.apk'), 'META-INF/RSA.RSA');

const scan = (bytes: Uint8Array) => readApk(memoryByteReader(bytes, 'test.apk'), 'test.apk');

/** Run `fn` and report how long it took, so each hostile case also proves bounded time. */
async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const out = await fn();
  expect(performance.now() - start).toBeLessThan(5000);
  return out;
}

describe('hostile APKs give a per-file error, quickly', () => {
  it('refuses a manifest that inflates far beyond its limit (zip bomb)', async () => {
    const zeros = new Uint8Array(48 * 1024 * 1024);
    const apk = writeZip([{ name: 'AndroidManifest.xml', data: zeros, declaredSize: 1000 }]);
    expect(apk.length).toBeLessThan(200_000);
    const target = await timed(() => scan(apk));
    expect(target.status).toBe('failed');
    expect(target.error).toMatch(/AndroidManifest\.xml.*inflates to more than/);
  });

  it('refuses a manifest declared as 2 GB before reading it', async () => {
    const apk = writeZip([{ name: 'AndroidManifest.xml', data: manifest, declaredSize: 2 ** 31 }]);
    const reader = memoryByteReader(apk);
    const target = await timed(() => readApk(reader, 'x.apk'));
    expect(target.error).toMatch(/declares 2147483648 bytes/);
    expect(reader.bytesRead).toBeLessThanOrEqual(apk.length);
  });

  it('refuses absurd entry counts', async () => {
    const apk = writeZip([{ name: 'AndroidManifest.xml', data: manifest }], {
      zip64: true,
      declaredEntries: 300_000,
    });
    const target = await timed(() => scan(apk));
    expect(target.status).toBe('failed');
    expect(target.error).toMatch(/300000 entries/);
  });

  it('does not take a manifest from a `..` path', async () => {
    const target = await scan(writeZip([{ name: '../AndroidManifest.xml', data: manifest }]));
    expect(target.error).toBe('not an APK: no AndroidManifest.xml');
  });

  it('names an unknown compression method', async () => {
    const target = await scan(writeZip([{ name: 'AndroidManifest.xml', data: manifest, method: 99 }]));
    expect(target.error).toMatch(/unsupported compression method 99/);
  });

  it('fails cleanly on every truncation of a signed APK', async () => {
    const apk = fixture('v123-rsa.apk');
    for (let cut = 0; cut < apk.length; cut += 97) {
      const target = await scan(apk.subarray(0, cut));
      expect(target.status).not.toBe('scanned');
      expect(target.error).toBeTruthy();
    }
  });

  it('reads an APK with junk prepended (offsets shifted, like unzip)', async () => {
    const apk = fixture('v2-ec.apk');
    const junk = new Uint8Array(4321).fill(0x41);
    const shifted = new Uint8Array(junk.length + apk.length);
    shifted.set(junk);
    shifted.set(apk, junk.length);
    const eocd = findEndOfCentralDirectory(shifted);
    expect(eocd.kind === 'ok' && eocd.eocd.shift).toBe(4321);
    const [plain, moved] = [await scan(apk), await scan(shifted)];
    expect(moved.status).toBe('scanned');
    expect(moved.apps[0]?.publisher).toEqual(plain.apps[0]?.publisher);
    expect(moved.apps[0]?.id).toBe('org.appwarden.fixture');
  });

  it('rejects a signing block length of 2^63 without trusting it', async () => {
    const block = signingBlock([[0x7109871a, new Uint8Array(16)]], 2n ** 63n);
    const apk = writeZip([{ name: 'AndroidManifest.xml', data: manifest }], {
      beforeCentralDirectory: block,
    });
    const tail = readSigningFromTail(apk, apk.length);
    expect(tail).toEqual({ kind: 'invalid', reason: expect.stringMatching(/out of range/) });
    const target = await timed(() => scan(apk));
    expect(target.status).toBe('partial');
    expect(target.apps[0]?.id).toBe('org.appwarden.fixture');
  });

  it('rejects signing block entries whose u64 length runs past the block', async () => {
    const body = new Uint8Array(12);
    new DataView(body.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    const raw = signingBlock([]);
    const forged = new Uint8Array(raw.length + body.length);
    forged.set(raw.subarray(0, 8));
    forged.set(body, 8);
    forged.set(raw.subarray(8), 8 + body.length);
    const view = new DataView(forged.buffer);
    view.setBigUint64(0, BigInt(forged.length - 8), true);
    view.setBigUint64(forged.length - 24, BigInt(forged.length - 8), true);
    const apk = writeZip([{ name: 'AndroidManifest.xml', data: manifest }], {
      beforeCentralDirectory: forged,
    });
    expect(readSigningFromTail(apk, apk.length)).toMatchObject({ kind: 'invalid' });
  });

  it('reads ZIP64 end records', async () => {
    const apk = writeZip(
      [
        { name: 'AndroidManifest.xml', data: manifest },
        { name: 'resources.arsc', data: resources, method: 0 },
      ],
      { zip64: true },
    );
    const target = await scan(apk);
    expect(target.status).toBe('scanned');
    expect(target.apps[0]?.name).toBe('Warden Fixture');
  });

  it('reports a ZIP without a manifest as not an APK', async () => {
    const target = await scan(writeZip([{ name: 'Payload/X.app/Info.plist', data: new Uint8Array(10) }]));
    expect(target).toMatchObject({ status: 'failed', error: 'not an APK: no AndroidManifest.xml' });
  });

  it('rejects DER lengths past the buffer and deep nesting', () => {
    expect(() => parseSignedData(rsaBlock.subarray(0, rsaBlock.length - 5))).toThrow(ParseError);
    const deep = new Uint8Array(400);
    for (let i = 0; i < 200; i++) deep.set([0x30, 0x80], i * 2);
    expect(() => readNode(deep, 0)).toThrow(/nesting too deep/);
    expect(() => readNode(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 0)).toThrow(/runs past/);
  });

  it('rejects AXML chunk sizes past the buffer and limits nesting', () => {
    const bad = new Uint8Array(manifest);
    new DataView(bad.buffer).setUint32(4, bad.length + 1, true);
    expect(() => parseAxml(bad)).toThrow(/runs past the data/);
    expect(() => parseAxml(manifest, { maxDepth: 1 })).toThrow(/nests deeper than 1/);
    expect(() => parseAxml(manifest, { maxElements: 1 })).toThrow(/more than 1 elements/);
  });

  it('refuses a central directory larger than its entry limit', () => {
    const apk = writeZip([
      { name: 'a', data: new Uint8Array(1) },
      { name: 'b', data: new Uint8Array(1) },
    ]);
    const eocd = findEndOfCentralDirectory(apk);
    if (eocd.kind !== 'ok') throw new Error('no eocd');
    const cd = apk.subarray(eocd.eocd.cdOffset, eocd.eocd.cdOffset + eocd.eocd.cdSize);
    expect(parseCentralDirectory(cd, 2).map((e) => e.name)).toEqual(['a', 'b']);
    expect(() => parseCentralDirectory(cd, 2, { maxEntries: 1 })).toThrow(/more than the limit of 1/);
    expect(() => parseCentralDirectory(cd, 2, { maxNameLength: 0 })).toThrow(/exceeds the limit/);
  });
});
