/**
 * The terminal report: one section per target, findings under it, then notes, waivers and a
 * one-line verdict. Colour comes only from the chalk instance in the context (level 0 = none).
 */
import { countApps, type Finding, type ScanResult, type Severity, type TargetResult } from '../model.js';
import { packEditionText } from './pack-editions.js';
import {
  baselineSentence,
  incompleteCount,
  resolvedLines,
  SKIP_KIND_TEXT,
  SKIPPED_SHOWN,
  skippedInputs,
} from './report-view.js';
import { sanitizeText as s } from './sanitize.js';
import type { Reporter, ReporterContext } from './types.js';

const userLabel = (t: TargetResult, user: number | undefined): string => {
  if (user === undefined) return '';
  const profile = t.profiles?.find((p) => p.user === user);
  if (profile && profile.kind !== 'primary') return ` [user ${user}: ${profile.kind} profile]`;
  return user === 0 ? '' : ` [user ${user}]`;
};

const deviceLine = (t: TargetResult): string => {
  const d = t.device;
  if (!d) return '';
  const parts = [
    d.manufacturer,
    d.model ?? d.name,
    d.osVersion ? `${d.platform === 'ios' ? 'iOS' : 'Android'} ${d.osVersion}` : undefined,
  ]
    .filter((x): x is string => !!x)
    .map(s);
  return parts.length > 0 ? ` — ${parts.join(' ')}` : '';
};

const paint = (ctx: ReporterContext, severity: Severity, text: string): string => {
  const c = ctx.chalk;
  switch (severity) {
    case 'critical':
      return c.bold.red(text);
    case 'high':
      return c.red(text);
    case 'medium':
      return c.yellow(text);
    case 'low':
      return c.cyan(text);
    case 'info':
      return c.gray(text);
  }
};

const evidence = (f: Finding): string =>
  f.matchedOn
    .map((m) => {
      const value =
        m.value.length === 64 && /^[0-9a-f]+$/.test(m.value) ? `${m.value.slice(0, 16)}…` : m.value;
      // Named publishers arrive as `publisher:KEY` with the kind of identifier as the pattern.
      if (m.criterion.startsWith('publisher:')) {
        return `publisher ${s(m.criterion.slice('publisher:'.length))} (${s(m.pattern)}=${s(value)})`;
      }
      return `${m.criterion}=${s(value)}`;
    })
    .join(', ');

const findingLines = (f: Finding, t: TargetResult, ctx: ReporterContext): string[] => {
  const c = ctx.chalk;
  const label = f.app.name ? ` "${s(f.app.name)}"` : '';
  const version = f.app.versionName ? ` ${s(f.app.versionName)}` : '';
  const sev = paint(ctx, f.severity, f.severity.toUpperCase().padEnd(8));
  const waiver =
    f.waiver?.status === 'applied'
      ? c.gray(` (waived: ${s(f.waiver.id)}, until ${f.waiver.expires})`)
      : f.waiver?.status === 'expired'
        ? c.yellow(` (waiver ${s(f.waiver.id)} EXPIRED ${f.waiver.expires})`)
        : '';
  const isNew = f.baseline === 'new' ? ` ${c.bold.magenta('NEW')}` : '';
  const head = `  ${sev} ${c.bold(s(f.app.id))}${version}${label}${userLabel(t, f.app.user)}  ${c.dim(f.ruleId)}${waiver}${isNew}`;
  return [head, `           ${s(f.message)}`, `           ${c.dim(`matched on ${evidence(f)}`)}`];
};

const statusText = (t: TargetResult, ctx: ReporterContext): string => {
  const c = ctx.chalk;
  if (t.status === 'failed') return c.red('NOT SCANNED');
  if (t.status === 'partial') return c.yellow('PARTIAL');
  if (countApps(t) === 0) return c.yellow('EMPTY');
  return c.green('scanned');
};

export const renderTable: Reporter = (result: ScanResult, ctx) => {
  const c = ctx.chalk;
  const out: string[] = [];
  const byTarget = new Map<string, Finding[]>();
  for (const f of result.findings) byTarget.set(f.target, [...(byTarget.get(f.target) ?? []), f]);
  const editions = packEditionText(result);
  if (editions) out.push(c.dim(`rules: ${editions}`));
  if (ctx.settingsFile) out.push(c.dim(`settings: ${s(ctx.settingsFile)}`));
  if (editions || ctx.settingsFile) out.push('');
  for (const t of result.targets) {
    const apps = `${countApps(t)} app${countApps(t) === 1 ? '' : 's'}`;
    const format = t.format ? `, ${t.format}` : '';
    out.push(`${c.bold(s(t.id))}${deviceLine(t)}  ${statusText(t, ctx)} (${apps}${format})`);
    if (t.error) out.push(`  ${t.status === 'scanned' ? c.yellow('!') : c.red('✗')} ${s(t.error)}`);
    for (const p of t.profiles ?? []) {
      // The target's error often already names the profile; say it once.
      if (!p.scanned && !(p.reason && t.error?.includes(p.reason)))
        out.push(
          `  ${c.yellow('!')} user ${p.user} (${p.kind}${p.name ? `, ${s(p.name)}` : ''}) not scanned: ${s(p.reason ?? 'inaccessible')}`,
        );
    }
    for (const d of t.diagnostics.filter((d) => d.level !== 'info')) {
      out.push(`  ${c.yellow('!')} ${s(d.message)}${d.line ? ` (line ${d.line})` : ''}`);
    }
    const findings = byTarget.get(t.id) ?? [];
    for (const f of findings) out.push(...findingLines(f, t, ctx));
    if (findings.length === 0 && t.status !== 'failed' && countApps(t) > 0)
      out.push(`  ${c.green('✓')} no banned apps found`);
    out.push('');
  }
  if (result.notes.length > 0) {
    out.push(c.bold('Notes'));
    for (const n of result.notes)
      out.push(`  ${c.gray('NOTE')}     ${s(n.target)}: ${s(n.message)} (${n.ruleId})`);
    out.push('');
  }
  const unused = result.waivers.filter((w) => w.uses === 0);
  const expired = result.waivers.filter((w) => w.expired && w.uses > 0);
  if (expired.length > 0 || unused.length > 0) {
    out.push(c.bold('Waivers'));
    for (const w of expired)
      out.push(
        `  ${c.yellow('expired')} ${s(w.id)} (${w.expires}) no longer applies to ${w.uses} finding(s)`,
      );
    for (const w of unused)
      out.push(
        `  ${c.gray('unused')}  ${s(w.id)}${w.expired ? ` (expired ${w.expires})` : ''} matched nothing`,
      );
    out.push('');
  }
  if (result.baseline) {
    out.push(c.bold(`Baseline: ${baselineSentence(result)}`));
    for (const line of resolvedLines(result)) out.push(`  ${c.green('resolved')} ${line}`);
    out.push('');
  }
  const skipped = skippedInputs(result);
  if (skipped.length > 0) {
    out.push(c.bold(`Skipped (${skipped.length} input${skipped.length === 1 ? '' : 's'} not read)`));
    for (const x of skipped.slice(0, SKIPPED_SHOWN))
      out.push(`  ${c.gray('-')} ${x.path}: ${SKIP_KIND_TEXT[x.kind]}: ${x.reason}`);
    if (skipped.length > SKIPPED_SHOWN)
      out.push(
        `  ${c.gray(`…and ${skipped.length - SKIPPED_SHOWN} more (every one is listed in the JSON report)`)}`,
      );
    out.push('');
  }
  out.push(verdictLine(result, ctx));
  return `${out.join('\n')}\n`;
};

const verdictLine = (result: ScanResult, ctx: ReporterContext): string => {
  const c = ctx.chalk;
  const sm = result.summary;
  const counts = `${sm.targets} target${sm.targets === 1 ? '' : 's'}, ${sm.apps} apps, ${sm.findings} finding${sm.findings === 1 ? '' : 's'}${sm.waived ? ` (${sm.waived} waived)` : ''}`;
  const notScanned = incompleteCount(result);
  const skipped = sm.skipped ? `; ${sm.skipped} input${sm.skipped === 1 ? '' : 's'} skipped` : '';
  switch (result.result) {
    case 'fail':
      return `${c.bold.red('FAIL')} ${sm.failing} finding${sm.failing === 1 ? '' : 's'} at or above ${result.failOn} — ${counts}${notScanned ? `; ${notScanned} target(s) not fully scanned` : ''}${skipped}`;
    case 'incomplete':
      return sm.targets === 0
        ? `${c.bold.yellow('INCOMPLETE')} nothing was scanned — ${counts}${skipped}`
        : `${c.bold.yellow('INCOMPLETE')} not everything could be scanned — ${counts}; ${notScanned} target(s) not fully scanned (${sm.targetsFailed} failed, ${sm.targetsPartial} partial, ${notScanned - sm.targetsFailed - sm.targetsPartial} empty)${skipped}`;
    case 'pass':
      return sm.findings - sm.waived > 0
        ? `${c.bold.green('PASS')} no findings at or above ${result.failOn} — ${counts}${skipped}`
        : `${c.bold.green('PASS')} no banned apps — ${counts}${skipped}`;
  }
};
