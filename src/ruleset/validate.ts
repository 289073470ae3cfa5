/**
 * Walks a YAML document against a spec from schema.ts, collecting every problem with its position
 * (`file:line:col: message`) rather than stopping at the first, and building plain JS values.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { ObjectSpec, Spec } from './schema.js';

/**
 * The YAML library loads on first parse (it is CommonJS, so `require` keeps loading synchronous):
 * a scan whose rule files hit the compiled-rule cache (load.ts) never parses YAML and so does not
 * pay its start-up cost.
 */
let yamlModule: typeof YamlModule | undefined;
export const yamlLibrary = (): typeof YamlModule => {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof YamlModule;
  return yamlModule;
};
const isAlias: typeof YamlModule.isAlias = (node) => yamlLibrary().isAlias(node);
const isMap = (node: unknown): node is YamlModule.YAMLMap => yamlLibrary().isMap(node);
const isScalar = (node: unknown): node is YamlModule.Scalar => yamlLibrary().isScalar(node);
const isSeq = (node: unknown): node is YamlModule.YAMLSeq => yamlLibrary().isSeq(node);

export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export const formatProblem = (p: Problem): string => `${p.file}:${p.line}:${p.col}: ${p.message}`;

export type Value = string | boolean | Value[] | { [key: string]: Value } | null | number;

/** Rule files are small; anything bigger is refused before parsing. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Bound on visited nodes, which also bounds alias expansion ("billion laughs"). */
const MAX_NODES = 200_000;

export interface ParsedYaml {
  value: Value | undefined;
  problems: Problem[];
  /** Position of a node path like `rules.3.id`, for later semantic errors. */
  positions: Map<string, { line: number; col: number }>;
}

class Walker {
  readonly problems: Problem[] = [];
  readonly positions = new Map<string, { line: number; col: number }>();
  private visited = 0;
  private aborted = false;
  /** `id` of the innermost mapping being walked that has one (a rule), to name it in check messages. */
  private owner: string | undefined;

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private pos(node: Node | null | undefined): { line: number; col: number } {
    const offset = node?.range?.[0] ?? 0;
    return this.lines.linePos(offset);
  }

  problem(node: Node | null | undefined, message: string): void {
    const { line, col } = this.pos(node);
    this.problems.push({ file: this.file, line, col, message });
  }

  private resolve(node: unknown): Node | null {
    let current = node;
    let hops = 0;
    while (isAlias(current)) {
      if (++hops > 100) return null;
      current = current.resolve(this.doc) ?? null;
    }
    return (current as Node | null) ?? null;
  }

  walk(raw: unknown, spec: Spec, path: string, where: string): Value | undefined {
    if (this.aborted) return undefined;
    if (++this.visited > MAX_NODES) {
      this.aborted = true;
      this.problem(raw as Node, `document too large or too many aliases (more than ${MAX_NODES} nodes)`);
      return undefined;
    }
    const node = this.resolve(raw);
    this.positions.set(path, this.pos((raw as Node) ?? node));
    const at = raw as Node;
    switch (spec.type) {
      case 'string':
      case 'date': {
        if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
          this.problem(at, `${where} must be a ${spec.type === 'date' ? 'date (YYYY-MM-DD)' : 'string'}`);
          return undefined;
        }
        const text = String(node.value);
        if (spec.type === 'date') {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
            this.problem(at, `${where} must be a date (YYYY-MM-DD), got "${text}"`);
            return undefined;
          }
          return text;
        }
        if (typeof node.value !== 'string' && typeof node.value !== 'number') {
          this.problem(at, `${where} must be a string`);
          return undefined;
        }
        const message = spec.check?.(text);
        if (message) this.problem(at, `${where}: ${message}${this.ownerSuffix()}`);
        return text;
      }
      case 'strings': {
        const items = isSeq(node) ? node.items : [node];
        if (isSeq(node) && node.items.length === 0) this.problem(at, `${where} must not be an empty list`);
        const out: string[] = [];
        items.forEach((item, i) => {
          const itemNode = this.resolve(item);
          if (!isScalar(itemNode) || itemNode.value === null || typeof itemNode.value === 'object') {
            this.problem((item as Node) ?? at, `${where} must be a string or a list of strings`);
            return;
          }
          if (typeof itemNode.value === 'boolean') {
            this.problem(item as Node, `${where} must be a string, got ${itemNode.value}`);
            return;
          }
          const text = String(itemNode.value);
          const message = spec.check?.(text);
          if (message) this.problem(item as Node, `${where}: ${message}${this.ownerSuffix()}`);
          this.positions.set(`${path}.${i}`, this.pos(item as Node));
          out.push(text);
        });
        return out;
      }
      case 'enum':
      case 'enums': {
        const items = spec.type === 'enums' && isSeq(node) ? node.items : [node];
        const out: string[] = [];
        for (const item of items) {
          const itemNode = this.resolve(item);
          const text = isScalar(itemNode) ? String(itemNode.value) : undefined;
          if (text === undefined || !spec.values.includes(text)) {
            this.problem(
              (item as Node) ?? at,
              `${where} must be one of ${spec.values.join(', ')}${text !== undefined ? `, got "${text}"` : ''}`,
            );
            continue;
          }
          out.push(text);
        }
        return spec.type === 'enum' ? out[0] : out;
      }
      case 'boolean': {
        if (!isScalar(node) || typeof node.value !== 'boolean') {
          this.problem(at, `${where} must be true or false`);
          return undefined;
        }
        return node.value;
      }
      case 'free':
        return this.free(node);
      case 'object':
        return this.object(node, at, spec, path, where);
      case 'map': {
        if (!isMap(node)) {
          this.problem(at, `${where} must be a mapping`);
          return undefined;
        }
        const out: Record<string, Value> = {};
        for (const pair of node.items) {
          const keyNode = pair.key as Node;
          const key = isScalar(keyNode) ? String(keyNode.value) : '';
          if (!spec.keyPattern.test(key)) {
            this.problem(keyNode, `${where}: "${key}" is not a valid name`);
            continue;
          }
          const value = this.walk(pair.value, spec.value, `${path}.${key}`, `${where} "${key}"`);
          if (value !== undefined) out[key] = value;
        }
        return out;
      }
      case 'list': {
        if (!isSeq(node)) {
          this.problem(at, `${where} must be a list`);
          return undefined;
        }
        return node.items
          .map((item, i) => this.walk(item, spec.item, `${path}.${i}`, `${where}[${i}]`))
          .filter((v): v is Value => v !== undefined);
      }
      case 'blocks': {
        if (isSeq(node)) {
          if (node.items.length === 0) this.problem(at, `${where} must not be an empty list`);
          return node.items
            .map((item, i) => this.walk(item, spec.block, `${path}.${i}`, `${where}[${i}]`))
            .filter((v): v is Value => v !== undefined);
        }
        const one = this.walk(raw, spec.block, `${path}.0`, where);
        return one === undefined ? undefined : [one];
      }
    }
  }

  private ownerSuffix(): string {
    return this.owner === undefined ? '' : ` (rule "${this.owner}")`;
  }

  private object(
    node: Node | null,
    at: Node,
    spec: ObjectSpec,
    path: string,
    where: string,
  ): Value | undefined {
    if (!isMap(node)) {
      this.problem(at, `${where} must be a mapping`);
      return undefined;
    }
    const outer = this.owner;
    const idPair = spec.fields.id
      ? node.items.find((p) => isScalar(p.key) && p.key.value === 'id')
      : undefined;
    if (idPair && isScalar(idPair.value) && typeof idPair.value.value === 'string')
      this.owner = idPair.value.value;
    try {
      return this.objectFields(node, at, spec, path, where);
    } finally {
      this.owner = outer;
    }
  }

  private objectFields(
    node: Node & { items: Array<{ key: unknown; value: unknown }> },
    at: Node,
    spec: ObjectSpec,
    path: string,
    where: string,
  ): Value | undefined {
    const out: Record<string, Value> = {};
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const fieldSpec = spec.fields[key];
      if (!fieldSpec) {
        const known = Object.keys(spec.fields);
        const hint = known.find((k) => k.replace(/-/g, '') === key.replace(/[-_]/g, '').toLowerCase());
        this.problem(
          keyNode,
          `unknown key "${key}" in ${where}${hint ? ` (did you mean "${hint}"?)` : ` (expected one of: ${known.join(', ')})`}`,
        );
        continue;
      }
      const value = this.walk(pair.value, fieldSpec, `${path}.${key}`, `${where}.${key}`.replace(/^\./, ''));
      if (value !== undefined) out[key] = value;
    }
    for (const required of spec.required ?? []) {
      if (!node.items.some((p) => isScalar(p.key) && String(p.key.value) === required)) {
        this.problem(at, `${where} is missing required key "${required}"`);
      }
    }
    if (spec.oneOf && !node.items.some((p) => isScalar(p.key) && spec.oneOf!.includes(String(p.key.value)))) {
      this.problem(at, `${where} needs at least one of: ${spec.oneOf.join(', ')}`);
    }
    return out;
  }

  private free(node: Node | null): Value {
    if (this.aborted) return null;
    if (++this.visited > MAX_NODES) {
      this.aborted = true;
      this.problem(node, `document too large or too many aliases (more than ${MAX_NODES} nodes)`);
      return null;
    }
    if (isMap(node)) {
      const out: Record<string, Value> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        out[key] = this.free(this.resolve(pair.value));
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item) => this.free(this.resolve(item)));
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || v === null) return v;
      if (v instanceof Date) return v.toISOString().slice(0, 10);
      return String(v);
    }
    return null;
  }
}

/** Parse YAML text and validate it against a spec. Never throws for bad content. */
export const parseAndValidate = (text: string, file: string, spec: ObjectSpec, where: string): ParsedYaml => {
  if (text.length > MAX_FILE_BYTES) {
    return {
      value: undefined,
      positions: new Map(),
      problems: [{ file, line: 1, col: 1, message: `file is larger than ${MAX_FILE_BYTES} bytes` }],
    };
  }
  const { LineCounter, parseDocument } = yamlLibrary();
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
  });
  const problems: Problem[] = doc.errors.map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { file, line, col, message: e.message.split('\n')[0]! };
  });
  if (problems.length > 0) return { value: undefined, problems, positions: new Map() };
  if (doc.contents === null) {
    return {
      value: undefined,
      positions: new Map(),
      problems: [{ file, line: 1, col: 1, message: 'file is empty' }],
    };
  }
  const walker = new Walker(file, doc, lines);
  const value = walker.walk(doc.contents, spec, '', where);
  return { value, problems: walker.problems, positions: walker.positions };
};
