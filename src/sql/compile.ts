/**
 * Compiles a rule set into one SQL query over the inventory table (docs/inventory-table.md) that
 * returns the findings the JavaScript matcher (src/ruleset/compile.ts) gives: one row per
 * (rule, app). Pure: RuleSet in, SQL text out. Every criterion is translated with the matcher's
 * exact semantics; one that a dialect cannot express is a compile error naming the rule, never a
 * weaker query. Waivers are not in the query: the caller applies them to the findings afterwards.
 *
 * Version constraints do not use `version_key`: that key sorts `1.2` before `1.2.0` and releases
 * before their pre-releases, while the matcher treats missing parts as 0 and a word before a
 * number. The query splits `version_name` into the matcher's parts and compares them instead.
 */
import { AppwardenError } from '../errors.js';
import { compilePackagePattern, compileTextGlob } from '../ruleset/pattern.js';
import type { MatchBlock, PublisherDef, Rule, RuleSet } from '../ruleset/types.js';
import { type Comparison, parseConstraint } from '../ruleset/version.js';

export type SqlDialect = 'duckdb' | 'spark';
export const SQL_DIALECTS: readonly SqlDialect[] = ['duckdb', 'spark'];

export interface SqlCompileOptions {
  dialect: SqlDialect;
  /** Table or view holding the inventory rows (default `inventory`). */
  table?: string;
  /** Extra inventory columns copied into every finding row (the DuckDB engine's row number). */
  passthrough?: string[];
}

/** Spark is printed only: its regex engine (java.util.regex) is not RE2, see docs/sql.md. */
const REGEX_FORM = /^\/(.+)\/([imsu]*)$/s;

const lit = (s: string, dialect: SqlDialect): string =>
  // Spark string literals treat backslash as an escape; DuckDB's do not.
  `'${(dialect === 'spark' ? s.replace(/\\/g, '\\\\') : s).replace(/'/g, "''")}'`;

const list = (values: string[], dialect: SqlDialect): string =>
  `${dialect === 'spark' ? 'array(' : '['}${values.map((v) => lit(v, dialect)).join(', ')}${dialect === 'spark' ? ')' : ']'}`;

// Spark SQL quotes identifiers with backticks ("…" is a string there).
const ident = (name: string, dialect: SqlDialect = 'duckdb'): string =>
  dialect === 'spark' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;

class Ctx {
  constructor(
    readonly dialect: SqlDialect,
    readonly rule: Rule,
  ) {}

  fail(what: string): never {
    throw new AppwardenError(
      'RULES_INVALID',
      `rule ${this.rule.id} (${this.rule.file}:${this.rule.line}): ${what} cannot be expressed in ${this.dialect} SQL`,
    );
  }

  /** A search (RE2 `find`) of `re` in `col`; the pattern's source is exactly what the matcher runs. */
  search(col: string, re: string, flags = '', ownGlob = false, what?: string): string {
    const inline = flags.replace(/u/g, '');
    const src = inline ? `(?${inline})${re}` : re;
    if (this.dialect === 'duckdb') return `regexp_matches(${col}, ${lit(src, 'duckdb')})`;
    // A package glob is ours (^…$, no flags): in Java `$` also matches before a final newline, `\z` does not.
    if (ownGlob && flags === '' && re.startsWith('^') && re.endsWith('$') && !re.endsWith('\\$'))
      return `(${col} rlike ${lit(`${re.slice(0, -1)}\\z`, 'spark')})`;
    return this.fail(
      `${what ?? `the regular expression /${re}/${flags}`} (Spark runs java.util.regex, not RE2)`,
    );
  }

  overlap(col: string, values: string[]): string {
    if (this.dialect === 'duckdb') return `list_has_any(${col}, ${list(values, 'duckdb')})`;
    return `arrays_overlap(${col}, ${list(values, 'spark')})`;
  }

  concatLists(a: string, b: string): string {
    return this.dialect === 'duckdb' ? `list_concat(${a}, ${b})` : `concat(${a}, ${b})`;
  }

  fullMatchDigits(col: string): string {
    return digitsOnly(this.dialect, col);
  }
}

/** The column is a non-empty run of ASCII digits (JavaScript `/^\d+$/`). */
const digitsOnly = (dialect: SqlDialect, col: string): string =>
  dialect === 'duckdb'
    ? `regexp_full_match(${col}, '[0-9]+')`
    : `(${col} rlike ${lit('^[0-9]+\\z', 'spark')})`;

const or = (parts: string[]): string =>
  parts.length === 0 ? 'FALSE' : parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
const and = (parts: string[]): string =>
  parts.length === 0 ? 'TRUE' : parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;

const packageCond = (ctx: Ctx, col: string, patterns: string[]): string =>
  or(
    patterns.map((source) => {
      const p = compilePackagePattern(source);
      if (p.kind === 'exact') return `${col} = ${lit(p.value, ctx.dialect)}`;
      if (p.kind === 'glob') return ctx.search(col, p.regex.source, '', true);
      const m = REGEX_FORM.exec(source)!;
      return ctx.search(col, m[1]!, m[2]);
    }),
  );

const textGlobCond = (ctx: Ctx, col: string, globs: string[]): string =>
  and([
    `${col} <> ''`,
    or(
      globs.map((g) =>
        ctx.search(col, compileTextGlob(g).source, 'is', false, `the case-insensitive glob "${g}"`),
      ),
    ),
  ]);

/** Same split as version.ts `parts`: digit runs and runs of other non-separator characters. */
const VERSION_PART = /\d+|[^\d.\-+_]+/g;
const constParts = (v: string): string[] => v.match(VERSION_PART) ?? [];
const norm = (digits: string): string => digits.replace(/^0+/, '');

/**
 * A version part as a string that sorts like the matcher compares parts: a word `0<lowercase>`
 * below every number `1<10-digit length><digits without leading zeros>` (exact at any length).
 */
const encodePart = (part: string): string =>
  /^\d/.test(part)
    ? `1${String(norm(part).length).padStart(10, '0')}${norm(part)}`
    : `0${part.toLowerCase()}`;
const ZERO_PART = encodePart('0');

/** The SQL of encodePart over a part column `x`. */
const encodeSql = (dialect: SqlDialect, x: string): string => {
  const t = `regexp_replace(${x}, '^0+', '')`;
  return `(CASE WHEN ${digitsOnly(dialect, x)} THEN '1' || lpad(CAST(length(${t}) AS ${dialect === 'spark' ? 'STRING' : 'VARCHAR'}), 10, '0') || ${t} ELSE '0' || lower(${x}) END)`;
};

const cmp3 = (ctx: Ctx, col: string, c: string): string =>
  `(CASE WHEN ${col} < ${lit(c, ctx.dialect)} THEN -1 WHEN ${col} > ${lit(c, ctx.dialect)} THEN 1 ELSE 0 END)`;

const elem = (ctx: Ctx, i: number): string =>
  // Spark 4 runs ANSI mode: element_at past the end is an error, try_element_at is NULL.
  ctx.dialect === 'duckdb' ? `v_enc[${i}]` : `try_element_at(v_enc, ${i})`;

/** compareVersions(version_name, constant) as -1/0/1 over the row's encoded parts `v_enc`. */
const versionCmp = (ctx: Ctx, version: string): string => {
  const q = constParts(version).map(encodePart);
  const cmps = q.map((c, k) => {
    const p = elem(ctx, k + 1);
    // A missing part is 0: equal to a zero, above a word, below any other number.
    const missing = c === ZERO_PART ? 0 : c < ZERO_PART ? 1 : -1;
    return `(CASE WHEN ${p} IS NULL THEN ${missing} ELSE ${cmp3(ctx, p, c)} END)`;
  });
  // Past the constant's parts: the first part that is not a zero decides (a word is below 0).
  const rest =
    ctx.dialect === 'duckdb'
      ? `list_filter(list_slice(v_enc, ${q.length + 1}, 2147483647), lambda x: x <> '${ZERO_PART}')[1]`
      : `try_element_at(filter(slice(v_enc, ${q.length + 1}, 2147483647), x -> x <> '${ZERO_PART}'), 1)`;
  const tail = `(CASE WHEN ${rest} IS NULL THEN 0 WHEN ${rest} < '1' THEN -1 ELSE 1 END)`;
  return `coalesce(${[...cmps.map((c) => `nullif(${c}, 0)`), tail].join(', ')})`;
};

const holds = (cmp: string, op: Comparison['op']): string =>
  `(${cmp} ${op === '=' ? '=' : op === '!=' ? '<>' : op} 0)`;

const versionCond = (ctx: Ctx, constraints: string[]): string =>
  and([
    `version_name <> ''`,
    or(
      constraints.flatMap((s) =>
        parseConstraint(s).map((all) => and(all.map((c) => holds(versionCmp(ctx, c.version), c.op)))),
      ),
    ),
  ]);

const versionCodeCond = (ctx: Ctx, constraints: string[]): string =>
  and([
    'vc_enc IS NOT NULL',
    or(
      constraints.flatMap((s) =>
        parseConstraint(s).map((all) =>
          and(
            all.map((c) =>
              // A non-integer bound satisfies no comparison (version.ts satisfies, numeric).
              /^\d+$/.test(c.version) ? holds(cmp3(ctx, 'vc_enc', encodePart(c.version)), c.op) : 'FALSE',
            ),
          ),
        ),
      ),
    ),
  ]);

const STRONG = 'strong_certs';
const WEAK = 'weak_certs';

const publisherCond = (ctx: Ctx, keys: string[], publishers: Map<string, PublisherDef>): string =>
  or(
    keys
      .map((k) => publishers.get(k))
      .filter((d): d is PublisherDef => d !== undefined)
      .map((d) => {
        const parts: string[] = [];
        if (d.certSha256.length > 0) parts.push(ctx.overlap(STRONG, d.certSha256));
        const weak = [...(d.certSha1 ?? []), ...(d.certMd5 ?? [])];
        if (weak.length > 0) parts.push(ctx.overlap(WEAK, weak));
        if (d.teamId.length > 0)
          parts.push(
            and([`team_id <> ''`, `team_id IN (${d.teamId.map((t) => lit(t, ctx.dialect)).join(', ')})`]),
          );
        if (d.publisherName.length > 0) parts.push(textGlobCond(ctx, 'publisher_name', d.publisherName));
        return or(parts);
      }),
  );

/** Criteria names of a block in the matcher's order (what a finding's matchedOn lists). */
export const blockCriteria = (block: MatchBlock): string[] => {
  const out: string[] = [];
  if (block.platform) out.push('platform');
  if (block.package) out.push('package');
  if (block.certSha256) out.push('cert-sha256');
  if (block.certSha1) out.push('cert-sha1');
  if (block.certMd5) out.push('cert-md5');
  if (block.teamId) out.push('team-id');
  if (block.publisherName) out.push('publisher-name');
  if (block.publisher) out.push('publisher');
  if (block.version) out.push('version');
  if (block.versionCode) out.push('version-code');
  if (block.installer) out.push('installer');
  if (block.system !== undefined) out.push('system');
  return out;
};

/** Every criterion of the block holds; each is NULL-safe (an absent value matches nothing). */
const blockCond = (ctx: Ctx, block: MatchBlock, publishers: Map<string, PublisherDef>): string => {
  const parts: string[] = [];
  const d = ctx.dialect;
  if (block.platform) parts.push(`platform IN (${block.platform.map((p) => lit(p, d)).join(', ')})`);
  if (block.package) parts.push(packageCond(ctx, 'package', block.package));
  if (block.certSha256) parts.push(ctx.overlap(STRONG, block.certSha256));
  if (block.certSha1) parts.push(ctx.overlap(WEAK, block.certSha1));
  if (block.certMd5) parts.push(ctx.overlap(WEAK, block.certMd5));
  if (block.teamId)
    parts.push(and([`team_id <> ''`, `team_id IN (${block.teamId.map((t) => lit(t, d)).join(', ')})`]));
  if (block.publisherName) parts.push(textGlobCond(ctx, 'publisher_name', block.publisherName));
  if (block.publisher) parts.push(publisherCond(ctx, block.publisher, publishers));
  if (block.version) parts.push(versionCond(ctx, block.version));
  if (block.versionCode) parts.push(versionCodeCond(ctx, block.versionCode));
  if (block.installer) parts.push(packageCond(ctx, 'installer', block.installer));
  if (block.system !== undefined) parts.push(`system = ${block.system ? 'TRUE' : 'FALSE'}`);
  return parts.length === 0 ? 'TRUE' : and(parts.map((p) => `coalesce(${p}, FALSE)`));
};

interface CompiledRule {
  rule: Rule;
  /** Each `match:` block, then each `exclude:` block, as a boolean expression. */
  blocks: string[];
  excludes: string[];
}

const compileRule = (rule: Rule, ruleSet: RuleSet, dialect: SqlDialect): CompiledRule => {
  const ctx = new Ctx(dialect, rule);
  return {
    rule,
    blocks: rule.match.map((b) => blockCond(ctx, b, ruleSet.publishers)),
    excludes: rule.exclude.map((b) => blockCond(ctx, b, ruleSet.publishers)),
  };
};

/**
 * The blocks of the rules as columns `m<rule>_<block>` / `x<rule>_<block>` of a subquery over
 * `apps`, each expression written once (the planner's time grows with the expression tree), and
 * for each rule the condition that it holds over those columns.
 */
const blockColumns = (
  rules: Array<{ c: CompiledRule; n: number }>,
): { cols: string; holds: Map<number, string> } => {
  const cols: string[] = [];
  const holds = new Map<number, string>();
  for (const { c, n } of rules) {
    const m = c.blocks.map((b, i) => {
      cols.push(`${b} AS m${n}_${i + 1}`);
      return `m${n}_${i + 1}`;
    });
    const x = c.excludes.map((b, i) => {
      cols.push(`${b} AS x${n}_${i + 1}`);
      return `x${n}_${i + 1}`;
    });
    holds.set(n, x.length > 0 ? `(${or(m)} AND NOT ${or(x)})` : or(m));
  }
  return { cols: cols.length > 0 ? `, ${cols.join(',\n    ')}` : '', holds };
};

/**
 * The query. Columns: rule_id, severity, target_id, platform, user, app_id, matched_block (1-based
 * index of the rule's first `match:` block that holds; 0 for an allowlist finding), criterion
 * (that block's criteria, comma-separated), then the passthrough columns.
 */
export const compileSql = (ruleSet: RuleSet, options: SqlCompileOptions): string => {
  const { dialect } = options;
  const table = options.table ?? 'inventory';
  const extra = (options.passthrough ?? []).map((c) => `, ${ident(c, dialect)}`).join('');
  const packMode = new Map(ruleSet.packs.map((p) => [p.name, p.mode]));
  const compiled = ruleSet.rules.map((r, n) => ({ c: compileRule(r, ruleSet, dialect), n }));
  const selects: string[] = [];
  const head = (id: string, severity: string): string =>
    `SELECT ${lit(id, dialect)} AS rule_id, ${lit(severity, dialect)} AS severity, target_id, platform, ${ident('user', dialect)}, package AS app_id`;
  for (const { c, n } of compiled) {
    if (packMode.get(c.rule.pack) === 'allowlist') continue;
    const { cols, holds } = blockColumns([{ c, n }]);
    const which = c.blocks.map((_, i) => `WHEN m${n}_${i + 1} THEN ${i + 1}`).join(' ');
    const criteria = c.rule.match
      .map((b, i) => `WHEN m${n}_${i + 1} THEN ${lit(blockCriteria(b).join(','), dialect)}`)
      .join(' ');
    selects.push(
      `${head(c.rule.id, c.rule.severity)}, CASE ${which} END AS matched_block, CASE ${criteria} END AS criterion${extra}\nFROM (SELECT *${cols}\n  FROM apps) WHERE ${holds.get(n)}`,
    );
  }
  for (const pack of ruleSet.packs) {
    if (pack.mode !== 'allowlist' || !pack.allowlist) continue;
    const own = compiled.filter(({ c }) => c.rule.pack === pack.name);
    const { cols, holds } = blockColumns(own);
    const conds = [`NOT ${or(own.map(({ n }) => holds.get(n)!))}`];
    if (!pack.allowlist.includeSystem) conds.unshift('system IS DISTINCT FROM TRUE');
    selects.push(
      `${head(pack.allowlist.id, pack.allowlist.severity)}, 0 AS matched_block, 'allowlist' AS criterion${extra}\nFROM (SELECT *${cols}\n  FROM apps) WHERE ${and(conds)}`,
    );
  }
  const vparts =
    dialect === 'duckdb'
      ? `regexp_extract_all(coalesce(version_name, ''), '[0-9]+|[^0-9.+_-]+')`
      : `regexp_extract_all(coalesce(version_name, ''), '([0-9]+|[^0-9.+_-]+)', 1)`;
  const cat = (a: string, b: string): string =>
    dialect === 'duckdb' ? `list_concat(${a}, ${b})` : `concat(${a}, ${b})`;
  const empty = dialect === 'duckdb' ? '[]' : 'array()';
  const transform = (l: string, body: string): string =>
    dialect === 'duckdb' ? `list_transform(${l}, lambda x: ${body})` : `transform(${l}, x -> ${body})`;
  const apps = [
    'WITH apps AS (',
    `  SELECT *, ${transform(vparts, encodeSql(dialect, 'x'))} AS v_enc,`,
    `    CASE WHEN ${digitsOnly(dialect, 'version_code')} THEN ${encodeSql(dialect, 'version_code')} END AS vc_enc,`,
    `    ${cat(`coalesce(cert_sha256, ${empty})`, `coalesce(cert_lineage, ${empty})`)} AS ${STRONG},`,
    `    ${cat(`coalesce(cert_md5, ${empty})`, `coalesce(cert_sha1, ${empty})`)} AS ${WEAK}`,
    `  FROM ${table} WHERE record = 'app'`,
    ')',
  ].join('\n');
  const body =
    selects.length > 0
      ? selects.join('\nUNION ALL\n')
      : `${head('', 'info')}, 0 AS matched_block, '' AS criterion${extra} FROM apps WHERE FALSE`;
  return `-- appwarden rules compiled to ${dialect} SQL: one row per finding (waivers not applied)\n${apps}\n${body};\n`;
};
