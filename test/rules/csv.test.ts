import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppwardenError } from '../../src/errors.js';
import { compileRuleSet } from '../../src/ruleset/compile.js';
import { exportBlockList, formatCsvRow, importBlockList, parseCsv } from '../../src/ruleset/csv.js';
import { loadRuleSet } from '../../src/ruleset/load.js';

const loadText = (yaml: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-csv-'));
  const file = path.join(dir, 'imported.yaml');
  writeFileSync(file, yaml);
  return loadRuleSet([file]);
};

const app = (id: string) => ({
  platform: 'android' as const,
  id,
  publisher: {},
  origin: { target: 't', parser: 'test' },
});

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, commas and newlines in fields, CRLF and a BOM', () => {
    const rows = parseCsv('\uFEFFa,"b, c","say ""hi"""\r\n"multi\nline",x\r\n\r\nlast');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b, c', 'say "hi"'] },
      { line: 2, cells: ['multi\nline', 'x'] },
      { line: 5, cells: ['last'] },
    ]);
  });

  it('names the line of an unclosed quote', () => {
    try {
      parseCsv('ok,row\n"broken,row\nmore', 'list.csv');
      expect.unreachable();
    } catch (error) {
      expect(isAppwardenError(error)).toBe(true);
      expect((error as Error).message).toBe('list.csv:2: quoted field is never closed');
    }
  });

  it('round-trips any cells written by formatCsvRow', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s)),
          { minLength: 2, maxLength: 5 },
        ),
        (cells) => {
          const parsed = parseCsv(`${formatCsvRow(cells)}\n`);
          expect(parsed[0]?.cells).toEqual(cells);
        },
      ),
    );
  });

  it('defuses spreadsheet formulas', () => {
    expect(formatCsvRow(['=HYPERLINK("x")', '@cmd', 'ok'])).toBe(`"'=HYPERLINK(""x"")",'@cmd,ok`);
  });
});

describe('importBlockList', () => {
  it('imports an Intune-style list without header into loadable rules that match', () => {
    const csv = [
      'com.tencent.xin,WeChat,Tencent Technology (Shenzhen) Company Limited',
      'https://play.google.com/store/apps/details?id=com.zhiliaoapp.musically&hl=en,TikTok,TikTok Pte. Ltd.',
      'https://apps.apple.com/us/app/wechat/id414478124,WeChat,Tencent',
      'not an id,Broken,Nobody',
      'com.tencent.xin,WeChat again,Tencent',
    ].join('\n');
    const result = importBlockList(csv, { name: 'corp-block', source: 'intune.csv' });
    expect(result.rules).toBe(2);
    expect(result.warnings).toHaveLength(3);
    expect(result.warnings[0]).toMatch(/^intune\.csv:3: App Store URL .* carries no bundle id/);
    expect(result.warnings[1]).toMatch(/^intune\.csv:4: "not an id" is not a package/);
    expect(result.warnings[2]).toBe('intune.csv:5: com.tencent.xin repeats line 1; kept once');

    const ruleSet = loadText(result.yaml);
    expect(ruleSet.rules.map((r) => r.id)).toEqual(['corp-block.wechat', 'corp-block.tiktok']);
    const matcher = compileRuleSet(ruleSet);
    expect(matcher.match({ ...app('com.zhiliaoapp.musically') }).map((m) => m.rule.id)).toEqual([
      'corp-block.tiktok',
    ]);
    expect(matcher.match({ ...app('com.zhiliaoapp.musically'), platform: 'ios' })).toEqual([]);
    expect(matcher.match({ ...app('com.tencent.xin'), platform: 'ios' }).map((m) => m.rule.id)).toEqual([
      'corp-block.wechat',
    ]);
    expect(ruleSet.rules[0]?.metadata?.publisher).toBe('Tencent Technology (Shenzhen) Company Limited');
  });

  it('uses a header to find columns in any order', () => {
    const csv =
      'App name;x,Publisher,Bundle ID\n"Kaspersky, VPN",Kaspersky,com.kaspersky.secure.connection\n';
    const result = importBlockList(csv, { name: 'x', severity: 'critical' });
    const ruleSet = loadText(result.yaml);
    expect(ruleSet.rules).toHaveLength(1);
    expect(ruleSet.rules[0]).toMatchObject({ id: 'x.com-kaspersky-secure-connection', severity: 'critical' });
    expect(ruleSet.rules[0]?.match).toEqual([{ package: ['com.kaspersky.secure.connection'] }]);
  });

  it('gives clashing names distinct rule ids', () => {
    const result = importBlockList('a.b,Same\nc.d,Same\n', { name: 'p' });
    expect(loadText(result.yaml).rules.map((r) => r.id)).toEqual(['p.same', 'p.same-2']);
  });

  it('refuses a bad pack name', () => {
    expect(() => importBlockList('a.b', { name: 'bad name' })).toThrow(/not a valid pack name/);
  });
});

describe('exportBlockList', () => {
  it('exports exact ids of the shipped ca-gov pack, not globs or certificates', () => {
    const csv = exportBlockList(loadRuleSet(['ca-gov']));
    const rows = parseCsv(csv);
    expect(rows[0]?.cells).toEqual(['id', 'name', 'publisher', 'rule', 'severity', 'platform']);
    const byId = new Map(rows.slice(1).map((r) => [r.cells[0], r.cells]));
    expect(byId.get('com.tencent.mm')).toEqual([
      'com.tencent.mm',
      'WeChat',
      'Tencent (WeChat signing key)',
      'ca-gov.wechat',
      'high',
      'any',
    ]);
    expect(byId.get('com.kms.free')?.[3]).toBe('ca-gov.kaspersky');
    expect([...byId.keys()].some((id) => id?.includes('*'))).toBe(false);
    // Exclusions (OEM components) are never exported.
    expect(byId.has('com.tencent.soter.soterserver')).toBe(false);
  });

  it('writes Intune rows (id, name, publisher) once per id, and they import back to the same ids', () => {
    const ruleSet = loadRuleSet(['ca-gov', 'us-federal']);
    const csv = exportBlockList(ruleSet, { format: 'intune' });
    const rows = parseCsv(csv);
    expect(rows.every((r) => r.cells.length === 4)).toBe(true);
    // The fourth column says which Intune list (Android / iOS) an id belongs to.
    expect(rows.every((r) => ['android', 'ios', 'any'].includes(r.cells[3] ?? ''))).toBe(true);
    const ids = rows.map((r) => r.cells[0]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('com.zhiliaoapp.musically');
    const back = loadText(importBlockList(csv, { name: 'roundtrip' }).yaml);
    expect(back.rules.flatMap((r) => r.match.flatMap((b) => b.package ?? [])).sort()).toEqual(
      [...ids].sort(),
    );
  });

  it('keeps the platform through an Intune export and import', () => {
    const ruleSet = loadText(
      'name: plat\nrules:\n  - id: plat.ios\n    title: iOS app\n    severity: high\n    message: m\n    match:\n      - platform: ios\n        package: com.example.ios\n  - id: plat.any\n    title: Any\n    severity: high\n    message: m\n    match:\n      - package: com.example.any\n',
    );
    const csv = exportBlockList(ruleSet, { format: 'intune' });
    expect(parseCsv(csv).map((r) => r.cells)).toEqual([
      ['com.example.ios', 'iOS app', '', 'ios'],
      ['com.example.any', 'Any', '', 'any'],
    ]);
    const back = loadText(importBlockList(csv, { name: 'back' }).yaml);
    const byId = new Map(back.rules.map((r) => [r.match[0]?.package?.[0], r.match[0]?.platform]));
    expect(byId.get('com.example.ios')).toEqual(['ios']);
    expect(byId.get('com.example.any')).toBeUndefined();
  });
});
