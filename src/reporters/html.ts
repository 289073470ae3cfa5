/**
 * A single self-contained HTML file a compliance officer can open or attach to a ticket: no script,
 * no network, a Content-Security-Policy that would block both even if markup slipped through.
 */
import { type AppRecord, countApps, type Finding, type ScanResult, type TargetResult } from '../model.js';
import { isIncomplete } from '../verdict.js';
import { barChart } from './html-charts.js';
import { h, hid } from './html-escape.js';
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

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const TARGET_VERDICT_LABEL: Record<TargetVerdict, string> = {
  fail: 'Fail',
  incomplete: 'Incomplete',
  failed: 'Not read',
  pass: 'Pass',
};

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

const findingRow = (finding: Finding, targets: Map<string, TargetResult>): string => {
  const target = targets.get(finding.target);
  const label = appLabel(finding);
  const profile = findingProfile(finding, target);
  const device = deviceLabel(target);
  const waived = !isActive(finding);
  return [
    `<tr class="${waived ? 'waived' : 'active'}">`,
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

const findingsTable = (findings: readonly Finding[], targets: Map<string, TargetResult>): string => {
  if (findings.length === 0) return '<p>No findings.</p>';
  return [
    '<div class="table-wrap"><table class="stack findings"><thead><tr>',
    '<th>Severity</th><th>Rule</th><th>App</th><th>Where</th><th>Publisher evidence</th><th>Matched on</th><th>Waiver</th>',
    '</tr></thead><tbody>',
    sortFindings(findings)
      .map((f) => findingRow(f, targets))
      .join('\n'),
    '</tbody></table></div>',
  ].join('\n');
};

const targetCard = (target: TargetResult, result: ScanResult): string => {
  const verdict = targetVerdict(target, result);
  const title = deviceLabel(target) ?? target.id;
  const own = result.findings.filter((f) => f.target === target.id);
  const rows: Array<[string, string]> = [];
  rows.push(['Input', `${h(target.kind)}${target.format ? ` (${h(target.format)})` : ''}`]);
  const model = deviceModel(target);
  if (model) rows.push(['Model', h(model)]);
  const os = osLabel(target);
  if (os) rows.push(['OS', h(os)]);
  const serial = target.device?.serial ?? target.device?.udid;
  if (serial) rows.push([target.device?.udid ? 'UDID' : 'Serial', `<span class="mono">${h(serial)}</span>`]);
  rows.push(['Apps', String(countApps(target))]);
  const active = own.filter(isActive).length;
  rows.push(['Findings', `${own.length}${own.length > active ? ` (${own.length - active} waived)` : ''}`]);
  if (target.profiles && target.profiles.length > 0) {
    const items = target.profiles.map(
      (p) =>
        `<li>${h(profileName(p))}: ${
          p.scanned ? 'scanned' : `<strong>not scanned</strong>${p.reason ? ` (${h(p.reason)})` : ''}`
        }</li>`,
    );
    rows.push(['Profiles', `<ul class="profiles">${items.join('')}</ul>`]);
  }
  const problem = isIncomplete(target)
    ? `<p class="problem"><strong>${h(incompleteWord(target))}:</strong> ${h(incompleteReason(target))}</p>`
    : '';
  return [
    `<article class="card v-${verdict}">`,
    `<header><div><h3>${h(title)}</h3>${title === target.id ? '' : `<span class="target-id mono">${h(target.id)}</span>`}</div>`,
    `${badge(`b-${verdict}`, TARGET_VERDICT_LABEL[verdict])}</header>`,
    `<dl>${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl>`,
    problem,
    '</article>',
  ].join('');
};

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
    `<p class="meta">Scan started ${h(result.startedAt)} · appwarden ${h(ctx.version)} · rules: ${h(rules)} · ${h(thresholdText(result.failOn))}</p></header>`,
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
    '<section aria-labelledby="findings"><h2 id="findings">Findings</h2>',
    findingsTable(result.findings, targets),
    '</section>',
    notesSection(result),
    '<section aria-labelledby="targets"><h2 id="targets">Targets</h2><div class="cards">',
    result.targets.map((t) => targetCard(t, result)).join('\n'),
    '</div></section>',
    waiversSection(result),
    baselineSection(result),
    skippedSection(result),
    ctx.includeInventory ? inventorySection(result) : '',
    '</main>',
    `<footer>Generated by appwarden ${h(ctx.version)}. Identities are read from the inputs; a certificate or team id is evidence of the publisher, not a verified signature unless stated.</footer>`,
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
};
