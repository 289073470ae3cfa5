/**
 * Just enough BER (X.690) to open CMS SignedData (RFC 5652): the encapsulated content and the
 * certificates. Provisioning profiles and Mach-O code signatures are BER, not DER: Apple writes
 * indefinite lengths and constructed OCTET STRINGs, so a DER-only reader is not enough.
 *
 * Nothing here verifies a signature; it extracts what was signed and who claims to have signed it.
 */
import { createHash } from 'node:crypto';
import { formatName } from './der.js';
import { ParseError } from './types.js';

/** Deepest nesting of constructed values followed; real CMS stays under 15. */
const MAX_BER_DEPTH = 32;

const TAG_CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;

const UNIVERSAL = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  t61String: 20,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
  universalString: 28,
  bmpString: 30,
} as const;

/** One BER element: where its header, content and end are in the buffer it was read from. */
export interface BerNode {
  tagClass: number;
  constructed: boolean;
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content (before the end-of-contents octets of an indefinite length). */
  contentEnd: number;
  /** Offset just past the whole element. */
  end: number;
  indefinite: boolean;
}

/**
 * Reads the element at `at`, which must end by `limit`. For an indefinite length the children are
 * walked to find the end-of-contents marker, to at most `MAX_BER_DEPTH` levels.
 */
export const readBer = (bytes: Uint8Array, at: number, limit = bytes.length, depth = 0): BerNode => {
  if (depth > MAX_BER_DEPTH) throw new ParseError(`BER: nesting deeper than ${MAX_BER_DEPTH} levels`);
  if (limit > bytes.length) limit = bytes.length;
  let p = at;
  if (p >= limit) throw new ParseError(`BER: element expected at offset ${at}, found end of data`);
  const first = bytes[p++] ?? 0;
  const tagClass = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (p >= limit || i >= 4) throw new ParseError(`BER: bad long tag at offset ${at}`);
      const b = bytes[p++] ?? 0;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= limit) throw new ParseError(`BER: missing length at offset ${at}`);
  const lengthByte = bytes[p++] ?? 0;
  if (lengthByte === 0x80) {
    if (!constructed) throw new ParseError(`BER: indefinite length on a primitive element at offset ${at}`);
    const contentStart = p;
    let q = contentStart;
    for (;;) {
      if (q + 2 > limit)
        throw new ParseError(`BER: indefinite-length element at offset ${at} has no end marker`);
      if (bytes[q] === 0 && bytes[q + 1] === 0) {
        return {
          tagClass,
          constructed,
          tag,
          start: at,
          contentStart,
          contentEnd: q,
          end: q + 2,
          indefinite: true,
        };
      }
      q = readBer(bytes, q, limit, depth + 1).end;
    }
  }
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new ParseError(`BER: length of ${count} bytes at offset ${at} is not supported`);
    if (p + count > limit) throw new ParseError(`BER: truncated length at offset ${at}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[p++] ?? 0);
  }
  if (p + length > limit) {
    throw new ParseError(`BER: element at offset ${at} claims ${length} bytes, only ${limit - p} remain`);
  }
  return {
    tagClass,
    constructed,
    tag,
    start: at,
    contentStart: p,
    contentEnd: p + length,
    end: p + length,
    indefinite: false,
  };
};

/** The direct children of a constructed element. */
export const berChildren = (bytes: Uint8Array, node: BerNode, depth = 0): BerNode[] => {
  if (!node.constructed) throw new ParseError(`BER: element at offset ${node.start} is not constructed`);
  const children: BerNode[] = [];
  let p = node.contentStart;
  while (p < node.contentEnd) {
    const child = readBer(bytes, p, node.contentEnd, depth + 1);
    children.push(child);
    p = child.end;
  }
  return children;
};

const is = (node: BerNode | undefined, tagClass: number, tag: number): node is BerNode =>
  node !== undefined && node.tagClass === tagClass && node.tag === tag;

const expect = (node: BerNode | undefined, tagClass: number, tag: number, what: string): BerNode => {
  if (node === undefined) throw new ParseError(`CMS: expected ${what}, found nothing`);
  if (node.tagClass !== tagClass || node.tag !== tag) {
    throw new ParseError(
      `CMS: expected ${what}, found class ${node.tagClass} tag ${node.tag} at offset ${node.start}`,
    );
  }
  return node;
};

/** Content of an OCTET STRING, joining the segments of a constructed (BER) one. */
export const octetStringValue = (bytes: Uint8Array, node: BerNode, depth = 0): Uint8Array => {
  if (!node.constructed) return bytes.subarray(node.contentStart, node.contentEnd);
  const parts = berChildren(bytes, node, depth).map((child) => {
    if (!is(child, TAG_CLASS.universal, UNIVERSAL.octetString)) {
      throw new ParseError(`CMS: constructed OCTET STRING at offset ${node.start} holds a non-OCTET STRING`);
    }
    return octetStringValue(bytes, child, depth + 1);
  });
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
};

/** Dotted form of an OBJECT IDENTIFIER's content. */
const oidValue = (bytes: Uint8Array, node: BerNode): string => {
  const arcs: number[] = [];
  let value = 0;
  for (let p = node.contentStart; p < node.contentEnd; p++) {
    const b = bytes[p] ?? 0;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER)
      throw new ParseError(`BER: OID arc too large at offset ${node.start}`);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const top = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(top, value - top * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  return arcs.join('.');
};

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
} as const;

/** What a certificate says about itself, read without verifying anything. */
export interface CertificateInfo {
  /** The certificate's bytes as found (DER in practice). */
  der: Uint8Array;
  /** SHA-256 over `der`, lowercase hex. */
  sha256: string;
  /** Subject distinguished name as der.ts formats it everywhere (Java X500Principal style, `CN=…, OU=…, O=…, C=…`). */
  subject: string;
  /** Subject attributes by short name (`CN`, `O`, `OU`, `UID`…), first occurrence. */
  subjectFields: Record<string, string>;
  /** Raw issuer Name and serial INTEGER content, to match a SignerInfo. */
  issuerRaw: Uint8Array;
  serialRaw: Uint8Array;
}

export interface SignedData {
  /** eContentType as a dotted OID. */
  contentType: string;
  /** The encapsulated content; undefined for a detached signature. */
  content?: Uint8Array;
  certificates: CertificateInfo[];
  /** Certificates that a SignerInfo names by issuer and serial number (never simply the first one). */
  signers: CertificateInfo[];
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

const stringValue = (bytes: Uint8Array, node: BerNode): string => {
  const content = bytes.subarray(node.contentStart, node.contentEnd);
  if (node.tag === UNIVERSAL.bmpString) {
    let out = '';
    for (let i = 0; i + 1 < content.length; i += 2)
      out += String.fromCharCode(((content[i] ?? 0) << 8) | (content[i + 1] ?? 0));
    return out;
  }
  if (node.tag === UNIVERSAL.utf8String) return utf8.decode(content);
  return latin1.decode(content);
};

const escapeDnValue = (value: string): string => value.replace(/([,+"\\<>;=])/g, '\\$1');

const readName = (
  bytes: Uint8Array,
  name: BerNode,
  depth: number,
): { text: string; fields: Record<string, string> } => {
  const parts: string[] = [];
  const fields: Record<string, string> = {};
  for (const rdn of berChildren(bytes, name, depth)) {
    if (!rdn.constructed) continue;
    for (const atv of berChildren(bytes, rdn, depth + 1)) {
      if (!atv.constructed) continue;
      const [type, value] = berChildren(bytes, atv, depth + 2);
      if (!is(type, TAG_CLASS.universal, UNIVERSAL.oid) || value === undefined || value.constructed) continue;
      const oid = oidValue(bytes, type);
      const key = ATTRIBUTE_NAMES[oid] ?? oid;
      const text = stringValue(bytes, value);
      parts.push(`${key}=${escapeDnValue(text)}`);
      if (!(key in fields)) fields[key] = text;
    }
  }
  return { text: parts.join(','), fields };
};

/** Reads the identity parts of an X.509 certificate (RFC 5280 TBSCertificate). */
export const readCertificate = (bytes: Uint8Array, node: BerNode, depth = 0): CertificateInfo => {
  const der = bytes.subarray(node.start, node.end);
  const tbs = expect(
    berChildren(bytes, node, depth)[0],
    TAG_CLASS.universal,
    UNIVERSAL.sequence,
    'TBSCertificate',
  );
  const fields = berChildren(bytes, tbs, depth + 1);
  // version is an optional [0] EXPLICIT in front of the serial number.
  const base = is(fields[0], TAG_CLASS.context, 0) ? 1 : 0;
  const serial = expect(fields[base], TAG_CLASS.universal, UNIVERSAL.integer, 'certificate serial number');
  const issuer = expect(fields[base + 2], TAG_CLASS.universal, UNIVERSAL.sequence, 'certificate issuer');
  const subject = expect(fields[base + 4], TAG_CLASS.universal, UNIVERSAL.sequence, 'certificate subject');
  const name = readName(bytes, subject, depth + 2);
  let text: string;
  try {
    text = formatName(bytes, {
      tag: bytes[subject.start] ?? 0,
      start: subject.start,
      contentStart: subject.contentStart,
      contentEnd: subject.contentEnd,
      end: subject.end,
    });
  } catch {
    text = name.text;
  }
  return {
    der,
    sha256: createHash('sha256').update(der).digest('hex'),
    subject: text,
    subjectFields: name.fields,
    issuerRaw: bytes.subarray(issuer.contentStart, issuer.contentEnd),
    serialRaw: bytes.subarray(serial.contentStart, serial.contentEnd),
  };
};

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);

/**
 * Opens a CMS ContentInfo holding SignedData. Throws `ParseError` when the bytes are not BER,
 * not SignedData, or any length points outside the buffer.
 */
export const parseSignedData = (bytes: Uint8Array): SignedData => {
  const contentInfo = expect(
    readBer(bytes, 0),
    TAG_CLASS.universal,
    UNIVERSAL.sequence,
    'ContentInfo SEQUENCE',
  );
  const [typeNode, explicit] = berChildren(bytes, contentInfo);
  const contentType = oidValue(
    bytes,
    expect(typeNode, TAG_CLASS.universal, UNIVERSAL.oid, 'content type OID'),
  );
  if (contentType !== OID.signedData)
    throw new ParseError(`CMS: content type ${contentType} is not SignedData`);
  const wrapper = expect(explicit, TAG_CLASS.context, 0, '[0] content');
  const signedData = expect(
    berChildren(bytes, wrapper, 1)[0],
    TAG_CLASS.universal,
    UNIVERSAL.sequence,
    'SignedData',
  );
  const parts = berChildren(bytes, signedData, 2);
  const encap = expect(parts[2], TAG_CLASS.universal, UNIVERSAL.sequence, 'EncapsulatedContentInfo');
  const [eTypeNode, eExplicit] = berChildren(bytes, encap, 3);
  const eContentType = oidValue(bytes, expect(eTypeNode, TAG_CLASS.universal, UNIVERSAL.oid, 'eContentType'));
  let content: Uint8Array | undefined;
  if (eExplicit !== undefined) {
    const octets = expect(
      berChildren(bytes, expect(eExplicit, TAG_CLASS.context, 0, '[0] eContent'), 4)[0],
      TAG_CLASS.universal,
      UNIVERSAL.octetString,
      'eContent OCTET STRING',
    );
    content = octetStringValue(bytes, octets, 5);
  }

  const certificates: CertificateInfo[] = [];
  let signerSet: BerNode | undefined;
  for (const part of parts.slice(3)) {
    if (is(part, TAG_CLASS.context, 0) && part.constructed) {
      for (const cert of berChildren(bytes, part, 3)) {
        // Other CertificateChoices (attribute certificates…) say nothing about the signer: skip them.
        if (is(cert, TAG_CLASS.universal, UNIVERSAL.sequence))
          certificates.push(readCertificate(bytes, cert, 4));
      }
    } else if (is(part, TAG_CLASS.universal, UNIVERSAL.set)) {
      signerSet = part;
    }
  }

  const signers: CertificateInfo[] = [];
  for (const signerInfo of signerSet === undefined ? [] : berChildren(bytes, signerSet, 3)) {
    if (!is(signerInfo, TAG_CLASS.universal, UNIVERSAL.sequence)) continue;
    const sid = berChildren(bytes, signerInfo, 4)[1];
    // Only IssuerAndSerialNumber identifies a certificate by name; SubjectKeyIdentifier sids are left out.
    if (!is(sid, TAG_CLASS.universal, UNIVERSAL.sequence)) continue;
    const [issuer, serial] = berChildren(bytes, sid, 5);
    if (
      !is(issuer, TAG_CLASS.universal, UNIVERSAL.sequence) ||
      !is(serial, TAG_CLASS.universal, UNIVERSAL.integer)
    ) {
      continue;
    }
    const issuerRaw = bytes.subarray(issuer.contentStart, issuer.contentEnd);
    const serialRaw = bytes.subarray(serial.contentStart, serial.contentEnd);
    const match = certificates.find(
      (c) => sameBytes(c.issuerRaw, issuerRaw) && sameBytes(c.serialRaw, serialRaw),
    );
    if (match !== undefined && !signers.includes(match)) signers.push(match);
  }

  return { contentType: eContentType, ...(content === undefined ? {} : { content }), certificates, signers };
};
