/**
 * The one place tests find the shared reference folder: `../shared` beside the repository root.
 * Outside CI a missing folder skips the tests that need it; under `CI=true` it is an error, so a
 * CI run can never pass by silently skipping the real-data tests.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DIR = path.resolve(repoRoot, '..', 'shared');

const inCi = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

/** True when `../shared/<parts>` exists; under CI a missing path throws instead of returning false. */
export const hasShared = (...parts: string[]): boolean => {
  const p = path.join(SHARED_DIR, ...parts);
  if (existsSync(p)) return true;
  if (inCi())
    throw new Error(`reference data missing under CI: ${p} (expected ../shared beside the repository)`);
  return false;
};

/** Path of `../shared/<parts>` (whether or not it exists; guard with hasShared). */
export const sharedPath = (...parts: string[]): string => path.join(SHARED_DIR, ...parts);
