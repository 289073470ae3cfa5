/**
 * Findings saved in an appwarden JSON report, for `appwarden explain report.json`. Only the fields
 * explain needs are taken; anything else in the file is ignored.
 */
import { readFile } from 'node:fs/promises';
import { AppwardenError } from '../errors.js';
import { type Finding, SEVERITIES, type Severity } from '../model.js';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Undefined when the file is not an appwarden JSON report with findings. */
export const readReportFindings = async (file: string): Promise<Finding[] | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  if (!/"tool"\s*:\s*\{\s*"name"\s*:\s*"appwarden"/.test(text.slice(0, 4096))) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new AppwardenError('USAGE', `${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (!isObj(doc) || !Array.isArray(doc.findings)) return undefined;
  return doc.findings.filter(isObj).flatMap((f): Finding[] => {
    const app = f.app;
    if (typeof f.ruleId !== 'string' || !isObj(app) || typeof app.id !== 'string') return [];
    const severity = SEVERITIES.includes(f.severity as Severity) ? (f.severity as Severity) : 'info';
    return [
      {
        ...(f as unknown as Finding),
        severity,
        references: Array.isArray(f.references)
          ? f.references.filter((r): r is string => typeof r === 'string')
          : [],
        matchedOn: Array.isArray(f.matchedOn) ? (f.matchedOn as Finding['matchedOn']) : [],
      },
    ];
  });
};
