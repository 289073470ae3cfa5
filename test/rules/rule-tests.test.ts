import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/ruleset/compile.js';
import { loadRuleSet } from '../../src/ruleset/load.js';
import { formatRuleTestReport, runRuleTests } from '../../src/ruleset/rule-tests.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rulesDir = path.join(root, 'rules');
const testsDir = path.join(rulesDir, 'tests');

const tmp = (files: Record<string, string>): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-rule-tests-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
};

const PACK = `name: demo
rules:
  - id: demo.chat
    title: Chat
    severity: high
    message: banned
    match:
      - package: com.example.chat
      - cert-sha256: 0fe4ff85c215918396dadc7cd8ce6963339af33d37751a56e54c7206b63a3c7c
  - id: demo.review
    title: Example namespace
    severity: medium
    message: review
    match: { package: com.example.* }
    exclude: [{ package: com.example.chat }]
`;

describe('shipped packs', () => {
  const packs = readdirSync(rulesDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''));

  it('ships the packs the issue asks for, all loadable together with unique rule ids', () => {
    expect(packs).toEqual(
      expect.arrayContaining([
        'ca-gov',
        'us-federal',
        'us-tx',
        'au-pspf',
        'uk-gov',
        'eu-commission',
        'in-meity-2020',
      ]),
    );
    const ruleSet = loadRuleSet(packs, { cwd: rulesDir });
    const ids = ruleSet.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of ruleSet.rules) {
      expect(rule.id.startsWith(`${rule.pack}.`), rule.id).toBe(true);
      expect(rule.references.length, `${rule.id} has references`).toBeGreaterThan(0);
      expect(rule.metadata?.provenance, `${rule.id} has metadata.provenance`).toBeTypeOf('string');
      expect(rule.metadata?.confidence, `${rule.id} has metadata.confidence`).toBeTypeOf('string');
      if (rule.severity === 'medium') expect(rule.id, 'medium rules are review rules').toMatch(/review$/);
    }
  });

  it('has a tests file for every pack', () => {
    const tests = readdirSync(testsDir);
    for (const pack of packs) expect(tests, pack).toContain(`${pack}.tests.yaml`);
  });

  it('passes every shipped rule test and leaves no rule untested', async () => {
    const report = await runRuleTests([testsDir]);
    const text = formatRuleTestReport(report);
    expect(report.failed, text).toBe(0);
    expect(report.passed).toBeGreaterThan(100);
    for (const f of report.files) expect(f.untested, f.file).toEqual([]);
    expect(text.trimEnd().split('\n').at(-1)).toBe(`${report.passed} passed, 0 failed`);
  });
});

describe('runRuleTests', () => {
  const deps = { loadRuleSet, compile: compileRuleSet };

  it('passes matching cases and reports a wrong expectation with details', async () => {
    const dir = tmp({
      'demo.yaml': PACK,
      'demo.tests.yaml': `rules: [demo.yaml]
cases:
  - name: exact id
    app: { platform: android, id: com.example.chat }
    expect: [demo.chat]
  - name: renamed with the certificate
    app: { platform: android, id: org.other, publisher: { cert-sha256: ["0F:E4:FF:85:C2:15:91:83:96:DA:DC:7C:D8:CE:69:63:33:9A:F3:3D:37:75:1A:56:E5:4C:72:06:B6:3A:3C:7C"] } }
    expect: [demo.chat]
  - name: wrong on purpose
    app: { platform: ios, id: com.example.other }
    expect: []
`,
    });
    const report = await runRuleTests(['demo.tests.yaml'], deps, { cwd: dir });
    expect(report.passed).toBe(2);
    expect(report.failed).toBe(1);
    const failed = report.files[0]!.cases.find((c) => !c.passed)!;
    expect(failed.line).toBe(9);
    expect(failed.unexpected).toEqual(['demo.review']);
    const text = formatRuleTestReport(report);
    expect(text).toContain('FAIL demo.tests.yaml:9 wrong on purpose');
    expect(text).toContain('demo.review matched on package com.example.* (app: com.example.other)');
    expect(text.endsWith('2 passed, 1 failed\n')).toBe(true);
  });

  it('checks near-miss notes only when a case states them', async () => {
    const dir = tmp({
      'demo.yaml': PACK,
      'demo.tests.yaml': `cases:
  - name: near miss stated
    app: { platform: android, id: com.Example.Chat }
    expect: []
    near-miss: [demo.chat]
  - name: near miss wrongly denied
    app: { platform: android, id: com.Example.Chat }
    expect: []
    near-miss: []
  - name: near miss not stated
    app: { platform: android, id: com.Example.Chat }
    expect: []
`,
    });
    // No `rules:` key: demo.tests.yaml defaults to ../demo.yaml, which does not exist here, so point at the dir itself.
    const report = await runRuleTests([path.join(dir, 'demo.tests.yaml')], {
      ...deps,
      loadRuleSet: (_sources, options) => loadRuleSet(['demo.yaml'], options),
    });
    expect(report.files[0]!.cases.map((c) => c.passed)).toEqual([true, false, true]);
    expect(formatRuleTestReport(report)).toContain('near-miss expected: (none); actual: demo.chat');
  });

  it('reports rules that no case expects', async () => {
    const dir = tmp({
      'demo.yaml': PACK,
      'demo.tests.yaml': `rules: [demo.yaml]
cases:
  - { name: only chat, app: { platform: android, id: com.example.chat }, expect: [demo.chat] }
`,
    });
    const report = await runRuleTests([dir], deps);
    expect(report.files[0]!.untested).toEqual(['demo.review']);
    expect(formatRuleTestReport(report)).toContain('rules no case expects: demo.review');
  });

  it('turns an invalid tests file into one failure naming the file, line and problem', async () => {
    const dir = tmp({
      'bad.tests.yaml': `rules: [nowhere.yaml]
cases:
  - name: typo
    app: { platform: android, id: x.y, pubisher: {} }
    expect: [demo.chat]
`,
    });
    const report = await runRuleTests([path.join(dir, 'bad.tests.yaml')], deps);
    expect(report.failed).toBe(1);
    expect(report.files[0]!.error).toMatch(/bad\.tests\.yaml:4:\d+: unknown key "pubisher"/);
  });

  it('turns rules that fail to load into one failure', async () => {
    const dir = tmp({ 'x.tests.yaml': 'rules: [nowhere.yaml]\ncases: []\n' });
    const report = await runRuleTests([path.join(dir, 'x.tests.yaml')], deps);
    expect(report.failed).toBe(1);
    expect(report.files[0]!.error).toContain('cannot load rules nowhere.yaml');
  });

  it('fails when nothing is found and when a path is missing, without throwing', async () => {
    const empty = tmp({});
    expect((await runRuleTests([empty], deps)).failed).toBe(1);
    const missing = await runRuleTests([path.join(empty, 'missing.tests.yaml')], deps);
    expect(missing.failed).toBe(1);
    expect(missing.files[0]!.error).toMatch(/cannot read/);
  });
});
