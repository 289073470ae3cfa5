import { execFileSync } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppRecord, TargetResult } from '../../src/model.js';
import { signingBlockEntries, verifySigningBlock } from '../../src/parsers/apk-verify.js';
import { ParseError } from '../../src/parsers/types.js';
import { findEndOfCentralDirectory } from '../../src/parsers/zip.js';
import { readApk, readApkFile } from '../../src/sources/apk.js';
import { verifyApkSignatures } from '../../src/sources/apk-verify.js';
import { type ByteReader, memoryByteReader } from '../../src/sources/byte-reader.js';
import { hasShared, sharedPath } from '../shared.js';

/**
 * v2/v3 signature verification: agreement with apksigner on every fixture and corpus APK, one-byte
 * tampering in each signed region, APKs signed here with every supported algorithm, and fuzzing.
 */

const root = join(import.meta.dirname, '../..');
const fixtureDirs = [join(root, 'fixtures/apk'), join(root, 'fixtures/devices/apk')];
const corpus = sharedPath('corpus');
const groundTruthPath = join(corpus, 'ground-truth/apk.json');

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const apksigner = has('apksigner');
const openssl = has('openssl');

/** What `apksigner verify` says about the v2 and v3 schemes (v1 is ignored from SDK 24 on). */
function apksignerSchemes(path: string): { verifies: boolean; v2: boolean; v3: boolean } {
  let out: string;
  try {
    out = execFileSync('apksigner', ['verify', '-v', '--min-sdk-version', '24', path], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    out = String((error as { stdout?: string }).stdout ?? '');
  }
  return {
    verifies: /^Verifies$/m.test(out),
    v2: /APK Signature Scheme v2\): true/.test(out),
    v3: /APK Signature Scheme v3\): true/.test(out),
  };
}

const appOf = (target: TargetResult): AppRecord => {
  const app = target.apps[0];
  if (!app) throw new Error(`${target.id}: no app (${target.error})`);
  return app;
};
const messages = (target: TargetResult): string[] => target.diagnostics.map((d) => d.message);

// ---- ZIP/APK layout, found independently of the code under test

interface Layout {
  blockStart: number;
  cdOffset: number;
  cdSize: number;
  eocdOffset: number;
}

function layout(apk: Uint8Array): Layout {
  const found = findEndOfCentralDirectory(apk);
  if (found.kind !== 'ok') throw new Error('no EOCD');
  const { cdOffset, cdSize, eocdOffset } = found.eocd;
  const dv = new DataView(apk.buffer, apk.byteOffset, apk.byteLength);
  const magic = Buffer.from(apk.subarray(cdOffset - 16, cdOffset)).toString('latin1');
  const blockStart =
    cdOffset >= 32 && magic === 'APK Sig Block 42'
      ? cdOffset - Number(dv.getBigUint64(cdOffset - 24, true)) - 8
      : cdOffset;
  return { blockStart, cdOffset, cdSize, eocdOffset };
}

/** The APK with its signing block replaced by `block` (or removed when empty); EOCD offset fixed up. */
function withBlock(apk: Uint8Array, block: Uint8Array): Uint8Array {
  const l = layout(apk);
  const eocd = Buffer.from(apk.subarray(l.eocdOffset));
  eocd.writeUInt32LE(l.blockStart + block.length, 16);
  return new Uint8Array(
    Buffer.concat([apk.subarray(0, l.blockStart), block, apk.subarray(l.cdOffset, l.eocdOffset), eocd]),
  );
}

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const prefixed = (...parts: Uint8Array[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length), body]);
};
const seq = (items: Uint8Array[]): Buffer => prefixed(...items.map((i) => prefixed(i)));

function signingBlock(pairs: Array<[number, Uint8Array]>): Uint8Array {
  const body = Buffer.concat(
    pairs.map(([id, value]) => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(value.length + 4));
      return Buffer.concat([len, u32(id), value]);
    }),
  );
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(body.length + 24));
  return new Uint8Array(Buffer.concat([size, body, size, Buffer.from('APK Sig Block 42', 'latin1')]));
}

/** Chunked digest written out plainly from the scheme's description, for APKs signed in these tests. */
function contentDigest(apk: Uint8Array, blockOffset: number, hash: 'sha256' | 'sha512'): Buffer {
  const l = layout(apk);
  const eocd = Buffer.from(apk.subarray(l.eocdOffset));
  eocd.writeUInt32LE(blockOffset, 16);
  const chunks: Buffer[] = [];
  for (const section of [apk.subarray(0, l.blockStart), apk.subarray(l.cdOffset, l.eocdOffset), eocd]) {
    for (let at = 0; at < section.length; at += 1 << 20) {
      const chunk = section.subarray(at, at + (1 << 20));
      chunks.push(
        createHash(hash)
          .update(Buffer.from([0xa5]))
          .update(u32(chunk.length))
          .update(chunk)
          .digest(),
      );
    }
  }
  return createHash(hash)
    .update(Buffer.concat([Buffer.from([0x5a]), u32(chunks.length), ...chunks]))
    .digest();
}

const ALGS = {
  257: { hash: 'sha256', pss: true },
  258: { hash: 'sha512', pss: true },
  259: { hash: 'sha256', pss: false },
  260: { hash: 'sha512', pss: false },
  513: { hash: 'sha256', pss: false },
  514: { hash: 'sha512', pss: false },
  769: { hash: 'sha256', pss: false },
} as const;
type AlgId = keyof typeof ALGS;

interface SignOptions {
  alg: AlgId;
  key: KeyObject;
  cert: Uint8Array;
  /** Public key written in the signer block; the signing key's by default. */
  publicKey?: Uint8Array;
}

/** Sign `apk` (any existing signing block is dropped) with a v2 block holding one signer. */
function signV2(apk: Uint8Array, o: SignOptions): Uint8Array {
  const bare = withBlock(apk, new Uint8Array(0));
  const blockOffset = layout(bare).cdOffset;
  const { hash, pss } = ALGS[o.alg];
  const digest = contentDigest(bare, blockOffset, hash);
  const signedData = Buffer.concat([
    seq([Buffer.concat([u32(o.alg), prefixed(digest)])]),
    seq([o.cert]),
    seq([]),
  ]);
  const signature = sign(
    hash,
    signedData,
    pss ? { key: o.key, padding: 6, saltLength: hash === 'sha256' ? 32 : 64 } : o.key,
  );
  const spki = o.publicKey ?? createPublicKey(o.key).export({ format: 'der', type: 'spki' });
  const signer = Buffer.concat([
    prefixed(signedData),
    seq([Buffer.concat([u32(o.alg), prefixed(signature)])]),
    prefixed(spki),
  ]);
  return withBlock(bare, signingBlock([[0x7109871a, seq([signer])]]));
}

const fixtureFiles = fixtureDirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.apk'))
    .map((f) => join(d, f)),
);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtureDirs[0] ?? '', name)));
const verifyBytes = (bytes: Uint8Array): Promise<TargetResult> =>
  readApk(memoryByteReader(bytes, 'test.apk'), 'test.apk', { verify: true });

describe('verifying fixture APKs', () => {
  it.each(fixtureFiles)('%s', async (path) => {
    const bytes = new Uint8Array(readFileSync(path));
    const hasBlock = layout(bytes).blockStart !== layout(bytes).cdOffset;
    // Recorded: every fixture with a signing block was signed by apksigner and verifies.
    const direct = await verifyApkSignatures(memoryByteReader(bytes, path));
    expect(direct.verdict).toBe(hasBlock ? 'valid' : 'unverified');
    if (apksigner) {
      const live = apksignerSchemes(path);
      expect(direct.verdict === 'valid').toBe(live.v2 || live.v3);
    }
    const { target, bytesRead } = await readApkFile(path, { verify: true });
    // The device fixtures carry stand-in manifests that only the device harness reads.
    if (target.apps.length === 0) return;
    const app = appOf(target);
    expect(app.signature).toBe(direct.verdict);
    if (hasBlock) {
      expect(bytesRead).toBeGreaterThanOrEqual(layout(bytes).blockStart);
      expect(messages(target).some((m) => m.startsWith('signature valid:'))).toBe(true);
    } else if (app.signingSchemes?.includes('v1')) {
      expect(messages(target)).toContain(
        'signature not verified: only a v1 (JAR) signature, and JAR signature verification is not implemented',
      );
    }
    const plain = await readApkFile(path);
    expect(appOf(plain.target).signature).toBe('unverified');
  });

  it('leaves the identity as it was: verification adds a verdict, not signers', async () => {
    for (const path of fixtureFiles) {
      const target = (await readApkFile(path, { verify: true })).target;
      if (target.apps.length === 0) continue;
      const verified = appOf(target);
      const plain = appOf((await readApkFile(path)).target);
      expect({ ...verified, signature: 'x' }).toEqual({ ...plain, signature: 'x' });
    }
  });
});

describe('tampering', () => {
  const apk = fixture('v2-ec.apk');
  const l = layout(apk);
  const flip = (at: number): Uint8Array => {
    const out = new Uint8Array(apk);
    out[at] = (out[at] ?? 0) ^ 0x01;
    return out;
  };

  it('the untouched file is valid', async () => {
    expect(appOf(await verifyBytes(apk)).signature).toBe('valid');
  });

  it('one byte in the entries (section 1) → content digest mismatch', async () => {
    // Inside the first entry's data: the ZIP still reads, only the digest changes.
    const target = await verifyBytes(flip(Math.floor(l.blockStart / 2)));
    expect(appOf(target).signature).toBe('invalid');
    expect(messages(target)).toContain(
      'signature invalid: v2 signer 1: content digest mismatch (chunked-sha256)',
    );
  });

  it('one byte in the central directory → content digest mismatch', async () => {
    // The "version made by" of the first central directory record: harmless to the ZIP reader.
    const target = await verifyBytes(flip(l.cdOffset + 4));
    expect(target.status).toBe('scanned');
    expect(appOf(target).signature).toBe('invalid');
    expect(messages(target)).toContain(
      'signature invalid: v2 signer 1: content digest mismatch (chunked-sha256)',
    );
  });

  it('one byte in the EOCD comment length region → the archive no longer reads, or the digest fails', async () => {
    // Entry count in the EOCD is digested too.
    const target = await verifyBytes(flip(l.eocdOffset + 8));
    if (target.apps.length > 0) expect(appOf(target).signature).toBe('invalid');
    else expect(target.status).toBe('failed');
  });

  it('one byte in the signature → signature does not verify, and the file is not digested', async () => {
    const v2 = signingBlockEntries(apk.subarray(l.blockStart, l.cdOffset)).get(0x7109871a);
    if (!v2) throw new Error('no v2');
    // signers → signer → signed data, then signatures → signature → value: flip its last byte.
    const dv = new DataView(v2.buffer, v2.byteOffset, v2.byteLength);
    const signedDataLen = dv.getUint32(8, true);
    const signaturesAt = 12 + signedDataLen;
    const sigsLen = dv.getUint32(signaturesAt, true);
    const lastSigByte = v2.byteOffset - apk.byteOffset + signaturesAt + 4 + sigsLen - 1;
    const target = await verifyBytes(flip(lastSigByte));
    expect(appOf(target).signature).toBe('invalid');
    expect(messages(target)).toContain(
      'signature invalid: v2 signer 1: signature does not verify (ECDSA with SHA2-256)',
    );
    let digested = false;
    const block = apk.subarray(l.blockStart, l.cdOffset).slice();
    block[lastSigByte - l.blockStart] = (block[lastSigByte - l.blockStart] ?? 0) ^ 1;
    const result = await verifySigningBlock(block, async () => {
      digested = true;
      return new Map();
    });
    expect(result.verdict).toBe('invalid');
    expect(digested).toBe(false);
  });

  it('a truncated signing block is a clear error', async () => {
    const block = apk.subarray(l.blockStart, l.cdOffset);
    await expect(
      verifySigningBlock(block.subarray(0, block.length - 40), async () => new Map()),
    ).rejects.toThrow(/APK Signing Block truncated/);
    await expect(verifySigningBlock(block.subarray(40), async () => new Map())).rejects.toThrow(ParseError);
    // In a file: the v2 value declares more bytes than the block holds.
    const broken = new Uint8Array(apk);
    const entryLen = l.blockStart + 8;
    new DataView(broken.buffer).setBigUint64(entryLen, BigInt(l.cdOffset - l.blockStart), true);
    const target = await verifyBytes(broken);
    expect(target.status).toBe('partial');
    expect(appOf(target).signature).toBe('invalid');
    expect(messages(target)).toContain(
      `signature invalid: APK Signing Block: entry length ${l.cdOffset - l.blockStart} runs past the block`,
    );
  });

  it('an APK cut short inside the signing block is a failed target, not a crash', async () => {
    const cut = apk.subarray(0, l.blockStart + 20);
    const target = await verifyBytes(cut);
    expect(target.status).toBe('failed');
    await expect(verifyApkSignatures(memoryByteReader(cut, 'cut.apk'))).rejects.toThrow(ParseError);
  });
});

describe.skipIf(!openssl)('APKs signed here with each supported algorithm', () => {
  const work = mkdtempSync(join(tmpdir(), 'appwarden-verify-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A key and a self-signed certificate for it; openssl writes the certificate. */
  function keyAndCert(name: string, key: KeyObject): { key: KeyObject; cert: Uint8Array } {
    const keyPath = join(work, `${name}.pem`);
    writeFileSync(keyPath, key.export({ format: 'pem', type: 'pkcs8' }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        keyPath,
        '-subj',
        `/CN=${name}`,
        '-days',
        '2',
        '-outform',
        'DER',
        '-out',
        join(work, `${name}.der`),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: createPrivateKey(readFileSync(keyPath)),
      cert: new Uint8Array(readFileSync(join(work, `${name}.der`))),
    };
  }
  const rsa = keyAndCert('rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const ec = keyAndCert('ec', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const dsa = keyAndCert(
    'dsa',
    generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey,
  );
  const keyFor = (alg: AlgId) => (alg < 0x0200 ? rsa : alg < 0x0300 ? ec : dsa);
  const base = fixture('unsigned.apk');

  it.each(Object.keys(ALGS).map(Number) as AlgId[])('algorithm 0x%s', async (alg) => {
    const signed = signV2(base, { alg, ...keyFor(alg) });
    const target = await verifyBytes(signed);
    expect(appOf(target).signature, messages(target).join('\n')).toBe('valid');
    // apksigner 31 cannot check RSA-PSS (NoSuchAlgorithmException), so compare only the others.
    if (apksigner && !ALGS[alg].pss) {
      const path = join(work, `signed-${alg}.apk`);
      writeFileSync(path, signed);
      expect(apksignerSchemes(path).v2).toBe(true);
    }
    // The same signer with one content byte changed.
    // The last byte of the stored resources.arsc, just before the signing block.
    const tampered = new Uint8Array(signed);
    const at = layout(signed).blockStart - 1;
    tampered[at] = (tampered[at] ?? 0) ^ 0xff;
    expect(appOf(await verifyBytes(tampered)).signature).toBe('invalid');
  });

  it('a public key that differs from the certificate → public key does not match certificate', async () => {
    // Signed by the EC key and naming it as the public key, but carrying the RSA certificate.
    const signed = signV2(base, { alg: 0x0201, key: ec.key, cert: rsa.cert });
    const target = await verifyBytes(signed);
    expect(appOf(target).signature).toBe('invalid');
    expect(messages(target)).toContain(
      'signature invalid: v2 signer 1: public key does not match certificate',
    );
  });

  it('a key of the wrong type for the algorithm does not verify', async () => {
    const signed = signV2(base, {
      alg: 0x0201,
      ...ec,
      publicKey: new Uint8Array(createPublicKey(rsa.key).export({ format: 'der', type: 'spki' })),
    });
    expect(messages(await verifyBytes(signed))).toContain(
      'signature invalid: v2 signer 1: signature does not verify (ECDSA with SHA2-256)',
    );
  });

  it('streams big APKs in bounded reads', async () => {
    // A 9 MiB stored entry makes ten 1 MiB chunks in section 1.
    const big = withBlock(base, new Uint8Array(0));
    const l = layout(big);
    const filler = Buffer.alloc(9 * 1024 * 1024 + 123, 7);
    const padded = new Uint8Array(
      Buffer.concat([big.subarray(0, l.cdOffset), filler, big.subarray(l.cdOffset)]),
    );
    // Keep it a ZIP: the central directory moved by the filler length.
    new DataView(padded.buffer).setUint32(
      l.eocdOffset + filler.length + 16,
      l.cdOffset + filler.length,
      true,
    );
    const signed = signV2(padded, { alg: 0x0103, ...rsa });
    const inner = memoryByteReader(signed, 'big.apk');
    let largest = 0;
    const reader: ByteReader = {
      size: inner.size,
      get bytesRead() {
        return inner.bytesRead;
      },
      read(offset, length) {
        largest = Math.max(largest, length);
        return inner.read(offset, length);
      },
      close: () => inner.close(),
    };
    const result = await verifyApkSignatures(reader);
    expect(result.verdict).toBe('valid');
    expect(result.bytesDigested).toBe(signed.length - (layout(signed).cdOffset - layout(signed).blockStart));
    expect(largest).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

interface GroundTruth {
  apksigner_verify_print_certs: { verifies: boolean; schemes: string };
}
const groundTruth: Record<string, GroundTruth> = hasShared('corpus', 'ground-truth', 'apk.json')
  ? (JSON.parse(readFileSync(groundTruthPath, 'utf8')) as Record<string, GroundTruth>)
  : {};
const corpusFiles = Object.keys(groundTruth).filter((f) => f.endsWith('.apk') && existsSync(join(corpus, f)));

describe.skipIf(corpusFiles.length === 0)('corpus APKs agree with apksigner', () => {
  it.each(corpusFiles)('%s', async (file) => {
    const truth = groundTruth[file]?.apksigner_verify_print_certs;
    if (!truth) throw new Error(file);
    const { target } = await readApkFile(join(corpus, file), { verify: true });
    const app = target.apps[0];
    if (!app) {
      // Not an APK at all (no manifest): apksigner refuses it too.
      expect(truth.verifies).toBe(false);
      return;
    }
    const blockSchemes = /v2|v3/.test(truth.schemes);
    const expected = blockSchemes ? (truth.verifies ? 'valid' : 'invalid') : 'unverified';
    expect(app.signature).toBe(expected);
  });
});

describe('fuzzing verification with mutated fixtures', () => {
  const apk = fixture('v123-rsa.apk');
  const l = layout(apk);
  type Op = { at: number; value: number; inBlock: boolean };
  const op: fc.Arbitrary<Op> = fc.record({
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
    inBlock: fc.boolean(),
  });
  const mutate = (ops: Op[], cut: number | undefined): Uint8Array => {
    const out = new Uint8Array(apk);
    for (const o of ops) {
      // Half the flips land in the signing block and the bytes around it, where the verifier parses.
      const at = o.inBlock ? l.blockStart + (o.at % (apk.length - l.blockStart)) : o.at % apk.length;
      out[at] = o.value;
    }
    return cut === undefined ? out : out.subarray(0, cut % out.length);
  };

  it('only ParseErrors, never a crash, in bounded time', async () => {
    const started = performance.now();
    let slowest = 0;
    const verdicts = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (ops, cut) => {
          const bytes = mutate(ops, cut);
          const t0 = performance.now();
          try {
            verdicts.add((await verifyApkSignatures(memoryByteReader(bytes, 'fuzz.apk'))).verdict);
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
            verdicts.add('error');
          }
          const target = await readApk(memoryByteReader(bytes, 'fuzz.apk'), 'fuzz.apk', { verify: true });
          expect(['scanned', 'partial', 'failed']).toContain(target.status);
          slowest = Math.max(slowest, performance.now() - t0);
        },
      ),
      { seed: 20_240_611, numRuns: 300 },
    );
    expect(slowest).toBeLessThan(1000);
    expect(performance.now() - started).toBeLessThan(30_000);
    // The mutations reach the parser's errors and the verifier's failures, so the property is not vacuous.
    expect(verdicts).toContain('error');
    expect(verdicts).toContain('invalid');
  });
});
