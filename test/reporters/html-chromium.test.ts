/**
 * Renders the golden HTML report in headless Chromium (Debian package `chromium`): the DOM it builds
 * must show the verdict and findings with hostile labels as text, the one hash-allowed script must
 * run without a CSP violation (local times, filters) while a tampered one is blocked, and screenshots
 * in light, dark and phone layouts are written to test-output/ for a human to look at.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
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

const run = promisify(execFile);

const OUT = resolve(import.meta.dirname, '../../test-output');

interface Run {
  stdout: string;
  stderr: string;
}

/** Asynchronous, so the test worker keeps answering the runner while Chromium works. */
const runChromium = (profile: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> =>
  run(
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
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 32 * 1024 * 1024, env },
  );

/**
 * The DOM after the page's script ran, and Chromium's console log (where CSP violations are
 * reported), in a fixed zone and language so the local time is predictable.
 */
const loadPage = (profile: string, url: string): Promise<Run> =>
  runChromium(profile, ['--enable-logging=stderr', '--v=0', '--lang=en-US', '--dump-dom', url], {
    ...process.env,
    TZ: 'Asia/Tokyo',
    LANG: 'en_US.UTF-8',
  });

const CSP_VIOLATION = /Content Security Policy/i;

/** Filterable rows of the dumped DOM: which are targets or findings, and which the script hid. */
const rowsOf = (dom: string): Array<{ severity?: string; verdict: string; hidden: boolean }> =>
  [...dom.matchAll(/<tr ([^>]*data-verdict="[^"]*"[^>]*)>/g)].map((m) => {
    const attrs = m[1] ?? '';
    return {
      severity: attrs.match(/data-severity="(\w+)"/)?.[1],
      verdict: attrs.match(/data-verdict="(\w+)"/)?.[1] ?? '',
      hidden: /\shidden(=""|\s|$)/.test(attrs),
    };
  });

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

  it('builds a DOM with the verdict, the findings and no injected markup', async () => {
    const dom = (await runChromium(join(work, 'dom'), ['--dump-dom', url])).stdout.replaceAll('<wbr>', '');
    expect(dom).toContain('<p class="verdict-word">FAIL</p>');
    expect(dom).toMatch(/<code>ca-gov\.tiktok<\/code>/);
    expect(dom).toMatch(
      /<code>com\.zhiliaoapp\.musically<\/code><span class="sub">&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/,
    );
    // The only elements Chromium built are the report's own: one script, no links from labels.
    expect(dom.match(/<script\b/gi)).toHaveLength(1);
    expect(dom).not.toMatch(/<a\b/i);
    expect(dom).not.toContain('\u001b');
    expect(dom).not.toContain(HOSTILE.rtl);
    const rows = dom.match(/<tr class="(active|waived)" /g) ?? [];
    expect(rows).toHaveLength(fixtureResult.findings.length);
  });

  it('runs its one script under the CSP: local time with zone, filter bar shown, nothing hidden', async () => {
    const { stdout: dom, stderr } = await loadPage(join(work, 'script'), url);
    expect(stderr).not.toMatch(CSP_VIOLATION);
    // 09:30 UTC is 18:30 in Tokyo; the UTC text moves to the title.
    expect(dom).toMatch(
      /<time datetime="2026-03-01T09:30:00.000Z" data-local="" title="2026-03-01T09:30:00.000Z \(UTC\)">Mar 1, 2026, 6:30:00\sPM GMT\+9<\/time>/,
    );
    expect(dom).toMatch(/<div class="filters" id="filters" role="search" aria-label="[^"]*">/);
    expect(dom).toContain('Showing 3 of 3 targets, 6 of 6 findings');
    const rows = rowsOf(dom);
    expect(rows).toHaveLength(fixtureResult.targets.length + fixtureResult.findings.length);
    expect(rows.filter((r) => r.hidden)).toEqual([]);
  });

  it('filters by severity, target verdict and target (state from the URL fragment)', async () => {
    const high = await loadPage(join(work, 'f1'), `${url}#severity=high&target=ops`);
    expect(high.stderr).not.toMatch(CSP_VIOLATION);
    const shown = rowsOf(high.stdout).filter((r) => !r.hidden);
    // The Samsung ("Ops … phone") target and its critical and high findings; the low info and medium
    // ones and every other target's rows are hidden.
    expect(shown.map((r) => r.severity ?? 'target')).toEqual(['target', 'critical', 'high']);
    expect(high.stdout).toContain('Showing 1 of 3 targets, 2 of 6 findings');

    const pass = await loadPage(join(work, 'f2'), `${url}#status=pass`);
    expect(pass.stderr).not.toMatch(CSP_VIOLATION);
    const passRows = rowsOf(pass.stdout);
    expect(passRows.filter((r) => !r.hidden).every((r) => r.verdict === 'pass')).toBe(true);
    expect(passRows.filter((r) => r.hidden).length).toBeGreaterThan(0);
    // The collapsed clean group opens when it holds what the filter shows.
    expect(pass.stdout).toMatch(/<details class="group" data-group="clean" open="">/);
  });

  it('blocks a script that does not match the hash, and the page stays complete without it', async () => {
    const page = readFileSync(new URL(url), 'utf8').replace("'Showing '", "'Shown '");
    const file = join(work, 'tampered.html');
    writeFileSync(file, page);
    const { stdout: dom, stderr } = await loadPage(
      join(work, 'tampered'),
      `${pathToFileURL(file).href}#severity=critical`,
    );
    expect(stderr).toMatch(CSP_VIOLATION);
    expect(dom).toContain('data-local="">2026-03-01T09:30:00.000Z</time>');
    expect(dom).toMatch(/<div class="filters" id="filters" role="search" aria-label="[^"]*" hidden="">/);
    expect(rowsOf(dom).filter((r) => r.hidden)).toEqual([]);
  });

  it.each([
    ['report.png', '1280,2600', []],
    ['report-dark.png', '1280,2600', ['--force-dark-mode', '--blink-settings=preferredColorScheme=0']],
    ['report-phone.png', '390,4200', []],
  ])('screenshots %s', async (name, size, extra) => {
    const target = join(OUT, name);
    rmSync(target, { force: true });
    await runChromium(join(work, name), [...extra, `--screenshot=${target}`, `--window-size=${size}`, url]);
    expect(existsSync(target)).toBe(true);
    const png = readFileSync(target);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
