/**
 * A small, deliberately limited XML reader for files Android itself writes (packages.xml up to
 * Android 11). It understands elements, attributes, text, CDATA, comments, processing instructions
 * and the five predefined entities plus character references. It refuses DOCTYPE declarations
 * outright: no DTD means no entity expansion (billion laughs) and no external entities.
 * Both this reader and the ABX reader build the same element tree.
 */
import { MAX_DOCUMENT_BYTES, MAX_XML_CHILDREN, MAX_XML_NODES } from '../limits.js';
import { ParseError } from './types.js';

/** One attribute. `bytes` is set when the binary form carried raw bytes (ABX BYTES_HEX/BASE64). */
export interface XmlAttribute {
  name: string;
  /** The value as the text serializer would have written it. */
  value: string;
  bytes?: Uint8Array;
  /** ABX value type (`int-hex`, `long`, …) when the attribute came from binary XML. */
  abxType?: string;
}

export interface XmlElement {
  name: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
  /** 1-based line of the start tag, for text input. */
  line?: number;
}

/** Text nodes are plain strings (entities already decoded, CDATA merged in). */
export type XmlNode = XmlElement | string;

export interface XmlLimits {
  /** Deepest element nesting accepted. */
  maxDepth: number;
  /** Most elements + text nodes + attributes accepted in one document. */
  maxNodes: number;
  /** Largest input accepted, in bytes (or UTF-16 units for text). */
  maxBytes: number;
  /** Most children (elements and text) directly under one element; unset means MAX_XML_CHILDREN. */
  maxChildren?: number;
}

/** See src/limits.ts for why these values. */
export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxDepth: 256,
  maxNodes: MAX_XML_NODES,
  maxBytes: MAX_DOCUMENT_BYTES,
  maxChildren: MAX_XML_CHILDREN,
};

export const getAttribute = (element: XmlElement, name: string): XmlAttribute | undefined =>
  element.attributes.find((a) => a.name === name);

export const attributeValue = (element: XmlElement, name: string): string | undefined =>
  getAttribute(element, name)?.value;

export const childElements = (element: XmlElement, name?: string): XmlElement[] =>
  element.children.filter(
    (c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name),
  );

/** Concatenated text of an element's direct text children. */
export const elementText = (element: XmlElement): string =>
  element.children.filter((c): c is string => typeof c === 'string').join('');

/**
 * Builds an element tree from start/end/text events and enforces the depth and node limits.
 * Shared by the text and the binary (ABX) readers so both produce identical trees.
 */
export class XmlTreeBuilder {
  private readonly stack: XmlElement[] = [];
  private root: XmlElement | undefined;
  private nodes = 0;
  /** Attribute names of the open elements, so duplicate checks cost O(1) rather than O(attributes). */
  private readonly attributeNames = new WeakMap<XmlElement, Set<string>>();
  /** Work done so far (nodes counted); tests use it to assert budgets. */
  get work(): number {
    return this.nodes;
  }

  constructor(
    private readonly limits: XmlLimits,
    private readonly where: (message: string) => ParseError,
  ) {}

  get depth(): number {
    return this.stack.length;
  }

  get currentName(): string | undefined {
    return this.stack[this.stack.length - 1]?.name;
  }

  private count(n: number): void {
    this.nodes += n;
    if (this.nodes > this.limits.maxNodes) {
      throw this.where(`document has more than ${this.limits.maxNodes} nodes`);
    }
  }

  start(name: string, line?: number): XmlElement {
    if (this.stack.length >= this.limits.maxDepth) {
      throw this.where(`elements nested deeper than ${this.limits.maxDepth} levels`);
    }
    const parent = this.stack[this.stack.length - 1];
    if (!parent && this.root) throw this.where(`second root element <${name}>`);
    this.count(1);
    const element: XmlElement = { name, attributes: [], children: [] };
    if (line !== undefined) element.line = line;
    if (parent) this.addChild(parent, element);
    else this.root = element;
    this.stack.push(element);
    return element;
  }

  attribute(attribute: XmlAttribute): void {
    const current = this.stack[this.stack.length - 1];
    if (!current) throw this.where(`attribute "${attribute.name}" outside any element`);
    this.count(1);
    let names = this.attributeNames.get(current);
    if (!names) {
      names = new Set(current.attributes.map((a) => a.name));
      this.attributeNames.set(current, names);
    }
    if (names.has(attribute.name)) {
      throw this.where(`duplicate attribute "${attribute.name}" on <${current.name}>`);
    }
    names.add(attribute.name);
    current.attributes.push(attribute);
  }

  private addChild(parent: XmlElement, child: XmlNode): void {
    const max = this.limits.maxChildren ?? MAX_XML_CHILDREN;
    if (parent.children.length >= max) {
      throw this.where(`<${parent.name}> has more than ${max} children`);
    }
    parent.children.push(child);
  }

  text(text: string): void {
    if (text === '') return;
    const current = this.stack[this.stack.length - 1];
    if (!current) {
      // Whitespace around the root element is not content.
      if (text.trim() === '') return;
      throw this.where('text outside the root element');
    }
    const last = current.children[current.children.length - 1];
    if (typeof last === 'string') {
      current.children[current.children.length - 1] = last + text;
      return;
    }
    this.count(1);
    this.addChild(current, text);
  }

  end(name: string): void {
    const current = this.stack.pop();
    if (!current) throw this.where(`end tag </${name}> without a start tag`);
    this.attributeNames.delete(current);
    if (current.name !== name) {
      throw this.where(`end tag </${name}> does not match <${current.name}>`);
    }
  }

  finish(): XmlElement {
    const open = this.stack[this.stack.length - 1];
    if (open) throw this.where(`input ends inside <${open.name}>`);
    if (!this.root) throw this.where('no root element');
    return this.root;
  }
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The replacement text of a predefined or character entity, or undefined when it is neither. */
export const resolveEntity = (name: string): string | undefined => {
  const predefined = PREDEFINED[name];
  if (predefined !== undefined) return predefined;
  let code: number | undefined;
  if (/^#[0-9]{1,7}$/.test(name)) code = Number.parseInt(name.slice(1), 10);
  else if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) code = Number.parseInt(name.slice(2), 16);
  if (code === undefined || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) {
    return undefined;
  }
  return String.fromCodePoint(code);
};

const isNameChar = (c: number): boolean =>
  !(
    c === 0x20 ||
    c === 0x09 ||
    c === 0x0a ||
    c === 0x0d ||
    c === 0x2f /* / */ ||
    c === 0x3e /* > */ ||
    c === 0x3d /* = */ ||
    c === 0x3c /* < */ ||
    c === 0x22 ||
    c === 0x27 ||
    c === 0x26 /* & */ ||
    Number.isNaN(c)
  );

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Decodes bytes as UTF-8 (the only encoding Android writes), rejecting other declared encodings. */
export const decodeXmlBytes = (bytes: Uint8Array): string => {
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))
  ) {
    throw new ParseError('UTF-16 XML is not supported (Android writes UTF-8)');
  }
  const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  const declared = /^<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  if (declared && !['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(declared.toLowerCase())) {
    throw new ParseError(`XML declares encoding "${declared}"; only UTF-8 is supported`);
  }
  return text;
};

/** Parses XML text into its root element. Throws ParseError (with line) for anything malformed. */
export const parseXml = (text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement => {
  if (text.length > limits.maxBytes) {
    throw new ParseError(`XML is larger than ${limits.maxBytes} bytes`);
  }
  let pos = 0;
  let line = 1;
  let lineScanned = 0;
  const lineAt = (offset: number): number => {
    // Lines are counted lazily and incrementally: positions only move forward.
    for (let i = lineScanned; i < offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 0x0a) line++;
    }
    lineScanned = Math.max(lineScanned, offset);
    return line;
  };
  const fail = (message: string, at: number = pos): ParseError => {
    const l = lineAt(at);
    return new ParseError(`line ${l}: ${message}`, l);
  };
  const builder = new XmlTreeBuilder(limits, (m) => fail(m));

  const decodeEntities = (raw: string, start: number): string => {
    if (!raw.includes('&')) return raw;
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf('&', i);
      if (amp < 0) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp);
      if (semi < 0 || semi - amp > 12) throw fail('"&" not followed by an entity reference', start + amp);
      const name = raw.slice(amp + 1, semi);
      const value = resolveEntity(name);
      if (value === undefined) {
        throw fail(
          `unknown entity "&${name};" (only predefined and character entities are allowed)`,
          start + amp,
        );
      }
      out += value;
      i = semi + 1;
    }
    return out;
  };

  const expect = (literal: string): void => {
    if (!text.startsWith(literal, pos)) throw fail(`expected "${literal}"`);
    pos += literal.length;
  };

  const skipSpace = (): void => {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
  };

  const readName = (): string => {
    const start = pos;
    while (pos < text.length && isNameChar(text.charCodeAt(pos))) pos++;
    if (pos === start) throw fail('expected a name');
    return text.slice(start, pos);
  };

  const skipUntil = (terminator: string, what: string): string => {
    const end = text.indexOf(terminator, pos);
    if (end < 0) throw fail(`unterminated ${what}`);
    const body = text.slice(pos, end);
    pos = end + terminator.length;
    return body;
  };

  if (text.charCodeAt(0) === 0xfeff) pos = 1;

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) {
      builder.text(decodeEntities(text.slice(pos), pos));
      pos = text.length;
      break;
    }
    if (lt > pos) builder.text(decodeEntities(text.slice(pos, lt), pos));
    pos = lt;
    if (text.startsWith('<!--', pos)) {
      pos += 4;
      skipUntil('-->', 'comment');
    } else if (text.startsWith('<![CDATA[', pos)) {
      pos += 9;
      const body = skipUntil(']]>', 'CDATA section');
      if (builder.depth === 0) throw fail('CDATA outside the root element');
      builder.text(body);
    } else if (text.startsWith('<!', pos)) {
      if (/^<!DOCTYPE/i.test(text.slice(pos, pos + 9))) {
        throw fail('DOCTYPE declarations are refused (they can define entities and external references)');
      }
      if (/^<!ENTITY/i.test(text.slice(pos, pos + 8))) {
        throw fail('ENTITY declarations are refused');
      }
      throw fail('unsupported markup declaration');
    } else if (text.startsWith('<?', pos)) {
      pos += 2;
      skipUntil('?>', 'processing instruction');
    } else if (text.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      expect('>');
      builder.end(name);
    } else {
      const tagStart = pos;
      pos += 1;
      const name = readName();
      builder.start(name, lineAt(tagStart));
      for (;;) {
        const before = pos;
        skipSpace();
        const c = text.charCodeAt(pos);
        if (Number.isNaN(c)) throw fail(`input ends inside the start tag <${name}>`);
        if (c === 0x3e) {
          pos++;
          break;
        }
        if (c === 0x2f) {
          pos++;
          expect('>');
          builder.end(name);
          break;
        }
        if (pos === before) throw fail(`expected whitespace between attributes of <${name}>`);
        const attrName = readName();
        skipSpace();
        expect('=');
        skipSpace();
        const quote = text[pos];
        if (quote !== '"' && quote !== "'") throw fail(`attribute "${attrName}" value is not quoted`);
        pos++;
        const valueStart = pos;
        const end = text.indexOf(quote, pos);
        if (end < 0) throw fail(`unterminated value of attribute "${attrName}"`);
        const raw = text.slice(pos, end);
        if (raw.includes('<')) throw fail(`"<" inside the value of attribute "${attrName}"`, valueStart);
        pos = end + 1;
        // Attribute-value normalisation: literal whitespace characters become spaces.
        builder.attribute({
          name: attrName,
          value: decodeEntities(raw.replace(/[\t\n\r]/g, ' '), valueStart),
        });
      }
    }
  }
  return builder.finish();
};
