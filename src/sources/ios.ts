/**
 * iPhones and iPads through libimobiledevice: `idevice_id` lists them, `ideviceinfo` names them,
 * `ideviceinstaller` lists apps as an XML plist (names with commas or escapes and the Team IDs
 * come through intact). Two round-trips per device; the installer's syntax is detected once.
 */
import { describeError, isAppwardenError } from '../errors.js';
import type { DeviceFacts, TargetResult } from '../model.js';
import { parseIdeviceinfoLines } from '../parsers/ideviceinfo.js';
import { parseIdeviceinstallerXml } from '../parsers/ideviceinstaller.js';
import { LineScan } from '../parsers/listing-context.js';
import { ParseError } from '../parsers/types.js';
import { lastLine, ToolFailedError } from './adb-devices.js';
import {
  type ExecResult,
  failureReason,
  IDEVICE_ID_PACKAGE,
  IDEVICEINFO_PACKAGE,
  IDEVICEINSTALLER_PACKAGE,
  runTool,
  stdoutText,
} from './exec.js';
import type { DeviceInfo, DeviceSource, SourceContext } from './types.js';

/** 1.1.x: `-l -o list_all -o xml`; 1.2.x (Oct 2025): `list --all --xml` (no `-l`). */
export type InstallerSyntax = 'flags' | 'subcommands';

const syntaxCache = new Map<string, Promise<InstallerSyntax>>();

/** Decide the ideviceinstaller syntax from `--version`, falling back to the `-h` text. */
export function syntaxFromVersion(versionText: string, helpText = ''): InstallerSyntax | undefined {
  const m = /ideviceinstaller\s+v?(\d+)\.(\d+)/i.exec(versionText);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const major = Number(m[1]);
    const minor = Number(m[2]);
    return major > 1 || (major === 1 && minor >= 2) ? 'subcommands' : 'flags';
  }
  if (/--list-apps|-l,\s/.test(helpText)) return 'flags';
  if (/^\s*list\b/m.test(helpText) || /COMMAND/.test(helpText)) return 'subcommands';
  return undefined;
}

async function detectSyntax(ctx: SourceContext): Promise<InstallerSyntax> {
  const key = ctx.tools.ideviceInstaller;
  let pending = syntaxCache.get(key);
  if (!pending) {
    pending = (async () => {
      const opts = { env: ctx.env, timeoutMs: ctx.timeoutMs, package: IDEVICEINSTALLER_PACKAGE };
      const version = await runTool(key, ['--version'], opts);
      const fromVersion = syntaxFromVersion(stdoutText(version) + version.stderr);
      if (fromVersion) return fromVersion;
      const help = await runTool(key, ['-h'], opts);
      return syntaxFromVersion('', stdoutText(help) + help.stderr) ?? 'flags';
    })();
    syntaxCache.set(key, pending);
    // A failed probe (tool missing) must not stick for the rest of the process.
    pending.catch(() => syntaxCache.delete(key));
  }
  return pending;
}

/** Forget detected syntaxes (tests swap tool versions within one process). */
export const resetInstallerSyntax = (): void => syntaxCache.clear();

export function listArgs(syntax: InstallerSyntax, udid: string, network: boolean): string[] {
  const target = ['-u', udid, ...(network ? ['-n'] : [])];
  return syntax === 'subcommands'
    ? [...target, 'list', '--all', '--xml']
    : [...target, '-l', '-o', 'list_all', '-o', 'xml'];
}

/** Turn lockdown/pairing errors into what the user has to do on the phone. */
export function iosProblem(output: string, udid: string): string | undefined {
  const lockdown =
    /Could not connect to lockdownd[:,]?\s*([^\n(]*?)(?:\s*\(-?\d+\))?\.?(?: Exiting\.)?\s*$/m.exec(output);
  if (lockdown) {
    const reason = (lockdown[1] ?? '').trim();
    if (/pairing dialog response pending/i.test(reason)) {
      return 'pairing not accepted yet: unlock the device and tap "Trust" on the "Trust This Computer?" dialog, then scan again';
    }
    if (/user denied pairing/i.test(reason)) {
      return 'pairing was refused on the device ("Don\'t Trust"): unplug and reconnect it and tap "Trust" (or reset trust under Settings > General > Transfer or Reset > Reset Location & Privacy)';
    }
    if (/password protected/i.test(reason)) {
      return 'the device is locked with a passcode: unlock it, keep it unlocked during the scan, and scan again';
    }
    if (/invalid host ?id/i.test(reason)) {
      return `this computer's pairing record does not match the device: run \`idevicepair -u ${udid} unpair\` then \`idevicepair -u ${udid} pair\` and tap "Trust"`;
    }
    return `could not connect to lockdownd (${reason || 'unknown reason'}): unlock the device, tap "Trust" if asked, and check usbmuxd is running`;
  }
  if (/No device found/i.test(output) || /Device .* not found/i.test(output)) {
    return 'device disconnected (not found by usbmuxd): reconnect it and scan again';
  }
  return undefined;
}

async function discover(ctx: SourceContext): Promise<DeviceInfo[]> {
  const opts = { env: ctx.env, timeoutMs: ctx.timeoutMs, package: IDEVICE_ID_PACKAGE };
  const usb = await runTool(ctx.tools.ideviceId, ['-l'], opts);
  const devices = new Map<string, DeviceInfo>();
  const add = (udid: string, network: boolean): void => {
    if (!/^[0-9A-Fa-f-]{20,}$/.test(udid) || devices.has(udid)) return;
    devices.set(udid, {
      platform: 'ios',
      id: udid,
      state: network ? 'network' : 'usb',
      facts: { platform: 'ios', udid, state: network ? 'network' : 'usb' },
    });
  };
  // A hung usbmuxd would make the second call wait as long again.
  if (usb.timedOut)
    throw new ToolFailedError('idevice_id', listProblem(usb, ctx.timeoutMs) ?? 'idevice_id timed out');
  if (usb.exitCode === 0) for (const line of stdoutText(usb).split('\n')) add(line.trim(), false);
  // Without -l, idevice_id also shows devices paired over Wi-Fi, marked (Network).
  const all = await runTool(ctx.tools.ideviceId, [], opts);
  const problem = listProblem(usb, ctx.timeoutMs) ?? listProblem(all, ctx.timeoutMs);
  if (problem) throw new ToolFailedError('idevice_id', problem);
  if (all.exitCode === 0) {
    for (const line of stdoutText(all).split('\n')) {
      const m = /^(\S+)\s+\((USB|Network)\)\s*$/.exec(line.trim());
      if (m?.[1]) add(m[1], m[2] === 'Network');
    }
  }
  const list = [...devices.values()];
  await Promise.all(list.map((d) => describeDevice(d, ctx)));
  return list;
}

/**
 * Why an `idevice_id` call gave no device list, or undefined when its answer stands. "Unable to
 * retrieve device list" means usbmuxd is not running, which on Linux is the normal state with no
 * iPhone attached (udev starts it on plug-in): no devices, not a failure.
 */
function listProblem(res: ExecResult, timeoutMs: number): string | undefined {
  if (res.timedOut) {
    return `idevice_id timed out after ${Math.round(timeoutMs / 1000)} s: usbmuxd did not answer (restart usbmuxd and scan again)`;
  }
  if (res.truncated) return failureReason('idevice_id', res, timeoutMs);
  if (res.exitCode === 0) return undefined;
  const text = `${stdoutText(res)}\n${res.stderr}`;
  if (/Unable to retrieve device list/i.test(text)) return undefined;
  const line = lastLine(text);
  return `idevice_id failed (exit ${res.exitCode ?? 'signal'})${line ? `: ${line}` : ''}; check the libimobiledevice install and that usbmuxd runs`;
}

/** Fill facts (name, model, iOS version) or the pairing problem from `ideviceinfo`. */
async function describeDevice(device: DeviceInfo, ctx: SourceContext): Promise<void> {
  const args = ['-u', device.id, ...(device.state === 'network' ? ['-n'] : [])];
  const res = await runTool(ctx.tools.ideviceInfo, args, {
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    package: IDEVICEINFO_PACKAGE,
  });
  const text = stdoutText(res);
  if (res.exitCode !== 0 || res.timedOut) {
    device.problem =
      iosProblem(`${text}\n${res.stderr}`, device.id) ?? deviceCallProblem('ideviceinfo', res, ctx.timeoutMs);
    return;
  }
  const facts = parseIdeviceinfoLines(new LineScan(text.split('\n'), { target: `ios:${device.id}` }));
  if (facts) device.facts = { ...device.facts, ...facts, udid: device.id, state: device.state };
}

function deviceCallProblem(step: string, res: ExecResult, timeoutMs: number): string {
  if (res.timedOut) {
    return `${step} timed out after ${Math.round(timeoutMs / 1000)} s: the device stopped answering (unlock it, or unplug and reconnect it)`;
  }
  return failureReason(step, res, timeoutMs);
}

async function scan(device: DeviceInfo, ctx: SourceContext): Promise<TargetResult> {
  const id = `ios:${device.id}`;
  const target: TargetResult = {
    id,
    kind: 'device',
    status: 'scanned',
    device: { ...device.facts, platform: 'ios', udid: device.id },
    apps: [],
    diagnostics: [],
  };
  ctx.onProgress?.({ type: 'target-start', target: id });
  try {
    await scanInto(target, device, ctx);
  } catch (error) {
    target.status = 'failed';
    target.error = isAppwardenError(error) ? error.message : `internal error: ${describeError(error)}`;
  }
  ctx.onProgress?.({ type: 'target-end', target: id, apps: target.apps.length });
  return target;
}

async function scanInto(target: TargetResult, device: DeviceInfo, ctx: SourceContext): Promise<void> {
  if (!hasFacts(device.facts) && !device.problem) await describeDevice(device, ctx);
  target.device = { ...target.device, ...device.facts, platform: 'ios', udid: device.id };
  if (device.problem) {
    target.status = 'failed';
    target.error = device.problem;
    return;
  }
  const syntax = await detectSyntax(ctx);
  const res = await runTool(
    ctx.tools.ideviceInstaller,
    listArgs(syntax, device.id, device.state === 'network'),
    {
      env: ctx.env,
      timeoutMs: ctx.timeoutMs,
      package: IDEVICEINSTALLER_PACKAGE,
    },
  );
  const text = stdoutText(res);
  if (res.timedOut || res.exitCode !== 0 || !text.includes('<plist')) {
    target.status = 'failed';
    target.error =
      (res.timedOut ? undefined : iosProblem(`${text}\n${res.stderr}`, device.id)) ??
      deviceCallProblem('ideviceinstaller (listing apps)', res, ctx.timeoutMs);
    return;
  }
  try {
    const parsed = parseIdeviceinstallerXml(text, { target: target.id });
    target.format = parsed.format;
    target.apps = parsed.apps.map((app) => ({
      ...app,
      origin: { target: target.id, parser: parsed.format },
    }));
    target.diagnostics.push(...parsed.diagnostics.map(({ line: _l, path: _p, ...d }) => d));
    // App entries the parser could not read: the list is not whole, so the device is not either.
    if (parsed.partial !== undefined) {
      target.status = 'partial';
      target.error = target.error ? `${target.error}; ${parsed.partial}` : parsed.partial;
    }
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    target.status = 'failed';
    target.error = `ideviceinstaller printed an app list appwarden cannot read: ${error.message}`;
    return;
  }
  ctx.onProgress?.({ type: 'apps', target: target.id, count: target.apps.length });
}

const hasFacts = (facts: DeviceFacts): boolean => facts.osVersion !== undefined || facts.model !== undefined;

export const iosSource: DeviceSource = { platform: 'ios', discover, scan };
