/**
 * GitHub Actions workflow commands (`::error file=…,title=…::message`), read by the runner from stdout.
 *
 * Every value is sanitised and then escaped as the runner expects (data: `%`, CR, LF; properties also
 * `:` and `,`), so an app label cannot end the command early or start a new one. Levels: critical and
 * high → error, medium → warning, low and info → notice. Waived findings are still annotated, as a
 * notice saying who waived them until when; an expired waiver keeps the finding's own level. Targets
 * that could not be read are errors, partly read (or empty) targets warnings, near misses notices, and
 * inputs skipped on purpose one notice listing them.
 */
import type { Finding, ScanResult, Severity, TargetResult } from '../model.js';
import { isIncomplete } from '../verdict.js';
import {
  appLabel,
  deviceLabel,
  evidenceLocation,
  findingProfile,
  incompleteReason,
  incompleteWord,
  isActive,
  isFileTarget,
  matchedOnText,
  SKIP_KIND_TEXT,
  SKIPPED_SHOWN,
  skippedInputs,
  sortFindings,
  targetById,
  VERDICT_WORD,
  verdictSentence,
} from './report-view.js';
import { sanitizeText } from './sanitize.js';
import type { Reporter } from './types.js';

type Level = 'error' | 'warning' | 'notice';

const LEVEL: Record<Severity, Level> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'notice',
  info: 'notice',
};

/** Escaping for the message part (after `::`). */
export const escapeData = (value: string): string =>
  value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** Escaping for a property value (`file=`, `title=`). */
export const escapeProperty = (value: string): string =>
  escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');

interface Annotation {
  level: Level;
  file?: string;
  line?: number;
  title: string;
  /** Our own text lines; each is sanitised, joined with real newlines, then escaped. */
  message: string[];
}

const render = (a: Annotation): string => {
  const props: string[] = [];
  if (a.file !== undefined) {
    props.push(`file=${escapeProperty(sanitizeText(a.file))}`);
    if (a.line !== undefined) props.push(`line=${a.line}`);
  }
  props.push(`title=${escapeProperty(sanitizeText(a.title))}`);
  const message = a.message.map((m) => sanitizeText(m)).join('\n');
  return `::${a.level} ${props.join(',')}::${escapeData(message)}`;
};

const where = (f: Finding, target: TargetResult | undefined): string => {
  const device = deviceLabel(target);
  const profile = findingProfile(f, target);
  return `${device ? `${device} (${f.target})` : f.target}${profile ? `, ${profile}` : ''}`;
};

const findingAnnotation = (f: Finding, target: TargetResult | undefined): Annotation => {
  const label = appLabel(f);
  const loc = evidenceLocation(f, target);
  const w = f.waiver;
  const lines = [
    `${f.severity.toUpperCase()}: ${label ? `${label} (${f.app.id})` : f.app.id} on ${where(f, target)}`,
    `Matched on ${matchedOnText(f, false)}.`,
    f.message,
  ];
  if (w?.status === 'applied') lines.push(`Waived by ${w.id} until ${w.expires}: ${w.reason}`);
  if (w?.status === 'expired') lines.push(`Waiver ${w.id} expired on ${w.expires} and no longer applies.`);
  return {
    level: isActive(f) ? LEVEL[f.severity] : 'notice',
    file: loc?.path,
    line: loc?.line,
    title: `${isActive(f) ? '' : 'waived: '}${f.ruleId}: ${f.title}`,
    message: lines,
  };
};

const targetAnnotation = (t: TargetResult): Annotation => ({
  level: t.status === 'failed' ? 'error' : 'warning',
  file: isFileTarget(t) ? t.id : undefined,
  title: `appwarden: target ${incompleteWord(t)}`,
  message: [
    `${deviceLabel(t) ? `${deviceLabel(t)} (${t.id})` : t.id}: ${incompleteReason(t)}`,
    'Apps on it may be missing from this report.',
  ],
});

const noteAnnotation = (n: Finding, target: TargetResult | undefined): Annotation => {
  const loc = evidenceLocation(n, target);
  return {
    level: 'notice',
    file: loc?.path,
    line: loc?.line,
    title: `near miss: ${n.ruleId}`,
    message: [
      `${n.app.id} on ${where(n, target)} differs only by letter case from ${n.nearMiss ?? 'a rule id'}.`,
    ],
  };
};

/** One notice listing the inputs not read on purpose: the runner caps notices, so not one each. */
const skippedAnnotations = (result: ScanResult): Annotation[] => {
  const skipped = skippedInputs(result);
  if (skipped.length === 0) return [];
  const shown = skipped
    .slice(0, SKIPPED_SHOWN)
    .map((x) => `${x.path}: ${SKIP_KIND_TEXT[x.kind]}: ${x.reason}`);
  if (skipped.length > SKIPPED_SHOWN)
    shown.push(`…and ${skipped.length - SKIPPED_SHOWN} more (see the JSON report)`);
  return [
    {
      level: 'notice',
      title: `appwarden: ${skipped.length} input${skipped.length === 1 ? '' : 's'} skipped`,
      message: shown,
    },
  ];
};

const ORDER: readonly Level[] = ['error', 'warning', 'notice'];

export const github: Reporter = (result: ScanResult) => {
  const targets = targetById(result);
  const annotations: Annotation[] = [
    ...sortFindings(result.findings).map((f) => findingAnnotation(f, targets.get(f.target))),
    ...result.targets.filter(isIncomplete).map(targetAnnotation),
    ...sortFindings(result.notes).map((n) => noteAnnotation(n, targets.get(n.target))),
    ...skippedAnnotations(result),
  ];
  // The runner shows only the first few annotations of each level, so the most serious go first.
  const ordered = ORDER.flatMap((level) => annotations.filter((a) => a.level === level));
  const lines = ordered.map(render);
  lines.push(`appwarden: ${VERDICT_WORD[result.result]}: ${verdictSentence(result)}`);
  return `${lines.join('\n')}\n`;
};
