/**
 * Plain block lists in and out: MDM consoles (Intune "Restricted apps" / prohibited-app lists, Jamf,
 * spreadsheets) speak CSV rows of `<bundle id or store URL>, <app name>, <app publisher>`.
 * `importBlockList` turns such a list into a rule file; `exportBlockList` writes the exact ids of a
 * rule set back out so an MDM can block what the scanner reports.
 */
import { AppwardenError } from '../errors.js';
import { type Platform, SEVERITIES, type Severity } from '../model.js';
import { isExcludedId } from './export.js';
import { compilePackagePattern } from './pattern.js';
import type { MatchBlock, Rule, RuleSet } from './types.js';
import { yamlLibrary } from './validate.js';

/** CSV inputs are small lists; anything bigger is refused rather than parsed. */
const MAX_CSV_BYTES = 4 * 1024 * 1024;
const MAX_ROWS = 100_000;

export interface CsvRow {
  /** 1-based line where the row starts. */
  line: number;
  cells: string[];
}

/** RFC 4180 parser: quoted fields, `""` escapes, CRLF or LF, newlines inside quotes. Throws on an unclosed quote. */
export const parseCsv = (text: string, source = 'CSV'): CsvRow[] => {
  if (text.length > MAX_CSV_BYTES) {
    throw new AppwardenError('RULES_INVALID', `${source}: larger than ${MAX_CSV_BYTES} bytes`);
  }
  const rows: CsvRow[] = [];
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let line = 1;
  let rowLine = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let quoteLine = 0;
  let atCellStart = true;
  const endRow = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0]!.trim() === '')) rows.push({ line: rowLine, cells });
    if (rows.length > MAX_ROWS)
      throw new AppwardenError('RULES_INVALID', `${source}: more than ${MAX_ROWS} rows`);
    cells = [];
    cell = '';
    atCellStart = true;
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
          cell += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && atCellStart) {
      quoted = true;
      quoteLine = line;
      atCellStart = false;
      continue;
    }
    if (ch === ',') {
      cells.push(cell);
      cell = '';
      atCellStart = true;
      continue;
    }
    if (ch === '\r' && input[i + 1] === '\n') continue;
    if (ch === '\n' || ch === '\r') {
      endRow();
      line++;
      rowLine = line;
      continue;
    }
    // Spaces before an opening quote are common in hand-written lists (`a, "b, c"`).
    if (!(atCellStart && (ch === ' ' || ch === '\t'))) atCellStart = false;
    cell += ch;
  }
  if (quoted)
    throw new AppwardenError('RULES_INVALID', `${source}:${quoteLine}: quoted field is never closed`);
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
};

const csvCell = (value: string): string => {
  // Cells starting with these are formulas in spreadsheets; app names come from untrusted stores.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export const formatCsvRow = (cells: string[]): string => cells.map(csvCell).join(',');

type Column = 'id' | 'name' | 'publisher' | 'platform';

const HEADER_NAMES: Record<Column, RegExp> = {
  id: /^(app )?(bundle ?id(entifier)?|package( ?name| ?id)?|app ?id|id|app ?url|url|store ?url|app store url)$/i,
  name: /^(app ?name|name|title|app)$/i,
  publisher: /^(app ?publisher|publisher|developer|vendor|seller)$/i,
  platform: /^(platform|os)$/i,
};

const ID_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;
const PLAY_URL = /^https?:\/\/play\.google\.com\/store\/apps\/details\?(?:.*&)?id=([A-Za-z0-9_.]+)/i;
const APP_STORE_URL = /^https?:\/\/(?:apps|itunes)\.apple\.com\/.*\bid(\d+)/i;

export interface ImportOptions {
  /** Pack name; rule ids are `<name>.<slug>`. */
  name: string;
  /** Where the list came from, for messages and provenance (file name, console). */
  source?: string;
  severity?: Severity;
  description?: string;
  references?: string[];
  /** Platform of bare ids (Play URLs are always Android). */
  platform?: Platform;
}

export interface ImportResult {
  /** Rule-file YAML text, loadable with `--rules`. */
  yaml: string;
  rules: number;
  /** Rows that were skipped or merged, each naming its line. */
  warnings: string[];
}

interface Entry {
  id: string;
  name?: string;
  publisher?: string;
  platform?: Platform;
  line: number;
}

const slugify = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48) || 'app';

/** Turn a CSV block list into a rule file: one high-severity exact-id rule per app. */
export const importBlockList = (csvText: string, options: ImportOptions): ImportResult => {
  const source = options.source ?? 'block list';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.name)) {
    throw new AppwardenError(
      'USAGE',
      `"${options.name}" is not a valid pack name (letters, digits, ".", "_", "-")`,
    );
  }
  const rows = parseCsv(csvText, source);
  const warnings: string[] = [];
  // Without a header: the Intune order, with the platform column `rules export --format intune` adds.
  let columns: Record<Column, number> = { id: 0, name: 1, publisher: 2, platform: 3 };
  let body = rows;
  const first = rows[0];
  if (first) {
    const found: Partial<Record<Column, number>> = {};
    first.cells.forEach((c, i) => {
      for (const col of Object.keys(HEADER_NAMES) as Column[]) {
        if (found[col] === undefined && HEADER_NAMES[col].test(c.trim())) found[col] = i;
      }
    });
    if (found.id !== undefined) {
      columns = {
        id: found.id,
        name: found.name ?? -1,
        publisher: found.publisher ?? -1,
        platform: found.platform ?? -1,
      };
      body = rows.slice(1);
    }
  }

  const entries = new Map<string, Entry>();
  for (const row of body) {
    const at = `${source}:${row.line}`;
    const cell = (i: number) => (i >= 0 ? (row.cells[i] ?? '').trim() : '');
    const rawId = cell(columns.id);
    const entry: Entry = { id: '', line: row.line };
    const name = cell(columns.name);
    const publisher = cell(columns.publisher);
    if (name) entry.name = name;
    if (publisher) entry.publisher = publisher;
    const play = PLAY_URL.exec(rawId);
    if (play) {
      entry.id = play[1]!;
      entry.platform = 'android';
    } else if (APP_STORE_URL.test(rawId)) {
      warnings.push(
        `${at}: App Store URL ${rawId} carries no bundle id (the scanner matches bundle ids); add the bundle id by hand`,
      );
      continue;
    } else if (ID_RE.test(rawId)) {
      entry.id = rawId;
      const platform = cell(columns.platform).toLowerCase();
      if (platform === 'android' || platform === 'ios') entry.platform = platform;
      else if (options.platform) entry.platform = options.platform;
    } else {
      warnings.push(`${at}: "${rawId}" is not a package/bundle id or store URL; row skipped`);
      continue;
    }
    const existing = entries.get(entry.id);
    if (existing) {
      warnings.push(`${at}: ${entry.id} repeats line ${existing.line}; kept once`);
      continue;
    }
    entries.set(entry.id, entry);
  }

  const usedIds = new Set<string>();
  const rules = [...entries.values()].map((e) => {
    let id = `${options.name}.${slugify(e.name ?? e.id)}`;
    for (let n = 2; usedIds.has(id); n++) id = `${options.name}.${slugify(e.name ?? e.id)}-${n}`;
    usedIds.add(id);
    const title = e.name ?? e.id;
    const match: Record<string, string> = { package: e.id };
    if (e.platform) match.platform = e.platform;
    const metadata: Record<string, string> = {
      provenance: `imported from ${source} line ${e.line}`,
      confidence: 'as listed in the imported block list',
    };
    if (e.publisher) metadata.publisher = e.publisher;
    const rule: Record<string, unknown> = {
      id,
      title,
      severity: options.severity ?? 'high',
      message: `${title} is on the ${source} block list.`,
    };
    if (options.references && options.references.length > 0) rule.references = options.references;
    rule.metadata = metadata;
    rule.match = match;
    return rule;
  });

  const doc: Record<string, unknown> = {
    name: options.name,
    description: options.description ?? `Imported from ${source}: exact package/bundle ids only.`,
    rules,
  };
  const header = `# Generated by \`appwarden rules import\` from ${source.replace(/[\r\n]/g, ' ')}.\n# Review before use: ids are matched exactly; add publisher certificates to catch renamed apps.\n`;
  return { yaml: header + yamlLibrary().stringify(doc, { lineWidth: 0 }), rules: rules.length, warnings };
};

export interface ExportOptions {
  /**
   * `appwarden` (default): id,name,publisher,rule,severity,platform with a header; `intune`:
   * id,name,publisher,platform, no header. Platform is android, ios, or any when the rule does not say.
   */
  format?: 'appwarden' | 'intune';
  /** Export only rules at or above this severity. */
  minSeverity?: Severity;
}

/** Only a plain package criterion (optionally with platform) can go into an MDM list. */
const exportable = (block: MatchBlock): string[] => {
  const keys = Object.keys(block).filter((k) => k !== 'platform' && k !== 'package');
  if (keys.length > 0 || !block.package) return [];
  return block.package.filter((p) => compilePackagePattern(p).kind === 'exact');
};

const publisherOf = (rule: Rule, ruleSet: RuleSet): string => {
  if (typeof rule.metadata?.publisher === 'string') return rule.metadata.publisher;
  for (const block of rule.match) {
    for (const key of block.publisher ?? []) {
      const def = ruleSet.publishers.get(key);
      if (def?.name) return def.name;
    }
  }
  return '';
};

/**
 * Exact ids of a rule set's denylist rules as CSV, for an MDM's restricted-apps list. Globs, regexes,
 * certificate and publisher criteria cannot be expressed there and are left out (the scanner still
 * applies them; `rules export` names them on stderr). Ids a plain package exclude of the same rule
 * removes are not exported, as exclusions only ever remove matches.
 */
export const exportBlockList = (ruleSet: RuleSet, options: ExportOptions = {}): string => {
  const format = options.format ?? 'appwarden';
  const allowPacks = new Set(ruleSet.packs.filter((p) => p.mode === 'allowlist').map((p) => p.name));
  const lines: string[] =
    format === 'appwarden' ? [formatCsvRow(['id', 'name', 'publisher', 'rule', 'severity', 'platform'])] : [];
  const seen = new Set<string>();
  for (const rule of ruleSet.rules) {
    if (allowPacks.has(rule.pack)) continue;
    if (options.minSeverity && SEVERITIES.indexOf(rule.severity) > SEVERITIES.indexOf(options.minSeverity))
      continue;
    const publisher = publisherOf(rule, ruleSet);
    for (const block of rule.match) {
      for (const id of exportable(block).filter((x) => !isExcludedId(rule, x))) {
        const key = format === 'intune' ? id : `${id}\u0000${rule.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const cells = [id, rule.title, publisher];
        if (format === 'appwarden') cells.push(rule.id, rule.severity);
        // Intune keeps Android and iOS restricted-app lists apart: say which one an id belongs to.
        cells.push(block.platform?.length === 1 ? block.platform[0]! : 'any');
        lines.push(formatCsvRow(cells));
      }
    }
  }
  return lines.length > 0 ? `${lines.join('\r\n')}\r\n` : '';
};
