import { createHash } from 'node:crypto';
import { parseCertificateBytes } from './der.js';
import { ParseError } from './types.js';
import { findEndOfCentralDirectory } from './zip.js';

/**
 * APK Signing Block (v2, v3, v3.1): the signer certificates, read from the bytes just before the
 * central directory. Identities only: digests and signatures are not verified here.
 */

export type SigningScheme = 'v1' | 'v2' | 'v3' | 'v3.1';

export interface ApkSigner {
  certSha256: string;
  /** SHA-1 and MD5 of the same DER certificate: some vendors publish only these. */
  certSha1?: string;
  certMd5?: string;
  subject?: string;
  /** Earlier certificates, oldest first, from a v3 proof-of-rotation lineage. */
  lineage?: string[];
  minSdk?: number;
  maxSdk?: number;
}

export interface SigningInfo {
  schemes: SigningScheme[];
  /** Current signers, precedence v3.1/v3 > v2 > v1. */
  signers: ApkSigner[];
  lineage: string[];
}

export interface CentralDirectoryLocation {
  offset: number;
  size: number;
  entries: number;
}

export type TailResult =
  | { kind: 'ok'; signing: SigningInfo; centralDirectory: CentralDirectoryLocation }
  | { kind: 'need'; fromEnd: number }
  | { kind: 'no-signing-block'; centralDirectory: CentralDirectoryLocation }
  | { kind: 'invalid'; reason: string };

export const BLOCK_ID = {
  v2: 0x7109871a,
  v3: 0xf05368c0,
  v31: 0x1b93ad61,
} as const;
const PROOF_OF_ROTATION_ATTR = 0x3ba06f8c;
const MAGIC = 'APK Sig Block 42';
/** Real blocks are kilobytes (plus verity padding); anything larger is hostile. */
export const MAX_SIGNING_BLOCK = 64 * 1024 * 1024;
const MAX_SIGNERS = 64;
const MAX_CERTS = 64;

/** A bounded cursor over little-endian, length-prefixed APK signature structures. */
class Cursor {
  private pos: number;
  private readonly dv: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.pos = 0;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  u32(): number {
    if (this.remaining < 4) throw new ParseError(`${this.what}: truncated`);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** A u32-length-prefixed byte run. */
  prefixed(what: string = this.what): Cursor {
    const len = this.u32();
    if (len > this.remaining) throw new ParseError(`${what}: length ${len} runs past its container`);
    const sub = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return new Cursor(sub, what);
  }
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.pos);
    this.pos = this.bytes.length;
    return out;
  }
}

interface CertId {
  sha256: string;
  sha1: string;
  md5: string;
  subject: string;
}

/** SHA-1 and MD5 of a DER certificate, as `apksigner --print-certs` and older vendor SDKs print them. */
export const weakCertDigests = (der: Uint8Array): { sha1: string; md5: string } => ({
  sha1: createHash('sha1').update(der).digest('hex'),
  md5: createHash('md5').update(der).digest('hex'),
});

const certOf = (der: Uint8Array): CertId => {
  const info = parseCertificateBytes(der);
  return { sha256: info.sha256, ...weakCertDigests(info.der), subject: info.subject };
};

/** Proof-of-rotation: nodes oldest first, each holding a certificate; the last node is the current key. */
function parseLineage(value: Uint8Array): string[] {
  const c = new Cursor(value, 'proof-of-rotation');
  c.u32(); // version; the nodes follow directly, each length-prefixed
  const nodes = c;
  const out: string[] = [];
  while (nodes.remaining > 0) {
    if (out.length >= MAX_CERTS) throw new ParseError('proof-of-rotation: too many nodes');
    const node = nodes.prefixed('proof-of-rotation node');
    const signed = node.prefixed('proof-of-rotation signed data');
    out.push(certOf(signed.prefixed('proof-of-rotation certificate').rest()).sha256);
  }
  return out;
}

function parseSigners(value: Uint8Array, v3: boolean, scheme: string): ApkSigner[] {
  const signers = new Cursor(value, scheme).prefixed(`${scheme} signers`);
  const out: ApkSigner[] = [];
  while (signers.remaining > 0) {
    if (out.length >= MAX_SIGNERS) throw new ParseError(`${scheme}: too many signers`);
    const signer = signers.prefixed(`${scheme} signer`);
    const signed = signer.prefixed(`${scheme} signed data`);
    signed.prefixed(`${scheme} digests`);
    const certs = signed.prefixed(`${scheme} certificates`);
    const first = certs.prefixed(`${scheme} certificate`).rest();
    // The first certificate is the signer's; any others are its chain.
    const cert = certOf(first);
    const result: ApkSigner = {
      certSha256: cert.sha256,
      certSha1: cert.sha1,
      certMd5: cert.md5,
      subject: cert.subject,
    };
    if (v3) {
      result.minSdk = signed.u32();
      result.maxSdk = signed.u32();
      const attrs = signed.prefixed(`${scheme} attributes`);
      while (attrs.remaining > 0) {
        const attr = attrs.prefixed(`${scheme} attribute`);
        const id = attr.u32();
        if (id === PROOF_OF_ROTATION_ATTR) {
          const lineage = parseLineage(attr.rest()).filter((sha) => sha !== cert.sha256);
          if (lineage.length > 0) result.lineage = lineage;
        }
      }
    }
    out.push(result);
  }
  if (out.length === 0) throw new ParseError(`${scheme}: no signers`);
  return out;
}

/** Parse the pairs of a signing block (the bytes between the leading size and the footer). */
export function parseSigningBlockPairs(pairs: Uint8Array): SigningInfo {
  const dv = new DataView(pairs.buffer, pairs.byteOffset, pairs.byteLength);
  const found = new Map<number, Uint8Array>();
  let pos = 0;
  let count = 0;
  while (pos < pairs.length) {
    if (++count > 10_000) throw new ParseError('APK Signing Block: too many entries');
    if (pos + 8 > pairs.length) throw new ParseError('APK Signing Block: truncated entry length');
    const len = dv.getBigUint64(pos, true);
    if (len < 4n || len > BigInt(pairs.length - pos - 8)) {
      throw new ParseError(`APK Signing Block: entry length ${len} out of range`);
    }
    const n = Number(len);
    const id = dv.getUint32(pos + 8, true);
    if (!found.has(id)) found.set(id, pairs.subarray(pos + 12, pos + 8 + n));
    pos += 8 + n;
  }
  const schemes: SigningScheme[] = [];
  const v2 = found.get(BLOCK_ID.v2);
  const v3 = found.get(BLOCK_ID.v3);
  const v31 = found.get(BLOCK_ID.v31);
  const v2Signers = v2 ? parseSigners(v2, false, 'v2') : [];
  const v3Signers = v3 ? parseSigners(v3, true, 'v3') : [];
  const v31Signers = v31 ? parseSigners(v31, true, 'v3.1') : [];
  if (v2) schemes.push('v2');
  if (v3) schemes.push('v3');
  if (v31) schemes.push('v3.1');
  const current = v31Signers.length > 0 ? v31Signers : v3Signers.length > 0 ? v3Signers : v2Signers;
  const signers = dedupe(current);
  const lineage = dedupeStrings(
    [...v3Signers, ...v31Signers].flatMap((s) => s.lineage ?? []),
    signers.map((s) => s.certSha256),
  );
  // v3.1 targets newer platforms; the v3 signer it rotated from is part of the lineage too.
  if (v31Signers.length > 0) {
    for (const s of v3Signers) {
      if (!signers.some((c) => c.certSha256 === s.certSha256) && !lineage.includes(s.certSha256)) {
        lineage.push(s.certSha256);
      }
    }
  }
  return { schemes, signers, lineage };
}

const dedupe = (signers: ApkSigner[]): ApkSigner[] => {
  const seen = new Set<string>();
  return signers.filter((s) => {
    if (seen.has(s.certSha256)) return false;
    seen.add(s.certSha256);
    return true;
  });
};

const dedupeStrings = (values: string[], exclude: string[]): string[] => {
  const out: string[] = [];
  for (const v of values) if (!out.includes(v) && !exclude.includes(v)) out.push(v);
  return out;
};

/** Given the LAST tail.length bytes of an APK of size fileSize, find the EOCD, the central directory and the APK Signing Block. Pure. */
export function readSigningFromTail(tail: Uint8Array, fileSize: number): TailResult {
  const eocdResult = findEndOfCentralDirectory(tail, fileSize);
  if (eocdResult.kind !== 'ok') return eocdResult;
  const { eocd } = eocdResult;
  const centralDirectory = { offset: eocd.cdOffset, size: eocd.cdSize, entries: eocd.entries };
  const base = fileSize - tail.length;
  const footer = eocd.cdOffset - 24;
  if (footer < 8) return { kind: 'no-signing-block', centralDirectory };
  if (footer < base) return { kind: 'need', fromEnd: fileSize - footer };
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const magic = Buffer.from(tail.subarray(footer - base + 8, footer - base + 24)).toString('latin1');
  if (magic !== MAGIC) return { kind: 'no-signing-block', centralDirectory };
  const size = dv.getBigUint64(footer - base, true);
  // size counts everything after the leading u64; compare as BigInt before any Number().
  if (size < 32n || size > BigInt(MAX_SIGNING_BLOCK) || size + 8n > BigInt(eocd.cdOffset)) {
    return { kind: 'invalid', reason: `APK Signing Block size ${size} is out of range` };
  }
  const start = eocd.cdOffset - Number(size) - 8;
  if (start < base) return { kind: 'need', fromEnd: fileSize - start };
  const leading = dv.getBigUint64(start - base, true);
  if (leading !== size) {
    return { kind: 'invalid', reason: `APK Signing Block sizes disagree (${leading} vs ${size})` };
  }
  try {
    const signing = parseSigningBlockPairs(tail.subarray(start - base + 8, footer - base));
    if (signing.schemes.length === 0) return { kind: 'no-signing-block', centralDirectory };
    return { kind: 'ok', signing, centralDirectory };
  } catch (error) {
    if (error instanceof ParseError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
}
