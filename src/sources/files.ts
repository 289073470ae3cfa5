/**
 * Paths given on the command line: files are sniffed by content and handed to the reader that claims
 * them; folders are either a known layout (an Android image) or searched with fast-glob for files
 * any reader claims. One bad file becomes one failed target and never hides the others.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { describeError } from '../errors.js';
import { failedTarget, type TargetResult } from '../model.js';
import type { PackedTargetFindings } from '../target-findings.js';
import { fallbackTextReader, takesBytes } from './listing.js';
import type { ListingPool, PooledTarget } from './listing-pool.js';
import type { FileReader, FolderReader, SourceContext } from './types.js';

const HEAD_BYTES = 4096;
/**
 * The first read takes this much, so a file no bigger (a saved listing, typically a few dozen KB)
 * is read once, whole, instead of sniffed and then opened again by its reader.
 */
const FIRST_READ_BYTES = 64 * 1024;
/** Folder scans stop collecting after this many files, with a diagnostic; protects against `scan /`. */
export const MAX_FOLDER_FILES = 100_000;

interface FirstRead {
  /** The first HEAD_BYTES, for the readers' detect(). */
  head: Uint8Array;
  /** The whole file, when it fitted in the first read. */
  whole?: Uint8Array;
}

/**
 * One small synchronous read: for the many-small-files case (a folder of saved listings) the
 * promise-based open/read/close round trips cost more than the reads themselves, and a 64 KiB
 * read blocks the event loop for microseconds.
 */
const readFirst = async (file: string): Promise<FirstRead> => {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);
    const bytesRead = readSync(fd, buffer, 0, FIRST_READ_BYTES, 0);
    const bytes = buffer.subarray(0, bytesRead);
    const head = bytes.subarray(0, HEAD_BYTES);
    // Only regular files get here, where a short read means end of file.
    return bytesRead < FIRST_READ_BYTES ? { head, whole: bytes } : { head };
  } finally {
    closeSync(fd);
  }
};

export interface FileRegistry {
  files: FileReader[];
  folders: FolderReader[];
}

/** Run a reader, turning any exception into a failed target that names the file (grype callMatcherSafely). */
const safeRead = async (
  reader: FileReader,
  file: string,
  ctx: SourceContext,
  whole?: Uint8Array,
): Promise<TargetResult[]> => {
  try {
    if (whole !== undefined && takesBytes(reader)) return reader.readBytes(whole, file);
    return await reader.read(file, ctx);
  } catch (error) {
    return [failedTarget(file, 'listing', `${reader.name} reader failed: ${describeError(error)}`)];
  }
};

const pickReader = (registry: FileRegistry, head: Uint8Array, file: string): FileReader | undefined =>
  registry.files.find((r) => {
    try {
      return r.detect(head, file);
    } catch {
      return false;
    }
  });

/** Read one file the user named explicitly: unrecognised content is an error, not a skip. */
export const readFileInput = async (
  file: string,
  registry: FileRegistry,
  ctx: SourceContext,
): Promise<TargetResult[]> => {
  let first: FirstRead;
  try {
    first = await readFirst(file);
  } catch (error) {
    return [failedTarget(file, 'listing', `cannot read: ${describeError(error)}`)];
  }
  const { head, whole } = first;
  const reader =
    pickReader(registry, head, file) ??
    (fallbackTextReader.detect(head, file) ? fallbackTextReader : undefined);
  const unrecognised = () => [
    failedTarget(
      file,
      'listing',
      'not a recognised device listing, inventory, APK, IPA, backup Info.plist or packages.xml',
    ),
  ];
  if (!reader) return unrecognised();
  const targets = await safeRead(reader, file, ctx, whole);
  // A reader that looked closer and found the file is not its kind returns nothing.
  return targets.length > 0 ? targets : unrecognised();
};

/** `checked`: the target was already checked against the rules (in a listing worker). */
export type Emit = (target: TargetResult, checked?: PackedTargetFindings) => void;

/** Read files a few at a time: I/O overlaps, and memory stays bounded by the window, not the folder. */
const FOLDER_CONCURRENCY = 8;
/** Files in flight per worker: enough to keep each busy while the main thread takes results. */
const POOLED_PER_WORKER = 16;

export type FolderFileRead =
  /** No reader claims the file. */
  | { kind: 'skip' }
  /** The claiming reader is not one `accept` allows. */
  | { kind: 'declined' }
  /** `started`: a reader claimed the file (a file that cannot be read at all is not started). */
  | { kind: 'read'; started: boolean; targets: TargetResult[] };

/**
 * Read one file found in a folder. `accept` limits the readers that may run (a listing worker
 * runs only the ones that take bytes); `onStart` is called once a reader claims the file.
 */
export const readFolderFile = async (
  file: string,
  registry: FileRegistry,
  ctx: SourceContext,
  accept?: (reader: FileReader) => boolean,
  onStart?: () => void,
): Promise<FolderFileRead> => {
  let first: FirstRead;
  try {
    first = await readFirst(file);
  } catch (error) {
    return {
      kind: 'read',
      started: false,
      targets: [failedTarget(file, 'listing', `cannot read: ${describeError(error)}`)],
    };
  }
  const reader = pickReader(registry, first.head, file);
  if (!reader) return { kind: 'skip' };
  if (accept && !accept(reader)) return { kind: 'declined' };
  onStart?.();
  return { kind: 'read', started: true, targets: await safeRead(reader, file, ctx, first.whole) };
};

/** Something that can read a big folder's listings elsewhere (worker threads). */
export interface FolderOffload {
  /** A pool for a folder of `files` files, or undefined to read it in this thread. */
  poolFor(files: number): ListingPool | undefined;
}

interface FolderItem {
  /** Set when the target-start event is still to be reported (the file was read elsewhere). */
  startLater?: string;
  targets: PooledTarget[];
}

/** Files the main thread reads ahead of the results it hands on, at most. */
const MAIN_AHEAD = 64;
/** The main thread checks for worker messages after this many files of its own. */
const YIELD_EVERY = 4;

/**
 * Files in order through the workers and the main thread together. Workers that are up always
 * have POOLED_PER_WORKER files each in hand; while the next result in file order is not back, the
 * main thread reads the next file itself, so neither side waits for the other. Results are handed
 * on in file order.
 */
const readWithPool = async (
  files: string[],
  pool: ListingPool,
  pooled: (file: string, pool: ListingPool) => Promise<FolderItem | undefined>,
  here: (file: string) => Promise<FolderItem | undefined>,
  consume: (item: FolderItem | undefined) => void,
): Promise<void> => {
  const cap = POOLED_PER_WORKER * pool.size;
  const limit = MAIN_AHEAD;
  const window: Array<{ settled: boolean; item: Promise<FolderItem | undefined> }> = [];
  const track = (item: Promise<FolderItem | undefined>) => {
    const entry = { settled: false, item };
    void item.then(() => {
      entry.settled = true;
    });
    return entry;
  };
  let next = 0;
  let readHere = 0;
  for (;;) {
    // Workers get files even when the main thread has read far ahead, so they never run dry.
    while (window.length < limit + cap && next < files.length && pool.ready && pool.pending < cap) {
      window.push(track(pooled(files[next++]!, pool)));
    }
    const head = window[0];
    if (head === undefined && next >= files.length) return;
    if ((head === undefined || !head.settled) && window.length < limit && next < files.length) {
      const entry = track(here(files[next++]!));
      window.push(entry);
      await entry.item;
      // Reading here never waits on I/O: let the workers' messages in now and then.
      if (++readHere % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    if (head === undefined) continue;
    window.shift();
    consume(await head.item);
  }
};

export const readFolderInput = async (
  dir: string,
  registry: FileRegistry,
  ctx: SourceContext,
  emit: Emit,
  offload?: FolderOffload,
): Promise<void> => {
  for (const folder of registry.folders) {
    let claims = false;
    try {
      claims = await folder.detect(dir);
    } catch {
      claims = false;
    }
    if (claims) {
      try {
        for (const t of await folder.read(dir, ctx)) emit(t);
      } catch (error) {
        emit(failedTarget(dir, 'image', `${folder.name} reader failed: ${describeError(error)}`));
      }
      return;
    }
  }
  let files: string[];
  try {
    files = await fg('**/*', {
      cwd: dir,
      onlyFiles: true,
      followSymbolicLinks: false,
      dot: false,
      suppressErrors: true,
      ignore: ['**/node_modules/**', '**/.git/**', '**/__MACOSX/**'],
    });
  } catch (error) {
    emit(failedTarget(dir, 'listing', `cannot list folder: ${describeError(error)}`));
    return;
  }
  files.sort();
  const truncated = files.length > MAX_FOLDER_FILES;
  if (truncated) files = files.slice(0, MAX_FOLDER_FILES);
  let emitted = 0;
  let skipped = 0;
  let first: TargetResult | undefined;
  const here = (t: TargetResult): PooledTarget => ({ target: t, appsRead: t.apps.length });
  const readHere = async (file: string): Promise<FolderItem | undefined> => {
    const read = await readFolderFile(file, registry, ctx, undefined, () =>
      ctx.onProgress?.({ type: 'target-start', target: file }),
    );
    return read.kind === 'read' ? { targets: read.targets.map(here) } : undefined;
  };
  const pool = offload?.poolFor(files.length);
  const readPooled = async (file: string, pool: ListingPool): Promise<FolderItem | undefined> => {
    const reply = await pool.read(file);
    if (reply.kind === 'main') return readHere(file);
    if (reply.kind === 'skip') return undefined;
    return reply.started ? { startLater: file, targets: reply.targets } : { targets: reply.targets };
  };
  const consume = (item: FolderItem | undefined): void => {
    if (!item || item.targets.length === 0) {
      skipped++;
      return;
    }
    if (item.startLater !== undefined) ctx.onProgress?.({ type: 'target-start', target: item.startLater });
    for (const { target: t, appsRead, checked } of item.targets) {
      first ??= t;
      ctx.onProgress?.({ type: 'target-end', target: t.id, apps: appsRead });
      emitted++;
      emit(t, checked);
    }
  };
  if (pool)
    await readWithPool(
      files.map((rel) => path.join(dir, rel)),
      pool,
      readPooled,
      readHere,
      consume,
    );
  else {
    // A sliding window keeps output in file order while reads overlap.
    const window: Array<Promise<FolderItem | undefined>> = [];
    let next = 0;
    const fill = () => {
      while (window.length < FOLDER_CONCURRENCY && next < files.length) {
        window.push(readHere(path.join(dir, files[next++]!)));
      }
    };
    fill();
    while (window.length > 0) {
      const item = await window.shift()!;
      fill();
      consume(item);
    }
  }
  if (emitted === 0) {
    emit(
      failedTarget(
        dir,
        'listing',
        files.length === 0
          ? 'folder is empty'
          : `no device listings or app files found among ${files.length} file${files.length === 1 ? '' : 's'}`,
      ),
    );
    return;
  }
  if (truncated) {
    emit({
      ...failedTarget(dir, 'listing', `only the first ${MAX_FOLDER_FILES} files of ${dir} were read`),
      status: 'partial',
    });
  }
  // The folder's note rides on its first target (still the same object the scan will report).
  if (skipped > 0 && first) {
    first.diagnostics.push({
      level: 'info',
      message: `${skipped} unrecognised file(s) in ${dir} were skipped`,
    });
  }
};

/** Read a file or folder the user named, handing each target to `emit` as soon as it is read. */
export const readPathInput = async (
  input: string,
  registry: FileRegistry,
  ctx: SourceContext,
  emit: Emit,
  offload?: FolderOffload,
): Promise<void> => {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    emit(
      failedTarget(input, 'listing', code === 'ENOENT' ? 'no such file or directory' : describeError(error)),
    );
    return;
  }
  if (info.isDirectory()) return readFolderInput(input, registry, ctx, emit, offload);
  if (!info.isFile()) {
    emit(failedTarget(input, 'listing', 'not a regular file or folder'));
    return;
  }
  ctx.onProgress?.({ type: 'target-start', target: input });
  for (const t of await readFileInput(input, registry, ctx)) {
    ctx.onProgress?.({ type: 'target-end', target: t.id, apps: t.apps.length });
    emit(t);
  }
};
