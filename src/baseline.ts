/**
 * `--baseline PREVIOUS.json`: compare a scan's findings with an earlier appwarden JSON report, so
 * a security manager sees what is new, what is still there and what was resolved, and a CI gate
 * can fail only on what changed (`--fail-on-new`). The identity of a finding is the rule, the
 * target, the platform, the user and the app id: the same banned app still on the same phone.
 */
import { readFileSync, statSync } from 'node:fs';
import { AppwardenError } from './errors.js';
import type { Finding } from './model.js';

/** What a finding of the previous report is reduced to: enough to name it when it is resolved. */
interface BaselineFinding {
  ruleId: string;
  target: string;
  appId: string;
  platform?: string;
  user?: number;
  severity?: string;
}

export interface Baseline {
  /** The file the previous report came from, as the user named it. */
  file: string;
  /** When the previous scan started, from its report. */
  startedAt?: string;
  findings: BaselineFinding[];
}

/** Summary of the comparison carried by the result and shown by reports. */
export interface BaselineSummary {
  file: string;
  startedAt?: string;
  new: number;
  unchanged: number;
  /** Findings of the previous report that this scan no longer has. */
  resolved: BaselineFinding[];
  /** `--fail-on-new`: only new findings can fail the run. */
  failOnNew: boolean;
}

// A previous report is read whole; real ones are kilobytes to a few megabytes.
const MAX_BASELINE_BYTES = 256 * 1024 * 1024;

const findingKey = (f: {
  ruleId: string;
  target: string;
  appId: string;
  platform?: string;
  user?: number;
}): string => JSON.stringify([f.ruleId, f.target, f.platform ?? '', f.user ?? -1, f.appId]);

const keyOf = (f: Finding): string =>
  findingKey({
    ruleId: f.ruleId,
    target: f.target,
    appId: f.app.id,
    platform: f.app.platform,
    user: f.app.user,
  });

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read the findings of an appwarden JSON report, checking it is one. Pure: text in, data out. */
const parseBaseline = (text: string, file: string): Baseline => {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new AppwardenError('USAGE', `baseline ${file}: not JSON: ${(error as Error).message}`);
  }
  if (
    !isRecord(doc) ||
    !isRecord(doc.tool) ||
    doc.tool.name !== 'appwarden' ||
    !Array.isArray(doc.findings)
  ) {
    throw new AppwardenError(
      'USAGE',
      `baseline ${file}: not an appwarden JSON report (write one with --format json or -o json=FILE)`,
    );
  }
  const findings: BaselineFinding[] = [];
  doc.findings.forEach((raw, i) => {
    const app = isRecord(raw) && isRecord(raw.app) ? raw.app : undefined;
    if (
      !isRecord(raw) ||
      !app ||
      typeof raw.ruleId !== 'string' ||
      typeof raw.target !== 'string' ||
      typeof app.id !== 'string'
    ) {
      throw new AppwardenError(
        'USAGE',
        `baseline ${file}: finding #${i + 1} has no ruleId, target or app id`,
      );
    }
    const f: BaselineFinding = { ruleId: raw.ruleId, target: raw.target, appId: app.id };
    if (typeof app.platform === 'string') f.platform = app.platform;
    if (typeof app.user === 'number') f.user = app.user;
    if (typeof raw.severity === 'string') f.severity = raw.severity;
    findings.push(f);
  });
  const baseline: Baseline = { file, findings };
  if (typeof doc.startedAt === 'string') baseline.startedAt = doc.startedAt;
  return baseline;
};

export const loadBaseline = (file: string): Baseline => {
  let text: string;
  try {
    if (statSync(file).size > MAX_BASELINE_BYTES) {
      throw new AppwardenError('USAGE', `baseline ${file}: larger than ${MAX_BASELINE_BYTES} bytes`);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof AppwardenError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppwardenError(
      'USAGE',
      `baseline ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`}`,
    );
  }
  return parseBaseline(text, file);
};

/**
 * Mark each finding `new` or `unchanged` in place and list what the previous report had that
 * this one does not. Waived findings are compared too: a waiver does not make an app go away.
 */
export const applyBaseline = (
  findings: Finding[],
  baseline: Baseline,
  failOnNew: boolean,
): BaselineSummary => {
  const previous = new Map(baseline.findings.map((f) => [findingKey(f), f]));
  const current = new Set<string>();
  let added = 0;
  for (const f of findings) {
    const key = keyOf(f);
    current.add(key);
    f.baseline = previous.has(key) ? 'unchanged' : 'new';
    if (f.baseline === 'new') added++;
  }
  const resolved = [...previous].filter(([key]) => !current.has(key)).map(([, f]) => f);
  const summary: BaselineSummary = {
    file: baseline.file,
    new: added,
    unchanged: findings.length - added,
    resolved,
    failOnNew,
  };
  if (baseline.startedAt) summary.startedAt = baseline.startedAt;
  return summary;
};
