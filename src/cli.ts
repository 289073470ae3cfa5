/**
 * The command line: argv → options → library calls → rendered reports → exit code.
 * The only module that touches stdout, stderr, stdin and the exit code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk, type ChalkInstance, supportsColor } from 'chalk';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type Engine, engineOption, registerCompile, scanOn } from './commands/compile.js';
import { registerRemove } from './commands/remove.js';
import { type Config, loadConfig } from './config.js';
import { AppwardenError, describeError, isAppwardenError } from './errors.js';
import { stopEverything } from './interrupt.js';
import { MAX_DOCUMENT_BYTES } from './limits.js';
import { EXIT, type FailOn, type Finding, type Platform, SEVERITIES, type Severity } from './model.js';
import { findDuplicateOutput, inspectOutput, writeReport } from './output.js';
import { type FormatName, isFormatName, reporters } from './reporters/index.js';
import { escapeUnsafe, renderInventory } from './reporters/json.js';
import { sanitizeText } from './reporters/sanitize.js';
import type { ReporterContext } from './reporters/types.js';
import { BUILTIN_RULES } from './ruleset/builtin.js';
import { compileRuleSet } from './ruleset/compile.js';
import { exportBlockList, importBlockList } from './ruleset/csv.js';
import { explainFinding, formatRule } from './ruleset/explain.js';
import { amapiPolicy, formatNotEnforceable, mobileconfigProfile, planExport } from './ruleset/export.js';
import { loadRuleSet, PACKS_DIR, packLabel, shippedPackInfo } from './ruleset/load.js';
import { formatRuleTestReport, runRuleTests } from './ruleset/rule-tests.js';
import { ruleFileJsonSchema } from './ruleset/schema.js';
import { collect, discoverDevices, type ScanOptions, scan } from './scan.js';
import { readReportFindings } from './sources/report.js';
import type { ProgressEvent, SourceContext } from './sources/types.js';
import { VERSION } from './version.js';

const EXIT_USAGE = 2;

interface OutputSpec {
  format: FormatName;
  /** undefined = stdout */
  path?: string;
  /** `-o json=/dev/stderr`: written through the stderr stream. */
  toStderr?: boolean;
}

const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

const parseOutput = (value: string, previous: OutputSpec[] = []): OutputSpec[] => {
  const eq = value.indexOf('=');
  const format = eq === -1 ? value : value.slice(0, eq);
  const file = eq === -1 ? undefined : value.slice(eq + 1);
  if (!isFormatName(format)) {
    throw new InvalidArgumentError(
      `unknown format "${format}" (expected ${Object.keys(reporters).join(', ')})`,
    );
  }
  if (file === '') throw new InvalidArgumentError(`missing path after "${format}="`);
  return [...previous, file === undefined || file === '-' ? { format } : { format, path: file }];
};

const parseFailOn = (value: string): FailOn => {
  if (value === 'none' || (SEVERITIES as readonly string[]).includes(value)) return value as FailOn;
  throw new InvalidArgumentError(`expected one of ${[...SEVERITIES, 'none'].join(', ')}`);
};

const parseSeverity = (value: string): Severity => {
  if ((SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
};

const parsePlatform = (value: string): Platform => {
  if (value === 'android' || value === 'ios') return value;
  throw new InvalidArgumentError('expected android or ios');
};

const parseSeconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new InvalidArgumentError('expected seconds between 0 and 86400');
  return n;
};

const parseNow = (value: string): Date => {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO 8601 date/time');
  return d;
};

/** Colour only on a TTY unless forced; NO_COLOR and --no-color always win. */
const makeChalk = (wantColor: boolean | undefined, stream: NodeJS.WriteStream): ChalkInstance => {
  const env = process.env;
  if (wantColor === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== ''))
    return new Chalk({ level: 0 });
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    return new Chalk({ level: supportsColor ? supportsColor.level || 1 : 1 });
  }
  if (!stream.isTTY) return new Chalk({ level: 0 });
  return new Chalk({ level: supportsColor ? supportsColor.level : 0 });
};

/** One document to a `-o PATH` (or stdout): /dev/stdout and /dev/stderr go through their streams. */
const writeTo = async (file: string | undefined, text: string): Promise<void> => {
  const stream = file === undefined || file === '-' ? 1 : inspectOutput(file).stream;
  if (stream === 1) process.stdout.write(text);
  else if (stream === 2) process.stderr.write(text);
  else await writeReport(file!, text);
};

const readStdin = async (): Promise<Uint8Array> => {
  if (process.stdin.isTTY) {
    process.stderr.write('appwarden: reading a listing from standard input (end with Ctrl-D)\n');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    // Stop reading at the one-listing limit: more would be refused anyway, and holding it costs memory.
    if (size > MAX_DOCUMENT_BYTES) {
      process.stdin.destroy();
      throw new Error(
        `standard input is larger than ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MB, the limit for one listing (src/limits.ts)`,
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
};

const toolsFromEnv = (): Partial<SourceContext['tools']> => {
  const env = process.env;
  const tools: Partial<SourceContext['tools']> = {};
  if (env.APPWARDEN_ADB) tools.adb = env.APPWARDEN_ADB;
  if (env.APPWARDEN_IDEVICE_ID) tools.ideviceId = env.APPWARDEN_IDEVICE_ID;
  if (env.APPWARDEN_IDEVICEINFO) tools.ideviceInfo = env.APPWARDEN_IDEVICEINFO;
  if (env.APPWARDEN_IDEVICEINSTALLER) tools.ideviceInstaller = env.APPWARDEN_IDEVICEINSTALLER;
  return tools;
};

/** A single status line on stderr, redrawn in place; only on a TTY or when asked. */
const makeProgress = (enabled: boolean): { onProgress?: (e: ProgressEvent) => void; done: () => void } => {
  if (!enabled) return { done: () => {} };
  const stream = process.stderr;
  const tty = stream.isTTY === true;
  let done = 0;
  let apps = 0;
  let last = 0;
  return {
    onProgress: (e) => {
      if (e.type === 'target-end') {
        done++;
        apps += e.apps;
      }
      const now = Date.now();
      if (e.type !== 'target-end' && now - last < 100) return;
      last = now;
      const line = `scanning: ${done} target${done === 1 ? '' : 's'} done, ${apps} apps read${e.type === 'target-start' ? ` — ${sanitizeText(e.target).slice(0, 60)}` : ''}`;
      if (tty) stream.write(`\r\u001b[2K${line}`);
      else if (e.type === 'target-end') stream.write(`${line}\n`);
    },
    done: () => {
      if (tty) stream.write('\r\u001b[2K');
    },
  };
};

interface ScanFlags {
  rules?: string[];
  waivers?: string;
  format?: string;
  output?: OutputSpec[];
  failOn?: FailOn;
  includeInventory?: boolean;
  sarifOmitWaived?: boolean;
  exclude?: string[];
  verifySignatures?: boolean;
  baseline?: string;
  failOnNew?: boolean;
  color?: boolean;
  timeout?: number;
  quiet?: boolean;
  progress?: boolean;
  now?: Date;
  engine?: Engine;
}

/** Settings from .appwarden.yaml (or --config), read once per run when a command first needs them. */
let configFile: string | undefined;
let config: Config | undefined;
const settings = (): Config => {
  config ??= loadConfig(process.cwd(), process.env, configFile);
  return config;
};

/** Precedence: flags > APPWARDEN_* environment > config file > built-in default. */
const rulesFromEnv = (flags: { rules?: string[] }): string[] =>
  flags.rules ??
  (process.env.APPWARDEN_RULES ? process.env.APPWARDEN_RULES.split(',').filter(Boolean) : undefined) ??
  settings().rules ??
  [];

/** Parse an APPWARDEN_* variable with a flag's parser, naming the variable when it is wrong. */
const fromEnv = <T>(name: string, parse: (value: string) => T): T | undefined => {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  try {
    return parse(value);
  } catch (error) {
    throw new AppwardenError('USAGE', `${name}="${value}": ${describeError(error)}`);
  }
};

const timeoutFrom = (flags: { timeout?: number }): number => {
  return (
    (flags.timeout ?? fromEnv('APPWARDEN_TIMEOUT', parseSeconds) ?? settings().timeoutSeconds ?? 30) * 1000
  );
};

const runScan = async (inputs: string[], flags: ScanFlags): Promise<number> => {
  const outputs: OutputSpec[] = [...(flags.output ?? [])];
  if (flags.format) {
    if (!isFormatName(flags.format)) {
      throw new AppwardenError(
        'USAGE',
        `unknown format "${flags.format}" (expected ${Object.keys(reporters).join(', ')})`,
      );
    }
    outputs.push({ format: flags.format });
  }
  // Refused before scanning: two reports into one file means one silently replaces the other.
  const targets = outputs.flatMap((o) => (o.path === undefined ? [] : [inspectOutput(o.path)]));
  const duplicate = findDuplicateOutput(targets);
  if (duplicate) {
    throw new AppwardenError(
      'USAGE',
      duplicate[0] === duplicate[1]
        ? `two reports would be written to ${duplicate[0]}: give each -o its own path`
        : `two reports would be written to the same file (${duplicate[0]} and ${duplicate[1]}): give each -o its own path`,
    );
  }
  // `-o sarif=/dev/stdout` is a report on standard output: no table is added in front of it.
  for (const t of targets) {
    const out = outputs.find((o) => o.path === t.path);
    if (out && t.stream === 1) delete out.path;
    else if (out && t.stream === 2) out.toStderr = true;
  }
  const onStdout = outputs.filter((o) => o.path === undefined && !o.toStderr).length;
  if (onStdout === 0) outputs.push({ format: 'table' });
  if (onStdout > 1) {
    throw new AppwardenError(
      'USAGE',
      'only one report can go to standard output; give the others a path (-o FORMAT=PATH)',
    );
  }
  const failOn = flags.failOn ?? fromEnv('APPWARDEN_FAIL_ON', parseFailOn) ?? settings().failOn ?? 'low';
  const progress = makeProgress(
    !flags.quiet && (flags.progress === true || (process.stderr.isTTY === true && !process.env.CI)),
  );
  const options: ScanOptions = {
    inputs,
    readStdin,
    rules: rulesFromEnv(flags),
    failOn,
    // Inventories are dropped after matching unless a report shows them: memory stays flat on big scans.
    keepApps:
      flags.includeInventory === true ||
      outputs.some((o) => (reporters[o.format] as { needsApps?: boolean }).needsApps === true),
    tools: toolsFromEnv(),
    timeoutMs: timeoutFrom(flags),
    verifySignatures: flags.verifySignatures === true,
    exclude: [...(settings().exclude ?? []), ...(flags.exclude ?? [])],
  };
  const waivers = flags.waivers ?? process.env.APPWARDEN_WAIVERS ?? settings().waivers;
  if (waivers) options.waivers = waivers;
  if (flags.baseline) options.baseline = flags.baseline;
  if (flags.failOnNew) options.failOnNew = true;
  const now = flags.now ?? fromEnv('APPWARDEN_NOW', parseNow);
  if (now) options.now = now;
  if (progress.onProgress) options.onProgress = progress.onProgress;
  let result: Awaited<ReturnType<typeof scan>>;
  try {
    result = await scanOn(flags.engine, options);
  } finally {
    progress.done();
  }
  for (const out of outputs) {
    const toStdout = out.path === undefined;
    const ctx: ReporterContext = {
      chalk: toStdout ? makeChalk(flags.color, process.stdout) : new Chalk({ level: 0 }),
      version: VERSION,
      includeInventory: flags.includeInventory === true,
      omitWaived: flags.sarifOmitWaived === true,
    };
    if (toStdout && process.stdout.columns) ctx.width = process.stdout.columns;
    const text = reporters[out.format].render(result, ctx);
    if (out.toStderr) process.stderr.write(text);
    else if (toStdout) process.stdout.write(text);
    else await writeReport(out.path!, text);
  }
  if (!flags.quiet) {
    for (const t of result.targets) {
      if (t.status === 'failed')
        process.stderr.write(`appwarden: ${sanitizeText(t.id)}: ${sanitizeText(t.error ?? 'not scanned')}\n`);
    }
  }
  return result.exitCode;
};

const runCollect = async (
  inputs: string[],
  flags: { output?: string; timeout?: number; quiet?: boolean; progress?: boolean },
) => {
  const progress = makeProgress(
    !flags.quiet && (flags.progress === true || (process.stderr.isTTY === true && !process.env.CI)),
  );
  const options: ScanOptions = {
    inputs,
    readStdin,
    tools: toolsFromEnv(),
    timeoutMs: timeoutFrom(flags),
  };
  if (progress.onProgress) options.onProgress = progress.onProgress;
  let targets: Awaited<ReturnType<typeof collect>>;
  try {
    targets = await collect(options);
  } finally {
    progress.done();
  }
  const text = renderInventory(targets, VERSION, new Date());
  await writeTo(flags.output, text);
  const incomplete =
    targets.length === 0 || targets.some((t) => t.status !== 'scanned' || t.apps.length === 0);
  for (const t of targets) {
    if (t.status !== 'scanned')
      process.stderr.write(`appwarden: ${sanitizeText(t.id)}: ${t.status}: ${sanitizeText(t.error ?? '')}\n`);
  }
  process.stderr.write(
    `appwarden: collected ${targets.reduce((n, t) => n + t.apps.length, 0)} apps from ${targets.length} target(s)${flags.output ? ` into ${flags.output}` : ''}\n`,
  );
  return incomplete ? 3 : 0;
};

const runDevices = async (flags: { json?: boolean; timeout?: number }): Promise<number> => {
  const ctx: SourceContext = {
    timeoutMs: timeoutFrom(flags),
    tools: {
      adb: 'adb',
      ideviceId: 'idevice_id',
      ideviceInfo: 'ideviceinfo',
      ideviceInstaller: 'ideviceinstaller',
      ...toolsFromEnv(),
    },
    env: process.env,
  };
  const { devices, problems, missing } = await discoverDevices(['android', 'ios'], ctx);
  // An installed tool that failed or hung may hide attached devices: shown, and the exit is 3.
  const failed = problems.filter((p) => !missing.includes(p.id as Platform));
  if (flags.json) {
    const list = problems.map((p) => ({
      platform: p.id,
      error: p.error,
      tool: missing.includes(p.id as Platform) ? 'missing' : 'failed',
    }));
    process.stdout.write(`${escapeUnsafe(JSON.stringify({ devices, problems: list }, null, 2))}\n`);
  } else {
    const c = makeChalk(undefined, process.stdout);
    if (devices.length === 0 && failed.length === 0) process.stdout.write('No devices found.\n');
    for (const p of failed) {
      process.stdout.write(
        `${p.id}\t${c.red('devices not listed')}\t${sanitizeText(p.error ?? 'the device tool failed')}\n`,
      );
    }
    for (const d of devices) {
      const f = d.facts;
      const model = [f.manufacturer, f.model ?? f.name]
        .filter(Boolean)
        .map((v) => sanitizeText(String(v)))
        .join(' ');
      const os = f.osVersion
        ? `${d.platform === 'ios' ? 'iOS' : 'Android'} ${sanitizeText(f.osVersion)}`
        : '';
      const state = d.problem ? c.yellow(d.state) : c.green(d.state);
      process.stdout.write(
        `${d.platform}:${sanitizeText(d.id)}\t${state}\t${model}\t${os}${d.problem ? `\n    ${sanitizeText(d.problem)}` : ''}\n`,
      );
    }
    for (const p of problems) process.stderr.write(`appwarden: ${p.id}: ${sanitizeText(p.error ?? '')}\n`);
  }
  return failed.length > 0 || (devices.length === 0 && problems.length > 0) ? 3 : 0;
};

/** `--version`: the tool, then every shipped pack's edition, so a report's rules can be traced. */
const versionText = (): string => {
  const lines = [VERSION, 'shipped packs:'];
  try {
    for (const p of shippedPackInfo()) {
      lines.push(`  ${packLabel(p)}${p.updated ? `  (updated ${p.updated})` : ''}`);
    }
  } catch (error) {
    lines.push(`  (cannot read the shipped packs: ${describeError(error)})`);
  }
  return `${lines.join('\n')}\n`;
};

export const buildProgram = (setExit: (code: number) => void): Command => {
  const program = new Command();
  program
    .name('appwarden')
    .description('Find banned apps on phones, device images, app files and saved device listings.')
    .option('-V, --version', 'print the version and the shipped packs with their editions')
    .on('option:version', () => {
      process.stdout.write(versionText());
      throw new CommanderError(0, 'appwarden.version', VERSION);
    })
    .option(
      '-c, --config <file>',
      'settings file (default: ./.appwarden.yaml, then $XDG_CONFIG_HOME/appwarden/config.yaml)',
    )
    .hook('preAction', (cmd) => {
      configFile = cmd.opts().config as string | undefined;
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('scan')
    .description(
      'scan inputs (files, folders, `-` for stdin, android[:SERIAL], ios[:UDID]; none = all devices)',
    )
    .argument(
      '[inputs...]',
      'listings, APK/IPA files, folders, `-`, android[:SERIAL], ios[:UDID]. `android` and `ios` always mean devices: write a folder of that name as a path (./android)',
    )
    .option(
      '-r, --rules <file|pack>',
      'rule file or shipped pack name (repeatable; default: ca-gov)',
      collectList,
    )
    .option('-w, --waivers <file>', 'waiver file')
    .option('-f, --format <format>', `report on stdout: ${Object.keys(reporters).join(', ')}`)
    .option(
      '-o, --output <format[=path]>',
      'write a report (repeatable); without a path it goes to stdout',
      parseOutput,
    )
    .option(
      '--fail-on <severity>',
      'fail at or above this severity (critical|high|medium|low|info|none)',
      parseFailOn,
    )
    .option(
      '-e, --exclude <glob>',
      'leave paths out of folder scans (repeatable; `*.md` matches at any depth, `old/**` below the folder); excluded paths are listed as skipped',
      collectList,
    )
    .option(
      '--baseline <report.json>',
      'compare with a previous JSON report: findings marked new or unchanged, resolved ones listed',
    )
    .option('--fail-on-new', 'with --baseline: only findings the baseline did not have fail the run')
    .option('--sarif-omit-waived', 'leave waived findings out of SARIF (default: accepted suppressions)')
    .option('--include-inventory', 'put every app (not only findings) into JSON, HTML and CSV reports')
    .option('--no-color', 'no colour in the table report')
    .option('--timeout <seconds>', 'timeout for each device command', parseSeconds)
    .option(
      '--verify-signatures',
      'verify APK v2/v3/v3.1 signatures (reads every APK in full; v1-only APKs stay unverified)',
    )
    .option('-q, --quiet', 'print only the report')
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .addOption(engineOption())
    .addOption(
      new Option('--now <iso>', 'clock for waiver expiry and report time').argParser(parseNow).hideHelp(),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 pass, 1 findings at or above --fail-on, 2 usage/rules error, 3 incomplete (an input could not be read or held no apps).',
    )
    .action(async (inputs: string[], flags: ScanFlags) => setExit(await runScan(inputs, flags)));

  registerRemove(program, setExit);
  program
    .command('collect')
    .description(
      'collect app inventories without checking rules; rescan the file later with `appwarden scan FILE`',
    )
    .argument('[inputs...]', 'same inputs as scan; none = all devices')
    .option('-o, --output <path>', 'write the inventory JSON here (default: stdout)')
    .option('--timeout <seconds>', 'timeout for each device command', parseSeconds)
    .option('-q, --quiet', 'no progress')
    .option('--progress', 'show progress on stderr')
    .action(async (inputs: string[], flags) => setExit(await runCollect(inputs, flags)));

  program
    .command('devices')
    .description('list connected Android and iOS devices with state, model and OS version')
    .option('--json', 'print JSON')
    .option('--timeout <seconds>', 'timeout for each device command', parseSeconds)
    .action(async (flags) => setExit(await runDevices(flags)));

  const rules = program.command('rules').description('work with rule files and shipped packs');
  registerCompile(rules, (text) => process.stdout.write(text), setExit);
  rules
    .command('validate')
    .description('validate rule files (all problems at once, as file:line:col: message)')
    .argument('<files...>', 'rule files or pack names')
    .action((files: string[]) => {
      const ruleSet = loadRuleSet(files);
      compileRuleSet(ruleSet);
      process.stdout.write(
        `${files.join(', ')}: valid (${ruleSet.rules.length} rules, ${ruleSet.publishers.size} publishers, ${ruleSet.packs.length} files)\n`,
      );
      setExit(0);
    });
  rules
    .command('list')
    .description('list rules: id, severity, title, pack')
    .argument('[files...]', 'rule files or pack names (default: the default pack)')
    .option('--packs', 'list the shipped packs instead')
    .option('--json', 'print JSON')
    .action(async (files: string[], flags: { packs?: boolean; json?: boolean }) => {
      if (flags.packs) {
        // Packs only: rules/publishers/* are shared publisher definitions the packs include.
        const packs = shippedPackInfo();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(packs, null, 2)}\n`);
        } else {
          const width = Math.max(4, ...packs.map((p) => p.name.length));
          for (const p of packs) {
            process.stdout.write(
              `${p.name.padEnd(width)}  ${(p.version ?? 'unversioned').padEnd(10)}  ${p.updated ? `updated ${p.updated}` : ''}  ${p.rules} rules\n`,
            );
          }
        }
        return setExit(0);
      }
      const ruleSet = loadRuleSet(files.length > 0 ? files : rulesFromEnv({}));
      if (flags.json) {
        const list = ruleSet.rules.map((r) => ({
          id: r.id,
          severity: r.severity,
          title: r.title,
          pack: r.pack,
          file: r.file,
        }));
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      } else {
        const width = Math.max(2, ...ruleSet.rules.map((r) => r.id.length));
        for (const r of ruleSet.rules) {
          process.stdout.write(`${r.id.padEnd(width)}  ${r.severity.padEnd(8)}  ${r.title}  (${r.pack})\n`);
        }
      }
      setExit(0);
    });
  rules
    .command('test')
    .description(
      "run rule tests: app records that must and must not match (default: the shipped packs' tests)",
    )
    .argument('[paths...]', 'tests files or folders')
    .option('-v, --verbose', 'list passing cases too')
    .action(async (paths: string[], flags: { verbose?: boolean }) => {
      const report = await runRuleTests(paths.length > 0 ? paths : [path.join(PACKS_DIR, 'tests')]);
      process.stdout.write(formatRuleTestReport(report, { verbose: flags.verbose === true }));
      setExit(report.failed > 0 ? 1 : 0);
    });
  rules
    .command('show')
    .description('show a rule: what it matches, why, and its sources')
    .argument('<id>', 'rule id')
    .option('-r, --rules <file|pack>', 'rule file or pack (repeatable; default: ca-gov)', collectList)
    .action((id: string, flags: { rules?: string[] }) => {
      const builtin = BUILTIN_RULES.find((r) => r.id === id);
      if (builtin) {
        // Built-in rules apply whatever rule set is loaded; they have no file or criteria to show.
        process.stdout.write(
          `${builtin.id}  [${builtin.severity}]  ${builtin.title}\n  built into appwarden: applies whatever rules are loaded (waivable by rule id)\n  ${builtin.message}\n  references:\n${builtin.references.map((r) => `    - ${r}`).join('\n')}\n`,
        );
        setExit(0);
        return;
      }
      const ruleSet = loadRuleSet(rulesFromEnv(flags));
      const rule = ruleSet.rules.find((r) => r.id === id);
      if (!rule) throw new AppwardenError('USAGE', `no rule "${id}" in ${ruleSet.sources.join(', ')}`);
      process.stdout.write(formatRule(rule, ruleSet.publishers));
      setExit(0);
    });
  rules
    .command('import')
    .description('turn a CSV block list (<bundle id or store URL>, <name>, <publisher>) into a rule file')
    .argument('<csv>', 'CSV file, or - for standard input')
    .requiredOption('--name <pack>', 'pack name for the new rule file')
    .option('--from <format>', 'input format (only csv)', 'csv')
    .option('--severity <severity>', 'severity of the rules', parseSeverity, 'high' as Severity)
    .option('--platform <platform>', 'android or ios, for bare ids', parsePlatform)
    .option('-o, --output <file>', 'write the rule file here instead of standard output')
    .action(
      async (
        csvFile: string,
        flags: { name: string; from: string; severity: Severity; platform?: Platform; output?: string },
      ) => {
        if (flags.from !== 'csv')
          throw new AppwardenError('USAGE', `unknown import format "${flags.from}" (expected csv)`);
        let text: string;
        try {
          text = readFileSync(csvFile === '-' ? 0 : csvFile, 'utf8');
        } catch (error) {
          throw new AppwardenError('USAGE', `cannot read ${csvFile}: ${describeError(error)}`);
        }
        const result = importBlockList(text, {
          name: flags.name,
          source: csvFile === '-' ? 'stdin' : path.basename(csvFile),
          severity: flags.severity,
          ...(flags.platform ? { platform: flags.platform } : {}),
        });
        for (const w of result.warnings) process.stderr.write(`appwarden: warning: ${sanitizeText(w)}\n`);
        await writeTo(flags.output, result.yaml);
        setExit(0);
      },
    );
  rules
    .command('export')
    .description(
      'export exact ids as MDM policy: CSV block lists, an Android Management API policy fragment or an Apple configuration profile',
    )
    .argument('[files...]', 'rule files or packs (default: the default pack)')
    .option(
      '--format <format>',
      'csv (appwarden columns), intune (id, name, publisher, platform; no header), amapi (Android Management API policy JSON: applications[] BLOCKED), mobileconfig (Apple restrictions profile, supervised devices)',
      'csv',
    )
    .option(
      '--min-severity <severity>',
      'export only rules at or above this severity (e.g. high: no review rules)',
      parseSeverity,
    )
    .action((files: string[], flags: { format: string; minSeverity?: Severity }) => {
      const formats = ['csv', 'intune', 'amapi', 'mobileconfig'];
      if (!formats.includes(flags.format)) {
        throw new AppwardenError(
          'USAGE',
          `unknown export format "${flags.format}" (expected ${formats.join(', ')})`,
        );
      }
      const ruleSet = loadRuleSet(files.length > 0 ? files : rulesFromEnv({}));
      const plan = planExport(ruleSet, flags.minSeverity ? { minSeverity: flags.minSeverity } : {});
      // What an id list cannot carry is said, not dropped: the scan still checks it.
      for (const line of formatNotEnforceable(plan))
        process.stderr.write(`appwarden: ${sanitizeText(line)}\n`);
      if (flags.format === 'amapi') {
        process.stdout.write(`${JSON.stringify(amapiPolicy(plan), null, 2)}\n`);
      } else if (flags.format === 'mobileconfig') {
        process.stderr.write('appwarden: note: blacklistedAppBundleIDs applies on supervised devices only\n');
        process.stdout.write(mobileconfigProfile(plan));
      } else {
        process.stdout.write(
          exportBlockList(ruleSet, {
            format: flags.format === 'intune' ? 'intune' : 'appwarden',
            ...(flags.minSeverity ? { minSeverity: flags.minSeverity } : {}),
          }),
        );
      }
      setExit(0);
    });
  rules
    .command('schema')
    .description('print the JSON Schema of the rule file format')
    .action(() => {
      process.stdout.write(`${JSON.stringify(ruleFileJsonSchema(), null, 2)}\n`);
      setExit(0);
    });
  rules
    .command('path')
    .description('print the folder holding the shipped packs')
    .action(() => {
      process.stdout.write(`${PACKS_DIR}\n`);
      setExit(0);
    });

  program
    .command('explain')
    .description('explain findings: which rule, which criterion, which value, which source')
    .argument('<inputs...>', 'a JSON report written by appwarden, or inputs to scan')
    .option('-r, --rules <file|pack>', 'rule file or pack (repeatable; default: ca-gov)', collectList)
    .option('--rule <id>', 'only findings of this rule')
    .option('--app <id>', 'only findings for this package / bundle id')
    .action(async (inputs: string[], flags: { rules?: string[]; rule?: string; app?: string }) => {
      const ruleSet = loadRuleSet(rulesFromEnv(flags));
      let findings: Finding[] | undefined;
      let unread = 0;
      if (inputs.length === 1) findings = await readReportFindings(inputs[0]!);
      if (!findings) {
        const result = await scan({ inputs, readStdin, ruleSet, tools: toolsFromEnv(), keepApps: false });
        findings = [...result.findings, ...result.notes];
        // An input that could not be read has nothing to explain: say so and fail, not "no findings".
        for (const t of result.targets.filter((x) => x.status === 'failed')) {
          process.stderr.write(
            `appwarden: ${sanitizeText(t.id)}: ${sanitizeText(t.error ?? 'could not be read')}\n`,
          );
          unread++;
        }
        if (result.targets.length === 0) {
          process.stderr.write('appwarden: nothing to explain: no input could be read\n');
          unread++;
        }
      }
      const chosen = findings.filter(
        (f) => (!flags.rule || f.ruleId === flags.rule) && (!flags.app || f.app.id === flags.app),
      );
      if (chosen.length === 0) process.stdout.write('No findings to explain.\n');
      for (const f of chosen) {
        const rule = ruleSet.rules.find((r) => r.id === f.ruleId);
        // Sanitise line by line: the text's own newlines stay, the app's strings cannot add any.
        const text = explainFinding(f, rule, ruleSet.publishers).split('\n').map(sanitizeText).join('\n');
        process.stdout.write(`${text}\n\n`);
      }
      setExit(unread > 0 ? EXIT.usage : EXIT.pass);
    });
  return program;
};

export const run = async (argv: string[]): Promise<number> => {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version end with exitCode 0; everything else commander rejects is a usage error.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isAppwardenError(error)) {
      process.stderr.write(`appwarden: ${error.message}\n`);
      if (error.cause) process.stderr.write(`  reason: ${describeError(error.cause)}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(
      `appwarden: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_USAGE;
  }
};

// A reader that stops early (`appwarden scan … | head`) closes the pipe: that is not a crash, the
// rest of the report is simply not wanted, and the exit code still says what the scan found.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    // ENOSPC (`> /dev/full`), EIO…: the report did not arrive, which is a failed run, not a crash.
    if (stream === process.stdout)
      process.stderr.write(`appwarden: cannot write standard output: ${describeError(error)}\n`);
    process.exit(EXIT_USAGE);
  });
}

// Ctrl-C, a CI cancel, a closed terminal: end every device tool's process group, remove report temp
// files, say so, and exit as a shell does for a signal (128 + its number).
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
let interrupted = false;
for (const [signal, code] of Object.entries(SIGNAL_EXIT) as [NodeJS.Signals, number][]) {
  process.on(signal, () => {
    // A second signal while cleaning up means now.
    if (interrupted) process.exit(code);
    interrupted = true;
    process.stderr.write(`${process.stderr.isTTY ? '\r\u001b[2K' : ''}appwarden: interrupted\n`);
    void stopEverything().finally(() => process.exit(code));
  });
}

process.exitCode = await run(process.argv);
