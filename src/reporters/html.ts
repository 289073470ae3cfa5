/**
 * A single self-contained HTML file a compliance officer can open or attach to a ticket: no network,
 * and a Content-Security-Policy that lets only the report's own script run (by its SHA-256), so
 * markup that slipped through could neither run code nor fetch anything. Everything is visible
 * without that script; it only adds local times and filters.
 */
import {
  type AppRecord,
  countApps,
  type Finding,
  type ScanResult,
  SEVERITIES,
  type TargetResult,
} from '../model.js';
import { isIncomplete } from '../verdict.js';
import { barChart } from './html-charts.js';
import { h, hid } from './html-escape.js';
import { HTML_SCRIPT, scriptHashSource } from './html-script.js';
import { HTML_STYLE } from './html-style.js';
import { packEditionText } from './pack-editions.js';
import {
  appLabel,
  baselineSentence,
  deviceLabel,
  deviceModel,
  findingProfile,
  incompleteCount,
  incompleteReason,
  incompleteTargets,
  incompleteWord,
  isActive,
  matchText,
  osLabel,
  profileName,
  publisherEvidence,
  resolvedLines,
  SKIP_KIND_TEXT,
  shortDigest,
  skippedInputs,
  sortFindings,
  TARGET_VERDICTS,
  type TargetVerdict,
  targetById,
  targetVerdict,
  thresholdText,
  topCounts,
  VERDICT_WORD,
  verdictSentence,
} from './report-view.js';
import type { Reporter } from './types.js';

/** Only the inline stylesheet and the one script whose hash is given; nothing fetched, nothing posted. */
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptHashSource(HTML_SCRIPT)}; img-src data:; base-uri 'none'; form-action 'none'`;

const TARGET_VERDICT_LABEL: Record<TargetVerdict, string> = {
  fail: 'Fail',
  incomplete: 'Incomplete',
  failed: 'Not read',
  pass: 'Pass',
};

/**
 * A moment as its ISO UTC text, so the file is byte-for-byte reproducible; the script rewrites it
 * in the reader's zone (keeping the UTC text in the title).
 */
const timeElement = (iso: string): string => `<time datetime="${h(iso)}" data-local>${h(iso)}</time>`;

const badge = (cls: string, text: string): string => `<span class="badge ${cls}">${h(text)}</span>`;

const stat = (value: number, label: string): string =>
  `<div class="stat"><b>${value}</b><span>${h(label)}</span></div>`;

const publisherCell = (app: AppRecord): string => {
  const p = publisherEvidence(app.publisher);
  const parts = p.certs.map(
    (c) => `<span class="mono" title="SHA-256 ${h(c)}">cert ${h(shortDigest(c))}</span>`,
  );
  if (p.teamId) parts.push(`<span class="mono">team ${h(p.teamId)}</span>`);
  if (p.name) parts.push(`<span>${h(p.name)}</span>`);
  return parts.length > 0 ? parts.join('<br>') : '<span class="muted">unknown</span>';
};

const matchedCell = (finding: Finding): string =>
  finding.matchedOn
    .map((d) => {
      const full = matchText(d, false);
      const short = matchText(d, true);
      return full === short ? `<span>${h(short)}</span>` : `<span title="${h(full)}">${h(short)}</span>`;
    })
    .join('<br>');

const waiverCell = (finding: Finding): string => {
  const w = finding.waiver;
  if (!w) return '<span class="muted">—</span>';
  if (w.status === 'applied') {
    const who = [w.approvedBy, w.ticket].filter((x): x is string => x !== undefined).join(', ');
    return [
      badge('b-waived', 'Waived'),
      `<span class="sub">${h(w.id)} until ${h(w.expires)}</span>`,
      `<span class="sub">${h(w.reason)}${who ? ` (${h(who)})` : ''}</span>`,
    ].join('');
  }
  return `${badge('b-expired', 'Waiver expired')}<span class="sub">${h(w.id)} expired ${h(w.expires)}; no longer waives</span>`;
};

/**
 * The rule's policy references as text, primary source first: copyable, never links, so the
 * report stays free of anything a browser would fetch or follow.
 */
const referencesText = (finding: Finding): string =>
  finding.references.length === 0
    ? ''
    : `<span class="sub refs">${finding.references.map((r) => `<span class="mono">${hid(r)}</span>`).join(' · ')}</span>`;

/** Lower-case text the target filter searches: the target id and what the device calls itself. */
const targetSearchText = (targetId: string, target: TargetResult | undefined): string =>
  [targetId, deviceLabel(target), target ? deviceModel(target) : undefined]
    .filter((x): x is string => x !== undefined)
    .join(' ')
    .toLowerCase();

const findingRow = (finding: Finding, targets: Map<string, TargetResult>, result: ScanResult): string => {
  const target = targets.get(finding.target);
  const label = appLabel(finding);
  const profile = findingProfile(finding, target);
  const device = deviceLabel(target);
  const waived = !isActive(finding);
  const verdict = target ? targetVerdict(target, result) : 'fail';
  return [
    `<tr class="${waived ? 'waived' : 'active'}" data-severity="${finding.severity}" data-verdict="${verdict}" data-target="${h(
      targetSearchText(finding.target, target),
    )}">`,
    `<td data-label="Severity">${badge(`sev-${finding.severity}`, finding.severity)}${
      finding.baseline === 'new' ? ` ${badge('b-new', 'new')}` : ''
    }</td>`,
    `<td data-label="Rule"><code>${hid(finding.ruleId)}</code><span class="sub">${h(finding.title)}</span>${
      finding.message ? `<span class="sub">${h(finding.message)}</span>` : ''
    }${referencesText(finding)}</td>`,
    `<td data-label="App"><code>${hid(finding.app.id)}</code>${label ? `<span class="sub">${h(label)}</span>` : ''}${
      finding.app.versionName ? `<span class="sub">version ${h(finding.app.versionName)}</span>` : ''
    }</td>`,
    `<td data-label="Where">${device ? `${h(device)}<span class="sub mono">${hid(finding.target)}</span>` : `<span class="mono">${hid(finding.target)}</span>`}${
      profile ? `<span class="sub">${h(profile)}</span>` : ''
    }</td>`,
    `<td data-label="Publisher">${publisherCell(finding.app)}</td>`,
    `<td data-label="Matched on">${matchedCell(finding)}</td>`,
    `<td data-label="Waiver">${waiverCell(finding)}</td>`,
    '</tr>',
  ].join('');
};

const findingsTable = (
  findings: readonly Finding[],
  targets: Map<string, TargetResult>,
  result: ScanResult,
): string =>
  [
    '<div class="table-wrap"><table class="stack findings"><thead><tr>',
    '<th>Severity</th><th>Rule</th><th>App</th><th>Where</th><th>Publisher evidence</th><th>Matched on</th><th>Waiver</th>',
    '</tr></thead><tbody>',
    findings.map((f) => findingRow(f, targets, result)).join('\n'),
    '</tbody></table></div>',
  ].join('\n');

/**
 * Findings that count first; waived ones apart in a closed group, so a long list of accepted
 * exceptions does not bury what has to be acted on (an expired waiver no longer waives: it stays up).
 */
const findingsSection = (result: ScanResult, targets: Map<string, TargetResult>): string => {
  if (result.findings.length === 0) return '<p>No findings.</p>';
  const sorted = sortFindings(result.findings);
  const active = sorted.filter(isActive);
  const waived = sorted.filter((f) => !isActive(f));
  return [
    active.length > 0 ? findingsTable(active, targets, result) : '<p>No unwaived findings.</p>',
    waived.length > 0
      ? [
          `<details class="group" data-group="waived"><summary>${plural(waived.length, 'waived finding')}</summary>`,
          findingsTable(waived, targets, result),
          '</details>',
        ].join('\n')
      : '',
  ]
    .filter((x) => x !== '')
    .join('\n');
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const TARGET_STATUS_WORD: Record<TargetResult['status'], string> = {
  scanned: 'scanned',
  partial: 'partly scanned',
  failed: 'not read',
};

const targetRow = (target: TargetResult, result: ScanResult, own: readonly Finding[]): string => {
  const verdict = targetVerdict(target, result);
  const label = deviceLabel(target);
  const serial = target.device?.serial ?? target.device?.udid;
  const input = `${target.kind}${target.format ? ` (${target.format})` : ''}`;
  const who = [
    label
      ? `<strong>${h(label)}</strong><span class="sub mono">${hid(target.id)}</span>`
      : `<span class="mono">${hid(target.id)}</span>`,
    serial
      ? `<span class="sub">${target.device?.udid ? 'UDID' : 'serial'} <span class="mono">${h(serial)}</span></span>`
      : '',
    `<span class="sub">${h(input)}</span>`,
  ].join('');
  const status = [
    h(TARGET_STATUS_WORD[target.status]),
    isIncomplete(target)
      ? `<span class="sub problem-text">${h(incompleteWord(target))}: ${h(incompleteReason(target))}</span>`
      : '',
    target.profiles && target.profiles.length > 0
      ? `<ul class="profiles">${target.profiles
          .map(
            (p) =>
              `<li>${h(profileName(p))}: ${
                p.scanned ? 'scanned' : `<strong>not scanned</strong>${p.reason ? ` (${h(p.reason)})` : ''}`
              }</li>`,
          )
          .join('')}</ul>`
      : '',
  ].join('');
  const active = own.filter(isActive).length;
  const findings = `${own.length}${own.length > active ? `<span class="sub">${own.length - active} waived</span>` : ''}`;
  return [
    `<tr class="v-${verdict}" data-verdict="${verdict}" data-target="${h(targetSearchText(target.id, target))}">`,
    `<td data-label="Target">${who}</td>`,
    `<td data-label="Model">${h(deviceModel(target) ?? '')}</td>`,
    `<td data-label="OS">${h(osLabel(target) ?? '')}</td>`,
    `<td data-label="Status">${status}</td>`,
    `<td data-label="Apps" class="num">${countApps(target)}</td>`,
    `<td data-label="Findings" class="num">${findings}</td>`,
    `<td data-label="Verdict">${badge(`b-${verdict}`, TARGET_VERDICT_LABEL[verdict])}</td>`,
    '</tr>',
  ].join('');
};

const TARGET_HEAD =
  '<div class="table-wrap"><table class="stack targets"><thead><tr><th>Target</th><th>Model</th><th>OS</th><th>Status</th><th>Apps</th><th>Findings</th><th>Verdict</th></tr></thead><tbody>';

/**
 * One row per target, worst verdict first (verdict.ts order), then most unwaived findings. Passing
 * targets sit in a closed group so a fleet of 150 phones leads with the few that need action.
 */
const targetsSection = (result: ScanResult): string => {
  const own = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = own.get(f.target);
    if (list) list.push(f);
    else own.set(f.target, [f]);
  }
  const ranked = result.targets
    .map((t, index) => ({
      t,
      index,
      rank: TARGET_VERDICTS.indexOf(targetVerdict(t, result)),
      active: (own.get(t.id) ?? []).filter(isActive).length,
    }))
    .sort((a, b) => a.rank - b.rank || b.active - a.active || a.index - b.index);
  const rows = (list: typeof ranked): string =>
    list.map(({ t }) => targetRow(t, result, own.get(t.id) ?? [])).join('\n');
  const needAction = ranked.filter(({ t }) => targetVerdict(t, result) !== 'pass');
  const clean = ranked.filter(({ t }) => targetVerdict(t, result) === 'pass');
  return [
    needAction.length > 0 ? [TARGET_HEAD, rows(needAction), '</tbody></table></div>'].join('\n') : '',
    clean.length > 0
      ? [
          `<details class="group" data-group="clean"><summary>${plural(clean.length, 'clean target')} (pass)</summary>`,
          TARGET_HEAD,
          rows(clean),
          '</tbody></table></div></details>',
        ].join('\n')
      : '',
  ]
    .filter((x) => x !== '')
    .join('\n');
};

const SEVERITY_OPTIONS = SEVERITIES.map(
  (s, i) => `<option value="${s}">${s}${i < SEVERITIES.length - 1 ? ' and above' : ''}</option>`,
).join('');

const STATUS_OPTIONS = TARGET_VERDICTS.map(
  (v) => `<option value="${v}">${h(TARGET_VERDICT_LABEL[v])}</option>`,
).join('');

/**
 * The filter bar: hidden in the markup and shown by the script, so a reader without script never
 * sees controls that do nothing. Not a <form>: nothing is ever submitted.
 */
const filterBar = (): string =>
  [
    '<div class="filters" id="filters" role="search" aria-label="Filter targets and findings" hidden>',
    `<label>Severity <select id="f-severity"><option value="">any</option>${SEVERITY_OPTIONS}</select></label>`,
    `<label>Target verdict <select id="f-status"><option value="">any</option>${STATUS_OPTIONS}</select></label>`,
    '<label>Target <input id="f-target" type="search" placeholder="name, model or path" autocomplete="off"></label>',
    '<output id="f-count" aria-live="polite"></output>',
    '</div>',
  ].join('');

const fleetCharts = (result: ScanResult): string => {
  const verdicts = result.targets.map((t) => targetVerdict(t, result));
  const byVerdict = TARGET_VERDICTS.map((v) => ({
    label: TARGET_VERDICT_LABEL[v],
    value: verdicts.filter((x) => x === v).length,
    tone: `bar-${v}`,
  }));
  const severityOf = new Map(result.findings.map((f) => [f.ruleId, f.severity]));
  const rules = topCounts(
    result.findings.map((f) => f.ruleId),
    8,
  ).map(([label, value]) => ({ label, value, tone: `bar-${severityOf.get(label) ?? 'info'}` }));
  const apps = topCounts(
    result.findings.map((f) => f.app.id),
    8,
  ).map(([label, value]) => ({ label, value }));
  return [
    '<div class="charts">',
    barChart('Targets by verdict', byVerdict),
    barChart('Top rules (findings)', rules),
    barChart('Top apps (findings)', apps),
    '</div>',
  ].join('\n');
};

/** With `--baseline`: what changed since the previous report, and the findings that went away. */
const baselineSection = (result: ScanResult): string => {
  if (!result.baseline) return '';
  const resolved = resolvedLines(result);
  return [
    '<section aria-labelledby="baseline"><h2 id="baseline">Since the baseline</h2>',
    `<p>${h(baselineSentence(result))}</p>`,
    resolved.length > 0
      ? `<ul class="plain">${resolved.map((line) => `<li>resolved: ${h(line)}</li>`).join('\n')}</ul>`
      : '',
    '</section>',
  ].join('\n');
};

/** Inputs not read on purpose (excluded, not app data, duplicates): every one, with the reason. */
const skippedSection = (result: ScanResult): string => {
  const skipped = skippedInputs(result);
  if (skipped.length === 0) return '';
  return [
    '<section aria-labelledby="skipped"><h2 id="skipped">Skipped inputs</h2>',
    '<p>These inputs were met and deliberately not read.</p><ul class="plain">',
    skipped
      .map(
        (x) =>
          `<li><span class="mono">${h(x.path)}</span>: ${h(SKIP_KIND_TEXT[x.kind])}: ${h(x.reason)}</li>`,
      )
      .join('\n'),
    '</ul></section>',
  ].join('\n');
};

const incompleteSection = (result: ScanResult): string => {
  const incomplete = incompleteTargets(result);
  if (incomplete.length === 0) return '';
  return [
    '<section aria-labelledby="incomplete"><h2 id="incomplete">Incomplete targets</h2>',
    '<p>These inputs were not fully read, so a banned app could be present without being reported. ',
    'The scan cannot count them as compliant.</p><ul class="plain">',
    incomplete
      .map(
        (t) =>
          `<li>${
            deviceLabel(t)
              ? `<strong>${h(deviceLabel(t))}</strong> <span class="mono muted">${h(t.id)}</span>`
              : `<strong class="mono">${h(t.id)}</strong>`
          }: ${h(incompleteWord(t))}: ${h(incompleteReason(t))}</li>`,
      )
      .join('\n'),
    '</ul></section>',
  ].join('\n');
};

const notesSection = (result: ScanResult): string => {
  if (result.notes.length === 0) return '';
  return [
    '<section aria-labelledby="notes"><h2 id="notes">Near misses</h2>',
    '<p>Apps whose id differs from a rule only by letter case. They are not findings; check whether they are lookalikes.</p>',
    '<ul class="plain">',
    sortFindings(result.notes)
      .map(
        (n) =>
          `<li><code>${h(n.app.id)}</code>${n.app.name ? ` (${h(n.app.name)})` : ''} on <span class="mono">${h(
            n.target,
          )}</span> resembles <code>${h(n.nearMiss ?? '')}</code> from rule <code>${h(n.ruleId)}</code></li>`,
      )
      .join('\n'),
    '</ul></section>',
  ].join('\n');
};

const waiversSection = (result: ScanResult): string => {
  if (result.waivers.length === 0) return '';
  const rows = result.waivers.map(
    (w) =>
      `<tr><td data-label="Waiver"><code>${h(w.id)}</code></td><td data-label="Status">${
        w.expired ? badge('b-expired', 'Expired') : badge('b-waived', 'Active')
      }</td><td data-label="Expires">${h(w.expires)}</td><td data-label="Uses">${w.uses}</td><td data-label="Reason">${h(
        w.reason,
      )}</td><td data-label="Approved">${h([w.approvedBy, w.ticket].filter(Boolean).join(', ') || '—')}</td></tr>`,
  );
  return [
    '<section aria-labelledby="waivers"><h2 id="waivers">Waivers</h2>',
    '<div class="table-wrap"><table class="stack"><thead><tr><th>Waiver</th><th>Status</th><th>Expires</th><th>Uses</th><th>Reason</th><th>Approved</th></tr></thead><tbody>',
    rows.join('\n'),
    '</tbody></table></div></section>',
  ].join('\n');
};

const inventorySection = (result: ScanResult): string => {
  const blocks = result.targets
    .filter((t) => t.apps.length > 0)
    .map((t) => {
      const flagged = new Set(
        result.findings.filter((f) => f.target === t.id).map((f) => `${f.app.id}\u0000${f.app.user}`),
      );
      const apps = [...t.apps].sort((a, b) =>
        a.id < b.id ? -1 : a.id > b.id ? 1 : (a.user ?? -1) - (b.user ?? -1),
      );
      const rows = apps.map(
        (a) =>
          `<tr${flagged.has(`${a.id}\u0000${a.user}`) ? ' class="flagged"' : ''}><td data-label="App"><code>${hid(a.id)}</code>${
            a.name ? `<span class="sub">${h(a.name)}</span>` : ''
          }</td><td data-label="Version">${h(a.versionName ?? '')}</td><td data-label="User">${h(a.user ?? '')}</td><td data-label="Publisher">${publisherCell(a)}</td><td data-label="Finding">${
            flagged.has(`${a.id}\u0000${a.user}`) ? badge('b-fail', 'finding') : ''
          }</td></tr>`,
      );
      return [
        `<details open><summary>${h(deviceLabel(t) ?? t.id)} (${t.apps.length} apps)</summary>`,
        '<div class="table-wrap"><table class="stack"><thead><tr><th>App</th><th>Version</th><th>User</th><th>Publisher</th><th>Finding</th></tr></thead><tbody>',
        rows.join('\n'),
        '</tbody></table></div></details>',
      ].join('\n');
    });
  return `<section aria-labelledby="inventory"><h2 id="inventory">Inventory</h2>\n${blocks.join('\n')}</section>`;
};

export const html: Reporter = (result, ctx) => {
  const targets = targetById(result);
  const s = result.summary;
  const word = VERDICT_WORD[result.result];
  const editions = packEditionText(result);
  const rules = `${result.rules.sources.join(', ') || 'none'} (${result.rules.count} rules, ${result.rules.mode})${editions ? `; packs ${editions}` : ''}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="color-scheme" content="light dark">',
    `<meta name="generator" content="appwarden ${h(ctx.version)}">`,
    `<title>appwarden ${h(word)}: ${s.targets} targets, ${s.findings} findings</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head>',
    '<body>',
    '<header class="top"><h1>appwarden scan report</h1>',
    `<p class="meta">Scan started ${timeElement(result.startedAt)} · appwarden ${h(ctx.version)} · rules: ${h(rules)} · ${h(thresholdText(result.failOn))}</p></header>`,
    '<main>',
    `<section class="verdict verdict-${result.result}" role="status"><p class="verdict-word">${h(word)}</p>`,
    `<p class="verdict-detail">${h(verdictSentence(result))}</p></section>`,
    '<section class="stats" aria-label="Totals">',
    stat(s.targets, 'targets'),
    stat(s.apps, 'apps inventoried'),
    stat(s.findings, 'findings'),
    stat(s.failing, result.failOn === 'none' ? 'failing' : `failing (≥ ${result.failOn})`),
    stat(s.waived, 'waived'),
    stat(incompleteCount(result), 'targets incomplete'),
    stat(s.skipped ?? 0, 'inputs skipped'),
    '</section>',
    '<section aria-labelledby="fleet"><h2 id="fleet">Fleet summary</h2>',
    fleetCharts(result),
    '</section>',
    incompleteSection(result),
    filterBar(),
    '<section aria-labelledby="targets"><h2 id="targets">Targets</h2>',
    targetsSection(result),
    '</section>',
    '<section aria-labelledby="findings"><h2 id="findings">Findings</h2>',
    findingsSection(result, targets),
    '</section>',
    notesSection(result),
    waiversSection(result),
    baselineSection(result),
    skippedSection(result),
    ctx.includeInventory ? inventorySection(result) : '',
    '</main>',
    `<footer>Generated by appwarden ${h(ctx.version)}. Identities are read from the inputs; a certificate or team id is evidence of the publisher, not a verified signature unless stated.</footer>`,
    `<script>${HTML_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
};
