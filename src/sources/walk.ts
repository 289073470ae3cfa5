/**
 * Walking a folder the user named: every entry it meets is either a file to read, a deliberate
 * skip (an `--exclude` glob, version-control metadata, a path already read) or an error (a
 * folder that cannot be listed, a broken link). Nothing is left out without a word. Symbolic
 * links are followed; a folder or file already seen (by device and inode) is not read twice, which
 * also ends link loops. Hidden files are read like any other.
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { describeError } from '../errors.js';
import type { SkippedInput } from '../model.js';

type WalkItem =
  | { kind: 'file'; path: string }
  | { kind: 'skip'; skip: SkippedInput }
  | { kind: 'error'; path: string; reason: string };

/** Folders no one keeps device data in, skipped by default (and listed as skipped). */
const DEFAULT_EXCLUDED_DIRS: ReadonlyMap<string, string> = new Map([
  ['.git', 'version-control metadata'],
  ['.hg', 'version-control metadata'],
  ['.svn', 'version-control metadata'],
  ['node_modules', 'JavaScript dependencies'],
  ['__MACOSX', 'macOS archive metadata'],
]);

/** Which paths a scan leaves out, from `--exclude` globs (matched against the path below the folder). */
export type ExcludeMatcher = (relativePath: string) => boolean;

/**
 * Globs in the gitignore spirit: a pattern with no `/` matches a name at any depth (`*.md`,
 * `notes`), one with a `/` matches the path below the scanned folder (`old/**`, `a/b.txt`).
 * A folder that matches is not entered.
 */
export const excludeMatcher = (globs: readonly string[]): ExcludeMatcher => {
  if (globs.length === 0) return () => false;
  const options = { dot: true };
  const matchers = globs.map((glob) => {
    const pattern = glob.replace(/^\.\//, '').replace(/\/+$/, '');
    return pattern.includes('/')
      ? picomatch(pattern, options)
      : picomatch(pattern, { ...options, basename: true });
  });
  return (rel) => matchers.some((m) => m(rel));
};

/** Identity of a file or folder, the same through every link and path that reaches it. */
export const identity = (info: Stats): string => `${info.dev}:${info.ino}`;

export interface WalkOptions {
  exclude: ExcludeMatcher;
  /** Identities already read in this scan (shared across inputs): repeats are skipped as duplicates. */
  seen: Set<string>;
  /** Paths below the folder that another reader covers (an Android image's partitions): not walked. */
  covered?: ReadonlySet<string>;
  /** Stop after this many items, so `scan /` cannot exhaust memory. */
  maxItems: number;
}

export interface WalkResult {
  items: WalkItem[];
  truncated: boolean;
}

const KIND_WORDS: Array<[(s: Stats) => boolean, string]> = [
  [(s) => s.isFIFO(), 'a named pipe'],
  [(s) => s.isSocket(), 'a socket'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
];

const whatIs = (info: Stats): string => KIND_WORDS.find(([test]) => test(info))?.[1] ?? 'not a regular file';

const relative = (root: string, full: string): string => path.relative(root, full).split(path.sep).join('/');

const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Walk `root` depth-first in name order. */
export const walkFolder = async (root: string, options: WalkOptions): Promise<WalkResult> => {
  const items: WalkItem[] = [];
  let truncated = false;
  const push = (item: WalkItem): boolean => {
    if (items.length >= options.maxItems) {
      truncated = true;
      return false;
    }
    items.push(item);
    return true;
  };
  try {
    options.seen.add(identity(await stat(root)));
  } catch {
    // The caller stat'ed it a moment ago; if it vanished, listing it reports why.
  }

  const visit = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      push({ kind: 'error', path: dir, reason: `cannot list folder: ${describeError(error)}` });
      return;
    }
    entries.sort(byName);
    for (const entry of entries) {
      if (truncated) return;
      const full = path.join(dir, entry.name);
      const rel = relative(root, full);
      if (options.covered?.has(rel)) continue;
      if (options.exclude(rel)) {
        push({ kind: 'skip', skip: { path: full, reason: 'matches --exclude', kind: 'excluded' } });
        continue;
      }
      const defaultReason = entry.isDirectory() ? DEFAULT_EXCLUDED_DIRS.get(entry.name) : undefined;
      if (defaultReason) {
        push({
          kind: 'skip',
          skip: { path: full, reason: `${defaultReason} (skipped by default)`, kind: 'excluded' },
        });
        continue;
      }
      let info: Stats;
      try {
        // stat follows symbolic links: a link is read as what it points to.
        info = await stat(full);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          entry.isSymbolicLink() && (code === 'ENOENT' || code === 'ELOOP')
            ? `broken symbolic link (${code === 'ELOOP' ? 'loops' : 'target missing'})`
            : `cannot read: ${describeError(error)}`;
        push({ kind: 'error', path: full, reason });
        continue;
      }
      const id = identity(info);
      if (info.isDirectory()) {
        if (options.seen.has(id)) {
          push({
            kind: 'skip',
            skip: {
              path: full,
              reason: entry.isSymbolicLink()
                ? 'symbolic link to a folder already read in this scan'
                : 'folder already read in this scan',
              kind: 'duplicate',
            },
          });
          continue;
        }
        options.seen.add(id);
        await visit(full);
      } else if (info.isFile()) {
        if (options.seen.has(id)) {
          push({
            kind: 'skip',
            skip: { path: full, reason: 'same file already read in this scan', kind: 'duplicate' },
          });
          continue;
        }
        options.seen.add(id);
        push({ kind: 'file', path: full });
      } else {
        push({ kind: 'error', path: full, reason: `${whatIs(info)}; not read` });
      }
    }
  };
  await visit(root);
  return { items, truncated };
};
