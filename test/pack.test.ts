/**
 * What users get from npm: `npm pack` the package (scripts off: the build must already have run, as in
 * `npm test`), install the tarball into an empty project, and run the installed binary and library.
 * Dependencies come from the npm cache (or the registry when the cache lacks them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  main?: string;
  types?: string;
  exports: Record<string, string | { types?: string; default?: string }>;
  engines: { node: string };
  dependencies: Record<string, string>;
};
const BUILT = existsSync(join(ROOT, 'dist/cli.js')) && existsSync(join(ROOT, 'dist/index.js'));
if (!BUILT) process.stderr.write('pack.test.ts: install tests skipped: run `npm run build` first\n');

const run = (cmd: string, args: string[], cwd: string, timeout = 180_000) => {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('package.json publishing fields', () => {
  it('ships the CLI, the built library, the rule packs and the demo listings', () => {
    expect(pkg.bin).toEqual({ appwarden: 'bin/appwarden.js' });
    for (const entry of ['bin', 'dist', 'rules', 'fixtures/demo']) expect(pkg.files).toContain(entry);
    expect(pkg.files).not.toContain('src');
    expect(pkg.files).not.toContain('test');
    const bin = readFileSync(join(ROOT, pkg.bin.appwarden ?? ''), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('exports an ESM entry with types and declares a Node engine this runtime satisfies', () => {
    const main = pkg.exports['.'];
    expect(typeof main).toBe('object');
    expect(main).toMatchObject({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['./package.json']).toBe('./package.json');
    const min = /^>=\s*(\d+)\.(\d+)/.exec(pkg.engines.node);
    expect(min).not.toBeNull();
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect((major ?? 0) * 1000 + (minor ?? 0)).toBeGreaterThanOrEqual(
      Number(min?.[1]) * 1000 + Number(min?.[2]),
    );
  });
});

describe.skipIf(!BUILT)('npm pack, install and run', () => {
  let work: string;
  let files: string[] = [];
  let project: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'appwarden-pack-'));
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(packed.status, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = join(work, info[0]?.filename ?? '');
    files = (info[0]?.files ?? []).map((f) => f.path);
    project = join(work, 'project');
    spawnSync('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const installed = run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball],
      project,
    );
    expect(installed.status, installed.stderr).toBe(0);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs only what users need', () => {
    for (const f of ['package.json', 'bin/appwarden.js', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith('rules/') && f.endsWith('.yaml'))).toBe(true);
    expect(files.some((f) => f.startsWith('fixtures/demo/'))).toBe(true);
    expect(files.filter((f) => /^(src|test|\.ci|bench|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('fixtures/') && !f.startsWith('fixtures/demo/'))).toEqual([]);
  });

  it('runs the installed binary', () => {
    const version = run(join(project, 'node_modules/.bin/appwarden'), ['--version'], project, 30_000);
    expect(version.status, version.stderr).toBe(0);
    // First line: the tool version; then the editions of the shipped packs.
    const [first, ...rest] = version.stdout.trim().split('\n');
    expect(first).toBe(pkg.version);
    expect(rest.join('\n')).toMatch(/^ {2}ca-gov \d{4}\.\d{2}\.\d{2}/m);
  });

  it('scans a shipped demo listing with the shipped rules', () => {
    const demo = join(project, 'node_modules/appwarden/fixtures/demo/pixel-8-work-profile.txt');
    const scan = run(
      join(project, 'node_modules/.bin/appwarden'),
      ['scan', demo, '--format', 'json', '--quiet'],
      project,
      60_000,
    );
    expect(scan.status, scan.stderr).toBe(1);
    const report = JSON.parse(scan.stdout) as { result: string; summary: { findings: number; apps: number } };
    expect(report.result).toBe('fail');
    expect(report.summary.findings).toBeGreaterThan(0);
    expect(report.summary.apps).toBeGreaterThan(10);
    const clean = run(
      join(project, 'node_modules/.bin/appwarden'),
      ['scan', join(project, 'node_modules/appwarden/fixtures/demo/clean-tablet.txt'), '--quiet'],
      project,
      60_000,
    );
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
  });

  it('imports as a library', () => {
    const imported = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('appwarden'); console.log(Object.keys(m).sort().join(','))",
      ],
      project,
      30_000,
    );
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/\bscan\b/);
  });
});
