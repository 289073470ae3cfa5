/**
 * `appwarden remove`: scan connected phones, plan the removal of what failed, and (with --yes)
 * uninstall it per user, then scan the same devices again; the re-scan is the proof. Dry run by
 * default. Registered on the program by src/cli.ts; like cli.ts, this command module writes the
 * command's output and sets its exit code.
 */
import { Chalk } from 'chalk';
import { type Command, InvalidArgumentError } from 'commander';
import { collectList, parseFailOn, parseSeconds, toolsFromEnv } from '../cli-options.js';
import { loadConfig } from '../config.js';
import { AppwardenError, describeError } from '../errors.js';
import { EXIT, type FailOn, type ScanResult } from '../model.js';
import { inspectOutput, writeReport } from '../output.js';
import { planRemoval } from '../remove/plan.js';
import { removeDocument, renderPlan, renderStep, renderVerdict } from '../remove/report.js';
import { reporters } from '../reporters/index.js';
import { escapeUnsafe } from '../reporters/json.js';
import { sanitizeText } from '../reporters/sanitize.js';
import { DEFAULT_TOOLS, type ScanOptions, scan } from '../scan.js';
import { iosUninstallSyntax, runRemoval, type StepResult } from '../sources/remove.js';
import type { SourceContext } from '../sources/types.js';
import { VERSION } from '../version.js';

interface RemoveFlags {
  rules?: string[];
  waivers?: string;
  failOn?: FailOn;
  output?: string[];
  yes?: boolean;
  timeout?: number;
  quiet?: boolean;
}

/** Only `json=FILE` (or `json` for stdout): the plan and results have no other format. */
const parseOutput = (value: string, previous: string[] = []): string[] => {
  const m = /^json(?:=(.+))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected json or json=FILE (got "${value}")`);
  return [...previous, m[1] ?? '-'];
};

const DEVICE_INPUT = /^(android|ios)(:.+)?$/;

const toolsOf = (env: NodeJS.ProcessEnv): SourceContext['tools'] => ({
  ...DEFAULT_TOOLS,
  ...toolsFromEnv(env),
});

/**
 * Exit code: a failed step or an unreadable device is 3 (the proof is missing), findings left after
 * the re-scan 1, and 0 only when every planned step was done and the re-scan passes.
 */
const removeExitCode = (results: readonly StepResult[], verdict: ScanResult): number => {
  if (results.some((r) => r.status === 'failed')) return EXIT.incomplete;
  return verdict.exitCode;
};

const runRemove = async (inputs: string[], flags: RemoveFlags, configFile?: string): Promise<number> => {
  const env = process.env;
  for (const input of inputs) {
    if (!DEVICE_INPUT.test(input)) {
      throw new AppwardenError(
        'USAGE',
        `remove works on connected devices only: "${input}" is not android[:SERIAL] or ios[:UDID]`,
      );
    }
  }
  const jsonOutputs = flags.output ?? [];
  if (jsonOutputs.filter((o) => o === '-' || inspectOutput(o).stream === 1).length > 0 && !flags.quiet) {
    throw new AppwardenError('USAGE', '-o json to standard output needs --quiet (the plan is printed there)');
  }
  const config = loadConfig(process.cwd(), env, configFile);
  const failOn: FailOn =
    flags.failOn ??
    (env.APPWARDEN_FAIL_ON ? parseFailOn(env.APPWARDEN_FAIL_ON) : undefined) ??
    config.failOn ??
    'low';
  const timeoutMs = (flags.timeout ?? config.timeoutSeconds ?? 30) * 1000;
  const tools = toolsOf(env);
  const rules =
    flags.rules ??
    (env.APPWARDEN_RULES ? env.APPWARDEN_RULES.split(',').filter(Boolean) : undefined) ??
    config.rules ??
    [];
  const waivers = flags.waivers ?? env.APPWARDEN_WAIVERS ?? config.waivers;
  const scanOptions = (deviceInputs: string[]): ScanOptions => ({
    inputs: deviceInputs,
    rules,
    failOn,
    tools,
    timeoutMs,
    keepApps: false,
    ...(waivers ? { waivers } : {}),
  });
  const write = (text: string): void => {
    if (!flags.quiet) process.stdout.write(text);
  };
  const startedAt = new Date().toISOString();
  const first = await scan(scanOptions(inputs));
  const ctx: SourceContext = { timeoutMs, tools, env };
  const needsIos = first.findings.some((f) => f.target.startsWith('ios:'));
  const syntax = needsIos ? await iosUninstallSyntax(ctx) : 'flags';
  const plan = planRemoval(first, failOn, syntax);
  const dryRun = flags.yes !== true;
  write(renderPlan(plan, dryRun));
  for (const t of first.targets) {
    if (t.status !== 'scanned') {
      process.stderr.write(
        `appwarden: ${sanitizeText(t.id)}: ${t.status}: ${sanitizeText(t.error ?? 'not fully read')}; the plan covers only what was read\n`,
      );
    }
  }
  let results: StepResult[] = [];
  let rescan: ScanResult | undefined;
  let exitCode: number;
  if (dryRun) {
    // Nothing touched. A plan made from a device that could not be fully read may miss apps: 3.
    exitCode = first.targets.some((t) => t.status !== 'scanned') ? EXIT.incomplete : EXIT.pass;
  } else {
    if (plan.uninstall > 0) {
      write('Removing:\n');
      results = await runRemoval(plan.steps, ctx, syntax, (r) => write(renderStep(r)));
      // The same devices as the first scan, by id: a phone plugged in meanwhile is not added.
      const ids = first.targets.filter((t) => DEVICE_INPUT.test(t.id)).map((t) => t.id);
      rescan = await scan(scanOptions(ids.length > 0 ? ids : inputs));
      write('\nRe-scan:\n');
      write(
        reporters.table.render(rescan, {
          chalk: new Chalk({ level: 0 }),
          version: VERSION,
          includeInventory: false,
          ...(process.stdout.columns ? { width: process.stdout.columns } : {}),
        }),
      );
    }
    exitCode = removeExitCode(results, rescan ?? first);
    write(renderVerdict(rescan ?? first, exitCode, results));
  }
  for (const file of jsonOutputs) {
    const doc = removeDocument({
      version: VERSION,
      dryRun,
      startedAt,
      exitCode,
      plan,
      results,
      scan: first,
      ...(rescan ? { rescan } : {}),
    });
    const text = `${escapeUnsafe(JSON.stringify(doc, null, 2))}\n`;
    if (file === '-' || inspectOutput(file).stream === 1) process.stdout.write(text);
    else if (inspectOutput(file).stream === 2) process.stderr.write(text);
    else {
      try {
        await writeReport(file, text);
      } catch (error) {
        throw new AppwardenError('USAGE', `cannot write ${file}: ${describeError(error)}`);
      }
    }
  }
  return exitCode;
};

/** Adds `appwarden remove` to the program; `setExit` is the CLI's exit-code setter. */
export const registerRemove = (program: Command, setExit: (code: number) => void): void => {
  program
    .command('remove')
    .description(
      'remove what scan finds on connected phones, per user (dry run unless --yes), then re-scan as proof',
    )
    .argument('[devices...]', 'android[:SERIAL], ios[:UDID]; none = all connected devices')
    .option(
      '-r, --rules <file|pack>',
      'rule file or shipped pack name (repeatable; default: ca-gov)',
      collectList,
    )
    .option('-w, --waivers <file>', 'waiver file: waived findings are never removed')
    .option(
      '--fail-on <severity>',
      'remove findings at or above this severity (critical|high|medium|low|info|none)',
      parseFailOn,
    )
    .option('--yes', 'act: uninstall the planned apps (default: print the plan only)')
    .option('-o, --output <json[=path]>', 'write the plan, each step and the re-scan as JSON', parseOutput)
    .option('--timeout <seconds>', 'timeout for each device command', parseSeconds)
    .option('-q, --quiet', 'print nothing but a JSON document asked for with -o json')
    .addHelpText(
      'after',
      '\nNever removes system apps, waived findings, or apps seen only by dumpsys in a profile pm cannot list.\nExit codes: 0 all planned apps removed and the re-scan passes (or a dry run), 1 findings remain, 2 usage, 3 a step failed or a device could not be fully read.',
    )
    .action(async (inputs: string[], flags: RemoveFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals() as { config?: string };
      setExit(await runRemove(inputs, flags, globals.config));
    });
};
