/**
 * CSV (RFC 4180: CRLF line ends, a header row, quotes doubled inside quoted fields) for spreadsheets
 * and MDM imports. One row per target, then one per finding (or with `includeInventory` one per app
 * with its findings), then one per skipped input; the `row_type` column says which.
 * Cells are sanitised (escape sequences and controls removed) and any cell a spreadsheet would run as
 * a formula (leading `= + - @`, tab or CR) is prefixed with `'`. No BOM: Excel users import it as UTF-8.
 */
import { type AppRecord, countApps, type Finding, type ScanResult, type TargetResult } from '../model.js';
import { isIncomplete } from '../verdict.js';
import {
  appProfile,
  deviceLabel,
  evidenceLocation,
  findingProfile,
  incompleteReason,
  incompleteWord,
  isFailing,
  isFileTarget,
  matchedOnText,
  SKIP_KIND_TEXT,
  severityRank,
  skippedInputs,
  sortFindings,
  targetById,
  targetVerdict,
} from './report-view.js';
import { sanitizeText } from './sanitize.js';
import type { Reporter } from './types.js';

type Cell = string | number | boolean | undefined;

const FORMULA_START = /^[\s]*[=+\-@]|^[\t\r]/;

export const csvCell = (value: Cell): string => {
  if (value === undefined) return '';
  let text = sanitizeText(String(value)).replace(/[\t\r\n]/g, ' ');
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

type Row = Partial<Record<string, Cell>>;

const render = (header: readonly string[], row: Row): string => header.map((h) => csvCell(row[h])).join(',');

/**
 * Every row says what it is (`row_type`): a finding (or, with inventory, an app), a target (one per
 * target, so a dashboard counts unreadable and clean phones too) or a skipped input.
 */
const FINDING_HEADER = [
  'row_type',
  'severity',
  'rule_id',
  'rule_title',
  'pack',
  'failing',
  'waiver_id',
  'waiver_status',
  'waiver_expires',
  'target',
  'target_kind',
  'target_status',
  'target_verdict',
  'target_apps',
  'device',
  'platform',
  'user',
  'profile',
  'app_id',
  'app_label',
  'version_name',
  'version_code',
  'installer',
  'cert_sha256',
  'team_id',
  'publisher_name',
  'matched_on',
  'evidence_path',
  'evidence_line',
  'message',
  'baseline',
] as const;

const appCells = (app: AppRecord, profile: string): Row => ({
  platform: app.platform,
  user: app.user,
  profile,
  app_id: app.id,
  app_label: app.name,
  version_name: app.versionName,
  version_code: app.versionCode,
  installer: app.installer,
  cert_sha256: (app.publisher.certSha256 ?? []).join(';'),
  team_id: app.publisher.teamId,
  publisher_name: app.publisher.name,
});

const targetCells = (target: TargetResult | undefined, result: ScanResult): Row =>
  target === undefined
    ? {}
    : {
        target: target.id,
        target_kind: target.kind,
        target_status: target.status,
        target_verdict: targetVerdict(target, result),
        target_apps: countApps(target),
        device: deviceLabel(target),
      };

const findingRow = (f: Finding, result: ScanResult, target: TargetResult | undefined): Row => {
  const where = evidenceLocation(f, target);
  return {
    row_type: 'finding',
    severity: f.severity,
    rule_id: f.ruleId,
    rule_title: f.title,
    pack: f.pack,
    failing: isFailing(f, result.failOn, result.baseline?.failOnNew) ? 'yes' : 'no',
    waiver_id: f.waiver?.id,
    waiver_status: f.waiver?.status,
    waiver_expires: f.waiver?.expires,
    ...targetCells(target, result),
    target: f.target,
    ...appCells(f.app, findingProfile(f, target)),
    matched_on: matchedOnText(f, false),
    evidence_path: where?.path,
    evidence_line: where?.line,
    message: f.message,
    baseline: f.baseline,
  };
};

/** One row per target: its status, app count and verdict, and why it is incomplete if it is. */
const targetRow = (target: TargetResult, result: ScanResult): Row => {
  const verdict = targetVerdict(target, result);
  return {
    row_type: 'target',
    failing: verdict === 'fail' ? 'yes' : 'no',
    ...targetCells(target, result),
    platform: target.device?.platform ?? target.apps[0]?.platform,
    evidence_path: isFileTarget(target) ? target.id : undefined,
    message: isIncomplete(target) ? `${incompleteWord(target)}: ${incompleteReason(target)}` : undefined,
  };
};

const skippedRows = (result: ScanResult): Row[] =>
  skippedInputs(result).map((x) => ({
    row_type: 'skipped',
    target: x.path,
    target_status: 'skipped',
    evidence_path: x.path,
    message: `${SKIP_KIND_TEXT[x.kind]}: ${x.reason}`,
  }));

const INVENTORY_HEADER = [
  'row_type',
  'target',
  'target_kind',
  'target_status',
  'target_verdict',
  'target_apps',
  'device',
  'platform',
  'user',
  'profile',
  'app_id',
  'app_label',
  'version_name',
  'version_code',
  'installer',
  'cert_sha256',
  'team_id',
  'publisher_name',
  'system',
  'enabled',
  'findings',
  'max_severity',
  'failing',
  'waivers',
  'evidence_path',
  'evidence_line',
  'message',
] as const;

const sameApp = (a: AppRecord, b: AppRecord): boolean =>
  a.id === b.id && a.user === b.user && a.platform === b.platform;

const inventoryRows = (result: ScanResult, target: TargetResult): Row[] => {
  const rows: Row[] = [];
  const own = result.findings.filter((f) => f.target === target.id);
  const apps = [...target.apps].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : (a.user ?? -1) - (b.user ?? -1),
  );
  for (const app of apps) {
    const hits = sortFindings(own.filter((f) => sameApp(f.app, app)));
    const worst = hits.reduce<Finding | undefined>(
      (w, f) => (w === undefined || severityRank(f.severity) < severityRank(w.severity) ? f : w),
      undefined,
    );
    rows.push({
      row_type: 'app',
      ...targetCells(target, result),
      ...appCells(app, appProfile(app, target)),
      system: app.system,
      enabled: app.enabled,
      findings: hits.map((f) => f.ruleId).join(';'),
      max_severity: worst?.severity,
      failing: hits.some((f) => isFailing(f, result.failOn, result.baseline?.failOnNew))
        ? 'yes'
        : hits.length > 0
          ? 'no'
          : '',
      waivers: hits
        .map((f) => (f.waiver ? `${f.waiver.id} (${f.waiver.status})` : ''))
        .filter(Boolean)
        .join(';'),
      evidence_path: app.origin.path,
      evidence_line: app.origin.line,
    });
  }
  return rows;
};

export const csv: Reporter = (result, ctx) => {
  const targets = targetById(result);
  const header = ctx.includeInventory ? INVENTORY_HEADER : FINDING_HEADER;
  const rows: Row[] = result.targets.map((t) => targetRow(t, result));
  if (ctx.includeInventory) {
    for (const t of result.targets) rows.push(...inventoryRows(result, t));
  } else {
    for (const f of sortFindings(result.findings)) rows.push(findingRow(f, result, targets.get(f.target)));
  }
  rows.push(...skippedRows(result));
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => render(header, r))];
  return `${lines.join('\r\n')}\r\n`;
};
