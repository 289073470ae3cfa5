/**
 * Parquet inventory tables (docs/inventory-table.md), detected by content: `PAR1` at the start and,
 * checked when read, at the end. Read through DuckDB, an optional dependency loaded only here, into
 * the NDJSON table's rows, which the NDJSON table reader turns into targets.
 */
import { open, stat } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { failedTarget } from '../model.js';
import { MAX_LISTING_BYTES, readListingBytes } from './listing.js';
import type { FileReader } from './types.js';

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

const startsWithMagic = (bytes: Uint8Array): boolean => MAGIC.every((b, i) => bytes[i] === b);

export const parquetReader: FileReader = {
  name: 'parquet',
  detect: (head) => head.length >= MAGIC.length && startsWithMagic(head),
  read: async (path) => {
    const size = (await stat(path)).size;
    // A file cut short (an interrupted copy) has no footer: say so rather than an engine error.
    const tail = Buffer.alloc(MAGIC.length);
    if (size >= 2 * MAGIC.length) {
      const handle = await open(path, 'r');
      try {
        await handle.read(tail, 0, MAGIC.length, size - MAGIC.length);
      } finally {
        await handle.close();
      }
    }
    if (size < 2 * MAGIC.length + 4 || !startsWithMagic(tail)) {
      return [failedTarget(path, 'inventory', 'truncated Parquet file: no PAR1 footer at the end')];
    }
    // Its rows as NDJSON are bigger still, and would be refused after DuckDB read them all.
    if (size > MAX_LISTING_BYTES) {
      return [
        failedTarget(
          path,
          'inventory',
          `Parquet file is ${size} bytes; inventories larger than ${MAX_LISTING_BYTES} are refused`,
        ),
      ];
    }
    let ndjson: string;
    try {
      // Loaded here, not at start-up: src/sql pulls in the DuckDB engine and the rule compiler.
      const { readParquetAsNdjson } = await import('../sql/parquet.js');
      ndjson = await readParquetAsNdjson(path);
    } catch (error) {
      return [failedTarget(path, 'inventory', `cannot read Parquet inventory: ${describeError(error)}`)];
    }
    if (ndjson === '') return [failedTarget(path, 'inventory', 'Parquet inventory holds no rows')];
    return readListingBytes(Buffer.from(ndjson), path, path, 'listing');
  },
};
