/**
 * Android phones through adb. Per device, a fixed number of round-trips whatever the app count:
 * one shell script (properties, users, every user's package list), one `dumpsys package
 * packages`, then the certificate passes of adb-certs.ts. Every call names the device with `-s`.
 * Discovery adds one call per ready device per run (model, manufacturer, OS version).
 */
import { describeError, isAppwardenError } from '../errors.js';
import type { AppRecord, Diagnostic, ProfileInfo, TargetResult } from '../model.js';
import { weakDigestsOf } from '../parsers/apk.js';
import { DUMPSYS_PACKAGE, findDumpsysRanges, parseDumpsysPackageLines } from '../parsers/dumpsys-package.js';
import { deviceFactsFromProps, parseGetpropLines } from '../parsers/getprop.js';
import { mayHoldApp } from '../parsers/listing.js';
import { appKey, LineScan, mergeInto } from '../parsers/listing-context.js';
import { parsePmListLines } from '../parsers/pm-list.js';
import { parsePmUsersLines } from '../parsers/pm-users.js';
import { type CertOutcome, readCertificates } from './adb-certs.js';
import {
  discoveryPropsScript,
  lastLine,
  parseAdbDevices,
  parseDiscoveryProps,
  stateProblem,
  ToolFailedError,
} from './adb-devices.js';
import { inventoryScript, newMarker, type ScriptSection, splitSections } from './adb-script.js';
import { ADB_PACKAGE, type ExecResult, failureReason, runTool, stdoutText } from './exec.js';
import type { DeviceInfo, DeviceSource, SourceContext } from './types.js';

const FULL_COMMAND = 'pm list packages -f -i -U --show-versioncode';
const LEGACY_COMMAND = 'pm list packages -f -i';

async function discover(ctx: SourceContext): Promise<DeviceInfo[]> {
  const result = await runTool(ctx.tools.adb, ['devices', '-l'], {
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    package: ADB_PACKAGE,
  });
  if (result.timedOut || result.exitCode !== 0 || result.truncated) {
    // adb is there but gave no device list: phones may be attached unseen, so this is never a notice.
    const why = result.timedOut
      ? `adb devices timed out after ${Math.round(ctx.timeoutMs / 1000)} s: the adb server did not answer`
      : result.truncated
        ? failureReason('adb devices', result, ctx.timeoutMs)
        : `adb devices failed (exit ${result.exitCode ?? 'signal'})${lastLine(result.stderr) ? `: ${lastLine(result.stderr)}` : ''}`;
    throw new ToolFailedError(
      'adb',
      `${why}; restart the adb server (\`adb kill-server\`, then \`adb start-server\`) and scan again`,
    );
  }
  const devices = parseAdbDevices(stdoutText(result));
  await Promise.all(devices.filter((d) => d.state === 'device').map((d) => addDeviceProps(d, ctx)));
  return devices;
}

/** Facts are optional at discovery: a slow phone must not hold up the device list for long. */
const DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * Model, manufacturer and OS version for a ready device, in one adb call. On any failure the
 * device keeps what `adb devices -l` said; the scan itself reports the device's problems.
 */
async function addDeviceProps(device: DeviceInfo, ctx: SourceContext): Promise<void> {
  const result = await runTool(ctx.tools.adb, ['-s', device.id, 'shell', discoveryPropsScript()], {
    env: ctx.env,
    timeoutMs: Math.min(ctx.timeoutMs, DISCOVERY_TIMEOUT_MS),
    package: ADB_PACKAGE,
  });
  if (result.timedOut || result.exitCode !== 0 || result.truncated) return;
  const props = parseDiscoveryProps(stdoutText(result));
  if (props.size === 0) return;
  const { platform: _platform, ...facts } = deviceFactsFromProps(props);
  device.facts = { ...device.facts, ...facts };
}

/** Why an adb call against a device failed, in words a user can act on. */
export function adbCallProblem(step: string, result: ExecResult, timeoutMs: number): string {
  if (result.timedOut) {
    return `${step} timed out after ${Math.round(timeoutMs / 1000)} s: the device stopped answering (unlock it, or unplug and reconnect it)`;
  }
  const err = result.stderr;
  if (/device '.*' not found|no devices\/emulators found/.test(err)) {
    return `device disconnected during ${step} (adb: ${err.trim().split('\n')[0]})`;
  }
  if (/unauthorized/.test(err)) return stateProblem('unauthorized') ?? 'device unauthorized';
  if (/device offline/.test(err)) return stateProblem('offline') ?? 'device offline';
  if (/insufficient permissions|no permissions/.test(err))
    return stateProblem('no permissions') ?? 'no permissions';
  if (/device still authorizing/.test(err)) return stateProblem('authorizing') ?? 'device still authorizing';
  return failureReason(step, result, timeoutMs);
}

class DeviceCall {
  calls = 0;
  constructor(
    private readonly ctx: SourceContext,
    private readonly serial: string,
  ) {}

  async run(mode: 'shell' | 'exec-out', script: string): Promise<ExecResult> {
    this.calls++;
    return runTool(this.ctx.tools.adb, ['-s', this.serial, mode, script], {
      env: this.ctx.env,
      timeoutMs: this.ctx.timeoutMs,
      package: ADB_PACKAGE,
    });
  }
}

async function scan(device: DeviceInfo, ctx: SourceContext): Promise<TargetResult> {
  const id = `android:${device.id}`;
  const target: TargetResult = {
    id,
    kind: 'device',
    status: 'scanned',
    format: 'adb',
    device: { ...device.facts, platform: 'android', serial: device.id, state: device.state },
    profiles: [],
    apps: [],
    diagnostics: [],
  };
  if (device.state !== 'device') {
    return {
      ...target,
      status: 'failed',
      error: device.problem ?? stateProblem(device.state) ?? device.state,
    };
  }
  ctx.onProgress?.({ type: 'target-start', target: id });
  try {
    await scanInto(target, device.id, ctx);
  } catch (error) {
    // A tool vanishing mid-run or a bug in a reader must not take the other devices down.
    target.status = 'failed';
    target.error = isAppwardenError(error) ? error.message : `internal error: ${describeError(error)}`;
  }
  ctx.onProgress?.({ type: 'target-end', target: id, apps: target.apps.length });
  return target;
}

async function scanInto(target: TargetResult, serial: string, ctx: SourceContext): Promise<void> {
  const call = new DeviceCall(ctx, serial);
  const marker = newMarker();
  const partial: string[] = [];

  const [inventory, dumpsys] = await Promise.all([
    call.run('shell', inventoryScript(marker)),
    call.run('exec-out', 'dumpsys package packages'),
  ]);

  if (inventory.timedOut || inventory.exitCode !== 0 || inventory.truncated) {
    target.status = 'failed';
    target.error = adbCallProblem('listing packages', inventory, ctx.timeoutMs);
    return;
  }
  const sections = splitSections(stdoutText(inventory), marker);
  const listed = readInventory(target, sections);
  if (listed.packageSections === 0) {
    target.status = 'failed';
    target.error = 'the device returned no package list (output cut short or pm unavailable)';
    return;
  }
  partial.push(...listed.partial);

  if (dumpsys.timedOut || dumpsys.exitCode !== 0 || dumpsys.truncated) {
    const why = adbCallProblem('dumpsys package', dumpsys, ctx.timeoutMs);
    partial.push(`${why}; version names, enabled state and install times are missing`);
  } else {
    partial.push(...readDumpsysInto(target, stdoutText(dumpsys)));
  }
  ctx.onProgress?.({ type: 'apps', target: target.id, count: target.apps.length });

  const paths = [
    ...new Set(target.apps.map((a) => a.paths?.[0]).filter((p): p is string => p?.endsWith('.apk') === true)),
  ];
  let certFailure: string | undefined;
  let byPath = new Map<string, CertOutcome>();
  if (paths.length > 0) {
    const certs = await readCertificates(paths, listed.users, target.device?.sdk, marker, async (script) => {
      const res = await call.run('exec-out', script);
      if (res.timedOut || res.exitCode !== 0 || res.truncated) {
        return { ok: false, reason: adbCallProblem('reading APK signatures', res, ctx.timeoutMs) };
      }
      return { ok: true, data: res.stdout };
    });
    byPath = certs.byPath;
    certFailure = certs.failure;
  }
  const missing = applyCertificates(target, byPath, certFailure);
  if (missing > 0) {
    partial.push(
      `the signing certificate of ${missing} app(s) could not be read${certFailure ? ` (${certFailure})` : ''}: a renamed banned app among them would only be found by its certificate (the apps are listed in the diagnostics)`,
    );
  }

  target.diagnostics.push({
    level: 'info',
    message: `${call.calls} adb calls for ${target.apps.length} app records`,
  });
  if (partial.length > 0) {
    target.status = 'partial';
    target.error = partial.join('; ');
  }
}

interface InventoryRead {
  users: number[];
  packageSections: number;
  partial: string[];
}

function readInventory(target: TargetResult, sections: ScriptSection[]): InventoryRead {
  const out: InventoryRead = { users: [], packageSections: 0, partial: [] };
  const ctx = { target: target.id };
  const profiles = new Map<number, ProfileInfo>();

  for (const section of sections) {
    const [kind, userText, flavour] = section.name;
    if (kind === 'getprop') {
      const props = parseGetpropLines(new LineScan(section.body.split('\n'), ctx));
      if (props) target.device = { ...target.device, ...deviceFactsFromProps(props) };
    } else if (kind === 'users') {
      const users = parsePmUsersLines(new LineScan(section.body.split('\n'), ctx)) ?? [];
      for (const p of users) profiles.set(p.user, p);
      if (users.length === 0 || (section.exitCode !== undefined && section.exitCode !== 0)) {
        // The script then lists user 0 only: any other profile would go unseen.
        out.partial.push(
          `pm list users failed${section.exitCode ? ` (exit ${section.exitCode})` : ''}${errorLine(section.body) ? `: ${errorLine(section.body)}` : ''}; profiles other than the owner's were not listed`,
        );
      }
    } else if (kind === 'packages' && userText !== undefined) {
      const user = Number(userText);
      out.packageSections++;
      const profile = profiles.get(user) ?? { user, kind: user === 0 ? 'primary' : 'unknown', scanned: true };
      profiles.set(user, profile);
      const command = `${flavour === 'legacy' ? LEGACY_COMMAND : FULL_COMMAND} --user ${user}`;
      const scan = new LineScan([command, ...section.body.split('\n')], ctx);
      const result = parsePmListLines(scan);
      // pm prints only `package:` lines: another line naming something id-shaped may have been one.
      for (let i = 1; i < scan.lines.length; i++) {
        const line = scan.lines[i] ?? '';
        if (!scan.isClaimed(i) && line.trim() !== '' && mayHoldApp(line) && errorLine(line) === undefined) {
          scan.lose(i, `unreadable line "${line.trim().slice(0, 80)}" may have held an app`);
        }
      }
      // App lines that could not be read (no recoverable id, cut short): the profile is not whole.
      const lost = scan.lostReason();
      const denied = result.inaccessible.find((p) => p.user === user) ?? result.inaccessible[0];
      const failedExit = section.exitCode !== undefined && section.exitCode !== 0;
      const error = errorLine(section.body);
      const label = `user ${user}${profile.name ? ` (${profile.name})` : ''}`;
      if (result.apps.length === 0) {
        // Every real profile holds system packages: an empty list means the list was not seen.
        profile.scanned = false;
        if (denied) profile.reason = denied.reason ?? 'the shell user may not list this profile';
        else if (failedExit)
          profile.reason = `pm list packages failed (exit ${section.exitCode}): ${error ?? firstLine(section.body)}`;
        else if (error) profile.reason = `pm list packages printed an error: ${error}`;
        else profile.reason = 'pm list packages printed no packages, though every profile holds system apps';
        out.partial.push(`${label} could not be listed: ${profile.reason}`);
        continue;
      }
      if (denied || failedExit || error || result.partial || lost) {
        // Apps came, but so did an error: the list may stop short. Keep what came, say so.
        profile.scanned = false;
        profile.reason = `the package list may be incomplete: ${
          denied?.reason ??
          (failedExit ? `pm list packages exited ${section.exitCode}` : (error ?? result.partial ?? lost))
        }`;
        out.partial.push(`${label}: ${profile.reason}`);
      }
      if (flavour === 'legacy') {
        target.diagnostics.push({
          level: 'info',
          message: `user ${user}: this Android version's pm does not know -U/--show-versioncode; listed without them`,
        });
      }
      out.users.push(user);
      for (const app of result.apps) {
        app.user ??= user;
        app.origin = { target: target.id, parser: 'pm-list' };
        target.apps.push(app);
      }
      target.diagnostics.push(...stripLines(scan.finish()));
    }
  }
  for (const p of profiles.values()) {
    if (p.scanned && !out.users.includes(p.user)) {
      p.scanned = false;
      p.reason = 'not listed: the device output stopped before this profile';
      out.partial.push(`user ${p.user} was not listed (output cut short)`);
    }
  }
  target.profiles = [...profiles.values()].sort((a, b) => a.user - b.user);
  return out;
}

/**
 * Fill details from `dumpsys package` into the listed apps, and add the apps it shows installed in
 * profiles `pm` did not list. Returns reasons for the target's partial note.
 */
export function readDumpsysInto(target: TargetResult, text: string): string[] {
  return addUnlistedFromDumpsys(target, enrichFromDumpsys(target, text));
}

function enrichFromDumpsys(target: TargetResult, text: string): AppRecord[] {
  const lines = text.split('\n');
  const scan = new LineScan(lines, { target: target.id });
  const records = parseDumpsysPackageLines(scan, findDumpsysRanges(lines).ranges);
  const byKey = new Map(records.map((r) => [appKey(r), r]));
  for (const app of target.apps) {
    const extra = byKey.get(appKey(app));
    if (!extra) continue;
    // The dumpsys code path is a folder; the pm listing's base.apk path is the one to keep.
    const { paths: _paths, origin: _origin, ...rest } = extra;
    mergeInto(app, { ...rest, origin: app.origin });
  }
  return records;
}

/**
 * `dumpsys package` runs in system_server and prints every package's state for every user
 * (`User 150: … installed=true`), including profiles `pm` may not list over adb (Samsung Secure
 * Folder) or that `pm list users` did not show. Apps it shows installed there join the target,
 * marked as seen by dumpsys only; such a profile stays unscanned (dumpsys omits what pm would say
 * about the listing being whole). Returns the reasons to add to the target's partial note.
 */
function addUnlistedFromDumpsys(target: TargetResult, records: AppRecord[]): string[] {
  const profiles = new Map((target.profiles ?? []).map((p) => [p.user, p]));
  const have = new Set(target.apps.map((a) => appKey(a)));
  const added = new Map<number, number>();
  const notes: string[] = [];
  for (const record of records) {
    if (record.user === undefined) continue;
    const profile = profiles.get(record.user);
    if (profile?.scanned === true || have.has(appKey(record))) continue;
    if (!profile) {
      const unknown: ProfileInfo = {
        user: record.user,
        kind: 'unknown',
        scanned: false,
        reason: 'not shown by pm list users; its apps were seen in dumpsys package only',
      };
      profiles.set(record.user, unknown);
      notes.push(`user ${record.user} ${unknown.reason}`);
    }
    const codePath = record.paths?.[0];
    const app: AppRecord = {
      ...record,
      extra: { ...record.extra, evidence: 'dumpsys' },
      origin: { target: target.id, parser: DUMPSYS_PACKAGE },
    };
    const apk = codePath === undefined ? undefined : apkInCodePath(codePath);
    if (apk) app.paths = [apk];
    target.apps.push(app);
    have.add(appKey(app));
    added.set(record.user, (added.get(record.user) ?? 0) + 1);
  }
  for (const [user, count] of added) {
    const label = profiles.get(user)?.name;
    target.diagnostics.push({
      level: 'warning',
      message: `user ${user}${label ? ` (${label})` : ''}: ${count} app(s) seen installed by dumpsys package only (pm could not list this profile)`,
    });
  }
  target.profiles = [...profiles.values()].sort((a, b) => a.user - b.user);
  return notes;
}

/** The base APK inside a dumpsys `codePath` folder: `base.apk` for installed apps, `<dir>.apk` for system ones. */
function apkInCodePath(codePath: string): string | undefined {
  if (codePath.endsWith('.apk')) return codePath;
  if (codePath.startsWith('/data/app/')) return `${codePath}/base.apk`;
  const dir = codePath.split('/').pop();
  return dir ? `${codePath}/${dir}.apk` : undefined;
}

/**
 * Put each APK's certificates on its app records. Returns how many apps are left without one: each
 * is named in a warning, grouped by reason, since publisher rules cannot see them.
 */
function applyCertificates(
  target: TargetResult,
  byPath: Map<string, CertOutcome>,
  failure: string | undefined,
): number {
  const unreadable = new Map<string, string[]>();
  for (const app of target.apps) {
    const path = app.paths?.[0];
    const outcome = path?.endsWith('.apk') ? byPath.get(path) : undefined;
    let reason: string;
    if (outcome?.kind === 'ok') {
      const { signers, lineage, schemes } = outcome.signing;
      app.publisher = {
        ...app.publisher,
        certSha256: signers.map((s) => s.certSha256),
        ...weakDigestsOf(signers),
        ...(signers.every((s) => s.subject) ? { certSubjects: signers.map((s) => s.subject ?? '') } : {}),
        ...(lineage.length > 0 ? { certLineage: lineage } : {}),
      };
      app.signingSchemes = schemes;
      app.signature = 'unverified';
      continue;
    }
    if (outcome?.kind === 'unsigned') {
      // Android installs signed APKs only: no signature found means it was not seen.
      reason = 'no signature found in the APK, though Android installs only signed ones';
    } else if (outcome) reason = outcome.reason;
    else if (!path?.endsWith('.apk')) reason = 'the package list gives no APK path';
    else reason = failure ?? 'not read';
    const ids = unreadable.get(reason) ?? [];
    ids.push(app.user === undefined ? app.id : `${app.id} (user ${app.user})`);
    unreadable.set(reason, ids);
  }
  let count = 0;
  for (const [reason, ids] of unreadable) {
    const unique = [...new Set(ids)];
    count += unique.length;
    target.diagnostics.push({
      level: 'warning',
      message: `signing certificate unknown for ${unique.length} app(s) (${reason}): ${unique.join(', ')}`,
    });
  }
  return count;
}

const stripLines = (diagnostics: Diagnostic[]): Diagnostic[] =>
  diagnostics.map(({ line: _line, path: _path, ...d }) => d);

const firstLine = (text: string): string => text.trim().split('\n')[0]?.slice(0, 160) ?? '';

/**
 * An error `pm` printed into its output, whatever its exit code: old devices (no shell protocol)
 * lose exit codes, and some builds exit 0 after `Error:` or a Java exception.
 */
const ERROR_LINE =
  /^(?:Error:|Failure\b|Exception\b|Exception occurred|Caused by:|(?:[a-z]\w*\.)+\w*(?:Exception|Error)\b|\S*: (?:not found|inaccessible or not found|permission denied)|cmd: |\/system\/bin\/sh: |Can't find service)/i;
const errorLine = (text: string): string | undefined =>
  text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => !l.startsWith('package:') && (ERROR_LINE.test(l) || /Exception\b/.test(l)))
    ?.slice(0, 160);

export const androidSource: DeviceSource = { platform: 'android', discover, scan };
