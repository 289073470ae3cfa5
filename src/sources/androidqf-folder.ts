/**
 * An androidqf acquisition folder (mvt-project/androidqf: `packages.json`, `getprop.txt`,
 * `dumpsys.txt` and the other modules' files) is one phone: one target whose apps come from
 * packages.json (with the certificates androidqf read), completed by any app only dumpsys lists,
 * with the device facts from getprop. The acquisition's other files hold no app inventory and are
 * listed as skipped by name; `apks/` (APKs androidqf pulled) is left to the folder scan.
 * File names follow androidqf's modules (github.com/mvt-project/androidqf, modules/*.go).
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { MAX_DOCUMENT_BYTES } from '../limits.js';
import type { AppRecord, SkippedInput, TargetResult } from '../model.js';
import { looksLikeAndroidqfPackages } from '../parsers/androidqf.js';
import { readListingBytes } from './listing.js';
import type { FolderReader } from './types.js';

/** Files androidqf writes that hold no app inventory, with what they are. */
const OTHER_FILES: ReadonlyMap<string, string> = new Map([
  ['acquisition.json', 'androidqf acquisition details'],
  ['command.log', 'androidqf command log'],
  ['hashes.csv', 'androidqf file hashes'],
  ['selinux.txt', 'androidqf SELinux status'],
  ['settings_global.txt', 'androidqf device settings'],
  ['settings_secure.txt', 'androidqf device settings'],
  ['settings_system.txt', 'androidqf device settings'],
  ['env.txt', 'androidqf shell environment'],
  ['logcat.txt', 'androidqf system log'],
  ['logs', 'androidqf copied log files'],
  ['processes.txt', 'androidqf process list'],
  ['processes.json', 'androidqf process list'],
  ['services.txt', 'androidqf service list'],
  ['root_binaries.json', 'androidqf root binary check'],
  ['files.json', 'androidqf file list'],
  ['mounts.json', 'androidqf mount list'],
  ['mounts.txt', 'androidqf mount list'],
  ['backup.ab', 'androidqf SMS backup'],
  ['bugreport.zip', 'androidqf bug report (its package list is the dumpsys.txt read here)'],
]);

const READ_FILES = ['packages.json', 'getprop.txt', 'dumpsys.txt'] as const;

const exists = async (file: string): Promise<boolean> => {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
};

const detect = async (dir: string): Promise<boolean> => {
  const packages = path.join(dir, 'packages.json');
  if (!(await exists(packages))) return false;
  if (!(await exists(path.join(dir, 'getprop.txt'))) && !(await exists(path.join(dir, 'acquisition.json'))))
    return false;
  try {
    // Only the head decides; the whole file is read (size-checked) when the folder is read.
    const handle = await open(packages, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
      return looksLikeAndroidqfPackages(buffer.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
};

const readOne = async (file: string): Promise<TargetResult | undefined> => {
  if (!(await exists(file))) return undefined;
  try {
    // Checked before reading: a file past the one-listing limit is refused without holding it.
    const size = (await stat(file)).size;
    if (size > MAX_DOCUMENT_BYTES) {
      throw new Error(
        `${size} bytes, over the ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MB limit for one listing (src/limits.ts)`,
      );
    }
    return readListingBytes(await readFile(file), file, file, 'listing')[0];
  } catch (error) {
    return {
      id: file,
      kind: 'listing',
      status: 'failed',
      error: `cannot read: ${describeError(error)}`,
      apps: [],
      diagnostics: [],
    };
  }
};

const appKey = (app: AppRecord): string => `${app.id}\u0000${app.user ?? 0}`;

const read = async (dir: string): Promise<TargetResult[]> => {
  const [packages, getprop, dumpsys] = await Promise.all(READ_FILES.map((f) => readOne(path.join(dir, f))));
  const target: TargetResult = {
    id: dir,
    kind: 'listing',
    status: 'scanned',
    format: 'androidqf',
    apps: [],
    diagnostics: [],
  };
  const problems: string[] = [];
  const parts: Array<[string, TargetResult | undefined]> = [
    ['packages.json', packages],
    ['getprop.txt', getprop],
    ['dumpsys.txt', dumpsys],
  ];
  for (const [name, part] of parts) {
    if (!part) continue;
    target.diagnostics.push(...part.diagnostics);
    if (part.status !== 'scanned') problems.push(`${name}: ${part.error ?? part.status}`);
  }
  if (packages?.status !== 'failed') target.apps.push(...(packages?.apps ?? []));
  // dumpsys lists every package too: add the ones packages.json lacks, so a truncated
  // packages.json cannot hide an app the phone has.
  if (dumpsys && dumpsys.status !== 'failed') {
    const have = new Set(target.apps.map(appKey));
    let added = 0;
    for (const app of dumpsys.apps) {
      if (have.has(appKey(app))) continue;
      have.add(appKey(app));
      target.apps.push(app);
      added++;
    }
    if (added > 0 && target.apps.length > added) {
      target.diagnostics.push({
        level: 'warning',
        message: `${added} app(s) listed by dumpsys.txt are missing from packages.json`,
      });
    }
    if (dumpsys.profiles) target.profiles = dumpsys.profiles;
  }
  const device = { ...(dumpsys?.device ?? {}), ...(packages?.device ?? {}), ...(getprop?.device ?? {}) };
  if (Object.keys(device).length > 0) target.device = { platform: 'android', ...device };
  if (!packages) problems.push('packages.json is missing');
  if (problems.length > 0) {
    target.status = target.apps.length > 0 ? 'partial' : 'failed';
    target.error = problems.join('; ');
  }
  return [target];
};

const covers = async (dir: string): Promise<string[]> => {
  const names = [...READ_FILES, ...OTHER_FILES.keys()];
  const present = await Promise.all(
    names.map(async (n) => ((await exists(path.join(dir, n))) ? n : undefined)),
  );
  return present.filter((n): n is string => n !== undefined);
};

const skips = async (dir: string): Promise<SkippedInput[]> => {
  const out: SkippedInput[] = [];
  for (const [name, what] of OTHER_FILES) {
    if (await exists(path.join(dir, name))) {
      out.push({ path: path.join(dir, name), reason: `${what}: no app inventory`, kind: 'not-app-data' });
    }
  }
  return out;
};

export const androidqfFolderReader: FolderReader = { name: 'androidqf', detect, read, covers, skips };
