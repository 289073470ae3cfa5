import { MAX_ARSC_RESOLVE_STEPS } from '../limits.js';
import {
  CHUNK,
  type Chunk,
  dataView,
  readChunk,
  readStringPool,
  type StringPool,
  type TypedValue,
  VALUE_TYPE,
} from './res-chunks.js';
import { ParseError } from './types.js';

/**
 * resources.arsc: enough of the resource table to turn a reference (`@0x7f0b0001`) into the string
 * the default configuration holds, plus its per-locale variants. Type chunks are indexed once and
 * entries are only decoded when asked for.
 */

interface ResConfig {
  /** `fr`, `zh-CN`, `sr-Latn`, or '' for no locale. */
  locale: string;
  /** True when nothing besides the locale is set (no density, sdk, orientation …). */
  localeOnly: boolean;
}

interface TypeChunkRef {
  chunk: Chunk;
  flags: number;
  entryCount: number;
  entriesStart: number;
  config: ResConfig;
}

interface ResolvedValue {
  config: ResConfig;
  value: TypedValue;
}

export interface ResourceTable {
  /** The value of `id` in every configuration that defines it. */
  values(id: number): ResolvedValue[];
  /** A string from the global value pool. */
  string(index: number): string | undefined;
}

export interface ArscLimits {
  maxTypeChunks?: number;
  maxPackages?: number;
}

const FLAG_SPARSE = 0x01;
const FLAG_OFFSET16 = 0x02;
const ENTRY_FLAG_COMPLEX = 0x0001;
const ENTRY_FLAG_COMPACT = 0x0008;
const NO_ENTRY = 0xffffffff;

function unpackLanguageOrRegion(b0: number, b1: number, base: number): string {
  if (b0 === 0 && b1 === 0) return '';
  if ((b0 & 0x80) === 0) return String.fromCharCode(b0, b1).replace(/\0/g, '');
  // Packed three-letter code: 5 bits per letter.
  const first = b1 & 0x1f;
  const second = ((b1 & 0xe0) >> 5) | ((b0 & 0x03) << 3);
  const third = (b0 & 0x7c) >> 2;
  return String.fromCharCode(first + base, second + base, third + base);
}

function readConfig(dv: DataView, offset: number, limit: number): ResConfig {
  if (offset + 4 > limit) throw new ParseError('resources.arsc: truncated configuration');
  const size = dv.getUint32(offset, true);
  if (size < 12 || offset + size > limit)
    throw new ParseError(`resources.arsc: configuration size ${size} out of range`);
  const language = unpackLanguageOrRegion(dv.getUint8(offset + 8), dv.getUint8(offset + 9), 0x61);
  const region = unpackLanguageOrRegion(dv.getUint8(offset + 10), dv.getUint8(offset + 11), 0x30);
  let script = '';
  if (size >= 40) {
    for (let i = 0; i < 4; i++) {
      const c = dv.getUint8(offset + 36 + i);
      if (c !== 0) script += String.fromCharCode(c);
    }
  }
  let localeOnly = true;
  for (let i = 4; i < size; i++) {
    const inLocale = (i >= 8 && i < 12) || (i >= 36 && i < 48);
    if (!inLocale && dv.getUint8(offset + i) !== 0) {
      localeOnly = false;
      break;
    }
  }
  const locale = language ? [language, script, region].filter((p) => p !== '').join('-') : '';
  return { locale, localeOnly };
}

/** Parse the table structure; throws ParseError when the chunk layout is broken. */
export function parseArsc(bytes: Uint8Array, limits: ArscLimits = {}): ResourceTable {
  const maxTypeChunks = limits.maxTypeChunks ?? 200_000;
  const maxPackages = limits.maxPackages ?? 256;
  const dv = dataView(bytes);
  const root = readChunk(dv, 0, bytes.length, 'resources.arsc');
  if (root.type !== CHUNK.TABLE)
    throw new ParseError(`not a resource table (chunk type 0x${root.type.toString(16)})`);
  let pool: StringPool | undefined;
  const types = new Map<number, TypeChunkRef[]>();
  let typeChunks = 0;
  let packages = 0;
  let pos = root.headerSize;
  while (pos < root.size) {
    const chunk = readChunk(dv, pos, root.size, 'resources.arsc');
    if (chunk.type === CHUNK.STRING_POOL && !pool) {
      pool = readStringPool(dv, chunk, 'resources.arsc');
    } else if (chunk.type === CHUNK.TABLE_PACKAGE) {
      if (++packages > maxPackages) throw new ParseError('resources.arsc: too many packages');
      if (chunk.headerSize < 12) throw new ParseError('resources.arsc: package header too small');
      const packageId = dv.getUint32(chunk.offset + 8, true) & 0xff;
      const end = chunk.offset + chunk.size;
      let p = chunk.offset + chunk.headerSize;
      while (p < end) {
        const sub = readChunk(dv, p, end, 'resources.arsc package');
        if (sub.type === CHUNK.TABLE_TYPE) {
          if (++typeChunks > maxTypeChunks) throw new ParseError('resources.arsc: too many type chunks');
          if (sub.headerSize < 20 + 4) throw new ParseError('resources.arsc: type header too small');
          const typeId = dv.getUint8(sub.offset + 8);
          const ref: TypeChunkRef = {
            chunk: sub,
            flags: dv.getUint8(sub.offset + 9),
            entryCount: dv.getUint32(sub.offset + 12, true),
            entriesStart: dv.getUint32(sub.offset + 16, true),
            config: readConfig(dv, sub.offset + 20, sub.offset + sub.headerSize),
          };
          if (ref.entriesStart > sub.size)
            throw new ParseError('resources.arsc: entries start past the type chunk');
          const key = (packageId << 8) | typeId;
          const list = types.get(key) ?? [];
          list.push(ref);
          types.set(key, list);
        }
        p += sub.size;
      }
    }
    pos += chunk.size;
  }

  const entryOffset = (ref: TypeChunkRef, index: number): number | undefined => {
    const { chunk } = ref;
    const table = chunk.offset + chunk.headerSize;
    const chunkEnd = chunk.offset + chunk.size;
    if (ref.flags & FLAG_SPARSE) {
      // Sorted {u16 index, u16 offset/4} pairs.
      let lo = 0;
      let hi = ref.entryCount - 1;
      if (table + ref.entryCount * 4 > chunkEnd) return undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const idx = dv.getUint16(table + mid * 4, true);
        if (idx === index) return dv.getUint16(table + mid * 4 + 2, true) * 4;
        if (idx < index) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    if (index >= ref.entryCount) return undefined;
    if (ref.flags & FLAG_OFFSET16) {
      if (table + index * 2 + 2 > chunkEnd) return undefined;
      const v = dv.getUint16(table + index * 2, true);
      return v === 0xffff ? undefined : v * 4;
    }
    if (table + index * 4 + 4 > chunkEnd) return undefined;
    const v = dv.getUint32(table + index * 4, true);
    return v === NO_ENTRY ? undefined : v;
  };

  const readEntry = (ref: TypeChunkRef, index: number): TypedValue | undefined => {
    const off = entryOffset(ref, index);
    if (off === undefined) return undefined;
    const chunkEnd = ref.chunk.offset + ref.chunk.size;
    const e = ref.chunk.offset + ref.entriesStart + off;
    if (e + 8 > chunkEnd) throw new ParseError('resources.arsc: entry runs past its type chunk');
    const size = dv.getUint16(e, true);
    const flags = dv.getUint16(e + 2, true);
    if (flags & ENTRY_FLAG_COMPACT) return { type: flags >>> 8, data: dv.getUint32(e + 4, true) };
    if (flags & ENTRY_FLAG_COMPLEX) return undefined;
    if (e + size + 8 > chunkEnd) throw new ParseError('resources.arsc: value runs past its type chunk');
    return { type: dv.getUint8(e + size + 3), data: dv.getUint32(e + size + 4, true) };
  };

  return {
    values(id: number): ResolvedValue[] {
      const list = types.get((((id >>> 24) & 0xff) << 8) | ((id >>> 16) & 0xff)) ?? [];
      const out: ResolvedValue[] = [];
      for (const ref of list) {
        const value = readEntry(ref, id & 0xffff);
        if (value) out.push({ config: ref.config, value });
      }
      return out;
    },
    string(index: number): string | undefined {
      return pool?.get(index);
    },
  };
}

export interface ResolvedString {
  /** Value in the default configuration (or the closest locale-less one). */
  value?: string;
  /** Values per locale, e.g. `{ fr: 'Bonjour' }`. */
  locales: Record<string, string>;
}

const MAX_REFERENCE_DEPTH = 8;

/**
 * Work shared by one resolution: the references on the current path (a reference back to itself
 * or to an ancestor is a cycle, not a label) and a step budget counting every entry lookup, so
 * that K configurations each referring to K others cannot cost K^depth (see src/limits.ts).
 */
export interface ResolveBudget {
  /** Entry lookups left; resolution stops (label missing) when it reaches 0. */
  steps: number;
  /** Lookups made, for tests. */
  used: number;
  /** Resolved values per id, so a shared reference is only resolved once. */
  memo: Map<number, ResolvedString>;
  /** Ids being resolved on the current path. */
  path: Set<number>;
}

export const newResolveBudget = (steps = MAX_ARSC_RESOLVE_STEPS): ResolveBudget => ({
  steps,
  used: 0,
  memo: new Map(),
  path: new Set(),
});

const valueToString = (
  table: ResourceTable,
  v: TypedValue,
  depth: number,
  budget: ResolveBudget,
): string | undefined => {
  if (v.type === VALUE_TYPE.STRING) return table.string(v.data);
  if (
    (v.type === VALUE_TYPE.REFERENCE || v.type === VALUE_TYPE.DYNAMIC_REFERENCE) &&
    depth < MAX_REFERENCE_DEPTH
  ) {
    if (v.data === 0) return undefined;
    return resolveWithin(table, v.data >>> 0, depth + 1, budget).value;
  }
  return undefined;
};

const resolveWithin = (
  table: ResourceTable,
  id: number,
  depth: number,
  budget: ResolveBudget,
): ResolvedString => {
  const memo = budget.memo.get(id);
  if (memo) return memo;
  // A cycle or an exhausted budget leaves the label missing, never an error or a stall.
  if (budget.path.has(id) || budget.steps <= 0) return { locales: {} };
  budget.steps -= 1;
  budget.used += 1;
  budget.path.add(id);
  try {
    const values = table.values(id);
    const locales: Record<string, string> = {};
    let best: { rank: number; value: string } | undefined;
    for (const { config, value } of values) {
      if (budget.steps <= 0) break;
      budget.steps -= 1;
      budget.used += 1;
      const text = valueToString(table, value, depth, budget);
      if (text === undefined) continue;
      if (config.locale === '') {
        const rank = config.localeOnly ? 0 : 1;
        if (!best || rank < best.rank) best = { rank, value: text };
      } else if (config.localeOnly && !(config.locale in locales)) {
        locales[config.locale] = text;
      }
    }
    const out: ResolvedString = { locales };
    if (best) out.value = best.value;
    // Memoise only complete answers: one cut short by a cycle on this path may differ elsewhere,
    // but recomputing it is bounded by the budget anyway.
    if (budget.steps > 0) budget.memo.set(id, out);
    return out;
  } finally {
    budget.path.delete(id);
  }
};

/**
 * Resolve a string resource the way a device with no particular configuration would, plus its
 * locales. References are followed at most MAX_REFERENCE_DEPTH deep, never around a cycle, and
 * within a step budget; a label that cannot be resolved within it is missing.
 */
export function resolveString(
  table: ResourceTable,
  id: number,
  budget: ResolveBudget = newResolveBudget(),
): ResolvedString {
  return resolveWithin(table, id, 0, budget);
}
