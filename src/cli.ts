/**
 * The command line: argv → options → library calls → rendered reports → exit code.
 * The only module that touches stdout, stderr, stdin and the exit code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk, type ChalkInstance, supportsColor } from 'chalk';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { collectList, parseSeconds, toolsFromEnv } from './cli-options.js';
import { type Engine, engineOption, registerCompile, scanOn } from './commands/compile.js';
import { registerRemove } from './commands/remove.js';
import { type Config, loadConfig } from './config.js';
import { AppwardenError, describeError, isAppwardenError } from './errors.js';
import { stopEverything } from './interrupt.js';
import { MAX_DOCUMENT_BYTES } from './limits.js';
import { EXIT, type FailOn, type Finding, type Platform, SEVERITIES, type Severity } from './model.js';
import { findDuplicateOutput, inspectOutput, writeReport, writeReportWith } from './output.js';
import { type FormatName, isFormatName, reporters } from './reporters/index.js';
import { escapeUnsafe, renderInventory } from './reporters/json.js';
import { sanitizeText } from './reporters/sanitize.js';
import type { ReporterContext } from './reporters/types.js';
import { BUILTIN_RULES } from './ruleset/builtin.js';
import { compileRuleSet } from './ruleset/compile.js';
import { exportBlockList, importBlockList } from './ruleset/csv.js';
import { explainFinding, formatRule } from './ruleset/explain.js';
import { amapiPolicy, formatNotEnforceable, mobileconfigProfile, planExport } from './ruleset/export.js';
import {
  DEFAULT_PACK,
  loadRuleSet,
  PACKS_DIR,
  packLabel,
  resolveRuleSource,
  shippedPackInfo,
} from './ruleset/load.js';
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

/** `-o report.json` (trivy's form, a path without a format): the format guessed from the extension. */
const outputHint = (value: string): string => {
  const ext = path.extname(value).slice(1).toLowerCase();
  const guess = (Object.keys(reporters) as FormatName[]).find(
    (f) => f !== 'table' && f !== 'github' && reporters[f].extension === ext,
  );
  return guess ? `; did you mean \`-o ${guess}=${value}\`?` : '; -o takes FORMAT or FORMAT=PATH';
};

const parseOutput = (value: string, previous: OutputSpec[] = []): OutputSpec[] => {
  const eq = value.indexOf('=');
  const format = eq === -1 ? value : value.slice(0, eq);
  const file = eq === -1 ? undefined : value.slice(eq + 1);
  if (!isFormatName(format)) {
    throw new InvalidArgumentError(
      `unknown format "${format}" (expected ${Object.keys(reporters).join(', ')})${eq === -1 ? outputHint(value) : ''}`,
    );
  }
  if (file === '') throw new InvalidArgumentError(`missing path after "${format}="`);
  return [...previous, file === undefined || file === '-' ? { format } : { format, path: file }];
};

/**
 * `-o` in commands with one output format (collect: json, rules import: yaml): `[FORMAT=]PATH`, so the
 * scan form `-o json=inv.json` works there too; `-` is standard output.
 */
const singleOutput =
  (format: string) =>
  (value: string): string => {
    const prefix = `${format}=`;
    const file = value.startsWith(prefix) ? value.slice(prefix.length) : value;
    if (file === '') throw new InvalidArgumentError(`missing path after "${prefix}"`);
    const eq = value.indexOf('=');
    if (eq > 0 && !value.startsWith(prefix) && /^[a-z]+$/.test(value.slice(0, eq)))
      throw new InvalidArgumentError(`this command writes ${format} only (-o ${prefix}PATH or -o PATH)`);
    return file;
  };

const parseSeverity = (value: string): Severity => {
  if ((SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
};

const parsePlatform = (value: string): Platform => {
  if (value === 'android' || value === 'ios') return value;
  throw new InvalidArgumentError('expected android or ios');
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
  output?: OutputSpec[];
  includeInventory?: boolean;
  sarifOmitWaived?: boolean;
  exclude?: string[];
  verifySignatures?: boolean;
  baseline?: string;
  failOnNew?: boolean;
  color?: boolean;
  quiet?: boolean;
  progress?: boolean;
  now?: Date;
  engine?: Engine;
}

/**
 * What every command may need beyond its own flags: the settings file, read once per run when first
 * needed. It is built per program (not module state), so the CLI can run several times in one process.
 */
interface CliContext {
  settings: () => Config;
}

const makeContext = (program: Command): CliContext => {
  let config: Config | undefined;
  return {
    settings: () => {
      config ??= loadConfig(process.cwd(), process.env, program.opts<{ config?: string }>().config);
      return config;
    },
  };
};

/** `-r a -r b` or `-r a,b` (the form APPWARDEN_RULES takes). */
const collectRules = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/** Edit distance (Levenshtein), for "did you mean" on a mistyped pack name. */
const editDistance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
};

const shippedPackNames = (): string[] =>
  readdirSync(PACKS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();

/** The shipped pack nearest to a name that is neither a file nor a pack (`us-tx.yaml`, `ca_gov`). */
const nearestPack = (source: string): string | undefined => {
  const wanted = path
    .basename(source)
    .replace(/\.ya?ml$/i, '')
    .toLowerCase()
    .replace(/_/g, '-');
  let best: { name: string; distance: number } | undefined;
  for (const name of shippedPackNames()) {
    const distance = editDistance(wanted, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
};

/** Refuse an unknown rules source before any work, naming the nearest shipped pack. */
const checkRuleSources = (sources: string[]): string[] => {
  for (const source of sources) {
    if (resolveRuleSource(source)) continue;
    const near = nearestPack(source);
    throw new AppwardenError(
      'USAGE',
      `${source}: no such rule file or shipped pack${near ? `; did you mean \`${near}\` (a shipped pack)?` : ''} (see \`appwarden rules list --packs\`)`,
    );
  }
  return sources;
};

/** Precedence: flags > APPWARDEN_* environment (commander's .env()) > settings file > built-in default. */
const rulesFrom = (flags: { rules?: string[] }, ctx: CliContext): string[] => {
  const rules =
    flags.rules ??
    (process.env.APPWARDEN_RULES ? collectRules(process.env.APPWARDEN_RULES) : undefined) ??
    ctx.settings().rules ??
    [];
  return checkRuleSources(rules);
};

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

const DEFAULT_TIMEOUT_SECONDS = 30;
const DEFAULT_FAIL_ON: FailOn = 'low';

/** A flag's value when given on the command line or in its APPWARDEN_* variable, not commander's default. */
const given = <T>(cmd: Command, key: string): T | undefined => {
  const source = cmd.getOptionValueSource(key);
  return source === 'cli' || source === 'env' ? (cmd.getOptionValue(key) as T) : undefined;
};

const timeoutFrom = (cmd: Command, ctx: CliContext): number =>
  (given<number>(cmd, 'timeout') ?? ctx.settings().timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;

const runScan = async (
  inputs: string[],
  flags: ScanFlags,
  cmd: Command,
  ctx: CliContext,
): Promise<number> => {
  const outputs: OutputSpec[] = [...(flags.output ?? [])];
  // `-f` defaults to table only when no `-o` puts another report on stdout (see below).
  const format = given<string>(cmd, 'format');
  if (format !== undefined && isFormatName(format)) outputs.push({ format });
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
  // Binary reports need a file (and DuckDB): refused before scanning, not after.
  const binary = outputs.filter((o) => (reporters[o.format] as { binary?: boolean }).binary === true);
  if (binary.some((o) => o.path === undefined || o.toStderr)) {
    throw new AppwardenError(
      'USAGE',
      'parquet is binary and cannot go to standard output or error: write it to a file with -o parquet=PATH',
    );
  }
  if (binary.length > 0) await (await import('./sql/duckdb.js')).loadDuckdb('-o parquet=PATH');
  const onStdout = outputs.filter((o) => o.path === undefined && !o.toStderr).length;
  if (onStdout === 0) outputs.push({ format: 'table' });
  if (onStdout > 1) {
    throw new AppwardenError(
      'USAGE',
      'only one report can go to standard output; give the others a path (-o FORMAT=PATH)',
    );
  }
  const failOn = given<FailOn>(cmd, 'failOn') ?? ctx.settings().failOn ?? DEFAULT_FAIL_ON;
  const rules = rulesFrom(flags, ctx);
  const progress = makeProgress(
    !flags.quiet && (flags.progress === true || (process.stderr.isTTY === true && !process.env.CI)),
  );
  const options: ScanOptions = {
    inputs,
    readStdin,
    rules,
    failOn,
    // Inventories are dropped after matching unless a report shows them: memory stays flat on big scans.
    keepApps:
      flags.includeInventory === true ||
      outputs.some((o) => (reporters[o.format] as { needsApps?: boolean }).needsApps === true),
    tools: toolsFromEnv(process.env),
    timeoutMs: timeoutFrom(cmd, ctx),
    verifySignatures: flags.verifySignatures === true,
    exclude: [...(ctx.settings().exclude ?? []), ...(flags.exclude ?? [])],
  };
  const waivers = flags.waivers ?? ctx.settings().waivers;
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
    const reporterCtx: ReporterContext = {
      chalk: toStdout ? makeChalk(flags.color, process.stdout) : new Chalk({ level: 0 }),
      version: VERSION,
      includeInventory: flags.includeInventory === true,
      omitWaived: flags.sarifOmitWaived === true,
    };
    const settingsFile = ctx.settings().file;
    if (settingsFile) reporterCtx.settingsFile = settingsFile;
    if (toStdout && process.stdout.columns) reporterCtx.width = process.stdout.columns;
    const text = reporters[out.format].render(result, reporterCtx);
    if (out.toStderr) process.stderr.write(text);
    else if (toStdout) process.stdout.write(text);
    else if (out.format === 'parquet') {
      const { writeParquet } = await import('./sql/parquet.js');
      await writeReportWith(out.path!, (tmp) => writeParquet(text, tmp));
    } else await writeReport(out.path!, text);
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
  flags: { output?: string; quiet?: boolean; progress?: boolean },
  cmd: Command,
  ctx: CliContext,
) => {
  const progress = makeProgress(
    !flags.quiet && (flags.progress === true || (process.stderr.isTTY === true && !process.env.CI)),
  );
  const options: ScanOptions = {
    inputs,
    readStdin,
    tools: toolsFromEnv(process.env),
    timeoutMs: timeoutFrom(cmd, ctx),
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

const runDevices = async (json: boolean, cmd: Command, cli: CliContext): Promise<number> => {
  const ctx: SourceContext = {
    timeoutMs: timeoutFrom(cmd, cli),
    tools: {
      adb: 'adb',
      ideviceId: 'idevice_id',
      ideviceInfo: 'ideviceinfo',
      ideviceInstaller: 'ideviceinstaller',
      ...toolsFromEnv(process.env),
    },
    env: process.env,
  };
  const { devices, problems, missing } = await discoverDevices(['android', 'ios'], ctx);
  // An installed tool that failed or hung may hide attached devices: shown, and the exit is 3.
  const failed = problems.filter((p) => !missing.includes(p.id as Platform));
  if (json) {
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

/*
 * Options several commands share are declared once, here: the same flag means the same thing, with
 * the same help text, environment variable and default, wherever it appears.
 */
const rulesOption = () =>
  new Option(
    '-r, --rules <file|pack>',
    `rule file or shipped pack name (repeatable or comma-separated; default: ${DEFAULT_PACK}, or the settings file's rules)`,
  )
    .argParser(collectRules)
    .env('APPWARDEN_RULES');
const timeoutOption = () =>
  new Option('--timeout <seconds>', 'timeout for each device command')
    .argParser(parseSeconds)
    .default(DEFAULT_TIMEOUT_SECONDS, `${DEFAULT_TIMEOUT_SECONDS} s`)
    .env('APPWARDEN_TIMEOUT');
const quietOption = () => new Option('-q, --quiet', 'print only the report; no progress');
const progressOption = () =>
  new Option('--progress', 'show progress on stderr even when it is not a terminal');
/** `devices` and `rules list` print text or JSON; `--json` is short for `-f json`. */
const textFormatOption = () =>
  new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text');
const jsonOption = () => new Option('--json', 'same as -f json');

/** Every command says what its exit codes mean (scripts and CI read them). */
const exitCodes = (codes: Partial<Record<0 | 1 | 2 | 3, string>>): string =>
  `\nExit codes:\n${Object.entries(codes)
    .map(([code, text]) => `  ${code}  ${text}`)
    .join('\n')}`;
const USAGE_EXIT = 'usage error, unreadable settings or invalid rules';

const SCAN_EXAMPLES = `
Examples:
  # every attached Android and iOS device, with the default pack
  appwarden scan
  # one Android device and every iPhone/iPad
  appwarden scan android:SERIAL ios
  # a listing on standard input
  adb shell pm list packages -f -U -i | appwarden scan -
  # a folder of listings against a shipped pack and your own rules
  appwarden scan listings/ -r us-federal -r ./corp-rules.yaml
  # JSON on stdout; or reports into files with the table on stdout
  appwarden scan app.apk -f json
  appwarden scan . -o sarif=appwarden.sarif -o json=report.json
  # only what is new since the last report fails the run
  appwarden scan inventory.json --baseline last.json --fail-on-new`;

const buildProgram = (setExit: (code: number) => void): Command => {
  const program = new Command();
  const ctx = makeContext(program);
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
      'settings file (default: ./.appwarden.yaml, ./.appwarden.yml, then $XDG_CONFIG_HOME/appwarden/config.yaml)',
    )
    .configureOutput({
      // A bad APPWARDEN_* value is named as the user wrote it: NAME="value".
      outputError: (text, write) =>
        write(text.replace(/option '([^']*)' value '(.*)' from env '(\w+)'/, `$3="$2" (for option '$1')`)),
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `${exitCodes({ 0: 'success', 1: 'scan: banned apps found', 2: USAGE_EXIT, 3: 'scan, collect, devices: incomplete' })}\n  (each command's --help lists its own)`,
    );

  program
    .command('scan')
    .description(
      'scan inputs (files, folders, `-` for stdin, android[:SERIAL], ios[:UDID]; none = all devices)',
    )
    .argument(
      '[inputs...]',
      'listings, APK/IPA files, folders, `-`, android[:SERIAL], ios[:UDID]. `android` and `ios` always mean devices: write a folder of that name as a path (./android)',
    )
    .addOption(rulesOption())
    .addOption(new Option('-w, --waivers <file>', 'waiver file').env('APPWARDEN_WAIVERS'))
    .addOption(
      new Option('-f, --format <format>', 'report on stdout')
        .choices(Object.keys(reporters))
        .default('table'),
    )
    .option(
      '-o, --output <format[=path]>',
      'write a report as FORMAT=PATH (repeatable); FORMAT alone goes to stdout instead of -f',
      parseOutput,
    )
    .addOption(
      new Option('--fail-on <severity>', 'fail at or above this severity')
        .choices([...SEVERITIES, 'none'])
        .default(DEFAULT_FAIL_ON)
        .env('APPWARDEN_FAIL_ON'),
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
    .addOption(timeoutOption())
    .option(
      '--verify-signatures',
      'verify APK v2/v3/v3.1 signatures (reads every APK in full; v1-only APKs stay unverified)',
    )
    .addOption(quietOption())
    .addOption(progressOption())
    .addOption(engineOption())
    .addOption(
      new Option('--now <iso>', 'clock for waiver expiry and report time').argParser(parseNow).hideHelp(),
    )
    .addHelpText(
      'after',
      `${exitCodes({
        0: 'pass: no finding at or above --fail-on',
        1: 'findings at or above --fail-on (with --fail-on-new: new ones only)',
        2: USAGE_EXIT,
        3: 'incomplete: an input could not be read or held no apps',
      })}\n${SCAN_EXAMPLES}`,
    )
    .action(async (inputs: string[], flags: ScanFlags, cmd: Command) =>
      setExit(await runScan(inputs, flags, cmd, ctx)),
    );

  registerRemove(program, setExit);
  program
    .command('collect')
    .description(
      'collect app inventories without checking rules; rescan the file later with `appwarden scan FILE`',
    )
    .argument('[inputs...]', 'same inputs as scan; none = all devices')
    .option(
      '-o, --output <[json=]path>',
      'write the inventory JSON here (as in scan, FORMAT=PATH; json is the only format) (default: stdout)',
      singleOutput('json'),
    )
    .addOption(timeoutOption())
    .addOption(quietOption())
    .addOption(progressOption())
    .addHelpText(
      'after',
      exitCodes({
        0: 'every target read',
        2: USAGE_EXIT,
        3: 'incomplete: a target could not be read or held no apps',
      }),
    )
    .action(async (inputs: string[], flags, cmd: Command) =>
      setExit(await runCollect(inputs, flags, cmd, ctx)),
    );

  program
    .command('devices')
    .description('list connected Android and iOS devices with state, model and OS version')
    .addOption(textFormatOption())
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      exitCodes({
        0: 'listed (possibly none)',
        2: USAGE_EXIT,
        3: 'a device tool failed: devices may be missing',
      }),
    )
    .action(async (flags: { format: string; json?: boolean }, cmd: Command) =>
      setExit(await runDevices(flags.json === true || flags.format === 'json', cmd, ctx)),
    );

  const rules = program
    .command('rules')
    .description('work with rule files and shipped packs')
    .addHelpText('after', exitCodes({ 0: 'success', 1: '`rules test`: a test case failed', 2: USAGE_EXIT }));
  registerCompile(rules, (text) => process.stdout.write(text), setExit);
  rules
    .command('validate')
    .description('validate rule files (all problems at once, as file:line:col: message)')
    .argument('<files...>', 'rule files or pack names')
    .addHelpText('after', exitCodes({ 0: 'valid', 2: 'invalid (every problem listed) or unreadable' }))
    .action((files: string[]) => {
      checkRuleSources(files);
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
    .addOption(textFormatOption())
    .addOption(jsonOption())
    .addOption(rulesOption().hideHelp())
    .addHelpText('after', exitCodes({ 0: 'listed', 2: USAGE_EXIT }))
    .action(
      async (
        files: string[],
        options: { packs?: boolean; json?: boolean; format: string; rules?: string[] },
      ) => {
        const flags = { ...options, json: options.json === true || options.format === 'json' };
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
        const ruleSet = loadRuleSet(files.length > 0 ? checkRuleSources(files) : rulesFrom(flags, ctx));
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
      },
    );
  rules
    .command('test')
    .description(
      "run rule tests: app records that must and must not match (default: the shipped packs' tests)",
    )
    .argument('[paths...]', 'tests files or folders')
    .option('-v, --verbose', 'list passing cases too')
    .addHelpText('after', exitCodes({ 0: 'every case passed', 1: 'a case failed', 2: USAGE_EXIT }))
    .action(async (paths: string[], flags: { verbose?: boolean }) => {
      const report = await runRuleTests(paths.length > 0 ? paths : [path.join(PACKS_DIR, 'tests')]);
      process.stdout.write(formatRuleTestReport(report, { verbose: flags.verbose === true }));
      setExit(report.failed > 0 ? 1 : 0);
    });
  rules
    .command('show')
    .description('show a rule: what it matches, why, and its sources')
    .argument('<id>', 'rule id')
    .addOption(rulesOption())
    .addHelpText(
      'after',
      `\nA rule not in the loaded rule set is looked up in every shipped pack.\n${exitCodes({ 0: 'shown', 2: 'no such rule, or a usage error' })}`,
    )
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
      const ruleSet = loadRuleSet(rulesFrom(flags, ctx));
      let found = ruleSet.rules.find((r) => r.id === id);
      let publishers = ruleSet.publishers;
      // Not in the loaded rules: the id may come from another pack (a report, a colleague's scan).
      for (const pack of found ? [] : shippedPackNames()) {
        const other = loadRuleSet([pack]);
        found = other.rules.find((r) => r.id === id);
        if (found) {
          publishers = other.publishers;
          process.stderr.write(
            `appwarden: ${id} is not in ${ruleSet.sources.join(', ')}; found in shipped pack ${pack}\n`,
          );
          break;
        }
      }
      if (!found)
        throw new AppwardenError(
          'USAGE',
          `no rule "${id}" in ${ruleSet.sources.join(', ')} or any shipped pack`,
        );
      process.stdout.write(formatRule(found, publishers));
      setExit(0);
    });
  rules
    .command('import')
    .description('turn a CSV block list (<bundle id or store URL>, <name>, <publisher>) into a rule file')
    .argument('<csv>', 'CSV file, or - for standard input')
    .requiredOption('--name <pack>', 'pack name for the new rule file')
    .addOption(new Option('--from <format>', 'input format').choices(['csv']).default('csv'))
    .option('--severity <severity>', 'severity of the rules', parseSeverity, 'high' as Severity)
    .option('--platform <platform>', 'android or ios, for bare ids', parsePlatform)
    .option(
      '-o, --output <[yaml=]path>',
      'write the rule file here (as in scan, FORMAT=PATH; yaml is the only format) (default: stdout)',
      singleOutput('yaml'),
    )
    .addHelpText(
      'after',
      exitCodes({ 0: 'written (warnings on stderr)', 2: 'unreadable CSV or a usage error' }),
    )
    .action(
      async (
        csvFile: string,
        flags: { name: string; severity: Severity; platform?: Platform; output?: string },
      ) => {
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
    .addOption(
      new Option(
        '-f, --format <format>',
        'csv (appwarden columns), intune (id, name, publisher, platform; no header), amapi (Android Management API policy JSON: applications[] BLOCKED), mobileconfig (Apple restrictions profile, supervised devices)',
      )
        .choices(['csv', 'intune', 'amapi', 'mobileconfig'])
        .default('csv'),
    )
    .option(
      '--min-severity <severity>',
      'export only rules at or above this severity (e.g. high: no review rules)',
      parseSeverity,
    )
    .addOption(rulesOption().hideHelp())
    .addHelpText(
      'after',
      exitCodes({ 0: 'exported (what ids cannot carry is listed on stderr)', 2: USAGE_EXIT }),
    )
    .action((files: string[], flags: { format: string; minSeverity?: Severity; rules?: string[] }) => {
      const ruleSet = loadRuleSet(files.length > 0 ? checkRuleSources(files) : rulesFrom(flags, ctx));
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
    .addHelpText('after', exitCodes({ 0: 'printed' }))
    .action(() => {
      process.stdout.write(`${JSON.stringify(ruleFileJsonSchema(), null, 2)}\n`);
      setExit(0);
    });
  rules
    .command('path')
    .description('print the folder holding the shipped packs')
    .addHelpText('after', exitCodes({ 0: 'printed' }))
    .action(() => {
      process.stdout.write(`${PACKS_DIR}\n`);
      setExit(0);
    });

  program
    .command('explain')
    .description('explain findings: which rule, which criterion, which value, which source')
    .argument('<inputs...>', 'a JSON report written by appwarden, or inputs to scan')
    .addOption(rulesOption())
    .option('--rule <id>', 'only findings of this rule')
    .option('--app <id>', 'only findings for this package / bundle id')
    .addHelpText(
      'after',
      exitCodes({ 0: 'explained (possibly no findings)', 2: 'an input could not be read, or a usage error' }),
    )
    .action(async (inputs: string[], flags: { rules?: string[]; rule?: string; app?: string }) => {
      const ruleSet = loadRuleSet(rulesFrom(flags, ctx));
      let findings: Finding[] | undefined;
      let unread = 0;
      if (inputs.length === 1) findings = await readReportFindings(inputs[0]!);
      if (!findings) {
        const result = await scan({
          inputs,
          readStdin,
          ruleSet,
          tools: toolsFromEnv(process.env),
          keepApps: false,
        });
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

/**
 * The process around `run()`: pipe and signal handling, then the exit code. Called by bin/appwarden.js;
 * importing this module has no side effects, so tests can call `run()` in process.
 */
export const main = async (argv: string[]): Promise<void> => {
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

  // An empty APPWARDEN_* variable means unset (CI systems export empty inputs), not an invalid value.
  for (const name of ['APPWARDEN_RULES', 'APPWARDEN_FAIL_ON', 'APPWARDEN_TIMEOUT', 'APPWARDEN_WAIVERS']) {
    if (process.env[name] === '') delete process.env[name];
  }

  process.exitCode = await run(argv);
};
