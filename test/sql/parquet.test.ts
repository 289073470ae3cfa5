/**
 * Parquet inventory tables through the built binary: `-o parquet=PATH` writes the NDJSON table's
 * rows through DuckDB, `scan` reads them back to the same findings and verdict, and what cannot
 * work (Parquet on stdout, a truncated file, no DuckDB) says so instead of passing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { runCli, tempDir } from '../cli/exec.js';

interface Report {
  result: string;
  targets: Array<{ id: string; status: string; error?: string }>;
  findings: Array<{ ruleId: string; target: string; app: { id: string } }>;
}

/**
 * NODE_OPTIONS for a binary that cannot find @duckdb/node-api, as on an install without optional
 * dependencies: a module resolve hook refuses the package.
 */
const withoutDuckdb = (): NodeJS.ProcessEnv => {
  const dir = tempDir({
    'hooks.mjs': `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@duckdb/')) throw new Error("Cannot find package '" + specifier + "'");
  return next(specifier, context);
}
`,
    'register.mjs': `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`,
  });
  return { NODE_OPTIONS: `--import=${pathToFileURL(path.join(dir, 'register.mjs')).href}` };
};

const json = (stdout: string): Report => JSON.parse(stdout) as Report;
const findings = (r: Report) => r.findings.map((f) => [f.ruleId, f.target, f.app.id]);
const statuses = (r: Report) => r.targets.map((t) => [t.id, t.status]).sort();

/** Scans the MDM fixtures, writing the table as Parquet (and NDJSON, to compare rows). */
const writeTables = () => {
  const dir = tempDir();
  const parquet = path.join(dir, 'inv.parquet');
  const ndjson = path.join(dir, 'inv.ndjson');
  const first = runCli([
    'scan',
    path.resolve('fixtures/mdm'),
    // A phone with a work profile: the table's profiles column.
    path.resolve('fixtures/demo/pixel-8-work-profile.txt'),
    '-f',
    'json',
    '-o',
    `parquet=${parquet}`,
    '-o',
    `ndjson=${ndjson}`,
  ]);
  return { dir, parquet, ndjson, first };
};

describe('Parquet inventory table', () => {
  it('scan → parquet → scan gives the same findings, target statuses and verdict', () => {
    const { parquet, first } = writeTables();
    expect(first.code).toBe(1);
    const bytes = readFileSync(parquet);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
    const second = runCli(['scan', parquet, '-f', 'json']);
    expect(second.code).toBe(first.code);
    const a = json(first.stdout);
    const b = json(second.stdout);
    expect(b.result).toBe(a.result);
    expect(findings(b)).toEqual(findings(a));
    expect(findings(a).length).toBeGreaterThan(4);
    expect(statuses(b)).toEqual(statuses(a));
    expect(statuses(a)).toContainEqual(['enterprises/LC01abcd/devices/5f7a0c9e11d2b384', 'failed']);
  });

  it('holds the same rows as the NDJSON table', () => {
    const { parquet, ndjson } = writeTables();
    // Read back as the NDJSON table: same rows (columns a row lacks are null in Parquet).
    const back = runCli(['scan', parquet, '-f', 'ndjson']);
    const rows = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r.record !== 'skipped');
    const original = rows(readFileSync(ndjson, 'utf8'));
    const again = rows(back.stdout);
    expect(again.length).toBe(original.length);
    // Every column of every row survives, but origin_path: as for NDJSON, the reader names the
    // table file it read as the evidence.
    const withoutPath = ({ origin_path, ...rest }: Record<string, unknown>) => rest;
    expect(again.map(withoutPath)).toEqual(original.map(withoutPath));
    for (const r of again) if (r.record === 'app') expect(r.origin_path).toBe(parquet);
    expect(original.some((r) => Array.isArray(r.cert_sha1) && r.cert_sha1.length > 0)).toBe(true);
    expect(original.some((r) => Array.isArray(r.profiles) && r.profiles.length > 0)).toBe(true);
  });

  it.each([[['-f', 'parquet']], [['-o', 'parquet']], [['-o', 'parquet=-']], [['-o', 'parquet=/dev/stdout']]])(
    'refuses Parquet on standard output (%j) with a usage error',
    (args) => {
      const r = runCli(['scan', path.resolve('fixtures/mdm/plain-list.txt'), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/parquet is binary.*-o parquet=PATH/);
      expect(r.stdout).toBe('');
    },
  );

  it('a truncated Parquet file is a failed target (exit 3)', () => {
    const { dir, parquet } = writeTables();
    const cut = path.join(dir, 'cut.bin');
    writeFileSync(cut, readFileSync(parquet).subarray(0, 1000));
    const r = runCli(['scan', cut, '-f', 'json']);
    expect(r.code).toBe(3);
    const report = json(r.stdout);
    expect(report.targets).toEqual([
      expect.objectContaining({
        id: cut,
        status: 'failed',
        error: expect.stringMatching(/truncated Parquet/),
      }),
    ]);
  });

  it('is found by content in a folder scan, next to a truncated one that fails', () => {
    // The folder holds inv.parquet and inv.ndjson: each gives the scan's findings once.
    const { dir, parquet, first } = writeTables();
    writeFileSync(path.join(dir, 'cut.dat'), readFileSync(parquet).subarray(0, 500));
    const r = runCli(['scan', dir, '-f', 'json']);
    // Findings decide the verdict (fail, exit 1); the cut file is still a failed target in it.
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    expect(findings(report).length).toBe(2 * findings(json(first.stdout)).length);
    expect(report.targets).toContainEqual(
      expect.objectContaining({ id: path.join(dir, 'cut.dat'), status: 'failed' }),
    );
  });

  it('a Parquet file with both magics but a corrupt body is a failed target (exit 3)', () => {
    const { dir, parquet } = writeTables();
    const bytes = Buffer.from(readFileSync(parquet));
    bytes.fill(0x41, 8, bytes.length - 8);
    const bad = path.join(dir, 'bad.parquet');
    writeFileSync(bad, bytes);
    const r = runCli(['scan', bad, '-f', 'json']);
    expect(r.code).toBe(3);
    expect(json(r.stdout).targets[0]).toMatchObject({ status: 'failed' });
  });

  it('without @duckdb/node-api, -o parquet=PATH is a usage error naming the package, before scanning', () => {
    const dir = tempDir();
    const out = path.join(dir, 'inv.parquet');
    const r = runCli(['scan', path.resolve('fixtures/mdm/plain-list.txt'), '-o', `parquet=${out}`], {
      env: withoutDuckdb(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-o parquet=PATH needs the optional package @duckdb\/node-api/);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('without @duckdb/node-api, scanning a Parquet inventory is a failed target (exit 3)', () => {
    const { parquet } = writeTables();
    const r = runCli(['scan', parquet, '-f', 'json'], { env: withoutDuckdb() });
    expect(r.code).toBe(3);
    expect(json(r.stdout).targets).toEqual([
      expect.objectContaining({
        id: parquet,
        status: 'failed',
        error: expect.stringMatching(/optional package @duckdb\/node-api/),
      }),
    ]);
  });

  it('without @duckdb/node-api a Parquet input is a failed target naming the package', async () => {
    const { parquet } = writeTables();
    vi.doMock('@duckdb/node-api', () => {
      throw new Error("Cannot find package '@duckdb/node-api'");
    });
    try {
      const { parquetReader } = await import('../../src/sources/parquet.js');
      const targets = await parquetReader.read(parquet, {
        timeoutMs: 1000,
        tools: { adb: 'adb', ideviceId: 'x', ideviceInfo: 'x', ideviceInstaller: 'x' },
        env: {},
      });
      expect(targets).toHaveLength(1);
      expect(targets[0]).toMatchObject({ status: 'failed' });
      expect(targets[0]?.error).toMatch(/optional package @duckdb\/node-api/);
    } finally {
      vi.doUnmock('@duckdb/node-api');
    }
  });
});
