import {
  CHUNK_SIZE,
  ChunkedDigester,
  type ContentDigestAlgorithm,
  eocdForDigest,
  type SigningVerification,
  signingBlockExtent,
  verifySigningBlock,
} from '../parsers/apk-verify.js';
import { ParseError } from '../parsers/types.js';
import { findEndOfCentralDirectory, MAX_EOCD_SEARCH } from '../parsers/zip.js';
import type { ByteReader } from './byte-reader.js';

/**
 * Verify an APK's v2/v3/v3.1 signatures by streaming the whole file through `reader`, 1 MiB at a
 * time: memory stays at a few MiB whatever the size, time is one pass over the file plus one
 * public-key check per signer. Signatures are checked before the file is read, so a bad signature
 * costs no full read.
 */

export interface ApkVerification extends SigningVerification {
  /** Bytes hashed for the content digest (the whole file when the signatures verified). */
  bytesDigested: number;
}

/** Reads this many 1 MiB chunks at a time: fewer reads, same chunk boundaries. */
const READ_CHUNKS = 4;

async function digestRange(
  reader: ByteReader,
  digester: ChunkedDigester,
  start: number,
  end: number,
): Promise<number> {
  for (let at = start; at < end; ) {
    const length = Math.min(CHUNK_SIZE * READ_CHUNKS, end - at);
    const bytes = await reader.read(at, length);
    for (let i = 0; i < bytes.length; i += CHUNK_SIZE) digester.chunk(bytes.subarray(i, i + CHUNK_SIZE));
    at += length;
  }
  return end - start;
}

/**
 * Verify the APK behind `reader`. Returns verdict `unverified` (with a note) when there is no
 * signing block; throws ParseError when the ZIP or the signing block is malformed or truncated.
 */
export async function verifyApkSignatures(reader: ByteReader): Promise<ApkVerification> {
  const size = reader.size;
  const tailLength = Math.min(size, MAX_EOCD_SEARCH);
  const found = findEndOfCentralDirectory(await reader.read(size - tailLength, tailLength), size);
  if (found.kind !== 'ok') {
    throw new ParseError(found.kind === 'invalid' ? found.reason : 'ZIP end of central directory not found');
  }
  const { eocd } = found;
  const none = (note: string): ApkVerification => ({
    verdict: 'unverified',
    schemes: [],
    problems: [],
    notes: [note],
    digested: [],
    bytesDigested: 0,
  });
  if (eocd.cdOffset < 32) return none('no APK Signing Block');
  const extent = signingBlockExtent(await reader.read(eocd.cdOffset - 24, 24), eocd.cdOffset);
  if (!extent) return none('no APK Signing Block');
  if (eocd.zip64) {
    // apksig and Android refuse ZIP64 APKs outright, so no v2+ signature can hold.
    return {
      ...none('ZIP64 archive'),
      verdict: 'invalid',
      problems: ['ZIP64 APKs cannot carry a v2+ signature'],
    };
  }
  const block = await reader.read(extent.offset, extent.length);
  let bytesDigested = 0;
  const result = await verifySigningBlock(block, async (algorithms: ContentDigestAlgorithm[]) => {
    const digester = new ChunkedDigester(algorithms);
    bytesDigested += await digestRange(reader, digester, 0, extent.offset);
    bytesDigested += await digestRange(reader, digester, eocd.cdOffset, eocd.cdOffset + eocd.cdSize);
    const eocdBytes = await reader.read(eocd.eocdOffset, size - eocd.eocdOffset);
    digester.section(eocdForDigest(eocdBytes, extent.offset));
    bytesDigested += eocdBytes.length;
    return digester.digest();
  });
  if (result.problems.some((p) => p.includes('content digest mismatch')) && eocd.shift !== 0) {
    result.notes.push(`${eocd.shift} bytes precede the archive, so its content is not what was signed`);
  }
  return { ...result, bytesDigested };
}
