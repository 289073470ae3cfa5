/** Where the shared reference corpus lives (tests skip when it is absent outside CI; CI requires it). */
import { join } from 'node:path';
import { hasShared, SHARED_DIR } from '../shared.js';

export const SHARED = hasShared('corpus') ? SHARED_DIR : undefined;
export const corpus = (...parts: string[]): string => join(SHARED ?? '/nonexistent', 'corpus', ...parts);
export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'ipa');
