/**
 * `ideviceinfo` output: `Key: value` lines (nested dictionaries are printed indented below their
 * key). Only the identity keys matter here.
 */
import type { DeviceFacts } from '../model.js';
import type { LineScan } from './listing-context.js';

const KEY_LINE = /^([A-Za-z][A-Za-z0-9]*): ?(.*)$/;
const IDENTITY_KEYS = [
  'DeviceName',
  'ProductType',
  'ProductVersion',
  'SerialNumber',
  'UniqueDeviceID',
  'DeviceClass',
  'BuildVersion',
  'HardwareModel',
] as const;

const IDENTITY_LINE = new RegExp(`^(?:${IDENTITY_KEYS.join('|')}): \\S`, 'gm');

/** True when at least two identity keys appear as `Key: value` lines (ideviceinfo output is short: the head suffices). */
export function looksLikeIdeviceinfo(text: string): boolean {
  const head = text.length > 65536 ? text.slice(0, 65536) : text;
  const keys = new Set<string>();
  for (const m of head.matchAll(IDENTITY_LINE)) keys.add(m[0].slice(0, m[0].indexOf(':')));
  return keys.size >= 2;
}

/** The same test over the lines no other parser claimed, for ideviceinfo output pasted after a listing. */
export function hasIdeviceinfoLines(scan: LineScan): boolean {
  const keys = new Set<string>();
  scan.lines.forEach((line, i) => {
    if (scan.isClaimed(i) || keys.size >= 2) return;
    const colon = line.indexOf(': ');
    if (colon <= 0) return;
    const key = line.slice(0, colon);
    if ((IDENTITY_KEYS as readonly string[]).includes(key)) keys.add(key);
  });
  return keys.size >= 2;
}

/**
 * Claim the `Key: value` lines left unclaimed by the other parsers (call it last, and only when
 * looksLikeIdeviceinfo said so) and return the device facts, or undefined when there are none.
 */
export function parseIdeviceinfoLines(scan: LineScan): DeviceFacts | undefined {
  const values = new Map<string, string>();
  let inBlock = false;
  scan.lines.forEach((line, i) => {
    if (scan.isClaimed(i)) {
      inBlock = false;
      return;
    }
    const m = KEY_LINE.exec(line);
    if (m?.[1]) {
      inBlock = true;
      scan.claim(i);
      values.set(m[1], (m[2] ?? '').trim());
      return;
    }
    // Nested values of a dictionary key are indented under it.
    if (inBlock && /^\s+\S/.test(line)) {
      scan.claim(i);
      return;
    }
    inBlock = false;
  });
  if (!IDENTITY_KEYS.some((k) => values.has(k))) return undefined;
  const facts: DeviceFacts = { platform: 'ios' };
  const set = (key: string, apply: (v: string) => void): void => {
    const v = values.get(key);
    if (v) apply(v);
  };
  set('DeviceName', (v) => {
    facts.name = v;
  });
  set('ProductType', (v) => {
    facts.model = v;
  });
  set('ProductVersion', (v) => {
    facts.osVersion = v;
  });
  set('SerialNumber', (v) => {
    facts.serial = v;
  });
  set('UniqueDeviceID', (v) => {
    facts.udid = v;
  });
  // ideviceinfo only talks to Apple devices, so the maker is a fact of the capture, not a guess.
  facts.manufacturer = 'Apple';
  return facts;
}
