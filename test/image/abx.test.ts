import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AbxEvent, decodeModifiedUtf8, isAbx, parseAbx, readAbxEvents } from '../../src/parsers/abx.js';
import { ParseError } from '../../src/parsers/types.js';
import { DEFAULT_XML_LIMITS, parseXml, type XmlElement } from '../../src/parsers/xml.js';
import { AbxWriter, EVENT, encodeModifiedUtf8, type WriterValue } from './abx-writer.js';
import { fixture, shared } from './paths.js';

const corpus = shared('corpus', 'abx');

/** Whitespace-only text is indentation; compare names, attribute texts and real text only. */
const normalise = (e: XmlElement): unknown => ({
  name: e.name,
  attributes: e.attributes.map((a) => [a.name, a.value]),
  children: e.children
    .filter((c) => typeof c !== 'string' || c.trim() !== '')
    .map((c) => (typeof c === 'string' ? c : normalise(c))),
});

const expectParseError = (fn: () => unknown, pattern?: RegExp): void => {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ParseError);
  if (pattern) expect((thrown as Error).message).toMatch(pattern);
};

describe.skipIf(!corpus)('ABX conformance with files written by AOSP BinaryXmlSerializer', () => {
  const dir = corpus ?? '';
  const twins = corpus ? readdirSync(dir).filter((f) => f.endsWith('.abx')) : [];

  it('finds the corpus files', () => {
    expect(twins.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of twins) {
    const xml = path.join(dir, file.replace(/\.abx$/, '.xml'));
    const twin = readdirSync(dir).includes(path.basename(xml));
    it.skipIf(!twin)(`${file} reads to the same tree as its XML twin`, () => {
      const fromAbx = parseAbx(readFileSync(path.join(dir, file)));
      const fromXml = parseXml(readFileSync(xml, 'utf8'));
      expect(normalise(fromAbx)).toEqual(normalise(fromXml));
    });
  }

  it('reads every attribute type and text token of pngouin-aosp_verify.abx', () => {
    const root = parseAbx(readFileSync(path.join(dir, 'pngouin-aosp_verify.abx')));
    const attrs = Object.fromEntries(root.attributes.map((a) => [a.name, a.value]));
    expect(attrs).toEqual({
      str: 'hello',
      bh: 'DEADBEEF',
      bb: 'AQID',
      i: '-42',
      ih: 'cafebabe',
      l: '-123456789012',
      lh: 'deadbeefcafebabe',
      f: '3.5',
      d: '2.71828',
      bt: 'true',
      bf: 'false',
    });
    expect(root.attributes.find((a) => a.name === 'bh')?.bytes).toEqual(
      Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
    );
    expect(root.attributes.find((a) => a.name === 'bb')?.bytes).toEqual(Uint8Array.of(1, 2, 3));
    // TEXT + CDSECT + ENTITY_REF(amp) + IGNORABLE_WHITESPACE; COMMENT, PI and DOCDECL carry no content.
    expect(root.children[0]).toBe('hello worldraw <not-a-tag>&   ');
    expect(root.children[1]).toEqual({ name: 'root', attributes: [], children: [] });
    const kinds = [...readAbxEvents(readFileSync(path.join(dir, 'pngouin-aosp_verify.abx')))].map(
      (e) => e.kind,
    );
    for (const k of [
      'cdsect',
      'entity-ref',
      'ignorable-whitespace',
      'processing-instruction',
      'comment',
      'docdecl',
    ]) {
      expect(kinds).toContain(k);
    }
  });
});

describe('ABX values written by our BinaryXmlSerializer-style writer', () => {
  it('round-trips every value type', () => {
    const bytes = new AbxWriter()
      .startDocument()
      .startTag('t')
      .attribute('s', { type: 'string', value: 'plain' })
      .attribute('si', { type: 'interned', value: 'com.android.vending' })
      .attribute('bh', { type: 'bytes-hex', value: Uint8Array.of(0, 1, 0xab) })
      .attribute('b64', { type: 'bytes-base64', value: Uint8Array.of(0xff, 0xfe) })
      .attribute('i', { type: 'int', value: -2147483648 })
      .attribute('ih', { type: 'int-hex', value: -1 })
      .attribute('l', { type: 'long', value: 9223372036854775807n })
      .attribute('lh', { type: 'long-hex', value: 0x18b7a1c2d00n })
      .attribute('f', { type: 'float', value: 0.1 })
      .attribute('d', { type: 'double', value: 1e21 })
      .attribute('t', { type: 'boolean', value: true })
      .attribute('n', { type: 'null' })
      .text('x')
      .token(EVENT.text, null)
      .endTag('t')
      .endDocument()
      .bytes();
    const root = parseAbx(bytes);
    const attrs = Object.fromEntries(root.attributes.map((a) => [a.name, a.value]));
    expect(attrs).toEqual({
      s: 'plain',
      si: 'com.android.vending',
      bh: '0001AB',
      b64: '//4=',
      i: '-2147483648',
      ih: 'ffffffff',
      l: '9223372036854775807',
      lh: '18b7a1c2d00',
      f: '0.1',
      d: '1.0E21',
      t: 'true',
      n: '',
    });
    expect(root.children).toEqual(['x']);
  });

  it('decodes modified UTF-8: NUL as C0 80, supplementary characters as surrogate pairs', () => {
    const s = 'a\u0000é中😀';
    const encoded = encodeModifiedUtf8(s);
    expect([...encoded.slice(1, 3)]).toEqual([0xc0, 0x80]);
    expect(decodeModifiedUtf8(encoded, 0, encoded.length)).toBe(s);
    // Standard 4-byte UTF-8 is accepted too, and broken sequences become U+FFFD, not exceptions.
    const standard = new TextEncoder().encode('😀');
    expect(decodeModifiedUtf8(standard, 0, standard.length)).toBe('😀');
    expect(decodeModifiedUtf8(Uint8Array.of(0xe4, 0x41), 0, 2)).toBe('\ufffdA');
  });

  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const value: fc.Arbitrary<WriterValue> = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }).map((v) => ({ type: 'string' as const, value: v })),
    fc.constantFrom('a', 'b', 'com.x').map((v) => ({ type: 'interned' as const, value: v })),
    fc.uint8Array({ maxLength: 16 }).map((v) => ({ type: 'bytes-hex' as const, value: v })),
    fc.uint8Array({ maxLength: 16 }).map((v) => ({ type: 'bytes-base64' as const, value: v })),
    fc.integer().map((v) => ({ type: 'int' as const, value: v })),
    fc.integer().map((v) => ({ type: 'int-hex' as const, value: v })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ type: 'long' as const, value: v })),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
      .map((v) => ({ type: 'long-hex' as const, value: v })),
    fc.float({ noNaN: true }).map((v) => ({ type: 'float' as const, value: v })),
    fc.double({ noNaN: true }).map((v) => ({ type: 'double' as const, value: v })),
    fc.boolean().map((v) => ({ type: 'boolean' as const, value: v })),
  );

  it('reads back exactly the events that were written (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            name,
            fc.uniqueArray(fc.tuple(name, value), { selector: (a) => a[0], maxLength: 6 }),
            fc.string({ unit: 'binary', maxLength: 12 }),
          ),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        (elements) => {
          const writer = new AbxWriter().startDocument().startTag('root');
          for (const [tag, attrs, text] of elements) {
            writer.startTag(tag);
            for (const [n, v] of attrs) writer.attribute(n, v);
            writer.text(text).endTag(tag);
          }
          const events: AbxEvent[] = [...readAbxEvents(writer.endTag('root').endDocument().bytes())];
          let i = 2;
          expect(events[0]).toEqual({ kind: 'start-document' });
          expect(events[1]).toEqual({ kind: 'start-tag', name: 'root' });
          for (const [tag, attrs, text] of elements) {
            expect(events[i++]).toEqual({ kind: 'start-tag', name: tag });
            for (const [n, v] of attrs) {
              const e = events[i++];
              expect(e?.kind === 'attribute' && e.name).toBe(n);
              if (e?.kind !== 'attribute') continue;
              if (v.type === 'interned')
                expect(e.value).toEqual({ type: 'string', value: v.value, interned: true });
              else if (v.type === 'string')
                expect(e.value).toEqual({ type: 'string', value: v.value, interned: false });
              else if (v.type === 'float')
                expect(e.value).toEqual({ type: 'float', value: Math.fround(v.value) });
              else if (v.type === 'int' || v.type === 'int-hex')
                expect(e.value).toEqual({ type: v.type, value: v.value | 0 });
              else expect(e.value).toEqual(v);
            }
            expect(events[i++]).toEqual({ kind: 'text', text });
            expect(events[i++]).toEqual({ kind: 'end-tag', name: tag });
          }
          expect(events.slice(i)).toEqual([{ kind: 'end-tag', name: 'root' }, { kind: 'end-document' }]);
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });
});

describe('hostile ABX', () => {
  const valid = readFileSync(fixture('packages-xml', 'android14-packages.abx'));

  it('recognises the magic and refuses input without it', () => {
    expect(isAbx(valid)).toBe(true);
    expect(isAbx(Uint8Array.of(0x41, 0x42, 0x58))).toBe(false);
    expectParseError(() => parseAbx(Buffer.from('<packages/>')), /magic/);
  });

  it('reports truncation at every cut point with a ParseError, never a crash', () => {
    for (let cut = 0; cut < valid.length; cut += 7) {
      const head = valid.subarray(0, cut);
      try {
        parseAbx(head);
      } catch (error) {
        expect(error).toBeInstanceOf(ParseError);
      }
    }
    expectParseError(() => parseAbx(valid.subarray(0, valid.length - 40)), /truncated|input ends/);
  });

  it('refuses a string length that runs past the end', () => {
    const bytes = new AbxWriter().startDocument().raw(0x32, 0xff, 0xff, 0xff, 0xf0, 0x61, 0x62).bytes();
    expectParseError(() => parseAbx(bytes), /tag name needs 65520 bytes but only 2 remain/);
    const bytesAttr = new AbxWriter()
      .startDocument()
      .startTag('a')
      .raw(0x4f, 0xff, 0xff, 0, 1, 0x78, 0xff, 0xff)
      .bytes();
    expectParseError(() => parseAbx(bytesAttr), /attribute bytes needs 65535 bytes/);
  });

  it('refuses interned indices that were never defined', () => {
    const bytes = new AbxWriter().startDocument().startTag('a').raw(0x33, 0x00, 0x05).bytes();
    expectParseError(() => parseAbx(bytes), /interned string #5, but only 1 are defined/);
  });

  it('refuses unknown token and value types', () => {
    for (const event of [11, 12, 13, 14]) {
      const bytes = new AbxWriter()
        .startDocument()
        .startTag('a')
        .raw((2 << 4) | event, 0, 0)
        .bytes();
      expectParseError(() => parseAbx(bytes), /unknown token/);
    }
    for (const type of [0, 14, 15]) {
      const bytes = new AbxWriter()
        .startDocument()
        .startTag('a')
        .raw((type << 4) | 15, 0xff, 0xff, 0, 1, 0x62)
        .bytes();
      expectParseError(() => parseAbx(bytes), /unknown value type/);
    }
    const plainName = new AbxWriter().startDocument().raw(0x22, 0, 1, 0x61).bytes();
    expectParseError(() => parseAbx(plainName), /interned name/);
    const textInt = new AbxWriter().startDocument().startTag('a').raw(0x64, 0, 0, 0, 1).bytes();
    expectParseError(() => parseAbx(textInt), /unsupported value type/);
  });

  it('refuses mismatched and stray structure', () => {
    expectParseError(
      () => parseAbx(new AbxWriter().startDocument().startTag('a').endTag('b').bytes()),
      /does not match/,
    );
    expectParseError(
      () => parseAbx(new AbxWriter().startDocument().endTag('a').bytes()),
      /without a start tag/,
    );
    expectParseError(
      () =>
        parseAbx(
          new AbxWriter().startDocument().startTag('a').text('x').attribute('n', { type: 'null' }).bytes(),
        ),
      /does not follow a start tag/,
    );
    expectParseError(() => parseAbx(new AbxWriter().startDocument().bytes()), /no root element/);
  });

  it('stops deep nesting and huge node counts quickly, in bounded memory', () => {
    const started = Date.now();
    const deep = new AbxWriter().startDocument();
    for (let i = 0; i < 300_000; i++) deep.startTag('d');
    expectParseError(() => parseAbx(deep.bytes()), /deeper than 256/);
    const wide = new AbxWriter().startDocument().startTag('r');
    for (let i = 0; i < 200_000; i++) wide.startTag('c').endTag('c');
    expectParseError(
      () => parseAbx(wide.bytes(), { ...DEFAULT_XML_LIMITS, maxNodes: 100_000 }),
      /more than 100000 nodes/,
    );
    expectParseError(
      () => parseAbx(valid, { ...DEFAULT_XML_LIMITS, maxBytes: 100 }),
      /larger than 100 bytes/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('survives mutations of real ABX with ParseErrors only (fuzz)', () => {
    const started = Date.now();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat(valid.length)),
        (mutations, cut) => {
          const bytes = Uint8Array.from(valid.subarray(0, cut ?? valid.length));
          for (const [at, b] of mutations) if (at >= 4 && at < bytes.length) bytes[at] = b;
          try {
            parseAbx(bytes);
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
          }
        },
      ),
      { seed: 20240214, numRuns: 2000 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
