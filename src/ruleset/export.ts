/**
 * Enforcement exports: the ban the scanner checks, written as MDM policy. An MDM can block an app
 * only by its exact package / bundle id, so every rule block is either exported as exact ids or
 * reported back as not enforceable by id (publisher, certificate, glob, version...), never dropped
 * silently. Pure functions of the rule set; the CLI prints the policy and the gaps.
 */
import { createHash } from 'node:crypto';
import { AppwardenError } from '../errors.js';
import type { Platform, Severity } from '../model.js';
import { SEVERITIES } from '../model.js';
import { describeBlock } from './explain.js';
import { isPublishersFile, packLabel } from './load.js';
import { compilePackagePattern, matchesPattern } from './pattern.js';
import type { MatchBlock, Rule, RuleSet } from './types.js';

interface ExportEntry {
  id: string;
  /** Platforms the id is blocked on; both when the rule block does not say. */
  platforms: Platform[];
  ruleId: string;
  title: string;
  severity: Severity;
}

interface NotEnforceable {
  ruleId: string;
  /** The block in words, e.g. `publisher bytedance` or `package com.tencent.*`. */
  what: string;
  why: string;
}

export interface ExportPlan {
  entries: ExportEntry[];
  notEnforceable: NotEnforceable[];
  /** `ca-gov 2026.12.06`, for headers and profile descriptions. */
  packs: string[];
}

export interface PlanOptions {
  /** Export only rules at or above this severity (review rules are medium). Default: all. */
  minSeverity?: Severity;
}

const ALL_PLATFORMS: Platform[] = ['android', 'ios'];

const atLeast = (severity: Severity, min: Severity): boolean =>
  SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(min);

/** Why a block cannot be written as "block these exact ids", or undefined when it can. */
const blockProblem = (block: MatchBlock): string | undefined => {
  const other = Object.keys(block).filter((k) => k !== 'platform' && k !== 'package');
  if (other.length > 0) {
    const names = other.map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    return `matches by ${names.join(', ')}, which an MDM cannot express by app id`;
  }
  if (!block.package) return 'has no package criterion';
  return undefined;
};

/** Plain package-only exclude blocks, as compiled patterns; other excludes cannot remove an id here. */
const excludedIds = (rule: Rule) =>
  rule.exclude
    .filter((b) => Object.keys(b).every((k) => k === 'package' || k === 'platform') && b.package)
    .map((b) => ({
      platforms: b.platform ?? ALL_PLATFORMS,
      patterns: b.package!.map(compilePackagePattern),
    }));

/** Whether a plain package exclude of the rule removes `id` on every platform (CSV has no platform split). */
export const isExcludedId = (rule: Rule, id: string): boolean =>
  excludedIds(rule).some(
    (e) =>
      ALL_PLATFORMS.every((p) => e.platforms.includes(p)) && e.patterns.some((x) => matchesPattern(x, id)),
  );

/**
 * Every exact id of the denylist rules, with the platforms it applies to, and every block that an
 * id list cannot carry. An id excluded by a plain package exclude of the same rule is not exported.
 */
export const planExport = (ruleSet: RuleSet, options: PlanOptions = {}): ExportPlan => {
  const allowPacks = new Set(ruleSet.packs.filter((p) => p.mode === 'allowlist').map((p) => p.name));
  const byId = new Map<string, ExportEntry>();
  const notEnforceable: NotEnforceable[] = [];
  for (const pack of ruleSet.packs) {
    if (pack.allowlist) {
      notEnforceable.push({
        ruleId: pack.allowlist.id,
        what: `allowlist pack ${pack.name}`,
        why: 'an allowlist blocks everything not listed; export it as an MDM allowlist instead',
      });
    }
  }
  for (const rule of ruleSet.rules) {
    if (allowPacks.has(rule.pack)) continue;
    if (options.minSeverity && !atLeast(rule.severity, options.minSeverity)) continue;
    const excludes = excludedIds(rule);
    for (const block of rule.match) {
      const problem = blockProblem(block);
      if (problem) {
        notEnforceable.push({ ruleId: rule.id, what: describeBlock(block), why: problem });
        continue;
      }
      const platforms = block.platform ?? ALL_PLATFORMS;
      for (const source of block.package ?? []) {
        const pattern = compilePackagePattern(source);
        if (pattern.kind !== 'exact') {
          notEnforceable.push({
            ruleId: rule.id,
            what: `package ${source}`,
            why: `a ${pattern.kind} matches many ids; an MDM blocks exact ids only`,
          });
          continue;
        }
        const kept = platforms.filter(
          (p) =>
            !excludes.some(
              (e) => e.platforms.includes(p) && e.patterns.some((x) => matchesPattern(x, source)),
            ),
        );
        if (kept.length === 0) continue;
        const seen = byId.get(source);
        if (seen) {
          seen.platforms = ALL_PLATFORMS.filter((p) => seen.platforms.includes(p) || kept.includes(p));
          continue;
        }
        byId.set(source, {
          id: source,
          platforms: kept,
          ruleId: rule.id,
          title: rule.title,
          severity: rule.severity,
        });
      }
    }
  }
  const packs = ruleSet.packs.filter((p) => !isPublishersFile(p)).map(packLabel);
  return { entries: [...byId.values()], notEnforceable, packs };
};

/** The Android Management API accepts at most this many `applications` per policy. */
export const AMAPI_MAX_APPLICATIONS = 3000;

export interface AmapiPolicyFragment {
  applications: Array<{ packageName: string; installType: 'BLOCKED' }>;
}

/**
 * An Android Management API policy fragment (enterprises.policies): merge its `applications` into
 * the policy. BLOCKED removes an installed app and prevents installing it.
 */
export const amapiPolicy = (plan: ExportPlan): AmapiPolicyFragment => {
  const ids = plan.entries.filter((e) => e.platforms.includes('android')).map((e) => e.id);
  if (ids.length > AMAPI_MAX_APPLICATIONS) {
    throw new AppwardenError(
      'USAGE',
      `${ids.length} package ids exceed the API's ${AMAPI_MAX_APPLICATIONS} applications per policy: export fewer packs or use --min-severity`,
    );
  }
  return { applications: ids.map((packageName) => ({ packageName, installType: 'BLOCKED' as const })) };
};

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A stable UUID from content, so the same packs always give the same profile (no diff noise). */
const contentUuid = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  // Shaped as a version-5-style UUID (variant bits set) so MDM consoles accept it.
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
};

/**
 * An Apple configuration profile with one Restrictions payload (com.apple.applicationaccess) whose
 * `blacklistedAppBundleIDs` hides and blocks the listed apps. Apple applies that key on supervised
 * devices only; on unsupervised devices the profile installs and does nothing.
 */
export const mobileconfigProfile = (plan: ExportPlan): string => {
  const ids = plan.entries.filter((e) => e.platforms.includes('ios')).map((e) => e.id);
  const packs = plan.packs.join(', ');
  const seed = `${packs}\n${ids.join('\n')}`;
  const profileUuid = contentUuid(`profile\n${seed}`);
  const payloadUuid = contentUuid(`restrictions\n${seed}`);
  const str = (s: string) => `<string>${xmlEscape(s)}</string>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>PayloadContent</key>',
    '  <array>',
    '    <dict>',
    '      <key>PayloadDisplayName</key>',
    `      ${str('Blocked apps')}`,
    '      <key>PayloadIdentifier</key>',
    `      ${str(`org.appwarden.blocked-apps.restrictions.${payloadUuid}`)}`,
    '      <key>PayloadType</key>',
    `      ${str('com.apple.applicationaccess')}`,
    '      <key>PayloadUUID</key>',
    `      ${str(payloadUuid)}`,
    '      <key>PayloadVersion</key>',
    '      <integer>1</integer>',
    '      <key>blacklistedAppBundleIDs</key>',
    '      <array>',
    ...ids.map((id) => `        ${str(id)}`),
    '      </array>',
    '    </dict>',
    '  </array>',
    '  <key>PayloadDescription</key>',
    `  ${str(`Blocks the apps of ${packs || 'the selected rules'} by bundle id. Supervised devices only: unsupervised devices ignore blacklistedAppBundleIDs. Generated by appwarden.`)}`,
    '  <key>PayloadDisplayName</key>',
    `  ${str(`appwarden blocked apps (${packs || 'custom rules'})`)}`,
    '  <key>PayloadIdentifier</key>',
    `  ${str(`org.appwarden.blocked-apps.${profileUuid}`)}`,
    '  <key>PayloadType</key>',
    `  ${str('Configuration')}`,
    '  <key>PayloadUUID</key>',
    `  ${str(profileUuid)}`,
    '  <key>PayloadVersion</key>',
    '  <integer>1</integer>',
    '</dict>',
    '</plist>',
  ];
  return `${lines.join('\n')}\n`;
};

/** stderr lines for the blocks an id list cannot carry: the scanner still applies them. */
export const formatNotEnforceable = (plan: ExportPlan): string[] =>
  plan.notEnforceable.map((n) => `not exported: ${n.ruleId}: ${n.what}: ${n.why} (the scan still checks it)`);
