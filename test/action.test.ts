/**
 * The composite GitHub Action (action.yml), run locally: its `run:` steps are executed with bash the
 * way the runner does (`bash --noprofile --norc -eo pipefail`), with `${{ … }}` expressions substituted
 * here, per-step GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, and fake `npm`/`npx` on PATH so the install
 * step needs no network. `uses:` steps are not run; their `if:` conditions are evaluated.
 *
 * Needs the built CLI (`npm run build`); APPWARDEN_TEST_BIN may point at another build of bin/appwarden.js.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = process.env.APPWARDEN_TEST_BIN ?? join(ROOT, 'bin/appwarden.js');
const BUILT = existsSync(join(dirname(BIN), '../dist/cli.js'));

/** The action needs the github and markdown reporters registered in the build under test. */
const hasFormats = (): boolean => {
  if (!BUILT) return false;
  const help = spawnSync(process.execPath, [BIN, 'scan', '--help'], { encoding: 'utf8', timeout: 30_000 });
  return /\bgithub\b/.test(help.stdout) && /\bmarkdown\b/.test(help.stdout);
};
const RUNNABLE = hasFormats();
if (!RUNNABLE) {
  process.stderr.write(
    `action.test.ts: run steps skipped: ${BIN} is not built or lacks the github/markdown formats (npm run build)\n`,
  );
}
const DEMO = join(ROOT, 'fixtures/demo');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

interface Action {
  name: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;

interface Context {
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
  actionPath: string;
}

const lookup = (expr: string, ctx: Context): string => {
  const path = expr.trim();
  const input = /^inputs\.([\w-]+)$/.exec(path);
  if (input) return ctx.inputs[input[1] ?? ''] ?? '';
  const out = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path);
  if (out) return ctx.steps[out[1] ?? '']?.[out[2] ?? ''] ?? '';
  if (path === 'github.action_path') return ctx.actionPath;
  throw new Error(`expression not supported by this test: ${path}`);
};

const substitute = (text: string, ctx: Context): string =>
  text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => lookup(expr, ctx));

/** `a == 'x' && b != ''`: the only condition shapes action.yml uses. */
const evaluateIf = (condition: string, ctx: Context): boolean =>
  condition
    .replace(/^\$\{\{|\}\}$/g, '')
    .split('&&')
    .every((clause) => {
      const m = /^\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*$/.exec(clause);
      if (!m) throw new Error(`condition not supported by this test: ${clause}`);
      const value = lookup(m[1] ?? '', ctx);
      return m[2] === '==' ? value === m[3] : value !== m[3];
    });

const parseOutputs = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
};

interface RunResult {
  /** Exit status of the last step run (the job's result). */
  status: number;
  stdout: Record<string, string>;
  summary: string;
  uploads: Step[];
  calls: string[];
}

let work: string;
let fakeBin: string;
let callLog: string;

const runAction = (inputs: Record<string, string>, actionPath = resolve(dirname(BIN), '..')): RunResult => {
  const runnerTemp = mkdtempSync(join(work, 'runner-'));
  const withDefaults: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs))
    withDefaults[name] = inputs[name] ?? spec.default ?? '';
  const ctx: Context = { inputs: withDefaults, steps: {}, actionPath };
  const result: RunResult = { status: 0, stdout: {}, summary: '', uploads: [], calls: [] };
  writeFileSync(callLog, '');
  action.runs.steps.forEach((step, index) => {
    if (result.status !== 0) return;
    if (step.if && !evaluateIf(step.if, ctx)) return;
    if (step.uses) {
      if (step.uses.startsWith('github/codeql-action/upload-sarif')) {
        result.uploads.push({
          ...step,
          with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(v, ctx)])),
        });
      }
      return;
    }
    const outputFile = join(runnerTemp, `output-${index}`);
    const summaryFile = join(runnerTemp, `summary-${index}`);
    writeFileSync(outputFile, '');
    writeFileSync(summaryFile, '');
    const env: NodeJS.ProcessEnv = {
      PATH: `${fakeBin}:${process.env.PATH}`,
      HOME: process.env.HOME,
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTION_PATH: actionPath,
      APPWARDEN_TEST_BIN: BIN,
      APPWARDEN_CALL_LOG: callLog,
      APPWARDEN_NOW: '2026-03-01T09:30:00Z',
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(v, ctx);
    const script = join(runnerTemp, `step-${index}.sh`);
    writeFileSync(script, substitute(step.run ?? '', ctx));
    const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (run.error) throw run.error;
    result.status = run.status ?? 1;
    result.stdout[step.id ?? String(index)] = run.stdout + run.stderr;
    result.summary += readFileSync(summaryFile, 'utf8');
    if (step.id) ctx.steps[step.id] = parseOutputs(readFileSync(outputFile, 'utf8'));
  });
  result.calls = readFileSync(callLog, 'utf8').split('\n').filter(Boolean);
  return result;
};

describe('action.yml', () => {
  it('declares the documented inputs and outputs', () => {
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs).sort()).toEqual(
      ['fail-on', 'node-version', 'paths', 'rules', 'sarif', 'version', 'waivers'].sort(),
    );
    expect(action.inputs.paths?.required).toBe(true);
    expect(action.inputs.sarif?.default).toBe('false');
    expect(Object.keys(action.outputs).sort()).toEqual(['exit-code', 'markdown-file', 'sarif-file']);
    for (const [name, spec] of Object.entries(action.inputs)) expect(spec.description, name).toBeTruthy();
  });

  it('runs setup-node first, uploads SARIF only when asked, and fails last', () => {
    const steps = action.runs.steps;
    expect(steps[0]?.uses).toMatch(/^actions\/setup-node@v\d+$/);
    const upload = steps.findIndex((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@v3'));
    const scan = steps.findIndex((s) => s.id === 'scan');
    expect(scan).toBeGreaterThan(0);
    expect(upload).toBeGreaterThan(scan);
    expect(steps[upload]?.if).toContain("inputs.sarif == 'true'");
    expect(steps.at(-1)?.run).toContain(`exit "$\{EXIT_CODE:-2}"`);
    for (const s of steps.filter((x) => x.run)) {
      expect(s.shell).toBe('bash');
      // Inputs reach scripts through env only: no expression is pasted into shell code.
      expect(s.run).not.toContain(`$\{{`);
    }
  });
});

describe.skipIf(!RUNNABLE)('action.yml run steps, executed locally', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'appwarden-action-'));
    fakeBin = join(work, 'fake-bin');
    callLog = join(work, 'calls.log');
    mkdirSync(fakeBin);
    // npx: record the call, then run the local build in place of the npm package.
    writeFileSync(
      join(fakeBin, 'npx'),
      '#!/usr/bin/env bash\necho "npx $*" >> "$APPWARDEN_CALL_LOG"\n[ "$1" = --yes ] && shift\nshift\nexec node "$APPWARDEN_TEST_BIN" "$@"\n',
    );
    // npm: record the call only; the checkout under test is already built.
    writeFileSync(join(fakeBin, 'npm'), '#!/usr/bin/env bash\necho "npm $*" >> "$APPWARDEN_CALL_LOG"\n');
    chmodSync(join(fakeBin, 'npx'), 0o755);
    chmodSync(join(fakeBin, 'npm'), 0o755);
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('fails the job on a banned app after writing the summary, annotations and SARIF', () => {
    const r = runAction({
      paths: `${join(DEMO, 'pixel-8-work-profile.txt')}\n${join(DEMO, 'clean-tablet.txt')}`,
      'fail-on': 'high',
      sarif: 'true',
      version: '0.1.0',
    });
    expect(r.calls[0]).toMatch(
      /^npx --yes appwarden@0\.1\.0 scan .*pixel-8-work-profile\.txt .*clean-tablet\.txt --fail-on high --quiet --format github -o sarif=/,
    );
    expect(r.status).toBe(1);
    expect(r.summary).toMatch(/^## ❌ appwarden: FAIL/);
    expect(r.summary).toContain('| Targets | Apps | Findings |');
    expect(r.stdout.scan).toMatch(/^::error file=[^,]*pixel-8-work-profile\.txt,line=\d+,title=/m);
    expect(r.uploads).toHaveLength(1);
    const sarifFile = r.uploads[0]?.with?.sarif_file ?? '';
    expect(JSON.parse(readFileSync(sarifFile, 'utf8')).version).toBe('2.1.0');
    expect(r.stdout.gate).toContain('appwarden exited with 1');
  });

  it('passes a clean listing with the action checkout build and no upload by default', () => {
    // A glob, as users write them in workflows.
    const r = runAction({ paths: join(DEMO, 'clean-*.txt') });
    expect(r.calls).toEqual(['npm ci --no-audit --no-fund']);
    expect(r.status).toBe(0);
    expect(r.summary).toMatch(/^## ✅ appwarden: PASS/);
    expect(r.uploads).toHaveLength(0);
  });

  it('reports an unreadable input as incomplete (exit 3) and still writes the summary', () => {
    const r = runAction({ paths: join(work, 'does-not-exist.txt'), sarif: 'true' });
    expect(r.status).toBe(3);
    expect(r.summary).toMatch(/^## ⚠️ appwarden: INCOMPLETE/);
    expect(r.stdout.scan).toMatch(
      /^::error file=.*does-not-exist\.txt,title=appwarden%3A target not scanned::/m,
    );
  });

  it('refuses an empty paths input and a malformed version', () => {
    const empty = runAction({ paths: ' \n ' });
    expect(empty.status).toBe(2);
    expect(empty.summary).toContain('The `paths` input is empty.');
    const bad = runAction({ paths: join(DEMO, 'clean-tablet.txt'), version: '1.0; rm -rf /' });
    expect(bad.status).toBe(2);
    expect(bad.calls).toEqual([]);
  });
});
