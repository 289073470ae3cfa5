/**
 * Issue 14 §3 through the built binary, the way a security manager gets the report: the demo scan's
 * HTML shows every finding's message and references, one target table worst first with the clean
 * target collapsed, and exactly one script, the one its CSP hash allows; two runs are byte-identical.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/exec.js';

interface Report {
  startedAt: string;
  targets: Array<{ id: string; device?: { name?: string; model?: string; osVersion?: string } }>;
  findings: Array<{ ruleId: string; message: string; references: string[]; target: string }>;
}

/** Target verdicts worst first, as src/verdict.ts TARGET_VERDICTS orders them. */
const ORDER = ['fail', 'incomplete', 'failed', 'pass'];

/** The page's text with the break opportunities removed and entities decoded, for plain matching. */
const text = (page: string): string =>
  page
    .replaceAll('<wbr>', '')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

describe('HTML report of the demo scan, through the built binary', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const scan = (name: string) => {
    const html = path.join(dir, `${name}.html`);
    const json = path.join(dir, `${name}.json`);
    const run = runCli(
      ['scan', 'fixtures/demo', '--exclude', 'README.md', '-o', `html=${html}`, '-o', `json=${json}`],
      { env: { APPWARDEN_NOW: '2026-12-06T09:30:00Z' } },
    );
    return {
      code: run.code,
      page: readFileSync(html, 'utf8'),
      report: JSON.parse(readFileSync(json, 'utf8')) as Report,
    };
  };
  const first = scan('a');

  it('fails on the demo findings and is byte-identical on a second run', () => {
    expect(first.code).toBe(1);
    expect(first.report.findings.length).toBeGreaterThan(0);
    expect(scan('b').page).toBe(first.page);
  });

  it('shows each finding with its rule message and every reference', () => {
    const page = text(first.page);
    for (const f of first.report.findings) {
      expect(page).toContain(f.message);
      expect(f.references.length).toBeGreaterThan(0);
      for (const r of f.references) expect(page).toContain(r);
    }
  });

  it('has one target table, worst first, with the device facts and the clean target collapsed', () => {
    const page = first.page;
    const section = page.slice(page.indexOf('<h2 id="targets">'), page.indexOf('<h2 id="findings">'));
    const rows = [...section.matchAll(/<tr class="v-(\w+)"/g)].map((m) => m[1]);
    expect(rows).toHaveLength(first.report.targets.length);
    expect(rows).toEqual([...rows].sort((a, b) => ORDER.indexOf(a ?? '') - ORDER.indexOf(b ?? '')));
    const clean = rows.filter((v) => v === 'pass').length;
    expect(clean).toBeGreaterThan(0);
    const group = section.indexOf(
      `<details class="group" data-group="clean"><summary>${clean} clean target${clean === 1 ? '' : 's'} (pass)</summary>`,
    );
    expect(group).toBeGreaterThan(0);
    expect(section.indexOf('<tr class="v-pass"')).toBeGreaterThan(group);
    // Device facts where the input has them (the Pixel listing's getprop header), else the path.
    const withDevice = first.report.targets.filter((t) => t.device?.model);
    expect(withDevice.length).toBeGreaterThan(0);
    for (const t of withDevice) expect(text(section)).toContain(t.device?.model ?? '');
    for (const t of first.report.targets) expect(text(section)).toContain(t.id);
  });

  it('runs only the script its CSP hash allows, and times are UTC in a <time> element', () => {
    const page = first.page;
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(page.match(/<script/g)).toHaveLength(1);
    const digest = createHash('sha256')
      .update(scripts[0]?.[1] ?? '', 'utf8')
      .digest('base64');
    expect(page).toContain(`script-src 'sha256-${digest}';`);
    expect(page).toContain(
      `<time datetime="${first.report.startedAt}" data-local>${first.report.startedAt}</time>`,
    );
    expect(page).not.toMatch(/\s(src|href|on[a-z]+)=/i);
  });
});
