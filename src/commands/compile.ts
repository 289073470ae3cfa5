/**
 * `rules compile --to sql --dialect duckdb|spark` and `scan --engine`, kept out of cli.ts so the
 * CLI gains them with one line each. Output goes through the writer cli.ts passes in.
 */
import { type Command, Option } from 'commander';
import { AppwardenError } from '../errors.js';
import type { ScanResult } from '../model.js';
import { loadRuleSet } from '../ruleset/load.js';
import { requireRules, type ScanOptions, scan } from '../scan.js';
import { compileSql, SQL_DIALECTS, type SqlDialect } from '../sql/compile.js';

const ENGINES = ['js', 'duckdb'] as const;
export type Engine = (typeof ENGINES)[number];

/** `--engine js|duckdb` for `scan`. */
export const engineOption = (): Option =>
  new Option(
    '--engine <engine>',
    'match rules with the JavaScript engine (default) or as SQL on embedded DuckDB (needs the optional @duckdb/node-api)',
  ).choices([...ENGINES]);

/** The scan on the chosen engine; DuckDB's module is loaded only when asked for. */
export const scanOn = async (engine: Engine | undefined, options: ScanOptions): Promise<ScanResult> => {
  if (engine === undefined || engine === 'js') return scan(options);
  const { scanWithDuckdb } = await import('../sql/duckdb.js');
  return scanWithDuckdb(options);
};

interface CompileFlags {
  to: string;
  dialect: SqlDialect;
  rules?: string[];
  table?: string;
}

const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds `compile` under `rules`. */
export const registerCompile = (
  rules: Command,
  write: (text: string) => void,
  setExit: (code: number) => void,
): void => {
  rules
    .command('compile')
    .description(
      'print the rule set as one SQL query over the inventory table (docs/sql.md); waivers are not in it',
    )
    .addOption(new Option('--to <target>', 'what to compile to').choices(['sql']).default('sql'))
    .addOption(
      new Option('--dialect <dialect>', 'SQL dialect (spark is printed only, untested)')
        .choices([...SQL_DIALECTS])
        .default('duckdb'),
    )
    .option(
      '-r, --rules <file|pack>',
      'rule file or shipped pack name (repeatable; default: ca-gov)',
      collectList,
    )
    .option('--table <name>', 'table or view holding the inventory rows', 'inventory')
    .action((flags: CompileFlags) => {
      if (flags.to !== 'sql') throw new AppwardenError('USAGE', `unknown compile target "${flags.to}"`);
      const ruleSet = loadRuleSet(flags.rules ?? []);
      requireRules(ruleSet);
      write(compileSql(ruleSet, { dialect: flags.dialect, table: flags.table ?? 'inventory' }));
      setExit(0);
    });
};
