import { describeError } from '../errors.js';
import type { AppRecord, Diagnostic, TargetResult } from '../model.js';
import {
  apkRecord,
  combineSigning,
  readManifest,
  resolveManifestResources,
  v1SignatureBlocks,
  v1Signers,
} from '../parsers/apk.js';
import {
  type ApkSigner,
  type CentralDirectoryLocation,
  readSigningFromTail,
  type SigningInfo,
} from '../parsers/apk-signing-block.js';
import { ParseError } from '../parsers/types.js';
import {
  dataBeforeFirstEntry,
  duplicateEntryNames,
  findEndOfCentralDirectory,
  inflateEntry,
  LOCAL_HEADER_SIZE,
  localDataOffset,
  MAX_EOCD_SEARCH,
  parseCentralDirectory,
  type ZipEntry,
} from '../parsers/zip.js';
import { verifyApkSignatures } from './apk-verify.js';
import { type ByteReader, openFileByteReader, withCachedRange } from './byte-reader.js';
import type { FileReader, SourceContext } from './types.js';

/**
 * APK files: read the tail (EOCD, central directory, APK Signing Block), then only
 * AndroidManifest.xml, resources.arsc (when the label is a reference) and META-INF signature blocks.
 */

const APK_LIMITS = {
  /** Tail fetched first: the EOCD search window, which usually covers the whole central directory too. */
  initialTail: MAX_EOCD_SEARCH + 1024,
  /** Central directory + signing block together. */
  maxTail: 160 * 1024 * 1024,
  maxEntries: 200_000,
  maxManifest: 16 * 1024 * 1024,
  maxResources: 64 * 1024 * 1024,
  maxSignatureBlock: 4 * 1024 * 1024,
  maxSignatureFiles: 16,
} as const;

export interface ZipDirectory {
  entries: ZipEntry[];
  centralDirectory: CentralDirectoryLocation;
  /** Signing block result: signers, or why it could not be read; undefined when there is none. */
  signingBlock?: SigningInfo;
  signingBlockError?: string;
  /**
   * Declared offsets are this many bytes short of the real ones: they count from the start of the
   * archive, not of the file (data was put in front without adjusting them).
   */
  shift: number;
  /** The bytes read from the end of the file, and where they start. */
  tail: Uint8Array;
  tailOffset: number;
}

/** Read the ZIP central directory (and the APK Signing Block, when present) from the end of the file. */
export async function readZipDirectory(reader: ByteReader): Promise<ZipDirectory> {
  const size = reader.size;
  let tail = await reader.read(
    size - Math.min(size, APK_LIMITS.initialTail),
    Math.min(size, APK_LIMITS.initialTail),
  );
  let result = readSigningFromTail(tail, size);
  for (let round = 0; result.kind === 'need'; round++) {
    const want = result.fromEnd;
    if (round > 4 || want <= tail.length || want > size || want > APK_LIMITS.maxTail) {
      throw new ParseError(`ZIP structures need ${want} bytes from the end of a ${size}-byte file`);
    }
    // Fetch only the missing bytes in front of what we already have.
    const more = await reader.read(size - want, want - tail.length);
    const joined = new Uint8Array(want);
    joined.set(more, 0);
    joined.set(tail, more.length);
    tail = joined;
    result = readSigningFromTail(tail, size);
  }
  let signingBlock: SigningInfo | undefined;
  let signingBlockError: string | undefined;
  if (result.kind === 'invalid') {
    // A broken signing block must not hide the archive: fall back to the bare EOCD.
    const eocd = findEndOfCentralDirectory(tail, size);
    if (eocd.kind !== 'ok') throw new ParseError(result.reason);
    signingBlockError = result.reason;
  } else if (result.kind === 'ok') {
    signingBlock = result.signing;
  }
  const eocdResult = findEndOfCentralDirectory(tail, size);
  if (eocdResult.kind !== 'ok') {
    throw new ParseError(
      eocdResult.kind === 'invalid' ? eocdResult.reason : 'ZIP end of central directory not found',
    );
  }
  const { eocd } = eocdResult;
  if (eocd.cdSize > APK_LIMITS.maxTail)
    throw new ParseError(`central directory of ${eocd.cdSize} bytes is too large`);
  if (eocd.entries > APK_LIMITS.maxEntries) {
    throw new ParseError(
      `ZIP declares ${eocd.entries} entries, more than the limit of ${APK_LIMITS.maxEntries}`,
    );
  }
  const base = size - tail.length;
  const cdBytes =
    eocd.cdOffset >= base
      ? tail.subarray(eocd.cdOffset - base, eocd.cdOffset - base + eocd.cdSize)
      : await reader.read(eocd.cdOffset, eocd.cdSize);
  const entries = parseCentralDirectory(cdBytes, eocd.entries, {
    maxEntries: APK_LIMITS.maxEntries,
    shift: eocd.shift,
  });
  const out: ZipDirectory = {
    entries,
    centralDirectory: { offset: eocd.cdOffset, size: eocd.cdSize, entries: eocd.entries },
    shift: eocd.shift,
    tail,
    tailOffset: base,
  };
  if (signingBlock) out.signingBlock = signingBlock;
  if (signingBlockError) out.signingBlockError = signingBlockError;
  return out;
}

/** Read and uncompress one entry, refusing anything larger than `maxSize` before reading its data. */
export async function readZipEntry(
  reader: ByteReader,
  entry: ZipEntry,
  maxSize: number,
): Promise<Uint8Array> {
  if (entry.size > maxSize) {
    throw new ParseError(`${entry.name} declares ${entry.size} bytes, more than the limit of ${maxSize}`);
  }
  // Deflate never expands data by more than a few bytes per 16 KiB block, so this bounds honest entries.
  if (entry.compressedSize > maxSize + 1024 * 1024) {
    throw new ParseError(`${entry.name} has ${entry.compressedSize} compressed bytes, more than the limit`);
  }
  if (entry.localHeaderOffset + LOCAL_HEADER_SIZE > reader.size)
    throw new ParseError(`${entry.name}: local header past the end of the file`);
  const header = await reader.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE);
  const dataOffset = localDataOffset(header, entry);
  const total = dataOffset + entry.compressedSize;
  if (entry.localHeaderOffset + total > reader.size) throw new ParseError(`${entry.name} is truncated`);
  const rest = await reader.read(entry.localHeaderOffset + LOCAL_HEADER_SIZE, total - LOCAL_HEADER_SIZE);
  const whole = new Uint8Array(total);
  whole.set(header, 0);
  whole.set(rest, LOCAL_HEADER_SIZE);
  return inflateEntry(whole, entry, maxSize);
}

export interface ApkReadResult {
  target: TargetResult;
  /** Bytes actually read from the file. */
  bytesRead: number;
}

const failed = (id: string, error: string, diagnostics: Diagnostic[] = []): TargetResult => ({
  id,
  kind: 'apk',
  status: 'failed',
  error,
  format: 'apk',
  apps: [],
  diagnostics,
});

export interface ApkReadOptions {
  /** Target id; the path by default. */
  targetId?: string;
  /**
   * Verify the v2/v3/v3.1 signatures (reads the whole file) and set `signature` to `valid` or
   * `invalid`; otherwise the signer identity is only extracted and `signature` stays `unverified`.
   */
  verify?: boolean;
}

/**
 * Check the signatures and record the verdict on `app`. JAR (v1) signatures are not verified, so
 * an APK signed only with v1 stays `unverified`.
 */
async function verifyInto(
  reader: ByteReader,
  app: AppRecord,
  directory: ZipDirectory,
  diagnostics: Diagnostic[],
  path: string,
): Promise<void> {
  if (!directory.signingBlock && !directory.signingBlockError) {
    if (app.signingSchemes?.includes('v1')) {
      diagnostics.push({
        level: 'info',
        message:
          'signature not verified: only a v1 (JAR) signature, and JAR signature verification is not implemented',
        path,
      });
    }
    return;
  }
  try {
    const result = await verifyApkSignatures(reader);
    for (const note of result.notes)
      diagnostics.push({ level: 'info', message: `signature check: ${note}`, path });
    if (result.verdict === 'unverified') return;
    app.signature = result.verdict;
    if (result.verdict === 'valid') {
      diagnostics.push({
        level: 'info',
        message: `signature valid: ${result.schemes.join(', ')} verified over ${result.bytesDigested} bytes`,
        path,
      });
    }
    for (const problem of result.problems) {
      diagnostics.push({ level: 'warning', message: `signature invalid: ${problem}`, path });
    }
  } catch (error) {
    if (error instanceof ParseError) {
      app.signature = 'invalid';
      diagnostics.push({ level: 'warning', message: `signature invalid: ${error.message}`, path });
    } else {
      diagnostics.push({ level: 'error', message: `signature not verified: ${describeError(error)}`, path });
    }
  }
}

const DEX_MAGIC = /^dex\n\d{3}\0$/;

const isDexHead = (head: Uint8Array): boolean =>
  head.length >= 8 && DEX_MAGIC.test(Buffer.from(head.subarray(0, 8)).toString('latin1'));

/**
 * Data in front of the archive is read past, as apksigner and Android's ZIP reader do, and said
 * in the record: on Android before 7.0 a DEX there runs instead of the APK's own code (the Janus
 * DEX+APK polyglot, CVE-2017-13156) while the v1 signature still names the original signer.
 */
async function notePrefix(
  reader: ByteReader,
  before: number,
  shift: number,
  app: AppRecord,
  diagnostics: Diagnostic[],
  path: string,
): Promise<void> {
  app.extra = { ...app.extra, dataBeforeArchive: before };
  const dex = isDexHead(await reader.read(0, Math.min(8, before)));
  diagnostics.push({
    level: 'warning',
    message: `dataBeforeArchive: ${before} bytes precede the ZIP archive${
      dex
        ? ' and start with a DEX header (a DEX+APK polyglot, CVE-2017-13156 "Janus": Android before 7.0 runs that DEX)'
        : ''
    }; the APK was read after them, as apksigner reads it${
      shift > 0
        ? `, though its offsets count from the archive, not the file (${shift} bytes short), which apksigner and Android refuse`
        : ''
    }`,
    path,
  });
}

/** Read one APK through `reader`. Never throws for bad content: returns a failed or partial target. */
export async function readApk(
  file: ByteReader,
  path: string,
  options: string | ApkReadOptions = {},
): Promise<TargetResult> {
  const { targetId = path, verify = false } = typeof options === 'string' ? { targetId: options } : options;
  const diagnostics: Diagnostic[] = [];
  let directory: ZipDirectory;
  try {
    directory = await readZipDirectory(file);
  } catch (error) {
    const dex = await file
      .read(0, Math.min(8, file.size))
      .then(isDexHead)
      .catch(() => false);
    const what = dex ? 'a DEX file with no readable APK (ZIP) behind it' : 'not a readable ZIP';
    return failed(targetId, `${what}: ${describeError(error)}`);
  }
  // Small APKs and entries stored near the end are already in memory.
  const reader = withCachedRange(file, directory.tail, directory.tailOffset);
  const byName = new Map<string, ZipEntry>(directory.entries.map((e) => [e.name, e]));
  const manifestEntry = byName.get('AndroidManifest.xml');
  if (!manifestEntry) return failed(targetId, 'not an APK: no AndroidManifest.xml');
  // Android, aapt and apksigner refuse an archive with two entries of one name: which one is
  // "the" manifest (or signature file) would depend on the reader, so no identity is given.
  const duplicates = duplicateEntryNames(directory.entries);
  if (duplicates.length > 0) {
    const shown = duplicates.slice(0, 5).join(', ');
    const more = duplicates.length > 5 ? ` and ${duplicates.length - 5} more` : '';
    return failed(
      targetId,
      `duplicate ZIP entr${duplicates.length === 1 ? 'y' : 'ies'} ${shown}${more}: Android, aapt and apksigner refuse such an APK`,
    );
  }
  let manifest: ReturnType<typeof readManifest>;
  try {
    manifest = readManifest(await readZipEntry(reader, manifestEntry, APK_LIMITS.maxManifest));
  } catch (error) {
    return failed(targetId, `AndroidManifest.xml: ${describeError(error)}`);
  }
  let partial: string | undefined;
  if (manifest.labelRef !== undefined || manifest.versionNameRef !== undefined) {
    const resources = byName.get('resources.arsc');
    if (!resources) {
      diagnostics.push({
        level: 'warning',
        message: 'label is a resource reference but there is no resources.arsc',
        path,
      });
    } else {
      try {
        resolveManifestResources(manifest, await readZipEntry(reader, resources, APK_LIMITS.maxResources));
      } catch (error) {
        diagnostics.push({ level: 'warning', message: `resources.arsc: ${describeError(error)}`, path });
      }
    }
  }

  if (directory.signingBlockError) {
    partial = `APK Signing Block: ${directory.signingBlockError}`;
    diagnostics.push({ level: 'error', message: partial, path });
  }
  const v1: ApkSigner[] = [];
  const blocks = v1SignatureBlocks(directory.entries).slice(0, APK_LIMITS.maxSignatureFiles);
  for (const block of blocks) {
    try {
      const signers = v1Signers(await readZipEntry(reader, block, APK_LIMITS.maxSignatureBlock));
      if (signers.length === 0) {
        diagnostics.push({
          level: 'warning',
          message: `${block.name}: no certificate matches the SignerInfo`,
          path,
        });
      }
      v1.push(...signers);
    } catch (error) {
      diagnostics.push({ level: 'warning', message: `${block.name}: ${describeError(error)}`, path });
    }
  }
  const signing = combineSigning(directory.signingBlock, v1);
  if (signing.signers.length === 0 && !partial) {
    diagnostics.push({ level: 'warning', message: 'APK is not signed: publisher unknown', path });
  }
  const app = apkRecord({ manifest, signing, target: targetId, path });
  const before = dataBeforeFirstEntry(directory.entries);
  if (before > 0) await notePrefix(reader, before, directory.shift, app, diagnostics, path);
  if (verify) await verifyInto(reader, app, directory, diagnostics, path);
  const target: TargetResult = {
    id: targetId,
    kind: 'apk',
    status: partial ? 'partial' : 'scanned',
    format: 'apk',
    apps: [app],
    diagnostics,
  };
  if (partial) target.error = partial;
  return target;
}

/** Read an APK file by path, reporting how many bytes were read. */
export async function readApkFile(path: string, options: ApkReadOptions = {}): Promise<ApkReadResult> {
  let reader: ByteReader;
  try {
    reader = await openFileByteReader(path);
  } catch (error) {
    return { target: failed(path, describeError(error)), bytesRead: 0 };
  }
  try {
    const target = await readApk(reader, path, options);
    return { target, bytesRead: reader.bytesRead };
  } finally {
    await reader.close();
  }
}

/**
 * Attach split APKs to their base: when the base of a package is among the targets, its record
 * gets the split paths and the split targets keep no app of their own (an info note says where it went).
 */
export function attachSplits(targets: TargetResult[]): TargetResult[] {
  const bases = new Map<string, TargetResult['apps'][number]>();
  for (const t of targets) {
    for (const app of t.apps)
      if (app.platform === 'android' && app.extra?.split === undefined) bases.set(app.id, app);
  }
  return targets.map((t) => {
    const keep = t.apps.filter((app) => {
      const base = app.extra?.split !== undefined ? bases.get(app.id) : undefined;
      if (!base) return true;
      base.paths = [...(base.paths ?? []), ...(app.paths ?? [])];
      return false;
    });
    if (keep.length === t.apps.length) return t;
    return {
      ...t,
      apps: keep,
      diagnostics: [
        ...t.diagnostics,
        { level: 'info' as const, message: `split APK attached to its base package ${t.apps[0]?.id ?? ''}` },
      ],
    };
  });
}

/** Read several APK files and attach splits to their bases. */
async function readApkFiles(paths: string[], ctx?: SourceContext): Promise<TargetResult[]> {
  const targets: TargetResult[] = [];
  for (const path of paths) {
    ctx?.onProgress?.({ type: 'target-start', target: path });
    const { target } = await readApkFile(path, { verify: ctx?.verifySignatures === true });
    ctx?.onProgress?.({ type: 'target-end', target: path, apps: target.apps.length });
    targets.push(target);
  }
  return attachSplits(targets);
}

const PK_LOCAL = [0x50, 0x4b, 0x03, 0x04];
const PK_EMPTY = [0x50, 0x4b, 0x05, 0x06];

export const apkReader: FileReader = {
  name: 'apk',
  detect(head: Uint8Array): boolean {
    const starts = (magic: number[]): boolean => magic.every((b, i) => head[i] === b);
    // A DEX header may front an APK (Janus polyglot); the reader then finds the ZIP from its end.
    return starts(PK_LOCAL) || starts(PK_EMPTY) || isDexHead(head);
  },
  read(path: string, ctx: SourceContext): Promise<TargetResult[]> {
    return readApkFiles([path], ctx);
  },
};
