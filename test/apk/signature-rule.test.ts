/**
 * The built-in rule appwarden.signature-invalid: an app whose signature was checked and does not
 * verify is a high finding whatever rules are loaded, counted by the verdict, waivable by rule id,
 * and the same whether the target was checked in the main thread or in a listing worker.
 */
import { describe, expect, it } from 'vitest';
import type { AppRecord, TargetResult } from '../../src/model.js';
import { builtinFindings, SIGNATURE_INVALID } from '../../src/ruleset/builtin.js';
import { compileRuleSet } from '../../src/ruleset/compile.js';
import type { RuleSet } from '../../src/ruleset/types.js';
import { evaluate } from '../../src/scan.js';
import { checkTarget, packFindings, unpackFindings } from '../../src/target-findings.js';

const ruleSet: RuleSet = {
  sources: ['t'],
  packs: [{ name: 't', file: 't.yaml', mode: 'denylist', ruleIds: ['t.other'] }],
  rules: [
    {
      id: 't.other',
      title: 'Other',
      severity: 'high',
      message: 'banned',
      references: [],
      match: [{ package: ['com.banned'] }],
      exclude: [],
      pack: 't',
      file: 't.yaml',
      line: 1,
    },
  ],
  publishers: new Map(),
};

const app = (id: string, signature: AppRecord['signature']): AppRecord => ({
  platform: 'android',
  id,
  publisher: { certSha256: ['ab'.repeat(32)] },
  signature,
  origin: { target: `${id}.apk`, parser: 'apk' },
});

const target = (a: AppRecord): TargetResult => ({
  id: `${a.id}.apk`,
  kind: 'apk',
  status: 'scanned',
  format: 'apk',
  apps: [a],
  diagnostics: [],
});

describe('appwarden.signature-invalid', () => {
  it('applies to invalid signatures only, and fails the scan', () => {
    const targets = [
      target(app('com.tampered', 'invalid')),
      target(app('com.fine', 'valid')),
      target(app('com.unchecked', 'unverified')),
      target(app('com.nosig', undefined)),
    ];
    const result = evaluate(targets, ruleSet, { now: new Date('2026-01-01T00:00:00Z') });
    expect(result.findings.map((f) => [f.ruleId, f.severity, f.pack, f.app.id])).toEqual([
      ['appwarden.signature-invalid', 'high', 'appwarden', 'com.tampered'],
    ]);
    expect(result.findings[0]?.matchedOn).toEqual([
      { criterion: 'signature', pattern: 'invalid', value: 'invalid' },
    ]);
    expect(result.result).toBe('fail');
    expect(result.exitCode).toBe(1);
    // Like any high finding, it is below a critical threshold.
    expect(evaluate([target(app('com.tampered', 'invalid'))], ruleSet, { failOn: 'critical' }).exitCode).toBe(
      0,
    );
  });

  it('is waived by rule id like any rule', () => {
    const result = evaluate([target(app('com.tampered', 'invalid'))], ruleSet, {
      now: new Date('2026-01-01T00:00:00Z'),
      waivers: [
        { id: 'W-1', rule: ['appwarden.signature-invalid'], reason: 'reviewed', expires: '2026-12-31' },
      ],
    });
    expect(result.findings[0]?.waiver).toMatchObject({ id: 'W-1', status: 'applied' });
    expect(result.result).toBe('pass');
  });

  it('comes out of a listing worker exactly as out of the main thread', () => {
    const matcher = compileRuleSet(ruleSet);
    const packs = new Map(ruleSet.packs.map((p) => [p.name, p]));
    const t = target(app('com.tampered', 'invalid'));
    const direct = checkTarget(structuredClone(t), matcher, packs, true);
    const rules = new Map(ruleSet.rules.map((rule, index) => [rule.id, { rule, index }]));
    const sent = structuredClone(packFindings(t, checkTarget(t, matcher, packs, false), rules));
    const received = unpackFindings(t, sent, ruleSet.rules);
    expect(received.findings).toEqual(direct.findings);
    expect(received.findings.map((f) => f.ruleId)).toEqual([SIGNATURE_INVALID.id]);
  });

  it('adds nothing to a target without apps', () => {
    expect(builtinFindings({ ...target(app('x', 'invalid')), apps: [] })).toEqual([]);
  });
});
