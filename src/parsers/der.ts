import { createHash } from 'node:crypto';
import { ParseError } from './types.js';

/**
 * Just enough DER/BER to pull identities out of X.509 certificates and PKCS#7 SignedData.
 * No signature is checked here: callers report identities as unverified.
 */

export interface Asn1Node {
  /** First identifier byte (class, constructed bit, low tag number). */
  tag: number;
  /** Offset of the identifier byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the contents (past the end-of-contents octets for indefinite lengths). */
  end: number;
  /** Offset just past the last content byte. */
  contentEnd: number;
}

export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT0: 0xa0,
  CONTEXT1: 0xa1,
  CONTEXT3: 0xa3,
} as const;

const MAX_DEPTH = 32;
const MAX_CHILDREN = 10_000;

/** Read one TLV at `offset`, never past `limit`. Indefinite lengths are resolved by walking children. */
export function readNode(buf: Uint8Array, offset: number, limit: number = buf.length, depth = 0): Asn1Node {
  if (depth > MAX_DEPTH) throw new ParseError('ASN.1 nesting too deep');
  if (offset + 2 > limit) throw new ParseError(`ASN.1 header at ${offset} runs past the data`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new ParseError(`ASN.1 high tag numbers are not supported (at ${offset})`);
  let pos = offset + 1;
  const first = buf[pos++]!;
  if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new ParseError(`indefinite length on a primitive ASN.1 value at ${offset}`);
    const contentStart = pos;
    let count = 0;
    while (true) {
      if (pos + 2 > limit) throw new ParseError(`unterminated indefinite-length ASN.1 value at ${offset}`);
      if (buf[pos] === 0 && buf[pos + 1] === 0) {
        return { tag, start: offset, contentStart, contentEnd: pos, end: pos + 2 };
      }
      if (++count > MAX_CHILDREN) throw new ParseError('too many ASN.1 children');
      pos = readNode(buf, pos, limit, depth + 1).end;
    }
  }
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new ParseError(`ASN.1 length of ${n} bytes at ${offset} is too large`);
    if (pos + n > limit) throw new ParseError(`ASN.1 length at ${offset} runs past the data`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
  }
  if (pos + length > limit)
    throw new ParseError(`ASN.1 value at ${offset} (length ${length}) runs past the data`);
  return { tag, start: offset, contentStart: pos, contentEnd: pos + length, end: pos + length };
}

export function children(buf: Uint8Array, node: Asn1Node, depth = 0): Asn1Node[] {
  if ((node.tag & 0x20) === 0) throw new ParseError(`ASN.1 value at ${node.start} is not constructed`);
  const out: Asn1Node[] = [];
  let pos = node.contentStart;
  while (pos < node.contentEnd) {
    if (out.length >= MAX_CHILDREN) throw new ParseError('too many ASN.1 children');
    const child = readNode(buf, pos, node.contentEnd, depth + 1);
    out.push(child);
    pos = child.end;
  }
  return out;
}

const expect = (node: Asn1Node | undefined, tag: number, what: string): Asn1Node => {
  if (!node || node.tag !== tag) throw new ParseError(`expected ${what}`);
  return node;
};

const content = (buf: Uint8Array, node: Asn1Node): Uint8Array =>
  buf.subarray(node.contentStart, node.contentEnd);
export const raw = (buf: Uint8Array, node: Asn1Node): Uint8Array => buf.subarray(node.start, node.end);

function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes.length > 64) throw new ParseError('bad OID length');
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new ParseError('OID component too large');
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Java's X500Principal short names, so subjects read like `apksigner --print-certs`. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SURNAME',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATION',
  '2.5.4.46': 'DNQ',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};

function decodeString(buf: Uint8Array, node: Asn1Node): string | undefined {
  const bytes = content(buf, node);
  switch (node.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8').decode(bytes);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
    case 0x14: // TeletexString, read as Latin-1 as most tools do
      return Buffer.from(bytes).toString('latin1');
    case 0x1e: {
      // BMPString: UTF-16BE
      const swapped = Buffer.from(bytes);
      if (swapped.length % 2 !== 0) return undefined;
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      if (bytes.length % 4 !== 0) return undefined;
      let s = '';
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < bytes.length; i += 4) {
        const cp = dv.getUint32(i);
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

const quoteValue = (value: string): string =>
  /[,+=<>#;"\\]|^\s|\s$/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;

/** Render a Name like Java's X500Principal.toString(): most specific RDN first, `, ` separated. */
export function formatName(buf: Uint8Array, name: Asn1Node): string {
  const rdns = children(buf, expect(name, TAG.SEQUENCE, 'Name SEQUENCE'));
  const parts: string[] = [];
  for (const rdn of rdns) {
    const atvs = children(buf, expect(rdn, TAG.SET, 'RelativeDistinguishedName SET')).map((atv) => {
      const [oidNode, valueNode] = children(buf, expect(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      const oid = decodeOid(content(buf, expect(oidNode, TAG.OID, 'attribute OID')));
      if (!valueNode) throw new ParseError('attribute without a value');
      const known = ATTRIBUTE_NAMES[oid];
      const text = decodeString(buf, valueNode);
      if (known && text !== undefined) return `${known}=${quoteValue(text)}`;
      return `OID.${oid}=#${hex(raw(buf, valueNode))}`;
    });
    parts.push(atvs.join(' + '));
  }
  return parts.reverse().join(', ');
}

export interface CertificateInfo {
  /** The certificate's own encoding, as stored. */
  der: Uint8Array;
  sha256: string;
  subject: string;
  /** Raw encoded issuer Name, for SignerInfo matching. */
  issuer: Uint8Array;
  /** Issuer compared by meaning: signers re-encode names (PrintableString vs UTF8String). */
  issuerKey: string;
  /** Serial number magnitude (leading zero bytes stripped). */
  serial: Uint8Array;
}

/** RFC 5280-style loose comparison key: case and repeated spaces do not matter. */
const nameKey = (buf: Uint8Array, name: Asn1Node): string =>
  formatName(buf, name).toLowerCase().replace(/\s+/g, ' ');

const stripZeros = (bytes: Uint8Array): Uint8Array => {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
};

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Read an X.509 certificate at `node` (or the whole buffer). */
function parseCertificate(buf: Uint8Array, node: Asn1Node = readNode(buf, 0)): CertificateInfo {
  const [tbs] = children(buf, expect(node, TAG.SEQUENCE, 'Certificate SEQUENCE'));
  const fields = children(buf, expect(tbs, TAG.SEQUENCE, 'TBSCertificate SEQUENCE'));
  let i = fields[0]?.tag === TAG.CONTEXT0 ? 1 : 0;
  const serial = expect(fields[i++], TAG.INTEGER, 'certificate serial number');
  i++; // signature algorithm
  const issuer = expect(fields[i++], TAG.SEQUENCE, 'certificate issuer');
  i++; // validity
  const subject = expect(fields[i], TAG.SEQUENCE, 'certificate subject');
  const der = raw(buf, node);
  return {
    der,
    sha256: sha256Hex(der),
    subject: formatName(buf, subject),
    issuer: raw(buf, issuer),
    issuerKey: nameKey(buf, issuer),
    serial: stripZeros(content(buf, serial)),
  };
}

/** Parse a DER certificate given as its own byte array. */
export const parseCertificateBytes = (der: Uint8Array): CertificateInfo => {
  const node = readNode(der, 0);
  if (node.end !== der.length) throw new ParseError('trailing bytes after certificate');
  return parseCertificate(der, node);
};

interface SignerIdentifier {
  issuer?: Uint8Array;
  issuerKey?: string;
  serial?: Uint8Array;
  subjectKeyId?: Uint8Array;
}

export interface SignedDataInfo {
  certificates: CertificateInfo[];
  signerIds: SignerIdentifier[];
}

const SIGNED_DATA_OID = '1.2.840.113549.1.7.2';

/** PKCS#7 / CMS ContentInfo holding SignedData: the embedded certificates and who signed. */
export function parseSignedData(buf: Uint8Array): SignedDataInfo {
  const ci = readNode(buf, 0);
  const [oidNode, explicit] = children(buf, expect(ci, TAG.SEQUENCE, 'ContentInfo SEQUENCE'));
  const oid = decodeOid(content(buf, expect(oidNode, TAG.OID, 'ContentInfo content type')));
  if (oid !== SIGNED_DATA_OID) throw new ParseError(`PKCS#7 content type ${oid} is not SignedData`);
  const [sd] = children(buf, expect(explicit, TAG.CONTEXT0, 'ContentInfo [0] content'));
  const parts = children(buf, expect(sd, TAG.SEQUENCE, 'SignedData SEQUENCE'));
  const certificates: CertificateInfo[] = [];
  let signerInfos: Asn1Node | undefined;
  for (const part of parts.slice(3)) {
    if (part.tag === TAG.CONTEXT0) {
      for (const c of children(buf, part))
        if (c.tag === TAG.SEQUENCE) certificates.push(parseCertificate(buf, c));
    } else if (part.tag === TAG.SET) {
      signerInfos = part;
    }
  }
  const signerIds: SignerIdentifier[] = [];
  for (const si of signerInfos ? children(buf, signerInfos) : []) {
    const [, sid] = children(buf, expect(si, TAG.SEQUENCE, 'SignerInfo SEQUENCE'));
    if (sid?.tag === TAG.SEQUENCE) {
      const [issuer, serial] = children(buf, sid);
      const issuerNode = expect(issuer, TAG.SEQUENCE, 'SignerInfo issuer');
      signerIds.push({
        issuer: raw(buf, issuerNode),
        issuerKey: nameKey(buf, issuerNode),
        serial: stripZeros(content(buf, expect(serial, TAG.INTEGER, 'SignerInfo serial'))),
      });
    } else if (sid?.tag === 0x80) {
      signerIds.push({ subjectKeyId: content(buf, sid) });
    } else {
      throw new ParseError('SignerInfo without a signer identifier');
    }
  }
  return { certificates, signerIds };
}

/** The certificate each SignerInfo names (issuer + serial), never simply the first certificate. */
export function signerCertificates(info: SignedDataInfo): CertificateInfo[] {
  const out: CertificateInfo[] = [];
  for (const id of info.signerIds) {
    let match: CertificateInfo | undefined;
    if (id.issuer && id.serial) {
      const { issuer, serial, issuerKey } = id;
      match = info.certificates.find(
        (c) => equalBytes(c.serial, serial) && (equalBytes(c.issuer, issuer) || c.issuerKey === issuerKey),
      );
    } else if (info.certificates.length === 1) {
      // Subject-key-identifier signers are rare in JAR signing; a lone certificate is unambiguous.
      match = info.certificates[0];
    }
    if (match && !out.includes(match)) out.push(match);
  }
  return out;
}
