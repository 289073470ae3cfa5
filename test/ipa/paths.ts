/** Where the shared reference corpus lives (tests skip when it is absent, as in a fresh clone). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const candidates = ['/work/shared', join(process.cwd(), '..', 'shared')];
export const SHARED = candidates.find((dir) => existsSync(join(dir, 'corpus')));
export const corpus = (...parts: string[]): string => join(SHARED ?? '/nonexistent', 'corpus', ...parts);
export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'ipa');
