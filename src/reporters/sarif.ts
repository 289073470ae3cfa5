/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF consumers. Findings about phones have no
 * source file, so the evidence file (listing, APK) is used when there is one and a stable synthetic
 * path otherwise (grype's approach); ruleId is the policy rule, the app goes into the fingerprint,
 * waived findings become accepted external suppressions.
 */
import { createHash } from 'node:crypto';
import type { Finding, ScanResult, Severity } from '../model.js';
import { isIncomplete } from '../verdict.js';
import { exitCodeDescription } from './json.js';
import { incompleteReason, incompleteWord, SKIP_KIND_TEXT, skippedInputs } from './report-view.js';
import { stripControl } from './sanitize.js';
import type { Reporter } from './types.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub sorts alerts by this CVSS-like number. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

const hash = (...parts: Array<string | number | undefined>): string =>
  createHash('sha256')
    .update(parts.map((p) => String(p ?? '')).join('\u0000'))
    .digest('hex');

const t = (value: string): string => stripControl(value, true);

const encodePath = (path: string): string =>
  path
    .replace(/\\/g, '/')
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');

/** A path-shaped URI GitHub accepts: the evidence file when there is one, else devices/<platform>/<hash>/<id>. */
const locationUri = (f: Finding): { uri: string; uriBaseId?: string } => {
  const path = f.app.origin.path;
  if (path && path !== '<stdin>') {
    if (path.startsWith('/')) return { uri: `file://${encodePath(path)}` };
    return { uri: encodePath(path.replace(/^\.\//, '')), uriBaseId: '%SRCROOT%' };
  }
  const device = hash(f.target).slice(0, 12);
  return { uri: `devices/${f.app.platform}/${device}/${encodePath(f.app.id)}` };
};

const fingerprint = (f: Finding): string => hash(f.ruleId, f.app.platform, f.app.id, f.target, f.app.user);

export const renderSarif: Reporter = (result: ScanResult, ctx) => {
  const findings = ctx.omitWaived
    ? result.findings.filter((f) => f.waiver?.status !== 'applied')
    : result.findings;
  const all = [...findings, ...result.notes];
  const ruleIds = [...new Set(all.map((f) => f.ruleId))].sort();
  const firstFinding = new Map(all.map((f) => [f.ruleId, f] as const));
  const rules = ruleIds.map((id) => {
    const f = firstFinding.get(id)!;
    const severity = result.findings.find((x) => x.ruleId === id)?.severity ?? f.severity;
    const helpLines = [t(f.message), ...f.references.map((r) => `- ${t(r)}`)];
    return {
      id,
      shortDescription: { text: t(f.title) },
      fullDescription: { text: t(f.message) },
      ...(f.references[0] && /^https?:\/\//.test(f.references[0]) ? { helpUri: f.references[0] } : {}),
      help: { text: helpLines.join('\n'), markdown: helpLines.join('\n') },
      defaultConfiguration: { level: LEVEL[severity] },
      properties: {
        tags: ['security', 'banned-app', severity],
        precision: 'very-high',
        'security-severity': SECURITY_SEVERITY[severity],
        ...(f.pack ? { pack: f.pack } : {}),
      },
    };
  });
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const results = all.map((f) => {
    const target = result.targets.find((x) => x.id === f.target);
    const where = f.app.user !== undefined ? ` (user ${f.app.user})` : '';
    const label = f.app.name ? ` "${t(f.app.name)}"` : '';
    const text = f.nearMiss
      ? t(f.message)
      : `${t(f.app.id)}${label}${where} on ${t(f.target)}: ${t(f.message)} Matched on ${f.matchedOn
          .map((m) => `${m.criterion}=${t(m.value)}`)
          .join(', ')}.`;
    const out: Record<string, unknown> = {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId),
      level: f.nearMiss ? 'note' : LEVEL[f.severity],
      kind: f.nearMiss ? 'review' : 'fail',
      message: { text },
      locations: [
        {
          physicalLocation: {
            artifactLocation: locationUri(f),
            region: { startLine: f.app.origin.line ?? 1, startColumn: 1 },
          },
          logicalLocations: [
            {
              name: t(f.app.id),
              fullyQualifiedName: t(`${f.target}/${f.app.user ?? 0}/${f.app.id}`),
              kind: 'module',
            },
          ],
        },
      ],
      partialFingerprints: { 'appwardenFinding/v1': fingerprint(f) },
      ...(f.baseline ? { baselineState: f.baseline } : {}),
      properties: {
        target: t(f.target),
        platform: f.app.platform,
        package: t(f.app.id),
        ...(f.app.user !== undefined ? { user: f.app.user } : {}),
        ...(f.app.versionName ? { version: t(f.app.versionName) } : {}),
        ...(target?.device?.model ? { deviceModel: t(target.device.model) } : {}),
        ...(target?.device?.osVersion ? { osVersion: t(target.device.osVersion) } : {}),
        ...(target?.device?.serial ? { serial: t(target.device.serial) } : {}),
        matchedOn: f.matchedOn.map((m) => ({
          criterion: m.criterion,
          pattern: t(m.pattern),
          value: t(m.value),
        })),
        ...(f.waiver ? { waiver: f.waiver } : {}),
      },
    };
    if (f.waiver?.status === 'applied') {
      out.suppressions = [
        {
          kind: 'external',
          status: 'accepted',
          justification: t(`${f.waiver.reason} (waiver ${f.waiver.id}, expires ${f.waiver.expires})`),
        },
      ];
    }
    return out;
  });
  const notifications = [
    ...result.targets.filter(isIncomplete).map((x) => ({
      level: x.status === 'failed' ? 'error' : 'warning',
      message: { text: t(`${x.id}: ${incompleteWord(x)}: ${incompleteReason(x)}`) },
      descriptor: { id: x.status === 'failed' ? 'target-failed' : 'target-incomplete' },
    })),
    // Inputs not read on purpose: notes, so the log still says every input the scan met.
    ...skippedInputs(result).map((x) => ({
      level: 'note',
      message: { text: `${x.path}: skipped: ${SKIP_KIND_TEXT[x.kind]}: ${x.reason}` },
      descriptor: { id: 'input-skipped' },
    })),
  ];
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'appwarden',
            version: ctx.version,
            semanticVersion: ctx.version,
            informationUri: 'https://github.com/appwarden/appwarden',
            rules,
            // Which edition of each ban list produced these results.
            ...(result.rules.packs ? { properties: { packs: result.rules.packs } } : {}),
          },
        },
        automationDetails: { id: 'appwarden/' },
        invocations: [
          {
            executionSuccessful: result.exitCode !== 2,
            exitCode: result.exitCode,
            exitCodeDescription: exitCodeDescription(result.exitCode),
            startTimeUtc: result.startedAt,
            toolExecutionNotifications: notifications,
          },
        ],
        results,
        properties: {
          verdict: result.result,
          failOn: result.failOn,
          summary: result.summary,
          ...(result.baseline ? { baseline: result.baseline } : {}),
        },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
};
