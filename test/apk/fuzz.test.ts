import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/parsers/apk.js';
import { readSigningFromTail } from '../../src/parsers/apk-signing-block.js';
import { parseArsc, resolveString } from '../../src/parsers/arsc.js';
import { parseAxml } from '../../src/parsers/axml.js';
import { parseCertificateBytes, parseSignedData } from '../../src/parsers/der.js';
import { ParseError } from '../../src/parsers/types.js';
import { findEndOfCentralDirectory, parseCentralDirectory } from '../../src/parsers/zip.js';
import { readApk, readZipDirectory, readZipEntry } from '../../src/sources/apk.js';
import { memoryByteReader } from '../../src/sources/byte-reader.js';

/**
 * Mutation fuzzing of every APK parser from real fixture bytes (fixed seed, reproducible):
 * bad input may only produce a ParseError (or a failed/partial target), never another exception.
 */

const dir = join(import.meta.dirname, '../../fixtures/apk');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));

async function entry(apk: Uint8Array, name: string): Promise<Uint8Array> {
  const reader = memoryByteReader(apk);
  const found = (await readZipDirectory(reader)).entries.find((e) => e.name === name);
  if (!found) throw new Error(name);
  return new Uint8Array(await readZipEntry(reader, found, 1 << 24));
}

const rotated = fixture('rotated.apk');
const twoSigners = fixture('two-signers.apk');
const manifest = await entry(rotated, 'AndroidManifest.xml');
const arsc = await entry(rotated, 'resources.arsc');
const pkcs7 = await entry(twoSigners, 'META-INF/RSA.RSA');

type Op =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; value: number[] };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    value: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
  }),
);

/** Interesting values (0, 0xff…, sizes) dominate real parser bugs, so flips favour them. */
const mutate = (bytes: Uint8Array, ops: Op[]): Uint8Array => {
  let out = new Uint8Array(bytes);
  for (const o of ops) {
    if (out.length === 0) break;
    const at = o.at % out.length;
    if (o.kind === 'flip') out[at] = o.value;
    else if (o.kind === 'cut') out = out.slice(0, at);
    else out = new Uint8Array([...out.subarray(0, at), ...o.value, ...out.subarray(at)]);
  }
  return out;
};

const mutations = fc.array(op, { minLength: 1, maxLength: 6 });
const settings = { seed: 20_240_601, numRuns: 400 };

const onlyParseErrors = (fn: () => unknown): void => {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
  }
};

describe('fuzzing APK parsers with mutated fixtures', () => {
  it('binary XML', () => {
    fc.assert(
      fc.property(mutations, (ops) => {
        const bytes = mutate(manifest, ops);
        onlyParseErrors(() => parseAxml(bytes));
        onlyParseErrors(() => readManifest(bytes));
      }),
      settings,
    );
  });

  it('resources.arsc', () => {
    fc.assert(
      fc.property(mutations, fc.integer({ min: 0x7f010000, max: 0x7f05ffff }), (ops, id) => {
        const bytes = mutate(arsc, ops);
        onlyParseErrors(() => resolveString(parseArsc(bytes), id));
      }),
      settings,
    );
  });

  it('PKCS#7 and X.509', () => {
    fc.assert(
      fc.property(mutations, (ops) => {
        const bytes = mutate(pkcs7, ops);
        onlyParseErrors(() => parseSignedData(bytes));
        onlyParseErrors(() => parseCertificateBytes(bytes.subarray(60)));
      }),
      settings,
    );
  });

  it('ZIP end records, central directory and signing block', () => {
    fc.assert(
      fc.property(mutations, fc.nat(), (ops, tailLength) => {
        // Mutations are aimed at the tail, where these structures live.
        const tail = rotated.subarray(rotated.length - 5000);
        const bytes = new Uint8Array([...rotated.subarray(0, rotated.length - 5000), ...mutate(tail, ops)]);
        const n = Math.min(bytes.length, 1 + (tailLength % bytes.length));
        const result = readSigningFromTail(bytes.subarray(bytes.length - n), bytes.length);
        expect(['ok', 'need', 'no-signing-block', 'invalid']).toContain(result.kind);
        const eocd = findEndOfCentralDirectory(bytes);
        if (eocd.kind === 'ok' && eocd.eocd.cdOffset + eocd.eocd.cdSize <= bytes.length) {
          const cd = bytes.subarray(eocd.eocd.cdOffset, eocd.eocd.cdOffset + eocd.eocd.cdSize);
          onlyParseErrors(() => parseCentralDirectory(cd, eocd.eocd.entries));
        }
      }),
      settings,
    );
  });

  it('whole APKs never throw, they fail', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, fc.boolean(), async (ops, aimAtTail) => {
        const source = aimAtTail ? twoSigners.subarray(twoSigners.length - 3000) : twoSigners;
        const mutated = mutate(source, ops);
        const bytes = aimAtTail
          ? new Uint8Array([...twoSigners.subarray(0, twoSigners.length - 3000), ...mutated])
          : mutated;
        const target = await readApk(memoryByteReader(bytes, 'fuzz.apk'), 'fuzz.apk');
        expect(['scanned', 'partial', 'failed']).toContain(target.status);
        if (target.status === 'failed') expect(target.error).toBeTruthy();
      }),
      { seed: 20_240_601, numRuns: 300 },
    );
  });
});
