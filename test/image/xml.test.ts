import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/parsers/types.js';
import {
  attributeValue,
  childElements,
  DEFAULT_XML_LIMITS,
  decodeXmlBytes,
  elementText,
  parseXml,
} from '../../src/parsers/xml.js';
import { fixture } from './paths.js';

const parseError = (fn: () => unknown): ParseError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
};

describe('text XML reader', () => {
  it('reads elements, attributes, text, entities, CDATA and skips comments and PIs', () => {
    const root = parseXml(
      `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<!-- c --><r a="1 &amp; 2" b='&lt;&#65;&#x42;&quot;&apos;&gt;' c="x\ny"><?pi data?>` +
        `<e>t&amp;<![CDATA[<raw>&amp;]]><!-- inner --></e><e/></r>`,
    );
    expect(root.name).toBe('r');
    expect(attributeValue(root, 'a')).toBe('1 & 2');
    expect(attributeValue(root, 'b')).toBe(`<AB"'>`);
    expect(attributeValue(root, 'c')).toBe('x y');
    const [first, second] = childElements(root, 'e');
    expect(first && elementText(first)).toBe('t&<raw>&amp;');
    expect(second?.children).toEqual([]);
    // The literal newline inside c="…" counts: <e> starts on line 3.
    expect(root.line).toBe(2);
    expect(first?.line).toBe(3);
  });

  it('refuses DOCTYPE and ENTITY declarations, so billion laughs cannot expand', () => {
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n${Array.from(
      { length: 9 },
      (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join('\n')}\n]>\n<lolz>&lol9;</lolz>`;
    const started = Date.now();
    expect(parseError(() => parseXml(laughs)).message).toMatch(/line 2: DOCTYPE declarations are refused/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(parseError(() => parseXml('<!ENTITY x "y"><r/>')).message).toMatch(
      /ENTITY declarations are refused/,
    );
    expect(parseError(() => parseXml('<r>&xxe;</r>')).message).toMatch(/unknown entity "&xxe;"/);
    expect(parseError(() => parseXml('<r a="&#0;"/>')).message).toMatch(/unknown entity/);
  });

  it('names the line of malformed input', () => {
    const error = parseError(() => parseXml('<a>\n<b>\n</c></a>'));
    expect(error.message).toMatch(/line 3: end tag <\/c> does not match <b>/);
    expect(error.line).toBe(3);
    expect(parseError(() => parseXml('<a x="1" x="2"/>')).message).toMatch(/duplicate attribute/);
    expect(parseError(() => parseXml('<a x=1/>')).message).toMatch(/not quoted/);
    expect(parseError(() => parseXml('<a><b>')).message).toMatch(/input ends inside <b>/);
    expect(parseError(() => parseXml('<a/><b/>')).message).toMatch(/second root/);
    expect(parseError(() => parseXml('text<a/>')).message).toMatch(/text outside the root/);
    expect(parseError(() => parseXml('<a><!-- open')).message).toMatch(/unterminated comment/);
    expect(parseError(() => parseXml('')).message).toMatch(/no root element/);
    expect(parseError(() => parseXml('<a b="<"/>')).message).toMatch(/"<" inside the value/);
  });

  it('accepts UTF-8 only', () => {
    expect(decodeXmlBytes(Buffer.from('\ufeff<a>é</a>'))).toBe('<a>é</a>');
    expect(() => decodeXmlBytes(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'))).toThrow(
      /ISO-8859-1/,
    );
    expect(() => decodeXmlBytes(Uint8Array.of(0xff, 0xfe, 0x3c, 0))).toThrow(/UTF-16/);
  });

  it('stops deep nesting, node floods and oversized input quickly', () => {
    const started = Date.now();
    expect(parseError(() => parseXml('<a>'.repeat(500_000))).message).toMatch(/deeper than 256/);
    expect(
      parseError(() =>
        parseXml(`<r>${'<c/>'.repeat(200_000)}</r>`, { ...DEFAULT_XML_LIMITS, maxNodes: 1000 }),
      ).message,
    ).toMatch(/more than 1000 nodes/);
    expect(parseError(() => parseXml('<r/>', { ...DEFAULT_XML_LIMITS, maxBytes: 2 })).message).toMatch(
      /larger than 2/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('survives mutations of a real packages.xml with ParseErrors only (fuzz)', () => {
    const text = readFileSync(fixture('packages-xml', 'android11-packages.xml'), 'utf8').slice(0, 6000);
    const alphabet = ['<', '>', '/', '"', "'", '&', ';', '=', '!', '?', '[', ']', '-', ' ', 'a', '#', '\n'];
    const started = Date.now();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(text.length - 1), fc.constantFrom(...alphabet)), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.option(fc.nat(text.length)),
        (mutations, cut) => {
          const chars = text.slice(0, cut ?? text.length).split('');
          for (const [at, c] of mutations) if (at < chars.length) chars[at] = c;
          try {
            parseXml(chars.join(''));
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
          }
        },
      ),
      { seed: 7, numRuns: 1500 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
