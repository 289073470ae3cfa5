/**
 * Android phones through adb. Per device, a fixed number of round-trips whatever the app count:
 * one shell script (properties, users, every user's package list), one `dumpsys package
 * packages`, then the certificate passes of adb-certs.ts. Every call names the device with `-s`.
 * Discovery adds one call per ready device per run (model, manufacturer, OS version).
 */
import { AppwardenError, describeError, isAppwardenError } from '../errors.js';
import type { Diagnostic, ProfileInfo, TargetResult } from '../model.js';
import { weakDigestsOf } from '../parsers/apk.js';
import { findDumpsysRanges, parseDumpsysPackageLines } from '../parsers/dumpsys-package.js';
import { deviceFactsFromProps, parseGetpropLines } from '../parsers/getprop.js';
import { appKey, LineScan, mergeInto } from '../parsers/listing-context.js';
import { parsePmListLines } from '../parsers/pm-list.js';
import { parsePmUsersLines } from '../parsers/pm-users.js';
import { type CertOutcome, readCertificates } from './adb-certs.js';
import { discoveryPropsScript, parseAdbDevices, parseDiscoveryProps, stateProblem } from './adb-devices.js';
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
  if (result.timedOut || result.exitCode !== 0) {
    // No device list means no Android device can be reported on: the same outcome as a missing tool.
    throw new AppwardenError(
      'TOOL_NOT_FOUND',
      `${failureReason('adb devices', result, ctx.timeoutMs)}; check that the adb server can start (\`adb start-server\`)`,
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
    enrichFromDumpsys(target, stdoutText(dumpsys));
  }
  ctx.onProgress?.({ type: 'apps', target: target.id, count: target.apps.length });

  const paths = [
    ...new Set(target.apps.map((a) => a.paths?.[0]).filter((p): p is string => p?.endsWith('.apk') === true)),
  ];
  if (paths.length > 0) {
    const certs = await readCertificates(paths, listed.users, target.device?.sdk, marker, async (script) => {
      const res = await call.run('exec-out', script);
      if (res.timedOut || res.exitCode !== 0 || res.truncated) {
        return { ok: false, reason: adbCallProblem('reading APK signatures', res, ctx.timeoutMs) };
      }
      return { ok: true, data: res.stdout };
    });
    applyCertificates(target, certs.byPath);
    if (certs.failure) partial.push(`${certs.failure}; some signing certificates are missing`);
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
      for (const p of parsePmUsersLines(new LineScan(section.body.split('\n'), ctx)) ?? [])
        profiles.set(p.user, p);
    } else if (kind === 'packages' && userText !== undefined) {
      const user = Number(userText);
      out.packageSections++;
      const profile = profiles.get(user) ?? { user, kind: user === 0 ? 'primary' : 'unknown', scanned: true };
      profiles.set(user, profile);
      const command = `${flavour === 'legacy' ? LEGACY_COMMAND : FULL_COMMAND} --user ${user}`;
      const scan = new LineScan([command, ...section.body.split('\n')], ctx);
      const result = parsePmListLines(scan);
      const denied = result.inaccessible.find((p) => p.user === user) ?? result.inaccessible[0];
      const empty = result.apps.length === 0;
      if (denied && empty) {
        profile.scanned = false;
        profile.reason = denied.reason ?? 'the shell user may not list this profile';
        out.partial.push(
          `user ${user}${profile.name ? ` (${profile.name})` : ''} could not be listed: ${profile.reason}`,
        );
        continue;
      }
      if (empty && section.exitCode !== undefined && section.exitCode !== 0) {
        profile.scanned = false;
        profile.reason = `pm list packages failed (exit ${section.exitCode}): ${firstLine(section.body)}`;
        out.partial.push(`user ${user} could not be listed: ${profile.reason}`);
        continue;
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

function enrichFromDumpsys(target: TargetResult, text: string): void {
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
}

function applyCertificates(target: TargetResult, byPath: Map<string, CertOutcome>): void {
  const unreadable = new Map<string, string[]>();
  let unsigned = 0;
  for (const app of target.apps) {
    const path = app.paths?.[0];
    const outcome = path === undefined ? undefined : byPath.get(path);
    if (!outcome) continue;
    if (outcome.kind === 'ok') {
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
    } else if (outcome.kind === 'unsigned') {
      unsigned++;
    } else {
      const ids = unreadable.get(outcome.reason) ?? [];
      ids.push(app.id);
      unreadable.set(outcome.reason, ids);
    }
  }
  for (const [reason, ids] of unreadable) {
    const unique = [...new Set(ids)];
    target.diagnostics.push({
      level: 'warning',
      message: `signing certificate unknown for ${unique.length} app(s) (${reason}): ${unique.slice(0, 10).join(', ')}${unique.length > 10 ? ', …' : ''}`,
    });
  }
  if (unsigned > 0)
    target.diagnostics.push({ level: 'warning', message: `${unsigned} APK(s) carry no signature` });
}

const stripLines = (diagnostics: Diagnostic[]): Diagnostic[] =>
  diagnostics.map(({ line: _line, path: _path, ...d }) => d);

const firstLine = (text: string): string => text.trim().split('\n')[0]?.slice(0, 160) ?? '';

export const androidSource: DeviceSource = { platform: 'android', discover, scan };
