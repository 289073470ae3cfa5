/** The one list of reporters (ESLint's formatters-meta idea): names, descriptions, functions. */
import { csv } from './csv.js';
import { github } from './github.js';
import { html } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { markdown } from './markdown.js';
import { renderNdjson } from './ndjson.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';
import type { Reporter } from './types.js';

export interface ReporterInfo {
  render: Reporter;
  description: string;
  /** File extension for `-o FORMAT` without a path. */
  extension: string;
  /** The reporter shows every app, so the scan must keep inventories in memory. */
  needsApps?: boolean;
  /**
   * Binary: `render` gives the rows as NDJSON and the CLI converts them into the file (`-o FORMAT=PATH`
   * only, never standard output).
   */
  binary?: boolean;
}

export const reporters = {
  table: {
    render: renderTable,
    description: 'human-readable report grouped by target (default)',
    extension: 'txt',
  },
  json: {
    render: renderJson,
    description: 'versioned JSON document (docs/json-schema.md)',
    extension: 'json',
  },
  sarif: { render: renderSarif, description: 'SARIF 2.1.0 for GitHub code scanning', extension: 'sarif' },
  junit: { render: renderJunit, description: 'JUnit XML: a testsuite per target', extension: 'xml' },
  html: {
    render: html,
    description: 'self-contained HTML report for people',
    extension: 'html',
    needsApps: true,
  },
  markdown: {
    render: markdown,
    description: 'compact Markdown summary for PR comments and step summaries',
    extension: 'md',
  },
  csv: {
    render: csv,
    description: 'CSV, one row per finding (per app with --include-inventory)',
    extension: 'csv',
  },
  github: {
    render: github,
    description: 'GitHub Actions workflow annotations (::error file=…::…)',
    extension: 'txt',
  },
  ndjson: {
    render: renderNdjson,
    description: 'inventory table: one JSON line per target and per app (docs/inventory-table.md)',
    extension: 'ndjson',
    needsApps: true,
  },
  parquet: {
    render: renderNdjson,
    description: 'inventory table as Parquet, -o parquet=PATH only (needs @duckdb/node-api)',
    extension: 'parquet',
    needsApps: true,
    binary: true,
  },
} satisfies Record<string, ReporterInfo>;

export type FormatName = keyof typeof reporters;

export const isFormatName = (name: string): name is FormatName => Object.hasOwn(reporters, name);
