/**
 * `appwarden remove` through the built binary (`npm run build` first), against the recorded-device
 * fakes: the uninstall calls are read from the harness log, and the fakes drop an uninstalled app
 * from later listings, so the re-scan sees what the uninstall did.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppRecord, Finding, TargetResult } from '../../src/model.js';
import { planRemoval } from '../../src/remove/plan.js';
import type { ExecResult } from '../../src/sources/exec.js';
import { androidOutcome, iosOutcome } from '../../src/sources/remove.js';
import { type HarnessRun, runWithHarness } from '../devices/helpers.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const PIXEL = '35161FDH2000G6';
const IPHONE = '00008110-001A2C3E0A38801E';

type Run = HarnessRun;
interface Step {
  target: string;
  app: string;
  user?: number;
  action: 'uninstall' | 'skip';
  reason?: string;
  command?: string[];
}
interface StepResult {
  app: string;
  user?: number;
  status: 'done' | 'failed';
  message: string;
}
interface RemoveDoc {
  remove: { dryRun: boolean; exitCode: number; plan: Step[]; results: StepResult[] };
  rescan?: {
    result: string;
    exitCode: number;
    findings: { ruleId: string; app: { id: string; user?: number } }[];
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tempDir = (files: Record<string, string> = {}): string => {
  const dir = mkdtempSync(join(tmpdir(), 'appwarden-remove-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};

const run = (
  scenario: string,
  args: string[],
  options: { env?: Record<string, string>; files?: Record<string, string> } = {},
): Promise<Run> =>
  runWithHarness(scenario, args, {
    dir: tempDir(options.files),
    timeoutMs: 120_000,
    ...(options.env ? { env: options.env } : {}),
  });

/** Every uninstall the fakes were asked for, as `tool argv…` lines. */
const uninstalls = (r: Run): string[] =>
  r.calls
    .filter((c) => c.argv.some((a) => /\buninstall\b|^-U$/.test(a)))
    .map((c) => [c.tool, ...c.argv].join(' '));

const doc = (r: Run, file = 'remove.json'): RemoveDoc =>
  JSON.parse(readFileSync(join(r.dir, file), 'utf8')) as RemoveDoc;

describe('appwarden remove (built binary, recorded devices)', () => {
  beforeAll(() => {
    if (!existsSync(join(REPO, 'dist', 'cli.js')))
      throw new Error('dist/cli.js missing: run `npm run build` first');
  });

  it('prints the plan on a dry run and touches nothing', async () => {
    const r = await run('work-profile.yaml', [
      'remove',
      'android',
      '--fail-on',
      'high',
      '-o',
      'json=remove.json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dry run: nothing was changed/);
    expect(r.stdout).toContain(`adb -s ${PIXEL} shell pm uninstall --user 10 com.tencent.mm`);
    expect(r.stdout).toContain(`adb -s ${PIXEL} shell pm uninstall --user 0 com.zhiliaoapp.musically`);
    // The scan itself ran (the plan comes from it), but no uninstall was sent.
    expect(r.calls.some((c) => c.tool === 'adb' && c.argv[1] === PIXEL)).toBe(true);
    expect(uninstalls(r)).toEqual([]);
    expect(existsSync(join(r.dir, 'removed.jsonl'))).toBe(false);
    const d = doc(r);
    expect(d.remove.dryRun).toBe(true);
    expect(d.remove.results).toEqual([]);
    expect(d.rescan).toBeUndefined();
    expect(d.remove.plan.map((s) => `${s.app}@${s.user}:${s.action}`).sort()).toEqual([
      'com.tencent.mm@10:uninstall',
      'com.zhiliaoapp.musically@0:uninstall',
    ]);
  });

  it('--yes removes WeChat from user 10 and TikTok from user 0; the re-scan passes (exit 0)', async () => {
    const r = await run('work-profile.yaml', [
      'remove',
      `android:${PIXEL}`,
      '--fail-on',
      'high',
      '--yes',
      '-o',
      'json=remove.json',
    ]);
    expect(r.code).toBe(0);
    expect(uninstalls(r).sort()).toEqual([
      `adb -s ${PIXEL} shell pm uninstall --user 0 com.zhiliaoapp.musically`,
      `adb -s ${PIXEL} shell pm uninstall --user 10 com.tencent.mm`,
    ]);
    expect(r.stdout).toMatch(/done\s+android:35161FDH2000G6\s+user 10\s+com\.tencent\.mm: Success/);
    expect(r.stdout).toMatch(/Re-scan: pass/);
    const d = doc(r);
    expect(d.remove.exitCode).toBe(0);
    expect(d.remove.results.map((x) => x.status)).toEqual(['done', 'done']);
    expect(d.rescan?.result).toBe('pass');
    const left = (d.rescan?.findings ?? []).map((f) => f.app.id);
    expect(left).not.toContain('com.tencent.mm');
    expect(left).not.toContain('com.zhiliaoapp.musically');
    // The re-scan listed the device again after the uninstalls (pm list runs after the last uninstall).
    const lastUninstall = r.calls
      .map((c) => c.argv.some((a) => a.includes('pm uninstall')))
      .lastIndexOf(true);
    expect(lastUninstall).toBeGreaterThan(-1);
    expect(r.calls.slice(lastUninstall + 1).some((c) => c.tool === 'adb' && c.argv[1] === PIXEL)).toBe(true);
  });

  it('never removes a system app: listed as not removed, and the finding remains (exit 1)', async () => {
    const rules =
      'rules:\n  - id: t.settings\n    title: Settings\n    severity: high\n    message: test\n    match: { package: com.android.settings }\n';
    const r = await run(
      'work-profile.yaml',
      ['remove', 'android', '-r', 'rules.yaml', '--yes', '-o', 'json=remove.json'],
      { files: { 'rules.yaml': rules } },
    );
    expect(r.stdout).toMatch(
      /not removed: system app\s+android:35161FDH2000G6\s+user 0\s+com\.android\.settings/,
    );
    expect(uninstalls(r)).toEqual([]);
    const d = doc(r);
    expect(d.remove.plan.every((s) => s.action === 'skip' && s.reason === 'system app')).toBe(true);
    expect(d.remove.plan.map((s) => s.user).sort()).toEqual([0, 10]);
    expect(r.code).toBe(1);
    expect(d.remove.exitCode).toBe(1);
  });

  it('never removes a waived finding', async () => {
    const waivers =
      'waivers:\n  - id: W-1\n    rule: ca-gov.wechat\n    app: com.tencent.mm\n    reason: liaison team\n    expires: 2099-12-31\n';
    const r = await run(
      'work-profile.yaml',
      [
        'remove',
        'android',
        '--fail-on',
        'high',
        '--waivers',
        'waivers.yaml',
        '--yes',
        '-o',
        'json=remove.json',
      ],
      { files: { 'waivers.yaml': waivers } },
    );
    expect(uninstalls(r)).toEqual([`adb -s ${PIXEL} shell pm uninstall --user 0 com.zhiliaoapp.musically`]);
    expect(r.stdout).toMatch(/not removed: waived \(W-1: liaison team\).*com\.tencent\.mm/);
    const d = doc(r);
    // WeChat is still there but waived: the re-scan passes.
    expect(d.rescan?.findings.some((f) => f.app.id === 'com.tencent.mm')).toBe(true);
    expect(d.rescan?.result).toBe('pass');
    expect(r.code).toBe(0);
  });

  it('a failing uninstall is exit 3 with the tool message; the other step still runs', async () => {
    const r = await run(
      'work-profile.yaml',
      ['remove', 'android', '--fail-on', 'high', '--yes', '-o', 'json=remove.json'],
      { env: { AW_HARNESS_UNINSTALL_FAIL: 'com.tencent.mm=DELETE_FAILED_INTERNAL_ERROR' } },
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /FAILED\s+android:35161FDH2000G6\s+user 10\s+com\.tencent\.mm: Failure \[DELETE_FAILED_INTERNAL_ERROR\]/,
    );
    const d = doc(r);
    expect(d.remove.exitCode).toBe(3);
    const byApp = new Map(d.remove.results.map((x) => [x.app, x]));
    expect(byApp.get('com.tencent.mm')).toMatchObject({
      status: 'failed',
      message: 'Failure [DELETE_FAILED_INTERNAL_ERROR]',
    });
    expect(byApp.get('com.zhiliaoapp.musically')).toMatchObject({ status: 'done', message: 'Success' });
    // The re-scan still shows WeChat: the proof agrees with the failed step.
    expect(d.rescan?.result).toBe('fail');
    expect(d.rescan?.findings.map((f) => `${f.app.id}@${f.app.user}`)).toContain('com.tencent.mm@10');
  });

  it('uninstalls on an iPhone in each ideviceinstaller syntax (1.1 -U, 1.2 uninstall)', async () => {
    const [old, modern] = await Promise.all([
      run('two-iphones.yaml', [
        'remove',
        `ios:${IPHONE}`,
        '--fail-on',
        'high',
        '--yes',
        '-o',
        'json=remove.json',
      ]),
      run(
        'two-iphones.yaml',
        ['remove', `ios:${IPHONE}`, '--fail-on', 'high', '--yes', '-o', 'json=remove.json'],
        {
          env: { AW_HARNESS_IDEVICEINSTALLER: '1.2.0' },
        },
      ),
    ]);
    expect(uninstalls(old)).toContain(`ideviceinstaller -u ${IPHONE} -U com.tencent.xin`);
    expect(uninstalls(modern)).toContain(`ideviceinstaller -u ${IPHONE} uninstall com.tencent.xin`);
    for (const r of [old, modern]) {
      const d = doc(r);
      expect(d.remove.results.length).toBeGreaterThan(0);
      expect(d.remove.results.every((x) => x.status === 'done')).toBe(true);
      expect(d.rescan?.findings.some((f) => f.app.id === 'com.tencent.xin')).toBe(false);
      expect(r.code).toBe(d.rescan?.exitCode);
    }
  });

  it('does not plan an app seen by dumpsys only in a profile pm cannot list (Secure Folder)', async () => {
    const r = await run('samsung-secure-folder.yaml', ['remove', 'android', '-o', 'json=remove.json']);
    const d = doc(r);
    const tiktok = d.remove.plan.find((s) => s.app === 'com.zhiliaoapp.musically' && s.user === 150);
    expect(tiktok).toMatchObject({ action: 'skip' });
    expect(tiktok?.reason).toMatch(/dumpsys only.*cannot be uninstalled/);
    expect(uninstalls(r)).toEqual([]);
    // The Secure Folder was not listed, so the plan may be short: not a clean exit.
    expect(r.code).toBe(3);
  });

  it('refuses inputs that are not devices (exit 2)', async () => {
    const r = await run('work-profile.yaml', ['remove', './listing.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/connected devices only/);
    expect(r.calls).toEqual([]);
  });
});

describe('remove planner and outcome readers (pure)', () => {
  const app = (id: string, extra: Partial<AppRecord> = {}): AppRecord => ({
    platform: 'android',
    id,
    user: 0,
    publisher: {},
    origin: { target: `android:${PIXEL}`, parser: 'pm-list' },
    ...extra,
  });
  const finding = (ruleId: string, a: AppRecord, extra: Partial<Finding> = {}): Finding => ({
    ruleId,
    severity: 'high',
    title: ruleId,
    message: '',
    references: [],
    target: `android:${PIXEL}`,
    app: a,
    matchedOn: [],
    ...extra,
  });
  const targets: TargetResult[] = [
    {
      id: `android:${PIXEL}`,
      kind: 'device',
      status: 'scanned',
      device: { serial: PIXEL },
      apps: [],
      diagnostics: [],
    },
    { id: 'listing.txt', kind: 'listing', status: 'scanned', apps: [], diagnostics: [] },
  ];

  it('one step per app and user, rules merged; a failing finding outweighs a waived one', () => {
    const wechat = app('com.tencent.mm', { user: 10 });
    const waiver = { id: 'W', reason: 'r', expires: '2099-01-01', status: 'applied' as const };
    const plan = planRemoval(
      {
        targets,
        findings: [
          finding('a.waived', wechat, { waiver }),
          finding('b.live', wechat, { severity: 'critical' }),
          finding('c.low', app('org.low'), { severity: 'low' }),
          finding('d.file', app('com.tiktok'), { target: 'listing.txt' }),
          finding('e.odd', app('x;reboot')),
        ],
      },
      'high',
    );
    expect(plan.steps.map((s) => [s.app, s.user, s.action, s.rules.join('+'), s.severity])).toEqual([
      ['com.tencent.mm', 10, 'uninstall', 'a.waived+b.live', 'critical'],
      ['x;reboot', 0, 'skip', 'e.odd', 'high'],
    ]);
    expect(plan.steps[0]?.command).toEqual([
      'adb',
      '-s',
      PIXEL,
      'shell',
      'pm uninstall --user 10 com.tencent.mm',
    ]);
    expect(plan.steps[1]?.reason).toMatch(/shell/);
    expect(plan.uninstall).toBe(1);
  });

  const result = (stdout: string, exitCode: number | undefined): ExecResult => ({
    stdout: new TextEncoder().encode(stdout),
    stderr: '',
    exitCode,
    timedOut: false,
    truncated: false,
  });

  it('reads pm by its words: Failure with exit 0 (adb before Android 7) is a failure', () => {
    expect(androidOutcome(result('Success\n', 0), 1000)).toEqual({ ok: true, message: 'Success' });
    expect(androidOutcome(result('Failure [DELETE_FAILED_INTERNAL_ERROR]\r\n', 0), 1000)).toEqual({
      ok: false,
      message: 'Failure [DELETE_FAILED_INTERNAL_ERROR]',
    });
    expect(androidOutcome(result('', 0), 1000).ok).toBe(false);
    expect(androidOutcome(result('Success\n', 1), 1000).ok).toBe(false);
  });

  it('reads ideviceinstaller: an ERROR line fails even with exit 0', () => {
    expect(iosOutcome(result("Uninstalling 'x'\nRemoveApplication - Complete\n", 0), IPHONE, 1000).ok).toBe(
      true,
    );
    expect(
      iosOutcome(result('ERROR: RemoveApplication failed. Got error "APIInternalError".\n', 0), IPHONE, 1000),
    ).toEqual({
      ok: false,
      message: 'ERROR: RemoveApplication failed. Got error "APIInternalError".',
    });
  });
});
