/**
 * Issue 14 §1 in the loader and matcher: pack editions, primary/secondary references, and the
 * MD5 / SHA-1 certificate criteria (as vendors and indicator lists publish them).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/ruleset/compile.js';
import { formatRule } from '../../src/ruleset/explain.js';
import { loadRuleSet, packEditions, shippedPackInfo } from '../../src/ruleset/load.js';
import { app, tempFiles } from './helpers.js';

const MD5_A = '194326e82c84a639a52e5c023116f12a';
const SHA1_A = 'd79f7cb8509a5e7e71c4f2afcfb75ea8c87177ca';

const loadErrors = (dir: string, file: string): string[] => {
  try {
    loadRuleSet([path.join(dir, file)]);
    return [];
  } catch (error) {
    return (error as Error).message.split('\n').slice(1);
  }
};

const PACK = `name: demo
version: "2026.12.06"
updated: 2026-12-06
publishers:
  vendor:
    name: Vendor
    cert-md5: ["19:43:26:E8:2C:84:A6:39:A5:2E:5C:02:31:16:F1:2A"]
    cert-sha1: [${SHA1_A}]
rules:
  - id: demo.by-publisher
    title: By publisher
    severity: high
    message: m
    references:
      - https://gov.example/statement
    secondary-references:
      - https://news.example/article
    match:
      - publisher: vendor
  - id: demo.by-md5
    title: By MD5 block
    severity: medium
    message: m
    match:
      - cert-md5: ${MD5_A}
        platform: android
`;

describe('pack editions and references', () => {
  it('loads version and updated, and puts the primary references first', () => {
    const set = loadRuleSet([path.join(tempFiles({ 'demo.yaml': PACK }), 'demo.yaml')]);
    expect(set.packs[0]).toMatchObject({ name: 'demo', version: '2026.12.06', updated: '2026-12-06' });
    expect(packEditions(set)).toEqual([
      { name: 'demo', kind: 'pack', version: '2026.12.06', updated: '2026-12-06', file: expect.any(String) },
    ]);
    const rule = set.rules.find((r) => r.id === 'demo.by-publisher');
    expect(rule?.references).toEqual(['https://gov.example/statement', 'https://news.example/article']);
    expect(rule?.secondaryReferences).toEqual(['https://news.example/article']);
    expect(formatRule(rule!, set.publishers)).toMatch(
      /statement {2}\(primary\)\n {2}https:\/\/news\.example\/article {2}\(secondary\)/,
    );
  });

  it('rejects a version that is not date-based and an updated that is not a date', () => {
    const dir = tempFiles({
      'bad.yaml': 'name: bad\nversion: "1.2"\nupdated: yesterday\nrules: []\n',
    });
    const errors = loadErrors(dir, 'bad.yaml').join('\n');
    expect(errors).toMatch(/"1\.2" is not a date-based pack version/);
    expect(errors).toMatch(/updated.*date/);
  });

  it('rejects digests of the wrong length', () => {
    const dir = tempFiles({
      'bad.yaml': `name: bad\nrules:\n  - id: bad.x\n    title: x\n    severity: high\n    message: m\n    match:\n      - cert-md5: ${SHA1_A}\n      - cert-sha1: ${MD5_A}\n`,
    });
    const errors = loadErrors(dir, 'bad.yaml').join('\n');
    expect(errors).toMatch(/is not an MD5 digest/);
    expect(errors).toMatch(/is not a SHA-1 digest/);
  });

  it('every shipped pack has an edition; publisher files are not listed as packs', () => {
    const packs = shippedPackInfo();
    expect(packs.length).toBeGreaterThanOrEqual(7);
    for (const p of packs) {
      expect(p.version, p.name).toMatch(/^\d{4}\.\d{2}\.\d{2}$/);
      expect(p.updated, p.name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(packs.some((p) => p.name.startsWith('publishers'))).toBe(false);
  });

  it('every shipped rule leads its references with a primary source, never a news site', () => {
    const names = shippedPackInfo().map((p) => p.name);
    const set = loadRuleSet(names);
    const NEWS =
      /jurist|world-spectator|todocanada|bbc\.co|yahoo|irishexaminer|luxtimes|asianage|businesstoday|moneycontrol|thehindu|fedsmith|ketk|kxxv|statescoop|fox7austin|govtechreview|cyberinsider|cybersecuritymagazine|dawn\.com/;
    for (const r of set.rules) {
      expect(r.references.length, r.id).toBeGreaterThan(0);
      expect(r.references[0], r.id).not.toMatch(NEWS);
      for (const s of r.secondaryReferences ?? []) expect(r.references.indexOf(s), r.id).toBeGreaterThan(0);
    }
  });
});

describe('cert-md5 / cert-sha1 matching', () => {
  const set = loadRuleSet([path.join(tempFiles({ 'demo.yaml': PACK }), 'demo.yaml')]);
  const matcher = compileRuleSet(set);

  it('matches an app carrying only the MD5 of its certificate, directly and through a publisher', () => {
    const hits = matcher.match(app('com.renamed', { publisher: { certMd5: [MD5_A] } }));
    expect(hits.map((h) => h.rule.id).sort()).toEqual(['demo.by-md5', 'demo.by-publisher']);
    const viaPublisher = hits.find((h) => h.rule.id === 'demo.by-publisher');
    expect(viaPublisher?.matchedOn[0]).toMatchObject({
      criterion: 'publisher:vendor',
      pattern: 'cert-md5',
      value: MD5_A,
    });
  });

  it('matches by SHA-1 through a publisher', () => {
    const hits = matcher.match(app('com.renamed', { publisher: { certSha1: [SHA1_A] } }));
    expect(hits.map((h) => h.rule.id)).toEqual(['demo.by-publisher']);
    expect(hits[0]?.matchedOn[0]).toMatchObject({ pattern: 'cert-sha1' });
  });

  it('does not match other digests, other platforms, or an MD5 given as a SHA-256 field', () => {
    expect(matcher.match(app('com.x', { publisher: { certMd5: ['00'.repeat(16)] } }))).toEqual([]);
    expect(
      matcher.match(app('com.x', { platform: 'ios', publisher: { certMd5: [MD5_A] } })).map((h) => h.rule.id),
    ).toEqual(['demo.by-publisher']);
    expect(matcher.match(app('com.x', { publisher: { certSha256: [MD5_A] } }))).toEqual([]);
  });
});
