import type { ChalkInstance } from 'chalk';
import type { ScanResult } from '../model.js';

/** Everything a reporter may know about its environment; reporters never read process state. */
export interface ReporterContext {
  /** Configured chalk instance; level 0 when colour is off. */
  chalk: ChalkInstance;
  /** Tool version for report headers. */
  version: string;
  /** Include every app (not just findings) where the format supports it. */
  includeInventory: boolean;
  /**
   * Leave waived findings out of SARIF instead of reporting them as accepted suppressions (GitHub
   * code scanning keeps suppressed alerts open; many users strip them before upload).
   */
  omitWaived?: boolean;
  /** The settings file the run used (`.appwarden.yaml` or `--config`), shown in table and JSON. */
  settingsFile?: string;
  /** Terminal width for the table reporter. */
  width?: number;
}

/** A reporter is a pure function from a scan result to the text of a report (ESLint formatter style). */
export type Reporter = (result: ScanResult, ctx: ReporterContext) => string;
