import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codeSignatureRange,
  isMachO,
  loadCommandsExtent,
  machOSlices,
  parseCodeSignature,
  parseMachO,
} from '../../src/parsers/macho.js';
import { ParseError } from '../../src/parsers/types.js';
import { corpus, FIXTURES, SHARED } from './paths.js';
import { readZipEntry } from './zip-builder.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

interface IpaTruth {
  infoPlistPath: string;
  CFBundleExecutable: string;
  codeSignature: { identifier: string; teamID: string; cmsSigners: { sha256: string }[] }[];
}
const truthFile = corpus('ground-truth', 'ipa.json');
const truth: Record<string, IpaTruth> = existsSync(truthFile)
  ? JSON.parse(readFileSync(truthFile, 'utf8'))
  : {};

describe('parseMachO on hand-built executables', () => {
  it('reads both slices of a fat binary: identifier, team id and the CMS signer', () => {
    const slices = parseMachO(fixture('store-fat.macho'));
    expect(slices.map((s) => s.cpuType)).toEqual([0x01000007, 0x0100000c]);
    for (const slice of slices) {
      expect(slice.signature).toMatchObject({
        identifier: 'com.example.store',
        teamId: 'STORE45678',
        version: 0x20400,
      });
      expect(slice.signature?.signers[0]?.subjectFields).toMatchObject({
        OU: 'STORE45678',
        O: 'Store Team GmbH',
      });
    }
  });

  it('reads the identifier but no team id from a CodeDirectory older than 0x20200', () => {
    const [slice] = parseMachO(fixture('old-cd.macho'));
    expect(slice?.signature).toEqual({ identifier: 'com.example.store', version: 0x20100, signers: [] });
  });

  it('finds the signature from the first bytes alone', () => {
    const bytes = fixture('store-fat.macho');
    expect(isMachO(bytes)).toBe(true);
    const [first] = machOSlices(bytes.subarray(0, 64), bytes.length);
    expect(first).toBeDefined();
    const start = first?.offset ?? 0;
    const extent = loadCommandsExtent(bytes.subarray(start, start + 32));
    const range = codeSignatureRange(bytes.subarray(start, start + extent), first?.size ?? 0);
    expect(range).toBeDefined();
    const blob = bytes.subarray(
      start + (range?.offset ?? 0),
      start + (range?.offset ?? 0) + (range?.size ?? 0),
    );
    expect(parseCodeSignature(blob).teamId).toBe('STORE45678');
  });

  it('returns no signature for an unsigned binary', () => {
    const header = Buffer.alloc(32);
    header.writeUInt32LE(0xfeedfacf, 0);
    header.writeUInt32LE(0x0100000c, 4);
    expect(parseMachO(header)).toEqual([{ cpuType: 0x0100000c, cpuSubtype: 0, offset: 0, size: 32 }]);
  });
});

describe('parseMachO: hostile input', () => {
  const thin = (ncmds: number, sizeofcmds: number, commands: number[][] = []): Uint8Array => {
    const header = Buffer.alloc(32);
    header.writeUInt32LE(0xfeedfacf, 0);
    header.writeUInt32LE(ncmds, 16);
    header.writeUInt32LE(sizeofcmds, 20);
    const body = Buffer.from(commands.flatMap((c) => [...Buffer.from(Uint32Array.from(c).buffer)]));
    return new Uint8Array(Buffer.concat([header, body, Buffer.alloc(64)]));
  };

  it('refuses absurd load command counts and sizes', () => {
    expect(() => parseMachO(thin(0xffffffff, 16))).toThrow(/load commands is more than allowed/);
    expect(() => parseMachO(thin(1, 0x7fffffff))).toThrow(/larger than the slice/);
    expect(() => parseMachO(thin(1, 16, [[0x1d, 0, 0, 0]]))).toThrow(/bad size 0/);
    expect(() => parseMachO(thin(2, 16, [[0x1b, 16, 0, 0]]))).toThrow(/lies past sizeofcmds/);
  });

  it('refuses a code signature outside the slice', () => {
    expect(() => parseMachO(thin(1, 16, [[0x1d, 16, 0xfffffff0, 0x100]]))).toThrow(/lies outside the slice/);
  });

  it('refuses bad fat headers', () => {
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(1000, 4);
    expect(() => parseMachO(fat)).toThrow(/lists 1000 architectures/);
    fat.writeUInt32BE(1, 4);
    fat.writeUInt32BE(0x7ffffff0, 16);
    fat.writeUInt32BE(0x100, 20);
    expect(() => parseMachO(fat)).toThrow(/lies outside the 64-byte file/);
  });

  it('refuses broken SuperBlobs', () => {
    expect(() => parseCodeSignature(new Uint8Array(16))).toThrow(/not an embedded signature SuperBlob/);
    const sb = Buffer.alloc(20);
    sb.writeUInt32BE(0xfade0cc0, 0);
    sb.writeUInt32BE(20, 4);
    sb.writeUInt32BE(0x40000000, 8);
    expect(() => parseCodeSignature(sb)).toThrow(/index of 1073741824 blobs/);
    sb.writeUInt32BE(1, 8);
    sb.writeUInt32BE(0, 12);
    sb.writeUInt32BE(0xffff, 16);
    expect(() => parseCodeSignature(sb)).toThrow(/outside the SuperBlob/);
  });

  it('fuzz: mutated executables either parse or throw ParseError, quickly', () => {
    const seeds = [fixture('store-fat.macho'), fixture('old-cd.macho')];
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (seed, edits, cut) => {
          let bytes = Uint8Array.from(seeds[seed] ?? []);
          // Half the edits land in the headers, where counts and offsets live.
          for (const [at, value] of edits) bytes[at % (at % 2 === 0 ? 400 : bytes.length)] = value;
          if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
          const started = Date.now();
          try {
            parseMachO(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(ParseError);
          }
          expect(Date.now() - started).toBeLessThan(2000);
        },
      ),
      { seed: 31337, numRuns: 2000 },
    );
  });
});

describe.skipIf(SHARED === undefined)('parseMachO: real IPA executables against ground truth', () => {
  for (const [file, expected] of Object.entries(truth)) {
    it(`${file}: ${expected.codeSignature.length} slice(s), team ${expected.codeSignature[0]?.teamID}`, async () => {
      const zip = new Uint8Array(readFileSync(corpus(file)));
      const appDir = expected.infoPlistPath.replace(/\/Info\.plist$/, '');
      const slices = parseMachO(await readZipEntry(zip, `${appDir}/${expected.CFBundleExecutable}`));
      expect(slices).toHaveLength(expected.codeSignature.length);
      slices.forEach((slice, i) => {
        const sig = expected.codeSignature[i];
        expect(slice.signature?.identifier).toBe(sig?.identifier);
        expect(slice.signature?.teamId).toBe(sig?.teamID);
        expect(slice.signature?.signers.map((s) => s.sha256)).toEqual(sig?.cmsSigners.map((s) => s.sha256));
      });
    });
  }
});
