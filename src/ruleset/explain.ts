/**
 * Text for `appwarden rules show ID` and `appwarden explain`: which rule, which criterion, which value,
 * and where the rule and its identifiers come from. Pure functions of the rule set and a finding.
 */
import type { Finding, MatchDetail } from '../model.js';
import type { MatchBlock, PublisherDef, Rule } from './types.js';

const CRITERIA: Array<[keyof MatchBlock, string]> = [
  ['platform', 'platform'],
  ['package', 'package'],
  ['certSha256', 'cert-sha256'],
  ['certSha1', 'cert-sha1'],
  ['certMd5', 'cert-md5'],
  ['teamId', 'team-id'],
  ['publisherName', 'publisher-name'],
  ['publisher', 'publisher'],
  ['version', 'version'],
  ['versionCode', 'version-code'],
  ['installer', 'installer'],
  ['system', 'system'],
];

/** One `match`/`exclude` block in words: every criterion must hold, list values are alternatives. */
export const describeBlock = (block: MatchBlock): string => {
  const parts: string[] = [];
  for (const [key, label] of CRITERIA) {
    const value = block[key];
    if (value === undefined) continue;
    if (typeof value === 'boolean') parts.push(`${label} is ${value}`);
    else if (value.length === 1) parts.push(`${label} ${value[0]}`);
    else parts.push(`${label} any of ${value.join(', ')}`);
  }
  return parts.join(' AND ');
};

const describePublisher = (def: PublisherDef): string[] => {
  const lines = [`publisher "${def.key}"${def.name ? ` (${def.name})` : ''}, defined in ${def.file}:`];
  for (const c of def.certSha256) lines.push(`  cert-sha256 ${c}`);
  for (const c of def.certSha1 ?? []) lines.push(`  cert-sha1 ${c}`);
  for (const c of def.certMd5 ?? []) lines.push(`  cert-md5 ${c}`);
  for (const t of def.teamId) lines.push(`  team-id ${t}`);
  for (const n of def.publisherName) lines.push(`  publisher-name ${n}`);
  const digests = def.certSha256.length + (def.certSha1?.length ?? 0) + (def.certMd5?.length ?? 0);
  if (digests === 0 && def.teamId.length === 0) {
    lines.push('  (no certificate or Team ID known: names only, a soft signal)');
  }
  for (const r of def.references) lines.push(`  source: ${r}`);
  return lines;
};

const metadataLines = (metadata: Record<string, unknown> | undefined): string[] => {
  if (!metadata) return [];
  return Object.entries(metadata).map(
    ([k, v]) => `  ${k}: ${typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : JSON.stringify(v)}`,
  );
};

/** Primary texts first, then the secondary ones marked as such. */
const referenceLines = (rule: Rule): string[] => {
  const secondary = rule.secondaryReferences?.length ?? 0;
  const primary = rule.references.length - secondary;
  return rule.references.map(
    (r, i) => `  ${r}${i >= primary ? '  (secondary)' : i === 0 ? '  (primary)' : ''}`,
  );
};

/** `rules show ID`: the whole rule in words, with the publishers it relies on. */
export const formatRule = (rule: Rule, publishers: Map<string, PublisherDef> = new Map()): string => {
  const lines = [
    `${rule.id}  [${rule.severity}]  ${rule.title}`,
    `pack ${rule.pack}, defined at ${rule.file}:${rule.line}`,
    `message: ${rule.message.replace(/\s+/g, ' ').trim()}`,
    'matches when any of:',
    ...rule.match.map((b) => `  - ${describeBlock(b)}`),
  ];
  if (rule.exclude.length > 0) {
    lines.push('except when any of:', ...rule.exclude.map((b) => `  - ${describeBlock(b)}`));
  }
  const keys = new Set([...rule.match, ...rule.exclude].flatMap((b) => b.publisher ?? []));
  for (const key of keys) {
    const def = publishers.get(key);
    lines.push(...(def ? describePublisher(def) : [`publisher "${key}" (not loaded)`]));
  }
  if (rule.references.length > 0) lines.push('references:', ...referenceLines(rule));
  const meta = metadataLines(rule.metadata);
  if (meta.length > 0) lines.push('metadata:', ...meta);
  return `${lines.join('\n')}\n`;
};

/** One matched criterion in words. Publisher matches arrive as `publisher:KEY` with the identifier kind as pattern. */
const describeMatch = (detail: MatchDetail, publishers: Map<string, PublisherDef> = new Map()): string => {
  if (detail.criterion.startsWith('publisher:')) {
    const key = detail.criterion.slice('publisher:'.length);
    const def = publishers.get(key);
    const who = def?.name ? `"${key}" (${def.name})` : `"${key}"`;
    const what =
      detail.pattern === 'cert-sha256'
        ? `signing certificate ${detail.value} (current signer or in its rotation lineage)`
        : detail.pattern === 'team-id'
          ? `Apple Team ID ${detail.value}`
          : `publisher name "${detail.value}"`;
    return `${what} belongs to publisher ${who}${def ? `, defined in ${def.file}` : ''}`;
  }
  switch (detail.criterion) {
    case 'package':
      return detail.pattern === detail.value
        ? `package/bundle id is exactly ${detail.value}`
        : `package/bundle id ${detail.value} matches pattern ${detail.pattern}`;
    case 'cert-sha256':
      return `signing certificate ${detail.value} (current signer or in its rotation lineage) is listed in the rule`;
    case 'team-id':
      return `Apple Team ID ${detail.value} is listed in the rule`;
    case 'publisher-name':
      return `publisher name "${detail.value}" matches ${detail.pattern}`;
    case 'version':
    case 'version-code':
      return `${detail.criterion} ${detail.value} satisfies ${detail.pattern}`;
    default:
      return `${detail.criterion} ${detail.value} matches ${detail.pattern}`;
  }
};

/**
 * `appwarden explain`: why a finding (or near-miss note) exists. Pass the rule when it is loaded so the
 * text can name its definition, provenance and exclusions.
 */
export const explainFinding = (
  finding: Finding,
  rule?: Rule,
  publishers: Map<string, PublisherDef> = new Map(),
): string => {
  const app = finding.app;
  const lines = [
    `${app.platform} app ${app.id}${app.name ? ` ("${app.name}")` : ''} on ${finding.target}`,
    `${finding.nearMiss ? 'near-miss of' : 'matched'} rule ${finding.ruleId} [${finding.severity}] ${finding.title}${finding.pack ? ` from pack ${finding.pack}` : ''}${rule ? ` (${rule.file}:${rule.line})` : ''}`,
  ];
  if (finding.nearMiss) {
    lines.push(
      `  the id differs only by letter case from ${finding.nearMiss}; ids are case-sensitive, so this is a note, not a finding`,
    );
  } else {
    lines.push('because:', ...finding.matchedOn.map((d) => `  - ${describeMatch(d, publishers)}`));
  }
  const where = app.origin.path
    ? `${app.origin.path}${app.origin.line ? `:${app.origin.line}` : ''}`
    : app.origin.target;
  lines.push(`evidence: ${where} (read by ${app.origin.parser})`);
  if (
    app.signature === 'unverified' &&
    finding.matchedOn.some((d) => /cert/.test(`${d.criterion} ${d.pattern}`))
  ) {
    lines.push('  the certificate was extracted, not cryptographically verified');
  }
  lines.push(`message: ${finding.message.replace(/\s+/g, ' ').trim()}`);
  if (rule && rule.exclude.length > 0) {
    lines.push('not excluded by:', ...rule.exclude.map((b) => `  - ${describeBlock(b)}`));
  }
  const refs = finding.references.length > 0 ? finding.references : (rule?.references ?? []);
  if (refs.length > 0) lines.push('references:', ...refs.map((r) => `  ${r}`));
  const meta = metadataLines(rule?.metadata);
  if (meta.length > 0) lines.push('rule metadata:', ...meta);
  if (finding.waiver) {
    const w = finding.waiver;
    lines.push(
      `waiver ${w.id}: ${w.status === 'applied' ? 'applied' : 'EXPIRED, no longer waives'} (expires ${w.expires}): ${w.reason}`,
    );
  }
  return `${lines.join('\n')}\n`;
};
