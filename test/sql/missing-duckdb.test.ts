/**
 * Without the optional @duckdb/node-api, `--engine duckdb` is a usage error (exit 2) that says
 * what to install, not a crash.
 */
import { describe, expect, it, vi } from 'vitest';
import { isAppwardenError } from '../../src/errors.js';

vi.doMock('@duckdb/node-api', () => {
  throw new Error("Cannot find package '@duckdb/node-api'");
});

describe('--engine duckdb without @duckdb/node-api', () => {
  it('is a usage error naming the package', async () => {
    const { DuckdbRunner } = await import('../../src/sql/duckdb.js');
    const error = await DuckdbRunner.create().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppwardenError(error) && error.code).toBe('USAGE');
    expect(String((error as Error).message)).toMatch(/optional package @duckdb\/node-api/);
  });
});
