import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { berChildren, OID, octetStringValue, parseSignedData, readBer } from '../../src/parsers/cms.js';
import { ParseError } from '../../src/parsers/types.js';
import { corpus, FIXTURES, SHARED } from './paths.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

describe('parseSignedData on generated profiles', () => {
  for (const name of ['profile-definite.mobileprovision', 'profile-indefinite.mobileprovision']) {
    it(`opens ${name}`, () => {
      const signed = parseSignedData(fixture(name));
      expect(signed.contentType).toBe(OID.data);
      expect(signed.content?.length).toBeGreaterThan(100);
      expect(signed.certificates).toHaveLength(1);
      expect(signed.signers).toHaveLength(1);
      expect(signed.signers[0]?.subjectFields).toMatchObject({ OU: 'EXAMPLE123', O: 'Example Widgets Ltd.' });
      expect(signed.signers[0]?.subject).toContain(
        'CN=iPhone Distribution: Example Widgets Ltd. (EXAMPLE123)',
      );
    });
  }

  it('the indefinite-length profile really uses indefinite lengths and a constructed OCTET STRING', () => {
    const bytes = fixture('profile-indefinite.mobileprovision');
    expect(readBer(bytes, 0).indefinite).toBe(true);
    expect(
      Buffer.from(parseSignedData(bytes).content ?? [])
        .subarray(0, 8)
        .toString(),
    ).toBe('bplist00');
  });
});

describe('BER reader', () => {
  it('joins the segments of a constructed OCTET STRING', () => {
    const bytes = new Uint8Array([
      0x24, 0x80, 0x04, 0x02, 0x61, 0x62, 0x24, 0x03, 0x04, 0x01, 0x63, 0x00, 0x00,
    ]);
    expect(Buffer.from(octetStringValue(bytes, readBer(bytes, 0))).toString()).toBe('abc');
  });

  it('reads long-form tags and lengths', () => {
    const bytes = new Uint8Array([0x9f, 0x81, 0x00, 0x81, 0x03, 1, 2, 3]);
    expect(readBer(bytes, 0)).toMatchObject({ tagClass: 2, tag: 128, contentStart: 5, end: 8 });
  });

  it('refuses lengths past the buffer', () => {
    expect(() => readBer(new Uint8Array([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0]), 0)).toThrow(
      /claims 2147483647 bytes/,
    );
    expect(() => readBer(new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]), 0)).toThrow(/length of 5 bytes/);
  });

  it('refuses an indefinite length without end marker and on primitives', () => {
    expect(() => readBer(new Uint8Array([0x30, 0x80, 0x02, 0x01, 0x05]), 0)).toThrow(/no end marker/);
    expect(() => readBer(new Uint8Array([0x04, 0x80, 0x00, 0x00]), 0)).toThrow(
      /indefinite length on a primitive/,
    );
  });

  it('bounds indefinite-length nesting depth', () => {
    const depth = 10_000;
    const bytes = new Uint8Array(depth * 4);
    for (let i = 0; i < depth; i++) bytes.set([0x30, 0x80], i * 2);
    const started = Date.now();
    expect(() => readBer(bytes, 0)).toThrow(/nesting deeper than 32/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a child that runs past its parent', () => {
    const bytes = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x05, 0x05, 0x00, 0x01]);
    expect(() => berChildren(bytes, readBer(bytes, 0))).toThrow(ParseError);
  });

  it('refuses content that is not SignedData', () => {
    const notSigned = new Uint8Array([
      0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ]);
    expect(() => parseSignedData(notSigned)).toThrow(/1.2.840.113549.1.7.1 is not SignedData/);
    expect(() => parseSignedData(new Uint8Array([0x02, 0x01, 0x00]))).toThrow(
      /expected ContentInfo SEQUENCE/,
    );
  });
});

describe.skipIf(SHARED === undefined)('parseSignedData on real Apple profiles', () => {
  it('finds Apple as the signer, matched by issuer and serial', () => {
    const signed = parseSignedData(
      new Uint8Array(readFileSync(corpus('mobileprovision', 'test.mobileprovision'))),
    );
    expect(signed.certificates.length).toBeGreaterThanOrEqual(2);
    expect(signed.signers).toHaveLength(1);
    expect(signed.signers[0]?.subjectFields.CN).toBe('Apple iPhone OS Provisioning Profile Signing');
    expect(Buffer.from(signed.content ?? []).toString('utf8')).toContain('<key>TeamName</key>');
  });
});

describe('fuzz: mutated CMS envelopes', () => {
  it('either parse or throw ParseError, quickly', () => {
    const seeds = [
      fixture('profile-definite.mobileprovision'),
      fixture('profile-indefinite.mobileprovision'),
    ];
    const mutation = fc.record({
      seed: fc.nat(seeds.length - 1),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut }) => {
        let bytes = Uint8Array.from(seeds[seed] ?? []);
        // Bias edits toward the header region, where lengths and tags live.
        for (const [at, value] of edits)
          bytes[at % Math.min(bytes.length, at % 2 === 0 ? 200 : bytes.length)] = value;
        if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        const started = Date.now();
        try {
          parseSignedData(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ParseError);
        }
        expect(Date.now() - started).toBeLessThan(2000);
      }),
      { seed: 7, numRuns: 1500 },
    );
  });
});
