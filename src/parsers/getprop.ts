/**
 * `adb shell getprop` output: `[ro.product.model]: [Pixel 8]` lines. Appears alone, pasted at the
 * top of a listing, or inside a bugreport's SYSTEM PROPERTIES section.
 */
import type { DeviceFacts } from '../model.js';
import type { LineScan } from './listing-context.js';

const GETPROP_LINE = /^\[([\w.:@-]+)\]: \[(.*)\]\s*$/;

/** Collect every getprop line not claimed yet; undefined when there is none. */
export function parseGetpropLines(scan: LineScan): Map<string, string> | undefined {
  const props = new Map<string, string>();
  scan.lines.forEach((line, i) => {
    if (scan.isClaimed(i) || !line.startsWith('[')) return;
    const m = GETPROP_LINE.exec(line);
    if (!m?.[1]) return;
    scan.claim(i);
    props.set(m[1], m[2] ?? '');
  });
  return props.size > 0 ? props : undefined;
}

const first = (props: Map<string, string>, keys: readonly string[]): string | undefined => {
  for (const key of keys) {
    const value = props.get(key)?.trim();
    if (value) return value;
  }
  return undefined;
};

/** Device facts from properties; keys absent from the capture stay absent. */
export function deviceFactsFromProps(props: Map<string, string>): DeviceFacts {
  const facts: DeviceFacts = { platform: 'android' };
  const manufacturer = first(props, [
    'ro.product.manufacturer',
    'ro.product.vendor.manufacturer',
    'ro.product.system.manufacturer',
  ]);
  const model = first(props, ['ro.product.model', 'ro.product.vendor.model', 'ro.product.system.model']);
  const osVersion = first(props, ['ro.build.version.release', 'ro.build.version.release_or_codename']);
  const sdk = first(props, ['ro.build.version.sdk']);
  const fingerprint = first(props, [
    'ro.build.fingerprint',
    'ro.system.build.fingerprint',
    'ro.vendor.build.fingerprint',
  ]);
  const serial = first(props, ['ro.serialno', 'ro.boot.serialno']);
  const name = first(props, ['persist.sys.device_name', 'net.hostname']);
  if (manufacturer) facts.manufacturer = manufacturer;
  if (model) facts.model = model;
  if (osVersion) facts.osVersion = osVersion;
  if (sdk && /^\d+$/.test(sdk)) facts.sdk = Number(sdk);
  if (fingerprint) facts.fingerprint = fingerprint;
  if (serial) facts.serial = serial;
  if (name) facts.name = name;
  return facts;
}
