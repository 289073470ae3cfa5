import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_ID,
  parseSigningBlockPairs,
  readSigningFromTail,
} from '../../src/parsers/apk-signing-block.js';
import { findEndOfCentralDirectory } from '../../src/parsers/zip.js';
import { attachSplits, readApkFile } from '../../src/sources/apk.js';
import { hasShared, sharedPath } from '../shared.js';

const dir = join(import.meta.dirname, '../../fixtures/apk');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { certSha256: string[] } & string[]
>;

/** The (id → value) pairs of an APK's signing block, found independently of the code under test. */
function blockPairs(apk: Uint8Array): Map<number, Uint8Array> {
  const eocd = findEndOfCentralDirectory(apk);
  if (eocd.kind !== 'ok') throw new Error('no EOCD');
  const dv = new DataView(apk.buffer, apk.byteOffset, apk.byteLength);
  const cd = eocd.eocd.cdOffset;
  const size = Number(dv.getBigUint64(cd - 24, true));
  const out = new Map<number, Uint8Array>();
  for (let p = cd - size - 8 + 8; p < cd - 24; ) {
    const len = Number(dv.getBigUint64(p, true));
    out.set(dv.getUint32(p + 8, true), apk.subarray(p + 12, p + 8 + len));
    p += 8 + len;
  }
  return out;
}

const concatPairs = (pairs: Array<[number, Uint8Array]>): Uint8Array => {
  const parts = pairs.map(([id, value]) => {
    const b = Buffer.alloc(12 + value.length);
    b.writeBigUInt64LE(BigInt(value.length + 4));
    b.writeUInt32LE(id, 8);
    b.set(value, 12);
    return b;
  });
  return new Uint8Array(Buffer.concat(parts));
};

describe('APK Signing Block', () => {
  it('reports the v3 signer as current and the old key as lineage after rotation', () => {
    const tail = readSigningFromTail(fixture('rotated.apk'), fixture('rotated.apk').length);
    if (tail.kind !== 'ok') throw new Error(tail.kind);
    expect(tail.signing.schemes).toEqual(['v2', 'v3']);
    expect(tail.signing.signers.map((s) => s.certSha256)).toEqual(expected['rotated.apk']?.certSha256);
    expect(tail.signing.lineage).toEqual(expected['rotated.apk#lineage']);
    // The script signs with --min-sdk-version 24; v3 signers are open-ended upwards.
    expect(tail.signing.signers[0]).toMatchObject({ minSdk: 24, maxSdk: 0x7fffffff });
    expect(tail.signing.signers[0]?.subject).toBe('CN=Fixture New Key, O=Appwarden, C=GB');
  });

  it('prefers a v3.1 signer over v3 and keeps the v3 key in the lineage', () => {
    // apksigner 31 cannot write v3.1, so build one: the rotated v3 signer as v3.1, an RSA v3 signer as v3.
    const rotatedV3 = blockPairs(fixture('rotated.apk')).get(BLOCK_ID.v3);
    const rsaV3 = blockPairs(fixture('v123-rsa.apk')).get(BLOCK_ID.v3);
    if (!rotatedV3 || !rsaV3) throw new Error('fixture without v3');
    const info = parseSigningBlockPairs(
      concatPairs([
        [BLOCK_ID.v3, rsaV3],
        [BLOCK_ID.v31, rotatedV3],
        [0x42726577, new Uint8Array(8)],
      ]),
    );
    expect(info.schemes).toEqual(['v3', 'v3.1']);
    expect(info.signers.map((s) => s.certSha256)).toEqual(expected['rotated.apk']?.certSha256);
    expect(info.lineage).toEqual([
      ...(expected['rotated.apk#lineage'] ?? []),
      ...(expected['v123-rsa.apk']?.certSha256 ?? []),
    ]);
  });

  it('works from a tail: asks for more bytes until it has the block, never the whole file', () => {
    const files = [
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.apk'))
        .map((f) => join(dir, f)),
      ...(hasShared('corpus', 'apk')
        ? readdirSync(sharedPath('corpus', 'apk')).map((f) => join(sharedPath('corpus', 'apk'), f))
        : []),
    ];
    for (const file of files) {
      const apk = new Uint8Array(readFileSync(file));
      const full = readSigningFromTail(apk, apk.length);
      let fromEnd = Math.min(apk.length, 64);
      let result = readSigningFromTail(apk.subarray(apk.length - fromEnd), apk.length);
      for (let i = 0; result.kind === 'need' && i < 5; i++) {
        expect(result.fromEnd).toBeGreaterThan(fromEnd);
        fromEnd = result.fromEnd;
        result = readSigningFromTail(apk.subarray(apk.length - fromEnd), apk.length);
      }
      expect(result, file).toEqual(full);
      if (full.kind === 'ok' && apk.length > 100_000) expect(fromEnd).toBeLessThan(apk.length / 2);
    }
  });
});

describe('v1 signatures', () => {
  it.skipIf(!hasShared('corpus', 'apk', 'partialsignature.apk'))(
    'ignores a signature block without its .SF',
    async () => {
      const { target } = await readApkFile(sharedPath('corpus', 'apk', 'partialsignature.apk'));
      expect(target.apps[0]?.publisher.certSha256).toEqual([
        '1e3bf46f964d494c9094cbf1a7ebec99b63d4acf6ae7519287d94faf5ea6871b',
      ]);
    },
  );

  it('lists both signers of a two-signer APK in order', async () => {
    const { target } = await readApkFile(join(dir, 'two-signers.apk'));
    expect(target.apps[0]?.publisher.certSha256).toEqual(expected['two-signers.apk']?.certSha256);
    expect(target.apps[0]?.publisher.certSubjects).toEqual([
      'CN=Fixture RSA, OU=Appwarden Tests, O=Appwarden, C=FR',
      'CN=Fixture EC, O=Appwarden, C=DE',
    ]);
  });
});

describe('split APKs', () => {
  it('attaches a split to its base record', async () => {
    const base = (await readApkFile(join(dir, 'v2-ec.apk'))).target;
    const split = (await readApkFile(join(dir, 'split-v2.apk'))).target;
    const merged = attachSplits([base, split]);
    expect(merged[0]?.apps[0]?.paths).toEqual([join(dir, 'v2-ec.apk'), join(dir, 'split-v2.apk')]);
    expect(merged[1]?.apps).toEqual([]);
    expect(merged[1]?.diagnostics.at(-1)?.message).toMatch(
      /attached to its base package org\.appwarden\.fixture/,
    );
  });

  it('keeps a split whose base is absent', async () => {
    const split = (await readApkFile(join(dir, 'split-v2.apk'))).target;
    expect(attachSplits([split])[0]?.apps).toHaveLength(1);
  });
});
