/**
 * Reader for Android Binary XML (ABX), the format AOSP's `BinaryXmlSerializer` writes for
 * packages.xml and other system files since Android 12. Layout: magic `ABX\0`, then a stream of
 * tokens; each token byte is `(valueType << 4) | event`. All numbers are big-endian; strings are a
 * u16 byte length followed by modified UTF-8; interned strings are a u16 index into a table that
 * grows whenever the index is 0xFFFF (a new string follows).
 */

import { ParseError } from './types.js';
import {
  DEFAULT_XML_LIMITS,
  resolveEntity,
  type XmlAttribute,
  type XmlElement,
  type XmlLimits,
  XmlTreeBuilder,
} from './xml.js';

/** ABX files start with the magic `ABX\0`. */
export const isAbx = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0x41 && bytes[1] === 0x42 && bytes[2] === 0x58 && bytes[3] === 0x00;

/** XmlPullParser event numbers, as stored in the low nibble of a token. */
const ABX_EVENT = {
  START_DOCUMENT: 0,
  END_DOCUMENT: 1,
  START_TAG: 2,
  END_TAG: 3,
  TEXT: 4,
  CDSECT: 5,
  ENTITY_REF: 6,
  IGNORABLE_WHITESPACE: 7,
  PROCESSING_INSTRUCTION: 8,
  COMMENT: 9,
  DOCDECL: 10,
  ATTRIBUTE: 15,
} as const;

/** Value types, as stored in the high nibble of a token. */
const ABX_TYPE = {
  NULL: 1,
  STRING: 2,
  STRING_INTERNED: 3,
  BYTES_HEX: 4,
  BYTES_BASE64: 5,
  INT: 6,
  INT_HEX: 7,
  LONG: 8,
  LONG_HEX: 9,
  FLOAT: 10,
  DOUBLE: 11,
  BOOLEAN_TRUE: 12,
  BOOLEAN_FALSE: 13,
} as const;

/** A typed attribute value as ABX stores it. */
type AbxValue =
  | { type: 'string'; value: string; interned: boolean }
  | { type: 'bytes-hex' | 'bytes-base64'; value: Uint8Array }
  | { type: 'int' | 'int-hex'; value: number }
  | { type: 'long' | 'long-hex'; value: bigint }
  | { type: 'float' | 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

export type AbxEvent =
  | { kind: 'start-document' }
  | { kind: 'end-document' }
  | { kind: 'start-tag'; name: string }
  | { kind: 'end-tag'; name: string }
  | { kind: 'attribute'; name: string; value: AbxValue }
  | {
      kind:
        | 'text'
        | 'cdsect'
        | 'entity-ref'
        | 'ignorable-whitespace'
        | 'processing-instruction'
        | 'comment'
        | 'docdecl';
      text: string;
    };

const TEXT_EVENT_KINDS = {
  4: 'text',
  5: 'cdsect',
  6: 'entity-ref',
  7: 'ignorable-whitespace',
  8: 'processing-instruction',
  9: 'comment',
  10: 'docdecl',
} as const;

/** Most strings the interning table may hold: indices are u16 and 0xFFFF is the "new string" marker. */
const MAX_INTERNED = 0xffff;

/**
 * Decodes Java "modified UTF-8" (NUL as C0 80, supplementary characters as surrogate pairs).
 * Standard 4-byte UTF-8 sequences are accepted too; malformed bytes become U+FFFD.
 */
export const decodeModifiedUtf8 = (bytes: Uint8Array, start: number, end: number): string => {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if ((bytes[i] ?? 0) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
  const units: number[] = [];
  let i = start;
  const cont = (k: number): number => {
    const b = bytes[k];
    return b !== undefined && k < end && (b & 0xc0) === 0x80 ? b & 0x3f : -1;
  };
  while (i < end) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if ((b & 0xe0) === 0xc0) {
      const c1 = cont(i + 1);
      if (c1 < 0) {
        units.push(0xfffd);
        i += 1;
      } else {
        units.push(((b & 0x1f) << 6) | c1);
        i += 2;
      }
    } else if ((b & 0xf0) === 0xe0) {
      const c1 = cont(i + 1);
      const c2 = cont(i + 2);
      if (c1 < 0 || c2 < 0) {
        units.push(0xfffd);
        i += 1;
      } else {
        units.push(((b & 0x0f) << 12) | (c1 << 6) | c2);
        i += 3;
      }
    } else if ((b & 0xf8) === 0xf0) {
      const c1 = cont(i + 1);
      const c2 = cont(i + 2);
      const c3 = cont(i + 3);
      const cp = ((b & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
      if (c1 < 0 || c2 < 0 || c3 < 0 || cp > 0x10ffff || cp < 0x10000) {
        units.push(0xfffd);
        i += 1;
      } else {
        units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
        i += 4;
      }
    } else {
      units.push(0xfffd);
      i += 1;
    }
  }
  let out = '';
  for (let k = 0; k < units.length; k += 8192) out += String.fromCharCode(...units.slice(k, k + 8192));
  return out;
};

/**
 * Java's `Float.toString`/`Double.toString` give the shortest decimal that reads back to the same
 * value; mirror that so ABX values print as the text serializer would have written them.
 */
const javaFloatString = (value: number, single: boolean): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  let digits = String(value);
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const candidate = value.toPrecision(p);
      if (Math.fround(Number(candidate)) === value) {
        digits = String(Number(candidate));
        break;
      }
    }
  }
  const abs = Math.abs(Number(digits));
  if (abs >= 1e-3 && abs < 1e7) return digits.includes('.') ? digits : `${digits}.0`;
  // Java's scientific form: mantissa always has a fractional part, exponent has no '+'.
  const [mantissa = digits, exponent = '0'] = Number(digits).toExponential().split('e');
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${m}E${Number(exponent)}`;
};

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

/** The attribute's value as text, matching what `BinaryXmlPullParser.getAttributeValue` returns. */
const abxValueText = (value: AbxValue): string => {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'bytes-hex':
      return toHex(value.value);
    case 'bytes-base64':
      return Buffer.from(value.value).toString('base64');
    case 'int':
      return String(value.value);
    case 'int-hex':
      return (value.value >>> 0).toString(16);
    case 'long':
      return value.value.toString();
    case 'long-hex':
      return BigInt.asUintN(64, value.value).toString(16);
    case 'float':
      return javaFloatString(value.value, true);
    case 'double':
      return javaFloatString(value.value, false);
    case 'boolean':
      return value.value ? 'true' : 'false';
    case 'null':
      return '';
  }
};

class AbxCursor {
  pos = 4;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string, at: number = this.pos): ParseError {
    return new ParseError(`ABX offset ${at}: ${message}`);
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      throw this.fail(`truncated: ${what} needs ${n} bytes but only ${this.bytes.length - this.pos} remain`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  raw(what: string): Uint8Array {
    const length = this.u16(`${what} length`);
    this.need(length, what);
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return out;
  }

  utf(what: string): string {
    const length = this.u16(`${what} length`);
    this.need(length, what);
    const s = decodeModifiedUtf8(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return s;
  }
}

/**
 * Streams ABX events. Throws ParseError (naming the byte offset) on truncation, bad interned
 * indices, unknown token or value types and a missing magic.
 */
export function* readAbxEvents(bytes: Uint8Array): Generator<AbxEvent> {
  if (!isAbx(bytes)) throw new ParseError('not ABX binary XML: missing "ABX\\0" magic');
  const cursor = new AbxCursor(bytes);
  const interned: string[] = [];

  const internedString = (what: string): string => {
    const at = cursor.pos;
    const index = cursor.u16(`${what} index`);
    if (index === 0xffff) {
      const s = cursor.utf(what);
      if (interned.length >= MAX_INTERNED) throw cursor.fail('interned string table is full', at);
      interned.push(s);
      return s;
    }
    const s = interned[index];
    if (s === undefined) {
      throw cursor.fail(
        `${what} refers to interned string #${index}, but only ${interned.length} are defined`,
        at,
      );
    }
    return s;
  };

  while (cursor.pos < bytes.length) {
    const at = cursor.pos;
    const token = cursor.u8('token');
    const event = token & 0x0f;
    const type = token >> 4;
    if (event === ABX_EVENT.ATTRIBUTE) {
      const name = internedString('attribute name');
      yield { kind: 'attribute', name, value: readValue(cursor, type, internedString, at) };
      continue;
    }
    switch (event) {
      case ABX_EVENT.START_DOCUMENT:
        yield { kind: 'start-document' };
        break;
      case ABX_EVENT.END_DOCUMENT:
        yield { kind: 'end-document' };
        break;
      case ABX_EVENT.START_TAG:
      case ABX_EVENT.END_TAG: {
        if (type !== ABX_TYPE.STRING_INTERNED) {
          throw cursor.fail(`tag token 0x${token.toString(16)} must carry an interned name`, at);
        }
        const name = internedString('tag name');
        yield { kind: event === ABX_EVENT.START_TAG ? 'start-tag' : 'end-tag', name };
        break;
      }
      case ABX_EVENT.TEXT:
      case ABX_EVENT.CDSECT:
      case ABX_EVENT.ENTITY_REF:
      case ABX_EVENT.IGNORABLE_WHITESPACE:
      case ABX_EVENT.PROCESSING_INSTRUCTION:
      case ABX_EVENT.COMMENT:
      case ABX_EVENT.DOCDECL: {
        let text: string;
        if (type === ABX_TYPE.NULL) text = '';
        else if (type === ABX_TYPE.STRING) text = cursor.utf('text');
        else if (type === ABX_TYPE.STRING_INTERNED) text = internedString('text');
        else throw cursor.fail(`text token 0x${token.toString(16)} has unsupported value type ${type}`, at);
        yield { kind: TEXT_EVENT_KINDS[event], text };
        break;
      }
      default:
        throw cursor.fail(`unknown token 0x${token.toString(16).padStart(2, '0')} (event ${event})`, at);
    }
  }
}

const readValue = (
  cursor: AbxCursor,
  type: number,
  internedString: (what: string) => string,
  at: number,
): AbxValue => {
  switch (type) {
    case ABX_TYPE.NULL:
      return { type: 'null' };
    case ABX_TYPE.STRING:
      return { type: 'string', value: cursor.utf('attribute value'), interned: false };
    case ABX_TYPE.STRING_INTERNED:
      return { type: 'string', value: internedString('attribute value'), interned: true };
    case ABX_TYPE.BYTES_HEX:
      return { type: 'bytes-hex', value: cursor.raw('attribute bytes') };
    case ABX_TYPE.BYTES_BASE64:
      return { type: 'bytes-base64', value: cursor.raw('attribute bytes') };
    case ABX_TYPE.INT:
      return { type: 'int', value: cursor.i32('int attribute') };
    case ABX_TYPE.INT_HEX:
      return { type: 'int-hex', value: cursor.i32('int attribute') };
    case ABX_TYPE.LONG:
      return { type: 'long', value: cursor.i64('long attribute') };
    case ABX_TYPE.LONG_HEX:
      return { type: 'long-hex', value: cursor.i64('long attribute') };
    case ABX_TYPE.FLOAT:
      return { type: 'float', value: cursor.f32('float attribute') };
    case ABX_TYPE.DOUBLE:
      return { type: 'double', value: cursor.f64('double attribute') };
    case ABX_TYPE.BOOLEAN_TRUE:
      return { type: 'boolean', value: true };
    case ABX_TYPE.BOOLEAN_FALSE:
      return { type: 'boolean', value: false };
    default:
      throw cursor.fail(`attribute has unknown value type ${type}`, at);
  }
};

const abxAttribute = (name: string, value: AbxValue): XmlAttribute => {
  const attribute: XmlAttribute = { name, value: abxValueText(value), abxType: value.type };
  if (value.type === 'bytes-hex' || value.type === 'bytes-base64') attribute.bytes = value.value;
  return attribute;
};

/**
 * Reads an ABX document into the same element tree the text reader builds. Entity references are
 * resolved (predefined and character entities; others are kept literally as `&name;`), CDATA
 * becomes text, comments/processing instructions/doctype tokens are dropped: ABX never expands a
 * DTD, so a DOCDECL token is inert.
 */
export const parseAbx = (bytes: Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement => {
  if (bytes.length > limits.maxBytes) throw new ParseError(`ABX is larger than ${limits.maxBytes} bytes`);
  const builder = new XmlTreeBuilder(limits, (m) => new ParseError(`ABX: ${m}`));
  let ended = false;
  let attributesAllowed = false;
  for (const event of readAbxEvents(bytes)) {
    if (ended && event.kind !== 'end-document') {
      if (event.kind === 'ignorable-whitespace' || event.kind === 'comment') continue;
      throw new ParseError(`ABX: ${event.kind} after END_DOCUMENT`);
    }
    switch (event.kind) {
      case 'start-document':
        break;
      case 'end-document':
        ended = true;
        break;
      case 'start-tag':
        builder.start(event.name);
        attributesAllowed = true;
        continue;
      case 'attribute':
        if (!attributesAllowed)
          throw new ParseError(`ABX: attribute "${event.name}" does not follow a start tag`);
        builder.attribute(abxAttribute(event.name, event.value));
        continue;
      case 'end-tag':
        builder.end(event.name);
        break;
      case 'text':
      case 'cdsect':
      case 'ignorable-whitespace':
        builder.text(event.text);
        break;
      case 'entity-ref':
        builder.text(resolveEntity(event.text) ?? `&${event.text};`);
        break;
      case 'processing-instruction':
      case 'comment':
      case 'docdecl':
        break;
    }
    attributesAllowed = false;
  }
  return builder.finish();
};
