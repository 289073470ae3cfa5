/**
 * Paths given on the command line: files are sniffed by content and handed to the reader that claims
 * them; folders are walked (walk.ts) and every file in them is read the same way, after any known
 * layout (an Android image) has read its part. Every file met is a target (read, or failed with the
 * reason) or a listed skip; one bad file never hides the others.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { MAX_DOCUMENT_BYTES } from '../limits.js';
import { failedTarget, type SkippedInput, type TargetResult } from '../model.js';
import { isReportWithoutInventory, looksLikeInventory } from '../parsers/inventory.js';
import { notAppData } from '../parsers/not-app-data.js';
import type { PackedTargetFindings } from '../target-findings.js';
import { fallbackTextReader, listingBoundsProblem, takesBytes } from './listing.js';
import type { ListingPool, PooledTarget } from './listing-pool.js';
import type { FileReader, FolderReader, SourceContext } from './types.js';
import { type ExcludeMatcher, identity, walkFolder } from './walk.js';

const HEAD_BYTES = 4096;
/**
 * The first read takes this much, so a file no bigger (a saved listing, typically a few dozen KB)
 * is read once, whole, instead of sniffed and then opened again by its reader.
 */
const FIRST_READ_BYTES = 64 * 1024;
/** Folder scans stop collecting after this many files, with a diagnostic; protects against `scan /`. */
const MAX_FOLDER_FILES = 100_000;

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

/** `checked`: the target was already checked against the rules (in a listing worker). */
export type Emit = (target: TargetResult, checked?: PackedTargetFindings) => void;

/** Read files a few at a time: I/O overlaps, and memory stays bounded by the window, not the folder. */
const FOLDER_CONCURRENCY = 8;
/** Files in flight per worker: enough to keep each busy while the main thread takes results. */
const POOLED_PER_WORKER = 16;

export type FolderFileRead =
  /** Content known to hold no apps (a picture, an appwarden report without inventory). */
  | { kind: 'skip'; skip: SkippedInput }
  /** The claiming reader is not one `accept` allows. */
  | { kind: 'declined' }
  /** `started`: a reader claimed the file (a file that cannot be read at all is not started). */
  | { kind: 'read'; started: boolean; targets: TargetResult[] };

const UNRECOGNISED =
  'not a recognised device listing, inventory, APK, IPA, backup Info.plist or packages.xml';

/** Reads the rest of a file whose first read was not all of it (only appwarden reports need this). */
const readWhole = async (file: string, first: FirstRead): Promise<Uint8Array> => {
  if (first.whole) return first.whole;
  // Sized before reading: the listing reader refuses bigger files with a clear error (src/limits.ts).
  if ((await stat(file)).size > MAX_DOCUMENT_BYTES) throw new Error('too large to check as a report');
  return new Uint8Array(await readFile(file));
};

/**
 * Read one file, named by the user or met in a folder: the same rules either way, so a file is
 * never read in one place and dropped in the other. Every outcome is a target (read, or failed
 * with the reason) or a skip of content known to hold no apps. `accept` limits the readers that
 * may run (a listing worker runs only the ones that take bytes); `onStart` is called once a
 * reader claims the file.
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
  if (first.head.length === 0) {
    return { kind: 'read', started: false, targets: [failedTarget(file, 'listing', 'empty file')] };
  }
  const headText = Buffer.from(first.head).toString('utf8');
  if (looksLikeInventory(headText)) {
    try {
      const whole = await readWhole(file, first);
      const text = Buffer.from(whole).toString('utf8');
      // Bounded before JSON.parse: the listing reader then refuses it with the reason.
      if (listingBoundsProblem(text) === undefined && isReportWithoutInventory(text)) {
        return {
          kind: 'skip',
          skip: {
            path: file,
            reason: 'an appwarden report without inventory (write it with --include-inventory to rescan it)',
            kind: 'not-app-data',
          },
        };
      }
    } catch {
      // The reader below reports what is wrong with it.
    }
  }
  const reader =
    pickReader(registry, first.head, file) ??
    (fallbackTextReader.detect(first.head, file) ? fallbackTextReader : undefined);
  if (!reader) {
    const what = notAppData(first.head);
    if (what) return { kind: 'skip', skip: { path: file, reason: what, kind: 'not-app-data' } };
    return {
      kind: 'read',
      started: false,
      targets: [failedTarget(file, 'listing', `unrecognised binary content: ${UNRECOGNISED}`)],
    };
  }
  if (accept && !accept(reader)) return { kind: 'declined' };
  onStart?.();
  const targets = await safeRead(reader, file, ctx, first.whole);
  // A reader that looked closer and found the file is not its kind returns nothing.
  return {
    kind: 'read',
    started: true,
    targets: targets.length > 0 ? targets : [failedTarget(file, 'listing', UNRECOGNISED)],
  };
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
  /** Set when the file was skipped as holding no apps. */
  skip?: SkippedInput;
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
  pooled: (file: string, pool: ListingPool) => Promise<FolderItem>,
  here: (file: string) => Promise<FolderItem>,
  consume: (item: FolderItem) => void,
): Promise<void> => {
  const cap = POOLED_PER_WORKER * pool.size;
  const limit = MAIN_AHEAD;
  const window: Array<{ settled: boolean; item: Promise<FolderItem> }> = [];
  const track = (item: Promise<FolderItem>) => {
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

/** Where a path input's outcomes go: targets as they are read, and what was deliberately skipped. */
export interface Sink {
  target: Emit;
  skip: (skipped: SkippedInput) => void;
}

/** Settings and state shared by every path input of one scan. */
export interface PathReadOptions {
  exclude: ExcludeMatcher;
  /** Files and folders already read (device:inode), so nothing is read twice. */
  seen: Set<string>;
}

/** Folder readers (an Android image) that claim `dir`, with the paths below it they cover. */
const readKnownLayout = async (
  dir: string,
  registry: FileRegistry,
  ctx: SourceContext,
  sink: Sink,
): Promise<Set<string> | undefined> => {
  const emit = sink.target;
  for (const folder of registry.folders) {
    let claims = false;
    try {
      claims = await folder.detect(dir);
    } catch {
      claims = false;
    }
    if (!claims) continue;
    try {
      for (const t of await folder.read(dir, ctx)) emit(t);
    } catch (error) {
      emit(failedTarget(dir, 'image', `${folder.name} reader failed: ${describeError(error)}`));
    }
    try {
      for (const skipped of (await folder.skips?.(dir)) ?? []) sink.skip(skipped);
    } catch {
      // Listing what it skipped is a courtesy; the files are covered either way.
    }
    // Without a list of what it covers, the reader is taken to have read the whole folder.
    return new Set(folder.covers ? await folder.covers(dir) : ['']);
  }
  return undefined;
};

const readFolderInput = async (
  dir: string,
  registry: FileRegistry,
  ctx: SourceContext,
  sink: Sink,
  options: PathReadOptions,
  offload?: FolderOffload,
): Promise<void> => {
  const emit = sink.target;
  // An image folder is one target; the rest of the folder (listings saved beside it) is still read.
  const covered = await readKnownLayout(dir, registry, ctx, sink);
  if (covered?.has('')) return;
  const walked = await walkFolder(dir, {
    exclude: options.exclude,
    seen: options.seen,
    maxItems: MAX_FOLDER_FILES,
    ...(covered ? { covered } : {}),
  });
  const files: string[] = [];
  let emitted = 0;
  for (const item of walked.items) {
    if (item.kind === 'file') files.push(item.path);
    else if (item.kind === 'skip') sink.skip(item.skip);
    else {
      emitted++;
      emit(failedTarget(item.path, 'listing', item.reason));
    }
  }
  const truncated = walked.truncated;
  const here = (t: TargetResult): PooledTarget => ({ target: t, appsRead: t.apps.length });
  const readHere = async (file: string): Promise<FolderItem> => {
    const read = await readFolderFile(file, registry, ctx, undefined, () =>
      ctx.onProgress?.({ type: 'target-start', target: file }),
    );
    return read.kind === 'read'
      ? { targets: read.targets.map(here) }
      : read.kind === 'skip'
        ? { targets: [], skip: read.skip }
        : { targets: [] };
  };
  const pool = offload?.poolFor(files.length);
  const readPooled = async (file: string, pool: ListingPool): Promise<FolderItem> => {
    const reply = await pool.read(file);
    if (reply.kind === 'main') return readHere(file);
    if (reply.kind === 'skip') return { targets: [], skip: reply.skip };
    return reply.started ? { startLater: file, targets: reply.targets } : { targets: reply.targets };
  };
  const consume = (item: FolderItem): void => {
    if (item.skip) sink.skip(item.skip);
    if (item.startLater !== undefined) ctx.onProgress?.({ type: 'target-start', target: item.startLater });
    for (const { target: t, appsRead, checked } of item.targets) {
      ctx.onProgress?.({ type: 'target-end', target: t.id, apps: appsRead });
      emitted++;
      emit(t, checked);
    }
  };
  if (pool) await readWithPool(files, pool, readPooled, readHere, consume);
  else {
    // A sliding window keeps output in file order while reads overlap.
    const window: Array<Promise<FolderItem>> = [];
    let next = 0;
    const fill = () => {
      while (window.length < FOLDER_CONCURRENCY && next < files.length) {
        window.push(readHere(files[next++]!));
      }
    };
    fill();
    while (window.length > 0) {
      const item = await window.shift()!;
      fill();
      consume(item);
    }
  }
  if (truncated) {
    emit({
      ...failedTarget(dir, 'listing', `only the first ${MAX_FOLDER_FILES} entries of ${dir} were read`),
      status: 'partial',
    });
  } else if (emitted === 0 && !covered) {
    // Nothing to read at all: a folder with no device data is not a clean one.
    emit(
      failedTarget(dir, 'listing', walked.items.length === 0 ? 'folder is empty' : 'no files read in folder'),
    );
  }
};

/** Read a file or folder the user named, handing each target to the sink as soon as it is read. */
export const readPathInput = async (
  input: string,
  registry: FileRegistry,
  ctx: SourceContext,
  sink: Sink,
  options: PathReadOptions,
  offload?: FolderOffload,
): Promise<void> => {
  const emit = sink.target;
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
  const id = identity(info);
  if (options.seen.has(id)) {
    sink.skip({ path: input, reason: 'already read in this scan (given twice)', kind: 'duplicate' });
    return;
  }
  if (info.isDirectory()) return readFolderInput(input, registry, ctx, sink, options, offload);
  options.seen.add(id);
  if (!info.isFile()) {
    emit(failedTarget(input, 'listing', 'not a regular file or folder'));
    return;
  }
  ctx.onProgress?.({ type: 'target-start', target: input });
  const read = await readFolderFile(input, registry, ctx);
  if (read.kind === 'skip') {
    sink.skip(read.skip);
    return;
  }
  if (read.kind !== 'read') return;
  for (const t of read.targets) {
    ctx.onProgress?.({ type: 'target-end', target: t.id, apps: t.apps.length });
    emit(t);
  }
};
