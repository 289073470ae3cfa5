import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './exec.js';

const BEFORE = [
  'package:com.tencent.mm versionCode:2680  installer=com.android.vending',
  'package:com.kms.free versionCode:1  installer=com.android.vending',
  'package:com.android.chrome versionCode:1',
  '',
].join('\n');
const AFTER = [
  'package:com.tencent.mm versionCode:2680  installer=com.android.vending',
  'package:com.zhiliaoapp.musically versionCode:1  installer=com.android.vending',
  'package:com.android.chrome versionCode:1',
  '',
].join('\n');

const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync('schema/report.schema.json', 'utf8')));

/** Scan `before`, keep its JSON report, then scan `after` (same path) against it. */
const compare = (extra: string[], after = AFTER) => {
  const dir = tempDir({ 'phone.txt': BEFORE });
  const phone = path.join(dir, 'phone.txt');
  const previous = path.join(dir, 'previous.json');
  expect(runCli(['scan', phone, '-o', `json=${previous}`]).code).toBe(1);
  writeFileSync(phone, after);
  const json = path.join(dir, 'now.json');
  const run = runCli(['scan', phone, '--baseline', previous, '-o', `json=${json}`, ...extra]);
  return { run, doc: JSON.parse(readFileSync(json, 'utf8')), dir, previous };
};

describe('--baseline and --fail-on-new (built binary)', () => {
  it('marks findings new or unchanged and lists the resolved ones in JSON and the table', () => {
    const { run, doc } = compare([]);
    expect(run.code).toBe(1);
    const state = Object.fromEntries(
      doc.findings.map((f: { app: { id: string }; baseline: string }) => [f.app.id, f.baseline]),
    );
    expect(state).toEqual({ 'com.tencent.mm': 'unchanged', 'com.zhiliaoapp.musically': 'new' });
    expect(doc.baseline.new).toBe(1);
    expect(doc.baseline.unchanged).toBe(1);
    expect(doc.baseline.resolved.map((f: { appId: string }) => f.appId)).toEqual(['com.kms.free']);
    expect(validateReport(doc)).toBe(true);
    expect(validateReport.errors ?? []).toEqual([]);
    expect(run.stdout).toMatch(/com\.zhiliaoapp\.musically.*NEW/);
    expect(run.stdout).toMatch(/resolved .*com\.kms\.free/);
  });

  it('with --fail-on-new, passes when every failing finding was already in the baseline', () => {
    const { run, doc } = compare(['--fail-on-new'], BEFORE);
    expect(run.code).toBe(0);
    expect(doc.result).toBe('pass');
    expect(doc.findings.length).toBeGreaterThan(0);
    const failing = compare(['--fail-on-new']);
    expect(failing.run.code).toBe(1);
    expect(failing.doc.summary.failing).toBe(1);
  });

  it('puts the baseline state into SARIF and a new marker into Markdown and CSV', () => {
    const { dir, previous } = compare([]);
    const phone = path.join(dir, 'phone.txt');
    const sarif = JSON.parse(runCli(['scan', phone, '--baseline', previous, '--format', 'sarif']).stdout);
    const states = sarif.runs[0].results.map((r: { baselineState: string }) => r.baselineState).sort();
    expect(states).toEqual(['new', 'unchanged']);
    expect(runCli(['scan', phone, '--baseline', previous, '--format', 'markdown']).stdout).toMatch(
      /### Resolved since the baseline\n\n- ca-gov\.kaspersky/,
    );
    const csv = runCli(['scan', phone, '--baseline', previous, '--format', 'csv']).stdout.split('\r\n');
    const header = csv[0]!.split(',');
    const tiktok = csv.find((l) => l.includes('com.zhiliaoapp.musically'))!.split(',');
    expect(tiktok[header.indexOf('baseline')]).toBe('new');
  });

  it('refuses --fail-on-new without a baseline, and a baseline that is not an appwarden report', () => {
    const dir = tempDir({ 'phone.txt': AFTER, 'other.json': '{"runs":[]}', 'bad.json': 'not json' });
    const phone = path.join(dir, 'phone.txt');
    const alone = runCli(['scan', phone, '--fail-on-new']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--fail-on-new needs --baseline');
    const other = runCli(['scan', phone, '--baseline', path.join(dir, 'other.json')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('not an appwarden JSON report');
    const bad = runCli(['scan', phone, '--baseline', path.join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not JSON');
    const missing = runCli(['scan', phone, '--baseline', path.join(dir, 'none.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });
});
