import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeBinaryPlist } from '../../scripts/bplist-writer.mjs';
import { isBinaryPlist, parseBinaryPlist } from '../../src/parsers/bplist.js';
import type { PlistValue } from '../../src/parsers/plist.js';
import { ParseError } from '../../src/parsers/types.js';
import { hasShared, sharedPath } from '../shared.js';

const MVT = ['device-samples', 'ios', 'mvt_ios_backup_Info.plist'];
const mvtPath = hasShared(...MVT) ? sharedPath(...MVT) : undefined;

/** Assembles a bplist from raw object encodings (1-byte refs and offsets unless the file grows past 255). */
const assemble = (objects: number[][], top = 0, trailerPatch?: (trailer: Uint8Array) => void): Uint8Array => {
  const body: number[] = [...Buffer.from('bplist00')];
  const offsets: number[] = [];
  for (const object of objects) {
    offsets.push(body.length);
    body.push(...object);
  }
  const tableOffset = body.length;
  const offsetSize = tableOffset > 255 ? 2 : 1;
  for (const offset of offsets) {
    if (offsetSize === 2) body.push(offset >> 8);
    body.push(offset & 0xff);
  }
  const trailer = new Uint8Array(32);
  trailer[6] = offsetSize;
  trailer[7] = 1;
  new DataView(trailer.buffer).setBigUint64(8, BigInt(objects.length));
  new DataView(trailer.buffer).setBigUint64(16, BigInt(top));
  new DataView(trailer.buffer).setBigUint64(24, BigInt(tableOffset));
  trailerPatch?.(trailer);
  return new Uint8Array([...body, ...trailer]);
};

const expectParseError = (bytes: Uint8Array, message: RegExp): void => {
  expect(() => parseBinaryPlist(bytes)).toThrow(ParseError);
  expect(() => parseBinaryPlist(bytes)).toThrow(message);
};

describe('parseBinaryPlist: well-formed input', () => {
  it('reads every scalar type the format has', () => {
    const when = new Date('2024-05-06T07:08:09Z');
    const value = {
      ascii: 'CFBundleIdentifier',
      unicode: 'Кошелёк 微信 🙂',
      small: 7,
      medium: 60_000,
      large: 4_000_000_000,
      negative: -5,
      huge: 2n ** 62n,
      real: 1.5,
      yes: true,
      no: false,
      when,
      data: new Uint8Array([0, 1, 2, 255]),
      list: ['a', ['b', {}], []],
      long: 'x'.repeat(300),
    };
    expect(parseBinaryPlist(writeBinaryPlist(value))).toEqual(value);
  });

  it('reads 16-bit references and offsets when a plist holds more than 255 objects', () => {
    const value = Array.from({ length: 400 }, (_, i) => `item-${i}`);
    expect(parseBinaryPlist(writeBinaryPlist(value))).toEqual(value);
  });

  it('keeps a "__proto__" key as an ordinary key', () => {
    const bytes = assemble([[0xd1, 1, 2], [0x59, ...Buffer.from('__proto__')], [0x09]]);
    const parsed = parseBinaryPlist(bytes) as Record<string, PlistValue>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe(true);
  });

  it('exposes NSKeyedArchiver UIDs as { CF$UID }', () => {
    expect(
      parseBinaryPlist(
        assemble([
          [0xa1, 1],
          [0x80, 0x2a],
        ]),
      ),
    ).toEqual([{ CF$UID: 42 }]);
  });

  it('round-trips arbitrary plists written by an independent writer', () => {
    const key = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');
    const leaf = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.integer(),
      fc
        .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
        .filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.boolean(),
      fc.integer({ min: -2_000_000_000, max: 4_000_000_000 }).map((s) => new Date(s * 1000)),
      fc.uint8Array({ maxLength: 40 }),
    );
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { maxLength: 5 }),
        fc.dictionary(key, tie('node'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(tree.node, (value) => {
        expect(parseBinaryPlist(writeBinaryPlist(value))).toEqual(value);
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});

describe.skipIf(mvtPath === undefined)('parseBinaryPlist: MVT iOS backup Info.plist (real bplist)', () => {
  it('lists the installed applications and device facts', () => {
    const bytes = readFileSync(mvtPath ?? '');
    expect(isBinaryPlist(bytes)).toBe(true);
    const plist = parseBinaryPlist(bytes) as Record<string, PlistValue>;
    expect(plist['Installed Applications']).toEqual([
      'ph.telegra.Telegraph',
      'com.google.Gmail',
      'ch.icoaching.typewise',
      'com.google.chrome.ios',
      'net.whatsapp.WhatsApp',
      'org.mozilla.ios.Firefox',
    ]);
    expect(plist['Serial Number']).toBe('F1234567890');
    expect(plist['Product Version']).toBe('14.3');
    expect(plist['Last Backup Date']).toEqual(new Date('2021-12-03T19:33:13Z'));
  });
});

describe('parseBinaryPlist: hostile input', () => {
  it('refuses a header that is not bplist00', () => {
    expectParseError(new Uint8Array(64), /missing "bplist00" header/);
  });

  it('refuses a file too short for a trailer', () => {
    expectParseError(Buffer.from('bplist00\x08'), /too short/);
  });

  it('detects an array that contains itself', () => {
    expectParseError(assemble([[0xa1, 0]]), /contains itself \(cycle\)/);
  });

  it('detects a cycle through a dictionary', () => {
    expectParseError(
      assemble([
        [0xd1, 1, 2],
        [0x51, 0x61],
        [0xa1, 0],
      ]),
      /cycle/,
    );
  });

  it('bounds nesting depth', () => {
    const objects = Array.from({ length: 100 }, (_, i) => [0xa1, i + 1]);
    objects.push([0x08]);
    expectParseError(assemble(objects), /nesting deeper than 64/);
  });

  it('bounds exponential expansion of shared objects (2^40 values from 41 objects)', () => {
    const objects = Array.from({ length: 40 }, (_, i) => [0xa2, i + 1, i + 1]);
    objects.push([0x09]);
    const started = Date.now();
    expectParseError(assemble(objects), /more than 1000000 values/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an object count larger than the file can hold', () => {
    const bytes = assemble([[0x08]], 0, (t) => new DataView(t.buffer).setBigUint64(8, 2n ** 40n));
    expectParseError(bytes, /offset table .* does not fit/);
  });

  it('refuses an object count beyond 2^53', () => {
    const bytes = assemble([[0x08]], 0, (t) => new DataView(t.buffer).setBigUint64(8, 2n ** 63n));
    expectParseError(bytes, /object count .* too large/);
  });

  it('refuses a top object outside the table', () => {
    expectParseError(assemble([[0x08]], 3), /top object 3 is outside/);
  });

  it('refuses bad offset and reference sizes', () => {
    expectParseError(
      assemble([[0x08]], 0, (t) => {
        t[6] = 0;
      }),
      /bad offset size 0/,
    );
    expectParseError(
      assemble([[0x08]], 0, (t) => {
        t[7] = 9;
      }),
      /bad object reference size 9/,
    );
  });

  it('refuses references to objects that do not exist', () => {
    expectParseError(assemble([[0xa1, 7]]), /object reference 7 >= 1/);
  });

  it('refuses object offsets outside the object area', () => {
    const bytes = assemble([[0xa1, 1], [0x08]]);
    bytes[bytes.length - 32 - 1] = 250; // offset of object 1
    expectParseError(bytes, /offset 250 is outside the object area/);
  });

  it('refuses lengths that run past the object area', () => {
    expectParseError(assemble([[0x4f, 0x13, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]]), /data at .* runs past/);
    expectParseError(assemble([[0x5f, 0x12, 0xff, 0xff, 0xff, 0xff, 0x41]]), /string at .* runs past/);
    expectParseError(assemble([[0xaf, 0x12, 0x10, 0, 0, 0, 0]]), /array at .* runs past/);
  });

  it('refuses non-string dictionary keys and unknown markers', () => {
    expectParseError(
      assemble([
        [0xd1, 1, 1],
        [0x10, 5],
      ]),
      /key .* is not a string/,
    );
    expectParseError(assemble([[0xe0]]), /unknown object type 0xe0/);
    expectParseError(assemble([[0x0f]]), /unsupported singleton 0xf/);
  });

  it('fuzz: mutated real plists either parse or throw ParseError, quickly', () => {
    const seeds: Uint8Array[] = [
      writeBinaryPlist({
        CFBundleIdentifier: 'com.example.app',
        CFBundleVersion: '12',
        list: [1, 2.5, true, 'ü'],
        d: new Date(0),
      }),
    ];
    if (mvtPath !== undefined) seeds.push(new Uint8Array(readFileSync(mvtPath)));
    const mutation = fc.record({
      seed: fc.nat(seeds.length - 1),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut }) => {
        const base = seeds[seed] ?? new Uint8Array();
        let bytes = Uint8Array.from(base);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        const started = Date.now();
        try {
          parseBinaryPlist(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ParseError);
        }
        expect(Date.now() - started).toBeLessThan(2000);
      }),
      { seed: 20260401, numRuns: 2000 },
    );
  });
});
