/**
 * Orchestration: inputs → sources → targets of AppRecords → matcher → findings → waivers → verdict.
 * Returns data only; rendering and exit codes belong to the caller.
 */

import { availableParallelism } from 'node:os';
import { applyBaseline, type Baseline, loadBaseline } from './baseline.js';
import { isFactOnly, mergeFacts, ownerOf } from './device-merge.js';
import { AppwardenError, describeError, isAppwardenError } from './errors.js';
import {
  type AppRecord,
  countApps,
  type FailOn,
  type Finding,
  failedTarget,
  type Platform,
  type ScanResult,
  type ScanSummary,
  SEVERITIES,
  type Severity,
  type SkippedInput,
  type TargetResult,
} from './model.js';
import { compileRuleSet, type Matcher } from './ruleset/compile.js';
import { loadRuleSet, packEditions } from './ruleset/load.js';
import type { Pack, Rule, RuleSet } from './ruleset/types.js';
import { type Emit, type FolderOffload, readPathInput } from './sources/files.js';
import { fileRegistry, loadDeviceSource } from './sources/index.js';
import { readListingBytes } from './sources/listing.js';
import { ListingPool } from './sources/listing-pool.js';
import type { DeviceInfo, ProgressEvent, SourceContext } from './sources/types.js';
import { excludeMatcher } from './sources/walk.js';
import {
  checkTarget,
  mergeDuplicateApps,
  type PackedTargetFindings,
  unpackFindings,
} from './target-findings.js';
import { isActive, scanVerdict, sortFindings } from './verdict.js';
import { applyWaivers, loadWaivers, type Waiver } from './waivers.js';

export interface ScanOptions {
  /** Paths, `-` (stdin), `android`, `android:SERIAL`, `ios`, `ios:UDID`. Empty: every connected device. */
  inputs: string[];
  /** Reads standard input when an input is `-`; supplied by the CLI so the library never touches stdin. */
  readStdin?: () => Promise<Uint8Array>;
  /** Rule files or shipped pack names; default: the built-in default pack. Ignored when ruleSet is given. */
  rules?: string[];
  ruleSet?: RuleSet;
  /** Waiver file path or already loaded waivers. */
  waivers?: string | Waiver[];
  failOn?: FailOn;
  /** A previous appwarden JSON report (path or loaded) to mark findings new, unchanged or resolved. */
  baseline?: string | Baseline;
  /** With a baseline: only new findings fail the run (`--fail-on-new`). */
  failOnNew?: boolean;
  /** Clock for waiver expiry and report time; injectable for reproducible output. */
  now?: Date;
  timeoutMs?: number;
  tools?: Partial<SourceContext['tools']>;
  env?: NodeJS.ProcessEnv;
  /** How many devices are scanned at once. */
  concurrency?: number;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Keep every target's app records in the result (default true). The CLI turns this off unless a
   * report needs the inventory, so memory does not grow with the number of apps scanned.
   */
  keepApps?: boolean;
  /** Verify APK v2/v3/v3.1 signatures (reads every APK in full). Off: identities are extracted only. */
  verifySignatures?: boolean;
  /**
   * Globs of paths to leave out of folder scans (`--exclude`): matched against the path below the
   * folder, or against the name at any depth when the glob has no `/`. Excluded paths are listed as
   * skipped in the result.
   */
  exclude?: string[];
  /**
   * Worker threads that read and check the listings of a folder alongside the main thread.
   * Default: one per core besides the main thread's (at most 4) for folders of at least 1,000
   * files, on machines of three cores or more; 0 reads everything in this thread; a positive number uses that many workers for every
   * folder of more than one file.
   */
  workers?: number;
}

/** Below this many files a folder is read in this thread: starting workers would cost more. */
const POOL_MIN_FILES = 1000;
const MAX_WORKERS = 4;

export const DEFAULT_TOOLS: SourceContext['tools'] = {
  adb: 'adb',
  ideviceId: 'idevice_id',
  ideviceInfo: 'ideviceinfo',
  ideviceInstaller: 'ideviceinstaller',
};

type InputSpec =
  | { kind: 'path'; path: string }
  | { kind: 'stdin' }
  | { kind: 'device'; platform: Platform; id?: string; raw: string; implicit?: boolean };

const DEVICE_SPEC = /^(android|ios)(?::(.+))?$/;

/**
 * `android`/`ios` (optionally `:ID`) always name devices, whatever files the current folder holds:
 * a folder called `android` is scanned when written as a path (`./android`). A scan that read a
 * folder when the user meant the phone would pass on the wrong thing.
 */
const classifyInput = (input: string): InputSpec => {
  if (input === '-') return { kind: 'stdin' };
  const m = DEVICE_SPEC.exec(input);
  if (m) {
    const spec: InputSpec = { kind: 'device', platform: m[1] as Platform, raw: input };
    if (m[2]) spec.id = m[2];
    return spec;
  }
  return { kind: 'path', path: input };
};

const sourceContext = (options: ScanOptions): SourceContext => {
  const ctx: SourceContext = {
    timeoutMs: options.timeoutMs ?? 30_000,
    tools: { ...DEFAULT_TOOLS, ...options.tools },
    env: options.env ?? process.env,
  };
  if (options.onProgress) ctx.onProgress = options.onProgress;
  if (options.verifySignatures) ctx.verifySignatures = true;
  return ctx;
};

/** Run tasks with at most `limit` in flight, keeping input order in the output. */
const mapLimit = async <T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
};

/**
 * Discover devices on every platform (or the ones asked for). A platform whose tool is missing or
 * failed becomes a failed target in `problems`; `missing` names the platforms whose tool is simply
 * not installed (a notice when scanning whatever is connected), as opposed to installed but failing.
 */
export const discoverDevices = async (
  platforms: Platform[],
  ctx: SourceContext,
): Promise<{ devices: DeviceInfo[]; problems: TargetResult[]; missing: Platform[] }> => {
  const devices: DeviceInfo[] = [];
  const problems: TargetResult[] = [];
  const missing: Platform[] = [];
  for (const platform of platforms) {
    const source = await loadDeviceSource(platform);
    try {
      devices.push(...(await source.discover(ctx)));
    } catch (error) {
      problems.push(failedTarget(platform, 'device', describeError(error)));
      if (isAppwardenError(error) && error.code === 'TOOL_NOT_FOUND') missing.push(platform);
    }
  }
  return { devices, problems, missing };
};

const scanDevices = async (
  specs: InputSpec[],
  ctx: SourceContext,
  concurrency: number,
  onSkip: (skipped: SkippedInput) => void,
): Promise<TargetResult[]> => {
  const deviceSpecs = specs.filter((s): s is Extract<InputSpec, { kind: 'device' }> => s.kind === 'device');
  if (deviceSpecs.length === 0) return [];
  const platforms = [...new Set(deviceSpecs.map((s) => s.platform))];
  const { devices, problems, missing } = await discoverDevices(platforms, ctx);
  const wanted: DeviceInfo[] = [];
  const implicit = deviceSpecs.every((s) => s.implicit);
  // A tool that is installed but failed or hung may hide attached devices: always a failed target.
  const broken = problems.filter((p) => !missing.includes(p.id as Platform));
  if (implicit) {
    // `appwarden scan` with no inputs: scan whatever is connected. A missing tool or an empty
    // platform is only a problem when nothing at all could be found.
    if (devices.length === 0 && broken.length === 0) {
      const reasons = [
        ...problems.map((p) => p.error ?? `${p.id}: not available`),
        ...platforms.filter((p) => !problems.some((x) => x.id === p)).map((p) => `no ${p} devices connected`),
      ];
      return [failedTarget('devices', 'device', `no devices found to scan (${reasons.join('; ')})`)];
    }
    for (const p of problems.filter((x) => missing.includes(x.id as Platform))) {
      onSkip({
        path: p.id,
        reason: `${p.id} devices not looked for: ${p.error ?? 'tool not found'}`,
        kind: 'excluded',
      });
    }
    wanted.push(...devices);
  }
  const results: TargetResult[] = implicit ? [...broken] : [...problems];
  for (const spec of deviceSpecs.filter((s) => !s.implicit)) {
    if (problems.some((p) => p.id === spec.platform)) continue;
    const matching = devices.filter((d) => d.platform === spec.platform && (!spec.id || d.id === spec.id));
    if (matching.length === 0) {
      results.push(
        failedTarget(
          spec.raw,
          'device',
          spec.id
            ? `no ${spec.platform} device with ${spec.platform === 'ios' ? 'UDID' : 'serial'} ${spec.id} is connected`
            : `no ${spec.platform} devices connected`,
        ),
      );
    }
    for (const d of matching) if (!wanted.includes(d)) wanted.push(d);
  }
  const scanned = await mapLimit(wanted, concurrency, async (device) => {
    const id = `${device.platform}:${device.id}`;
    ctx.onProgress?.({ type: 'target-start', target: id });
    const source = await loadDeviceSource(device.platform);
    let target: TargetResult;
    if (device.problem) {
      target = { ...failedTarget(id, 'device', device.problem), device: device.facts };
    } else {
      try {
        target = await source.scan(device, ctx);
      } catch (error) {
        target = {
          ...failedTarget(id, 'device', `scan failed: ${describeError(error)}`),
          device: device.facts,
        };
      }
    }
    ctx.onProgress?.({ type: 'target-end', target: id, apps: target.apps.length });
    return target;
  });
  return [...results, ...scanned];
};

/**
 * Read every input, handing each target to `emit` as soon as it is complete: files and stdin in
 * the order given, then devices concurrently. Nothing here keeps targets, so memory stays flat.
 */
export const collectEach = async (
  options: ScanOptions,
  emit: Emit,
  offload?: FolderOffload,
  onSkip: (skipped: SkippedInput) => void = () => {},
): Promise<void> => {
  const ctx = sourceContext(options);
  const specs: InputSpec[] =
    options.inputs.length > 0
      ? options.inputs.map((i) => classifyInput(i))
      : (['android', 'ios'] as const).map((platform) => ({
          kind: 'device',
          platform,
          raw: platform,
          implicit: true,
        }));
  // APK targets wait until every input is read, so split APKs can join their base app.
  const apks: TargetResult[] = [];
  // Device-fact files wait too, to join the target of the device whose apps another file lists.
  const facts: TargetResult[] = [];
  const owners: TargetResult[] = [];
  const usersWithApps = new WeakMap<TargetResult, Set<number>>();
  const keepForFacts = (t: TargetResult): void => {
    if (t.kind === 'device') return;
    owners.push(t);
    // Apps may be dropped once checked: note now which users the target holds apps for.
    if (t.apps.length > 0) usersWithApps.set(t, new Set(t.apps.map((a) => a.user ?? 0)));
  };
  const out = (t: TargetResult, checked?: PackedTargetFindings) => {
    if (isFactOnly(t)) facts.push(t);
    else if (checked) {
      owners.push(t);
      emit(t, checked);
    } else if (t.kind === 'apk') apks.push(t);
    else {
      const merged = mergeDuplicateApps(t);
      keepForFacts(merged);
      emit(merged);
    }
  };
  const sink = { target: out, skip: onSkip };
  const pathOptions = { exclude: excludeMatcher(options.exclude ?? []), seen: new Set<string>() };
  let stdinRead = false;
  const devicesSeen = new Set<string>();
  for (const spec of specs) {
    if (spec.kind === 'path') await readPathInput(spec.path, fileRegistry, ctx, sink, pathOptions, offload);
    else if (spec.kind === 'device') {
      if (devicesSeen.has(spec.raw))
        onSkip({ path: spec.raw, reason: 'device given twice', kind: 'duplicate' });
      devicesSeen.add(spec.raw);
    } else if (stdinRead) {
      onSkip({ path: '-', reason: 'standard input given twice (it can be read once)', kind: 'duplicate' });
    } else {
      stdinRead = true;
      if (!options.readStdin) out(failedTarget('-', 'stdin', 'standard input is not available'));
      else {
        let bytes: Uint8Array | undefined;
        try {
          bytes = await options.readStdin();
        } catch (error) {
          out(failedTarget('-', 'stdin', `cannot read standard input: ${describeError(error)}`));
        }
        if (bytes) for (const t of readListingBytes(bytes, '-', '<stdin>', 'stdin')) out(t);
      }
    }
  }
  for (const t of attachSplitTargets(apks)) emit(t);
  for (const fact of facts) {
    const owner = ownerOf(fact, owners);
    if (owner) mergeFacts(owner, fact, usersWithApps.get(owner));
    else {
      emit({
        ...fact,
        status: 'failed',
        error: 'device facts only: no app listing for this device was found among the inputs',
      });
    }
  }
  for (const t of await scanDevices(specs, ctx, options.concurrency ?? 4, onSkip)) out(t);
};

/**
 * A split APK (`split="config.arm64_v8a"`) is part of its base app, not an app of its own: when the
 * base was read in the same scan, the split's path joins the base record and its target is folded
 * into the base's target. A split without its base stays a target of its own.
 */
const attachSplitTargets = (targets: TargetResult[]): TargetResult[] => {
  const bases = new Map<string, { app: AppRecord; target: TargetResult }>();
  for (const target of targets) {
    for (const app of target.apps) {
      if (app.platform === 'android' && app.extra?.split === undefined) bases.set(app.id, { app, target });
    }
  }
  const kept: TargetResult[] = [];
  for (const target of targets) {
    const splits = target.apps.filter((a) => a.extra?.split !== undefined && bases.has(a.id));
    if (splits.length === 0 || splits.length !== target.apps.length) {
      kept.push(target);
      continue;
    }
    for (const split of splits) {
      const base = bases.get(split.id)!;
      base.app.paths = [...(base.app.paths ?? []), ...(split.paths ?? [target.id])];
      base.target.diagnostics.push({
        level: 'info',
        message: `split APK ${target.id} (${String(split.extra?.split)}) attached`,
      });
    }
  }
  return kept;
};

/** Collect inventories from every input without matching rules (`appwarden collect`). */
export const collect = async (options: ScanOptions): Promise<TargetResult[]> => {
  const targets: TargetResult[] = [];
  await collectEach(options, (t) => targets.push(t));
  return targets;
};

/** @deprecated kept for the public API; see verdict.ts. */
export { failsAt } from './verdict.js';

export interface EvaluateOptions {
  failOn?: FailOn;
  waivers?: Waiver[];
  now?: Date;
  /** A previous report to compare findings with (`--baseline`). */
  baseline?: Baseline;
  /** With a baseline: only findings the baseline did not have fail the run. */
  failOnNew?: boolean;
}

/**
 * Checks targets one at a time and assembles the result at the end, so a scan of many listings
 * holds only findings and target summaries, not every app (unless asked to keep them).
 */
export class Evaluation {
  private readonly matcher: Matcher;
  private readonly packs: Map<string, Pack>;
  private readonly rulesById: Map<string, Rule>;
  /** Strings repeated across the findings workers send (installer, rule pattern…), kept once. */
  private readonly sharedStrings = new Map<string, string>();
  private readonly targets: TargetResult[] = [];
  private readonly findings: Finding[] = [];
  private readonly notes: Finding[] = [];
  private readonly skipped: SkippedInput[] = [];

  /**
   * `matcher` replaces the JavaScript matcher (the DuckDB engine passes one built from its query
   * results), so waivers, baseline and verdict stay this code for every engine.
   */
  constructor(
    private readonly ruleSet: RuleSet,
    private readonly options: EvaluateOptions = {},
    matcher?: Matcher,
  ) {
    this.matcher = matcher ?? compileRuleSet(ruleSet);
    this.packs = new Map(ruleSet.packs.map((p) => [p.name, p]));
    this.rulesById = new Map(ruleSet.rules.map((r) => [r.id, r]));
  }

  /** Check one target; with keepApps false its app list is dropped once counted. */
  add(target: TargetResult, keepApps = true): void {
    this.addChecked(target, checkTarget(target, this.matcher, this.packs, keepApps));
  }

  /** An input the scan deliberately did not read: listed in every report, never a target. */
  skip(skipped: SkippedInput): void {
    this.skipped.push(skipped);
  }

  /** A target already checked (by a listing worker): its findings join the scan's as they are. */
  addChecked(target: TargetResult, packed: PackedTargetFindings): void {
    const checked = unpackFindings(target, packed, this.ruleSet.rules, this.sharedStrings);
    for (const f of checked.findings) this.findings.push(this.shareReferences(f));
    for (const f of checked.notes) this.notes.push(this.shareReferences(f));
    this.targets.push(target);
  }

  /** A finding sent from a worker carries a copy of its rule's references: keep one array per rule. */
  private shareReferences(f: Finding): Finding {
    const refs = this.rulesById.get(f.ruleId)?.references;
    if (refs && refs !== f.references && refs.length === f.references.length) {
      if (refs.every((r, i) => r === f.references[i])) f.references = refs;
    }
    return f;
  }

  finish(): ScanResult {
    const { ruleSet, targets, findings, notes } = this;
    const now = this.options.now ?? new Date();
    const failOn = this.options.failOn ?? 'low';
    sortFindings(findings);
    sortFindings(notes);
    const waivers = applyWaivers(this.options.waivers ?? [], findings, targets, now);
    const baseline = this.options.baseline
      ? applyBaseline(findings, this.options.baseline, this.options.failOnNew ?? false)
      : undefined;
    const live = findings.filter(isActive);
    const verdict = scanVerdict(targets, findings, failOn, baseline?.failOnNew);
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const f of live) bySeverity[f.severity]++;
    const summary: ScanSummary = {
      targets: targets.length,
      targetsScanned: targets.filter((t) => t.status === 'scanned').length,
      targetsPartial: targets.filter((t) => t.status === 'partial').length,
      targetsFailed: targets.filter((t) => t.status === 'failed').length,
      targetsIncomplete: verdict.incomplete,
      skipped: this.skipped.length,
      apps: targets.reduce((n, t) => n + countApps(t), 0),
      findings: findings.length,
      failing: verdict.failing,
      waived: findings.length - live.length,
      bySeverity,
    };
    const modes = new Set(ruleSet.packs.map((p) => p.mode));
    return {
      result: verdict.result,
      exitCode: verdict.exitCode,
      failOn,
      startedAt: now.toISOString(),
      rules: {
        sources: ruleSet.sources,
        count: ruleSet.rules.length,
        mode: modes.size > 1 ? 'mixed' : modes.has('allowlist') ? 'allowlist' : 'denylist',
        ids: [
          ...ruleSet.rules.map((r) => r.id),
          ...ruleSet.packs.flatMap((p) => (p.allowlist ? [p.allowlist.id] : [])),
        ],
        packs: packEditions(ruleSet),
      },
      targets,
      skipped: this.skipped,
      findings,
      notes,
      waivers,
      ...(baseline ? { baseline } : {}),
      summary,
    };
  }
}

/** Check already collected targets against a rule set. */
export const evaluate = (
  targets: TargetResult[],
  ruleSet: RuleSet,
  options: EvaluateOptions = {},
): ScanResult => {
  const evaluation = new Evaluation(ruleSet, options);
  for (const t of targets) evaluation.add(t);
  return evaluation.finish();
};

/**
 * A rule set with no rules (a publishers file, an empty pack) would pass everything: refuse it
 * rather than report a pass that checked nothing.
 */
export const requireRules = (ruleSet: RuleSet): void => {
  if (ruleSet.rules.length > 0 || ruleSet.packs.some((p) => p.allowlist)) return;
  const from = ruleSet.sources.length > 0 ? ruleSet.sources.join(', ') : 'the rule set';
  throw new AppwardenError(
    'RULES_INVALID',
    `no rules: ${from} defines no rules to check (a publishers file only names publishers; use a pack or a rule file)`,
  );
};

/** The rule set and evaluation options of a scan (shared by every engine). */
export const prepareScan = (options: ScanOptions): { ruleSet: RuleSet; evaluateOptions: EvaluateOptions } => {
  const ruleSet = options.ruleSet ?? loadRuleSet(options.rules ?? []);
  requireRules(ruleSet);
  const waivers =
    typeof options.waivers === 'string' ? loadWaivers(options.waivers) : (options.waivers ?? []);
  const evaluateOptions: EvaluateOptions = { waivers, now: options.now ?? new Date() };
  if (options.failOn) evaluateOptions.failOn = options.failOn;
  if (options.baseline !== undefined) {
    evaluateOptions.baseline =
      typeof options.baseline === 'string' ? loadBaseline(options.baseline) : options.baseline;
    evaluateOptions.failOnNew = options.failOnNew ?? false;
  } else if (options.failOnNew) {
    throw new AppwardenError('USAGE', '--fail-on-new needs --baseline PREVIOUS.json');
  }
  return { ruleSet, evaluateOptions };
};

/** The library entry point: collect every input and check it against the rule set. */
export const scan = async (options: ScanOptions): Promise<ScanResult> => {
  const { ruleSet, evaluateOptions } = prepareScan(options);
  const evaluation = new Evaluation(ruleSet, evaluateOptions);
  const keepApps = options.keepApps ?? true;
  let pool: ListingPool | undefined;
  const offload: FolderOffload = {
    poolFor: (files) => {
      // The main thread reads listings as well, so one core is left to it. On two cores a worker
      // did not pay (2,000 listings: 3.5 CPU-s and 7-8 s wall with one worker against 2.2 CPU-s
      // and 4-5 s in this thread alone), so it takes three cores or more.
      const cores = availableParallelism();
      const size = options.workers ?? (cores > 2 ? Math.min(cores - 1, MAX_WORKERS) : 0);
      const wanted = options.workers === undefined ? files >= POOL_MIN_FILES : files > 1;
      if (!wanted || size < 1) return undefined;
      pool ??= ListingPool.create(size, { ruleSet, keepApps });
      return pool;
    },
  };
  try {
    await collectEach(
      options,
      (t, checked) => (checked ? evaluation.addChecked(t, checked) : evaluation.add(t, keepApps)),
      offload,
      (skipped) => evaluation.skip(skipped),
    );
  } finally {
    await pool?.close();
  }
  return evaluation.finish();
};
