/**
 * Shared helpers for the MDM and table importers: JSON access, id and digest checks, CSV rows,
 * and the target assembly every importer ends with (status, evidence, diagnostics).
 * Importers are pure: text in, targets out.
 */
import type {
  AppRecord,
  DeviceFacts,
  Diagnostic,
  Platform,
  PublisherEvidence,
  TargetResult,
} from '../../model.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A non-empty string field (own property only: the input is untrusted). */
export const str = (o: JsonObject, key: string): string | undefined => {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
};

export const arr = (o: JsonObject, key: string): Json[] | undefined => {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return Array.isArray(v) ? v : undefined;
};

export const obj = (o: JsonObject, key: string): JsonObject | undefined => {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return isObject(v) ? v : undefined;
};

/** JSON.parse that never throws; undefined for text that is not JSON. */
export const parseJson = (text: string): Json | undefined => {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
  } catch {
    return undefined;
  }
};

/**
 * An Android package name or an iOS bundle id: dot-separated segments of letters, digits, `_` and
 * (iOS) `-`, at least two segments. Android requires a dot; bundle ids from MDMs are reverse-DNS too,
 * so a bare word ("TikTok") is a display name, not an id.
 */
const PLAUSIBLE_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+$/;
export const isPlausibleId = (value: string): boolean => value.length <= 255 && PLAUSIBLE_ID.test(value);

const HEX = (bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);
const HEX20 = HEX(20);
const HEX16 = HEX(16);
const HEX32 = HEX(32);

/**
 * A certificate digest of `bytes` bytes as lowercase hex without colons. Accepts hex (any case,
 * with or without `:`/spaces) and base64 of the raw digest, since exports differ.
 */
export const normaliseDigest = (value: string, bytes: 16 | 20 | 32): string | undefined => {
  const hex = value.replace(/[:\s-]/g, '').toLowerCase();
  const re = bytes === 20 ? HEX20 : bytes === 16 ? HEX16 : HEX32;
  if (re.test(hex)) return hex;
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value.trim())) {
    const raw = Buffer.from(value.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (raw.length === bytes) return raw.toString('hex');
  }
  return undefined;
};

/** Which publisher evidence a set of apps carries, for `TargetResult.evidence`. */
const publisherEvidence = (apps: readonly AppRecord[]): PublisherEvidence => {
  const kinds = new Set<PublisherEvidence>();
  for (const a of apps) {
    if (a.publisher.certSha256?.length) kinds.add('sha256');
    if (a.publisher.certSha1?.length) kinds.add('sha1');
    if (a.publisher.teamId) kinds.add('team-id');
  }
  if (kinds.size === 0) return 'none';
  if (kinds.size > 1) return 'mixed';
  return [...kinds][0] as PublisherEvidence;
};

const NO_PUBLISHER_EVIDENCE = 'publisher evidence: none in this source';

export interface TargetParts {
  id: string;
  format: string;
  apps: AppRecord[];
  device?: DeviceFacts;
  diagnostics?: Diagnostic[];
  /** Reasons the target was read only in part; any makes it `partial`. */
  partial?: string[];
  /** Set when the target could not be read at all. */
  failed?: string;
  /**
   * Whether this source could ever carry certificates: when it cannot, every target says so even
   * if it holds no apps; when it can, a target whose apps carry none says so too.
   */
  sourceCarriesCerts: boolean;
}

/** Assemble a target the same way in every importer. */
export const buildTarget = (parts: TargetParts): TargetResult => {
  const diagnostics = [...(parts.diagnostics ?? [])];
  const evidence = parts.sourceCarriesCerts ? publisherEvidence(parts.apps) : 'none';
  if (evidence === 'none') diagnostics.push({ level: 'info', message: NO_PUBLISHER_EVIDENCE });
  const partial = parts.partial ?? [];
  const target: TargetResult = {
    id: parts.id,
    kind: 'inventory',
    status: parts.failed ? 'failed' : partial.length > 0 ? 'partial' : 'scanned',
    format: parts.format,
    apps: parts.apps,
    diagnostics,
    evidence: { publisher: evidence },
  };
  if (parts.failed) target.error = parts.failed;
  else if (partial.length > 0) target.error = partial.join('; ');
  if (parts.device) target.device = parts.device;
  return target;
};

/** Set a field only when the value is defined (exactOptionalPropertyTypes). */
export const put = <T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
): void => {
  if (value !== undefined) target[key] = value;
};

/** A version code as a number when it is an integer, else the string as given. */
export const versionCode = (value: string | undefined): number | string | undefined => {
  if (value === undefined) return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : value;
};

export const platformOf = (value: string | undefined): Platform | undefined => {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v.startsWith('android')) return 'android';
  if (v === 'ios' || v === 'ipados' || v === 'iphone' || v === 'ipad' || v.startsWith('ios')) return 'ios';
  return undefined;
};

/**
 * Split CSV text into rows (RFC 4180: quoted fields may hold the delimiter, quotes and newlines).
 * Each row keeps its 1-based starting line for diagnostics.
 */
export const parseCsv = (text: string, delimiter: string): Array<{ line: number; cells: string[] }> => {
  const rows: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === delimiter) {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return rows.filter((r) => r.cells.some((x) => x.trim() !== ''));
};

/** The delimiter of a CSV header line: comma, semicolon (European Excel) or tab. */
export const csvDelimiter = (headerLine: string): string => {
  const counts = [',', ';', '\t'].map((d) => [d, headerLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
};

/** Header cell as a lookup key: lowercase, without spaces, `_` and `-`. */
export const headerKey = (cell: string): string =>
  cell
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');

/** First non-blank line of the text (BOM removed). */
export const firstLine = (text: string): string => {
  const t = text.replace(/^\uFEFF/, '');
  for (const line of t.split(/\r?\n/, 50)) if (line.trim() !== '') return line;
  return '';
};
