/**
 * `appwarden rules test`: table-driven tests for rule packs, in the spirit of `semgrep --test` and
 * ESLint's RuleTester. A tests file (`rules/tests/<pack>.tests.yaml`) lists app records and the exact
 * set of rule ids each must match; `expect: []` asserts that nothing in the loaded rules matches.
 *
 * ```yaml
 * rules: [../ca-gov.yaml]          # optional; default: ../<pack>.yaml next to the tests folder, else shipped <pack>
 * cases:
 *   - name: WeChat renamed, real certificate
 *     app: { platform: android, id: com.example.wx, publisher: { cert-sha256: [0fe4…] } }
 *     expect: [ca-gov.wechat]
 *   - name: case near-miss is a note, not a match
 *     app: { platform: android, id: com.Tencent.MM }
 *     expect: []
 *     near-miss: [ca-gov.wechat]  # optional; when given, the near-miss notes must be exactly these
 * ```
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeError } from '../errors.js';
import type { AppRecord, MatchDetail, Platform } from '../model.js';
import { compileRuleSet, type Matcher } from './compile.js';
import { type LoadOptions, loadRuleSet } from './load.js';
import { normaliseDigest, type ObjectSpec, RULE_ID, SHA256_HEX, TEAM_ID } from './schema.js';
import type { RuleSet } from './types.js';
import { formatProblem, MAX_FILE_BYTES, parseAndValidate, type Value } from './validate.js';

export interface RuleTestDeps {
  loadRuleSet: (sources: string[], options: LoadOptions) => RuleSet | Promise<RuleSet>;
  compile: (ruleSet: RuleSet) => Matcher;
}

const defaultRuleTestDeps: RuleTestDeps = { loadRuleSet, compile: compileRuleSet };

interface RuleTestCaseResult {
  /** Tests file as given (or as found in a given directory). */
  file: string;
  line: number;
  name: string;
  passed: boolean;
  app: AppRecord;
  expected: string[];
  actual: string[];
  missing: string[];
  unexpected: string[];
  /** Only set when the case states `near-miss:`. */
  expectedNearMiss?: string[];
  actualNearMiss: string[];
  /** Why each actual rule matched, keyed by rule id. */
  matchedOn: Record<string, MatchDetail[]>;
}

interface RuleTestFileResult {
  file: string;
  /** Rule sources the file was run against. */
  rules: string[];
  cases: RuleTestCaseResult[];
  /** Set when the file could not be run at all (bad YAML, rules failing to load); counts as one failure. */
  error?: string;
  /** Rules of the tested packs that no case expects: tests that are missing, not failing. */
  untested: string[];
}

export interface RuleTestReport {
  files: RuleTestFileResult[];
  passed: number;
  failed: number;
}

const TESTS_SUFFIX = /\.tests\.ya?ml$/;

const checkRuleId = (v: string) => (RULE_ID.test(v) ? undefined : `"${v}" is not a valid rule id`);
const checkDigest = (v: string) =>
  SHA256_HEX.test(normaliseDigest(v)) ? undefined : `"${v}" is not a SHA-256 digest (64 hex digits)`;
const checkWeakDigest = (v: string) =>
  /^([0-9a-f]{32}|[0-9a-f]{40})$/.test(normaliseDigest(v))
    ? undefined
    : `"${v}" is not an MD5 or SHA-1 digest (32 or 40 hex digits)`;
const checkTeamId = (v: string) => (TEAM_ID.test(v) ? undefined : `"${v}" is not an Apple Team ID`);
const checkInteger = (v: string) => (/^\d+$/.test(v) ? undefined : `"${v}" is not a whole number`);

const ruleIdList = {
  type: 'list',
  description: 'Rule ids',
  item: { type: 'string', description: 'Rule id', check: checkRuleId },
} as const;

const appSpec: ObjectSpec = {
  type: 'object',
  description: 'An app record, as a source would produce it',
  required: ['platform', 'id'],
  fields: {
    platform: { type: 'enum', description: 'android or ios', values: ['android', 'ios'] },
    id: { type: 'string', description: 'Package name / bundle id' },
    name: { type: 'string', description: 'App label' },
    version: { type: 'string', description: 'versionName (quote it: "8.0.40")' },
    'version-code': { type: 'string', description: 'Android versionCode', check: checkInteger },
    publisher: {
      type: 'object',
      description: 'Publisher identity',
      fields: {
        'cert-sha256': { type: 'strings', description: 'Current signer certificates', check: checkDigest },
        'cert-lineage': {
          type: 'strings',
          description: 'Earlier certificates (v3 rotation)',
          check: checkDigest,
        },
        'cert-sha1': {
          type: 'strings',
          description: 'SHA-1 of the same certificates (when the source read the certificate)',
          check: checkWeakDigest,
        },
        'cert-md5': {
          type: 'strings',
          description: 'MD5 of the same certificates (when the source read the certificate)',
          check: checkWeakDigest,
        },
        'team-id': { type: 'string', description: 'Apple Team ID', check: checkTeamId },
        name: { type: 'string', description: 'Publisher display name' },
      },
    },
    installer: { type: 'string', description: 'Installer package' },
    system: { type: 'boolean', description: 'Preinstalled app' },
    enabled: { type: 'boolean', description: 'Enabled for the user' },
    user: { type: 'string', description: 'Android user id', check: checkInteger },
  },
};

const ruleTestsFileSpec: ObjectSpec = {
  type: 'object',
  description: 'A rule tests file',
  required: ['cases'],
  fields: {
    description: { type: 'string', description: 'What the tests cover' },
    rules: { type: 'strings', description: 'Rule files (relative to this file) or shipped pack names' },
    cases: {
      type: 'list',
      description: 'Test cases',
      item: {
        type: 'object',
        description: 'A test case',
        required: ['name', 'app', 'expect'],
        fields: {
          name: { type: 'string', description: 'What the case shows' },
          app: appSpec,
          expect: ruleIdList,
          'near-miss': ruleIdList,
        },
      },
    },
  },
};

type Obj = Record<string, Value>;
const asObj = (v: Value | undefined): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const asStrings = (v: Value | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
const asString = (v: Value | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

const toApp = (raw: Obj, file: string, line: number): AppRecord => {
  const pub = asObj(raw.publisher) ?? {};
  const app: AppRecord = {
    platform: raw.platform as Platform,
    id: String(raw.id),
    publisher: {},
    origin: { target: file, parser: 'rule-test', path: file, line },
  };
  const certs = asStrings(pub['cert-sha256']).map(normaliseDigest);
  if (certs.length > 0) app.publisher.certSha256 = certs;
  const lineage = asStrings(pub['cert-lineage']).map(normaliseDigest);
  if (lineage.length > 0) app.publisher.certLineage = lineage;
  const sha1 = asStrings(pub['cert-sha1']).map(normaliseDigest);
  if (sha1.length > 0) app.publisher.certSha1 = sha1;
  const md5 = asStrings(pub['cert-md5']).map(normaliseDigest);
  if (md5.length > 0) app.publisher.certMd5 = md5;
  const teamId = asString(pub['team-id']);
  if (teamId !== undefined) app.publisher.teamId = teamId;
  const publisherName = asString(pub.name);
  if (publisherName !== undefined) app.publisher.name = publisherName;
  const name = asString(raw.name);
  if (name !== undefined) app.name = name;
  const version = asString(raw.version);
  if (version !== undefined) app.versionName = version;
  const versionCode = asString(raw['version-code']);
  if (versionCode !== undefined) app.versionCode = Number(versionCode);
  const installer = asString(raw.installer);
  if (installer !== undefined) app.installer = installer;
  if (typeof raw.system === 'boolean') app.system = raw.system;
  if (typeof raw.enabled === 'boolean') app.enabled = raw.enabled;
  const user = asString(raw.user);
  if (user !== undefined) app.user = Number(user);
  return app;
};

/** Expand directories to the tests files they hold (recursively, sorted); files are kept as given. */
const expandPaths = (paths: string[], cwd: string): Array<{ shown: string; abs: string }> => {
  const out: Array<{ shown: string; abs: string }> = [];
  for (const given of paths) {
    const abs = path.resolve(cwd, given);
    if (existsSync(abs) && statSync(abs).isDirectory()) {
      const found = readdirSync(abs, { recursive: true, encoding: 'utf8' })
        .filter((f) => TESTS_SUFFIX.test(f))
        .sort();
      for (const f of found) out.push({ shown: path.join(given, f), abs: path.join(abs, f) });
    } else {
      out.push({ shown: given, abs });
    }
  }
  return out;
};

/** Without `rules:`, `<dir>/<pack>.tests.yaml` tests `<dir>/../<pack>.yaml`, or else the shipped pack `<pack>`. */
const defaultRules = (abs: string): string[] => {
  const pack = path.basename(abs).replace(TESTS_SUFFIX, '');
  for (const ext of ['.yaml', '.yml']) {
    const sibling = path.join(path.dirname(abs), '..', `${pack}${ext}`);
    if (existsSync(sibling)) return [path.relative(path.dirname(abs), sibling)];
  }
  return [pack];
};

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

const runFile = async (shown: string, abs: string, deps: RuleTestDeps): Promise<RuleTestFileResult> => {
  const fail = (error: string, rules: string[] = []): RuleTestFileResult => ({
    file: shown,
    rules,
    cases: [],
    error,
    untested: [],
  });
  let text: string;
  try {
    if (!statSync(abs).isFile()) return fail('not a file');
    if (statSync(abs).size > MAX_FILE_BYTES) return fail(`file is larger than ${MAX_FILE_BYTES} bytes`);
    text = readFileSync(abs, 'utf8');
  } catch (error) {
    return fail(`cannot read: ${describeError(error)}`);
  }
  const parsed = parseAndValidate(text, shown, ruleTestsFileSpec, 'tests file');
  if (parsed.problems.length > 0)
    return fail(`invalid tests file:\n${parsed.problems.map(formatProblem).join('\n')}`);
  const doc = asObj(parsed.value) ?? {};
  const rules = doc.rules !== undefined ? asStrings(doc.rules) : defaultRules(abs);

  let matcher: Matcher;
  let ruleSet: RuleSet;
  try {
    ruleSet = await deps.loadRuleSet(rules, { cwd: path.dirname(abs) });
    matcher = deps.compile(ruleSet);
  } catch (error) {
    return fail(`cannot load rules ${rules.join(', ')}: ${describeError(error)}`, rules);
  }

  const cases: RuleTestCaseResult[] = [];
  const rawCases = Array.isArray(doc.cases) ? doc.cases : [];
  rawCases.forEach((rawCase, i) => {
    const c = asObj(rawCase);
    const rawApp = asObj(c?.app);
    if (!c || !rawApp) return;
    const line = parsed.positions.get(`.cases.${i}`)?.line ?? 1;
    const app = toApp(rawApp, shown, line);
    const expected = [...new Set(asStrings(c.expect))].sort();
    const matches = matcher.match(app);
    const actual = [...new Set(matches.map((m) => m.rule.id))].sort();
    const actualNearMiss = [...new Set(matcher.nearMisses(app).map((n) => n.rule.id))].sort();
    const expectedNearMiss =
      c['near-miss'] !== undefined ? [...new Set(asStrings(c['near-miss']))].sort() : undefined;
    const passed =
      sameSet(expected, actual) &&
      (expectedNearMiss === undefined || sameSet(expectedNearMiss, actualNearMiss));
    const result: RuleTestCaseResult = {
      file: shown,
      line,
      name: String(c.name),
      passed,
      app,
      expected,
      actual,
      missing: expected.filter((id) => !actual.includes(id)),
      unexpected: actual.filter((id) => !expected.includes(id)),
      actualNearMiss,
      matchedOn: Object.fromEntries(matches.map((m) => [m.rule.id, m.matchedOn])),
    };
    if (expectedNearMiss !== undefined) result.expectedNearMiss = expectedNearMiss;
    cases.push(result);
  });

  // Only the packs the file names are held to full coverage, not the publisher files they include.
  const named = new Set(rules.flatMap((r) => [r, path.basename(r).replace(/\.ya?ml$/, '')]));
  const testedPackRules = ruleSet.packs.filter((p) => named.has(p.name)).flatMap((p) => p.ruleIds);
  const expectedSomewhere = new Set(cases.flatMap((c) => c.expected));
  const untested = testedPackRules.filter((id) => !expectedSomewhere.has(id)).sort();
  return { file: shown, rules, cases, untested };
};

/** Run every tests file under `paths` (files or directories). Never throws for bad test input. */
export const runRuleTests = async (
  paths: string[],
  deps: RuleTestDeps = defaultRuleTestDeps,
  options: { cwd?: string } = {},
): Promise<RuleTestReport> => {
  const cwd = options.cwd ?? process.cwd();
  const files: RuleTestFileResult[] = [];
  const targets = expandPaths(paths, cwd);
  for (const { shown, abs } of targets) files.push(await runFile(shown, abs, deps));
  if (targets.length === 0 || files.length === 0) {
    files.push({
      file: paths.join(', ') || '(none)',
      rules: [],
      cases: [],
      error: 'no tests files found',
      untested: [],
    });
  }
  let passed = 0;
  let failed = 0;
  for (const f of files) {
    if (f.error) failed += 1;
    for (const c of f.cases) {
      if (c.passed) passed += 1;
      else failed += 1;
    }
  }
  return { files, passed, failed };
};

const list = (ids: string[]): string => (ids.length > 0 ? ids.join(', ') : '(none)');

const describeApp = (app: AppRecord): string => {
  const parts = [`${app.platform} ${app.id}`];
  if (app.publisher.certSha256)
    parts.push(`cert ${app.publisher.certSha256.map((c) => `${c.slice(0, 12)}…`).join(',')}`);
  if (app.publisher.certLineage)
    parts.push(`lineage ${app.publisher.certLineage.map((c) => `${c.slice(0, 12)}…`).join(',')}`);
  if (app.publisher.certMd5) parts.push(`md5 ${app.publisher.certMd5.join(',')}`);
  if (app.publisher.certSha1) parts.push(`sha1 ${app.publisher.certSha1.join(',')}`);
  if (app.publisher.teamId) parts.push(`team ${app.publisher.teamId}`);
  if (app.publisher.name) parts.push(`publisher "${app.publisher.name}"`);
  if (app.system !== undefined) parts.push(app.system ? 'system' : 'user-installed');
  return parts.join(', ');
};

/** Text report: failures with details, optionally every passing case, and the closing `N passed, N failed`. */
export const formatRuleTestReport = (report: RuleTestReport, options: { verbose?: boolean } = {}): string => {
  const lines: string[] = [];
  for (const f of report.files) {
    if (f.error) {
      lines.push(`FAIL ${f.file}: ${f.error}`);
      continue;
    }
    for (const c of f.cases) {
      if (c.passed) {
        if (options.verbose) lines.push(`ok   ${c.file}:${c.line} ${c.name}`);
        continue;
      }
      lines.push(`FAIL ${c.file}:${c.line} ${c.name}`);
      lines.push(`     app:        ${describeApp(c.app)}`);
      lines.push(`     expected:   ${list(c.expected)}`);
      lines.push(`     actual:     ${list(c.actual)}`);
      if (c.missing.length > 0) lines.push(`     missing:    ${list(c.missing)}`);
      if (c.unexpected.length > 0) lines.push(`     unexpected: ${list(c.unexpected)}`);
      for (const id of c.unexpected) {
        for (const d of c.matchedOn[id] ?? [])
          lines.push(`       ${id} matched on ${d.criterion} ${d.pattern} (app: ${d.value})`);
      }
      if (c.expectedNearMiss && !sameSet(c.expectedNearMiss, c.actualNearMiss)) {
        lines.push(`     near-miss expected: ${list(c.expectedNearMiss)}; actual: ${list(c.actualNearMiss)}`);
      }
    }
    if (f.untested.length > 0) lines.push(`note ${f.file}: rules no case expects: ${f.untested.join(', ')}`);
  }
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return `${lines.join('\n')}\n`;
};
