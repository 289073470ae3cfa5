import type { Platform, Severity } from '../model.js';

/** One `match:`/`exclude:` block after validation. Every present criterion must hold; list values are alternatives. */
export interface MatchBlock {
  platform?: Platform[];
  package?: string[];
  certSha256?: string[];
  certSha1?: string[];
  certMd5?: string[];
  teamId?: string[];
  publisherName?: string[];
  publisher?: string[];
  version?: string[];
  versionCode?: string[];
  installer?: string[];
  system?: boolean;
}

export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  message: string;
  /** Primary sources first (the instrument's own text), then the secondary ones. */
  references: string[];
  /** The tail of `references` that is secondary (news articles), for marking in listings. */
  secondaryReferences?: string[];
  metadata?: Record<string, unknown>;
  match: MatchBlock[];
  exclude: MatchBlock[];
  /** Pack (rule file `name`) the rule belongs to. */
  pack: string;
  /** File and line where the rule is defined, for `rules show` and error messages. */
  file: string;
  line: number;
}

export interface PublisherDef {
  key: string;
  name?: string;
  certSha256: string[];
  certSha1?: string[];
  certMd5?: string[];
  teamId: string[];
  publisherName: string[];
  references: string[];
  file: string;
}

export interface AllowlistConfig {
  id: string;
  severity: Severity;
  message: string;
  includeSystem: boolean;
}

export interface Pack {
  name: string;
  description?: string;
  /** Date-based edition (`2026.12.06`) and the day it was last changed, when the file states them. */
  version?: string;
  updated?: string;
  file: string;
  mode: 'denylist' | 'allowlist';
  allowlist?: AllowlistConfig;
  /** Rule ids defined directly in this file. */
  ruleIds: string[];
}

export interface RuleSet {
  /** Top-level sources as the user named them (paths or pack names). */
  sources: string[];
  packs: Pack[];
  rules: Rule[];
  publishers: Map<string, PublisherDef>;
}
