/**
 * A compact GitHub-flavoured Markdown summary for PR comments and `$GITHUB_STEP_SUMMARY`.
 *
 * Untrusted strings never reach the page as Markdown or HTML: identifiers are rendered as code spans
 * (fenced with more backticks than they contain, so no markup, mention or link is recognised inside),
 * free text is escaped (`\` punctuation, `&lt;` for `<`) and has `@` and `://` broken with a zero-width
 * space so a label cannot ping people or become a link. Pipes are escaped in table cells.
 */
import { countApps, SEVERITIES, type Severity } from '../model.js';
import {
  appLabel,
  baselineSentence,
  deviceLabel,
  findingProfile,
  incompleteCount,
  incompleteReason,
  incompleteTargets,
  incompleteWord,
  isActive,
  matchedOnText,
  resolvedLines,
  SKIP_KIND_TEXT,
  SKIPPED_SHOWN,
  skippedInputs,
  sortFindings,
  targetById,
  targetVerdict,
  thresholdText,
  VERDICT_WORD,
  verdictSentence,
} from './report-view.js';
import { sanitizeText } from './sanitize.js';
import type { Reporter } from './types.js';

export interface MarkdownOptions {
  /** Findings rows shown before "and N more"; GitHub caps a step summary at 1 MiB. */
  maxFindings?: number;
}

const VERDICT_EMOJI = { pass: '✅', fail: '❌', incomplete: '⚠️' } as const;
const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: '🟥',
  high: '🟧',
  medium: '🟨',
  low: '🟦',
  info: '⬜',
};

const TARGET_STATUS = {
  fail: '❌ fail',
  pass: '✅ pass',
  incomplete: '⚠️ partly scanned',
  failed: '⚠️ not scanned',
} as const;

const oneLine = (value: string): string => sanitizeText(value).replace(/\s+/g, ' ').trim();

/** Inline code that survives any content: fence longer than the longest backtick run inside. */
export const mdCode = (value: string, inTable = true): string => {
  const text = oneLine(value);
  if (text === '') return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  const body = inTable ? text.replace(/\|/g, '\\|') : text;
  return `${fence}${pad}${body}${pad}${fence}`;
};

const ZWSP = '&#8203;';

/** Plain text with Markdown, HTML, mentions and autolinks neutralised. */
export const mdText = (value: string, inTable = true): string => {
  const escaped = oneLine(value)
    .replace(/[\\`*_[\]{}()#+!~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, `@${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);
  return inTable ? escaped.replace(/\|/g, '\\|') : escaped;
};

const row = (cells: readonly string[]): string => `| ${cells.map((c) => c || ' ').join(' | ')} |`;

export const createMarkdownReporter = (options: MarkdownOptions = {}): Reporter => {
  const maxFindings = Math.max(0, options.maxFindings ?? 50);
  return (result, ctx) => {
    const s = result.summary;
    const targets = targetById(result);
    const out: string[] = [];

    out.push(`## ${VERDICT_EMOJI[result.result]} appwarden: ${VERDICT_WORD[result.result]}`, '');
    out.push(`**${mdText(verdictSentence(result), false)}**`, '');
    if (result.baseline) out.push(`Baseline ${mdText(baselineSentence(result), false)}`, '');

    out.push(
      row(['Targets', 'Apps', 'Findings', 'Failing', 'Waived', 'Incomplete targets', 'Skipped inputs']),
      row(['---:', '---:', '---:', '---:', '---:', '---:', '---:']),
      row(
        [s.targets, s.apps, s.findings, s.failing, s.waived, incompleteCount(result), s.skipped ?? 0].map(
          String,
        ),
      ),
      '',
    );
    out.push(SEVERITIES.map((sev) => `${SEVERITY_EMOJI[sev]} ${sev} ${s.bySeverity[sev]}`).join(' · '), '');

    if (result.targets.length > 0) {
      out.push('### Targets', '');
      out.push(
        row(['Target', 'Device', 'Status', 'Apps', 'Findings']),
        row(['---', '---', '---', '---:', '---:']),
      );
      for (const t of result.targets) {
        const own = result.findings.filter((f) => f.target === t.id);
        const active = own.filter(isActive).length;
        out.push(
          row([
            mdCode(t.id),
            mdText(deviceLabel(t) ?? ''),
            TARGET_STATUS[targetVerdict(t, result)],
            String(countApps(t)),
            `${own.length}${own.length > active ? ` (${own.length - active} waived)` : ''}`,
          ]),
        );
      }
      out.push('');
    }

    if (result.findings.length > 0) {
      out.push('### Findings', '');
      out.push(
        row(['Severity', 'Rule', 'App', 'Target', 'Profile', 'Matched on', 'Waiver']),
        row(['---', '---', '---', '---', '---', '---', '---']),
      );
      const sorted = sortFindings(result.findings);
      for (const f of sorted.slice(0, maxFindings)) {
        const label = appLabel(f);
        const w = f.waiver;
        const waiver = !w
          ? ''
          : w.status === 'applied'
            ? `waived: ${mdCode(w.id)} until ${mdText(w.expires)}`
            : `**expired** ${mdCode(w.id)} (${mdText(w.expires)})`;
        out.push(
          row([
            `${SEVERITY_EMOJI[f.severity]} ${f.severity}${f.baseline === 'new' ? ' **new**' : ''}`,
            `${mdCode(f.ruleId)} ${mdText(f.title)}`,
            `${mdCode(f.app.id)}${label ? ` ${mdText(label)}` : ''}`,
            mdCode(f.target),
            mdText(findingProfile(f, targets.get(f.target))),
            mdText(matchedOnText(f)),
            waiver,
          ]),
        );
      }
      const hidden = sorted.length - Math.min(sorted.length, maxFindings);
      if (hidden > 0) {
        out.push(
          '',
          `_…and ${hidden} more finding${hidden === 1 ? '' : 's'} not shown; see the full report._`,
        );
      }
      out.push('');
    }

    const incomplete = incompleteTargets(result);
    if (incomplete.length > 0) {
      out.push('### ⚠️ Incomplete targets', '');
      for (const t of incomplete) {
        out.push(`- ${mdCode(t.id, false)}: ${incompleteWord(t)}: ${mdText(incompleteReason(t), false)}`);
      }
      out.push('');
    }

    const resolved = resolvedLines(result);
    if (resolved.length > 0) {
      out.push('### Resolved since the baseline', '');
      for (const line of resolved) out.push(`- ${mdText(line, false)}`);
      out.push('');
    }

    const skipped = skippedInputs(result);
    if (skipped.length > 0) {
      out.push('### Skipped inputs', '');
      for (const x of skipped.slice(0, SKIPPED_SHOWN)) {
        out.push(`- ${mdCode(x.path, false)}: ${mdText(`${SKIP_KIND_TEXT[x.kind]}: ${x.reason}`, false)}`);
      }
      if (skipped.length > SKIPPED_SHOWN) {
        out.push(
          '',
          `_…and ${skipped.length - SKIPPED_SHOWN} more; every one is listed in the JSON report._`,
        );
      }
      out.push('');
    }

    if (result.notes.length > 0) {
      out.push('### Near misses', '');
      for (const n of sortFindings(result.notes)) {
        out.push(
          `- ${mdCode(n.app.id, false)} on ${mdCode(n.target, false)} differs only by case from ${mdCode(
            n.nearMiss ?? '',
            false,
          )} (rule ${mdCode(n.ruleId, false)})`,
        );
      }
      out.push('');
    }

    const expired = result.waivers.filter((w) => w.expired);
    if (expired.length > 0) {
      out.push(
        `Expired waivers: ${expired.map((w) => `${mdCode(w.id, false)} (${mdText(w.expires, false)})`).join(', ')}`,
        '',
      );
    }

    const rules = `${result.rules.sources.join(', ') || 'none'}, ${result.rules.count} rules, ${result.rules.mode}`;
    out.push(
      `<sub>appwarden ${mdText(ctx.version, false)} · rules: ${mdText(rules, false)} · ${mdText(
        thresholdText(result.failOn),
        false,
      )} · scan started ${mdText(result.startedAt, false)}</sub>`,
      '',
    );
    return out.join('\n');
  };
};

export const markdown: Reporter = createMarkdownReporter();
