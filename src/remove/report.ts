/**
 * The text and JSON `appwarden remove` prints: the plan, each step's outcome with the tool's own
 * message, and the re-scan's verdict. Pure functions of the plan and results.
 */
import { EXIT, type ScanResult } from '../model.js';
import { toJsonDocument } from '../reporters/json.js';
import { sanitizeText } from '../reporters/sanitize.js';
import type { StepResult } from '../sources/remove.js';
import type { RemovalPlan, RemovalStep } from './plan.js';

/** Version of the `remove` JSON document (docs/remove.md). */
const REMOVE_SCHEMA_VERSION = 1;

const who = (s: Pick<RemovalStep, 'target' | 'user' | 'app' | 'name'>): string =>
  sanitizeText(
    `${s.target}${s.user === undefined ? '' : `  user ${s.user}`}  ${s.app}${s.name ? ` (${s.name})` : ''}`,
  );

/**
 * A command as a user would type it. The adb shell string is shown unquoted: its words are the
 * plan's own (ids are checked to be shell-safe before a step is planned), and adb joins them anyway.
 */
const commandLine = (argv: readonly string[]): string =>
  argv.map((a) => (/^[A-Za-z0-9._:/= -]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

export const renderPlan = (plan: RemovalPlan, dryRun: boolean): string => {
  const out: string[] = [];
  if (plan.steps.length === 0) {
    out.push('Nothing to remove: no failing finding on a connected device.');
  } else {
    out.push(
      dryRun
        ? `Plan (dry run: nothing was changed; run again with --yes to remove): ${plan.uninstall} to remove, ${plan.skipped} not removed`
        : `Plan: ${plan.uninstall} to remove, ${plan.skipped} not removed`,
    );
    for (const s of plan.steps) {
      const rules = sanitizeText(s.rules.join(', '));
      if (s.action === 'uninstall') {
        out.push(`  remove  ${who(s)}  [${s.severity}] ${rules}`);
        out.push(`          ${sanitizeText(commandLine(s.command ?? []))}`);
      } else {
        out.push(`  not removed: ${sanitizeText(s.reason ?? '')}  ${who(s)}  [${s.severity}] ${rules}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
};

export const renderStep = (r: StepResult): string =>
  `  ${r.status === 'done' ? 'done  ' : 'FAILED'}  ${who(r)}: ${sanitizeText(r.message)}\n`;

export const renderVerdict = (
  rescan: ScanResult | undefined,
  exitCode: number,
  steps: StepResult[],
): string => {
  const failed = steps.filter((s) => s.status === 'failed').length;
  const done = steps.length - failed;
  const lines: string[] = [];
  if (steps.length > 0)
    lines.push(`Removed ${done} of ${steps.length}${failed > 0 ? ` (${failed} failed)` : ''}.`);
  if (rescan) {
    const s = rescan.summary;
    lines.push(
      `Re-scan: ${rescan.result} (${s.targets} device(s), ${s.failing} failing finding(s), ${s.waived} waived, ${s.targetsIncomplete} incomplete)`,
    );
  }
  const why: Record<number, string> = {
    [EXIT.pass]: 'everything planned was removed and the re-scan passes',
    [EXIT.fail]: 'findings remain',
    [EXIT.incomplete]: failed > 0 ? 'a step failed' : 'a device could not be fully read',
  };
  lines.push(`Exit ${exitCode}: ${why[exitCode] ?? ''}`);
  return `${lines.join('\n')}\n`;
};

export interface RemoveDocument {
  remove: {
    schemaVersion: number;
    version: string;
    dryRun: boolean;
    startedAt: string;
    exitCode: number;
    plan: RemovalStep[];
    results: StepResult[];
    /** The first scan's verdict, whose findings made the plan. */
    scan: { result: string; exitCode: number; summary: ScanResult['summary'] };
  };
  /** The re-scan after acting (absent on a dry run), as the `scan --format json` document. */
  rescan?: ReturnType<typeof toJsonDocument>;
}

export const removeDocument = (args: {
  version: string;
  dryRun: boolean;
  startedAt: string;
  exitCode: number;
  plan: RemovalPlan;
  results: StepResult[];
  scan: ScanResult;
  rescan?: ScanResult;
}): RemoveDocument => {
  const doc: RemoveDocument = {
    remove: {
      schemaVersion: REMOVE_SCHEMA_VERSION,
      version: args.version,
      dryRun: args.dryRun,
      startedAt: args.startedAt,
      exitCode: args.exitCode,
      plan: args.plan.steps,
      results: args.results,
      scan: { result: args.scan.result, exitCode: args.scan.exitCode, summary: args.scan.summary },
    },
  };
  if (args.rescan) doc.rescan = toJsonDocument(args.rescan, args.version, false);
  return doc;
};
