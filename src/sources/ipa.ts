/**
 * `.ipa` files: reads the ZIP central directory, then only the entries that matter (Info.plist,
 * embedded.mobileprovision and, when there is no profile, the code signature at the end of the main
 * executable) and hands their bytes to the pure parsers. Every size is bounded before reading, so a
 * ZIP bomb or a lying header costs a clear error, not memory.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { describeError } from '../errors.js';
import type { AppRecord, Diagnostic, TargetResult } from '../model.js';
import {
  buildIpaRecord,
  findApps,
  type IpaEvidence,
  type IpaLayout,
  readBundleInfo,
} from '../parsers/ipa.js';
import {
  type CodeSignature,
  codeSignatureRange,
  loadCommandsExtent,
  MAX_SIGNATURE_SIZE,
  machOSlices,
  parseCodeSignature,
} from '../parsers/macho.js';
import { parseMobileProvision } from '../parsers/mobileprovision.js';
import { ParseError } from '../parsers/types.js';
import {
  duplicateEntryNames,
  findEndOfCentralDirectory,
  inflateEntry,
  LOCAL_HEADER_SIZE,
  localDataOffset,
  MAX_EOCD_SEARCH,
  parseCentralDirectory,
  type ZipEntry,
} from '../parsers/zip.js';
import { type ByteReader, openFileByteReader } from './byte-reader.js';
import type { FileReader, SourceContext } from './types.js';

/** Largest Info.plist or provisioning profile inflated; real ones are a few KB (profiles up to ~100 KB). */
const MAX_METADATA_BYTES = 8 * 1024 * 1024;
/** Largest central directory read (about 100 bytes per entry; big games have ~100k entries). */
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
/**
 * Largest main executable whose code signature is looked for. The signature sits at the end, so the
 * executable is inflated as a stream and discarded up to it: this bounds time, not memory.
 */
const MAX_EXECUTABLE_BYTES = 1024 * 1024 * 1024;
/** Mach-O headers and load commands are read from this much of the slice start at most. */
const MAX_LOAD_COMMANDS_BYTES = 4 * 1024 * 1024;
/** Uncompressed bytes kept behind the stream position for ranges that start a little earlier. */
const RETAIN = MAX_LOAD_COMMANDS_BYTES + 64 * 1024;
/** Compressed bytes fed to the inflater per read. */
const STREAM_CHUNK = 1024 * 1024;

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const PAYLOAD = Buffer.from('Payload/');

const readCentralDirectory = async (reader: ByteReader): Promise<ZipEntry[]> => {
  const { size } = reader;
  let fromEnd = Math.min(size, 64 * 1024);
  for (;;) {
    const tail = await reader.read(size - fromEnd, fromEnd);
    const found = findEndOfCentralDirectory(tail, size);
    if (found.kind === 'invalid') throw new ParseError(`not a readable ZIP: ${found.reason}`);
    if (found.kind === 'need') {
      if (found.fromEnd <= fromEnd || found.fromEnd > Math.min(size, MAX_EOCD_SEARCH + 1024)) {
        throw new ParseError('not a readable ZIP: no end of central directory record');
      }
      fromEnd = found.fromEnd;
      continue;
    }
    const { cdOffset, cdSize, entries, shift } = found.eocd;
    if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
      throw new ParseError(
        `ZIP central directory of ${cdSize} bytes exceeds the limit of ${MAX_CENTRAL_DIRECTORY_BYTES}`,
      );
    }
    const base = size - tail.length;
    const directory =
      cdOffset >= base
        ? tail.subarray(cdOffset - base, cdOffset - base + cdSize)
        : await reader.read(cdOffset, cdSize);
    return parseCentralDirectory(directory, entries, { shift });
  }
};

/** Offset of an entry's data, after checking that its compressed bytes lie inside the file. */
const entryDataOffset = async (reader: ByteReader, entry: ZipEntry): Promise<number> => {
  if (entry.localHeaderOffset + LOCAL_HEADER_SIZE > reader.size) {
    throw new ParseError(`${entry.name}: local header lies past the end of the file`);
  }
  const header = await reader.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE);
  const start = entry.localHeaderOffset + localDataOffset(header, entry);
  if (start + entry.compressedSize > reader.size) {
    throw new ParseError(`${entry.name}: data runs past the end of the file`);
  }
  return start;
};

const readEntry = async (reader: ByteReader, entry: ZipEntry, maxSize: number): Promise<Uint8Array> => {
  if (entry.size > maxSize) {
    throw new ParseError(`${entry.name} declares ${entry.size} bytes, more than the limit of ${maxSize}`);
  }
  // Deflate never expands data by more than a few bytes per 16 KB block beyond stored size.
  if (entry.compressedSize > maxSize + 1024 * 1024) {
    throw new ParseError(`${entry.name} has ${entry.compressedSize} compressed bytes, more than the limit`);
  }
  const dataOffset = await entryDataOffset(reader, entry);
  const headerLength = dataOffset - entry.localHeaderOffset;
  const bytes = await reader.read(entry.localHeaderOffset, headerLength + entry.compressedSize);
  return inflateEntry(bytes, entry, maxSize);
};

/**
 * Sequential access to an entry's uncompressed bytes: ranges must be asked for in increasing order,
 * and everything before a range is inflated and dropped.
 */
interface SequentialEntry {
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): void;
}

const openSequentialEntry = async (reader: ByteReader, entry: ZipEntry): Promise<SequentialEntry> => {
  if (entry.flags & 1) throw new ParseError(`${entry.name} is encrypted`);
  const dataOffset = await entryDataOffset(reader, entry);
  if (entry.method === 0) {
    return {
      read: async (offset, length) => {
        if (offset + length > entry.size)
          throw new ParseError(`${entry.name}: range past the end of the entry`);
        return reader.read(dataOffset + offset, length);
      },
      close: () => {},
    };
  }
  if (entry.method !== 8) {
    throw new ParseError(`${entry.name} uses unsupported compression method ${entry.method}`);
  }
  async function* compressed(): AsyncGenerator<Uint8Array> {
    for (let done = 0; done < entry.compressedSize; done += STREAM_CHUNK) {
      yield await reader.read(dataOffset + done, Math.min(STREAM_CHUNK, entry.compressedSize - done));
    }
  }
  const inflater = createInflateRaw({ chunkSize: 1024 * 1024 });
  const source = Readable.from(compressed());
  // Errors reach the consumer through the inflater's iterator; the pipeline promise itself is not awaited.
  pipeline(source, inflater).catch(() => undefined);
  const chunks = inflater[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Recent output is kept (up to RETAIN bytes behind the newest) so that nearby earlier ranges,
  // such as a fat slice's header right after the fat header, can still be served.
  const retained: { start: number; bytes: Buffer }[] = [];
  let position = 0;
  const next = async (): Promise<boolean> => {
    let result: IteratorResult<Buffer>;
    try {
      result = await chunks.next();
    } catch (error) {
      if (error instanceof ParseError) throw error;
      throw new ParseError(`${entry.name} is not valid deflate data: ${describeError(error)}`);
    }
    if (result.done) return false;
    retained.push({ start: position, bytes: result.value });
    position += result.value.length;
    if (position > entry.size) {
      throw new ParseError(`${entry.name} inflates to more than its declared ${entry.size} bytes`);
    }
    return true;
  };
  return {
    read: async (offset, length) => {
      if (offset + length > entry.size)
        throw new ParseError(`${entry.name}: range past the end of the entry`);
      const oldest = retained[0]?.start ?? position;
      if (offset < oldest) throw new ParseError(`${entry.name}: byte ${offset} was already passed`);
      while (position < offset + length) {
        // Drop output that neither this read nor a later nearby one can need.
        const keepFrom = Math.min(offset, position - RETAIN);
        while (
          retained.length > 0 &&
          (retained[0]?.start ?? 0) + (retained[0]?.bytes.length ?? 0) <= keepFrom
        ) {
          retained.shift();
        }
        if (!(await next())) throw new ParseError(`${entry.name} ends before byte ${offset + length}`);
      }
      const out = Buffer.alloc(length);
      for (const { start, bytes } of retained) {
        const from = Math.max(offset, start);
        const to = Math.min(offset + length, start + bytes.length);
        if (from < to) bytes.copy(out, from - offset, from - start, to - start);
      }
      return out;
    },
    close: () => {
      source.destroy();
      inflater.destroy();
    },
  };
};

/** The first signed slice's code signature, read without holding the executable in memory. */
const readExecutableSignature = async (
  reader: ByteReader,
  entry: ZipEntry,
): Promise<CodeSignature | undefined> => {
  if (entry.size > MAX_EXECUTABLE_BYTES) {
    throw new ParseError(
      `${entry.name} is ${entry.size} bytes, more than the ${MAX_EXECUTABLE_BYTES} read for a code signature`,
    );
  }
  const stream = await openSequentialEntry(reader, entry);
  try {
    const head = await stream.read(0, Math.min(entry.size, 4096));
    const slice = machOSlices(head, entry.size)[0];
    if (slice === undefined) return undefined;
    const sliceHead = slice.offset === 0 ? head : await stream.read(slice.offset, Math.min(slice.size, 4096));
    const headerBytes = Math.min(slice.size, loadCommandsExtent(sliceHead));
    if (headerBytes > MAX_LOAD_COMMANDS_BYTES) {
      throw new ParseError(`${entry.name}: load commands of ${headerBytes} bytes exceed the limit`);
    }
    const commands =
      headerBytes <= sliceHead.length ? sliceHead : await stream.read(slice.offset, headerBytes);
    const range = codeSignatureRange(commands, slice.size);
    if (range === undefined || range.size > MAX_SIGNATURE_SIZE) return undefined;
    const blob = await stream.read(slice.offset + range.offset, range.size);
    return parseCodeSignature(blob);
  } finally {
    stream.close();
  }
};

const failed = (file: string, error: string): TargetResult => ({
  id: file,
  kind: 'ipa',
  status: 'failed',
  format: 'ipa',
  error,
  apps: [],
  diagnostics: [],
});

const messageOf = (error: unknown): string => describeError(error);

/** Reads one IPA into one target (one record per app). Never throws: unreadable content becomes a failed target. */
export const readIpa = async (file: string, ctx?: SourceContext): Promise<TargetResult> => {
  ctx?.onProgress?.({ type: 'target-start', target: file });
  const result = await readIpaTarget(file, ctx);
  ctx?.onProgress?.({ type: 'target-end', target: file, apps: result.apps.length });
  return result;
};

const readIpaTarget = async (file: string, ctx?: SourceContext): Promise<TargetResult> => {
  let reader: ByteReader;
  try {
    reader = await openFileByteReader(file, MAX_CENTRAL_DIRECTORY_BYTES + MAX_METADATA_BYTES);
  } catch (error) {
    return failed(file, `cannot read: ${messageOf(error)}`);
  }
  try {
    return await readIpaFrom(reader, file, ctx);
  } finally {
    await reader.close().catch(() => undefined);
  }
};

/** One app of the archive read: its record, or why it could not be. */
type AppRead =
  | { kind: 'read'; app: AppRecord; diagnostics: Diagnostic[]; partial?: string }
  | { kind: 'failed'; error: string };

const readApp = async (
  reader: ByteReader,
  id: string,
  layout: IpaLayout,
  byName: Map<string, ZipEntry>,
  duplicates: Set<string>,
): Promise<AppRead> => {
  // Two entries of one name make the app's identity depend on which one a reader takes.
  const entry = (name: string): ZipEntry | undefined => {
    if (duplicates.has(name)) throw new ParseError(`duplicate ZIP entry ${name}`);
    return byName.get(name);
  };
  let infoEntry: ZipEntry | undefined;
  try {
    infoEntry = entry(layout.infoPlist);
  } catch (error) {
    return { kind: 'failed', error: messageOf(error) };
  }
  if (infoEntry === undefined) return { kind: 'failed', error: `IPA entry ${layout.infoPlist} is missing` };
  let info: IpaEvidence['info'];
  try {
    info = readBundleInfo(await readEntry(reader, infoEntry, MAX_METADATA_BYTES));
  } catch (error) {
    return { kind: 'failed', error: `${layout.infoPlist}: ${messageOf(error)}` };
  }
  const diagnostics: Diagnostic[] = [];
  let partial: string | undefined;
  const evidence: IpaEvidence = { layout, info };
  try {
    const profileEntry = layout.provision === undefined ? undefined : entry(layout.provision);
    if (profileEntry !== undefined) {
      evidence.profile = parseMobileProvision(await readEntry(reader, profileEntry, MAX_METADATA_BYTES));
    }
  } catch (error) {
    partial = `${layout.provision}: ${messageOf(error)}`;
    diagnostics.push({ level: 'warning', message: partial, path: layout.provision ?? layout.appDir });
  }
  if (evidence.profile?.teamId === undefined && info.executable !== undefined) {
    const name = `${layout.appDir}/${info.executable}`;
    try {
      const executable = entry(name);
      if (executable === undefined) {
        diagnostics.push({
          level: 'warning',
          message: `main executable ${info.executable} is missing`,
          path: layout.appDir,
        });
      } else {
        const signature = await readExecutableSignature(reader, executable);
        if (signature !== undefined) {
          evidence.signature = signature;
          if (signature.cmsError !== undefined) {
            diagnostics.push({
              level: 'info',
              message: `code signature CMS: ${signature.cmsError}`,
              path: executable.name,
            });
          }
          // A recovered team id means the profile problem no longer hides the publisher.
          if (signature.teamId !== undefined) partial = undefined;
        } else {
          diagnostics.push({ level: 'info', message: 'main executable is not code-signed', path: name });
        }
      }
    } catch (error) {
      const message = `${name}: ${messageOf(error)}`;
      partial ??= message;
      diagnostics.push({ level: 'warning', message, path: name });
    }
  }
  const { app, diagnostics: more } = buildIpaRecord(evidence, { target: id, path: id });
  diagnostics.push(...more);
  return partial === undefined
    ? { kind: 'read', app, diagnostics }
    : { kind: 'read', app, diagnostics, partial };
};

/**
 * Reads an IPA from any byte source (a file, bytes in memory, a device) into one target named `id`,
 * with one record per app of the archive. An app that cannot be read leaves the target partial
 * (failed when no app could be read). Never throws for bad content.
 */
const readIpaFrom = async (reader: ByteReader, id: string, ctx?: SourceContext): Promise<TargetResult> => {
  try {
    const entries = await readCentralDirectory(reader);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    const duplicates = new Set(duplicateEntryNames(entries));
    const layouts = findApps(entries.map((entry) => entry.name));
    if (layouts.length === 0) return failed(id, 'IPA has no Payload/<Name>.app/Info.plist');
    const apps: AppRecord[] = [];
    const diagnostics: Diagnostic[] = [];
    const problems: string[] = [];
    for (const layout of layouts) {
      const read = await readApp(reader, id, layout, byName, duplicates);
      if (read.kind === 'failed') {
        problems.push(layouts.length > 1 ? `${layout.appDir}: ${read.error}` : read.error);
        if (layouts.length > 1)
          diagnostics.push({ level: 'error', message: read.error, path: layout.appDir });
        continue;
      }
      apps.push(read.app);
      diagnostics.push(...read.diagnostics);
      if (read.partial !== undefined) {
        problems.push(
          `publisher unknown${layouts.length > 1 ? ` for ${layout.appDir}` : ''}: ${read.partial}`,
        );
      }
    }
    if (apps.length === 0) return { ...failed(id, problems.join('; ')), diagnostics };
    if (layouts.length > 1) {
      diagnostics.push({
        level: 'info',
        message: `archive holds ${layouts.length} apps: ${layouts.map((l) => l.appDir).join(', ')}`,
        path: id,
      });
    }
    ctx?.onProgress?.({ type: 'apps', target: id, count: apps.length });
    const result: TargetResult = {
      id,
      kind: 'ipa',
      status: problems.length === 0 ? 'scanned' : 'partial',
      format: 'ipa',
      apps,
      diagnostics,
    };
    if (problems.length > 0) result.error = problems.join('; ');
    return result;
  } catch (error) {
    return failed(id, messageOf(error));
  }
};

const startsWith = (head: Uint8Array, magic: number[]): boolean => magic.every((byte, i) => head[i] === byte);

/** Claims ZIPs whose first entries live under `Payload/`, or ZIPs named `.ipa`. */
export const ipaReader: FileReader = {
  name: 'ipa',
  detect: (head, path) =>
    startsWith(head, ZIP_MAGIC) && (Buffer.from(head).includes(PAYLOAD) || /\.ipa$/i.test(path)),
  read: async (path, ctx) => [await readIpa(path, ctx)],
};
