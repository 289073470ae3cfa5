import {
  createHash,
  createPublicKey,
  constants as cryptoConstants,
  type KeyObject,
  verify,
} from 'node:crypto';
import { BLOCK_ID, MAX_SIGNING_BLOCK } from './apk-signing-block.js';
import { children, raw, readNode, TAG } from './der.js';
import { ParseError } from './types.js';

/**
 * APK Signature Scheme v2/v3/v3.1 verification. Pure: it sees the signing block's bytes and asks
 * its caller for the chunked digest of the signed ZIP sections, so the file itself (which can be
 * hundreds of MB) is streamed by a source, and only when every signature over the signed data
 * already holds. v1 (JAR) signatures are not verified here.
 */

type VerifiedScheme = 'v2' | 'v3' | 'v3.1';
export type ContentDigestAlgorithm = 'chunked-sha256' | 'chunked-sha512';
type Verdict = 'valid' | 'invalid' | 'unverified';

/** The reasons a check fails, as reported in diagnostics. */
const FAILURE = {
  digest: 'content digest mismatch',
  signature: 'signature does not verify',
  publicKey: 'public key does not match certificate',
  algorithms: 'signature algorithms do not match the signed digests',
  sdk: 'SDK range differs between signer and signed data',
  stripped: 'v2 block says the APK was also signed with v3, but the v3 block is missing',
  noSigners: 'no signers',
} as const;

interface SignatureAlgorithm {
  id: number;
  name: string;
  hash: 'sha256' | 'sha512';
  content: ContentDigestAlgorithm;
  key: 'rsa-pss' | 'rsa' | 'ec' | 'dsa';
}

const algorithm = (
  id: number,
  name: string,
  hash: 'sha256' | 'sha512',
  key: SignatureAlgorithm['key'],
): SignatureAlgorithm => ({
  id,
  name,
  hash,
  key,
  content: hash === 'sha256' ? 'chunked-sha256' : 'chunked-sha512',
});

const SIGNATURE_ALGORITHMS: ReadonlyMap<number, SignatureAlgorithm> = new Map(
  [
    algorithm(0x0101, 'RSASSA-PSS with SHA2-256', 'sha256', 'rsa-pss'),
    algorithm(0x0102, 'RSASSA-PSS with SHA2-512', 'sha512', 'rsa-pss'),
    algorithm(0x0103, 'RSASSA-PKCS1-v1_5 with SHA2-256', 'sha256', 'rsa'),
    algorithm(0x0104, 'RSASSA-PKCS1-v1_5 with SHA2-512', 'sha512', 'rsa'),
    algorithm(0x0201, 'ECDSA with SHA2-256', 'sha256', 'ec'),
    algorithm(0x0202, 'ECDSA with SHA2-512', 'sha512', 'ec'),
    algorithm(0x0301, 'DSA with SHA2-256', 'sha256', 'dsa'),
  ].map((a) => [a.id, a]),
);

/** fs-verity based signatures (chunked SHA-256 over a Merkle tree): known, present, not checked. */
const VERITY_ALGORITHMS = new Set([0x0421, 0x0423, 0x0425]);
const STRIPPING_PROTECTION_ATTR = 0xbeeff00d;
const MAGIC = 'APK Sig Block 42';

const MAX_SIGNERS = 64;
const MAX_SIGNATURES = 32;
const MAX_CERTS = 64;
export const CHUNK_SIZE = 1024 * 1024;

/** A bounded cursor over little-endian, u32-length-prefixed APK signature structures. */
class Cursor {
  private pos = 0;
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  u32(what: string = this.what): number {
    if (this.remaining < 4) throw new ParseError(`${what}: truncated`);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  prefixed(what: string): Cursor {
    const len = this.u32(what);
    if (len > this.remaining) throw new ParseError(`${what}: length ${len} runs past its container`);
    const sub = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return new Cursor(sub, what);
  }
  /** A sequence of length-prefixed items, at most `max`. */
  items(what: string, max: number): Cursor[] {
    const out: Cursor[] = [];
    while (this.remaining > 0) {
      if (out.length >= max) throw new ParseError(`${what}: more than ${max}`);
      out.push(this.prefixed(what));
    }
    return out;
  }
}

/**
 * Split a whole APK Signing Block (leading u64 size through the magic) into its id → value pairs.
 * Throws ParseError naming what is wrong when the block is truncated or inconsistent.
 */
export function signingBlockEntries(block: Uint8Array): Map<number, Uint8Array> {
  if (block.length < 32) throw new ParseError(`APK Signing Block truncated: ${block.length} bytes`);
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const magic = Buffer.from(block.subarray(block.length - 16)).toString('latin1');
  if (magic !== MAGIC) throw new ParseError('APK Signing Block truncated: no magic at its end');
  const leading = dv.getBigUint64(0, true);
  const trailing = dv.getBigUint64(block.length - 24, true);
  if (leading !== trailing) {
    throw new ParseError(`APK Signing Block sizes disagree (${leading} vs ${trailing})`);
  }
  if (leading !== BigInt(block.length - 8)) {
    throw new ParseError(`APK Signing Block truncated: declares ${leading} bytes, has ${block.length - 8}`);
  }
  const out = new Map<number, Uint8Array>();
  const end = block.length - 24;
  let pos = 8;
  for (let count = 0; pos < end; count++) {
    if (count >= 10_000) throw new ParseError('APK Signing Block: too many entries');
    if (pos + 12 > end) throw new ParseError('APK Signing Block: truncated entry');
    const len = dv.getBigUint64(pos, true);
    if (len < 4n || len > BigInt(end - pos - 8)) {
      throw new ParseError(`APK Signing Block: entry length ${len} runs past the block`);
    }
    const id = dv.getUint32(pos + 8, true);
    // The first entry with an id wins, as in apksig.
    if (!out.has(id)) out.set(id, block.subarray(pos + 12, pos + 8 + Number(len)));
    pos += 8 + Number(len);
  }
  return out;
}

/** Where the signing block is, from the 24-byte footer just before the central directory. */
export function signingBlockExtent(
  footer: Uint8Array,
  cdOffset: number,
): { offset: number; length: number } | undefined {
  if (footer.length !== 24) return undefined;
  if (Buffer.from(footer.subarray(8)).toString('latin1') !== MAGIC) return undefined;
  const size = new DataView(footer.buffer, footer.byteOffset, 24).getBigUint64(0, true);
  if (size < 24n || size > BigInt(MAX_SIGNING_BLOCK) || size + 8n > BigInt(cdOffset)) {
    throw new ParseError(`APK Signing Block size ${size} is out of range`);
  }
  const length = Number(size) + 8;
  return { offset: cdOffset - length, length };
}

/** The EOCD as it was digested: its central directory offset field replaced by the signing block's offset. */
export function eocdForDigest(eocd: Uint8Array, signingBlockOffset: number): Uint8Array {
  if (eocd.length < 22) throw new ParseError('end of central directory truncated');
  const out = new Uint8Array(eocd);
  new DataView(out.buffer).setUint32(16, signingBlockOffset, true);
  return out;
}

/**
 * Chunked content digest: every section is cut into 1 MiB chunks, each digested as
 * 0xa5 || u32le(length) || chunk; the result is the digest of 0x5a || u32le(count) || chunk digests.
 * Callers feed chunks in order with `chunk`, never more than CHUNK_SIZE bytes and never across sections.
 */
export class ChunkedDigester {
  private readonly parts = new Map<ContentDigestAlgorithm, Uint8Array[]>();
  private count = 0;
  constructor(readonly algorithms: readonly ContentDigestAlgorithm[]) {
    for (const a of algorithms) this.parts.set(a, []);
  }
  chunk(data: Uint8Array): void {
    if (data.length > CHUNK_SIZE) throw new RangeError(`chunk of ${data.length} bytes`);
    const prefix = Buffer.alloc(5);
    prefix[0] = 0xa5;
    prefix.writeUInt32LE(data.length, 1);
    for (const [a, list] of this.parts) {
      list.push(createHash(hashOf(a)).update(prefix).update(data).digest());
    }
    this.count++;
  }
  /** Feed a whole section that is already in memory. */
  section(data: Uint8Array): void {
    for (let at = 0; at < data.length; at += CHUNK_SIZE) this.chunk(data.subarray(at, at + CHUNK_SIZE));
  }
  digest(): Map<ContentDigestAlgorithm, Uint8Array> {
    const out = new Map<ContentDigestAlgorithm, Uint8Array>();
    const prefix = Buffer.alloc(5);
    prefix[0] = 0x5a;
    prefix.writeUInt32LE(this.count, 1);
    for (const [a, list] of this.parts) {
      const h = createHash(hashOf(a)).update(prefix);
      for (const d of list) h.update(d);
      out.set(a, new Uint8Array(h.digest()));
    }
    return out;
  }
}

const hashOf = (a: ContentDigestAlgorithm): 'sha256' | 'sha512' =>
  a === 'chunked-sha256' ? 'sha256' : 'sha512';

/** The signing block's own checks passed or failed, per scheme. */
export interface SigningVerification {
  verdict: Verdict;
  /** Schemes whose signers were all checked. */
  schemes: VerifiedScheme[];
  /** What failed, e.g. "v2 signer 1: signature does not verify (ECDSA with SHA2-256)". */
  problems: string[];
  /** What could not be checked (unsupported algorithms) and why the verdict is `unverified`. */
  notes: string[];
  /** Content digest algorithms computed over the file, when the signatures got that far. */
  digested: ContentDigestAlgorithm[];
}

/** Computes the chunked digests of the three signed sections for the algorithms asked for. */
export type ContentDigests = (
  algorithms: ContentDigestAlgorithm[],
) => Promise<Map<ContentDigestAlgorithm, Uint8Array>>;

interface SignerCheck {
  /** The digest the signer signed for the content algorithm of its strongest supported signature. */
  expected?: { algorithm: ContentDigestAlgorithm; digest: Uint8Array };
  problems: string[];
  notes: string[];
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), b) === 0;

/** The SubjectPublicKeyInfo of a DER certificate, as encoded there. */
function certificatePublicKey(der: Uint8Array): Uint8Array {
  const cert = readNode(der, 0);
  if (cert.tag !== TAG.SEQUENCE) throw new ParseError('certificate is not a SEQUENCE');
  const [tbs] = children(der, cert);
  if (tbs?.tag !== TAG.SEQUENCE) throw new ParseError('certificate has no TBSCertificate');
  const fields = children(der, tbs);
  // version?, serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const spki = fields[(fields[0]?.tag === TAG.CONTEXT0 ? 1 : 0) + 5];
  if (spki?.tag !== TAG.SEQUENCE) throw new ParseError('certificate has no SubjectPublicKeyInfo');
  return raw(der, spki);
}

const keyTypeMatches = (key: KeyObject, alg: SignatureAlgorithm): boolean => {
  const type = key.asymmetricKeyType;
  if (alg.key === 'rsa' || alg.key === 'rsa-pss') return type === 'rsa' || type === 'rsa-pss';
  return type === alg.key;
};

function checkSignature(key: KeyObject, alg: SignatureAlgorithm, data: Uint8Array, sig: Uint8Array): boolean {
  if (!keyTypeMatches(key, alg)) return false;
  try {
    if (alg.key === 'rsa-pss') {
      return verify(
        alg.hash,
        data,
        {
          key,
          padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
          saltLength: alg.hash === 'sha256' ? 32 : 64,
        },
        sig,
      );
    }
    if (alg.key === 'rsa') {
      return verify(alg.hash, data, { key, padding: cryptoConstants.RSA_PKCS1_PADDING }, sig);
    }
    return verify(alg.hash, data, key, sig);
  } catch {
    // OpenSSL rejects malformed signatures (bad DER, wrong length) by throwing: that is a failed check.
    return false;
  }
}

/** Check one signer's signature, public key and signed fields; returns the digest it vouches for. */
function checkSigner(signerBytes: Cursor, scheme: VerifiedScheme, label: string): SignerCheck {
  const v3 = scheme !== 'v2';
  const problems: string[] = [];
  const notes: string[] = [];
  const signedDataCursor = signerBytes.prefixed(`${label} signed data`);
  const signedData = signedDataCursor.bytes;
  const outerSdk = v3
    ? { min: signerBytes.u32(`${label} minSdk`), max: signerBytes.u32(`${label} maxSdk`) }
    : undefined;
  const signatures = signerBytes.prefixed(`${label} signatures`).items(`${label} signature`, MAX_SIGNATURES);
  const publicKeyBytes = signerBytes.prefixed(`${label} public key`).bytes;
  if (signatures.length === 0) throw new ParseError(`${label}: no signatures`);

  const sigs = signatures.map((s) => ({
    id: s.u32(`${label} signature`),
    value: s.prefixed(`${label} signature value`).bytes,
  }));
  let best: { alg: SignatureAlgorithm; value: Uint8Array } | undefined;
  for (const s of sigs) {
    const alg = SIGNATURE_ALGORITHMS.get(s.id);
    if (!alg) {
      const kind = VERITY_ALGORITHMS.has(s.id) ? 'verity signature' : 'unknown signature algorithm';
      notes.push(`${label}: ${kind} 0x${s.id.toString(16).padStart(4, '0')} not checked`);
      continue;
    }
    // The strongest content digest wins; among equals, the first listed (as on Android).
    if (!best || (best.alg.content === 'chunked-sha256' && alg.content === 'chunked-sha512')) {
      best = { alg, value: s.value };
    }
  }
  if (!best) {
    notes.push(`${label}: no supported signature algorithm`);
    return { problems, notes };
  }

  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(publicKeyBytes), format: 'der', type: 'spki' });
  } catch {
    problems.push(`${label}: ${FAILURE.signature} (unreadable public key)`);
    return { problems, notes };
  }
  if (!checkSignature(key, best.alg, signedData, best.value)) {
    problems.push(`${label}: ${FAILURE.signature} (${best.alg.name})`);
    return { problems, notes };
  }

  // Only signed data is trusted from here on.
  const digests = signedDataCursor
    .prefixed(`${label} digests`)
    .items(`${label} digest`, MAX_SIGNATURES)
    .map((d) => ({ id: d.u32(`${label} digest`), value: d.prefixed(`${label} digest value`).bytes }));
  const certs = signedDataCursor.prefixed(`${label} certificates`).items(`${label} certificate`, MAX_CERTS);
  if (v3 && outerSdk) {
    const min = signedDataCursor.u32(`${label} signed minSdk`);
    const max = signedDataCursor.u32(`${label} signed maxSdk`);
    if (min !== outerSdk.min || max !== outerSdk.max) problems.push(`${label}: ${FAILURE.sdk}`);
  }
  const attributes = signedDataCursor.prefixed(`${label} attributes`).items(`${label} attribute`, 10_000);
  if (scheme === 'v2') {
    for (const a of attributes) {
      if (a.remaining >= 8 && a.u32() === STRIPPING_PROTECTION_ATTR && a.u32() === 3)
        notes.push('expects-v3');
    }
  }

  const sigIds = sigs.map((s) => s.id);
  const digestIds = digests.map((d) => d.id);
  if (sigIds.length !== digestIds.length || sigIds.some((id, i) => digestIds[i] !== id)) {
    problems.push(`${label}: ${FAILURE.algorithms}`);
  }
  const first = certs[0];
  if (!first) {
    problems.push(`${label}: no certificates`);
  } else {
    let spki: Uint8Array | undefined;
    try {
      spki = certificatePublicKey(first.bytes);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      problems.push(`${label}: certificate unreadable (${error.message})`);
    }
    if (spki && !samePublicKey(spki, publicKeyBytes)) problems.push(`${label}: ${FAILURE.publicKey}`);
  }
  const signed = digests.find((d) => d.id === best.alg.id);
  if (!signed) return { problems, notes };
  return { expected: { algorithm: best.alg.content, digest: signed.value }, problems, notes };
}

/** Equal encodings, or the same key once both are parsed (Java compares re-encoded keys). */
function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  if (bytesEqual(a, b)) return true;
  try {
    const ka = createPublicKey({ key: Buffer.from(a), format: 'der', type: 'spki' });
    const kb = createPublicKey({ key: Buffer.from(b), format: 'der', type: 'spki' });
    return ka.equals(kb);
  } catch {
    return false;
  }
}

const SCHEMES: Array<[VerifiedScheme, number]> = [
  ['v2', BLOCK_ID.v2],
  ['v3', BLOCK_ID.v3],
  ['v3.1', BLOCK_ID.v31],
];

/**
 * Verify the v2/v3/v3.1 signers of a whole APK Signing Block. `contentDigests` is called at most
 * once, only when every signature over the signed data verified. Throws ParseError when the block
 * itself is malformed; every other failure is a `problem` and makes the verdict `invalid`.
 */
export async function verifySigningBlock(
  block: Uint8Array,
  contentDigests: ContentDigests,
): Promise<SigningVerification> {
  const entries = signingBlockEntries(block);
  const result: SigningVerification = {
    verdict: 'unverified',
    schemes: [],
    problems: [],
    notes: [],
    digested: [],
  };
  const expected: Array<{ label: string; algorithm: ContentDigestAlgorithm; digest: Uint8Array }> = [];
  let expectsV3 = false;
  let unchecked = false;
  for (const [scheme, id] of SCHEMES) {
    const value = entries.get(id);
    if (!value) continue;
    const signers = new Cursor(value, scheme)
      .prefixed(`${scheme} signers`)
      .items(`${scheme} signer`, MAX_SIGNERS);
    if (signers.length === 0) {
      result.problems.push(`${scheme}: ${FAILURE.noSigners}`);
      continue;
    }
    signers.forEach((signer, index) => {
      const label = `${scheme} signer ${index + 1}`;
      const check = checkSigner(signer, scheme, label);
      result.problems.push(...check.problems);
      for (const note of check.notes) {
        if (note === 'expects-v3') expectsV3 = true;
        else result.notes.push(note);
      }
      if (check.expected) expected.push({ label, ...check.expected });
      else if (check.problems.length === 0) unchecked = true;
    });
    result.schemes.push(scheme);
  }
  if (expectsV3 && !entries.has(BLOCK_ID.v3)) result.problems.push(FAILURE.stripped);
  if (result.schemes.length === 0) {
    result.notes.push('no v2/v3 signature in the APK Signing Block');
    return result;
  }
  if (result.problems.length > 0) {
    result.verdict = 'invalid';
    return result;
  }
  const algorithms = [...new Set(expected.map((e) => e.algorithm))].sort();
  if (algorithms.length > 0) {
    const computed = await contentDigests(algorithms);
    result.digested = algorithms;
    for (const e of expected) {
      const actual = computed.get(e.algorithm);
      if (!actual || !bytesEqual(actual, e.digest)) {
        result.problems.push(`${e.label}: ${FAILURE.digest} (${e.algorithm})`);
      }
    }
  }
  if (result.problems.length > 0) result.verdict = 'invalid';
  else result.verdict = unchecked || expected.length === 0 ? 'unverified' : 'valid';
  return result;
}
