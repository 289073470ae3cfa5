/**
 * Signing certificates of APKs on a phone, read with a fixed number of adb round-trips: one pass
 * over every base APK's tail, at most two more for APKs whose signing block lies further back,
 * and one for v1-only APKs' META-INF signature blocks. Parsing is the shared pure readers'.
 */
import { combineSigning, v1SignatureBlocks, v1Signers } from '../parsers/apk.js';
import { type ApkSigner, readSigningFromTail, type SigningInfo } from '../parsers/apk-signing-block.js';
import { ParseError } from '../parsers/types.js';
import {
  inflateEntry,
  LOCAL_HEADER_SIZE,
  localDataOffset,
  parseCentralDirectory,
  type ZipEntry,
} from '../parsers/zip.js';
import {
  commandBudget,
  type FileChunk,
  rangesScript,
  splitChunks,
  tailsFromListingScript,
  tailsScript,
} from './adb-script.js';

/** Tail size when `od` cannot size the read exactly (no od, odd ZIP): covers most small APKs. */
const DEFAULT_TAIL = 64 * 1024;
/** No legitimate signing block plus central directory comes near this; hostile sizes stop here. */
const MAX_TAIL = 96 * 1024 * 1024;
const MAX_V1_BLOCK = 1024 * 1024;
const NEED_PASSES = 2;

export type CertOutcome =
  | { kind: 'ok'; signing: SigningInfo }
  | { kind: 'unsigned' }
  | { kind: 'unreadable'; reason: string };

/** Runs one script on the device and returns its raw stdout, or a reason it failed. */
export type ExecOut = (
  script: string,
) => Promise<{ ok: true; data: Uint8Array } | { ok: false; reason: string }>;

export interface CertReadResult {
  byPath: Map<string, CertOutcome>;
  /** Set when a round-trip failed: the certificates of the remaining APKs are unknown. */
  failure?: string;
}

interface Pending {
  size: number;
  tail?: Uint8Array;
  v1Entries?: ZipEntry[];
  blockSigning?: SigningInfo;
  v1Blocks?: ZipEntry[];
}

/** Read the certificates of `paths` (base APKs), listing them on-device from `users`' package lists. */
export async function readCertificates(
  paths: readonly string[],
  users: readonly number[],
  sdk: number | undefined,
  marker: string,
  execOut: ExecOut,
): Promise<CertReadResult> {
  const byPath = new Map<string, CertOutcome>();
  const wanted = new Set(paths);
  const pending = new Map<string, Pending>();
  const budget = commandBudget(sdk);

  const absorbTails = (chunks: FileChunk[], bad: string[]): { path: string; count: number }[] => {
    const again: { path: string; count: number }[] = [];
    for (const path of bad)
      if (wanted.has(path)) byPath.set(path, { kind: 'unreadable', reason: 'APK bytes arrived incomplete' });
    for (const chunk of chunks) {
      if (!wanted.has(chunk.path) || chunk.kind !== 'file') continue;
      if (chunk.a < 0) {
        byPath.set(chunk.path, { kind: 'unreadable', reason: 'the shell user cannot read the APK' });
        continue;
      }
      const next = interpretTail(chunk.path, chunk.a, chunk.bytes, byPath, pending);
      if (next !== undefined) again.push({ path: chunk.path, count: next });
    }
    return again;
  };

  // Pass 1: the device lists its own APK paths, so the command does not grow with the app count.
  const first = await execOut(tailsFromListingScript(marker, [...users], DEFAULT_TAIL));
  if (!first.ok) return { byPath, failure: first.reason };
  const split = splitChunks(first.data, marker);
  let again = absorbTails(split.chunks, split.bad);
  for (const path of wanted) {
    if (!byPath.has(path) && !pending.has(path) && !again.some((a) => a.path === path)) {
      again.push({ path, count: DEFAULT_TAIL });
    }
  }

  for (let pass = 0; pass < NEED_PASSES + 1 && again.length > 0; pass++) {
    const current = again;
    again = [];
    for (const batch of batches(current, (w) => w.path.length + 16, budget)) {
      const res = await execOut(tailsScript(marker, batch));
      if (!res.ok) return { byPath, failure: res.reason };
      const s = splitChunks(res.data, marker);
      again.push(...absorbTails(s.chunks, s.bad));
    }
  }
  for (const a of again)
    byPath.set(a.path, {
      kind: 'unreadable',
      reason: 'signing block still out of reach after several reads',
    });

  // v1-only APKs: fetch each signature block entry (local header + data) with dd.
  let ranges = v1Ranges(pending);
  for (let pass = 0; pass < 2 && ranges.length > 0; pass++) {
    const got = new Map<string, Map<number, Uint8Array>>();
    for (const batch of batches(ranges, (r) => r.path.length + 32, budget)) {
      const res = await execOut(rangesScript(marker, batch));
      if (!res.ok) return { byPath, failure: res.reason };
      for (const c of splitChunks(res.data, marker).chunks) {
        if (c.kind !== 'range') continue;
        const perPath = got.get(c.path) ?? new Map<number, Uint8Array>();
        perPath.set(c.a, c.bytes);
        got.set(c.path, perPath);
      }
    }
    ranges = finishV1(pending, got, byPath);
  }
  for (const path of pending.keys()) {
    if (!byPath.has(path))
      byPath.set(path, { kind: 'unreadable', reason: 'v1 signature blocks could not be fetched' });
  }
  // Whatever the device's answers left out is named, never silently certificate-less.
  for (const path of wanted) {
    if (!byPath.has(path))
      byPath.set(path, { kind: 'unreadable', reason: 'the device sent nothing for this APK' });
  }
  return { byPath };
}

function interpretTail(
  path: string,
  size: number,
  tail: Uint8Array,
  byPath: Map<string, CertOutcome>,
  pending: Map<string, Pending>,
): number | undefined {
  let result: ReturnType<typeof readSigningFromTail>;
  try {
    result = readSigningFromTail(tail, size);
  } catch (error) {
    byPath.set(path, { kind: 'unreadable', reason: reasonOf(error) });
    return undefined;
  }
  if (result.kind === 'invalid') {
    byPath.set(path, { kind: 'unreadable', reason: result.reason });
    return undefined;
  }
  if (result.kind === 'need') {
    if (result.fromEnd > MAX_TAIL || result.fromEnd <= tail.length) {
      byPath.set(path, {
        kind: 'unreadable',
        reason: `signing data lies ${result.fromEnd} bytes from the end`,
      });
      return undefined;
    }
    return Math.min(result.fromEnd, size);
  }
  const cd = result.centralDirectory;
  const base = size - tail.length;
  if (cd.offset < base) {
    if (result.kind === 'ok') {
      byPath.set(path, { kind: 'ok', signing: result.signing });
      return undefined;
    }
    return size - cd.offset;
  }
  let entries: ZipEntry[];
  try {
    entries = parseCentralDirectory(tail.subarray(cd.offset - base, cd.offset - base + cd.size), cd.entries);
  } catch (error) {
    if (result.kind === 'ok') byPath.set(path, { kind: 'ok', signing: result.signing });
    else byPath.set(path, { kind: 'unreadable', reason: reasonOf(error) });
    return undefined;
  }
  const blocks = v1SignatureBlocks(entries);
  if (result.kind === 'ok') {
    // v2+ wins; v1 only needs to show up in the scheme list, which the central directory tells.
    const signing = blocks.length > 0 ? withV1Scheme(result.signing) : result.signing;
    byPath.set(path, { kind: 'ok', signing });
    return undefined;
  }
  if (blocks.length === 0) {
    byPath.set(path, { kind: 'unsigned' });
    return undefined;
  }
  pending.set(path, { size, v1Blocks: blocks });
  return undefined;
}

const withV1Scheme = (signing: SigningInfo): SigningInfo =>
  signing.schemes.includes('v1') ? signing : { ...signing, schemes: ['v1', ...signing.schemes] };

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

function v1Ranges(pending: Map<string, Pending>): { path: string; offset: number; count: number }[] {
  const out: { path: string; offset: number; count: number }[] = [];
  for (const [path, p] of pending) {
    for (const e of p.v1Blocks ?? []) {
      if (e.compressedSize > MAX_V1_BLOCK) continue;
      const count = Math.min(
        LOCAL_HEADER_SIZE + utf8Length(e.name) + 1024 + e.compressedSize,
        p.size - e.localHeaderOffset,
      );
      out.push({ path, offset: e.localHeaderOffset, count });
    }
  }
  return out;
}

/** Turn fetched ranges into signers; returns the ranges that need a longer read. */
function finishV1(
  pending: Map<string, Pending>,
  got: Map<string, Map<number, Uint8Array>>,
  byPath: Map<string, CertOutcome>,
): { path: string; offset: number; count: number }[] {
  const retry: { path: string; offset: number; count: number }[] = [];
  for (const [path, p] of pending) {
    const fetched = got.get(path);
    if (!fetched) continue;
    const signers: ApkSigner[] = [];
    let problem: string | undefined;
    const remaining: ZipEntry[] = [];
    for (const e of p.v1Blocks ?? []) {
      const bytes = fetched.get(e.localHeaderOffset);
      if (!bytes) {
        remaining.push(e);
        continue;
      }
      try {
        const dataStart = localDataOffset(bytes, e);
        if (dataStart + e.compressedSize > bytes.length) {
          retry.push({ path, offset: e.localHeaderOffset, count: dataStart + e.compressedSize });
          remaining.push(e);
          continue;
        }
        signers.push(...v1Signers(inflateEntry(bytes, e, MAX_V1_BLOCK)));
      } catch (error) {
        problem = reasonOf(error);
      }
    }
    if (remaining.length > 0) {
      p.v1Blocks = remaining;
      continue;
    }
    pending.delete(path);
    if (signers.length === 0 && problem) byPath.set(path, { kind: 'unreadable', reason: problem });
    else byPath.set(path, conclude(p.blockSigning, signers));
  }
  return retry;
}

function conclude(block: SigningInfo | undefined, v1: ApkSigner[]): CertOutcome {
  const signing = combineSigning(block, v1);
  return signing.signers.length > 0 ? { kind: 'ok', signing } : { kind: 'unsigned' };
}

const reasonOf = (error: unknown): string =>
  error instanceof ParseError || error instanceof Error ? error.message : String(error);

/** Split items into groups whose summed cost stays under the command budget. */
function batches<T>(items: readonly T[], cost: (item: T) => number, budget: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let used = 512;
  for (const item of items) {
    const c = cost(item);
    if (current.length > 0 && used + c > budget) {
      out.push(current);
      current = [];
      used = 512;
    }
    current.push(item);
    used += c;
  }
  if (current.length > 0) out.push(current);
  return out;
}
