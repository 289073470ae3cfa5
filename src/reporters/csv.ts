/**
 * CSV (RFC 4180: CRLF line ends, a header row, quotes doubled inside quoted fields) for spreadsheets
 * and MDM imports. One row per finding, or with `includeInventory` one row per app with its findings.
 * Cells are sanitised (escape sequences and controls removed) and any cell a spreadsheet would run as
 * a formula (leading `= + - @`, tab or CR) is prefixed with `'`. No BOM: Excel users import it as UTF-8.
 */
import type { AppRecord, Finding, ScanResult, TargetResult } from '../model.js';
import {
  appProfile,
  deviceLabel,
  evidenceLocation,
  findingProfile,
  isFailing,
  matchedOnText,
  severityRank,
  sortFindings,
  targetById,
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

const line = (cells: readonly Cell[]): string => cells.map(csvCell).join(',');

const FINDING_HEADER = [
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
] as const;

const appCells = (app: AppRecord, profile: string): Cell[] => [
  app.platform,
  app.user,
  profile,
  app.id,
  app.name,
  app.versionName,
  app.versionCode,
  app.installer,
  (app.publisher.certSha256 ?? []).join(';'),
  app.publisher.teamId,
  app.publisher.name,
];

const findingRow = (f: Finding, result: ScanResult, target: TargetResult | undefined): Cell[] => {
  const where = evidenceLocation(f, target);
  return [
    f.severity,
    f.ruleId,
    f.title,
    f.pack,
    isFailing(f, result.failOn) ? 'yes' : 'no',
    f.waiver?.id,
    f.waiver?.status,
    f.waiver?.expires,
    f.target,
    target?.kind,
    target?.status,
    deviceLabel(target),
    ...appCells(f.app, findingProfile(f, target)),
    matchedOnText(f, false),
    where?.path,
    where?.line,
    f.message,
  ];
};

const INVENTORY_HEADER = [
  'target',
  'target_kind',
  'target_status',
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
] as const;

const sameApp = (a: AppRecord, b: AppRecord): boolean =>
  a.id === b.id && a.user === b.user && a.platform === b.platform;

const inventoryRows = (result: ScanResult): Cell[][] => {
  const rows: Cell[][] = [];
  for (const target of result.targets) {
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
      rows.push([
        target.id,
        target.kind,
        target.status,
        deviceLabel(target),
        ...appCells(app, appProfile(app, target)),
        app.system,
        app.enabled,
        hits.map((f) => f.ruleId).join(';'),
        worst?.severity,
        hits.some((f) => isFailing(f, result.failOn)) ? 'yes' : hits.length > 0 ? 'no' : '',
        hits
          .map((f) => (f.waiver ? `${f.waiver.id} (${f.waiver.status})` : ''))
          .filter(Boolean)
          .join(';'),
        app.origin.path,
        app.origin.line,
      ]);
    }
  }
  return rows;
};

export const csv: Reporter = (result, ctx) => {
  const targets = targetById(result);
  const lines = ctx.includeInventory
    ? [line(INVENTORY_HEADER), ...inventoryRows(result).map(line)]
    : [
        line(FINDING_HEADER),
        ...sortFindings(result.findings).map((f) => line(findingRow(f, result, targets.get(f.target)))),
      ];
  return `${lines.join('\r\n')}\r\n`;
};
