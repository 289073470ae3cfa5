import { describe, expect, it } from 'vitest';
import type { AppRecord, Finding, TargetResult } from '../../src/model.js';
import { describeBlock, explainFinding, formatRule } from '../../src/ruleset/explain.js';
import { loadRuleSet } from '../../src/ruleset/load.js';
import { evaluate } from '../../src/scan.js';

const ruleSet = loadRuleSet(['ca-gov']);
const rule = (id: string) => ruleSet.rules.find((r) => r.id === id)!;

/** The finding a real scan produces for `app` (through evaluate), not one rebuilt by the test. */
const findingFor = (app: AppRecord): Finding => {
  const target: TargetResult = {
    id: app.origin.target,
    kind: 'listing',
    status: 'scanned',
    apps: [app],
    diagnostics: [],
  };
  const [finding] = evaluate([target], ruleSet).findings;
  if (!finding) throw new Error(`no match for ${app.id}`);
  return finding;
};

describe('formatRule', () => {
  it('shows criteria, exclusions, publishers with their certificates, references and provenance', () => {
    const text = formatRule(rule('ca-gov.tencent-review'), ruleSet.publishers);
    expect(text).toMatch(/^ca-gov\.tencent-review {2}\[medium\] {2}Tencent app \(review\)\n/);
    expect(text).toContain('  - package any of com.tencent.*, com.qzone');
    expect(text).toContain('except when any of:');
    expect(text).toContain('com.tencent.soter.soterserver');
    expect(text).toContain('team-id 88L2Q4487U');
    expect(text).toContain('https://www.newswire.ca/');
    expect(text).toMatch(/provenance: .*Tencent TBS SDK certificates/);
  });

  it('says when a publisher has no certificate', () => {
    expect(formatRule(rule('ca-gov.kaspersky-review'), ruleSet.publishers)).toContain(
      'no certificate or Team ID known',
    );
  });

  it('describes a block as a conjunction', () => {
    expect(describeBlock({ platform: ['ios'], package: ['a.b', 'c.d'], system: false })).toBe(
      'platform ios AND package any of a.b, c.d AND system is false',
    );
  });
});

describe('explainFinding', () => {
  it('explains a certificate match on a renamed app through the publisher', () => {
    const app: AppRecord = {
      platform: 'android',
      id: 'com.example.renamed',
      publisher: { certSha256: ['0fe4ff85c215918396dadc7cd8ce6963339af33d37751a56e54c7206b63a3c7c'] },
      signature: 'unverified',
      origin: { target: 'android:R58N123', parser: 'apk', path: 'pulled/base.apk' },
    };
    const text = explainFinding(findingFor(app), rule('ca-gov.wechat'), ruleSet.publishers);
    expect(text).toContain('matched rule ca-gov.wechat [high] WeChat from pack ca-gov (rules/ca-gov.yaml:');
    expect(text).toContain(
      'signing certificate 0fe4ff85c215918396dadc7cd8ce6963339af33d37751a56e54c7206b63a3c7c (current signer or in its rotation lineage) belongs to publisher "tencent-wechat" (Tencent (WeChat signing key))',
    );
    expect(text).toContain('evidence: pulled/base.apk (read by apk)');
    expect(text).toContain('extracted, not cryptographically verified');
    expect(text).toContain('effective: 2023-10-30');
  });

  it('explains a glob match and a near-miss note', () => {
    const app: AppRecord = {
      platform: 'android',
      id: 'com.tencent.qqlive',
      publisher: {},
      origin: { target: 'listing.txt', parser: 'pm-list', path: 'listing.txt', line: 7 },
    };
    expect(explainFinding(findingFor(app), rule('ca-gov.tencent-review'))).toContain(
      'package/bundle id com.tencent.qqlive matches pattern com.tencent.*',
    );
    const note: Finding = {
      ...findingFor({ ...app, id: 'com.tencent.mm' }),
      app: { ...app, id: 'com.Tencent.MM' },
      matchedOn: [],
      nearMiss: 'com.tencent.mm',
    };
    const text = explainFinding(note);
    expect(text).toContain('near-miss of rule ca-gov.wechat');
    expect(text).toContain('differs only by letter case from com.tencent.mm');
    expect(text).toContain('evidence: listing.txt:7 (read by pm-list)');
  });
});
