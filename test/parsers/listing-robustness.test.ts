import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectListingFormat, parseListing } from '../../src/parsers/listing.js';
import { binaryReason, decodeText, normaliseText } from '../../src/parsers/text.js';
import { ParseError } from '../../src/parsers/types.js';
import { fixture } from './listing-helpers.js';

const ctx = { target: 't', path: 'in.txt' };

describe('bad input gives a clear ParseError', () => {
  it.each([
    ['', /the input is empty/],
    ['  \n\t\n', /the input is empty/],
    ['bplist00\u0000\u0001\u0002', /binary plist/],
    ['PK\u0003\u0004\u0014\u0000', /ZIP archive/],
    ['\u0000\u0001\u0002\u0003'.repeat(1000), /binary data/],
    ['Lorem ipsum\ndolor sit amet\n', /not a recognised device listing: line 1 reads "Lorem ipsum"/],
    ['{"apps": []}', /JSON that is not an androidqf/],
    [
      '<?xml version="1.0"?><plist version="1.0"><dict><key>CFBundleIdentifier</key><string>a.b</string></dict></plist>',
      /single app Info\.plist/,
    ],
    ['DUMP OF SERVICE activity:\nstuff\n', /without a package service/],
  ])('%j', (input, message) => {
    expect(() => parseListing(input, ctx)).toThrow(ParseError);
    expect(() => parseListing(input, ctx)).toThrow(message);
    expect(detectListingFormat(input)).toBeUndefined();
  });

  it('garbage file names its first line', () => {
    expect(() => parseListing(fixture('listings/misc/garbage.txt'), ctx)).toThrow(
      /line 1 reads "Lorem ipsum dolor/,
    );
  });

  it('control characters in the message are made visible', () => {
    expect(() => parseListing('\u202Eevil\u001b[31m\n', ctx)).toThrow(/\\u202eevil\\u001b\[31m/);
  });

  it('a 50 MB file of junk is refused quickly', () => {
    const junk = 'The quick brown fox jumps over the lazy dog 0123456789\n'.repeat(
      Math.ceil((50 * 1024 * 1024) / 55),
    );
    const start = performance.now();
    expect(detectListingFormat(junk)).toBeUndefined();
    expect(() => parseListing(junk, ctx)).toThrow(/not a recognised device listing/);
    expect(performance.now() - start).toBeLessThan(20_000);
  }, 60_000);

  it('a 50 MB single line is refused quickly', () => {
    const line = 'x'.repeat(50 * 1024 * 1024);
    const start = performance.now();
    expect(() => parseListing(line, ctx)).toThrow(/not a recognised device listing/);
    expect(performance.now() - start).toBeLessThan(20_000);
  }, 60_000);

  it('a large real-looking listing parses in bounded time', () => {
    const lines = Array.from(
      { length: 100_000 },
      (_, i) =>
        `package:/data/app/~~a==/p${i}-b==/base.apk=com.example.app${i} versionCode:${i}  installer=com.android.vending uid:${10000 + i}`,
    );
    const start = performance.now();
    const inv = parseListing(lines.join('\n'), ctx);
    expect(inv.apps).toHaveLength(100_000);
    expect(inv.apps[99_999]).toMatchObject({ id: 'com.example.app99999', user: 1, extra: { uid: 109999 } });
    expect(performance.now() - start).toBeLessThan(30_000);
  }, 60_000);

  it('thousands of unparseable lines are capped in the diagnostics', () => {
    const text = [
      'package:com.ok uid:10001',
      ...Array.from({ length: 5000 }, (_, i) => `noise line ${i}`),
      '',
    ].join('\n');
    const inv = parseListing(text, ctx);
    expect(inv.apps).toHaveLength(1);
    expect(inv.diagnostics.length).toBeLessThanOrEqual(101);
    expect(inv.diagnostics.at(-1)?.message).toMatch(/4900 more warnings not listed \(lines 102–5001\)/);
    expect(inv.partial).toBeUndefined();
  });
});

describe('text helpers', () => {
  it('decodes UTF-8 BOM, UTF-16 LE/BE BOM and BOM-less UTF-16LE', () => {
    const s = 'package:com.x\r\n';
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(s)]))).toBe(s);
    expect(decodeText(new Uint8Array([0xff, 0xfe, ...Buffer.from(s, 'utf16le')]))).toBe(s);
    expect(decodeText(new Uint8Array([0xfe, 0xff, ...Buffer.from(s, 'utf16le').swap16()]))).toBe(s);
    expect(decodeText(new Uint8Array(Buffer.from(s, 'utf16le')))).toBe(s);
  });

  it('normalises CRLF and lone CR, strips a BOM', () => {
    expect(normaliseText('\uFEFFa\r\nb\rc\r\r\nd')).toBe('a\nb\nc\nd');
  });

  it('tolerates a few stray bytes but not binary', () => {
    expect(binaryReason(`${'text line\n'.repeat(1000)}\u0000\u0001ABX`)).toBeUndefined();
    expect(binaryReason('\u0000'.repeat(100))).toMatch(/binary/);
  });
});

describe('fuzz: detectListingFormat/parseListing only ever throw ParseError, quickly', () => {
  const pieces = fc.constantFrom(
    'package:',
    'package:/data/app/~~a==/b==/base.apk=com.x',
    ' versionCode:',
    '  installer=',
    ' uid:',
    '10123,1010123',
    '=',
    '==',
    '\n',
    '\r\n',
    '$ adb shell pm list packages -f --user 10\n',
    '# user 10\n',
    "Exception occurred while executing 'list':\n",
    'java.lang.SecurityException: Shell does not have permission to access user 150\n',
    '\tat com.android.server.X.y(X.java:1)\n',
    'Users:\n\tUserInfo{0:Owner:c13} running\n',
    'UserInfo{',
    '[ro.product.model]: [Pixel 8]\n',
    'Packages:\n',
    '  Package [com.x] (abc):\n',
    '    User 0: installed=true enabled=3\n',
    '      firstInstallTime=2021-09-21 14:10:13\n',
    'DUMP OF SERVICE package:\n',
    'CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName\n',
    'a.b, "1.0", "N, "a""\n',
    'Total: 3 apps\n',
    'ProductType: iPhone16,1\nDeviceName: X\n',
    '<?xml version="1.0"?><plist><array><dict><key>CFBundleIdentifier</key><string>a</string>',
    '</dict></array></plist>',
    '[{"name":"com.x","files":[]',
    '}]',
    '\uFEFF',
    '\u0000',
    '\u202E',
    'usage: pm list packages\n',
  );
  it('on structured fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 12 })), { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        const start = performance.now();
        detectListingFormat(text);
        try {
          const inv = parseListing(text, ctx);
          for (const a of inv.apps) {
            expect(a.id).not.toBe('');
            expect(a.origin.target).toBe('t');
          }
        } catch (error) {
          if (!(error instanceof ParseError)) throw error;
          expect(error.message.length).toBeGreaterThan(10);
        }
        expect(performance.now() - start).toBeLessThan(1000);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        detectListingFormat(text);
        try {
          parseListing(text, ctx);
        } catch (error) {
          if (!(error instanceof ParseError)) throw error;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
