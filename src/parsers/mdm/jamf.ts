/**
 * Jamf Pro mobile device inventory, one target per device (named `jamf:{udid|serial|id}`):
 *
 * - Classic API XML, `GET /JSSResource/mobiledevices/id/{id}` (or `.../subset/General&Applications`,
 *   https://developer.jamf.com/jamf-pro/reference/findmobiledevicesbynamesubset):
 *   `<mobile_device><general>…</general><applications><application><application_name/>
 *   <application_version/><application_short_version/><identifier/></application></applications>`
 *   Several `<mobile_device>` elements under one root are read as several devices.
 * - Jamf Pro API JSON: `GET /api/v2/mobile-devices/{id}/detail` (applications under `ios` or at the
 *   top level, each `{identifier, name, version, shortVersion}`) and the paged inventory
 *   `GET /api/v2/mobile-devices/detail?section=GENERAL&section=HARDWARE&section=APPLICATIONS`
 *   (`{totalCount, results: [...]}`), listed in https://developer.jamf.com/jamf-pro/changelog
 *
 * `application_version` is CFBundleVersion and `application_short_version` CFBundleShortVersionString.
 * Jamf reports no signing certificates or team ids.
 */
import type { AppRecord, DeviceFacts, Diagnostic, TargetResult } from '../../model.js';
import { ParseError } from '../types.js';
import { childElements, elementText, parseXml, type XmlElement } from '../xml.js';
import {
  arr,
  buildTarget,
  isObject,
  isPlausibleId,
  type Json,
  type JsonObject,
  obj,
  parseJson,
  platformOf,
  put,
  str,
} from './common.js';

export const JAMF_XML_FORMAT = 'jamf-classic-xml';
export const JAMF_JSON_FORMAT = 'jamf-pro-json';

export const looksLikeJamfXml = (head: string): boolean =>
  /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<mobile_devices?\b/.test(head);

export const looksLikeJamfJson = (head: string): boolean => {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{')) return false;
  return (
    /"mobileDeviceId"\s*:/.test(t) ||
    (/"(?:udid|serialNumber)"\s*:/.test(t) && /"(?:ios|applications|general)"\s*:/.test(t))
  );
};

interface AppFields {
  id?: string;
  name?: string;
  version?: string;
  shortVersion?: string;
}

interface DeviceParts {
  key: string;
  device: DeviceFacts;
  apps: AppFields[];
  /** False when the document has no application list at all for this device. */
  hasApps: boolean;
}

const toTarget = (d: DeviceParts, format: string, path: string): TargetResult => {
  const id = `jamf:${d.key}`;
  const apps: AppRecord[] = [];
  const bad: string[] = [];
  const platform = d.device.platform ?? 'ios';
  for (const a of d.apps) {
    if (a.id === undefined || !isPlausibleId(a.id)) {
      bad.push(a.name ?? a.id ?? '?');
      continue;
    }
    const app: AppRecord = {
      platform,
      id: a.id,
      publisher: {},
      origin: { target: id, parser: format, path },
    };
    put(app, 'name', a.name);
    put(app, 'versionName', a.shortVersion ?? a.version);
    if (a.version !== undefined && a.shortVersion !== undefined) {
      app.versionCode = /^\d{1,15}$/.test(a.version) ? Number(a.version) : a.version;
    }
    apps.push(app);
  }
  const diagnostics: Diagnostic[] = [];
  const partial: string[] = [];
  if (bad.length > 0) partial.push(`${bad.length} application(s) without a usable identifier`);
  if (!d.hasApps) {
    return buildTarget({
      id,
      format,
      apps,
      device: d.device,
      diagnostics,
      failed:
        'no application list for this device (request the Applications subset/section of the inventory)',
      sourceCarriesCerts: false,
    });
  }
  return buildTarget({ id, format, apps, device: d.device, diagnostics, partial, sourceCarriesCerts: false });
};

const child = (e: XmlElement | undefined, name: string): XmlElement | undefined =>
  e ? childElements(e, name)[0] : undefined;
const text = (e: XmlElement | undefined, name: string): string | undefined => {
  const v = child(e, name);
  const t = v ? elementText(v).trim() : '';
  return t === '' ? undefined : t;
};

const xmlDevice = (m: XmlElement, index: number): DeviceParts => {
  const general = child(m, 'general');
  const device: DeviceFacts = {};
  put(device, 'name', text(general, 'device_name') ?? text(general, 'name') ?? text(general, 'display_name'));
  put(device, 'serial', text(general, 'serial_number'));
  put(device, 'udid', text(general, 'udid'));
  put(device, 'model', text(general, 'model'));
  put(device, 'osVersion', text(general, 'os_version'));
  put(device, 'platform', platformOf(text(general, 'os_type')) ?? 'ios');
  if (device.platform === 'ios') device.manufacturer = 'Apple';
  const applications = child(m, 'applications');
  const apps = applications
    ? childElements(applications, 'application').map((a) => {
        const f: AppFields = {};
        put(f, 'id', text(a, 'identifier'));
        put(f, 'name', text(a, 'application_name'));
        put(f, 'version', text(a, 'application_version'));
        put(f, 'shortVersion', text(a, 'application_short_version'));
        return f;
      })
    : [];
  const key = device.udid ?? device.serial ?? text(general, 'id') ?? `device${index + 1}`;
  return { key, device, apps, hasApps: applications !== undefined };
};

export const parseJamfXml = (text: string, path: string): TargetResult[] | undefined => {
  let root: XmlElement;
  try {
    root = parseXml(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    if (error instanceof ParseError) throw new ParseError(`Jamf mobile device XML: ${error.message}`);
    throw error;
  }
  const devices =
    root.name === 'mobile_device'
      ? [root]
      : root.name === 'mobile_devices'
        ? childElements(root, 'mobile_device')
        : [];
  if (devices.length === 0) return undefined;
  return devices.map((m, i) => toTarget(xmlDevice(m, i), JAMF_XML_FORMAT, path));
};

const jsonDevice = (d: JsonObject, index: number): DeviceParts | undefined => {
  const general = obj(d, 'general') ?? d;
  const hardware = obj(d, 'hardware') ?? obj(d, 'ios') ?? d;
  const device: DeviceFacts = {};
  put(device, 'name', str(general, 'displayName') ?? str(d, 'name') ?? str(general, 'name'));
  put(device, 'serial', str(hardware, 'serialNumber') ?? str(d, 'serialNumber'));
  put(device, 'udid', str(general, 'udid') ?? str(d, 'udid'));
  put(device, 'model', str(hardware, 'model') ?? str(d, 'model'));
  put(device, 'osVersion', str(general, 'osVersion') ?? str(d, 'osVersion'));
  put(device, 'platform', platformOf(str(d, 'deviceType') ?? str(d, 'type')) ?? 'ios');
  if (device.platform === 'ios') device.manufacturer = 'Apple';
  const list = arr(d, 'applications') ?? arr(obj(d, 'ios') ?? {}, 'applications');
  const apps = (list ?? []).filter(isObject).map((a) => {
    const f: AppFields = {};
    put(f, 'id', str(a, 'identifier') ?? str(a, 'bundleId'));
    put(f, 'name', str(a, 'name'));
    put(f, 'version', str(a, 'version'));
    put(f, 'shortVersion', str(a, 'shortVersion'));
    return f;
  });
  const key =
    device.udid ?? device.serial ?? str(d, 'mobileDeviceId') ?? str(d, 'id') ?? `device${index + 1}`;
  return { key, device, apps, hasApps: list !== undefined };
};

export const parseJamfJson = (text: string, path: string): TargetResult[] | undefined => {
  const doc: Json | undefined = parseJson(text);
  if (!isObject(doc)) return undefined;
  const results = arr(doc, 'results');
  const items = results ? results.filter(isObject) : [doc];
  const parts = items.map(jsonDevice).filter((p): p is DeviceParts => p !== undefined);
  if (parts.length === 0) return undefined;
  const targets = parts.map((p) => toTarget(p, JAMF_JSON_FORMAT, path));
  const total = Number(str(doc, 'totalCount'));
  if (results && Number.isFinite(total) && total > items.length) {
    for (const t of targets) {
      t.diagnostics.push({
        level: 'warning',
        message: `this page holds ${items.length} of ${total} devices: later pages are not in this file`,
        path,
      });
    }
  }
  return targets;
};
