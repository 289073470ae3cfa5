/**
 * `scan --engine duckdb`: the inputs are read by appwarden's own readers (so every input format
 * works and partial/failed targets stay so), their apps are written as the NDJSON inventory table
 * and the rule set, compiled to SQL, runs on embedded DuckDB. The query rows become the matcher
 * the Evaluation uses, so waivers, baseline, verdict and reports are the JavaScript engine's code.
 * The only module that imports @duckdb/node-api (an optional dependency), and only when called.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppwardenError, describeError } from '../errors.js';
import type { AppRecord, MatchDetail, ScanResult, SkippedInput, TargetResult } from '../model.js';
import { appRow, targetColumns } from '../parsers/mdm/table.js';
import {
  type CompiledBlock,
  compileBlock,
  compileRuleSet,
  type Matcher,
  type RuleMatch,
  runBlock,
} from '../ruleset/compile.js';
import type { MatchBlock, Rule, RuleSet } from '../ruleset/types.js';
import { collectEach, Evaluation, prepareScan, type ScanOptions } from '../scan.js';
import { blockCriteria, compileSql } from './compile.js';

/** Inventory columns the query reads, typed so DuckDB never guesses (a version "2024-01-01" stays text). */
export const INVENTORY_COLUMNS = `{record: 'VARCHAR', target_id: 'VARCHAR', platform: 'VARCHAR', "user": 'BIGINT', package: 'VARCHAR', version_name: 'VARCHAR', version_code: 'VARCHAR', version_key: 'VARCHAR', installer: 'VARCHAR', system: 'BOOLEAN', cert_sha256: 'VARCHAR[]', cert_sha1: 'VARCHAR[]', cert_md5: 'VARCHAR[]', cert_lineage: 'VARCHAR[]', team_id: 'VARCHAR', publisher_name: 'VARCHAR', app_seq: 'BIGINT'}`;

type DuckdbModule = typeof import('@duckdb/node-api');

/** `purpose` names what needed DuckDB (`--engine duckdb`, `-o parquet=PATH`) in the error. */
export const loadDuckdb = async (purpose = '--engine duckdb'): Promise<DuckdbModule> => {
  try {
    return await import('@duckdb/node-api');
  } catch (error) {
    throw new AppwardenError(
      'USAGE',
      `${purpose} needs the optional package @duckdb/node-api (npm install @duckdb/node-api): ${describeError(error)}`,
    );
  }
};

export interface FindingRow {
  rule_id: string;
  app_seq: number;
  matched_block: number;
}

/** One DuckDB instance for many queries (its start is the slow part). */
export class DuckdbRunner {
  private constructor(private readonly connection: import('@duckdb/node-api').DuckDBConnection) {}

  static async create(): Promise<DuckdbRunner> {
    const duckdb = await loadDuckdb();
    const instance = await duckdb.DuckDBInstance.create(':memory:');
    return new DuckdbRunner(await instance.connect());
  }

  /** Runs the rule set's query over an NDJSON inventory file whose app rows carry `app_seq`. */
  async findings(ruleSet: RuleSet, ndjsonPath: string): Promise<FindingRow[]> {
    const sql = compileSql(ruleSet, { dialect: 'duckdb', passthrough: ['app_seq'] });
    const path = ndjsonPath.replace(/'/g, "''");
    await this.connection.run(
      `CREATE OR REPLACE VIEW inventory AS SELECT * FROM read_json('${path}', format = 'newline_delimited', columns = ${INVENTORY_COLUMNS})`,
    );
    const reader = await this.connection.runAndReadAll(sql.replace(/;\s*$/, ''));
    return reader.getRowObjectsJS().map((r) => ({
      rule_id: String(r.rule_id),
      app_seq: Number(r.app_seq),
      matched_block: Number(r.matched_block),
    }));
  }

  close(): void {
    this.connection.closeSync();
  }
}

/** The app's value a criterion looked at, for a finding's matchedOn. */
const appValue = (criterion: string, app: AppRecord): string => {
  const p = app.publisher;
  switch (criterion) {
    case 'platform':
      return app.platform;
    case 'package':
      return app.id;
    case 'cert-sha256':
      return [...(p.certSha256 ?? []), ...(p.certLineage ?? [])].join(',');
    case 'cert-sha1':
    case 'cert-md5':
      return [...(p.certMd5 ?? []), ...(p.certSha1 ?? [])].join(',');
    case 'team-id':
      return p.teamId ?? '';
    case 'publisher-name':
      return p.name ?? '';
    case 'version':
      return app.versionName ?? '';
    case 'version-code':
      return String(app.versionCode ?? '');
    case 'installer':
      return app.installer ?? '';
    default:
      return String(app.system);
  }
};

const blockPatterns = (block: MatchBlock, criterion: string): string => {
  const key = {
    platform: block.platform,
    package: block.package,
    'cert-sha256': block.certSha256,
    'cert-sha1': block.certSha1,
    'cert-md5': block.certMd5,
    'team-id': block.teamId,
    'publisher-name': block.publisherName,
    publisher: block.publisher,
    version: block.version,
    'version-code': block.versionCode,
    installer: block.installer,
  }[criterion];
  return key ? key.join(' | ') : String(block.system);
};

/** matchedOn of a query row: the block's criteria with the rule's alternatives and the app's values. */
const details = (rule: Rule, blockIndex: number, app: AppRecord): MatchDetail[] => {
  const block = rule.match[blockIndex - 1];
  if (!block) return [];
  return blockCriteria(block).map((criterion) => ({
    criterion,
    pattern: blockPatterns(block, criterion),
    value: criterion === 'publisher' ? appValue('publisher-name', app) : appValue(criterion, app),
  }));
};

/**
 * The matchedOn of a finding the query found: the JavaScript block's own details (which
 * alternative matched, which certificate), so reports read the same on both engines. The
 * decision stays the query's; where the block gives no details, its criteria are listed.
 */
const detailsOf = (ruleSet: RuleSet): ((rule: Rule, blockIndex: number, app: AppRecord) => MatchDetail[]) => {
  const cache = new Map<MatchBlock, CompiledBlock>();
  return (rule, blockIndex, app) => {
    const block = rule.match[blockIndex - 1];
    if (!block) return [];
    let compiled = cache.get(block);
    if (!compiled) {
      compiled = compileBlock(block, rule, ruleSet.publishers);
      cache.set(block, compiled);
    }
    return runBlock(compiled, app) ?? details(rule, blockIndex, app);
  };
};

/** A Matcher answering from the query's rows (near misses, which are notes, from the JS matcher). */
const matcherFromRows = (ruleSet: RuleSet, apps: AppRecord[], rows: FindingRow[]): Matcher => {
  const rules = new Map(ruleSet.rules.map((r) => [r.id, r]));
  const allowIds = new Map(ruleSet.packs.flatMap((p) => (p.allowlist ? [[p.allowlist.id, p.name]] : [])));
  const matchedOn = detailsOf(ruleSet);
  const matches = new Map<AppRecord, RuleMatch[]>();
  const notAllowed = new Map<AppRecord, Array<{ pack: string }>>();
  for (const row of rows) {
    const app = apps[row.app_seq];
    if (!app) throw new Error(`DuckDB returned a finding for unknown app row ${row.app_seq}`);
    const pack = allowIds.get(row.rule_id);
    if (pack !== undefined) {
      notAllowed.set(app, [...(notAllowed.get(app) ?? []), { pack }]);
      continue;
    }
    const rule = rules.get(row.rule_id);
    if (!rule) throw new Error(`DuckDB returned a finding for unknown rule ${row.rule_id}`);
    const list = matches.get(app) ?? [];
    list.push({ rule, matchedOn: matchedOn(rule, row.matched_block, app) });
    matches.set(app, list);
  }
  const js = compileRuleSet(ruleSet);
  return {
    ruleCount: ruleSet.rules.length,
    match: (app) => matches.get(app) ?? [],
    notAllowed: (app) => notAllowed.get(app) ?? [],
    nearMisses: (app) => js.nearMisses(app),
  };
};

/** Writes the targets' app rows (with `app_seq`, their index in `apps`) as NDJSON. */
const writeInventory = (targets: TargetResult[], path: string): AppRecord[] => {
  const apps: AppRecord[] = [];
  const lines: string[] = [];
  for (const t of targets) {
    const base = targetColumns(t, 'app');
    for (const a of t.apps) {
      lines.push(JSON.stringify({ ...appRow(base, t, a), app_seq: apps.length }));
      apps.push(a);
    }
  }
  writeFileSync(path, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return apps;
};

/** `scan --engine duckdb`: same ScanResult as `scan`, with the rules run as SQL on DuckDB. */
export const scanWithDuckdb = async (options: ScanOptions, runner?: DuckdbRunner): Promise<ScanResult> => {
  const { ruleSet, evaluateOptions } = prepareScan(options);
  const own = runner ?? (await DuckdbRunner.create());
  const targets: TargetResult[] = [];
  const skipped: SkippedInput[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'appwarden-duckdb-'));
  try {
    // workers: 0, so every target arrives unchecked, with its apps.
    await collectEach(
      { ...options, workers: 0 },
      (t) => targets.push(t),
      undefined,
      (s) => skipped.push(s),
    );
    const file = join(dir, 'inventory.ndjson');
    const apps = writeInventory(targets, file);
    const rows = await own.findings(ruleSet, file);
    const evaluation = new Evaluation(ruleSet, evaluateOptions, matcherFromRows(ruleSet, apps, rows));
    const keepApps = options.keepApps ?? true;
    for (const t of targets) evaluation.add(t, keepApps);
    for (const s of skipped) evaluation.skip(s);
    return evaluation.finish();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (!runner) own.close();
  }
};
