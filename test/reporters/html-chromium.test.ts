/**
 * Renders the golden HTML report in headless Chromium (Debian package `chromium`): the DOM it builds
 * must show the verdict and findings with hostile labels as text, and screenshots in light, dark and
 * phone layouts are written to test-output/ for a human to look at.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html } from '../../src/reporters/html.js';
import { fixtureContext, fixtureResult, HOSTILE } from '../fixtures-result.js';

const findChromium = (): string | undefined => {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return undefined;
};

const chromium = findChromium();
if (!chromium) {
  // Printed once so a skipped run says why; the suite below is skipped.
  process.stderr.write('html-chromium tests skipped: install Debian package `chromium` to run them\n');
}

const OUT = resolve(import.meta.dirname, '../../test-output');

const runChromium = (profile: string, args: string[]): string => {
  const run = spawnSync(
    chromium ?? 'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
  );
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr}`);
  return run.stdout;
};

describe.skipIf(!chromium)('html report in headless Chromium', () => {
  let work: string;
  let url: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'appwarden-html-'));
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, 'report.html');
    writeFileSync(file, html(fixtureResult, fixtureContext({ includeInventory: true })));
    url = pathToFileURL(file).href;
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds a DOM with the verdict, the findings and no injected markup', () => {
    const dom = runChromium(join(work, 'dom'), ['--dump-dom', url]).replaceAll('<wbr>', '');
    expect(dom).toContain('<p class="verdict-word">FAIL</p>');
    expect(dom).toMatch(/<code>ca-gov\.tiktok<\/code>/);
    expect(dom).toMatch(
      /<code>com\.zhiliaoapp\.musically<\/code><span class="sub">&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/,
    );
    // The only elements Chromium built are the report's own: no <script>, no links from labels.
    expect(dom).not.toMatch(/<script\b/i);
    expect(dom).not.toMatch(/<a\b/i);
    expect(dom).not.toContain('\u001b');
    expect(dom).not.toContain(HOSTILE.rtl);
    const rows = dom.match(/<tr class="(active|waived)">/g) ?? [];
    expect(rows).toHaveLength(fixtureResult.findings.length);
  });

  it.each([
    ['report.png', '1280,2600', []],
    ['report-dark.png', '1280,2600', ['--force-dark-mode', '--blink-settings=preferredColorScheme=0']],
    ['report-phone.png', '390,4200', []],
  ])('screenshots %s', (name, size, extra) => {
    const target = join(OUT, name);
    rmSync(target, { force: true });
    runChromium(join(work, name), [...extra, `--screenshot=${target}`, `--window-size=${size}`, url]);
    expect(existsSync(target)).toBe(true);
    const png = readFileSync(target);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
