import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/model.js';
import { html } from '../../src/reporters/html.js';
import { h } from '../../src/reporters/html-escape.js';
import { fixtureContext, fixtureResult, HOSTILE, hasUnsafeChar, passingResult } from '../fixtures-result.js';
import { expectGolden } from './golden/golden.js';

describe('fixture result', () => {
  it('has summary counts that agree with its lists', () => {
    const r = fixtureResult;
    expect(r.summary.targets).toBe(r.targets.length);
    expect(r.summary.apps).toBe(r.targets.reduce((n, t) => n + t.apps.length, 0));
    expect(r.summary.findings).toBe(r.findings.length);
    expect(r.summary.waived).toBe(r.findings.filter((f) => f.waiver?.status === 'applied').length);
    expect(r.summary.targetsPartial).toBe(r.targets.filter((t) => t.status === 'partial').length);
    expect(r.summary.targetsFailed).toBe(r.targets.filter((t) => t.status === 'failed').length);
    for (const f of r.findings) expect(r.targets.map((t) => t.id)).toContain(f.target);
  });
});

describe('html reporter', () => {
  const out = html(fixtureResult, fixtureContext());

  it('matches the golden file', () => {
    expectGolden('html', out);
  });

  it('is self-contained: one inline script allowed by its hash, no external resource, no handlers', () => {
    const scripts = [...out.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    expect(out.match(/<script/gi)).toHaveLength(1);
    const [, attributes, text] = scripts[0] ?? [];
    expect(attributes).toBe('');
    const digest = createHash('sha256')
      .update(text ?? '', 'utf8')
      .digest('base64');
    const csp = out.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/)?.[1] ?? '';
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "style-src 'unsafe-inline'",
      `script-src 'sha256-${digest}'`,
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
    ]);
    expect(out).not.toMatch(/\s(src|href|action|formaction)=/i);
    expect(out).not.toMatch(/\son[a-z]+=/i);
    expect(out).not.toMatch(/url\(/i);
    expect(out).not.toMatch(/@import/i);
    expect(out).not.toMatch(/<(form|a|iframe|object|embed|link|img)\b/i);
    // The script only reads and hides: it writes no markup and reaches nothing outside the page.
    for (const banned of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval',
      'fetch',
      'XMLHttpRequest',
      'import(',
      'Function(',
    ]) {
      expect(text).not.toContain(banned);
    }
  });

  it('shows the scan time as UTC text in a <time> element the script can localise', () => {
    expect(out).toContain(
      'Scan started <time datetime="2026-03-01T09:30:00.000Z" data-local>2026-03-01T09:30:00.000Z</time>',
    );
  });

  it('has a filter bar that is hidden until the script shows it, and filterable rows', () => {
    expect(out).toMatch(/<div class="filters" id="filters" role="search"[^>]* hidden>/);
    expect(out).toContain('<option value="high">high and above</option>');
    expect(out).toContain('<option value="failed">Not read</option>');
    // Every target and finding row carries what the filters compare, escaped.
    const rows = out.match(/<tr [^>]*data-verdict="[^"]*"/g) ?? [];
    expect(rows).toHaveLength(fixtureResult.targets.length + fixtureResult.findings.length);
    expect(out).toContain(
      'data-target="evidence/r58n12abc, lab:2.txt ops &lt;script&gt;alert(1)&lt;/script&gt; phone samsung sm-s918b"',
    );
  });

  it('lists targets in one table, worst verdict first, with device name, model and OS', () => {
    const section = out.slice(out.indexOf('<h2 id="targets">'), out.indexOf('<h2 id="findings">'));
    const verdicts = [...section.matchAll(/<tr class="v-(\w+)" data-verdict="\1"/g)].map((m) => m[1]);
    // The iPhone's only unwaived finding is low, under the fixture's `--fail-on high`: it passes.
    expect(verdicts).toEqual(['fail', 'failed', 'pass']);
    expect(section).toContain('<td data-label="Model">iPhone15,2</td><td data-label="OS">iOS 17.5.1</td>');
    expect(section).toContain(
      '<td data-label="Model">samsung SM-S918B</td><td data-label="OS">Android 14 (SDK 34)</td>',
    );
    expect(section).toContain('Zhang Wei 的 iPhone 📱');
    // The APK has no device facts: its path stands for it.
    expect(section).toMatch(
      /<td data-label="Target"><span class="mono">apps\/<wbr>suspicious.<wbr>apk<\/span>/,
    );
    expect(section).toContain('<span class="sub">1 waived</span>');
  });

  it('groups waived findings apart in a closed group', () => {
    const group = out.indexOf(
      '<details class="group" data-group="waived"><summary>1 waived finding</summary>',
    );
    expect(group).toBeGreaterThan(0);
    expect(out.indexOf('<tr class="waived"')).toBeGreaterThan(group);
    expect(out.lastIndexOf('<tr class="active"')).toBeLessThan(group);
  });

  it('renders hostile labels and device names as text only', () => {
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('=HYPERLINK(&quot;http://x&quot;) Kaspersky');
    expect(hasUnsafeChar(out, '\n')).toBe(false);
    expect(out).not.toContain(HOSTILE.rtl);
    expect(out).not.toContain('http://evil');
    // The RTL override is shown, not obeyed.
    expect(out).toContain('\\u202e');
    expect(out).toContain('小红书 RedNote  ::error::pwned');
    expect(out).toContain('微信 WeChat 💬');
  });

  it('has one row per finding, waived rows marked, expired waivers flagged', () => {
    expect(out.match(/<tr class="(active|waived)" /g)).toHaveLength(fixtureResult.findings.length);
    expect(out.match(/<tr class="waived" /g)).toHaveLength(1);
    expect(out).toContain('Waiver expired');
    expect(out).toContain('W-2025-014 expired 2025-12-31');
  });

  it('shortens certificate digests and keeps the full value in a title', () => {
    const cert = fixtureResult.findings[0]?.app.publisher.certSha256?.[0] ?? '';
    expect(cert).toHaveLength(64);
    expect(out).toContain(`title="SHA-256 ${cert}"`);
    expect(out).toContain(`cert ${cert.slice(0, 8)}…${cert.slice(-8)}`);
  });

  it('explains incomplete targets and unscanned profiles', () => {
    expect(out).toContain('Incomplete targets');
    expect(out).toContain('not an APK: ZIP end of central directory not found');
    expect(out).toMatch(/Secure Folder \(user 150, secure-folder\): <strong>not scanned<\/strong>/);
    expect(out).toContain('Work profile (user 10, work)');
  });

  it('keeps the one canonical finding order (verdict.ts) whatever order the findings arrive in', () => {
    const reversed: ScanResult = { ...fixtureResult, findings: [...fixtureResult.findings].reverse() };
    expect(html(reversed, fixtureContext())).toBe(out);
    const severities = [...out.matchAll(/<td data-label="Severity"><span class="badge sev-(\w+)">/g)].map(
      (m) => m[1],
    );
    // By target, then severity: the Android listing's four findings, then the iPhone's low one;
    // the waived WeChat finding (high, iPhone) follows in its own group.
    expect(severities).toEqual(['critical', 'high', 'medium', 'info', 'low', 'high']);
    const active = fixtureResult.findings.filter((f) => f.waiver?.status !== 'applied');
    const waived = fixtureResult.findings.filter((f) => f.waiver?.status === 'applied');
    expect(severities).toEqual([...active, ...waived].map((f) => f.severity));
  });

  it('shows a pass banner and the inventory when asked', () => {
    const pass = html(passingResult, fixtureContext({ includeInventory: true }));
    expect(pass).toContain('class="verdict verdict-pass"');
    expect(pass).toContain('<p class="verdict-word">PASS</p>');
    expect(pass).toContain('<p>No findings.</p>');
    expect(pass).toContain('id="inventory"');
    expect(pass).toContain('com.<wbr>apple.<wbr>mobilesafari');
    expect(out).not.toContain('id="inventory"');
  });

  it('escapes any string into inert text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const e = h(s);
        expect(e).not.toMatch(/[<>"']/);
        expect(hasUnsafeChar(e, '\t')).toBe(false);
        expect(e.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('html report of a large fleet', () => {
  it('collapses clean targets under one summary and keeps the ones needing action on top', () => {
    const ios = fixtureResult.targets.find((t) => t.kind === 'device')!;
    const clean = Array.from({ length: 148 }, (_, i) => ({
      ...ios,
      id: `ios:clean-${String(i).padStart(3, '0')}`,
      device: { ...ios.device, name: `Clean phone ${i}` },
    }));
    const fleet: ScanResult = { ...fixtureResult, targets: [...clean, ...fixtureResult.targets] };
    const page = html(fleet, fixtureContext());
    const section = page.slice(page.indexOf('<h2 id="targets">'), page.indexOf('<h2 id="findings">'));
    const group = section.indexOf(
      '<details class="group" data-group="clean"><summary>149 clean targets (pass)</summary>',
    );
    expect(group).toBeGreaterThan(0);
    const verdicts = [...section.matchAll(/<tr class="v-(\w+)"/g)].map((m) => m[1]);
    expect(verdicts).toEqual(['fail', 'failed', ...Array(149).fill('pass')]);
    expect(section.indexOf('<tr class="v-pass"')).toBeGreaterThan(group);
    expect(section.lastIndexOf('<tr class="v-failed"')).toBeLessThan(group);
  });
});

describe('reporters on a large fleet', () => {
  // Completeness at fleet size; how fast this is belongs in a benchmark, not here.
  it('render 200 targets × 100 findings completely', async () => {
    const { markdown } = await import('../../src/reporters/markdown.js');
    const { csv } = await import('../../src/reporters/csv.js');
    const { github } = await import('../../src/reporters/github.js');
    const base = fixtureResult.targets[0]!;
    const template = fixtureResult.findings[1]!;
    const targets = Array.from({ length: 200 }, (_, i) => ({ ...base, id: `listing-${i}.txt` }));
    const findings = targets.flatMap((t) =>
      Array.from({ length: 100 }, (_, j) => ({
        ...template,
        target: t.id,
        app: { ...template.app, id: `com.app${j}` },
      })),
    );
    const big: ScanResult = { ...fixtureResult, targets, findings };
    const ctx = fixtureContext({ includeInventory: true });
    const outputs = [html(big, ctx), markdown(big, ctx), csv(big, ctx), github(big, ctx)];
    expect(outputs[0]?.match(/<tr class="active" /g)).toHaveLength(20_000);
    expect(outputs[1]).toContain('and 19950 more findings');
    // Header, a row per target, a row per app, a row per skipped input, and the final CRLF.
    expect(outputs[2]?.split('\r\n').length).toBe(
      1 + 200 + 200 * base.apps.length + fixtureResult.skipped.length + 1,
    );
  });
});
