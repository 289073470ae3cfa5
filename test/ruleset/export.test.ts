/** Unit tests of the enforcement export planner (issue 14 §4): what goes into MDM policy and what is named as not enforceable. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlistBytes } from '../../src/parsers/plist-bytes.js';
import { exportBlockList } from '../../src/ruleset/csv.js';
import {
  AMAPI_MAX_APPLICATIONS,
  amapiPolicy,
  mobileconfigProfile,
  planExport,
} from '../../src/ruleset/export.js';
import { loadRuleSet } from '../../src/ruleset/load.js';

const load = (yaml: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-export-'));
  const file = path.join(dir, 'r.yaml');
  writeFileSync(file, yaml);
  return loadRuleSet([file]);
};

const RULES = `name: t
version: "2026.12.06"
updated: 2026-12-06
publishers:
  acme: { name: Acme, team-id: ABCDE12345 }
rules:
  - id: t.exact
    title: Exact
    severity: high
    message: m
    match:
      - package: [com.acme.one, com.acme.two]
      - publisher: acme
    exclude:
      - package: com.acme.two
  - id: t.review
    title: Review
    severity: medium
    message: m
    match:
      - package: [com.acme.*, com.acme.review]
  - id: t.ios
    title: iOS
    severity: high
    message: m
    match:
      - platform: ios
        package: com.acme.phone
  - id: t.version
    title: Old
    severity: high
    message: m
    match:
      - package: com.acme.old
        version: "<2"
`;

describe('planExport', () => {
  it('exports exact ids with their platforms, honours plain excludes, and names everything else', () => {
    const plan = planExport(load(RULES));
    expect(plan.entries.map((e) => [e.id, e.platforms.join('+')])).toEqual([
      ['com.acme.one', 'android+ios'],
      ['com.acme.review', 'android+ios'],
      ['com.acme.phone', 'ios'],
    ]);
    expect(plan.packs).toEqual(['t 2026.12.06']);
    const gaps = plan.notEnforceable.map((n) => `${n.ruleId}: ${n.what}`);
    expect(gaps).toEqual([
      't.exact: publisher acme',
      't.review: package com.acme.*',
      't.version: package com.acme.old AND version <2',
    ]);
    expect(plan.notEnforceable[0]?.why).toMatch(/publisher/);
    expect(plan.notEnforceable[2]?.why).toMatch(/version/);
  });

  it('--min-severity leaves lower rules out', () => {
    const plan = planExport(load(RULES), { minSeverity: 'high' });
    expect(plan.entries.map((e) => e.id)).toEqual(['com.acme.one', 'com.acme.phone']);
    expect(plan.notEnforceable.some((n) => n.ruleId === 't.review')).toBe(false);
  });

  it('splits the ids by platform into the AMAPI policy and the Apple profile', () => {
    const plan = planExport(load(RULES));
    expect(amapiPolicy(plan).applications.map((a) => a.packageName)).toEqual([
      'com.acme.one',
      'com.acme.review',
    ]);
    const profile = parsePlistBytes(Buffer.from(mobileconfigProfile(plan))) as Record<string, unknown>;
    const payload = (profile.PayloadContent as Array<Record<string, unknown>>)[0]!;
    expect(payload.blacklistedAppBundleIDs).toEqual(['com.acme.one', 'com.acme.review', 'com.acme.phone']);
    expect(String(profile.PayloadUUID)).toMatch(
      /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
    );
    expect(profile.PayloadUUID).not.toBe(payload.PayloadUUID);
  });

  it('escapes ids and pack names in the profile XML', () => {
    const plan = { entries: [], notEnforceable: [], packs: ['a<b>&"c'] };
    const text = mobileconfigProfile(plan);
    expect(text).toContain('a&lt;b&gt;&amp;&quot;c');
    expect(() => parsePlistBytes(Buffer.from(text))).not.toThrow();
  });

  it('refuses more applications than one AMAPI policy accepts', () => {
    const entries = Array.from({ length: AMAPI_MAX_APPLICATIONS + 1 }, (_, i) => ({
      id: `com.example.a${i}`,
      platforms: ['android' as const],
      ruleId: 'x',
      title: 'x',
      severity: 'high' as const,
    }));
    expect(() => amapiPolicy({ entries, notEnforceable: [], packs: [] })).toThrow(/3000/);
  });

  it('an allowlist pack is named as not exportable as a block list', () => {
    const plan = planExport(
      load(
        'name: allow\nmode: allowlist\nrules:\n  - id: allow.ok\n    title: OK\n    severity: info\n    message: m\n    match:\n      - package: com.ok\n',
      ),
    );
    expect(plan.entries).toEqual([]);
    expect(plan.notEnforceable.map((n) => n.ruleId)).toEqual(['allow.not-allowed']);
  });
});

describe('CSV export agrees with the policy exports', () => {
  it('leaves out an id the same rule excludes', () => {
    const csv = exportBlockList(load(RULES), { format: 'intune' });
    expect(csv).toContain('com.acme.one,');
    expect(csv).not.toContain('com.acme.two,');
  });
});
