import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePackageLine, parsePackageLineByGrammar } from '../../src/parsers/pm-list.js';

/** Pieces pm prints, and the near misses that must still go to the grammar (tabs, doubled spaces, NBSP…). */
const PIECES = [
  'com.x',
  'com.y.z',
  'a_b.C9',
  '/data/app/~~ab==/com.x-1==/base.apk=',
  '/system/app/A/A.apk=',
  '=',
  '.',
  '/',
  ',',
  '-',
  '1',
  ' ',
  '  ',
  '\t',
  '\u00a0',
  'é',
  ' versionCode:12',
  ' versionCode:-3',
  ' versionCode:99999999999999999999',
  ' versionCode:',
  'versionCode:',
  '  installer=com.android.vending',
  ' installer=null',
  '  installer=',
  'installer=',
  ' uid:10001',
  ' uid:10001,1010001',
  ' uid:1,',
  ' uid:',
  'uid:',
  // Issue 9: what the grammar now reads leniently must still never be taken by the fast path differently.
  ' # note',
  ' // note',
  '#',
  '\u200b',
  '\ufeff',
  '\ufffd',
  ' newField:1',
  ' targetSdk:35',
];

describe('pm list line fast path', () => {
  it('agrees with the grammar on every line, well-formed or not', () => {
    const body = fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 8 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(body, fc.string({ maxLength: 40 })), (line) => {
        expect(parsePackageLine(line)).toStrictEqual(parsePackageLineByGrammar(line));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads the canonical line pm prints with every field', () => {
    expect(
      parsePackageLine(
        '/data/app/~~x==/com.a-y==/base.apk=com.a versionCode:7  installer=com.android.vending uid:10001,1010001',
      ),
    ).toStrictEqual({
      id: 'com.a',
      path: '/data/app/~~x==/com.a-y==/base.apk',
      versionCode: 7,
      installer: 'com.android.vending',
      uids: [10001, 1010001],
    });
  });
});
