/**
 * End-to-end: MDM exports and inventory tables through the built binary, detected from content
 * (the files are given names that say nothing of their format).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './exec.js';

interface Report {
  result: string;
  targets: Array<{ id: string; status: string; format?: string }>;
  findings: Array<{ ruleId: string; target: string; app: { id: string } }>;
}

const json = (stdout: string): Report => JSON.parse(stdout) as Report;
const fixture = (name: string) => path.resolve('fixtures/mdm', name);
/** A copy of a fixture under a name that gives nothing away. */
const anonymous = (name: string): string => {
  const dir = tempDir();
  const file = path.join(dir, 'export.dat');
  copyFileSync(fixture(name), file);
  return file;
};
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync('schema/report.schema.json', 'utf8')));
const findings = (r: Report) => r.findings.map((f) => [f.ruleId, f.target, f.app.id]);

describe('appwarden scan of MDM exports (built binary)', () => {
  it('a plain id list holding TikTok fails with one finding', () => {
    const dir = tempDir({ 'ids.txt': 'com.whatsapp\ncom.zhiliaoapp.musically\n' });
    const r = runCli(['scan', path.join(dir, 'ids.txt'), '-f', 'json']);
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    expect(report.targets.map((t) => [t.status, t.format])).toEqual([['scanned', 'plain-list']]);
    expect(report.findings.map((f) => f.app.id)).toEqual(['com.zhiliaoapp.musically']);
  });

  it('a clean plain id list passes, saying it holds no publisher evidence', () => {
    const dir = tempDir({ 'ids.txt': 'com.whatsapp\norg.mozilla.firefox\n' });
    const r = runCli(['scan', path.join(dir, 'ids.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS/);
  });

  it('an Android Management API page: TikTok on one device, REMOVED on the other, one finding', () => {
    const r = runCli(['scan', anonymous('amapi-devices-page.json'), '-f', 'json']);
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    expect(report.targets.map((t) => t.id)).toEqual([
      'enterprises/LC01abcd/devices/3a5e1f0c2b7d9e41',
      'enterprises/LC01abcd/devices/9c04b2e7d1a36f58',
    ]);
    expect(report.findings.map((f) => [f.target, f.app.id])).toEqual([
      ['enterprises/LC01abcd/devices/3a5e1f0c2b7d9e41', 'com.zhiliaoapp.musically'],
    ]);
    // The finding carries the SHA-1 the MDM reported, and the report stays valid against its schema.
    expect(JSON.stringify(report.findings[0])).toContain(
      '"certSha1":["00112233445566778899aabbccddeeff00112233"]',
    );
    validateReport(report);
    expect(validateReport.errors ?? []).toEqual([]);
  });

  it('a device whose policy sends no app reports is incomplete (exit 3), never clean', () => {
    const r = runCli(['scan', anonymous('amapi-device-no-reports.json')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/applicationReportsEnabled/);
  });

  it('an Intune Discovered apps CSV export fails on the device holding TikTok', () => {
    const r = runCli(['scan', anonymous('intune-discovered-apps.csv'), '-f', 'json']);
    expect(r.code).toBe(1);
    expect(json(r.stdout).findings.map((f) => [f.target, f.app.id])).toEqual([
      ['intune:b1f7c6a2-6c0e-4d7e-9b1e-2f3a4b5c6d7e', 'com.zhiliaoapp.musically'],
    ]);
  });

  it('a Jamf Pro Classic API mobile device XML fails on TikTok', () => {
    const r = runCli(['scan', anonymous('jamf-mobile-device.xml'), '-f', 'json']);
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    expect(report.targets.map((t) => [t.id, t.format])).toEqual([
      ['jamf:00008103-001A2B3C4D5E6F70', 'jamf-classic-xml'],
    ]);
    expect(report.findings.map((f) => f.app.id)).toEqual(['com.zhiliaoapp.musically']);
  });

  it('scan → ndjson → scan gives the same findings, target statuses and verdict', () => {
    const dir = tempDir();
    const table = path.join(dir, 'inventory.ndjson');
    const first = runCli(['scan', path.resolve('fixtures/mdm'), '-f', 'json', '-o', `ndjson=${table}`]);
    expect(first.code).toBe(1);
    const lines = readFileSync(table, 'utf8').trimEnd().split('\n');
    expect(lines.every((l) => JSON.parse(l).schema === 'appwarden.inventory/1')).toBe(true);
    const second = runCli(['scan', table, '-f', 'json']);
    expect(second.code).toBe(first.code);
    const a = json(first.stdout);
    const b = json(second.stdout);
    expect(b.result).toBe(a.result);
    expect(findings(b)).toEqual(findings(a));
    expect(findings(a).length).toBeGreaterThan(4);
    const statuses = (r: Report) => r.targets.map((t) => [t.id, t.status]).sort();
    expect(statuses(b)).toEqual(statuses(a));
    expect(statuses(a)).toContainEqual(['enterprises/LC01abcd/devices/5f7a0c9e11d2b384', 'failed']);
  });

  it('--format ndjson writes the inventory table on stdout', () => {
    const r = runCli(['scan', anonymous('jamf-mobile-device.xml'), '-f', 'ndjson']);
    expect(r.code).toBe(1);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => x.record)).toEqual(['target', 'app', 'app', 'app']);
    expect(rows[1]).toMatchObject({
      package: 'com.zhiliaoapp.musically',
      version_key: '000000000037.000000000004.000000000003',
      evidence_publisher: 'none',
    });
  });
});
