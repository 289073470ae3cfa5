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

  it('is self-contained: no script, no external resource, a CSP that forbids both', () => {
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toMatch(/\s(src|href|action)=/i);
    expect(out).not.toMatch(/url\(/i);
    expect(out).not.toMatch(/@import/i);
    expect(out).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
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
    expect(out.match(/<tr class="(active|waived)">/g)).toHaveLength(fixtureResult.findings.length);
    expect(out.match(/<tr class="waived">/g)).toHaveLength(1);
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
    // By target, then severity: the Android listing's four findings, then the iPhone's two.
    expect(severities).toEqual(['critical', 'high', 'medium', 'info', 'high', 'low']);
    expect(severities).toEqual(fixtureResult.findings.map((f) => f.severity));
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
    expect(outputs[0]?.match(/<tr class="active">/g)).toHaveLength(20_000);
    expect(outputs[1]).toContain('and 19950 more findings');
    // Header, a row per target, a row per app, a row per skipped input, and the final CRLF.
    expect(outputs[2]?.split('\r\n').length).toBe(
      1 + 200 + 200 * base.apps.length + fixtureResult.skipped.length + 1,
    );
  });
});
