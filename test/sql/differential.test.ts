/**
 * The contract of `--engine duckdb`: on generated fleets and rule sets, the findings of the
 * JavaScript engine and of the compiled SQL on DuckDB are the same (rule, target, user, app).
 * Both read the same NDJSON inventory table, written by the ndjson reporter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRecord, Finding, ScanResult, TargetResult } from '../../src/model.js';
import { renderNdjson } from '../../src/reporters/ndjson.js';
import type { MatchBlock, Pack, PublisherDef, Rule, RuleSet } from '../../src/ruleset/types.js';
import { scan } from '../../src/scan.js';
import { compileSql } from '../../src/sql/compile.js';
import { DuckdbRunner, scanWithDuckdb } from '../../src/sql/duckdb.js';
import type { Waiver } from '../../src/waivers.js';

const ctx = {} as Parameters<typeof renderNdjson>[1];
const NOW = new Date('2026-12-06T00:00:00Z');

// Small alphabets so generated rules and apps meet often.
const seg = fc.constantFrom('com', 'org', 'tencent', 'Tencent', 'mm', 'wx', 'tiktok', 'a', 'b1', 'x_y');
const pkg = fc.oneof(
  { weight: 9, arbitrary: fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')) },
  // Look-alikes: a trailing newline (RE2's `$` is the end of text), case, a character that case-folds to ASCII.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'com.tencent.mm\n',
      'COM.TENCENT.MM',
      'com.tencent.MM',
      'com.tencent.mſ',
      'org.a\nb',
    ),
  },
);
const hex = (n: number) => fc.constantFrom(...['a', 'b', 'c'].map((c) => c.repeat(n)));
const cert256 = hex(64);
const cert1 = hex(40);
const cert5 = hex(32);
const team = fc.constantFrom('TEAM1', 'TEAM2', 'team1', '');
const pubName = fc.constantFrom('Tencent Ltd', 'TENCENT', 'ByteDance', 'Bytedance Pte.', 'Kaspersky Lab', '');
const versionStr = fc.oneof(
  fc.constantFrom(
    '1.2',
    '1.2.0',
    '1.10',
    '10.0',
    '2.0.0-beta',
    '2.0.0',
    '1.0.beta',
    '1.0',
    'v3',
    '',
    '8.0.40',
    '8.0.40b',
    '000.1',
    'Beta',
  ),
  fc
    .array(fc.constantFrom('0', '1', '2', '10', '00', 'a', 'rc'), { minLength: 1, maxLength: 4 })
    .map((p) => p.join('.')),
);
const codeStr = fc.constantFrom('1', '10', '0010', '99', '100', 'x1', '', '12345678901234567890');

const globOf = fc.oneof(
  pkg,
  pkg.map((p) => `${p}.*`),
  fc.constantFrom('com.*', '*.mm', 'com.tencent.m?', 'org.*.a', 'com.t*', '*'),
);
const patternArb = fc.oneof(
  { weight: 3, arbitrary: globOf },
  {
    weight: 1,
    arbitrary: fc.constantFrom('/^com\\.(tencent|Tencent)\\./', '/MM$/i', '/^[a-z]+$/', '/\\.b1/', '/a.b/s'),
  },
);
const constraintArb = fc.constantFrom(
  '<1.10',
  '>=1.2',
  '=1.2',
  '!=2.0.0',
  '<2.0.0 >1.0',
  '<1 || >=10',
  '>1.0.beta',
  '<=v3',
  '=1.2.0',
);
const codeConstraintArb = fc.constantFrom(
  '<10',
  '>=100',
  '=10',
  '!=1',
  '>5 <100',
  '<x',
  '>12345678901234567889',
);

const criteria = {
  platform: fc.subarray(['android', 'ios'] as const, { minLength: 1 }).map((p) => [...p]),
  package: fc.array(patternArb, { minLength: 1, maxLength: 2 }),
  certSha256: fc.array(cert256, { minLength: 1, maxLength: 2 }),
  certSha1: fc.array(cert1, { minLength: 1, maxLength: 2 }),
  certMd5: fc.array(cert5, { minLength: 1, maxLength: 2 }),
  teamId: fc.array(fc.constantFrom('TEAM1', 'TEAM2'), { minLength: 1, maxLength: 2 }),
  publisherName: fc.array(fc.constantFrom('tencent*', '*Dance*', 'kaspersky ?ab', 'T?NCENT'), {
    minLength: 1,
    maxLength: 2,
  }),
  publisher: fc.constant(['tencent']),
  version: fc.array(constraintArb, { minLength: 1, maxLength: 2 }),
  versionCode: fc.array(codeConstraintArb, { minLength: 1, maxLength: 2 }),
  installer: fc.array(fc.constantFrom('com.android.vending', 'com.*', '/store/'), {
    minLength: 1,
    maxLength: 2,
  }),
  system: fc.boolean(),
};
type Criterion = keyof typeof criteria;
// One to three criteria per block (a filter over all subsets would reject most of them).
const blockArb: fc.Arbitrary<MatchBlock> = fc
  .shuffledSubarray(Object.keys(criteria) as Criterion[], { minLength: 1, maxLength: 3 })
  .chain((keys) =>
    fc.record(
      Object.fromEntries(keys.map((k) => [k, criteria[k]])) as { [K in Criterion]: (typeof criteria)[K] },
    ),
  )
  .map((b) => b as MatchBlock);

const ruleArb = (id: string, pack: string): fc.Arbitrary<Rule> =>
  fc
    .record({
      severity: fc.constantFrom('critical', 'high', 'medium', 'low') as fc.Arbitrary<Rule['severity']>,
      match: fc.array(blockArb, { minLength: 1, maxLength: 3 }),
      exclude: fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(blockArb, { minLength: 1, maxLength: 2 }) },
      ),
    })
    .map((r) => ({
      id,
      title: `title ${id}`,
      message: `message ${id}`,
      references: [],
      pack,
      file: 'gen.yaml',
      line: 1,
      ...r,
    }));

const publishers = new Map<string, PublisherDef>([
  [
    'tencent',
    {
      key: 'tencent',
      certSha256: ['a'.repeat(64)],
      certSha1: ['b'.repeat(40)],
      certMd5: ['c'.repeat(32)],
      teamId: ['TEAM2'],
      publisherName: ['Tencent*'],
      references: [],
      file: 'gen.yaml',
    },
  ],
]);

const ruleSetArb: fc.Arbitrary<RuleSet> = fc
  .record({
    deny: fc.integer({ min: 1, max: 6 }),
    allow: fc.integer({ min: 0, max: 3 }),
    includeSystem: fc.boolean(),
  })
  .chain(({ deny, allow, includeSystem }) =>
    fc
      .tuple(
        fc.tuple(...Array.from({ length: deny }, (_, i) => ruleArb(`deny-${i}`, 'deny'))),
        allow > 0
          ? fc.tuple(...Array.from({ length: allow }, (_, i) => ruleArb(`allow-${i}`, 'allow')))
          : fc.constant([] as Rule[]),
      )
      .map(([d, a]) => {
        const packs: Pack[] = [
          { name: 'deny', file: 'gen.yaml', mode: 'denylist', ruleIds: d.map((r) => r.id) },
        ];
        if (allow > 0)
          packs.push({
            name: 'allow',
            file: 'allow.yaml',
            mode: 'allowlist',
            allowlist: { id: 'not-allowed', severity: 'medium', message: 'not allowed', includeSystem },
            ruleIds: a.map((r) => r.id),
          });
        return { sources: ['gen'], packs, rules: [...d, ...a], publishers };
      }),
  );

const appArb = (target: string): fc.Arbitrary<AppRecord> =>
  fc
    .record(
      {
        platform: fc.constantFrom('android', 'ios') as fc.Arbitrary<AppRecord['platform']>,
        id: pkg,
        versionName: versionStr,
        versionCode: codeStr,
        installer: fc.constantFrom('com.android.vending', 'com.store', ''),
        system: fc.boolean(),
        user: fc.constantFrom(0, 10),
        certSha256: fc.array(cert256, { maxLength: 2 }),
        certLineage: fc.array(cert256, { maxLength: 1 }),
        certSha1: fc.array(cert1, { maxLength: 1 }),
        certMd5: fc.array(cert5, { maxLength: 1 }),
        teamId: team,
        name: pubName,
      },
      { requiredKeys: ['platform', 'id'] },
    )
    .map((g) => {
      const app: AppRecord = {
        platform: g.platform,
        id: g.id,
        publisher: {},
        origin: { target, parser: 'gen' },
      };
      if (g.versionName !== undefined) app.versionName = g.versionName;
      if (g.versionCode !== undefined) app.versionCode = g.versionCode;
      if (g.installer !== undefined) app.installer = g.installer;
      if (g.system !== undefined) app.system = g.system;
      if (g.user !== undefined) app.user = g.user;
      if (g.certSha256?.length) app.publisher.certSha256 = g.certSha256;
      if (g.certLineage?.length) app.publisher.certLineage = g.certLineage;
      if (g.certSha1?.length) app.publisher.certSha1 = g.certSha1;
      if (g.certMd5?.length) app.publisher.certMd5 = g.certMd5;
      if (g.teamId !== undefined) app.publisher.teamId = g.teamId;
      if (g.name !== undefined) app.publisher.name = g.name;
      return app;
    });

const fleetArb: fc.Arbitrary<TargetResult[]> = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc
        .uniqueArray(appArb(`dev-${i}`), {
          maxLength: 12,
          selector: (a) => `${a.platform} ${a.id} ${a.user}`,
        })
        .map(
          (apps): TargetResult => ({
            id: `dev-${i}`,
            kind: 'inventory',
            status: 'scanned',
            apps,
            diagnostics: [],
          }),
        ),
    ),
  ),
);

const key = (f: Finding): string =>
  `${f.ruleId}\t${f.target}\t${f.app.user ?? ''}\t${f.app.platform}\t${f.app.id}`;
const keys = (r: ScanResult): string[] => r.findings.map(key).sort();
const waived = (r: ScanResult): string[] =>
  r.findings.flatMap((f) => (f.waiver ? [`${key(f)}\t${f.waiver.id}`] : [])).sort();

// Waivers by rule, app or device; one expired.
const waiverArb: fc.Arbitrary<Waiver[]> = fc.array(
  fc
    .record({
      rule: fc.constantFrom(['deny-0'], ['deny-1', 'not-allowed'], undefined),
      app: fc.constantFrom(['com.tencent.mm'], ['tencent'], undefined),
      device: fc.constantFrom(['dev-0'], undefined),
      expires: fc.constantFrom('2027-01-01', '2026-01-01'),
    })
    .map((w, i): Waiver => {
      const out: Waiver = { id: `w${i}`, reason: 'generated', expires: w.expires };
      if (w.rule) out.rule = w.rule;
      if (w.app) out.app = w.app;
      if (w.device) out.device = w.device;
      return out;
    }),
  { maxLength: 2 },
);

let runner: DuckdbRunner;
let dir: string;
beforeAll(async () => {
  runner = await DuckdbRunner.create();
  dir = mkdtempSync(join(tmpdir(), 'appwarden-sql-diff-'));
});
afterAll(() => {
  runner?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const writeFleet = (targets: TargetResult[], name: string): string => {
  const file = join(dir, name);
  const table = { targets, skipped: [] } as unknown as ScanResult;
  writeFileSync(file, renderNdjson(table, ctx));
  return file;
};

describe('SQL on DuckDB = the JavaScript engine', () => {
  let runs = 0;
  let compared = 0;
  let waivedCount = 0;
  it('gives the same findings on generated fleets and rule sets', async () => {
    await fc.assert(
      fc.asyncProperty(fleetArb, ruleSetArb, waiverArb, async (fleet, ruleSet, waivers) => {
        const file = writeFleet(fleet, `fleet-${runs++}.ndjson`);
        const opts = { inputs: [file], ruleSet, now: NOW, workers: 0, waivers };
        let t = Date.now();
        const js = await scan(opts);
        const tj = Date.now() - t;
        t = Date.now();
        const db = await scanWithDuckdb(opts, runner);
        if (process.env.DIFF_TIME)
          process.stderr.write(
            `js ${tj} db ${Date.now() - t} sql ${compileSql(ruleSet, { dialect: 'duckdb' }).length}\n`,
          );
        expect(keys(db)).toEqual(keys(js));
        // Waivers are applied after the query, by the same code: same waived findings and uses.
        expect(waived(db)).toEqual(waived(js));
        expect(db.waivers).toEqual(js.waivers);
        expect(db.result).toBe(js.result);
        expect(db.exitCode).toBe(js.exitCode);
        compared += js.findings.length;
        waivedCount += waived(js).length;
      }),
      { seed: 20261206, numRuns: Number(process.env.DIFF_RUNS ?? 150), endOnFailure: true },
    );
    // The generators must produce findings, or the comparison says nothing.
    expect(compared).toBeGreaterThan(150);
    expect(waivedCount).toBeGreaterThan(0);
    process.stderr.write(
      `differential: ${runs} runs, ${compared} findings compared, ${waivedCount} waived\n`,
    );
  }, 240_000);

  it('keeps an incomplete target incomplete', async () => {
    const targets: TargetResult[] = [
      {
        id: 'broken',
        kind: 'inventory',
        status: 'partial',
        error: 'cut',
        apps: [],
        diagnostics: [],
        appCount: 0,
      },
    ];
    const file = writeFleet(targets, 'partial.ndjson');
    const ruleSet: RuleSet = {
      sources: ['x'],
      packs: [{ name: 'p', file: 'x', mode: 'denylist', ruleIds: ['r'] }],
      rules: [
        {
          id: 'r',
          title: 't',
          message: 'm',
          references: [],
          pack: 'p',
          file: 'x',
          line: 1,
          severity: 'high',
          match: [{ package: ['a'] }],
          exclude: [],
        },
      ],
      publishers: new Map(),
    };
    const db = await scanWithDuckdb({ inputs: [file], ruleSet, now: NOW }, runner);
    expect(db.result).toBe('incomplete');
    expect(db.exitCode).toBe(3);
  });

  it('compiles version constraints without version_key and names the rule a dialect cannot express', () => {
    const ruleSet: RuleSet = {
      sources: ['x'],
      packs: [{ name: 'p', file: 'x', mode: 'denylist', ruleIds: ['rx'] }],
      rules: [
        {
          id: 'rx',
          title: 't',
          message: 'm',
          references: [],
          pack: 'p',
          file: 'x.yaml',
          line: 3,
          severity: 'high',
          match: [{ package: ['/^com\\./'], version: ['<2'] }],
          exclude: [],
        },
      ],
      publishers: new Map(),
    };
    const sql = compileSql(ruleSet, { dialect: 'duckdb' });
    expect(sql).toContain("regexp_matches(package, '^com\\.')");
    expect(sql).not.toContain('version_key');
    expect(() => compileSql(ruleSet, { dialect: 'spark' })).toThrow(/rule rx \(x\.yaml:3\).*spark/);
  });
});
