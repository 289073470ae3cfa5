/**
 * Facts the human-facing reporters (html, markdown, csv, github) derive from a ScanResult the same way:
 * ordering, per-target verdicts, profile names, evidence wording. Returned strings are NOT escaped for
 * any format; each reporter escapes for its own syntax.
 */
import type {
  AppRecord,
  FailOn,
  Finding,
  MatchDetail,
  ProfileInfo,
  Publisher,
  ScanResult,
  SkippedInput,
  TargetKind,
  TargetResult,
  Verdict,
} from '../model.js';
import {
  isIncomplete,
  sortFindings as sortInPlace,
  type TargetVerdict,
  targetVerdict as targetVerdictOf,
  targetVerdicts,
} from '../verdict.js';
import { sanitizeText } from './sanitize.js';

export { isActive, isFailing, severityRank } from '../verdict.js';
/** `high and above`, or a note that findings never fail the run. */
export const thresholdText = (failOn: FailOn): string =>
  failOn === 'none'
    ? 'never fails on findings'
    : failOn === 'info'
      ? 'fails on any finding, info included'
      : `fails on ${failOn} and above`;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A copy in the one report order (verdict.ts); the scan's own lists are already in it. */
export const sortFindings = (findings: readonly Finding[]): Finding[] => {
  const copy = [...findings];
  sortInPlace(copy);
  return copy;
};

/** Targets whose id is a path the user passed (so annotations can point at the file). */
const FILE_KINDS: ReadonlySet<TargetKind> = new Set([
  'listing',
  'inventory',
  'apk',
  'ipa',
  'image',
  'packages-xml',
]);

export const isFileTarget = (target: TargetResult): boolean => FILE_KINDS.has(target.kind);

export { TARGET_VERDICTS, type TargetVerdict } from '../verdict.js';

const verdictsByResult = new WeakMap<ScanResult, Map<string, TargetVerdict>>();

/** The target's verdict, as the scan's verdict module decides it (computed once per result). */
export const targetVerdict = (target: TargetResult, result: ScanResult): TargetVerdict => {
  let verdicts = verdictsByResult.get(result);
  if (!verdicts) {
    verdicts = targetVerdicts(result.targets, result.findings, result.failOn, result.baseline?.failOnNew);
    verdictsByResult.set(result, verdicts);
  }
  return verdicts.get(target.id) ?? targetVerdictOf(target, false);
};

export const VERDICT_WORD: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', incomplete: 'INCOMPLETE' };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One sentence that explains the verdict, for banners and summary lines. */
export const verdictSentence = (result: ScanResult): string => {
  const s = result.summary;
  const incomplete = s.targetsIncomplete;
  const parts: string[] = [];
  if (result.result === 'fail') {
    const word = result.baseline?.failOnNew ? 'new unwaived finding' : 'unwaived finding';
    parts.push(`${plural(s.failing, word)} at or above ${result.failOn}`);
  } else if (result.result === 'pass') {
    parts.push(
      result.failOn === 'none'
        ? `${plural(s.findings - s.waived, 'unwaived finding')} (fail-on none)`
        : `no unwaived findings at or above ${result.failOn}`,
    );
  }
  if (incomplete > 0) {
    parts.push(`${plural(incomplete, 'target')} not fully scanned`);
  } else if (result.result === 'incomplete') {
    parts.push('the scan could not be completed');
  }
  return parts.join('; ');
};

export const targetById = (result: ScanResult): Map<string, TargetResult> =>
  new Map(result.targets.map((t) => [t.id, t]));

/** Device name as the user knows it, else manufacturer + model, else undefined. Sanitised. */
export const deviceLabel = (target: TargetResult | undefined): string | undefined => {
  const d = target?.device;
  if (!d) return undefined;
  const model = [d.manufacturer, d.model].filter(Boolean).join(' ');
  const label = d.name ?? (model || undefined);
  return label === undefined ? undefined : sanitizeText(label);
};

export const deviceModel = (target: TargetResult): string | undefined => {
  const d = target.device;
  if (!d) return undefined;
  const model = [d.manufacturer, d.model].filter(Boolean).join(' ');
  return model ? sanitizeText(model) : undefined;
};

export const osLabel = (target: TargetResult): string | undefined => {
  const d = target.device;
  if (!d?.osVersion) return undefined;
  const platform = (d.platform ?? target.apps[0]?.platform) === 'ios' ? 'iOS' : 'Android';
  return sanitizeText(`${platform} ${d.osVersion}${d.sdk ? ` (SDK ${d.sdk})` : ''}`);
};

export const profileName = (profile: ProfileInfo): string => {
  const name = profile.name ? sanitizeText(profile.name) : profile.kind;
  return `${name} (user ${profile.user}${profile.name ? `, ${profile.kind}` : ''})`;
};

/** Which profile/user the finding's app lives in, as words; '' when the input has no notion of users. */
export const appProfile = (app: AppRecord, target: TargetResult | undefined): string => {
  const user = app.user;
  if (user === undefined) return '';
  const profile = target?.profiles?.find((p) => p.user === user);
  return profile ? profileName(profile) : `user ${user}`;
};

export const findingProfile = (finding: Finding, target: TargetResult | undefined): string =>
  appProfile(finding.app, target);

export const appLabel = (finding: Finding): string =>
  finding.app.name ? sanitizeText(finding.app.name) : '';

/** `a1c2e3f4…8d9eaf01`: enough to recognise a certificate, full value kept elsewhere. */
export const shortDigest = (hex: string): string =>
  hex.length > 20 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;

export interface PublisherEvidence {
  certs: string[];
  teamId?: string;
  name?: string;
}

export const publisherEvidence = (publisher: Publisher): PublisherEvidence => ({
  certs: (publisher.certSha256 ?? []).map(sanitizeText),
  teamId: publisher.teamId === undefined ? undefined : sanitizeText(publisher.teamId),
  name: publisher.name === undefined ? undefined : sanitizeText(publisher.name),
});

// Certificate digests, whichever criterion (cert-sha256, a named publisher) matched them.
const DIGEST = /^[0-9a-f]{32,}$/i;

/** `cert-sha256 a1c2e3f4…8d9eaf01`, `package com.x (com.x*)`: what satisfied the rule, briefly. */
export const matchText = (detail: MatchDetail, short = true): string => {
  const value = sanitizeText(detail.value);
  const pattern = sanitizeText(detail.pattern);
  const shown = short && DIGEST.test(value) ? shortDigest(value) : value;
  // Named publishers arrive as `publisher:KEY` with the kind of identifier as the pattern.
  if (detail.criterion.startsWith('publisher:')) {
    return `publisher ${sanitizeText(detail.criterion.slice('publisher:'.length))} (${pattern} ${shown})`;
  }
  const via = pattern !== value ? ` (rule: ${pattern})` : '';
  return `${sanitizeText(detail.criterion)} ${shown}${via}`;
};

export const matchedOnText = (finding: Finding, short = true): string =>
  finding.matchedOn.map((d) => matchText(d, short)).join('; ');

/** Where a finding's evidence is, as a file path (and line) when the input was a file. */
export const evidenceLocation = (
  finding: Finding,
  target: TargetResult | undefined,
): { path: string; line?: number } | undefined => {
  if (finding.app.origin.path) return { path: finding.app.origin.path, line: finding.app.origin.line };
  if (target && isFileTarget(target)) return { path: target.id };
  return undefined;
};

/** Counts sorted by count (desc) then key, capped. */
export const topCounts = (keys: readonly string[], limit: number): Array<[string, number]> => {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || compare(a[0], b[0])).slice(0, limit);
};

export const incompleteTargets = (result: ScanResult): TargetResult[] => result.targets.filter(isIncomplete);

/** Why a target is not complete, in one line, from its error or its unscanned profiles. */
export const incompleteReason = (target: TargetResult): string => {
  if (target.error) return sanitizeText(target.error);
  const missing = (target.profiles ?? []).filter((p) => !p.scanned);
  if (missing.length > 0) {
    return missing
      .map((p) => `${profileName(p)} not scanned${p.reason ? `: ${sanitizeText(p.reason)}` : ''}`)
      .join('; ');
  }
  if (target.status === 'scanned') return 'no apps read';
  return target.status === 'failed' ? 'could not be read' : 'only partly read';
};

/** Why a target is not complete, as a status word: read not at all, in part, or with no apps. */
export const incompleteWord = (target: TargetResult): string =>
  target.status === 'failed'
    ? 'not scanned'
    : target.status === 'partial'
      ? 'partly scanned'
      : 'no apps read';

/** How many targets leave the verdict incomplete (the scan's own count, from the verdict module). */
export const incompleteCount = (result: ScanResult): number =>
  result.summary.targetsIncomplete ?? incompleteTargets(result).length;

export const SKIP_KIND_TEXT: Record<SkippedInput['kind'], string> = {
  excluded: 'excluded',
  'not-app-data': 'not app data',
  duplicate: 'duplicate input',
};

/** Inputs the scan deliberately did not read, sanitised, in path order. */
export const skippedInputs = (result: ScanResult): SkippedInput[] =>
  [...(result.skipped ?? [])]
    .map((x) => ({ path: sanitizeText(x.path), reason: sanitizeText(x.reason), kind: x.kind }))
    .sort((a, b) => compare(a.path, b.path));

/** Skipped inputs shown in a human-facing list before "and N more" (JSON, CSV, SARIF list all). */
export const SKIPPED_SHOWN = 50;

/** `resolved since the baseline` lines: rule, app and target of each finding that went away. */
export const resolvedLines = (result: ScanResult): string[] =>
  (result.baseline?.resolved ?? []).map(
    (f) =>
      `${sanitizeText(f.ruleId)}: ${sanitizeText(f.appId)} on ${sanitizeText(f.target)}${f.user !== undefined ? ` (user ${f.user})` : ''}`,
  );

/** One sentence comparing with the baseline, for banners and summary lines; '' without one. */
export const baselineSentence = (result: ScanResult): string => {
  const b = result.baseline;
  if (!b) return '';
  return `since ${sanitizeText(b.file)}${b.startedAt ? ` (${sanitizeText(b.startedAt)})` : ''}: ${b.new} new, ${b.unchanged} still present, ${b.resolved.length} resolved${b.failOnNew ? '; only new findings fail' : ''}`;
};
