/**
 * Loads rule files (paths or shipped pack names), follows `include:` with cycle detection, validates
 * everything and reports every problem at once as an AppwardenError('RULES_INVALID').
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppwardenError } from '../errors.js';
import type { PackEdition, Severity } from '../model.js';
import { normaliseDigest, ruleFileSpec } from './schema.js';
import type { AllowlistConfig, MatchBlock, Pack, PublisherDef, Rule, RuleSet } from './types.js';
import {
  formatProblem,
  MAX_FILE_BYTES,
  type ParsedYaml,
  type Problem,
  parseAndValidate,
  type Value,
} from './validate.js';

/** Shipped packs live in `rules/` at the package root (dist/ruleset → ../../rules). */
export const PACKS_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));
export const DEFAULT_PACK = 'ca-gov';

const PACK_NAME = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?$/;

/** Resolve a user-given rules source: an existing path wins, then a shipped pack name. */
export const resolveRuleSource = (source: string, relativeTo = process.cwd()): string | undefined => {
  const asPath = path.resolve(relativeTo, source);
  if (existsSync(asPath) && statSync(asPath).isFile()) return asPath;
  if (PACK_NAME.test(source)) {
    for (const ext of ['.yaml', '.yml']) {
      const packPath = path.join(PACKS_DIR, `${source}${ext}`);
      if (existsSync(packPath)) return packPath;
    }
  }
  return undefined;
};

/** Names of the shipped packs (files directly in rules/; rules/publishers/* are not packs). */
export const listShippedPacks = async (): Promise<string[]> =>
  packFiles().map((f) => f.replace(/\.ya?ml$/, ''));

/** rules/*.yaml, sorted: what the glob `*.yaml` matched (regular files, no dot files). */
const packFiles = (): string[] =>
  readdirSync(PACKS_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.endsWith('.yaml'))
    .map((e) => e.name)
    .sort();

/**
 * Compiled-rule cache: a rule file that validated cleanly is stored as its plain value and node
 * positions (JSON, which parses an order of magnitude faster than YAML), under a key hashing the
 * file's text together with the validator and schema code. A hit therefore stands for exactly what
 * parseAndValidate returned for the same bytes; a miss, a damaged entry or an unwritable cache
 * falls back to full parsing and validation, so `file:line:col` problems are always exact. Files
 * with problems are never cached. APPWARDEN_NO_CACHE=1 turns it off.
 */
const CACHE_FORMAT = 'appwarden-rules-cache-1';
let cacheSalt: string | undefined;
const cacheDir = (): string | undefined => {
  if (process.env.APPWARDEN_NO_CACHE) return undefined;
  try {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    return path.join(base, 'appwarden', 'rules');
  } catch {
    return undefined; // no home directory (os.homedir throws): run without the cache
  }
};
const cacheKey = (text: string): string | undefined => {
  if (cacheSalt === undefined) {
    const salt = createHash('sha256').update(CACHE_FORMAT);
    try {
      // Everything validation runs: its modules (built files next to this one, or the TypeScript
      // sources when run from src in tests) and the YAML and RE2 libraries' versions.
      const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
      for (const module of ['./validate', './schema', './pattern', './version', '../model', '../limits']) {
        salt.update(readFileSync(fileURLToPath(new URL(`${module}.${ext}`, import.meta.url))));
      }
      const require = createRequire(import.meta.url);
      salt.update(readFileSync(require.resolve('yaml/package.json')));
      salt.update(readFileSync(require.resolve('re2js')));
    } catch {
      return undefined;
    }
    cacheSalt = salt.digest('hex');
  }
  return createHash('sha256').update(cacheSalt).update(text).digest('hex');
};

interface CacheEntry {
  format: string;
  value: Value;
  positions: Array<[string, number, number]>;
}

const readCached = (text: string): ParsedYaml | undefined => {
  const dir = cacheDir();
  const key = dir && cacheKey(text);
  if (!dir || !key) return undefined;
  try {
    const entry = JSON.parse(readFileSync(path.join(dir, `${key}.json`), 'utf8')) as CacheEntry;
    if (entry.format !== CACHE_FORMAT || !Array.isArray(entry.positions)) return undefined;
    const positions = new Map<string, { line: number; col: number }>();
    for (const [p, line, col] of entry.positions) positions.set(p, { line, col });
    return { value: entry.value, problems: [], positions };
  } catch {
    return undefined;
  }
};

/** True when JSON gives `value` back unchanged (no NaN, ±Infinity, -0 or `__proto__` keys). */
const jsonExact = (value: Value): boolean => {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(jsonExact);
  if (value && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => k !== '__proto__' && jsonExact(v));
  }
  return true;
};

const writeCached = (text: string, parsed: ParsedYaml): void => {
  const dir = cacheDir();
  const key = dir && cacheKey(text);
  if (!dir || !key || parsed.problems.length > 0 || parsed.value === undefined) return;
  if (!jsonExact(parsed.value)) return;
  const entry: CacheEntry = {
    format: CACHE_FORMAT,
    value: parsed.value,
    positions: [...parsed.positions].map(([p, at]) => [p, at.line, at.col]),
  };
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename, so a concurrent scan never reads half an entry.
    const tmp = path.join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, path.join(dir, `${key}.json`));
  } catch {
    // A cache that cannot be written only costs speed.
  }
};

/** parseAndValidate for rule files, through the compiled-rule cache. */
const parseRuleFile = (text: string, shown: string): ParsedYaml => {
  const cached = readCached(text);
  if (cached) return cached;
  const parsed = parseAndValidate(text, shown, ruleFileSpec, 'rule file');
  writeCached(text, parsed);
  return parsed;
};

type Obj = Record<string, Value>;
const asObj = (v: Value | undefined): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const asStrings = (v: Value | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

const toBlock = (raw: Obj): MatchBlock => {
  const block: MatchBlock = {};
  if (raw.platform) block.platform = asStrings(raw.platform) as MatchBlock['platform'];
  if (raw.package) block.package = asStrings(raw.package);
  if (raw['cert-sha256']) block.certSha256 = asStrings(raw['cert-sha256']).map(normaliseDigest);
  if (raw['cert-sha1']) block.certSha1 = asStrings(raw['cert-sha1']).map(normaliseDigest);
  if (raw['cert-md5']) block.certMd5 = asStrings(raw['cert-md5']).map(normaliseDigest);
  if (raw['team-id']) block.teamId = asStrings(raw['team-id']);
  if (raw['publisher-name']) block.publisherName = asStrings(raw['publisher-name']);
  if (raw.publisher) block.publisher = asStrings(raw.publisher);
  if (raw.version) block.version = asStrings(raw.version);
  if (raw['version-code']) block.versionCode = asStrings(raw['version-code']);
  if (raw.installer) block.installer = asStrings(raw.installer);
  if (typeof raw.system === 'boolean') block.system = raw.system;
  return block;
};

interface LoadState {
  problems: Problem[];
  packs: Pack[];
  rules: Rule[];
  publishers: Map<string, PublisherDef>;
  loaded: Set<string>;
  /** Where each rule id / publisher key was first defined, for duplicate messages. */
  ruleIds: Map<string, string>;
  publisherRefs: Array<{ name: string; file: string; line: number; col: number }>;
}

const displayPath = (file: string): string => {
  const rel = path.relative(process.cwd(), file);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  if (file.startsWith(PACKS_DIR)) return `rules/${path.relative(PACKS_DIR, file)}`;
  return file;
};

const loadFile = (file: string, state: LoadState, stack: string[], includedFrom?: Problem): void => {
  if (stack.includes(file)) {
    const cycle = [...stack.slice(stack.indexOf(file)), file].map(displayPath).join(' -> ');
    state.problems.push({
      ...(includedFrom ?? { file: displayPath(file), line: 1, col: 1 }),
      message: `include cycle: ${cycle}`,
    });
    return;
  }
  if (state.loaded.has(file)) return; // diamond includes load once
  state.loaded.add(file);
  const shown = displayPath(file);
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) {
      state.problems.push({
        file: shown,
        line: 1,
        col: 1,
        message: `file is larger than ${MAX_FILE_BYTES} bytes`,
      });
      return;
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    state.problems.push({
      file: shown,
      line: 1,
      col: 1,
      message: `cannot read: ${(error as Error).message}`,
    });
    return;
  }
  const parsed = parseRuleFile(text, shown);
  state.problems.push(...parsed.problems);
  const doc = asObj(parsed.value);
  if (!doc) return;
  const pos = (p: string) => parsed.positions.get(p) ?? { line: 1, col: 1 };

  for (const [i, inc] of asStrings(doc.include).entries()) {
    const target = resolveRuleSource(inc, path.dirname(file));
    const at = { file: shown, ...pos(`.include.${i}`) };
    if (!target) {
      state.problems.push({ ...at, message: `include "${inc}" is neither a file nor a shipped pack` });
      continue;
    }
    loadFile(target, state, [...stack, file], { ...at, message: '' });
  }

  const name = typeof doc.name === 'string' ? doc.name : path.basename(file).replace(/\.ya?ml$/, '');
  const mode = doc.mode === 'allowlist' ? 'allowlist' : 'denylist';
  const pack: Pack = { name, file: shown, mode, ruleIds: [] };
  if (typeof doc.description === 'string') pack.description = doc.description;
  if (typeof doc.version === 'string') pack.version = doc.version;
  if (typeof doc.updated === 'string') pack.updated = doc.updated;
  const allow = asObj(doc.allowlist);
  if (allow && mode !== 'allowlist') {
    state.problems.push({
      file: shown,
      ...pos('.allowlist'),
      message: '"allowlist" settings need "mode: allowlist"',
    });
  }
  if (mode === 'allowlist') {
    const config: AllowlistConfig = {
      id: typeof allow?.id === 'string' ? allow.id : `${name}.not-allowed`,
      severity: (typeof allow?.severity === 'string' ? allow.severity : 'medium') as Severity,
      message: typeof allow?.message === 'string' ? allow.message : 'App is not on the approved list.',
      includeSystem: allow?.['include-system'] === true,
    };
    pack.allowlist = config;
  }

  const publishers = asObj(doc.publishers) ?? {};
  for (const [key, raw] of Object.entries(publishers)) {
    const p = asObj(raw);
    if (!p) continue;
    const existing = state.publishers.get(key);
    if (existing) {
      state.problems.push({
        file: shown,
        ...pos(`.publishers.${key}`),
        message: `publisher "${key}" is already defined in ${existing.file}`,
      });
      continue;
    }
    const def: PublisherDef = {
      key,
      certSha256: asStrings(p['cert-sha256']).map(normaliseDigest),
      teamId: asStrings(p['team-id']),
      publisherName: asStrings(p['publisher-name']),
      references: asStrings(p.references),
      file: shown,
    };
    const sha1 = asStrings(p['cert-sha1']).map(normaliseDigest);
    if (sha1.length > 0) def.certSha1 = sha1;
    const md5 = asStrings(p['cert-md5']).map(normaliseDigest);
    if (md5.length > 0) def.certMd5 = md5;
    if (typeof p.name === 'string') def.name = p.name;
    state.publishers.set(key, def);
  }

  const rules = Array.isArray(doc.rules) ? doc.rules : [];
  rules.forEach((raw, i) => {
    const r = asObj(raw);
    if (!r || typeof r.id !== 'string') return;
    const at = pos(`.rules.${i}`);
    const first = state.ruleIds.get(r.id);
    if (first) {
      state.problems.push({
        file: shown,
        ...pos(`.rules.${i}.id`),
        message: `duplicate rule id "${r.id}" (first defined at ${first})`,
      });
      return;
    }
    state.ruleIds.set(r.id, `${shown}:${at.line}`);
    const blocks = (v: Value | undefined) =>
      (Array.isArray(v) ? v : []).map((b) => asObj(b)).filter((b): b is Obj => !!b);
    const match = blocks(r.match).map(toBlock);
    const exclude = blocks(r.exclude).map(toBlock);
    [...blocks(r.match), ...blocks(r.exclude)].forEach((b) => {
      for (const name of asStrings(b.publisher)) state.publisherRefs.push({ name, file: shown, ...at });
    });
    const rule: Rule = {
      id: r.id,
      title: String(r.title ?? r.id),
      severity: (r.severity ?? 'medium') as Severity,
      message: String(r.message ?? ''),
      // Primary texts lead, so the first reference (SARIF helpUri, HTML link) is the instrument itself.
      references: [...asStrings(r.references), ...asStrings(r['secondary-references'])],
      match,
      exclude,
      pack: name,
      file: shown,
      line: at.line,
    };
    const secondary = asStrings(r['secondary-references']);
    if (secondary.length > 0) rule.secondaryReferences = secondary;
    const metadata = asObj(r.metadata);
    if (metadata) rule.metadata = metadata;
    state.rules.push(rule);
    pack.ruleIds.push(rule.id);
  });
  state.packs.push(pack);
};

export interface LoadOptions {
  /** Directory relative paths are resolved against. */
  cwd?: string;
}

/** Load and validate rule sources; throws AppwardenError RULES_INVALID listing every problem. */
export const loadRuleSet = (sources: string[], options: LoadOptions = {}): RuleSet => {
  const cwd = options.cwd ?? process.cwd();
  const wanted = sources.length > 0 ? sources : [DEFAULT_PACK];
  const state: LoadState = {
    problems: [],
    packs: [],
    rules: [],
    publishers: new Map(),
    loaded: new Set(),
    ruleIds: new Map(),
    publisherRefs: [],
  };
  for (const source of wanted) {
    const file = resolveRuleSource(source, cwd);
    if (!file) {
      state.problems.push({
        file: source,
        line: 1,
        col: 1,
        message: 'no such rule file or shipped pack (see `appwarden rules list --packs`)',
      });
      continue;
    }
    loadFile(file, state, []);
  }
  for (const ref of state.publisherRefs) {
    if (!state.publishers.has(ref.name)) {
      state.problems.push({
        file: ref.file,
        line: ref.line,
        col: ref.col,
        message: `unknown publisher "${ref.name}"`,
      });
    }
  }
  if (state.problems.length > 0) {
    const lines = state.problems.map(formatProblem);
    throw new AppwardenError(
      'RULES_INVALID',
      `invalid rules (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
  }
  return { sources: wanted, packs: state.packs, rules: state.rules, publishers: state.publishers };
};

/** A file with no rules and no allowlist only defines publishers for the packs that include it. */
export const isPublishersFile = (pack: Pack): boolean => pack.ruleIds.length === 0 && !pack.allowlist;

/** Name, kind and edition of every file a rule set applied, packs first, for reports. */
export const packEditions = (ruleSet: RuleSet): PackEdition[] => {
  const out = ruleSet.packs.map((p): PackEdition => {
    const edition: PackEdition = {
      name: p.name,
      kind: isPublishersFile(p) ? 'publishers' : 'pack',
      file: p.file,
    };
    if (p.version) edition.version = p.version;
    if (p.updated) edition.updated = p.updated;
    return edition;
  });
  return [...out.filter((e) => e.kind === 'pack'), ...out.filter((e) => e.kind === 'publishers')];
};

/** `ca-gov 2026.12.06`: a pack as reports name it. */
export const packLabel = (p: { name: string; version?: string }): string =>
  p.version ? `${p.name} ${p.version}` : `${p.name} (unversioned)`;

export interface ShippedPackInfo {
  name: string;
  version?: string;
  updated?: string;
  rules: number;
  description?: string;
}

/**
 * The shipped packs proper (rules/*.yaml), with their editions; rules/publishers/* are shared
 * publisher definitions the packs include, not packs, so they are not listed.
 */
export const shippedPackInfo = (): ShippedPackInfo[] => {
  return packFiles().map((f) => {
    const set = loadRuleSet([path.join(PACKS_DIR, f)]);
    const main = set.packs[set.packs.length - 1]!;
    const info: ShippedPackInfo = { name: main.name, rules: main.ruleIds.length };
    if (main.version) info.version = main.version;
    if (main.updated) info.updated = main.updated;
    if (main.description) info.description = main.description;
    return info;
  });
};
