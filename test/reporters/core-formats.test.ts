import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { csv } from '../../src/reporters/csv.js';
import { github } from '../../src/reporters/github.js';
import { html } from '../../src/reporters/html.js';
import { renderJson } from '../../src/reporters/json.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { markdown } from '../../src/reporters/markdown.js';
import { renderNdjson } from '../../src/reporters/ndjson.js';
import { renderSarif } from '../../src/reporters/sarif.js';
import { renderTable } from '../../src/reporters/table.js';
import { evaluatedWith, fixtureContext, fixtureResult, HOSTILE, passingResult } from '../fixtures-result.js';
import { expectGolden } from './golden/golden.js';

const MULTITOOL = path.resolve('node_modules/.bin/sarif-multitool');

/** Minimal XML reader for the JUnit checks: elements, attributes, entity decoding. */
const parseXmlElements = (xml: string) => {
  const decode = (s: string) =>
    s.replace(
      /&(lt|gt|amp|quot|apos);/g,
      (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!,
    );
  const elements: Array<{ name: string; attrs: Record<string, string> }> = [];
  for (const m of xml.matchAll(/<([a-zA-Z]+)((?:\s+[a-zA-Z-]+="[^"]*")*)\s*\/?>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([a-zA-Z-]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
    elements.push({ name: m[1]!, attrs });
  }
  return elements;
};

describe('JSON report', () => {
  it('has the documented top-level shape and no inventory unless asked', () => {
    const doc = JSON.parse(renderJson(fixtureResult, fixtureContext()));
    expect(doc.schemaVersion).toBe('1.0');
    expect(doc.tool).toEqual({ name: 'appwarden', version: '0.1.0' });
    expect(doc.result).toBe('fail');
    expect(doc.exitCode).toBe(1);
    expect(doc.targets).toHaveLength(3);
    for (const t of doc.targets) {
      expect(['scanned', 'partial', 'failed']).toContain(t.status);
      expect(typeof t.appCount).toBe('number');
      expect(t.apps).toBeUndefined();
    }
    expect(doc.findings[0]).toHaveProperty('matchedOn');
    expect(doc.findings[0].app).toHaveProperty('origin');
    const withInventory = JSON.parse(renderJson(fixtureResult, fixtureContext({ includeInventory: true })));
    expect(withInventory.targets[0].apps.length).toBe(withInventory.targets[0].appCount);
  });
});

describe('table report', () => {
  it('strips terminal escapes from hostile strings and ends with a verdict', () => {
    const text = renderTable(fixtureResult, fixtureContext());
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain(HOSTILE.rtl);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^FAIL /);
    expect(renderTable(passingResult, fixtureContext()).trimEnd().split('\n').at(-1)).toMatch(/^PASS /);
  });
  it('colours only when the chalk instance has a level', () => {
    const coloured = renderTable(fixtureResult, fixtureContext({ chalk: new Chalk({ level: 1 }) }));
    expect(coloured).toMatch(/\u001b\[\d+m/);
  });
});

describe('JUnit report', () => {
  it('has one testsuite per target, waived findings and skipped inputs skipped, incomplete targets as errors', () => {
    const xml = renderJunit(fixtureResult, fixtureContext());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const els = parseXmlElements(xml);
    const suites = els.filter((e) => e.name === 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual([
      ...fixtureResult.targets.map((t) => t.id),
      'skipped inputs',
    ]);
    const root = els.find((e) => e.name === 'testsuites')!;
    const skipped = els.filter((e) => e.name === 'skipped').length;
    const failures = els.filter((e) => e.name === 'failure').length;
    const errors = els.filter((e) => e.name === 'error').length;
    expect(Number(root.attrs.skipped)).toBe(skipped);
    expect(Number(root.attrs.failures)).toBe(failures);
    expect(Number(root.attrs.errors)).toBe(errors);
    // Literal counts of the fixture: 1 waived finding + 3 skipped inputs, 5 live findings, 2 incomplete targets.
    expect(skipped).toBe(4);
    expect(failures).toBe(5);
    expect(errors).toBe(2);
    expect(xml).toContain('name="evidence/IMG_0042.jpg"');
    expect(Number(root.attrs.tests)).toBe(els.filter((e) => e.name === 'testcase').length);
    // No raw control characters survive into XML (they are not allowed in XML 1.0).
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});

describe('SARIF report', () => {
  const sarif = JSON.parse(renderSarif(fixtureResult, fixtureContext()));
  const run = sarif.runs[0];

  it('gives every result a path-shaped location, a stable rule id and a fingerprint', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(run.results).toHaveLength(fixtureResult.findings.length + fixtureResult.notes.length);
    for (const r of run.results) {
      const uri: string = r.locations[0].physicalLocation.artifactLocation.uri;
      expect(uri).not.toMatch(/^https?:/);
      expect(uri.length).toBeGreaterThan(0);
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.partialFingerprints['appwardenFinding/v1']).toMatch(/^[0-9a-f]{64}$/);
    }
    const again = JSON.parse(renderSarif(fixtureResult, fixtureContext()));
    expect(again.runs[0].results.map((r: { partialFingerprints: unknown }) => r.partialFingerprints)).toEqual(
      run.results.map((r: { partialFingerprints: unknown }) => r.partialFingerprints),
    );
  });

  it('marks waived findings as accepted suppressions and records the exit code', () => {
    const suppressed = run.results.filter((r: { suppressions?: unknown[] }) => r.suppressions);
    expect(suppressed).toHaveLength(
      fixtureResult.findings.filter((f) => f.waiver?.status === 'applied').length,
    );
    expect(suppressed[0].suppressions[0]).toMatchObject({ kind: 'external', status: 'accepted' });
    expect(run.invocations[0].exitCode).toBe(1);
    expect(run.invocations[0].toolExecutionNotifications.length).toBeGreaterThan(0);
  });

  it('can leave waived findings out (for uploads that keep suppressed alerts open)', () => {
    const waived = fixtureResult.findings.filter((f) => f.waiver?.status === 'applied').length;
    expect(waived).toBeGreaterThan(0);
    const omitted = JSON.parse(renderSarif(fixtureResult, fixtureContext({ omitWaived: true }))).runs[0];
    expect(omitted.results).toHaveLength(run.results.length - waived);
    expect(omitted.results.some((r: { suppressions?: unknown }) => r.suppressions)).toBe(false);
  });

  it.skipIf(!existsSync(MULTITOOL))('passes the official SARIF validator (sarif-multitool validate)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-sarif-'));
    const file = path.join(dir, 'report.sarif');
    writeFileSync(file, renderSarif(fixtureResult, fixtureContext()));
    const out = path.join(dir, 'validation.sarif');
    let status = 0;
    try {
      execFileSync(MULTITOOL, ['validate', file, '--output', out, '--log', 'ForceOverwrite'], {
        stdio: 'pipe',
      });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    const validation = JSON.parse(readFileSync(out, 'utf8'));
    // The validator reports errors and warnings as results; a clean file has none of either.
    const problems = validation.runs[0].results.filter((r: { level?: string }) => r.level !== 'note');
    expect(problems.map((p: { ruleId: string }) => p.ruleId)).toEqual([]);
    expect(status).toBe(0);
  });
});

describe('goldens for the table and JSON reports', () => {
  it('table matches the golden file', () => {
    expectGolden('table', renderTable(fixtureResult, fixtureContext()));
  });
  it('json matches the golden file', () => {
    expectGolden('json', renderJson(fixtureResult, fixtureContext()));
  });
});

describe('every format agrees on the verdict and names every skipped input', () => {
  const ctx = fixtureContext();
  const outputs: Record<string, string> = {
    table: renderTable(fixtureResult, ctx),
    json: renderJson(fixtureResult, ctx),
    sarif: renderSarif(fixtureResult, ctx),
    junit: renderJunit(fixtureResult, ctx),
    csv: csv(fixtureResult, ctx),
    markdown: markdown(fixtureResult, ctx),
    html: html(fixtureResult, ctx),
    github: github(fixtureResult, ctx),
    ndjson: renderNdjson(fixtureResult, ctx),
  };
  it.each(Object.keys(outputs))('%s lists the skipped inputs with their reason', (format) => {
    const out = outputs[format]!;
    for (const x of fixtureResult.skipped) {
      expect(out).toContain(x.path.includes('\n') ? 'evidence/.git/' : x.path);
      expect(out).toContain(x.reason);
    }
  });
  it('JSON, SARIF and JUnit carry the same verdict and counts as the scan', () => {
    const json = JSON.parse(outputs.json!);
    expect(json.result).toBe(fixtureResult.result);
    expect(json.summary.targetsIncomplete).toBe(2);
    const sarif = JSON.parse(outputs.sarif!);
    expect(sarif.runs[0].properties.verdict).toBe(fixtureResult.result);
    const notes = sarif.runs[0].invocations[0].toolExecutionNotifications;
    expect(
      notes.filter((n: { descriptor: { id: string } }) => n.descriptor.id === 'input-skipped'),
    ).toHaveLength(3);
    expect(outputs.junit).toMatch(/errors="2"/);
  });
  it('with --fail-on info, an info finding fails in every format that states failing', () => {
    const info = evaluatedWith('info');
    expect(info.result).toBe('fail');
    const rows = csv(info, ctx).split('\r\n');
    const header = rows[0]!.split(',');
    const alipay = rows.find((r) => r.includes('corp.payments.alipay'))!.split(',');
    expect(alipay[header.indexOf('failing')]).toBe('yes');
    expect(markdown(info, ctx)).toContain('## ❌ appwarden: FAIL');
  });
});
