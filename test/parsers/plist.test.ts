import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlistDict, parsePlistXml } from '../../src/parsers/plist.js';
import { ParseError } from '../../src/parsers/types.js';
import { hasShared, sharedPath } from '../shared.js';

const wrap = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${body}\n</plist>\n`;

describe('XML plist parser', () => {
  it('reads every value type', () => {
    const value = parsePlistXml(
      wrap(`<dict>
  <key>s</key><string>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;</string>
  <key>i</key><integer>-42</integer>
  <key>big</key><integer>18446744073709551615</integer>
  <key>r</key><real>2.5</real>
  <key>t</key><true/>
  <key>f</key><false/>
  <key>d</key><date>2024-05-01T10:20:30Z</date>
  <key>b</key><data>
    aGVs
    bG8=
  </data>
  <key>a</key><array><string>x</string><array/><dict/></array>
  <key>e</key><string/>
</dict>`),
    );
    expect(value).toEqual({
      s: `a & b <c> "d" 'e' AB`,
      i: -42,
      big: 18446744073709551615n,
      r: 2.5,
      t: true,
      f: false,
      d: new Date('2024-05-01T10:20:30Z'),
      b: new Uint8Array(Buffer.from('hello')),
      a: ['x', [], {}],
      e: '',
    });
  });

  it('a `__proto__` key is data, not a prototype change', () => {
    const value = parsePlistXml(
      wrap('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>'),
    );
    expect(isPlistDict(value) && Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['<!DOCTYPE plist [<!ENTITY x "y">]><plist><string>&x;</string></plist>', /ENTITY/],
    ['<plist><string>&nbsp;</string></plist>', /unsupported XML entity/],
    ['<plist><string>a & b</string></plist>', /bare "&"/],
    ['<plist><integer>1.5</integer></plist>', /invalid <integer>/],
    ['<plist><date>yesterday</date></plist>', /invalid <date>/],
    ['<plist><data>@@@@</data></plist>', /invalid base64/],
    ['<plist><dict><key>a</key></dict></plist>', /without a value/],
    ['<plist><dict><string>a</string></dict></plist>', /without a <key>/],
    ['<plist><array></dict></plist>', /unexpected <\/dict>/],
    ['<plist><foo/></plist>', /unknown XML plist element/],
    ['<plist><array><string>x</string>', /truncated XML plist at line 1/],
    ['<plist>\n<array>\n<string>x', /truncated XML plist at line 3/],
    ['<plist></plist>', /holds no value/],
    ['<plist><string>a</string><string>b</string></plist>', /more than one top-level value/],
  ])('rejects %j', (xml, message) => {
    expect(() => parsePlistXml(xml)).toThrow(ParseError);
    expect(() => parsePlistXml(xml)).toThrow(message);
  });

  it('bounds nesting depth and size', () => {
    expect(() => parsePlistXml(`<plist>${'<array>'.repeat(65)}${'</array>'.repeat(65)}</plist>`)).toThrow(
      /deeper than 64/,
    );
    expect(parsePlistXml(`<plist>${'<array>'.repeat(64)}${'</array>'.repeat(64)}</plist>`)).toBeDefined();
    expect(() => parsePlistXml('<plist><string>x</string></plist>', { maxLength: 10 })).toThrow(/too large/);
  });

  it.skipIf(!hasShared('corpus', 'plist', 'apple-tv-basic.plist'))(
    'reads the real Info.plist samples in the shared corpus',
    () => {
      const tv = parsePlistXml(readFileSync(sharedPath('corpus', 'plist', 'apple-tv-basic.plist'), 'utf8'));
      expect(isPlistDict(tv) && tv.CFBundleName).toBe('XplorerTV');
      expect(isPlistDict(tv) && tv.CFBundleVersion).toBe('1');
      // This one is a binary plist: the XML parser must say so rather than misread it.
      expect(() =>
        parsePlistXml(readFileSync(sharedPath('corpus', 'plist', 'unversal-background.plist'), 'latin1')),
      ).toThrow(/binary plist/);
    },
  );

  it('never throws anything but ParseError on arbitrary input (fuzz)', () => {
    const fragments = fc.constantFrom(
      '<plist>',
      '</plist>',
      '<dict>',
      '</dict>',
      '<array>',
      '</array>',
      '<key>k</key>',
      '<string>s</string>',
      '<integer>12</integer>',
      '<real>1e3</real>',
      '<true/>',
      '<data>AAAA</data>',
      '<date>2020-01-01T00:00:00Z</date>',
      '&amp;',
      '&#x0;',
      '<!--',
      '-->',
      '<?xml?>',
      '<',
      '>',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fragments, fc.string({ maxLength: 8 })), { maxLength: 40 }), (parts) => {
        try {
          parsePlistXml(parts.join(''));
        } catch (error) {
          if (!(error instanceof ParseError)) throw error;
        }
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
