/**
 * JUnit XML for CI test tabs: one testsuite per target, one testcase per rule × app finding,
 * plus one passing testcase per rule with no finding on that target (so the pass count means
 * something); waived findings are skipped; a target that could not be (fully) scanned is an error;
 * inputs skipped on purpose are skipped cases of one `skipped inputs` suite.
 */
import type { Finding, ScanResult } from '../model.js';
import { isIncomplete } from '../verdict.js';
import { incompleteReason, incompleteWord, SKIP_KIND_TEXT, skippedInputs } from './report-view.js';
import { escapeXml } from './sanitize.js';
import type { Reporter } from './types.js';

/**
 * Newlines and tabs stay as character references, so no line of the file starts with an untrusted
 * string (a line `::error file=…` fires if the file is ever printed in a GitHub Actions log).
 * In attributes this also keeps them: XML parsers turn raw ones into spaces.
 */
const x = (value: string): string =>
  escapeXml(value).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');

const findingCase = (f: Finding, classname: string): string => {
  const user = f.app.user !== undefined ? ` (user ${f.app.user})` : '';
  const name = `${f.ruleId}: ${f.app.id}${user}`;
  const detail = [
    f.message,
    `app: ${f.app.id}${f.app.name ? ` "${f.app.name}"` : ''}${f.app.versionName ? ` ${f.app.versionName}` : ''}${user}`,
    `matched on: ${f.matchedOn.map((m) => `${m.criterion}=${m.value}`).join(', ')}`,
    ...f.references.map((r) => `reference: ${r}`),
  ]
    .map(x)
    .join('\n');
  const open = `    <testcase classname="${x(classname)}" name="${x(name)}" time="0">`;
  if (f.waiver?.status === 'applied') {
    return `${open}\n      <skipped message="${x(`waived: ${f.waiver.reason} (expires ${f.waiver.expires})`)}"/>\n    </testcase>`;
  }
  const expired =
    f.waiver?.status === 'expired' ? ` (waiver ${f.waiver.id} expired ${f.waiver.expires})` : '';
  return `${open}\n      <failure message="${x(`${f.severity}: ${f.title}${expired}`)}" type="${f.severity}">${detail}</failure>\n    </testcase>`;
};

export const renderJunit: Reporter = (result: ScanResult) => {
  const suites: string[] = [];
  let total = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const target of result.targets) {
    const findings = result.findings.filter((f) => f.target === target.id);
    const cases: string[] = [];
    let suiteFailures = 0;
    let suiteErrors = 0;
    let suiteSkipped = 0;
    if (isIncomplete(target)) {
      const message = `${incompleteWord(target)}: ${incompleteReason(target)}`;
      cases.push(
        `    <testcase classname="${x(target.id)}" name="scan" time="0">\n      <error message="${x(`${target.status}: ${message}`)}" type="${target.status === 'failed' ? 'not-scanned' : 'incomplete'}"/>\n    </testcase>`,
      );
      suiteErrors++;
    }
    for (const f of findings) {
      cases.push(findingCase(f, target.id));
      if (f.waiver?.status === 'applied') suiteSkipped++;
      else suiteFailures++;
    }
    if (target.status !== 'failed') {
      const hit = new Set(findings.map((f) => f.ruleId));
      for (const id of result.rules.ids) {
        if (!hit.has(id))
          cases.push(`    <testcase classname="${x(target.id)}" name="${x(`${id}: no match`)}" time="0"/>`);
      }
    }
    total += cases.length;
    failures += suiteFailures;
    errors += suiteErrors;
    skipped += suiteSkipped;
    suites.push(
      `  <testsuite name="${x(target.id)}" tests="${cases.length}" failures="${suiteFailures}" errors="${suiteErrors}" skipped="${suiteSkipped}" time="0" timestamp="${result.startedAt.replace(/Z$/, '')}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  // Inputs not read on purpose are one suite of skipped cases, so the CI view lists them too.
  const skippedInputList = skippedInputs(result);
  if (skippedInputList.length > 0) {
    const cases = skippedInputList.map(
      (s) =>
        `    <testcase classname="appwarden.skipped" name="${x(s.path)}" time="0">\n      <skipped message="${x(`${SKIP_KIND_TEXT[s.kind]}: ${s.reason}`)}"/>\n    </testcase>`,
    );
    total += cases.length;
    skipped += cases.length;
    suites.push(
      `  <testsuite name="skipped inputs" tests="${cases.length}" failures="0" errors="0" skipped="${cases.length}" time="0" timestamp="${result.startedAt.replace(/Z$/, '')}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="appwarden" tests="${total}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
};
