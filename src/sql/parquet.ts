/**
 * The inventory table as Parquet (docs/inventory-table.md), through embedded DuckDB: `-o
 * parquet=PATH` writes the NDJSON table's rows with fixed column types, and `scan` reads a Parquet
 * inventory back as the same rows, which the NDJSON table reader turns into targets. Parquet is
 * binary, so it never goes to standard output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_COLUMNS, TARGET_COLUMNS, TARGET_ONLY_COLUMNS } from '../parsers/mdm/table.js';
import { loadDuckdb } from './duckdb.js';

/** Non-text column types; every other column is VARCHAR, so DuckDB never guesses a type from the data. */
const TYPED: Record<string, string> = {
  device_sdk: 'BIGINT',
  user: 'BIGINT',
  system: 'BOOLEAN',
  enabled: 'BOOLEAN',
  cert_sha256: 'VARCHAR[]',
  cert_sha1: 'VARCHAR[]',
  cert_md5: 'VARCHAR[]',
  cert_lineage: 'VARCHAR[]',
  origin_line: 'BIGINT',
  app_count: 'BIGINT',
  // Kept as JSON text: its objects round-trip exactly, whatever fields a profile gains later.
  profiles: 'JSON',
};

/** Every column of the table, skipped rows' own columns last, in the NDJSON's order. */
const PARQUET_COLUMNS = [
  ...TARGET_COLUMNS,
  ...APP_COLUMNS,
  ...TARGET_ONLY_COLUMNS,
  'path',
  'skip_kind',
  'reason',
] as const;

const columnsSql = (): string =>
  `{${PARQUET_COLUMNS.map((c) => `"${c}": '${TYPED[c] ?? 'VARCHAR'}'`).join(', ')}}`;

const quote = (path: string): string => `'${path.replace(/'/g, "''")}'`;

const withDuckdb = async <T>(
  purpose: string,
  use: (connection: import('@duckdb/node-api').DuckDBConnection) => Promise<T>,
): Promise<T> => {
  const duckdb = await loadDuckdb(purpose);
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

/** Writes the NDJSON inventory table `ndjson` as a Parquet file at `outPath` (a path DuckDB may create). */
export async function writeParquet(ndjson: string, outPath: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'appwarden-parquet-'));
  try {
    const source = join(dir, 'inventory.ndjson');
    // An empty scan still writes a table with every column (and no rows).
    writeFileSync(source, ndjson === '' ? '' : ndjson);
    await withDuckdb('-o parquet=PATH', (c) =>
      c.run(
        `COPY (SELECT * FROM read_json(${quote(source)}, format = 'newline_delimited', columns = ${columnsSql()})) TO ${quote(outPath)} (FORMAT parquet)`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Parquet inventory's rows as NDJSON text, one JSON object per row in file order. */
export async function readParquetAsNdjson(path: string): Promise<string> {
  return withDuckdb('reading a Parquet inventory', async (c) => {
    const reader = await c.runAndReadAll(
      `SELECT to_json(t)::VARCHAR AS j FROM read_parquet(${quote(path)}) t`,
    );
    const lines = reader.getRowObjectsJS().map((r) => String(r.j));
    return lines.length > 0 ? `${lines.join('\n')}\n` : '';
  });
}
