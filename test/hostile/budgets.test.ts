/**
 * Work budgets of the parsers and rule matchers under hostile input (issue 10), asserted as counts
 * and limits, never as timings. The binary-level checks (time, memory) are in hostile.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_APPS_PER_INPUT,
  MAX_ARSC_RESOLVE_STEPS,
  MAX_JSON_CONTAINERS,
  MAX_LINE_BYTES,
  MAX_LISTING_LINES,
  MAX_PLIST_DECODED_BYTES,
  MAX_PLIST_VALUES,
} from '../../src/limits.js';
import { parseAbx } from '../../src/parsers/abx.js';
import { newResolveBudget, parseArsc, resolveString } from '../../src/parsers/arsc.js';
import { decodedBytesBudget, parseBinaryPlist } from '../../src/parsers/bplist.js';
import { parsePackagesXml } from '../../src/parsers/packages-xml.js';
import { parsePlistXml } from '../../src/parsers/plist.js';
import { DEFAULT_XML_LIMITS, parseXml } from '../../src/parsers/xml.js';
import {
  checkPackagePattern,
  compilePackagePattern,
  compileTextGlob,
  matchesPattern,
} from '../../src/ruleset/pattern.js';
import { listingBoundsProblem, readListingBytes } from '../../src/sources/listing.js';
import { AbxWriter } from '../image/abx-writer.js';
import { abxManyPackages, aliasingBplist, arscFanOut } from './generators.js';

describe('binary plist: decoded bytes are counted per reference', () => {
  it('refuses an offset table aliasing one large string many times', () => {
    const bytes = aliasingBplist(2_000, 100_000);
    // 2,000 references × 100 KB = 200 MB of strings from a 0.3 MB file.
    expect(() => parseBinaryPlist(bytes)).toThrow(/more than \d+ bytes of strings and data/);
  });

  it('accepts the same shape when the total stays in budget', () => {
    const bytes = aliasingBplist(10, 1_000);
    const value = parseBinaryPlist(bytes) as { CFBundleIdentifier: string; X: string[] };
    expect(value.CFBundleIdentifier).toBe('com.hostile.bplist');
    expect(value.X).toHaveLength(10);
    expect(value.X[9]).toHaveLength(1_000);
  });

  it('budget: a few times the input, at least 1 MB, at most 64 MB', () => {
    expect(decodedBytesBudget(10)).toBe(1024 * 1024);
    expect(decodedBytesBudget(1_000_000)).toBe(8_000_000);
    expect(decodedBytesBudget(100_000_000)).toBe(MAX_PLIST_DECODED_BYTES);
  });
});

describe('XML plist: values are counted', () => {
  it(`refuses more than ${MAX_PLIST_VALUES} values, accepts that many`, () => {
    const plist = (n: number) => `<plist version="1.0"><array>${'<true/>'.repeat(n)}</array></plist>`;
    expect(() => parsePlistXml(plist(MAX_PLIST_VALUES))).toThrow(/more than 1000000 values/);
    expect((parsePlistXml(plist(MAX_PLIST_VALUES - 1)) as boolean[]).length).toBe(MAX_PLIST_VALUES - 1);
  });
});

describe('resources.arsc: reference fan-out is resolved within a step budget', () => {
  const labelRef = 0x7f0b0001;

  it('12 configurations of a reference cycle cost a bounded number of lookups, label missing', () => {
    const table = parseArsc(arscFanOut(labelRef, 12));
    const budget = newResolveBudget();
    const resolved = resolveString(table, labelRef, budget);
    expect(resolved.value).toBeUndefined();
    expect(resolved.locales).toEqual({});
    // Without a visited set and memo this is 12^8 ≈ 4e8 lookups.
    expect(budget.used).toBeLessThanOrEqual(12 * 8 * 6);
    expect(budget.used).toBeGreaterThan(0);
  });

  it('never spends more than the step budget, whatever the table', () => {
    const table = parseArsc(arscFanOut(labelRef, 200));
    const budget = newResolveBudget(500);
    resolveString(table, labelRef, budget);
    expect(budget.used).toBeLessThanOrEqual(500);
    expect(MAX_ARSC_RESOLVE_STEPS).toBeGreaterThanOrEqual(1_000);
  });
});

describe('XML and ABX: duplicate attributes and children are checked in linear work', () => {
  const manyAttributes = (n: number, duplicateLast: boolean): string =>
    `<packages><package ${Array.from({ length: n }, (_, i) => `a${i}=""`).join(' ')}${duplicateLast ? ' a0="x"' : ''}/></packages>`;

  it('reads an element with 100k attributes and still finds a duplicate at the end', () => {
    const root = parseXml(manyAttributes(100_000, false));
    const pkg = root.children[0];
    expect(typeof pkg === 'object' && pkg.attributes.length).toBe(100_000);
    expect(() => parseXml(manyAttributes(100_000, true))).toThrow(/duplicate attribute "a0"/);
  });

  it('refuses more children under one element than the limit', () => {
    const xml = `<packages>${'<package/>'.repeat(11)}</packages>`;
    expect(() => parseXml(xml, { ...DEFAULT_XML_LIMITS, maxChildren: 10 })).toThrow(
      /<packages> has more than 10 children/,
    );
    expect(parseXml(xml, { ...DEFAULT_XML_LIMITS, maxChildren: 11 }).children).toHaveLength(11);
  });

  it('ABX: a duplicate among 65k attributes is found; 160k packages are refused', () => {
    const w = new AbxWriter().startDocument().startTag('packages').startTag('package');
    for (let i = 0; i < 65_000; i++) w.attribute(`a${i}`, { type: 'int', value: i });
    w.attribute('a64999', { type: 'int', value: 0 });
    expect(() => parseAbx(w.endTag('package').endTag('packages').endDocument().bytes())).toThrow(
      /duplicate attribute "a64999"/,
    );
    expect(() => parseAbx(abxManyPackages(160_000))).toThrow(/more than 150000 children/);
  });

  it(`packages.xml: more than ${MAX_APPS_PER_INPUT} <package> elements are refused`, () => {
    const xml = `<packages>${'<package name="a"/>'.repeat(MAX_APPS_PER_INPUT + 1)}</packages>`;
    expect(() => parsePackagesXml(new TextEncoder().encode(xml), { target: 't', path: 'p' })).toThrow(
      /more than 100000 <package> elements/,
    );
  });
});

describe('rule regexes run in linear time (RE2)', () => {
  it('the catastrophic pattern /(a+)+$/ completes on long package ids', () => {
    const p = compilePackagePattern('/(a+)+$/');
    expect(matchesPattern(p, `${'a'.repeat(50_000)}!`)).toBe(false);
    expect(matchesPattern(p, 'a'.repeat(50_000))).toBe(true);
  });

  it('publisher-name globs with many stars complete on long names', () => {
    const glob = compileTextGlob('*a*a*a*a*a*a*a*a*b');
    expect(glob.test('a'.repeat(50_000))).toBe(false);
    expect(glob.test(`X${'a'.repeat(10)}B`)).toBe(true);
  });

  it('rules validate refuses what RE2 cannot run, and says why', () => {
    expect(checkPackagePattern('/(a)\\1/')).toMatch(/linear-time regex engine \(RE2.*\\1/);
    expect(checkPackagePattern('/^com(?=\\.x)/')).toMatch(/RE2/);
    expect(checkPackagePattern('/(?<=com)\\.x/')).toMatch(/RE2/);
    expect(checkPackagePattern('/^com\\.tencent\\.(mm|xin)$/i')).toBeUndefined();
  });

  it('the literal prefilter never changes an answer', () => {
    const glob = compileTextGlob('*Tencent*Co?');
    expect(glob.test('Shenzhen TENCENT Computer Co.')).toBe(true);
    expect(glob.test('Shenzhen Tencent Computer Ltd')).toBe(false);
    // U+017F (long s) case-folds to "s" in RE2: a non-ASCII value skips the lowercase prefilter.
    expect(compileTextGlob('*soft*').test('Micro\u017Foft')).toBe(true);
    expect(compileTextGlob('*\u017Fx').test('abSX')).toBe(true);
    expect(matchesPattern(compilePackagePattern('com.*.mm'), 'com.tencent.mm')).toBe(true);
    expect(matchesPattern(compilePackagePattern('com.*.mm'), 'com.tencent.mmx')).toBe(false);
  });

  it('flags keep their meaning', () => {
    expect(matchesPattern(compilePackagePattern('/^COM\\.X$/i'), 'com.x')).toBe(true);
    expect(matchesPattern(compilePackagePattern('/^COM\\.X$/'), 'com.x')).toBe(false);
    expect(matchesPattern(compilePackagePattern('com.tencent.*'), 'com.tencent.mm')).toBe(true);
  });
});

describe('listing bounds are checked in one pass before parsing', () => {
  it('an androidqf packages.json with more apps than the limit is refused after parsing', () => {
    const json = `[${Array.from({ length: MAX_APPS_PER_INPUT + 1 }, (_, i) => `{"name":"com.a.b${i}","files":[]}`).join(',')}]`;
    const [target] = readListingBytes(new TextEncoder().encode(json), 'qf', 'qf', 'listing');
    expect(target?.status).toBe('failed');
    expect(target?.error).toMatch(/more than 100000 apps \(100001\)/);
  });

  it('accepts a real-sized listing', () => {
    expect(listingBoundsProblem('package:com.a.b\npackage:com.c.d\n'.repeat(3_000))).toBeUndefined();
  });

  it('refuses too many apps, long lines, too many lines and too many JSON objects', () => {
    expect(listingBoundsProblem('package:com.a.b\n'.repeat(MAX_APPS_PER_INPUT + 1))).toMatch(
      /more than 100000 apps/,
    );
    expect(listingBoundsProblem(`package:${'a'.repeat(MAX_LINE_BYTES + 1)}\n`)).toMatch(/lines longer than/);
    expect(listingBoundsProblem('\n'.repeat(MAX_LISTING_LINES + 1))).toMatch(/more than 2000000 lines/);
    expect(listingBoundsProblem(`[${'{},'.repeat(MAX_JSON_CONTAINERS)}{}]`)).toMatch(/more than 500000 JSON/);
    expect(listingBoundsProblem(`[${'{},'.repeat(1_000)}{}]`)).toBeUndefined();
  });
});
