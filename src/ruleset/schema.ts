/**
 * The rule-file format as data. The validator walks YAML against these specs and the JSON Schema
 * (`appwarden rules schema`) is generated from the same specs, so the two cannot drift.
 */
import { SEVERITIES } from '../model.js';
import { checkPackagePattern } from './pattern.js';
import { checkVersionConstraint } from './version.js';

type Check = (value: string) => string | undefined;

export type Spec =
  | { type: 'string'; description: string; check?: Check; jsonPattern?: string }
  | { type: 'strings'; description: string; check?: Check; jsonPattern?: string }
  | { type: 'enum'; description: string; values: readonly string[] }
  | { type: 'enums'; description: string; values: readonly string[] }
  | { type: 'boolean'; description: string }
  | { type: 'date'; description: string }
  | { type: 'free'; description: string }
  | ObjectSpec
  | { type: 'map'; description: string; value: ObjectSpec; keyPattern: RegExp; keyJsonPattern: string }
  | { type: 'list'; description: string; item: Spec }
  | { type: 'blocks'; description: string; block: ObjectSpec };

export interface ObjectSpec {
  type: 'object';
  description: string;
  fields: Record<string, Spec>;
  required?: string[];
  /** At least one of these keys must be present. */
  oneOf?: string[];
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA1_HEX = /^[0-9a-f]{40}$/;
const MD5_HEX = /^[0-9a-f]{32}$/;
/** Date-based pack edition, e.g. 2026.12.06 (a `.N` suffix for a second edition the same day). */
const PACK_VERSION = /^[0-9]{4}\.[0-9]{2}\.[0-9]{2}(\.[0-9]+)?$/;
export const TEAM_ID = /^[A-Z0-9]{10}$/;
export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PUBLISHER_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Normalise a certificate digest as users paste it: colons/spaces removed, lower case. */
export const normaliseDigest = (value: string): string => value.replace(/[:\s]/g, '').toLowerCase();

const checkDigest: Check = (v) =>
  SHA256_HEX.test(normaliseDigest(v))
    ? undefined
    : `"${v}" is not a SHA-256 digest (64 hex digits, colons optional)`;
// Older SDKs and stalkerware indicator lists publish MD5 / SHA-1 only: accept them as given.
const digestCheck =
  (re: RegExp, what: string): Check =>
  (v) =>
    re.test(normaliseDigest(v)) ? undefined : `"${v}" is not ${what}`;
const checkMd5 = digestCheck(MD5_HEX, 'an MD5 digest (32 hex digits, colons optional)');
const checkSha1 = digestCheck(SHA1_HEX, 'a SHA-1 digest (40 hex digits, colons optional)');
const checkPackVersion: Check = (v) =>
  PACK_VERSION.test(v) ? undefined : `"${v}" is not a date-based pack version (YYYY.MM.DD, optionally .N)`;
const checkTeamId: Check = (v) =>
  TEAM_ID.test(v) ? undefined : `"${v}" is not an Apple Team ID (10 upper-case letters or digits)`;
const checkRuleId: Check = (v) =>
  RULE_ID.test(v) ? undefined : `"${v}" is not a valid rule id (letters, digits, ".", "_", "-")`;
const checkNonEmpty: Check = (v) => (v.trim() === '' ? 'must not be empty' : undefined);

const criteriaFields: Record<string, Spec> = {
  platform: { type: 'enums', description: 'android or ios', values: ['android', 'ios'] },
  package: {
    type: 'strings',
    description:
      'Package name / bundle id: exact, a glob where `*` as a whole segment is one or more dot-separated segments and `*` inside a segment stays in that segment, or /regex/',
    check: checkPackagePattern,
  },
  'cert-sha256': {
    type: 'strings',
    description:
      'SHA-256 of a signing certificate; matches current signers and the rotation lineage. Colons optional, any case',
    check: checkDigest,
    jsonPattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$',
  },
  'cert-sha1': {
    type: 'strings',
    description:
      'SHA-1 of a signing certificate (as stalkerware-indicator lists publish it); matches the current signers where the input carried the certificate itself (APK files, pulled APKs, packages.xml)',
    check: checkSha1,
    jsonPattern: '^([0-9A-Fa-f]{2}:?){19}[0-9A-Fa-f]{2}$',
  },
  'cert-md5': {
    type: 'strings',
    description:
      'MD5 of a signing certificate (as older vendor SDKs hard-code it); matches the current signers where the input carried the certificate itself (APK files, pulled APKs, packages.xml)',
    check: checkMd5,
    jsonPattern: '^([0-9A-Fa-f]{2}:?){15}[0-9A-Fa-f]{2}$',
  },
  'team-id': {
    type: 'strings',
    description: 'Apple Developer Team ID',
    check: checkTeamId,
    jsonPattern: '^[A-Z0-9]{10}$',
  },
  'publisher-name': {
    type: 'strings',
    description: 'Publisher display name, glob, case-insensitive',
    check: checkNonEmpty,
  },
  publisher: { type: 'strings', description: 'Name of an entry under `publishers:`', check: checkNonEmpty },
  version: {
    type: 'strings',
    description: 'versionName constraints, e.g. "<8.0.40" or ">=1.2 <2"; `||` separates alternatives',
    check: checkVersionConstraint,
  },
  'version-code': {
    type: 'strings',
    description: 'Android versionCode constraints, e.g. "<1000"',
    check: checkVersionConstraint,
  },
  installer: {
    type: 'strings',
    description: 'Installer package (exact or glob)',
    check: checkPackagePattern,
  },
  system: { type: 'boolean', description: 'Preinstalled/system app' },
};

const matchBlock: ObjectSpec = {
  type: 'object',
  description: 'All criteria given in one block must hold; list values are alternatives',
  fields: criteriaFields,
  oneOf: Object.keys(criteriaFields),
};

const ruleSpec: ObjectSpec = {
  type: 'object',
  description: 'A rule: what is disallowed (or, in allowlist mode, allowed)',
  // A quick rule needs no title: the loader uses the id.
  required: ['id', 'severity', 'message', 'match'],
  fields: {
    id: {
      type: 'string',
      description: 'Unique rule id',
      check: checkRuleId,
      jsonPattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
    },
    title: { type: 'string', description: 'Short title (default: the id)', check: checkNonEmpty },
    severity: { type: 'enum', description: 'Severity of a finding', values: SEVERITIES },
    message: { type: 'string', description: 'Message shown with each finding', check: checkNonEmpty },
    references: {
      type: 'strings',
      description:
        "Primary sources: the instrument's own text (government statement, news release, order), first one used as the rule's help link",
    },
    'secondary-references': {
      type: 'strings',
      description:
        'Secondary sources (news articles quoting or summarising the instrument), listed after the primary ones',
    },
    metadata: { type: 'free', description: 'Free-form data carried into reports' },
    match: {
      type: 'blocks',
      description: 'One block or a list of blocks; any block may match',
      block: matchBlock,
    },
    exclude: {
      type: 'blocks',
      description: 'Apps matching any of these blocks are not findings',
      block: matchBlock,
    },
  },
};

const publisherSpec: ObjectSpec = {
  type: 'object',
  description: 'A named publisher: any of its identifiers identifies it',
  oneOf: ['cert-sha256', 'cert-sha1', 'cert-md5', 'team-id', 'publisher-name'],
  fields: {
    name: { type: 'string', description: 'Display name' },
    description: { type: 'string', description: 'Notes, e.g. what is known and what is not' },
    'cert-sha256': criteriaFields['cert-sha256']!,
    'cert-sha1': criteriaFields['cert-sha1']!,
    'cert-md5': criteriaFields['cert-md5']!,
    'team-id': criteriaFields['team-id']!,
    'publisher-name': criteriaFields['publisher-name']!,
    references: { type: 'strings', description: 'Where the identifiers come from' },
    metadata: { type: 'free', description: 'Free-form data' },
  },
};

export const ruleFileSpec: ObjectSpec = {
  type: 'object',
  description: 'An appwarden rule file',
  fields: {
    name: { type: 'string', description: 'Pack name (defaults to the file name)', check: checkRuleId },
    description: { type: 'string', description: 'What the pack covers and its known gaps' },
    version: {
      type: 'string',
      description:
        'Edition of the pack, date-based (YYYY.MM.DD, optionally .N); reports name it so a reader can tell which edition of a ban list was applied',
      check: checkPackVersion,
      jsonPattern: '^[0-9]{4}\\.[0-9]{2}\\.[0-9]{2}(\\.[0-9]+)?$',
    },
    updated: { type: 'date', description: 'Day (YYYY-MM-DD) the pack content was last changed' },
    mode: {
      type: 'enum',
      description: 'denylist: rules say what is disallowed; allowlist: every app no rule allows is a finding',
      values: ['denylist', 'allowlist'],
    },
    references: { type: 'strings', description: 'Sources for the pack as a whole' },
    metadata: { type: 'free', description: 'Free-form data' },
    include: { type: 'strings', description: 'Other rule files (relative paths) or shipped pack names' },
    allowlist: {
      type: 'object',
      description: 'Settings for allowlist mode',
      fields: {
        id: { type: 'string', description: 'Rule id of not-allowed findings', check: checkRuleId },
        severity: { type: 'enum', description: 'Severity of not-allowed findings', values: SEVERITIES },
        message: { type: 'string', description: 'Message of not-allowed findings' },
        'include-system': { type: 'boolean', description: 'Also check system apps' },
      },
    },
    publishers: {
      type: 'map',
      description: 'Named publishers rules refer to with `publisher:`',
      value: publisherSpec,
      keyPattern: PUBLISHER_KEY,
      keyJsonPattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
    },
    rules: { type: 'list', description: 'The rules', item: ruleSpec },
  },
};

export const waiverFileSpec: ObjectSpec = {
  type: 'object',
  description: 'An appwarden waiver file',
  required: ['waivers'],
  fields: {
    waivers: {
      type: 'list',
      description: 'Accepted exceptions',
      item: {
        type: 'object',
        description: 'A waiver: applies to findings matching every selector given',
        required: ['reason', 'expires'],
        oneOf: ['rule', 'app', 'device'],
        fields: {
          id: { type: 'string', description: 'Waiver id', check: checkNonEmpty },
          rule: { type: 'strings', description: 'Rule id or glob' },
          app: { type: 'strings', description: 'Package/bundle id pattern', check: checkPackagePattern },
          device: { type: 'strings', description: 'Target id, serial or UDID (glob)' },
          reason: { type: 'string', description: 'Why the finding is accepted', check: checkNonEmpty },
          expires: { type: 'date', description: 'Last day (YYYY-MM-DD) the waiver applies' },
          'approved-by': { type: 'string', description: 'Who approved it' },
          ticket: { type: 'string', description: 'Tracking ticket' },
        },
      },
    },
  },
};

/** JSON Schema (draft 2020-12) of a spec, for editors (`# yaml-language-server: $schema=…`). */
const toJsonSchema = (spec: Spec): Record<string, unknown> => {
  const stringSchema = (s: { description: string; jsonPattern?: string }) => ({
    type: 'string',
    ...(s.jsonPattern ? { pattern: s.jsonPattern } : {}),
  });
  switch (spec.type) {
    case 'string':
      return { description: spec.description, ...stringSchema(spec) };
    case 'strings':
      return {
        description: spec.description,
        oneOf: [stringSchema(spec), { type: 'array', items: stringSchema(spec), minItems: 1 }],
      };
    case 'enum':
      return { description: spec.description, enum: [...spec.values] };
    case 'enums':
      return {
        description: spec.description,
        oneOf: [
          { enum: [...spec.values] },
          { type: 'array', items: { enum: [...spec.values] }, minItems: 1 },
        ],
      };
    case 'boolean':
      return { description: spec.description, type: 'boolean' };
    case 'date':
      return { description: spec.description, type: 'string', format: 'date' };
    case 'free':
      return { description: spec.description };
    case 'object': {
      const out: Record<string, unknown> = {
        type: 'object',
        description: spec.description,
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(spec.fields).map(([k, v]) => [k, toJsonSchema(v)])),
      };
      if (spec.required?.length) out.required = spec.required;
      if (spec.oneOf?.length) out.anyOf = spec.oneOf.map((k) => ({ required: [k] }));
      return out;
    }
    case 'map':
      return {
        type: 'object',
        description: spec.description,
        propertyNames: { pattern: spec.keyJsonPattern },
        additionalProperties: toJsonSchema(spec.value),
      };
    case 'list':
      return { type: 'array', description: spec.description, items: toJsonSchema(spec.item) };
    case 'blocks': {
      const block = toJsonSchema(spec.block);
      return { description: spec.description, oneOf: [block, { type: 'array', items: block, minItems: 1 }] };
    }
  }
};

export const ruleFileJsonSchema = (): Record<string, unknown> => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/appwarden/appwarden/schema/rules.schema.json',
  title: 'appwarden rule file',
  ...toJsonSchema(ruleFileSpec),
});
