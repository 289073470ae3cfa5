import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppwardenError } from '../../src/errors.js';
import { compileRuleSet } from '../../src/ruleset/compile.js';
import { loadRuleSet } from '../../src/ruleset/load.js';
import { compilePackagePattern, matchesPattern } from '../../src/ruleset/pattern.js';
import { compareVersions, parseConstraint, satisfies } from '../../src/ruleset/version.js';
import { app, tempFiles } from './helpers.js';

const TIKTOK_CERT = '4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a';

const loadErrors = (dir: string, file: string): string[] => {
  try {
    loadRuleSet([path.join(dir, file)]);
  } catch (error) {
    expect(error).toBeInstanceOf(AppwardenError);
    return (error as Error).message.split('\n').slice(1);
  }
  throw new Error('expected the rule set to be invalid');
};

describe('package patterns', () => {
  it('keeps * within dot-separated segments', () => {
    const p = compilePackagePattern('com.tencent.*');
    expect(matchesPattern(p, 'com.tencent.mm')).toBe(true);
    expect(matchesPattern(p, 'com.tencent.mm.plugin')).toBe(true);
    expect(matchesPattern(p, 'com.tencentx.app')).toBe(false);
    expect(matchesPattern(p, 'com.tencent')).toBe(false);
    const inner = compilePackagePattern('com.ss.android.ugc.*trill');
    expect(matchesPattern(inner, 'com.ss.android.ugc.trill')).toBe(true);
    expect(matchesPattern(inner, 'com.ss.android.ugc.x.trill')).toBe(false);
  });
  it('supports /regex/ and exact ids', () => {
    expect(matchesPattern(compilePackagePattern('/^com\\.kaspersky\\./'), 'com.kaspersky.kes')).toBe(true);
    expect(matchesPattern(compilePackagePattern('com.tencent.mm'), 'com.Tencent.mm')).toBe(false);
  });
});

describe('version constraints', () => {
  it('compares versionCodes past 2^53 exactly, and non-integers never match', () => {
    expect(satisfies('9007199254740993', parseConstraint('=9007199254740992'), true)).toBe(false);
    expect(satisfies('9007199254740993', parseConstraint('>9007199254740992'), true)).toBe(true);
    expect(satisfies('9007199254740992', parseConstraint('=9007199254740992'), true)).toBe(true);
    expect(satisfies('0100', parseConstraint('=100'), true)).toBe(true);
    expect(satisfies('99', parseConstraint('<100'), true)).toBe(true);
    expect(satisfies('1e3', parseConstraint('>=1'), true)).toBe(false);
    expect(compareVersions('1.9007199254740993', '1.9007199254740992')).toBe(1);
  });
  it('compares dotted versions numerically', () => {
    expect(compareVersions('8.0.9', '8.0.40')).toBe(-1);
    expect(compareVersions('8.0.40', '8.0.40.0')).toBe(0);
    expect(compareVersions('10.1', '9.9.9')).toBe(1);
  });
  it('evaluates ranges and alternatives', () => {
    expect(satisfies('1.5', parseConstraint('>=1.2 <2'))).toBe(true);
    expect(satisfies('2.0', parseConstraint('>=1.2 <2'))).toBe(false);
    expect(satisfies('0.9', parseConstraint('<1 || >=3'))).toBe(true);
    expect(satisfies('2.5', parseConstraint('<1 || >=3'))).toBe(false);
    expect(satisfies('8.0.39', parseConstraint('< 8.0.40'))).toBe(true);
  });
  it('rejects garbage', () => {
    expect(() => parseConstraint('<<1')).toThrow();
    expect(() => parseConstraint('>= ')).toThrow();
  });
});

describe('rule set loading', () => {
  it('loads rules, publishers and includes, and matches by package, glob and certificate lineage', () => {
    const dir = tempFiles({
      'pubs.yaml': `publishers:\n  bytedance:\n    name: ByteDance\n    cert-sha256: ["${TIKTOK_CERT.toUpperCase().match(/../g)!.join(':')}"]\n`,
      'policy.yaml': `name: corp
include: [pubs.yaml]
rules:
  - id: corp.tiktok
    title: TikTok
    severity: high
    message: TikTok is banned.
    references: [https://example.org/ban]
    match:
      - package: [com.zhiliaoapp.musically, com.ss.android.ugc.trill]
      - publisher: bytedance
  - id: corp.tencent-review
    title: Tencent apps
    severity: medium
    message: Review Tencent apps.
    match: { package: "com.tencent.*" }
    exclude: { package: com.tencent.soter.soterserver }
  - id: corp.old-wechat
    title: Old WeChat
    severity: low
    message: old
    match: { platform: android, package: com.tencent.mm, version: "<8.0.40" }
`,
    });
    const rs = loadRuleSet([path.join(dir, 'policy.yaml')]);
    expect(rs.rules.map((r) => r.id)).toEqual(['corp.tiktok', 'corp.tencent-review', 'corp.old-wechat']);
    const m = compileRuleSet(rs);
    expect(m.match(app('com.zhiliaoapp.musically')).map((x) => x.rule.id)).toEqual(['corp.tiktok']);
    const renamed = m.match(
      app('com.example.mod', { publisher: { certSha256: ['00'.repeat(32)], certLineage: [TIKTOK_CERT] } }),
    );
    expect(renamed.map((x) => x.rule.id)).toEqual(['corp.tiktok']);
    expect(renamed[0]!.matchedOn[0]).toMatchObject({ criterion: 'publisher:bytedance', value: TIKTOK_CERT });
    expect(m.match(app('com.tencent.soter.soterserver'))).toEqual([]);
    expect(m.match(app('com.tencentx.app'))).toEqual([]);
    expect(
      m
        .match(app('com.tencent.mm', { versionName: '8.0.39' }))
        .map((x) => x.rule.id)
        .sort(),
    ).toEqual(['corp.old-wechat', 'corp.tencent-review']);
    expect(m.match(app('com.tencent.mm', { versionName: '8.0.41' })).map((x) => x.rule.id)).toEqual([
      'corp.tencent-review',
    ]);
    expect(m.nearMisses(app('com.ZhiliaoApp.musically')).map((n) => n.expected)).toEqual([
      'com.zhiliaoapp.musically',
    ]);
  });

  it('reports every problem with file:line:col', () => {
    const dir = tempFiles({
      'bad.yaml': `rules:
  - id: dup
    title: A
    severity: severe
    message: m
    match: { package: "com..x", cert-sha256: nothex, team-id: abc }
    colour: red
  - id: dup
    title: B
    severity: low
    message: m
    match: { package: "/([/" }
  - id: c
    title: C
    severity: low
    message: m
    match: { publisher: nobody, version: "<<2" }
`,
    });
    const errors = loadErrors(dir, 'bad.yaml');
    const joined = errors.join('\n');
    expect(joined).toMatch(/bad\.yaml:4:15: .*severity must be one of/);
    expect(joined).toMatch(/bad\.yaml:6:23: .*empty segment/);
    expect(joined).toMatch(/not a SHA-256 digest/);
    expect(joined).toMatch(/not an Apple Team ID/);
    expect(joined).toMatch(/bad\.yaml:7:5: unknown key "colour"/);
    expect(joined).toMatch(/duplicate rule id "dup"/);
    expect(joined).toMatch(/invalid regular expression/);
    expect(joined).toMatch(/unknown publisher "nobody"/);
    expect(joined).toMatch(/not a version comparison/);
    expect(errors.length).toBeGreaterThanOrEqual(9);
  });

  it('detects include cycles and missing includes', () => {
    const dir = tempFiles({
      'a.yaml': 'include: [b.yaml]\nrules: []\n',
      'b.yaml': 'include: [a.yaml, missing.yaml]\nrules: []\n',
    });
    const joined = loadErrors(dir, 'a.yaml').join('\n');
    expect(joined).toMatch(/include cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml/);
    expect(joined).toMatch(/include "missing.yaml" is neither a file nor a shipped pack/);
  });

  it('refuses alias bombs and huge files cleanly', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = `metadata:\n  ${levels.join('\n  ')}\nrules: []\n`;
    const dir = tempFiles({ 'bomb.yaml': bomb, 'huge.yaml': `rules: []\n#${'x'.repeat(5 * 1024 * 1024)}\n` });
    const started = Date.now();
    expect(loadErrors(dir, 'bomb.yaml').join('\n')).toMatch(/too many nodes|aliases/);
    expect(loadErrors(dir, 'huge.yaml').join('\n')).toMatch(/larger than/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports YAML syntax errors with positions', () => {
    const dir = tempFiles({ 'syntax.yaml': 'rules:\n  - id: x\n   title: [unclosed\n' });
    expect(loadErrors(dir, 'syntax.yaml')[0]).toMatch(/^.*syntax\.yaml:\d+:\d+: /);
  });

  it('supports allowlist mode with system apps excluded unless asked', () => {
    const dir = tempFiles({
      'allow.yaml': `name: corp-allow
mode: allowlist
allowlist: { id: corp.not-approved, severity: high, message: Not approved }
rules:
  - id: corp.allow.outlook
    title: Outlook
    severity: info
    message: approved
    match: { package: com.microsoft.office.outlook }
`,
    });
    const m = compileRuleSet(loadRuleSet([path.join(dir, 'allow.yaml')]));
    expect(m.notAllowed(app('com.microsoft.office.outlook'))).toEqual([]);
    expect(m.notAllowed(app('com.example.game'))).toEqual([{ pack: 'corp-allow' }]);
    expect(m.notAllowed(app('com.android.settings', { system: true }))).toEqual([]);
    expect(m.match(app('com.microsoft.office.outlook'))).toEqual([]);
  });
});
