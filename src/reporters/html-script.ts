/**
 * The report's one script, allowed by its SHA-256 in the page's CSP: nothing else can run. It only
 * improves a page that is complete without it (every row visible, times in UTC): it shows times in
 * the reader's zone and wires the filter bar. It reads no untrusted text into markup (textContent
 * and `hidden` only), fetches nothing and adds no handler attributes.
 */
import { createHash } from 'node:crypto';

export const HTML_SCRIPT = `
(() => {
  'use strict';
  const byId = (id) => document.getElementById(id);
  const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
  for (const t of document.querySelectorAll('time[data-local]')) {
    const when = new Date(t.getAttribute('datetime') || '');
    if (Number.isNaN(when.getTime())) continue;
    t.title = t.textContent + ' (UTC)';
    t.textContent = local.format(when);
  }
  const bar = byId('filters');
  if (!bar) return;
  const sev = byId('f-severity');
  const status = byId('f-status');
  const target = byId('f-target');
  const count = byId('f-count');
  const ranks = ['critical', 'high', 'medium', 'low', 'info'];
  const rows = [...document.querySelectorAll('tr[data-verdict]')];
  const groups = [...document.querySelectorAll('details[data-group]')];
  const apply = () => {
    const max = sev.value ? ranks.indexOf(sev.value) : ranks.length;
    const query = target.value.trim().toLowerCase();
    const filtering = sev.value !== '' || status.value !== '' || query !== '';
    const seen = { targets: [0, 0], findings: [0, 0] };
    for (const row of rows) {
      const rank = row.dataset.severity ? ranks.indexOf(row.dataset.severity) : -1;
      const show =
        rank <= max &&
        (status.value === '' || row.dataset.verdict === status.value) &&
        (query === '' || (row.dataset.target || '').includes(query));
      row.hidden = !show;
      const tally = row.dataset.severity ? seen.findings : seen.targets;
      tally[1] += 1;
      if (show) tally[0] += 1;
    }
    if (filtering) {
      for (const g of groups) g.open = g.querySelector('tr[data-verdict]:not([hidden])') !== null;
    }
    count.textContent =
      'Showing ' + seen.targets[0] + ' of ' + seen.targets[1] + ' targets, ' +
      seen.findings[0] + ' of ' + seen.findings[1] + ' findings';
  };
  const pick = (control, value) => {
    if (value !== null && [...(control.options || [])].some((o) => o.value === value)) control.value = value;
  };
  const wanted = new URLSearchParams(location.hash.slice(1));
  pick(sev, wanted.get('severity'));
  pick(status, wanted.get('status'));
  target.value = wanted.get('target') || '';
  for (const control of [sev, status, target]) control.addEventListener('input', apply);
  bar.hidden = false;
  apply();
})();
`;

/** The CSP source that allows exactly HTML_SCRIPT (`'sha256-…'`, base64 of the digest). */
export const scriptHashSource = (script: string): string =>
  `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
