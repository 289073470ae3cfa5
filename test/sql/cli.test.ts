/**
 * `rules compile` and `scan --engine duckdb` through the built binary: the engine's verdict, exit
 * code and findings are the JavaScript engine's, and the printed query runs on DuckDB as is.
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { INVENTORY_COLUMNS } from '../../src/sql/duckdb.js';
import { runCli, tempDir } from '../cli/exec.js';

const NOW = ['--now', '2026-12-06T00:00:00Z'];
const LISTING = 'package:com.tencent.mm\npackage:com.zhiliaoapp.musically\npackage:org.mozilla.firefox\n';

const findingKeys = (json: string): string[] =>
  (JSON.parse(json) as { findings: Array<{ ruleId: string; target: string; app: { id: string } }> }).findings
    .map((f) => `${f.ruleId} ${f.target} ${f.app.id}`)
    .sort();

describe('scan --engine duckdb', () => {
  it('gives the findings, verdict and exit code of the JavaScript engine', () => {
    const dir = tempDir({ 'phone.txt': LISTING });
    const file = path.join(dir, 'phone.txt');
    const js = runCli(['scan', file, '-f', 'json', ...NOW]);
    const db = runCli(['scan', '--engine', 'duckdb', file, '-f', 'json', ...NOW]);
    expect(js.code).toBe(1);
    expect(db.code).toBe(js.code);
    expect(findingKeys(db.stdout)).toEqual(findingKeys(js.stdout));
    expect(findingKeys(db.stdout)).toHaveLength(2);
    // The whole report, matchedOn included, is the same.
    expect(db.stdout).toBe(js.stdout);
  });

  it('keeps an unreadable input incomplete (exit 3)', () => {
    const dir = tempDir({ 'phone.txt': 'package:org.mozilla.firefox\n' });
    const args = [path.join(dir, 'phone.txt'), path.join(dir, 'missing.txt'), ...NOW];
    expect(runCli(['scan', ...args]).code).toBe(3);
    expect(runCli(['scan', '--engine', 'duckdb', ...args]).code).toBe(3);
  });
});

describe('rules compile', () => {
  it('prints DuckDB SQL whose rows are the scan findings', async () => {
    const dir = tempDir({ 'phone.txt': LISTING });
    const table = path.join(dir, 'fleet.ndjson');
    expect(runCli(['scan', path.join(dir, 'phone.txt'), '-o', `ndjson=${table}`, ...NOW]).code).toBe(1);
    const sql = runCli(['rules', 'compile', '--to', 'sql', '--dialect', 'duckdb']);
    expect(sql.code).toBe(0);
    expect(sql.stdout).toMatch(/^WITH apps AS/m);
    expect(sql.stdout).toContain("package = 'com.tencent.mm'");
    // The printed query, unchanged, over the NDJSON table the scan wrote.
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `CREATE VIEW inventory AS SELECT * FROM read_json('${table.replace(/'/g, "''")}', format = 'newline_delimited', columns = ${INVENTORY_COLUMNS})`,
    );
    const rows = (await connection.runAndReadAll(sql.stdout.replace(/;\s*$/, ''))).getRowObjectsJS();
    connection.closeSync();
    expect(rows.map((r) => `${String(r.rule_id)} ${String(r.app_id)}`).sort()).toEqual([
      'ca-gov.tiktok com.zhiliaoapp.musically',
      'ca-gov.wechat com.tencent.mm',
    ]);
  });

  it('refuses a rule Spark cannot run, naming it (exit 2)', () => {
    const r = runCli(['rules', 'compile', '--dialect', 'spark']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rule ca-gov\.[\w.-]+ \(.*\).*spark SQL/);
  });
});
