import type { Platform, Severity } from '../model.js';

/** One `match:`/`exclude:` block after validation. Every present criterion must hold; list values are alternatives. */
export interface MatchBlock {
  platform?: Platform[];
  package?: string[];
  certSha256?: string[];
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
  references: string[];
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
