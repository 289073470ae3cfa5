import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/model.js';
import { csv, csvCell } from '../../src/reporters/csv.js';
import { fixtureContext, fixtureResult, HOSTILE, hasUnsafeChar } from '../fixtures-result.js';
import { expectGolden } from './golden/golden.js';

/** Strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes; throws on anything else. */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bad character at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
    } else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else if (i < text.length) {
      throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
    }
  }
  if (row.length > 0) throw new Error('last record lacks CRLF');
  return rows;
};

const FORMULA = /^[=+\-@\t\r]/;

describe('csv reporter', () => {
  const out = csv(fixtureResult, fixtureContext());
  const rows = parseCsv(out);
  const header = rows[0] ?? [];
  const col = (name: string): number => header.indexOf(name);

  it('matches the golden file', () => {
    expectGolden('csv', out);
  });

  it('is RFC 4180: a header, one record per target, finding and skipped input, CRLF, equal field counts', () => {
    expect(out).not.toMatch(/[^\r]\n/);
    expect(out.startsWith('\uFEFF')).toBe(false);
    expect(header.slice(0, 4)).toEqual(['row_type', 'severity', 'rule_id', 'rule_title']);
    const { targets, findings, skipped } = fixtureResult;
    expect(rows).toHaveLength(1 + targets.length + findings.length + skipped.length);
    for (const r of rows) expect(r).toHaveLength(header.length);
    const types = rows.slice(1).map((r) => r[0]);
    expect(types).toEqual([
      ...targets.map(() => 'target'),
      ...findings.map(() => 'finding'),
      ...skipped.map(() => 'skipped'),
    ]);
    // Findings in the one canonical order (by target, then severity).
    const severities = rows.filter((r) => r[0] === 'finding').map((r) => r[col('severity')]);
    expect(severities).toEqual(fixtureResult.findings.map((f) => f.severity));
  });

  it('gives every target a row with its status, app count and verdict, so none goes uncounted', () => {
    const targetRows = rows.filter((r) => r[0] === 'target');
    const byId = new Map(targetRows.map((r) => [r[col('target')], r]));
    const apk = byId.get('apps/suspicious.apk');
    expect(apk?.[col('target_status')]).toBe('failed');
    expect(apk?.[col('target_verdict')]).toBe('failed');
    expect(apk?.[col('target_apps')]).toBe('0');
    expect(apk?.[col('message')]).toMatch(/^not scanned: not an APK/);
    const phone = byId.get('evidence/R58N12ABC, lab:2.txt');
    expect(phone?.[col('target_verdict')]).toBe('fail');
    expect(phone?.[col('failing')]).toBe('yes');
    expect(phone?.[col('target_apps')]).toBe('7');
    expect(phone?.[col('message')]).toMatch(/^partly scanned: Secure Folder/);
    const iphone = byId.get('ios:00008110-001A2B3C4D5E801E');
    expect(iphone?.[col('target_verdict')]).toBe('pass');
    const skippedRows = rows.filter((r) => r[0] === 'skipped');
    expect(skippedRows.map((r) => r[col('message')])).toContain('not app data: a JPEG picture');
  });

  it('neutralises formulas and strips controls in every cell', () => {
    for (const r of rows) {
      for (const cell of r) {
        expect(cell).not.toMatch(FORMULA);
        expect(hasUnsafeChar(cell)).toBe(false);
      }
    }
    const kaspersky = rows.find((r) => r[col('app_id')] === 'com.kms.free');
    expect(kaspersky?.[col('app_label')]).toBe(`'${HOSTILE.formula} Kaspersky`);
    expect(out).toContain(`"'=HYPERLINK(""http://x"") Kaspersky"`);
    const shareit = rows.find((r) => r[col('app_id')] === 'com.lenovo.anyshare.gps');
    expect(shareit?.[col('app_label')]).toBe('SHAREit');
  });

  it('keeps full evidence: certificate digests, team ids, paths with commas, waiver state', () => {
    const tiktok = rows.find((r) => r[col('rule_id')] === 'ca-gov.tiktok');
    expect(tiktok?.[col('cert_sha256')]).toMatch(/^[0-9a-f]{64}$/);
    expect(tiktok?.[col('evidence_path')]).toBe('evidence/R58N12ABC, lab:2.txt');
    expect(tiktok?.[col('evidence_line')]).toBe('57');
    expect(tiktok?.[col('profile')]).toBe('Work profile (user 10, work)');
    expect(tiktok?.[col('failing')]).toBe('yes');
    const wechat = rows.find((r) => r[col('rule_id')] === 'ca-gov.wechat');
    expect(wechat?.[col('team_id')]).toBe('88L2Q4487U');
    expect(wechat?.[col('waiver_status')]).toBe('applied');
    expect(wechat?.[col('failing')]).toBe('no');
    const shareit = rows.find((r) => r[col('rule_id')] === 'in-meity.shareit');
    expect(shareit?.[col('waiver_status')]).toBe('expired');
  });

  it('with includeInventory writes one record per app with its findings', () => {
    const inv = csv(fixtureResult, fixtureContext({ includeInventory: true }));
    expectGolden('csv-inventory', inv);
    const irows = parseCsv(inv);
    const ih = irows[0] ?? [];
    const { targets, skipped } = fixtureResult;
    expect(irows.filter((r) => r[0] === 'app')).toHaveLength(fixtureResult.summary.apps);
    expect(irows).toHaveLength(1 + targets.length + fixtureResult.summary.apps + skipped.length);
    const byApp = new Map(irows.slice(1).map((r) => [r[ih.indexOf('app_id')], r]));
    expect(byApp.get('com.zhiliaoapp.musically')?.[ih.indexOf('findings')]).toBe('ca-gov.tiktok');
    expect(byApp.get('com.microsoft.office.outlook')?.[ih.indexOf('findings')]).toBe('');
    expect(byApp.get('com.tencent.xin')?.[ih.indexOf('waivers')]).toBe('W-2026-001 (applied)');
  });

  it('writes target rows even when there are no findings, and only a header when nothing was met', () => {
    const clean: ScanResult = { ...fixtureResult, findings: [], skipped: [] };
    expect(parseCsv(csv(clean, fixtureContext())).map((r) => r[0])).toEqual([
      'row_type',
      'target',
      'target',
      'target',
    ]);
    const nothing: ScanResult = { ...fixtureResult, targets: [], findings: [], skipped: [] };
    expect(parseCsv(csv(nothing, fixtureContext()))).toHaveLength(1);
  });

  it('turns any string into one inert field', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const parsed = parseCsv(`${csvCell(s)},x\r\n`);
        expect(parsed).toHaveLength(1);
        expect(parsed[0]).toHaveLength(2);
        expect(parsed[0]?.[0]).not.toMatch(FORMULA);
        expect(hasUnsafeChar(parsed[0]?.[0] ?? '')).toBe(false);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
