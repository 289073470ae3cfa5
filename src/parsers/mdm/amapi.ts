/**
 * Android Management API `enterprises.devices` resources: one Device, or a `devices.list` page
 * `{ devices: [...], nextPageToken }`. Each device is one target named by its resource name
 * (`enterprises/{enterpriseId}/devices/{deviceId}`).
 *
 * Reference: https://developers.google.com/android/management/reference/rest/v1/enterprises.devices
 * - `applicationReports[]` (ApplicationReport): packageName, versionName, versionCode,
 *   installerPackageName, applicationSource (SYSTEM_APP_FACTORY_VERSION, SYSTEM_APP_UPDATED_VERSION,
 *   INSTALLED_FROM_PLAY_STORE, CUSTOM), state (INSTALLED / REMOVED), and signingKeyCertFingerprints:
 *   "The SHA-1 hash of each android.content.pm.Signature associated with the app package. Each byte
 *   of each hash value is represented as a two-digit hexadecimal number."
 * - Reports are only sent when the policy enables them (`statusReportingSettings.applicationReportsEnabled`,
 *   https://developers.google.com/android/management/reference/rest/v1/enterprises.policies#statusreportingsettings),
 *   so a device without `applicationReports` was not inventoried: it is incomplete, never clean.
 * - A device in PROFILE_OWNER management mode reports the work profile's apps only.
 */
import type { AppRecord, DeviceFacts, Diagnostic, TargetResult } from '../../model.js';
import {
  arr,
  buildTarget,
  isObject,
  isPlausibleId,
  type Json,
  type JsonObject,
  normaliseDigest,
  obj,
  parseJson,
  put,
  str,
  versionCode,
} from './common.js';

export const AMAPI_FORMAT = 'amapi-devices';

const DEVICE_NAME = /"name"\s*:\s*"enterprises\/[^"/]+\/devices\/[^"]+"/;

/** Content check on the head of a file. */
export const looksLikeAmapi = (head: string): boolean => {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{')) return false;
  return DEVICE_NAME.test(t) || /"applicationReports"\s*:/.test(t);
};

const deviceFacts = (d: JsonObject): DeviceFacts => {
  const facts: DeviceFacts = { platform: 'android' };
  const hw = obj(d, 'hardwareInfo') ?? {};
  const sw = obj(d, 'softwareInfo') ?? {};
  put(facts, 'serial', str(hw, 'serialNumber'));
  put(facts, 'manufacturer', str(hw, 'manufacturer') ?? str(hw, 'brand'));
  put(facts, 'model', str(hw, 'model'));
  put(facts, 'osVersion', str(sw, 'androidVersion'));
  put(facts, 'fingerprint', str(sw, 'androidBuildNumber'));
  const api = Object.hasOwn(d, 'apiLevel') ? d.apiLevel : undefined;
  if (typeof api === 'number' && Number.isInteger(api)) facts.sdk = api;
  put(facts, 'state', str(d, 'state'));
  put(facts, 'name', str(d, 'name'));
  return facts;
};

const readDevice = (d: JsonObject, index: number, path: string, morePages: boolean): TargetResult => {
  const id = str(d, 'name') ?? `${path}#device${index + 1}`;
  const diagnostics: Diagnostic[] = [];
  const partial: string[] = [];
  if (morePages) {
    diagnostics.push({
      level: 'warning',
      message: 'this devices.list page has a nextPageToken: devices on later pages are not in this file',
      path,
    });
  }
  const mode = str(d, 'managementMode');
  if (mode === 'PROFILE_OWNER') {
    diagnostics.push({
      level: 'warning',
      message: 'work profile device: the Android Management API reports the work profile apps only',
      path,
    });
  }
  const reports = arr(d, 'applicationReports');
  if (reports === undefined) {
    return buildTarget({
      id,
      format: AMAPI_FORMAT,
      apps: [],
      device: deviceFacts(d),
      diagnostics,
      failed:
        'no applicationReports for this device: the policy does not enable application reports (statusReportingSettings.applicationReportsEnabled), so its apps were never reported',
      sourceCarriesCerts: true,
    });
  }
  const apps: AppRecord[] = [];
  let removed = 0;
  const bad: number[] = [];
  for (const [i, raw] of reports.entries()) {
    if (!isObject(raw)) {
      bad.push(i + 1);
      continue;
    }
    const pkg = str(raw, 'packageName');
    if (pkg === undefined || !isPlausibleId(pkg)) {
      bad.push(i + 1);
      continue;
    }
    if (str(raw, 'state') === 'REMOVED') {
      removed++;
      continue;
    }
    const app: AppRecord = {
      platform: 'android',
      id: pkg,
      publisher: {},
      origin: { target: id, parser: AMAPI_FORMAT, path },
    };
    put(app, 'name', str(raw, 'displayName'));
    put(app, 'versionName', str(raw, 'versionName'));
    put(app, 'versionCode', versionCode(str(raw, 'versionCode')));
    put(app, 'installer', str(raw, 'installerPackageName'));
    const source = str(raw, 'applicationSource');
    if (source?.startsWith('SYSTEM_APP')) app.system = true;
    else if (source === 'INSTALLED_FROM_PLAY_STORE' || source === 'CUSTOM') app.system = false;
    if (source) app.extra = { applicationSource: source };
    const certs = (arr(raw, 'signingKeyCertFingerprints') ?? [])
      .filter((c): c is string => typeof c === 'string')
      .map((c) => normaliseDigest(c, 20));
    const sha1 = certs.filter((c): c is string => c !== undefined);
    if (sha1.length > 0) app.publisher.certSha1 = [...new Set(sha1)];
    if (sha1.length < certs.length) {
      diagnostics.push({
        level: 'warning',
        message: `${pkg}: ${certs.length - sha1.length} signingKeyCertFingerprints value(s) are not SHA-1 digests and were ignored`,
        path,
      });
    }
    apps.push(app);
  }
  if (removed > 0) {
    diagnostics.push({
      level: 'info',
      message: `${removed} application report(s) with state REMOVED skipped: not installed`,
      path,
    });
  }
  if (bad.length > 0) {
    partial.push(
      `${bad.length} application report(s) without a usable packageName (report ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''})`,
    );
  }
  return buildTarget({
    id,
    format: AMAPI_FORMAT,
    apps,
    device: deviceFacts(d),
    diagnostics,
    partial,
    sourceCarriesCerts: true,
  });
};

/** Parse a Device or a devices.list page into one target per device. */
export const parseAmapi = (text: string, path: string): TargetResult[] | undefined => {
  const doc: Json | undefined = parseJson(text);
  if (!isObject(doc)) return undefined;
  const list = arr(doc, 'devices');
  if (list !== undefined) {
    const morePages = str(doc, 'nextPageToken') !== undefined;
    const devices = list.filter(isObject);
    if (devices.length === 0) return undefined;
    return devices.map((d, i) => readDevice(d, i, path, morePages));
  }
  if (str(doc, 'name')?.includes('/devices/') || arr(doc, 'applicationReports') !== undefined) {
    return [readDevice(doc, 0, path, false)];
  }
  return undefined;
};
