import type { DeviceInfo } from './types.js';

/**
 * A device tool that is installed but failed or hung while listing devices (`adb devices`,
 * `idevice_id`). Unlike a missing tool (AppwardenError TOOL_NOT_FOUND, a notice when scanning
 * whatever is connected), this always leaves the scan incomplete: devices may be attached unseen.
 */
export class ToolFailedError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolFailedError';
  }
}

/** The last non-empty line of a tool's stderr: adb and libimobiledevice print their error last. */
export const lastLine = (text: string): string =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop()
    ?.slice(0, 200) ?? '';

/**
 * `adb devices -l`: `List of devices attached`, then `serial<spaces|TAB>state[ key:value…]` lines.
 * The state may contain spaces (`no permissions (…); see [url]`), so it runs up to the first
 * `key:value` token; daemon start-up chatter goes to stderr and is not seen here.
 */
export function parseAdbDevices(text: string): DeviceInfo[] {
  const devices: DeviceInfo[] = [];
  for (const raw of text.replace(/\r+\n/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('List of devices') || line.startsWith('*')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const serial = m[1];
    const rest = m[2];
    const props: Record<string, string> = {};
    let state = rest;
    const firstProp = rest.search(/\s(usb|product|model|device|transport_id|features):\S/);
    if (firstProp >= 0) {
      state = rest.slice(0, firstProp).trim();
      for (const token of rest.slice(firstProp).trim().split(/\s+/)) {
        const i = token.indexOf(':');
        if (i > 0) props[token.slice(0, i)] = token.slice(i + 1);
      }
    } else if (/^\S+:\S+/.test(rest)) {
      // Some adb builds omit the state column entirely; nothing usable can be said then.
      state = 'unknown';
    }
    const info: DeviceInfo = {
      platform: 'android',
      id: serial,
      state: state.startsWith('no permissions') ? 'no permissions' : state,
      facts: { platform: 'android', serial, state },
    };
    if (props.model) info.facts.model = props.model.replace(/_/g, ' ');
    if (props.device) info.facts.name = props.device;
    const problem = stateProblem(state);
    if (problem) info.problem = problem;
    devices.push(info);
  }
  return devices;
}

/** What a user must do about a device in this state; undefined when it can be scanned. */
export function stateProblem(state: string): string | undefined {
  if (state === 'device') return undefined;
  if (state === 'unauthorized') {
    return 'device unauthorized: unlock the phone and accept the "Allow USB debugging?" prompt (tick "Always allow from this computer"), then run the scan again';
  }
  if (state === 'authorizing') return 'device still authorizing: wait a few seconds and run the scan again';
  if (state === 'offline') {
    return 'device offline: reconnect the cable or restart adb (`adb kill-server`), and check the phone is unlocked';
  }
  if (state.startsWith('no permissions')) {
    const detail = /\(([^)]*)\)/.exec(state)?.[1];
    return `no permissions to open the USB device${detail ? ` (${detail})` : ''}: add a udev rule for the phone's vendor (Debian package android-sdk-platform-tools-common) and make sure your user is in the plugdev group`;
  }
  if (state === 'connecting') return 'device still connecting: wait and run the scan again';
  return `device is in state "${state}" (not booted to Android): boot the phone normally and run the scan again`;
}

/** Properties `appwarden devices` shows and `adb devices -l` lacks (OS version above all). */
const DISCOVERY_PROPS = [
  'ro.build.version.release',
  'ro.build.version.sdk',
  'ro.product.manufacturer',
  'ro.product.model',
] as const;

/** One shell call printing `name=value` per property; a missing property prints an empty value. */
export const discoveryPropsScript = (): string =>
  `for __p in ${DISCOVERY_PROPS.join(' ')}; do echo "$__p=$(getprop $__p)"; done`;

/**
 * Read the reply of `discoveryPropsScript`. Only the asked-for names count: old devices (no shell
 * protocol) mix stderr into stdout, and a value must not be taken from such noise.
 */
export function parseDiscoveryProps(text: string): Map<string, string> {
  const wanted = new Set<string>(DISCOVERY_PROPS);
  const props = new Map<string, string>();
  for (const raw of text.replace(/\r+\n/g, '\n').split('\n')) {
    const i = raw.indexOf('=');
    if (i <= 0) continue;
    const key = raw.slice(0, i);
    const value = raw.slice(i + 1).trim();
    if (wanted.has(key) && value !== '') props.set(key, value);
  }
  return props;
}
