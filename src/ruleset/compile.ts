/**
 * Compiles a rule set into a matcher. Exact package ids, certificate digests and team ids go into
 * hash maps; globs are indexed by their literal dotted prefix; only prefix-less globs and regexes
 * are tried one by one. Within a block every criterion must hold (grype IgnoreRule semantics).
 */
import type { AppRecord, MatchDetail } from '../model.js';
import { compilePackagePattern, compileTextGlob, matchesPattern, type PackagePattern } from './pattern.js';
import type { MatchBlock, PublisherDef, Rule, RuleSet } from './types.js';
import { type Constraint, parseConstraint, satisfies } from './version.js';

type Test = (app: AppRecord) => MatchDetail | undefined;

export interface CompiledBlock {
  rule: Rule;
  tests: Test[];
  /** The candidates() call that last collected this block: de-duplication without a Set per app. */
  mark: number;
}

export interface RuleMatch {
  rule: Rule;
  matchedOn: MatchDetail[];
}

interface NearMiss {
  rule: Rule;
  /** The exact id in the rule that differs from the app's id only by case. */
  expected: string;
}

export interface Matcher {
  /** Rules (of denylist packs) whose match holds and whose excludes do not. */
  match(app: AppRecord): RuleMatch[];
  /** Allowlist packs that do NOT allow this app (each yields a not-allowed finding). */
  notAllowed(app: AppRecord): Array<{ pack: string }>;
  /** Exact-id rules the app misses only by letter case. */
  nearMisses(app: AppRecord): NearMiss[];
  readonly ruleCount: number;
}

const appCerts = (app: AppRecord): string[] => [
  ...(app.publisher.certSha256 ?? []),
  ...(app.publisher.certLineage ?? []),
];

// MD5 / SHA-1 of the same certificates, where the input carried the certificate itself. The three
// digests differ in length, so one index keyed by hex serves all of them.
const appWeakCerts = (app: AppRecord): string[] => [
  ...(app.publisher.certMd5 ?? []),
  ...(app.publisher.certSha1 ?? []),
];

const digestKind = (hex: string): string =>
  hex.length === 32 ? 'cert-md5' : hex.length === 40 ? 'cert-sha1' : 'cert-sha256';

const firstHit = <T>(values: T[], pred: (v: T) => string | undefined): [T, string] | undefined => {
  for (const v of values) {
    const hit = pred(v);
    if (hit !== undefined) return [v, hit];
  }
  return undefined;
};

const packageTest =
  (criterion: string, patterns: PackagePattern[], get: (a: AppRecord) => string | undefined): Test =>
  (app) => {
    const value = get(app);
    if (value === undefined) return undefined;
    const hit = patterns.find((p) => matchesPattern(p, value));
    return hit ? { criterion, pattern: hit.source, value } : undefined;
  };

export const compileBlock = (
  block: MatchBlock,
  rule: Rule,
  publishers: Map<string, PublisherDef>,
): CompiledBlock => {
  const tests: Test[] = [];
  if (block.platform) {
    const set = new Set<string>(block.platform);
    tests.push((app) =>
      set.has(app.platform)
        ? { criterion: 'platform', pattern: app.platform, value: app.platform }
        : undefined,
    );
  }
  if (block.package) {
    tests.push(packageTest('package', block.package.map(compilePackagePattern), (a) => a.id));
  }
  if (block.certSha256) {
    const set = new Set(block.certSha256);
    tests.push((app) => {
      const hit = appCerts(app).find((c) => set.has(c));
      return hit ? { criterion: 'cert-sha256', pattern: hit, value: hit } : undefined;
    });
  }
  for (const [criterion, digests] of [
    ['cert-sha1', block.certSha1],
    ['cert-md5', block.certMd5],
  ] as const) {
    if (!digests) continue;
    const set = new Set(digests);
    tests.push((app) => {
      const hit = appWeakCerts(app).find((c) => set.has(c));
      return hit ? { criterion, pattern: hit, value: hit } : undefined;
    });
  }
  if (block.teamId) {
    const set = new Set(block.teamId);
    tests.push((app) =>
      app.publisher.teamId && set.has(app.publisher.teamId)
        ? { criterion: 'team-id', pattern: app.publisher.teamId, value: app.publisher.teamId }
        : undefined,
    );
  }
  if (block.publisherName) {
    const globs = block.publisherName.map((s) => ({ s, re: compileTextGlob(s) }));
    tests.push((app) => {
      const name = app.publisher.name;
      if (!name) return undefined;
      const hit = globs.find((g) => g.re.test(name));
      return hit ? { criterion: 'publisher-name', pattern: hit.s, value: name } : undefined;
    });
  }
  if (block.publisher) {
    const defs = block.publisher.map((key) => publishers.get(key)).filter((d): d is PublisherDef => !!d);
    const compiled = defs.map((d) => ({
      key: d.key,
      certs: new Set(d.certSha256),
      weakCerts: new Set([...(d.certSha1 ?? []), ...(d.certMd5 ?? [])]),
      teams: new Set(d.teamId),
      names: d.publisherName.map(compileTextGlob),
    }));
    tests.push((app) => {
      for (const p of compiled) {
        const cert =
          appCerts(app).find((c) => p.certs.has(c)) ?? appWeakCerts(app).find((c) => p.weakCerts.has(c));
        if (cert) return { criterion: `publisher:${p.key}`, pattern: digestKind(cert), value: cert };
        const team = app.publisher.teamId;
        if (team && p.teams.has(team))
          return { criterion: `publisher:${p.key}`, pattern: 'team-id', value: team };
        const name = app.publisher.name;
        if (name && p.names.some((re) => re.test(name))) {
          return { criterion: `publisher:${p.key}`, pattern: 'publisher-name', value: name };
        }
      }
      return undefined;
    });
  }
  if (block.version) {
    const constraints: Array<[string, Constraint]> = block.version.map((v) => [v, parseConstraint(v)]);
    tests.push((app) => {
      const version = app.versionName;
      if (!version) return undefined;
      const hit = firstHit(constraints, ([s, c]) => (satisfies(version, c) ? s : undefined));
      return hit ? { criterion: 'version', pattern: hit[1], value: version } : undefined;
    });
  }
  if (block.versionCode) {
    const constraints: Array<[string, Constraint]> = block.versionCode.map((v) => [v, parseConstraint(v)]);
    tests.push((app) => {
      const code = app.versionCode;
      if (code === undefined || !/^\d+$/.test(String(code))) return undefined;
      const hit = firstHit(constraints, ([s, c]) => (satisfies(String(code), c, true) ? s : undefined));
      return hit ? { criterion: 'version-code', pattern: hit[1], value: String(code) } : undefined;
    });
  }
  if (block.installer) {
    tests.push(packageTest('installer', block.installer.map(compilePackagePattern), (a) => a.installer));
  }
  if (block.system !== undefined) {
    const want = block.system;
    tests.push((app) =>
      app.system === want
        ? { criterion: 'system', pattern: String(want), value: String(app.system) }
        : undefined,
    );
  }
  return { rule, tests, mark: 0 };
};

export const runBlock = (block: CompiledBlock, app: AppRecord): MatchDetail[] | undefined => {
  const { tests } = block;
  // One criterion is the common block; an exact-size array is what findings keep.
  if (tests.length === 1) {
    const detail = tests[0]?.(app);
    return detail ? [detail] : undefined;
  }
  const details: MatchDetail[] = [];
  for (const test of tests) {
    const detail = test(app);
    if (!detail) return undefined;
    details.push(detail);
  }
  return details;
};

const push = <K, V>(map: Map<K, V[]>, key: K, value: V): void => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

/** Where a block can be found quickly: the most selective criterion that is exact. */
class BlockIndex {
  readonly byPackage = new Map<string, CompiledBlock[]>();
  readonly byPrefix = new Map<string, CompiledBlock[]>();
  readonly byCert = new Map<string, CompiledBlock[]>();
  readonly byTeam = new Map<string, CompiledBlock[]>();
  readonly scan: CompiledBlock[] = [];
  readonly prefixLengths = new Set<number>();

  add(block: MatchBlock, compiled: CompiledBlock, publishers: Map<string, PublisherDef>): void {
    if (block.package) {
      const patterns = block.package.map(compilePackagePattern);
      // Every alternative must be indexable, or the whole block is scanned.
      if (patterns.every((p) => p.kind === 'exact' || (p.kind === 'glob' && p.prefix !== ''))) {
        for (const p of patterns) {
          if (p.kind === 'exact') push(this.byPackage, p.value, compiled);
          else if (p.kind === 'glob') {
            push(this.byPrefix, p.prefix, compiled);
            this.prefixLengths.add(p.prefix.split('.').length);
          }
        }
        return;
      }
    }
    if (block.certSha256 || block.certSha1 || block.certMd5) {
      for (const c of [...(block.certSha256 ?? []), ...(block.certSha1 ?? []), ...(block.certMd5 ?? [])])
        push(this.byCert, c, compiled);
      return;
    }
    if (block.teamId) {
      for (const t of block.teamId) push(this.byTeam, t, compiled);
      return;
    }
    if (block.publisher && !block.publisherName) {
      const defs = block.publisher.map((k) => publishers.get(k));
      if (defs.every((d) => d && d.publisherName.length === 0)) {
        for (const d of defs) {
          for (const c of [...d!.certSha256, ...(d!.certSha1 ?? []), ...(d!.certMd5 ?? [])])
            push(this.byCert, c, compiled);
          for (const t of d!.teamId) push(this.byTeam, t, compiled);
        }
        return;
      }
    }
    this.scan.push(compiled);
  }

  private calls = 0;

  /**
   * Blocks that may match the app, each once, in index order (exact id, id prefixes, certificates,
   * team, then the blocks that must always be tried). Undefined when there are none, which is
   * most apps: that path allocates nothing but the prefix keys.
   */
  candidates(app: AppRecord): CompiledBlock[] | undefined {
    const mark = ++this.calls;
    const { id, publisher } = app;
    let out = addCandidates(undefined, this.byPackage.get(id), mark);
    if (this.byPrefix.size > 0) {
      for (const n of this.prefixLengths) {
        // The first n dot-separated segments of the id, when it has at least n.
        let end = -1;
        for (let k = 0; k < n; k++) {
          end = id.indexOf('.', end + 1);
          if (end === -1) break;
        }
        if (end !== -1) out = addCandidates(out, this.byPrefix.get(id.slice(0, end)), mark);
        else if (countSegments(id) === n) out = addCandidates(out, this.byPrefix.get(id), mark);
      }
    }
    if (this.byCert.size > 0) {
      for (const c of publisher.certSha256 ?? []) out = addCandidates(out, this.byCert.get(c), mark);
      for (const c of publisher.certLineage ?? []) out = addCandidates(out, this.byCert.get(c), mark);
      for (const c of publisher.certSha1 ?? []) out = addCandidates(out, this.byCert.get(c), mark);
      for (const c of publisher.certMd5 ?? []) out = addCandidates(out, this.byCert.get(c), mark);
    }
    if (publisher.teamId) out = addCandidates(out, this.byTeam.get(publisher.teamId), mark);
    return addCandidates(out, this.scan, mark);
  }
}

/** Append the blocks of `list` not yet collected in this call (`mark`); allocates only on the first. */
const addCandidates = (
  out: CompiledBlock[] | undefined,
  list: CompiledBlock[] | undefined,
  mark: number,
): CompiledBlock[] | undefined => {
  if (list === undefined) return out;
  for (const b of list) {
    if (b.mark === mark) continue;
    b.mark = mark;
    if (out === undefined) out = [b];
    else out.push(b);
  }
  return out;
};

const countSegments = (id: string): number => {
  let n = 1;
  for (let i = id.indexOf('.'); i !== -1; i = id.indexOf('.', i + 1)) n++;
  return n;
};

export const compileRuleSet = (ruleSet: RuleSet): Matcher => {
  const denyIndex = new BlockIndex();
  const allowIndex = new Map<string, BlockIndex>();
  const excludes = new Map<Rule, CompiledBlock[]>();
  const lowerExact = new Map<string, Array<{ rule: Rule; expected: string }>>();
  const allowPacks = ruleSet.packs.filter((p) => p.mode === 'allowlist');
  const packMode = new Map(ruleSet.packs.map((p) => [p.name, p.mode]));

  for (const rule of ruleSet.rules) {
    const index =
      packMode.get(rule.pack) === 'allowlist'
        ? (allowIndex.get(rule.pack) ?? allowIndex.set(rule.pack, new BlockIndex()).get(rule.pack)!)
        : denyIndex;
    for (const block of rule.match) {
      index.add(block, compileBlock(block, rule, ruleSet.publishers), ruleSet.publishers);
      for (const id of block.package ?? []) {
        if (!/[*?]/.test(id) && !id.startsWith('/'))
          push(lowerExact, id.toLowerCase(), { rule, expected: id });
      }
    }
    if (rule.exclude.length > 0) {
      excludes.set(
        rule,
        rule.exclude.map((b) => compileBlock(b, rule, ruleSet.publishers)),
      );
    }
  }

  let casedRuleIds = false;
  for (const list of lowerExact.values()) {
    if (list.some((c) => c.expected.toLowerCase() !== c.expected)) casedRuleIds = true;
  }

  const evaluate = (index: BlockIndex, app: AppRecord): RuleMatch[] => {
    const out: RuleMatch[] = [];
    const candidates = index.candidates(app);
    if (candidates === undefined) return out;
    for (const block of candidates) {
      // The first block of a rule that holds gives the details.
      if (out.some((m) => m.rule === block.rule)) continue;
      const details = runBlock(block, app);
      if (!details) continue;
      const ex = excludes.get(block.rule);
      if (ex?.some((b) => runBlock(b, app))) continue;
      out.push({ rule: block.rule, matchedOn: details });
    }
    return out;
  };

  return {
    ruleCount: ruleSet.rules.length,
    match: (app) => evaluate(denyIndex, app),
    notAllowed: (app) => {
      const out: Array<{ pack: string }> = [];
      for (const pack of allowPacks) {
        if (app.system === true && !pack.allowlist?.includeSystem) continue;
        const index = allowIndex.get(pack.name);
        if (!index || evaluate(index, app).length === 0) out.push({ pack: pack.name });
      }
      return out;
    },
    nearMisses: (app) => {
      const { id } = app;
      const lower = id.toLowerCase();
      // A near miss needs a case difference on one side: an id already in lower case can only
      // meet a rule id that is not, and most rule sets have none.
      if (lower === id && !casedRuleIds) return [];
      const list = lowerExact.get(lower);
      if (!list) return [];
      return list
        .filter((c) => c.expected !== app.id && packMode.get(c.rule.pack) !== 'allowlist')
        .map((c) => ({ rule: c.rule, expected: c.expected }));
    },
  };
};
