/**
 * What `appwarden remove` would do, decided from a scan result alone: one step per app and user on
 * a connected device, either an uninstall or a reason it is not removed. Pure: no process is run
 * here, so a dry run and the real run show the same plan.
 */
import type { FailOn, Finding, Platform, ScanResult, Severity } from '../model.js';
import { isActive, isFailing, severityRank } from '../verdict.js';

/** ideviceinstaller 1.1.x takes `-U ID`; 1.2.x takes `uninstall ID` (see src/sources/ios.ts). */
export type IosUninstallSyntax = 'flags' | 'subcommands';

export interface RemovalStep {
  /** Target id of the device (`android:SERIAL`, `ios:UDID`). */
  target: string;
  platform: Platform;
  /** Serial or UDID the tool addresses with `-s` / `-u`. */
  device: string;
  /** iOS device reached over Wi-Fi (`-n`). */
  network?: boolean;
  /** Android user the app is installed for. */
  user?: number;
  app: string;
  name?: string;
  /** Every failing rule the app matched, most severe first. */
  rules: string[];
  severity: Severity;
  action: 'uninstall' | 'skip';
  /** Why a `skip` step is not removed, in one line. */
  reason?: string;
  /** The tool's argv (tool name first) for an `uninstall` step. */
  command?: string[];
}

export interface RemovalPlan {
  steps: RemovalStep[];
  /** Steps that will run (action `uninstall`). */
  uninstall: number;
  /** Steps listed but not removed. */
  skipped: number;
}

/**
 * Ids that go to a device shell: Android package names and iOS bundle ids have this shape, and
 * anything else (a space, a quote, `;`) would be read by the device's shell, so it is never sent.
 */
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

const DEVICE_TARGET = /^(android|ios):(.+)$/;

export const androidUninstallArgs = (serial: string, user: number, app: string): string[] => [
  '-s',
  serial,
  'shell',
  `pm uninstall --user ${user} ${app}`,
];

export const iosUninstallArgs = (
  syntax: IosUninstallSyntax,
  udid: string,
  network: boolean,
  app: string,
): string[] => [
  '-u',
  udid,
  ...(network ? ['-n'] : []),
  ...(syntax === 'subcommands' ? ['uninstall', app] : ['-U', app]),
];

const stepKey = (f: Finding): string => `${f.target}\0${f.app.id}\0${f.app.user ?? ''}`;

/** Why this finding's app is not removed, or undefined when it can be. */
const skipReason = (f: Finding, platform: Platform): string | undefined => {
  if (f.app.system === true) return 'system app';
  if (f.app.extra?.evidence === 'dumpsys') {
    return `seen by dumpsys only in user ${f.app.user ?? '?'}, a profile pm cannot list over adb: it cannot be uninstalled from there (remove it on the phone)`;
  }
  if (!SAFE_ID.test(f.app.id)) return 'the id holds characters a device shell would read: not sent';
  if (platform === 'android' && f.app.user === undefined) return 'the Android user is unknown';
  return undefined;
};

/**
 * Findings → steps. Only active findings at or above `failOn` on device targets are removed;
 * waived findings are listed as not removed (with the waiver) so the plan shows why they stay.
 */
export const planRemoval = (
  result: Pick<ScanResult, 'findings' | 'targets'>,
  failOn: FailOn,
  iosSyntax: IosUninstallSyntax = 'flags',
): RemovalPlan => {
  const targets = new Map(result.targets.map((t) => [t.id, t]));
  const steps = new Map<string, RemovalStep>();
  const firstFinding = new Map<string, Finding>();
  for (const f of result.findings) {
    const failing = isFailing(f, failOn);
    const waived = !isActive(f);
    if (!failing && !waived) continue;
    const m = DEVICE_TARGET.exec(f.target);
    const target = targets.get(f.target);
    if (!m || target?.kind !== 'device') continue;
    const platform = m[1] as Platform;
    const device = (platform === 'android' ? target.device?.serial : target.device?.udid) ?? (m[2] as string);
    const key = stepKey(f);
    const existing = steps.get(key);
    if (existing) {
      // One app matched by several rules is one removal: the rules are listed together.
      if (!existing.rules.includes(f.ruleId)) existing.rules.push(f.ruleId);
      if (severityRank(f.severity) < severityRank(existing.severity)) existing.severity = f.severity;
      // A failing finding outweighs a waived one for the same app: it is removed.
      if (failing && existing.reason?.startsWith('waived')) {
        delete existing.reason;
        existing.action = 'uninstall';
      }
      continue;
    }
    const step: RemovalStep = {
      target: f.target,
      platform,
      device,
      app: f.app.id,
      rules: [f.ruleId],
      severity: f.severity,
      action: 'uninstall',
    };
    if (f.app.user !== undefined) step.user = f.app.user;
    if (f.app.name !== undefined) step.name = f.app.name;
    const network = platform === 'ios' && target.device?.state === 'network';
    if (network) step.network = true;
    if (!failing) {
      step.action = 'skip';
      step.reason = `waived (${f.waiver?.id ?? 'waiver'}: ${f.waiver?.reason ?? ''})`;
    }
    steps.set(key, step);
    firstFinding.set(key, f);
  }
  for (const [key, step] of steps) {
    // Decided after merging: a system app or dumpsys-only record is never removed, waived or not.
    const finding = firstFinding.get(key);
    const reason = finding ? skipReason(finding, step.platform) : undefined;
    if (reason) {
      step.action = 'skip';
      step.reason = reason;
    }
    if (step.action === 'uninstall') {
      step.command =
        step.platform === 'android'
          ? ['adb', ...androidUninstallArgs(step.device, step.user ?? 0, step.app)]
          : [
              'ideviceinstaller',
              ...iosUninstallArgs(iosSyntax, step.device, step.network === true, step.app),
            ];
    }
  }
  const list = [...steps.values()];
  const uninstall = list.filter((s) => s.action === 'uninstall').length;
  return { steps: list, uninstall, skipped: list.length - uninstall };
};
