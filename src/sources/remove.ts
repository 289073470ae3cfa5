/**
 * Runs the uninstall steps of a removal plan on connected devices, one at a time: `pm uninstall
 * --user N` through adb, `ideviceinstaller uninstall` on iPhones. A step is done only when the
 * tool says so in its own words ("Success" from pm, no ERROR and exit 0 from ideviceinstaller);
 * anything else is a failed step carrying the tool's message.
 */
import { describeError } from '../errors.js';
import {
  androidUninstallArgs,
  type IosUninstallSyntax,
  iosUninstallArgs,
  type RemovalStep,
} from '../remove/plan.js';
import { adbCallProblem } from './adb.js';
import {
  ADB_PACKAGE,
  type ExecResult,
  failureReason,
  IDEVICEINSTALLER_PACKAGE,
  runTool,
  stdoutText,
} from './exec.js';
import { iosProblem, syntaxFromVersion } from './ios.js';
import type { SourceContext } from './types.js';

export interface StepResult {
  target: string;
  app: string;
  user?: number;
  status: 'done' | 'failed';
  /** The tool's own words: `Success`, `Failure [DELETE_FAILED_INTERNAL_ERROR]`, an ERROR line. */
  message: string;
}

/** Which uninstall syntax this ideviceinstaller takes, from `--version` (then `-h`). */
export async function iosUninstallSyntax(ctx: SourceContext): Promise<IosUninstallSyntax> {
  const opts = { env: ctx.env, timeoutMs: ctx.timeoutMs, package: IDEVICEINSTALLER_PACKAGE };
  const version = await runTool(ctx.tools.ideviceInstaller, ['--version'], opts);
  const fromVersion = syntaxFromVersion(stdoutText(version) + version.stderr);
  if (fromVersion) return fromVersion;
  const help = await runTool(ctx.tools.ideviceInstaller, ['-h'], opts);
  return syntaxFromVersion('', stdoutText(help) + help.stderr) ?? 'flags';
}

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * pm prints `Success` or `Failure [REASON]` on stdout. Before Android 7 adb loses the exit code,
 * so the words decide; a `Failure` line or no `Success` line is a failure whatever the exit code.
 */
export function androidOutcome(result: ExecResult, timeoutMs: number): { ok: boolean; message: string } {
  const out = lines(stdoutText(result));
  const failure = out.find((l) => l.startsWith('Failure'));
  if (failure) return { ok: false, message: failure };
  if (result.timedOut || result.truncated || (result.exitCode !== 0 && result.exitCode !== undefined)) {
    return { ok: false, message: adbCallProblem('pm uninstall', result, timeoutMs) };
  }
  if (result.exitCode === undefined)
    return { ok: false, message: failureReason('pm uninstall', result, timeoutMs) };
  if (out.includes('Success')) return { ok: true, message: 'Success' };
  const said = out.at(-1) ?? lines(result.stderr).at(-1);
  return { ok: false, message: `pm uninstall did not report Success${said ? `: ${said}` : ''}` };
}

/** ideviceinstaller reports errors as `ERROR: …` lines (exit status is not reliable in 1.1.x). */
export function iosOutcome(
  result: ExecResult,
  udid: string,
  timeoutMs: number,
): { ok: boolean; message: string } {
  const text = `${stdoutText(result)}\n${result.stderr}`;
  const error = lines(text).find((l) => /^ERROR\b/i.test(l));
  if (error) return { ok: false, message: error };
  if (result.timedOut || result.truncated || result.exitCode !== 0) {
    return {
      ok: false,
      message:
        (result.timedOut ? undefined : iosProblem(text, udid)) ??
        failureReason('ideviceinstaller uninstall', result, timeoutMs),
    };
  }
  const last = lines(stdoutText(result)).at(-1);
  return { ok: true, message: last ?? 'uninstalled' };
}

/** Run one uninstall step; device problems come back as a failed result, never as a throw. */
async function runRemovalStep(
  step: RemovalStep,
  ctx: SourceContext,
  iosSyntax: IosUninstallSyntax,
): Promise<StepResult> {
  try {
    return await runStep(step, ctx, iosSyntax);
  } catch (error) {
    // A tool that vanished since the scan: this step fails with the reason, the rest still run.
    const failed: StepResult = {
      target: step.target,
      app: step.app,
      status: 'failed',
      message: describeError(error),
    };
    if (step.user !== undefined) failed.user = step.user;
    return failed;
  }
}

async function runStep(
  step: RemovalStep,
  ctx: SourceContext,
  iosSyntax: IosUninstallSyntax,
): Promise<StepResult> {
  const base: StepResult = { target: step.target, app: step.app, status: 'failed', message: '' };
  if (step.user !== undefined) base.user = step.user;
  if (step.action !== 'uninstall') return { ...base, message: step.reason ?? 'not planned for removal' };
  if (step.platform === 'android') {
    if (step.user === undefined) return { ...base, message: 'the Android user is unknown' };
    const result = await runTool(ctx.tools.adb, androidUninstallArgs(step.device, step.user, step.app), {
      env: ctx.env,
      timeoutMs: ctx.timeoutMs,
      package: ADB_PACKAGE,
    });
    const outcome = androidOutcome(result, ctx.timeoutMs);
    return { ...base, status: outcome.ok ? 'done' : 'failed', message: outcome.message };
  }
  const result = await runTool(
    ctx.tools.ideviceInstaller,
    iosUninstallArgs(iosSyntax, step.device, step.network === true, step.app),
    { env: ctx.env, timeoutMs: ctx.timeoutMs, package: IDEVICEINSTALLER_PACKAGE },
  );
  const outcome = iosOutcome(result, step.device, ctx.timeoutMs);
  return { ...base, status: outcome.ok ? 'done' : 'failed', message: outcome.message };
}

/**
 * Every uninstall step in plan order, one after another: two package-manager calls on one phone
 * at once can fail each other, and a sequence keeps the report's order the order things happened.
 */
export async function runRemoval(
  steps: readonly RemovalStep[],
  ctx: SourceContext,
  iosSyntax: IosUninstallSyntax,
  onStep?: (result: StepResult) => void,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    if (step.action !== 'uninstall') continue;
    const result = await runRemovalStep(step, ctx, iosSyntax);
    results.push(result);
    onStep?.(result);
  }
  return results;
}
