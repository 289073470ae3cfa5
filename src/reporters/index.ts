/** The one list of reporters (ESLint's formatters-meta idea): names, functions and file extensions. */
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
  /** The usual file extension, so `-o report.json` (a path without a format) can suggest `-o json=report.json`. */
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
    extension: 'txt',
  },
  json: {
    render: renderJson,
    extension: 'json',
  },
  sarif: { render: renderSarif, extension: 'sarif' },
  junit: { render: renderJunit, extension: 'xml' },
  html: {
    render: html,
    extension: 'html',
    needsApps: true,
  },
  markdown: {
    render: markdown,
    extension: 'md',
  },
  csv: {
    render: csv,
    extension: 'csv',
  },
  github: {
    render: github,
    extension: 'txt',
  },
  ndjson: {
    render: renderNdjson,
    extension: 'ndjson',
    needsApps: true,
  },
  parquet: {
    // The inventory table as Parquet, -o parquet=PATH only (needs @duckdb/node-api): the CLI turns
    // this NDJSON into Parquet through DuckDB.
    render: renderNdjson,
    extension: 'parquet',
    needsApps: true,
    binary: true,
  },
} satisfies Record<string, ReporterInfo>;

export type FormatName = keyof typeof reporters;

export const isFormatName = (name: string): name is FormatName => Object.hasOwn(reporters, name);
