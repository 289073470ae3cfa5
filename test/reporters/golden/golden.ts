/**
 * Golden files: a report is compared byte for byte with test/reporters/golden/<name>.golden.
 * `UPDATE_GOLDEN=1 npx vitest run test/reporters` rewrites them; review the diff before committing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const DIR = import.meta.dirname;

export const expectGolden = (name: string, actual: string): void => {
  const file = join(DIR, `${name}.golden`);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    writeFileSync(file, actual);
    if (process.env.UPDATE_GOLDEN !== '1')
      throw new Error(`golden file ${file} was missing and has been written; re-run`);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
};
