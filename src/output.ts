/**
 * Writing reports to the paths given with `-o`. A regular file is replaced atomically (temp file
 * beside it, then rename), so readers never see half a report. Anything else (/dev/stdout, a FIFO,
 * /dev/null, a terminal) is written in place: renaming over it would replace the device or pipe
 * with a regular file and the report would silently go nowhere. Symlinks are followed: the rename
 * happens at the link's target, so the link stays a link. Every write error is reported.
 */
import {
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import path from 'node:path';
import { AppwardenError, describeError } from './errors.js';
import { trackTemp } from './interrupt.js';

/** Links followed before giving up, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

interface Resolved {
  /** Absolute path after following symlinks (the file itself may not exist yet). */
  final: string;
  /** A /proc magic link (/dev/stdout → /proc/self/fd/1) was crossed: the target is an open file, not a name. */
  viaProc: boolean;
  /** Stats of the final file, following links; undefined when it does not exist. */
  stats?: Stats;
}

const errnoCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** Follow `file`'s symlink chain by hand, so a dangling link still names where the report goes. */
const resolve = (file: string): Resolved => {
  let current = path.resolve(file);
  const viaProc = false;
  for (let i = 0; i < MAX_LINKS; i++) {
    let target: string;
    try {
      target = readlinkSync(current);
    } catch (error) {
      // EINVAL: not a link; ENOENT: nothing there yet. Either way this is the end of the chain.
      if (errnoCode(error) !== 'EINVAL' && errnoCode(error) !== 'ENOENT') break;
      return { final: realDir(current), viaProc, ...statOf(current) };
    }
    if (current.startsWith('/proc/')) {
      // /proc/<pid>/fd/N names an open file (possibly a pipe with no path): use it as it is.
      return { final: current, viaProc: true, ...statOf(current) };
    }
    current = path.resolve(path.dirname(current), target);
  }
  return { final: current, viaProc, ...statOf(current) };
};

const statOf = (file: string): { stats?: Stats } => {
  try {
    return { stats: statSync(file) };
  } catch {
    return {};
  }
};

/** Resolve symlinked folders on the way, so two spellings of one file compare equal. */
const realDir = (file: string): string => {
  try {
    return path.join(realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    return file;
  }
};

const sameFile = (a: Stats | undefined, b: Stats | undefined): boolean =>
  a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;

const fdStats = (fd: number): Stats | undefined => {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
};

const nullDevice = (): Stats | undefined => statOf('/dev/null').stats;

/** What the CLI needs to know about an output path before the scan starts. */
export interface OutputTarget {
  /** The path as given. */
  path: string;
  /** Identity for duplicate checks: device+inode when it exists, else the resolved path. */
  key: string;
  /**
   * The path is this process's standard output (1) or error (2): /dev/stdout, /dev/fd/2, or the
   * very file the shell redirected to. The CLI writes such reports through the stream, because
   * reopening /proc/self/fd/1 fails for a socket and would reorder output on a pipe.
   */
  stream?: 1 | 2;
  /** /dev/null: writing to it twice loses nothing, so it is never a duplicate. */
  discards: boolean;
}

const STREAM_NAMES: Record<string, 1 | 2> = {
  '/dev/stdout': 1,
  '/dev/fd/1': 1,
  '/proc/self/fd/1': 1,
  '/dev/stderr': 2,
  '/dev/fd/2': 2,
  '/proc/self/fd/2': 2,
};

export const inspectOutput = (file: string): OutputTarget => {
  const r = resolve(file);
  const discards = sameFile(r.stats, nullDevice());
  const out = fdStats(1);
  const err = fdStats(2);
  // When stdout and stderr are one file (a terminal, 2>&1), only the name says which was meant.
  let stream = STREAM_NAMES[path.resolve(file)];
  if (stream === undefined && !sameFile(out, err)) {
    if (sameFile(r.stats, out)) stream = 1;
    else if (sameFile(r.stats, err)) stream = 2;
  }
  return {
    path: file,
    key: r.stats ? `inode:${r.stats.dev}:${r.stats.ino}` : `path:${r.final}`,
    ...(stream !== undefined && !discards ? { stream } : {}),
    discards,
  };
};

/** The first path given twice (after resolving links and aliases), if any. */
export const findDuplicateOutput = (targets: readonly OutputTarget[]): [string, string] | undefined => {
  const seen = new Map<string, string>();
  for (const t of targets) {
    if (t.discards) continue;
    const earlier = seen.get(t.key);
    if (earlier !== undefined) return [earlier, t.path];
    seen.set(t.key, t.path);
  }
  return undefined;
};

/**
 * Write `content` to `file`: atomically over (or as) a regular file, in place into anything else.
 * Throws OUTPUT_FAILED naming the path on any error (ENOSPC, EACCES, EISDIR, a FIFO's reader gone).
 */
export async function writeReport(file: string, content: string): Promise<void> {
  try {
    const r = resolve(file);
    if (r.stats?.isDirectory()) throw new Error('it is a folder');
    // In place means in place: a report written over a disk would destroy it.
    if (r.stats?.isBlockDevice()) throw new Error('it is a block device (a disk): refusing to write onto it');
    const openFile = r.viaProc || sameFile(r.stats, fdStats(1)) || sameFile(r.stats, fdStats(2));
    if (r.stats && (!r.stats.isFile() || openFile)) {
      await writeInPlace(r.viaProc ? r.final : file, content, r.stats);
    } else {
      await writeAtomic(r.final, content);
    }
  } catch (error) {
    throw new AppwardenError('OUTPUT_FAILED', `cannot write ${file}: ${describeError(error)}`);
  }
}

async function writeInPlace(file: string, content: string, stats: Stats): Promise<void> {
  if (stats.isFIFO()) return writeFifo(file, content);
  // Appending to a regular file that is also our stdout keeps what was already written there.
  const handle = await open(file, stats.isFile() ? 'a' : 'w');
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/** How often to look for a FIFO's reader: waiting for one is what writing to a FIFO means. */
const FIFO_POLL_MS = 100;

/**
 * A FIFO is opened non-blocking and written through the event loop: a blocking open() or write()
 * would park a libuv thread until a reader comes, and then not even Ctrl-C could end the process
 * (exit waits for that thread).
 */
async function writeFifo(file: string, content: string): Promise<void> {
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      // ENXIO: nobody has the FIFO open for reading yet.
      if (errnoCode(error) !== 'ENXIO') throw error;
      await new Promise((resolve) => setTimeout(resolve, FIFO_POLL_MS));
    }
  }
  const socket = new Socket({ fd, readable: false, writable: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.end(content, () => resolve());
  }).finally(() => socket.destroy());
}

/**
 * A binary report (Parquet) made by `write` at a temp path beside `file`, then renamed over it. Only
 * a regular file (or a new one) can take it: binary never goes to a terminal, pipe or device.
 * Errors other than the writer's own usage errors (a missing optional package) are OUTPUT_FAILED.
 */
export async function writeReportWith(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  try {
    const r = resolve(file);
    if (r.stats?.isDirectory()) throw new Error('it is a folder');
    if (r.stats && !r.stats.isFile()) throw new Error('this binary format is written to regular files only');
    await writeAtomic(r.final, write);
  } catch (error) {
    if (error instanceof AppwardenError && error.code === 'USAGE') throw error;
    throw new AppwardenError('OUTPUT_FAILED', `cannot write ${file}: ${describeError(error)}`);
  }
}

async function writeAtomic(file: string, content: string | ((tmp: string) => Promise<void>)): Promise<void> {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const forget = trackTemp(tmp);
  try {
    if (typeof content === 'string') await writeFile(tmp, content);
    else await content(tmp);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  } finally {
    forget();
  }
}
