/** The CLI by the book: choices, env variables, defaults, exit codes and users' habits, through the built binary. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './exec.js';

const FIREFOX = 'package:/data/app/org.mozilla.firefox-1/base.apk=org.mozilla.firefox\n';

const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync('schema/report.schema.json', 'utf8')));

beforeAll(() => {
  if (!existsSync(path.resolve('dist/cli.js')))
    throw new Error('dist/cli.js missing: run `npm run build` first');
});

describe('choices and usage hints', () => {
  it('rejects a format outside the choices with the allowed list and the usage hint (exit 2)', () => {
    const r = runCli(['scan', '-f', 'xml', 'x.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are table, json, sarif/);
    expect(r.stderr).toMatch(/run with --help for usage/);
    const failOn = runCli(['scan', '--fail-on', 'severe', 'x.txt']);
    expect(failOn.code).toBe(2);
    expect(failOn.stderr).toMatch(/Allowed choices are critical, high, medium, low, info, none/);
    const exp = runCli(['rules', 'export', '-f', 'pdf']);
    expect(exp.code).toBe(2);
    expect(exp.stderr).toMatch(/Allowed choices are csv, intune, amapi, mobileconfig/);
    const imp = runCli(['rules', 'import', '--name', 'x', '--from', 'xlsx', 'a.csv']);
    expect(imp.code).toBe(2);
    expect(imp.stderr).toMatch(/Allowed choices are csv/);
  });

  it('names a bad APPWARDEN_* value as NAME="value"', () => {
    const r = runCli(['scan', 'x.txt'], { env: { APPWARDEN_TIMEOUT: 'soon' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/APPWARDEN_TIMEOUT="soon"/);
    // Empty means unset, as CI systems export unset inputs.
    const dir = tempDir({ 'l.txt': FIREFOX });
    const empty = runCli(['scan', 'l.txt', '-q'], {
      cwd: dir,
      env: { APPWARDEN_FAIL_ON: '', APPWARDEN_TIMEOUT: '' },
    });
    expect(empty.code).toBe(0);
  });
});

describe('help', () => {
  it('scan --help shows env variables, defaults, exit codes and examples', () => {
    const r = runCli(['scan', '--help']);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const env of ['APPWARDEN_RULES', 'APPWARDEN_FAIL_ON', 'APPWARDEN_TIMEOUT', 'APPWARDEN_WAIVERS'])
      expect(text).toContain(`env: ${env}`);
    expect(text).toContain('default: "table"');
    expect(text).toContain('default: "low"');
    expect(text).toContain('default: 30 s');
    expect(text).toContain('default: ca-gov');
    expect(text).toMatch(/Exit codes: 0 pass.* 1 findings.* 2 usage.* 3 incomplete/);
    expect(text).toMatch(/Examples: # .* appwarden scan /);
  });

  // One command per test: a long run of synchronous spawns would starve vitest's worker messages.
  it.each([
    [''],
    ['scan'],
    ['collect'],
    ['devices'],
    ['explain'],
    ['rules'],
    ['rules validate'],
    ['rules list'],
    ['rules test'],
    ['rules show'],
    ['rules import'],
    ['rules export'],
    ['rules schema'],
    ['rules path'],
  ])('`%s --help` documents the exit codes', (command) => {
    const r = runCli([...command.split(' ').filter(Boolean), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}\S/);
  });

  it('devices and rules list take -f json as --json does', () => {
    expect(runCli(['devices', '--help']).stdout).toMatch(
      /-f, --format <format>[\s\S]*choices: "text", "json"/,
    );
    const a = runCli(['rules', 'list', '-f', 'json', 'us-tx']);
    const b = runCli(['rules', 'list', '--json', 'us-tx']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    expect((JSON.parse(a.stdout) as { id: string }[]).map((r) => r.id)).toContain('us-tx.tiktok');
  });
});

describe("users' habits", () => {
  it('-o report.json (a path without a format) hints at -o json=report.json', () => {
    const dir = tempDir({ 'l.txt': FIREFOX });
    const r = runCli(['scan', 'l.txt', '-o', 'report.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean `-o json=report.json`?');
    expect(existsSync(path.join(dir, 'report.json'))).toBe(false);
  });

  it('collect accepts -o json=PATH as scan does', () => {
    const dir = tempDir({ 'l.txt': FIREFOX });
    const r = runCli(['collect', 'l.txt', '-q', '-o', 'json=inv.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, 'inv.json'))).toBe(true);
    expect(runCli(['collect', 'l.txt', '-q', '-o', 'sarif=x'], { cwd: dir }).code).toBe(2);
  });

  it('an unknown pack name suggests the nearest shipped pack', () => {
    const dir = tempDir({ 'l.txt': FIREFOX });
    const yaml = runCli(['scan', 'l.txt', '--rules', 'us-tx.yaml'], { cwd: dir });
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toContain('did you mean `us-tx`');
    const underscore = runCli(['scan', 'l.txt', '-r', 'ca_gov'], { cwd: dir });
    expect(underscore.code).toBe(2);
    expect(underscore.stderr).toContain('did you mean `ca-gov`');
    const far = runCli(['scan', 'l.txt', '-r', 'zzzzzzzzzzzz'], { cwd: dir });
    expect(far.code).toBe(2);
    expect(far.stderr).not.toContain('did you mean');
  });

  it('rules show finds a rule of another shipped pack', () => {
    const r = runCli(['rules', 'show', 'us-tx.tiktok']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/us-tx\.tiktok/);
    expect(r.stderr).toMatch(/found in shipped pack us-tx/);
    const none = runCli(['rules', 'show', 'no.such-rule']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/or any shipped pack/);
  });
});

describe('settings file and rule titles', () => {
  const files = {
    'l.txt': FIREFOX,
    '.appwarden.yaml': 'rules: [quick.yaml]\n',
    // No title: a quick rule needs only id, severity, message and match.
    'quick.yaml':
      'rules:\n  - { id: q.firefox, severity: medium, message: review, match: { package: org.mozilla.firefox } }\n',
  };

  it('names the settings file in JSON and the table header; a rule without a title is titled by its id', () => {
    const dir = tempDir(files);
    const json = runCli(['scan', 'l.txt', '-f', 'json'], { cwd: dir });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as {
      settings?: { file: string };
      findings: { ruleId: string; title?: string }[];
    };
    expect(doc.settings?.file).toBe(path.join(dir, '.appwarden.yaml'));
    expect(validateReport(doc), JSON.stringify(validateReport.errors)).toBe(true);
    expect(doc.findings.map((f) => f.ruleId)).toEqual(['q.firefox']);
    const table = runCli(['scan', 'l.txt'], { cwd: dir });
    expect(table.stdout.split('\n').slice(0, 2).join('\n')).toMatch(
      /^rules: .*\nsettings: .*\.appwarden\.yaml$/,
    );
    const list = runCli(['rules', 'list', 'quick.yaml'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/q\.firefox\s+medium\s+q\.firefox/);
    expect(runCli(['rules', 'validate', 'quick.yaml'], { cwd: dir }).code).toBe(0);
  });

  it('has no settings field when no settings file was used', () => {
    const dir = tempDir({ 'l.txt': FIREFOX });
    const json = runCli(['scan', 'l.txt', '-f', 'json'], { cwd: dir, env: { XDG_CONFIG_HOME: dir } });
    expect((JSON.parse(json.stdout) as { settings?: unknown }).settings).toBeUndefined();
    expect(json.stdout).not.toMatch(/"settings"/);
  });

  it('APPWARDEN_RULES takes a comma-separated list and beats the settings file', () => {
    const dir = tempDir(files);
    const r = runCli(['scan', 'l.txt', '-f', 'json'], { cwd: dir, env: { APPWARDEN_RULES: 'us-tx,ca-gov' } });
    const doc = JSON.parse(r.stdout) as { rules: { sources: string[] } };
    expect(doc.rules.sources).toEqual(['us-tx', 'ca-gov']);
  });
});

describe('in process', () => {
  it('importing the CLI module runs nothing; run() returns the exit code', async () => {
    const { run } = await import('../../src/cli.js');
    expect(await run(['node', 'appwarden', 'rules', 'export', '-f', 'pdf'])).toBe(2);
    expect(await run(['node', 'appwarden', 'rules', 'path'])).toBe(0);
  });
});
