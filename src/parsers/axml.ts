import { CHUNK, dataView, readChunk, readStringPool, type StringPool, VALUE_TYPE } from './res-chunks.js';
import { ParseError } from './types.js';

/** Android binary XML (compiled AndroidManifest.xml), read into a flat list of elements. */

const ANDROID_NS = 'http://schemas.android.com/apk/res/android';

/** Framework attribute ids the manifest reader needs; Android itself matches attributes by these ids. */
const ANDROID_ATTR: Record<number, string> = {
  16842753: 'label',
  16842754: 'icon',
  16842755: 'name',
  16843276: 'minSdkVersion',
  16843291: 'versionCode',
  16843292: 'versionName',
  16843376: 'targetSdkVersion',
  16843377: 'maxSdkVersion',
  16844146: 'compileSdkVersion',
  16844147: 'compileSdkVersionCodename',
  16844150: 'versionCodeMajor',
  16844154: 'isSplitRequired',
  16844031: 'isFeatureSplit',
};

export interface AxmlAttribute {
  namespace?: string;
  /** Name as the framework sees it: from the resource id when there is one, else the pool string. */
  name: string;
  /** Framework resource id from the resource map, when the attribute has one. */
  resourceId?: number;
  /** Raw string value, when the attribute kept one. */
  raw?: string;
  type: number;
  data: number;
}

export interface AxmlElement {
  name: string;
  namespace?: string;
  /** 0 for the root element. */
  depth: number;
  attributes: AxmlAttribute[];
}

export interface AxmlDocument {
  elements: AxmlElement[];
}

export interface AxmlLimits {
  maxElements?: number;
  maxDepth?: number;
  maxAttributes?: number;
}

/** Parse a compiled XML document. Throws ParseError for anything structurally wrong. */
export function parseAxml(bytes: Uint8Array, limits: AxmlLimits = {}): AxmlDocument {
  const maxElements = limits.maxElements ?? 100_000;
  const maxDepth = limits.maxDepth ?? 256;
  const maxAttributes = limits.maxAttributes ?? 1024;
  const dv = dataView(bytes);
  const root = readChunk(dv, 0, bytes.length, 'binary XML');
  if (root.type !== CHUNK.XML) {
    throw new ParseError(`not Android binary XML (chunk type 0x${root.type.toString(16)})`);
  }
  const end = root.size;
  let pool: StringPool | undefined;
  let resourceMap: number[] = [];
  const elements: AxmlElement[] = [];
  let depth = 0;
  let pos = root.headerSize;
  const str = (index: number): string | undefined => (index === 0xffffffff ? undefined : pool?.get(index));

  while (pos < end) {
    const chunk = readChunk(dv, pos, end, 'binary XML');
    switch (chunk.type) {
      case CHUNK.STRING_POOL:
        if (!pool) pool = readStringPool(dv, chunk, 'binary XML');
        break;
      case CHUNK.XML_RESOURCE_MAP: {
        const n = Math.floor((chunk.size - chunk.headerSize) / 4);
        resourceMap = [];
        for (let i = 0; i < n; i++)
          resourceMap.push(dv.getUint32(chunk.offset + chunk.headerSize + i * 4, true));
        break;
      }
      case CHUNK.XML_START_ELEMENT: {
        if (elements.length >= maxElements)
          throw new ParseError(`binary XML has more than ${maxElements} elements`);
        if (depth >= maxDepth) throw new ParseError(`binary XML nests deeper than ${maxDepth}`);
        const ext = chunk.offset + chunk.headerSize;
        if (ext + 20 > chunk.offset + chunk.size) throw new ParseError('binary XML: truncated start element');
        const ns = str(dv.getUint32(ext, true));
        const name = str(dv.getUint32(ext + 4, true)) ?? '';
        const attrStart = dv.getUint16(ext + 8, true);
        const attrSize = dv.getUint16(ext + 10, true);
        const attrCount = dv.getUint16(ext + 12, true);
        if (attrCount > maxAttributes)
          throw new ParseError(`binary XML element with ${attrCount} attributes`);
        if (attrCount > 0 && attrSize < 20) throw new ParseError('binary XML: attribute size too small');
        if (ext + attrStart + attrCount * attrSize > chunk.offset + chunk.size) {
          throw new ParseError('binary XML: attributes run past their element');
        }
        const attributes: AxmlAttribute[] = [];
        for (let i = 0; i < attrCount; i++) {
          const a = ext + attrStart + i * attrSize;
          const nameIndex = dv.getUint32(a + 4, true);
          const resourceId = nameIndex < resourceMap.length ? resourceMap[nameIndex] : undefined;
          const poolName = str(nameIndex) ?? '';
          const known = resourceId !== undefined ? ANDROID_ATTR[resourceId] : undefined;
          const attr: AxmlAttribute = {
            name: known ?? poolName,
            type: dv.getUint8(a + 15),
            data: dv.getUint32(a + 16, true),
          };
          const attrNs = str(dv.getUint32(a, true));
          if (attrNs !== undefined) attr.namespace = attrNs;
          else if (known) attr.namespace = ANDROID_NS;
          if (resourceId !== undefined) attr.resourceId = resourceId;
          const rawValue = str(dv.getUint32(a + 8, true));
          if (rawValue !== undefined) attr.raw = rawValue;
          attributes.push(attr);
        }
        const element: AxmlElement = { name, depth, attributes };
        if (ns !== undefined) element.namespace = ns;
        elements.push(element);
        depth++;
        break;
      }
      case CHUNK.XML_END_ELEMENT:
        depth = Math.max(0, depth - 1);
        break;
      default:
        // Namespaces, CDATA and unknown chunks carry nothing the scanner needs.
        break;
    }
    pos += chunk.size;
  }
  return { elements };
}

export type AttributeValue =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'reference'; id: number }
  | { kind: 'other'; type: number; data: number };

/** Interpret an attribute's typed value (string, int dec/hex, bool, reference). */
export function attributeValue(attr: AxmlAttribute): AttributeValue {
  switch (attr.type) {
    case VALUE_TYPE.STRING:
      return { kind: 'string', value: attr.raw ?? '' };
    case VALUE_TYPE.INT_DEC:
    case VALUE_TYPE.INT_HEX:
      return { kind: 'int', value: attr.data | 0 };
    case VALUE_TYPE.BOOLEAN:
      return { kind: 'bool', value: attr.data !== 0 };
    case VALUE_TYPE.REFERENCE:
    case VALUE_TYPE.DYNAMIC_REFERENCE:
      return { kind: 'reference', id: attr.data >>> 0 };
    default:
      if (attr.raw !== undefined) return { kind: 'string', value: attr.raw };
      return { kind: 'other', type: attr.type, data: attr.data };
  }
}

/** Find an attribute by name: framework (android:) attributes by resource id first, then by plain name. */
export function findAttribute(element: AxmlElement, name: string, android = true): AxmlAttribute | undefined {
  if (android) {
    const byId = element.attributes.find(
      (a) => a.resourceId !== undefined && ANDROID_ATTR[a.resourceId] === name,
    );
    if (byId) return byId;
    return element.attributes.find((a) => a.name === name && a.namespace === ANDROID_NS);
  }
  return element.attributes.find(
    (a) => a.name === name && a.namespace === undefined && a.resourceId === undefined,
  );
}
