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

/** True when at least two identity keys appear as `Key: value` lines at the start of a line. */
export function looksLikeIdeviceinfo(text: string): boolean {
  let hits = 0;
  for (const key of IDENTITY_KEYS) {
    if (new RegExp(`^${key}: \\S`, 'm').test(text)) hits++;
    if (hits >= 2) return true;
  }
  return false;
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
