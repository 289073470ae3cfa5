/**
 * The one place that decides what fails, what is incomplete and in which order findings are shown.
 * The scan computes the verdict with these functions and every reporter reads them, so an exit
 * code, a CSV `failing` column and a Markdown banner can never disagree.
 */
import {
  countApps,
  EXIT,
  type FailOn,
  type Finding,
  SEVERITIES,
  type Severity,
  type TargetResult,
  type Verdict,
} from './model.js';

export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

/**
 * True when an unwaived finding of this severity fails the run: at or above the threshold.
 * `--fail-on info` fails on any finding; `none` never fails on findings.
 */
export const failsAt = (severity: Severity, failOn: FailOn): boolean =>
  failOn !== 'none' && severityRank(severity) <= severityRank(failOn);

/** True when the finding is not waived (an expired waiver no longer waives). */
export const isActive = (finding: Finding): boolean => finding.waiver?.status !== 'applied';

/**
 * An active finding at or above the threshold; with `onlyNew` (`--fail-on-new`), one the baseline
 * report already had does not fail the run.
 */
export const isFailing = (finding: Finding, failOn: FailOn, onlyNew = false): boolean =>
  isActive(finding) && failsAt(finding.severity, failOn) && !(onlyNew && finding.baseline === 'unchanged');

/**
 * A target that could not be read, was read in part, or held no apps leaves the scan incomplete:
 * a phone or listing always holds apps, so an empty one was not really seen.
 */
export const isIncomplete = (target: TargetResult): boolean =>
  target.status !== 'scanned' || countApps(target) === 0;

export type TargetVerdict = 'pass' | 'fail' | 'incomplete' | 'failed';

/** Worst first: the order reports list targets in. */
export const TARGET_VERDICTS: readonly TargetVerdict[] = ['fail', 'incomplete', 'failed', 'pass'];

/**
 * A target fails on its own failing findings; otherwise one that could not be read at all is
 * `failed`, one read in part (or empty) `incomplete`, and only a fully read one with apps passes.
 */
export const targetVerdict = (target: TargetResult, failing: boolean): TargetVerdict => {
  if (failing) return 'fail';
  if (target.status === 'failed') return 'failed';
  if (isIncomplete(target)) return 'incomplete';
  return 'pass';
};

/** Every target's verdict, computed once from the findings (not per target by scanning them all). */
export const targetVerdicts = (
  targets: readonly TargetResult[],
  findings: readonly Finding[],
  failOn: FailOn,
  onlyNew = false,
): Map<string, TargetVerdict> => {
  const failingTargets = new Set<string>();
  for (const f of findings) if (isFailing(f, failOn, onlyNew)) failingTargets.add(f.target);
  return new Map(targets.map((t) => [t.id, targetVerdict(t, failingTargets.has(t.id))]));
};

export interface ScanVerdict {
  result: Verdict;
  exitCode: number;
  /** Active findings at or above the threshold. */
  failing: number;
  /** Targets not fully read (failed, partial or empty). */
  incomplete: number;
}

/**
 * The run's verdict. Findings win over incomplete: a banned app found is a failure whatever else
 * could not be read. A scan of nothing is incomplete, never a pass.
 */
export const scanVerdict = (
  targets: readonly TargetResult[],
  findings: readonly Finding[],
  failOn: FailOn,
  onlyNew = false,
): ScanVerdict => {
  let failing = 0;
  for (const f of findings) if (isFailing(f, failOn, onlyNew)) failing++;
  let incomplete = 0;
  for (const t of targets) if (isIncomplete(t)) incomplete++;
  const result: Verdict =
    failing > 0 ? 'fail' : targets.length === 0 || incomplete > 0 ? 'incomplete' : 'pass';
  return { result, exitCode: EXIT[result], failing, incomplete };
};

/**
 * Collation rank of each distinct string: equal ranks exactly where localeCompare says 0, so
 * comparing ranks orders like localeCompare while calling it once per distinct value, not per pair.
 */
const collationRanks = (values: Iterable<string>): Map<string, number> => {
  const distinct = [...new Set(values)].sort((a, b) => a.localeCompare(b));
  const ranks = new Map<string, number>();
  let rank = 0;
  for (let i = 0; i < distinct.length; i++) {
    const value = distinct[i]!;
    if (i > 0 && distinct[i - 1]!.localeCompare(value) !== 0) rank++;
    ranks.set(value, rank);
  }
  return ranks;
};

/**
 * The one order of findings in every report: by target, then severity (most severe first), rule,
 * app id and user. Sorts in place and stably, so findings equal on every key keep the order they
 * were found in. Reporters keep this order instead of sorting again.
 */
export const sortFindings = (findings: Finding[]): void => {
  if (findings.length < 2) return;
  const targets = collationRanks(findings.map((f) => f.target));
  const rules = collationRanks(findings.map((f) => f.ruleId));
  const ids = collationRanks(findings.map((f) => f.app.id));
  // One number per key, so the comparator reads arrays instead of calling into ICU.
  const n = findings.length;
  const k0 = new Float64Array(n);
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const f = findings[i]!;
    k0[i] = targets.get(f.target)! * SEVERITIES.length + severityRank(f.severity);
    k1[i] = rules.get(f.ruleId)!;
    k2[i] = ids.get(f.app.id)!;
    order[i] = i;
  }
  const users = findings.map((f) => f.app.user ?? -1);
  order.sort((a, b) => k0[a]! - k0[b]! || k1[a]! - k1[b]! || k2[a]! - k2[b]! || users[a]! - users[b]!);
  const sorted = order.map((i) => findings[i]!);
  for (let i = 0; i < n; i++) findings[i] = sorted[i]!;
};
