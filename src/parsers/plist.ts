/**
 * Apple XML property-list parser. Written for untrusted input: no DTD processing or entity
 * expansion (a document declaring `<!ENTITY` is refused), bounded nesting and size, and an
 * explicit stack instead of recursion. The binary-plist parser (bplist.ts) returns the same type.
 */

import { MAX_DOCUMENT_BYTES, MAX_PLIST_VALUES } from '../limits.js';
import { lineAt, preview } from './text.js';
import { ParseError } from './types.js';

export type PlistValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | PlistValue[]
  | { [key: string]: PlistValue };

export type PlistDict = { [key: string]: PlistValue };

export interface XmlPlistOptions {
  /** Deepest allowed array/dict nesting. */
  maxDepth?: number;
  /** Largest accepted document, in characters. */
  maxLength?: number;
  /** Most values (strings, numbers, arrays, dicts …) in the document. */
  maxValues?: number;
}

const DEFAULT_MAX_DEPTH = 64;
/** See src/limits.ts: documents larger than this are not device output. */
const DEFAULT_MAX_LENGTH = MAX_DOCUMENT_BYTES;

/** True when the text starts like an XML plist (after whitespace and an optional BOM). */
export function looksLikeXmlPlist(text: string): boolean {
  const head = text.slice(0, 1024).replace(/^\uFEFF?\s*/, '');
  if (head.startsWith('<plist')) return true;
  if (!head.startsWith('<?xml') && !head.startsWith('<!DOCTYPE')) return false;
  return /<!DOCTYPE\s+plist|<plist[\s>]/.test(head);
}

export const isPlistDict = (value: PlistValue | undefined): value is PlistDict =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Date) &&
  !(value instanceof Uint8Array);

type Frame =
  | { kind: 'array'; items: PlistValue[] }
  | { kind: 'dict'; dict: PlistDict; key: string | undefined; keyAt: number };

const SIMPLE_TAGS = new Set(['string', 'key', 'integer', 'real', 'date', 'data']);

/** Parse an XML plist document into a PlistValue. Throws ParseError naming the line for bad input. */
export function parsePlistXml(text: string, options: XmlPlistOptions = {}): PlistValue {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) {
    throw new ParseError(`XML plist is too large (${text.length} characters, limit ${maxLength})`);
  }
  function fail(message: string, at: number): never {
    const line = lineAt(text, at);
    throw new ParseError(`${message} at line ${line}`, line);
  }
  function truncated(): never {
    return fail('truncated XML plist', text.length);
  }

  if (text.startsWith('bplist')) throw new ParseError('binary plist (bplist00), not an XML plist');
  if (/<!ENTITY/i.test(text))
    fail('XML plist declares entities (<!ENTITY), refused', text.search(/<!ENTITY/i));

  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: Frame[] = [];
  let root: PlistValue | undefined;
  let rootSet = false;
  let inPlist = false;
  let plistClosed = false;

  // Each value costs an object or a string: 32 MB of `<dict/>` would otherwise be 2.5 M objects.
  const maxValues = options.maxValues ?? MAX_PLIST_VALUES;
  let values = 0;
  const place = (value: PlistValue, at: number): void => {
    if (++values > maxValues) fail(`XML plist has more than ${maxValues} values`, at);
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (rootSet) fail('more than one top-level value in XML plist', at);
      root = value;
      rootSet = true;
      return;
    }
    if (top.kind === 'array') {
      top.items.push(value);
      return;
    }
    if (top.key === undefined) fail('dict value without a <key>', at);
    setKey(top.dict, top.key as string, value);
    top.key = undefined;
  };

  while (true) {
    const lt = text.indexOf('<', pos);
    if (lt === -1) {
      if (text.slice(pos).trim() !== '') fail('text outside any element in XML plist', pos);
      break;
    }
    if (text.slice(pos, lt).trim() !== '') fail('unexpected text between XML plist elements', pos);
    pos = lt;
    if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos);
      if (end === -1) truncated();
      pos = end + 2;
      continue;
    }
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end === -1) truncated();
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<!DOCTYPE', pos)) {
      const end = text.indexOf('>', pos);
      if (end === -1) truncated();
      if (text.slice(pos, end).includes('[')) fail('XML plist DOCTYPE with an internal subset, refused', pos);
      pos = end + 1;
      continue;
    }
    if (text.startsWith('<!', pos)) fail('unsupported XML markup in plist', pos);
    const gt = text.indexOf('>', pos);
    if (gt === -1) truncated();
    const rawTag = text.slice(pos + 1, gt);
    const tagAt = pos;
    pos = gt + 1;
    const closing = rawTag.startsWith('/');
    const selfClosing = !closing && rawTag.endsWith('/');
    const name =
      (closing ? rawTag.slice(1) : selfClosing ? rawTag.slice(0, -1) : rawTag).trim().split(/\s/)[0] ?? '';

    if (plistClosed) fail('content after </plist>', tagAt);

    if (name === 'plist') {
      if (closing) {
        if (!inPlist || stack.length > 0) fail('unexpected </plist>', tagAt);
        plistClosed = true;
      } else if (inPlist || rootSet || stack.length > 0) {
        fail('nested <plist>', tagAt);
      } else if (!selfClosing) {
        inPlist = true;
      }
      continue;
    }

    if (closing) {
      const top = stack.pop();
      if (top === undefined || top.kind !== name) fail(`unexpected </${preview(name, 20)}>`, tagAt);
      if (top?.kind === 'dict' && top.key !== undefined)
        fail(`<key>${preview(top.key)}</key> without a value`, top.keyAt);
      if (top !== undefined) place(top.kind === 'array' ? top.items : top.dict, tagAt);
      continue;
    }

    if (name === 'true' || name === 'false') {
      if (!selfClosing) {
        const close = `</${name}>`;
        if (!text.startsWith(close, pos)) {
          if (pos >= text.length) truncated();
          fail(`<${name}> must be empty`, tagAt);
        }
        pos += close.length;
      }
      place(name === 'true', tagAt);
      continue;
    }

    if (name === 'array' || name === 'dict') {
      const value: PlistValue = name === 'array' ? [] : {};
      if (selfClosing) {
        place(value, tagAt);
        continue;
      }
      if (stack.length >= maxDepth) fail(`XML plist nested deeper than ${maxDepth} levels`, tagAt);
      stack.push(
        name === 'array'
          ? { kind: 'array', items: [] }
          : { kind: 'dict', dict: {}, key: undefined, keyAt: tagAt },
      );
      continue;
    }

    if (!SIMPLE_TAGS.has(name)) fail(`unknown XML plist element <${preview(name, 20)}>`, tagAt);

    let body = '';
    if (!selfClosing) {
      const close = `</${name}>`;
      const end = text.indexOf(close, pos);
      if (end === -1) truncated();
      body = text.slice(pos, end);
      if (body.includes('<') && !/^<!\[CDATA\[[\s\S]*\]\]>$/.test(body)) {
        fail(`markup inside <${name}>`, pos);
      }
      pos = end + close.length;
    }
    const content = body.startsWith('<![CDATA[')
      ? body.slice(9, -3)
      : decodeEntities(body, (m) => fail(m, tagAt));

    if (name === 'key') {
      const top = stack[stack.length - 1];
      if (top === undefined || top.kind !== 'dict') fail('<key> outside a <dict>', tagAt);
      if (top?.kind === 'dict') {
        if (top.key !== undefined) fail(`<key>${preview(top.key)}</key> without a value`, top.keyAt);
        top.key = content;
        top.keyAt = tagAt;
      }
      continue;
    }
    place(
      scalar(name, content, (m) => fail(m, tagAt)),
      tagAt,
    );
  }

  if (stack.length > 0 || (inPlist && !plistClosed)) truncated();
  if (!rootSet || root === undefined) fail('XML plist holds no value', 0);
  return root as PlistValue;
}

function setKey(dict: PlistDict, key: string, value: PlistValue): void {
  // A plain assignment to `__proto__` would replace the object's prototype instead of adding a key.
  if (key === '__proto__')
    Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  else dict[key] = value;
}

function scalar(name: string, content: string, fail: (message: string) => never): PlistValue {
  switch (name) {
    case 'string':
      return content;
    case 'integer': {
      const t = content.trim();
      if (!/^[+-]?\d+$/.test(t)) return fail(`invalid <integer> ${JSON.stringify(preview(t))}`);
      const n = Number(t);
      return Number.isSafeInteger(n) ? n : BigInt(t);
    }
    case 'real': {
      const t = content.trim().toLowerCase();
      if (t === 'nan') return Number.NaN;
      if (/^[+-]?inf(inity)?$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t))
        return fail(`invalid <real> ${JSON.stringify(preview(t))}`);
      return Number(t);
    }
    case 'date': {
      const t = content.trim();
      const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/.exec(t);
      const d = m ? new Date(t) : undefined;
      if (d === undefined || Number.isNaN(d.getTime()))
        return fail(`invalid <date> ${JSON.stringify(preview(t))}`);
      return d;
    }
    case 'data':
      return decodeBase64(content, fail);
    default:
      return fail(`unknown XML plist element <${name}>`);
  }
}

const ENTITY_NAMES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(raw: string, fail: (message: string) => never): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,12});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) return fail(`bare "&" in XML plist text (${preview(whole)})`);
    const named = ENTITY_NAMES[ref];
    if (named !== undefined) return named;
    const num = /^#(\d{1,7})$/.exec(ref)?.[1] ?? /^#x([0-9a-fA-F]{1,6})$/.exec(ref)?.[1];
    if (num !== undefined) {
      const code = ref.startsWith('#x') ? Number.parseInt(num, 16) : Number.parseInt(num, 10);
      if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff))
        return String.fromCodePoint(code);
    }
    return fail(`unsupported XML entity ${preview(whole)}`);
  });
}

function decodeBase64(raw: string, fail: (message: string) => never): Uint8Array {
  const clean = raw.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    return fail('invalid base64 in <data>');
  }
  return new Uint8Array(Buffer.from(clean, 'base64'));
}
