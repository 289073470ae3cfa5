/**
 * An ABX writer for tests and fixture generation, following AOSP `BinaryXmlSerializer`: magic
 * `ABX\0`, token = (type << 4) | event, tag and attribute names always interned, attribute values
 * typed, strings as u16 length + modified UTF-8. Independent of src/parsers/abx.ts on purpose.
 */
import type { XmlElement } from '../../src/parsers/xml.js';

export type WriterValue =
  | { type: 'string'; value: string }
  | { type: 'interned'; value: string }
  | { type: 'bytes-hex' | 'bytes-base64'; value: Uint8Array }
  | { type: 'int' | 'int-hex'; value: number }
  | { type: 'long' | 'long-hex'; value: bigint }
  | { type: 'float' | 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

const TYPE = {
  null: 1,
  string: 2,
  interned: 3,
  'bytes-hex': 4,
  'bytes-base64': 5,
  int: 6,
  'int-hex': 7,
  long: 8,
  'long-hex': 9,
  float: 10,
  double: 11,
  true: 12,
  false: 13,
} as const;

export const EVENT = {
  startDocument: 0,
  endDocument: 1,
  startTag: 2,
  endTag: 3,
  text: 4,
  cdsect: 5,
  entityRef: 6,
  ignorableWhitespace: 7,
  processingInstruction: 8,
  comment: 9,
  docdecl: 10,
  attribute: 15,
} as const;

/** Java DataOutput.writeUTF encoding: NUL as C0 80, UTF-16 units encoded one by one. */
export const encodeModifiedUtf8 = (s: string): Uint8Array => {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
};

export class AbxWriter {
  private readonly chunks: number[] = [0x41, 0x42, 0x58, 0x00];
  private readonly interned = new Map<string, number>();

  private u8(v: number): void {
    this.chunks.push(v & 0xff);
  }
  private u16(v: number): void {
    this.chunks.push((v >> 8) & 0xff, v & 0xff);
  }
  private i32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v);
    this.chunks.push(...b);
  }
  private i64(v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, v));
    this.chunks.push(...b);
  }
  private utf(s: string): void {
    const bytes = encodeModifiedUtf8(s);
    if (bytes.length > 0xffff) throw new Error(`string of ${bytes.length} bytes is too long for ABX`);
    this.u16(bytes.length);
    for (const b of bytes) this.chunks.push(b);
  }
  private internedUtf(s: string): void {
    const index = this.interned.get(s);
    if (index !== undefined) {
      this.u16(index);
      return;
    }
    this.u16(0xffff);
    this.utf(s);
    this.interned.set(s, this.interned.size);
  }

  startDocument(): this {
    this.u8((TYPE.null << 4) | EVENT.startDocument);
    return this;
  }
  endDocument(): this {
    this.u8((TYPE.null << 4) | EVENT.endDocument);
    return this;
  }
  startTag(name: string): this {
    this.u8((TYPE.interned << 4) | EVENT.startTag);
    this.internedUtf(name);
    return this;
  }
  endTag(name: string): this {
    this.u8((TYPE.interned << 4) | EVENT.endTag);
    this.internedUtf(name);
    return this;
  }
  /** A text-like token (TEXT, CDSECT, COMMENT, …); `null` text writes the payload-less form. */
  token(event: number, text: string | null): this {
    if (text === null) {
      this.u8((TYPE.null << 4) | event);
    } else {
      this.u8((TYPE.string << 4) | event);
      this.utf(text);
    }
    return this;
  }
  text(text: string): this {
    return this.token(EVENT.text, text);
  }
  attribute(name: string, value: WriterValue): this {
    const type = value.type === 'boolean' ? (value.value ? TYPE.true : TYPE.false) : TYPE[value.type];
    this.u8((type << 4) | EVENT.attribute);
    this.internedUtf(name);
    switch (value.type) {
      case 'string':
        this.utf(value.value);
        break;
      case 'interned':
        this.internedUtf(value.value);
        break;
      case 'bytes-hex':
      case 'bytes-base64':
        if (value.value.length > 0xffff) throw new Error('byte attribute too long for ABX');
        this.u16(value.value.length);
        for (const b of value.value) this.chunks.push(b);
        break;
      case 'int':
      case 'int-hex':
        this.i32(value.value);
        break;
      case 'long':
      case 'long-hex':
        this.i64(value.value);
        break;
      case 'float': {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setFloat32(0, value.value);
        this.chunks.push(...b);
        break;
      }
      case 'double': {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setFloat64(0, value.value);
        this.chunks.push(...b);
        break;
      }
      case 'boolean':
      case 'null':
        break;
    }
    return this;
  }
  /** Appends raw bytes, for hostile-input tests. */
  raw(...bytes: number[]): this {
    this.chunks.push(...bytes);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** How AOSP's Settings.writeLPr types each packages.xml attribute it writes. */
export const packagesXmlAttributeType = (element: string, name: string, value: string): WriterValue => {
  const intNames = new Set([
    'userId',
    'sharedUserId',
    'publicFlags',
    'privateFlags',
    'flags',
    'index',
    'count',
    'schemeVersion',
    'sdkVersion',
    'databaseVersion',
    'protection',
    'identifier',
    'installerUid',
    'packageSource',
  ]);
  if (name === 'key' && element === 'cert') return { type: 'bytes-hex', value: Buffer.from(value, 'hex') };
  if (name === 'version' && element !== 'keyset-settings') return { type: 'long', value: BigInt(value) };
  if (name === 'ft' || name === 'it' || name === 'ut')
    return { type: 'long-hex', value: BigInt(`0x${value}`) };
  if (intNames.has(name) && /^-?[0-9]+$/.test(value)) return { type: 'int', value: Number(value) };
  if (value === 'true' || value === 'false') return { type: 'boolean', value: value === 'true' };
  if (name === 'installer' || name === 'installInitiator') return { type: 'interned', value };
  return { type: 'string', value };
};

/** Serialises an element tree to ABX, typing attributes with `typeOf` (strings by default). */
export const writeAbxTree = (
  root: XmlElement,
  typeOf: (element: string, name: string, value: string) => WriterValue = (_e, _n, value) => ({
    type: 'string',
    value,
  }),
): Uint8Array => {
  const writer = new AbxWriter().startDocument();
  const visit = (element: XmlElement): void => {
    writer.startTag(element.name);
    for (const a of element.attributes) writer.attribute(a.name, typeOf(element.name, a.name, a.value));
    for (const child of element.children) {
      if (typeof child === 'string') writer.text(child);
      else visit(child);
    }
    writer.endTag(element.name);
  };
  visit(root);
  return writer.endDocument().bytes();
};
