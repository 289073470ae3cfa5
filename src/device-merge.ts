/**
 * Files that only describe a device (a saved `getprop`, `pm list users`, `ideviceinfo`) belong to
 * the device whose apps another file lists: they join that target instead of standing as targets
 * of their own that hold no apps (and so could never be complete). Pure logic over targets.
 */
import path from 'node:path';
import type { DeviceFacts, ProfileInfo, TargetResult } from './model.js';

const FACT_FORMATS: ReadonlySet<string> = new Set(['getprop', 'pm-users', 'ideviceinfo']);

/** A target read from a file that carries device facts or profiles and no apps at all. */
export const isFactOnly = (target: TargetResult): boolean =>
  target.status === 'scanned' &&
  target.apps.length === 0 &&
  (target.appCount ?? 0) === 0 &&
  target.format !== undefined &&
  FACT_FORMATS.has(target.format);

const KEYS = ['serial', 'udid', 'fingerprint'] as const;

const sameDevice = (a: DeviceFacts | undefined, b: DeviceFacts | undefined): boolean =>
  a !== undefined && b !== undefined && KEYS.some((k) => a[k] !== undefined && a[k] === b[k]);

/** True when two fact sets name different devices (a key both have differs). */
const conflicts = (a: DeviceFacts | undefined, b: DeviceFacts | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  KEYS.some((k) => a[k] !== undefined && b[k] !== undefined && a[k] !== b[k]);

const folderOf = (target: TargetResult): string => path.dirname(target.id);

/**
 * The app target a fact file belongs to: one naming the same serial, UDID or build fingerprint;
 * failing that, the only app target in the same folder whose facts do not contradict it.
 */
export const ownerOf = (
  fact: TargetResult,
  candidates: readonly TargetResult[],
): TargetResult | undefined => {
  const byKey = candidates.filter((t) => sameDevice(t.device, fact.device));
  if (byKey.length === 1) return byKey[0];
  if (byKey.length > 1) return undefined;
  const beside = candidates.filter(
    (t) =>
      folderOf(t) === folderOf(fact) &&
      !conflicts(t.device, fact.device) &&
      t.kind !== 'apk' &&
      t.kind !== 'ipa',
  );
  return beside.length === 1 ? beside[0] : undefined;
};

/**
 * Merge a fact file into its owner: device facts fill what the owner lacks; profiles from `pm list
 * users` are added, and one the owner holds no apps for (`usersWithApps`, when known) was not
 * scanned, which leaves the owner partial.
 */
export const mergeFacts = (
  owner: TargetResult,
  fact: TargetResult,
  usersWithApps: ReadonlySet<number> | undefined,
): void => {
  if (fact.device) {
    const merged: DeviceFacts = { ...fact.device, ...(owner.device ?? {}) };
    for (const [key, value] of Object.entries(merged))
      if (value === undefined) delete merged[key as keyof DeviceFacts];
    owner.device = merged;
  }
  if (fact.profiles && fact.profiles.length > 0 && !owner.profiles) {
    const missing: ProfileInfo[] = [];
    owner.profiles = fact.profiles.map((p) => {
      const profile = { ...p };
      if (usersWithApps && profile.scanned && !usersWithApps.has(profile.user)) {
        profile.scanned = false;
        profile.reason = `${owner.id} lists no apps for this user`;
        missing.push(profile);
      }
      return profile;
    });
    if (missing.length > 0) {
      if (owner.status === 'scanned') owner.status = 'partial';
      const words = missing.map((p) => `user ${p.user}${p.name ? ` (${p.name})` : ''}`).join(', ');
      const note = `${words} listed by ${fact.id} but not in the app listing`;
      owner.error = owner.error ? `${owner.error}; ${note}` : note;
    }
  }
  owner.diagnostics.push({ level: 'info', message: `device facts from ${fact.id} merged into this target` });
};
