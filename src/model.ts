/**
 * The data types every stage shares. Sources produce `TargetResult`s holding `AppRecord`s,
 * the matcher turns apps into `Finding`s, `scan()` assembles a `ScanResult`, reporters render it.
 * Keep this file free of behaviour: it is the contract between the stages.
 */
import type { BaselineSummary } from './baseline.js';

export type Platform = 'android' | 'ios';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Who published an app, as far as the input can tell. All digests are lowercase hex without colons. */
export interface Publisher {
  /** SHA-256 of each current signing certificate (DER). Android. */
  certSha256?: string[];
  /** Earlier certificates from a v3 proof-of-rotation lineage, oldest first. Android. */
  certLineage?: string[];
  /**
   * SHA-1 and MD5 of the current signers' certificates (DER): computed where the input carried the
   * certificate itself (APK files, pulled APKs, packages.xml; same order as certSha256), or as an
   * MDM reports them (Android Management API gives SHA-1 only). Some published identifiers exist
   * only in these forms.
   */
  certSha1?: string[];
  certMd5?: string[];
  /** Subject distinguished names of the current certificates, same order as certSha256. */
  certSubjects?: string[];
  /** Apple Developer Team ID (10 characters). iOS. */
  teamId?: string;
  /** Human-readable publisher: Apple team name, certificate organisation, store developer name. */
  name?: string;
}

/** Android user / profile an app is installed for. */
export const PROFILE_KINDS = [
  'primary',
  'work',
  'secondary',
  'clone',
  'private',
  'secure-folder',
  'unknown',
] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

export interface ProfileInfo {
  user: number;
  name?: string;
  kind: ProfileKind;
  /** False when the profile exists but could not be listed (e.g. Samsung Secure Folder). */
  scanned: boolean;
  reason?: string;
}

/** Where an app record came from: the syft `FoundBy` + `Locations` idea. */
export interface Origin {
  /** Id of the target (input file, device) that produced the record. */
  target: string;
  /** Which parser or collector produced it, e.g. `pm-list`, `dumpsys-package`, `apk`. */
  parser: string;
  /** File that holds the evidence (listing, APK, packages.xml), when there is one. */
  path?: string;
  /** 1-based line in that file, for text listings. */
  line?: number;
}

/** One installed (or shipped) application, normalised across every input format. */
export interface AppRecord {
  platform: Platform;
  /** Android package name or iOS bundle identifier; compared case-sensitively. */
  id: string;
  name?: string;
  versionName?: string;
  /** Android versionCode (long) or iOS CFBundleVersion as a string when not numeric. */
  versionCode?: number | string;
  publisher: Publisher;
  /** Package that installed the app (`com.android.vending`), or iOS ApplicationType-derived source. */
  installer?: string;
  /** Preinstalled/system app. Undefined when the input does not say. */
  system?: boolean;
  /** False when the app is disabled for the user. Undefined when unknown. */
  enabled?: boolean;
  /** Android user id the app is installed for (0 = owner, 10+ = secondary/work profiles). */
  user?: number;
  /** ISO 8601 first-install time when known. */
  firstInstallTime?: string;
  /** APK paths (base first, then splits) or the .app path on iOS. */
  paths?: string[];
  minSdk?: number;
  targetSdk?: number;
  /** iOS MinimumOSVersion. */
  minOs?: string;
  /** Signing schemes seen (`v1`, `v2`, `v3`, `v3.1`) for APK files. */
  signingSchemes?: string[];
  /** Whether signatures were cryptographically checked. Identity is extracted, not verified, unless `valid`/`invalid`. */
  signature?: 'valid' | 'invalid' | 'unverified';
  /** Localised labels, keyed by locale (`fr`, `zh-CN`), when the input carries them. */
  labels?: Record<string, string>;
  /** iOS app clip / extension flags and other format-specific facts worth keeping. */
  extra?: Record<string, string | number | boolean>;
  origin: Origin;
}

export interface DeviceFacts {
  platform?: Platform;
  serial?: string;
  udid?: string;
  name?: string;
  manufacturer?: string;
  model?: string;
  osVersion?: string;
  sdk?: number;
  fingerprint?: string;
  state?: string;
}

export const TARGET_KINDS = [
  'listing',
  'inventory',
  'device',
  'apk',
  'ipa',
  'image',
  'packages-xml',
  'stdin',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const TARGET_STATUSES = ['scanned', 'partial', 'failed'] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

/** A non-fatal problem tied to a place: syft's coordinate error. */
export interface Diagnostic {
  level: 'error' | 'warning' | 'info';
  message: string;
  path?: string;
  line?: number;
}

/**
 * What kind of publisher evidence a source can carry at all: `none` when the source never reports
 * certificates or team ids (a plain list, Intune, Jamf), so publisher rules cannot be evaluated there.
 */
export type PublisherEvidence = 'none' | 'sha1' | 'sha256' | 'team-id' | 'mixed';

/** What a target's source could tell, for reports that count what could not be checked. */
export interface TargetEvidence {
  publisher: PublisherEvidence;
}

/** What a source returns for one input: a file, a device, stdin. */
export interface TargetResult {
  /** Stable id: the path as given, `android:SERIAL`, `ios:UDID`, `-`. */
  id: string;
  kind: TargetKind;
  status: TargetStatus;
  /** Why the target failed or is partial, in one line. */
  error?: string;
  /** Which format the content was detected as (`pm-list`, `dumpsys-package`, …). */
  format?: string;
  device?: DeviceFacts;
  profiles?: ProfileInfo[];
  /** The apps read. Empty after a scan that did not keep inventories (see `appCount`). */
  apps: AppRecord[];
  /** Number of apps read; set by the scan when it drops `apps` to keep memory flat. */
  appCount?: number;
  diagnostics: Diagnostic[];
  /** What the source could tell (set by importers of MDM and table exports). */
  evidence?: TargetEvidence;
}

/** Apps read from a target, whether or not the scan kept the records. */
export const countApps = (t: TargetResult): number => t.appCount ?? t.apps.length;

/** Which rule criterion matched which value: grype's match.Detail. */
export interface MatchDetail {
  /** Criterion name as written in the rule file: `package`, `cert-sha256`, `team-id`, … */
  criterion: string;
  /** The pattern/value in the rule. */
  pattern: string;
  /** The app's value that satisfied it. */
  value: string;
}

export interface WaiverRef {
  id: string;
  reason: string;
  expires: string;
  approvedBy?: string;
  ticket?: string;
  /** `applied` waives the finding; `expired` is shown but no longer waives it. */
  status: 'applied' | 'expired';
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  title: string;
  message: string;
  references: string[];
  /** Rule pack / file the rule came from. */
  pack?: string;
  /** Target id (see TargetResult.id). */
  target: string;
  app: AppRecord;
  matchedOn: MatchDetail[];
  waiver?: WaiverRef;
  /** Set when an id differs from a rule's exact id only by case: reported, not matched. */
  nearMiss?: string;
  /** With `--baseline`: whether the previous report had this finding. */
  baseline?: 'new' | 'unchanged';
}

export type Verdict = 'pass' | 'fail' | 'incomplete';

/** Threshold for failing the run; `none` never fails on findings. */
export type FailOn = Severity | 'none';

export interface WaiverStatus {
  id: string;
  reason: string;
  expires: string;
  approvedBy?: string;
  ticket?: string;
  expired: boolean;
  /** How many findings it waived (or would have waived, when expired). */
  uses: number;
}

/**
 * Something a scan met and did not read, on purpose: the user excluded it, its content is known
 * to hold no apps (a picture, an appwarden report without inventory), or it repeats an input.
 * Anything else that is not read is a failed target instead, and makes the verdict incomplete.
 */
export interface SkippedInput {
  path: string;
  /** Why it was not read, in one line. */
  reason: string;
  kind: 'excluded' | 'not-app-data' | 'duplicate';
}

export interface ScanSummary {
  targets: number;
  targetsScanned: number;
  targetsPartial: number;
  targetsFailed: number;
  /** Targets that leave the verdict incomplete: failed, partial, or read with no apps. */
  targetsIncomplete: number;
  /** Inputs deliberately not read (see `ScanResult.skipped`). */
  skipped: number;
  apps: number;
  findings: number;
  /** Unwaived findings at or above the fail threshold. */
  failing: number;
  waived: number;
  bySeverity: Record<Severity, number>;
}

/** A rule file as applied by a scan: a pack (rules) or a shared publishers file it includes. */
export interface PackEdition {
  name: string;
  kind: 'pack' | 'publishers';
  /** Date-based edition (`2026.12.06`) and last-changed day; absent when the file states none. */
  version?: string;
  updated?: string;
  file: string;
}

export interface ScanResult {
  result: Verdict;
  exitCode: number;
  failOn: FailOn;
  /** ISO time the scan started; injected for reproducible output. */
  startedAt: string;
  rules: {
    sources: string[];
    count: number;
    mode: 'denylist' | 'allowlist' | 'mixed';
    ids: string[];
    /** Every rule file applied, with its edition, so a reader can tell which ban list was used. */
    packs?: PackEdition[];
  };
  targets: TargetResult[];
  /** Inputs the scan met and deliberately did not read, with the reason. */
  skipped: SkippedInput[];
  findings: Finding[];
  /** Near-miss notes (case-only differences) that are not findings. */
  notes: Finding[];
  waivers: WaiverStatus[];
  /** With `--baseline`: the comparison with the previous report. */
  baseline?: BaselineSummary;
  summary: ScanSummary;
}

export const EXIT = {
  pass: 0,
  fail: 1,
  usage: 2,
  incomplete: 3,
} as const;

/** A target that could not be read at all: no apps, one reason. */
export const failedTarget = (
  id: string,
  kind: TargetKind,
  error: string,
  extra: Partial<TargetResult> = {},
): TargetResult => ({
  id,
  kind,
  status: 'failed',
  error,
  apps: [],
  diagnostics: [],
  ...extra,
});
