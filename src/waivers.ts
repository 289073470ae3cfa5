/**
 * Waivers: accepted exceptions with a reason and an expiry. A waived finding stays in the report;
 * an expired waiver is shown but no longer waives; waivers that matched nothing are listed.
 */
import { readFileSync, statSync } from 'node:fs';
import { AppwardenError } from './errors.js';
import type { Finding, TargetResult, WaiverRef, WaiverStatus } from './model.js';
import {
  compilePackagePattern,
  compileTextGlob,
  type LinearRegex,
  matchesPattern,
  type PackagePattern,
} from './ruleset/pattern.js';
import { waiverFileSpec } from './ruleset/schema.js';
import { formatProblem, MAX_FILE_BYTES, parseAndValidate, type Value } from './ruleset/validate.js';

export interface Waiver {
  id: string;
  rule?: string[];
  app?: string[];
  device?: string[];
  reason: string;
  expires: string;
  approvedBy?: string;
  ticket?: string;
}

export const loadWaivers = (file: string): Waiver[] => {
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) {
      throw new AppwardenError('WAIVERS_INVALID', `${file}: file is larger than ${MAX_FILE_BYTES} bytes`);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof AppwardenError) throw error;
    throw new AppwardenError('WAIVERS_INVALID', `${file}: cannot read waivers: ${(error as Error).message}`);
  }
  return parseWaivers(text, file);
};

export const parseWaivers = (text: string, file: string): Waiver[] => {
  const parsed = parseAndValidate(text, file, waiverFileSpec, 'waiver file');
  if (parsed.problems.length > 0) {
    const lines = parsed.problems.map(formatProblem);
    throw new AppwardenError('WAIVERS_INVALID', `invalid waivers (${lines.length}):\n${lines.join('\n')}`);
  }
  const list = (parsed.value as { waivers?: Value[] } | undefined)?.waivers ?? [];
  return list.map((raw, i) => {
    const w = raw as Record<string, Value>;
    const strings = (v: Value | undefined) => (Array.isArray(v) ? (v as string[]) : undefined);
    const waiver: Waiver = {
      id: typeof w.id === 'string' ? w.id : `waiver #${i + 1}`,
      reason: String(w.reason),
      expires: String(w.expires),
    };
    const rule = strings(w.rule);
    const app = strings(w.app);
    const device = strings(w.device);
    if (rule) waiver.rule = rule;
    if (app) waiver.app = app;
    if (device) waiver.device = device;
    if (typeof w['approved-by'] === 'string') waiver.approvedBy = w['approved-by'];
    if (typeof w.ticket === 'string') waiver.ticket = w.ticket;
    return waiver;
  });
};

interface CompiledWaiver {
  waiver: Waiver;
  rule?: LinearRegex[];
  app?: PackagePattern[];
  device?: LinearRegex[];
  expired: boolean;
  uses: number;
}

/** Expiry is inclusive: a waiver expiring 2026-12-31 still applies on that day (UTC). */
const isExpired = (expires: string, now: Date): boolean =>
  now.getTime() > Date.parse(`${expires}T23:59:59.999Z`);

/** Marks findings waived (or expired-waiver) in place and returns the waiver report. */
export const applyWaivers = (
  waivers: Waiver[],
  findings: Finding[],
  targets: TargetResult[],
  now: Date,
): WaiverStatus[] => {
  const byTarget = new Map(targets.map((t) => [t.id, t]));
  const compiled: CompiledWaiver[] = waivers.map((waiver) => {
    const c: CompiledWaiver = { waiver, expired: isExpired(waiver.expires, now), uses: 0 };
    if (waiver.rule) c.rule = waiver.rule.map((r) => compileTextGlob(r));
    if (waiver.app) c.app = waiver.app.map(compilePackagePattern);
    if (waiver.device) c.device = waiver.device.map((d) => compileTextGlob(d));
    return c;
  });
  for (const finding of findings) {
    const target = byTarget.get(finding.target);
    const deviceIds = [
      finding.target,
      target?.device?.serial,
      target?.device?.udid,
      target?.device?.name,
    ].filter((v): v is string => !!v);
    // Prefer a live waiver over an expired one when several apply.
    let chosen: CompiledWaiver | undefined;
    for (const c of compiled) {
      if (c.rule && !c.rule.some((re) => re.test(finding.ruleId))) continue;
      if (c.app && !c.app.some((p) => matchesPattern(p, finding.app.id))) continue;
      if (c.device && !c.device.some((re) => deviceIds.some((id) => re.test(id)))) continue;
      c.uses++;
      if (!chosen || (chosen.expired && !c.expired)) chosen = c;
    }
    if (chosen) {
      const ref: WaiverRef = {
        id: chosen.waiver.id,
        reason: chosen.waiver.reason,
        expires: chosen.waiver.expires,
        status: chosen.expired ? 'expired' : 'applied',
      };
      if (chosen.waiver.approvedBy) ref.approvedBy = chosen.waiver.approvedBy;
      if (chosen.waiver.ticket) ref.ticket = chosen.waiver.ticket;
      finding.waiver = ref;
    }
  }
  return compiled.map((c) => {
    const status: WaiverStatus = {
      id: c.waiver.id,
      reason: c.waiver.reason,
      expires: c.waiver.expires,
      expired: c.expired,
      uses: c.uses,
    };
    if (c.waiver.approvedBy) status.approvedBy = c.waiver.approvedBy;
    if (c.waiver.ticket) status.ticket = c.waiver.ticket;
    return status;
  });
};
