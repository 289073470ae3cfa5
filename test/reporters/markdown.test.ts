import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/model.js';
import { createMarkdownReporter, markdown, mdCode, mdText } from '../../src/reporters/markdown.js';
import { fixtureContext, fixtureResult, hasUnsafeChar, passingResult } from '../fixtures-result.js';
import { expectGolden } from './golden/golden.js';

const unescapedPipes = (line: string): number => (line.match(/(?<!\\)\|/g) ?? []).length;

/** Each GFM table's rows must have as many cell separators as its header, or cells shift. */
const tablesAreWellFormed = (text: string): void => {
  let columns: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      columns = undefined;
      continue;
    }
    columns ??= unescapedPipes(line);
    expect(unescapedPipes(line), line).toBe(columns);
  }
};

describe('markdown reporter', () => {
  const out = markdown(fixtureResult, fixtureContext());

  it('matches the golden file', () => {
    expectGolden('markdown', out);
  });

  it('starts with the verdict and keeps tables intact despite hostile cells', () => {
    expect(out.split('\n')[0]).toBe('## ❌ appwarden: FAIL');
    tablesAreWellFormed(out);
    expect(out).not.toMatch(/<script/i);
    expect(hasUnsafeChar(out, '\n')).toBe(false);
    // The CR LF in the RedNote label did not start a new line.
    expect(out.split('\n').filter((l) => l.includes('::error::pwned'))[0]).toMatch(/^\| 🟦 low \|/);
  });

  it('lists incomplete targets', () => {
    expect(out).toContain('### ⚠️ Incomplete targets');
    expect(out).toContain(
      '- `apps/suspicious.apk`: not scanned: not an APK: ZIP end of central directory not found',
    );
  });

  it('caps the findings table and says how many are left out', () => {
    const capped = createMarkdownReporter({ maxFindings: 2 })(fixtureResult, fixtureContext());
    const rows = capped.split('\n').filter((l) => /^\| (🟥|🟧|🟨|🟦|⬜) /.test(l));
    expect(rows).toHaveLength(2);
    expect(capped).toContain('_…and 4 more findings not shown; see the full report._');
    expect(out).not.toContain('more finding');
  });

  it('neutralises mentions, links and markup in labels', () => {
    const app = {
      ...fixtureResult.findings[0]!.app,
      name: '@octocat see http://x.example [x](y) <b>*hi*</b> | `a`',
    };
    const result: ScanResult = { ...fixtureResult, findings: [{ ...fixtureResult.findings[0]!, app }] };
    const text = markdown(result, fixtureContext());
    expect(text).toContain('@&#8203;octocat');
    expect(text).toContain('http:&#8203;//x.example');
    expect(text).toContain('\\[x\\]\\(y\\) &lt;b&gt;\\*hi\\*&lt;/b&gt; \\| \\`a\\`');
    tablesAreWellFormed(text);
  });

  it('reports a pass', () => {
    const pass = markdown(passingResult, fixtureContext());
    expect(pass.split('\n')[0]).toBe('## ✅ appwarden: PASS');
    expect(pass).not.toContain('### Findings');
  });

  it('builds code spans no content can close early', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const code = mdCode(s, false);
        if (code === '') return;
        const fence = /^`+/.exec(code)?.[0] ?? '';
        const inner = code.slice(fence.length, code.length - fence.length);
        expect(code.endsWith(fence)).toBe(true);
        expect(inner.includes(fence)).toBe(false);
        expect(inner).not.toMatch(/[\r\n]/);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('escapes text so no raw markup character survives', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const text = mdText(s);
        expect(text).not.toMatch(/[<>\r\n]/);
        expect(unescapedPipes(text)).toBe(0);
        expect(text).not.toMatch(/(?<!\\)[`*_[\]]/);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
