import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (...parts: string[]): string => path.join(repoRoot, 'fixtures', ...parts);

/** A file or folder of the shared reference corpus, when this checkout sits beside it. */
export const shared = (...parts: string[]): string | undefined =>
  [path.join('/work/shared', ...parts), path.resolve(repoRoot, '..', 'shared', ...parts)].find((p) =>
    existsSync(p),
  );
