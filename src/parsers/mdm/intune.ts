/**
 * Microsoft Intune discovered apps, in the two shapes an administrator can export:
 *
 * 1. Microsoft Graph JSON. `detectedApp` (https://learn.microsoft.com/en-us/graph/api/resources/intune-devices-detectedapp):
 *    id, displayName, version, publisher, platform (detectedAppPlatformType: ios, androidOSP,
 *    androidDeviceAdministrator, androidWorkProfile, androidDedicatedAndFullyManaged, windows, macOS, …)
 *    and the `managedDevices` relationship (`GET /deviceManagement/detectedApps/{id}?$expand=managedDevices`).
 *    Also the reverse, a `managedDevice` with its `detectedApps`
 *    (`GET /deviceManagement/managedDevices/{id}?$expand=detectedApps`), and `{ value: [...] }` pages of either.
 * 2. The "Discovered apps" report export (CSV), reportName `DiscoveredAppsRawData` / `AppInvRawData`
 *    (one row per app per device: ApplicationKey, ApplicationName, ApplicationPublisher,
 *    ApplicationShortVersion, ApplicationVersion, DeviceId, DeviceName, OSDescription, OSVersion,
 *    Platform, UserId, EmailAddress, UserName) or `AppInvAggregate` (no device columns):
 *    https://learn.microsoft.com/en-us/intune/intune-service/fundamentals/reports-export-graph-available-reports
 *
 * Intune carries no signing certificates, and names some mobile apps only by display name: such an
 * app cannot be matched by package rules, so the target is partial and says how many.
 */
import type { AppRecord, DeviceFacts, Diagnostic, Platform, TargetResult } from '../../model.js';
import {
  arr,
  buildTarget,
  csvDelimiter,
  firstLine,
  headerKey,
  isObject,
  isPlausibleId,
  type Json,
  type JsonObject,
  parseCsv,
  parseJson,
  platformOf,
  put,
  str,
} from './common.js';

export const INTUNE_GRAPH_FORMAT = 'intune-graph';
export const INTUNE_CSV_FORMAT = 'intune-discovered-apps';

export const looksLikeIntuneGraph = (head: string): boolean => {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{')) return false;
  return (
    /"(?:detectedApps|managedDevices)"\s*:\s*\[/.test(t) ||
    /microsoft\.graph\.detectedApp|deviceManagement\/detectedApps|\$metadata#deviceManagement\/managedDevices/.test(
      t,
    )
  );
};

const CSV_ID = ['applicationkey', 'applicationid'];
const CSV_REQUIRED = ['applicationname'];

export const looksLikeIntuneCsv = (head: string): boolean => {
  const line = firstLine(head);
  const keys = line.split(csvDelimiter(line)).map((c) => headerKey(c.replace(/^"|"$/g, '')));
  return CSV_REQUIRED.every((k) => keys.includes(k)) && keys.some((k) => CSV_ID.includes(k));
};

/** Mobile platforms only: Windows and macOS apps are out of appwarden's scope. */
const appPlatform = (value: string | undefined, fallback: Platform | undefined): Platform | 'other' => {
  if (value === undefined || /^unknown$/i.test(value)) return fallback ?? 'other';
  return platformOf(value) ?? 'other';
};

interface Tally {
  nameOnly: string[];
  otherPlatform: number;
}

const newTally = (): Tally => ({ nameOnly: [], otherPlatform: 0 });

/** Turn one discovered app into a record, or count why not. */
const toApp = (
  fields: { id?: string; name?: string; version?: string; shortVersion?: string; publisher?: string },
  platform: Platform | 'other',
  target: string,
  parser: string,
  path: string,
  tally: Tally,
  line?: number,
): AppRecord | undefined => {
  if (platform === 'other') {
    tally.otherPlatform++;
    return undefined;
  }
  const id = [fields.id, fields.name].find((v): v is string => v !== undefined && isPlausibleId(v));
  if (id === undefined) {
    tally.nameOnly.push(fields.name ?? fields.id ?? '?');
    return undefined;
  }
  const app: AppRecord = { platform, id, publisher: {}, origin: { target, parser, path } };
  if (line !== undefined) app.origin.line = line;
  if (fields.name !== undefined && fields.name !== id) app.name = fields.name;
  put(app, 'versionName', fields.shortVersion ?? fields.version);
  if (fields.shortVersion !== undefined && fields.version !== undefined) app.versionCode = fields.version;
  if (fields.publisher !== undefined) app.publisher.name = fields.publisher;
  return app;
};

const tallyNotes = (tally: Tally, path: string): { diagnostics: Diagnostic[]; partial: string[] } => {
  const diagnostics: Diagnostic[] = [];
  const partial: string[] = [];
  if (tally.otherPlatform > 0) {
    diagnostics.push({
      level: 'info',
      message: `${tally.otherPlatform} discovered app(s) on platforms other than Android and iOS skipped`,
      path,
    });
  }
  if (tally.nameOnly.length > 0) {
    const examples = tally.nameOnly
      .slice(0, 3)
      .map((n) => `"${n}"`)
      .join(', ');
    partial.push(
      `${tally.nameOnly.length} discovered app(s) are named only by display name (${examples}${tally.nameOnly.length > 3 ? ', …' : ''}): package rules cannot match them`,
    );
  }
  return { diagnostics, partial };
};

interface DeviceBucket {
  id: string;
  device: DeviceFacts;
  apps: AppRecord[];
  tally: Tally;
  platform?: Platform;
}

const deviceFromGraph = (d: JsonObject): DeviceFacts => {
  const facts: DeviceFacts = {};
  put(facts, 'platform', platformOf(str(d, 'operatingSystem')));
  put(facts, 'name', str(d, 'deviceName'));
  put(facts, 'serial', str(d, 'serialNumber'));
  put(facts, 'udid', str(d, 'udid'));
  put(facts, 'manufacturer', str(d, 'manufacturer'));
  put(facts, 'model', str(d, 'model'));
  put(facts, 'osVersion', str(d, 'osVersion'));
  return facts;
};

const graphAppFields = (a: JsonObject) => {
  const fields: { id?: string; name?: string; version?: string; publisher?: string } = {};
  put(fields, 'name', str(a, 'displayName'));
  put(fields, 'version', str(a, 'version'));
  put(fields, 'publisher', str(a, 'publisher'));
  return fields;
};

/** Parse Graph JSON; undefined when it is not one of the shapes above. */
export const parseIntuneGraph = (text: string, path: string): TargetResult[] | undefined => {
  const doc: Json | undefined = parseJson(text);
  if (!isObject(doc)) return undefined;
  const items = arr(doc, 'value')?.filter(isObject) ?? [doc];
  const morePages = str(doc, '@odata.nextLink') !== undefined;
  const buckets = new Map<string, DeviceBucket>();
  const bucket = (d: JsonObject): DeviceBucket => {
    const id = `intune:${str(d, 'id') ?? str(d, 'deviceName') ?? '?'}`;
    let b = buckets.get(id);
    if (!b) {
      const device = deviceFromGraph(d);
      b = { id, device, apps: [], tally: newTally() };
      put(b, 'platform', device.platform);
      buckets.set(id, b);
    }
    return b;
  };
  const unassigned: DeviceBucket = { id: path, device: {}, apps: [], tally: newTally() };
  /** One Graph app object into a device's bucket (its platform, else the device's). */
  const addGraphApp = (b: DeviceBucket, a: JsonObject): void => {
    const app = toApp(
      graphAppFields(a),
      appPlatform(str(a, 'platform'), b.platform),
      b.id,
      INTUNE_GRAPH_FORMAT,
      path,
      b.tally,
    );
    if (app) b.apps.push(app);
  };
  let recognised = false;
  for (const item of items) {
    const detected = arr(item, 'detectedApps');
    if (detected !== undefined) {
      // A managedDevice with its detected apps.
      recognised = true;
      const b = bucket(item);
      for (const a of detected.filter(isObject)) addGraphApp(b, a);
      continue;
    }
    if (str(item, 'displayName') === undefined) continue;
    if (str(item, 'deviceCount') === undefined && arr(item, 'managedDevices') === undefined) continue;
    // A detectedApp, with or without its managed devices.
    recognised = true;
    const devices = arr(item, 'managedDevices')?.filter(isObject) ?? [];
    const targets = devices.length > 0 ? devices.map(bucket) : [unassigned];
    for (const b of targets) addGraphApp(b, item);
  }
  if (!recognised) return undefined;
  const all = [...buckets.values()];
  if (unassigned.apps.length > 0 || unassigned.tally.nameOnly.length > 0 || all.length === 0) {
    all.push(unassigned);
  }
  return all.map((b) => {
    const notes = tallyNotes(b.tally, path);
    if (b === unassigned) {
      notes.diagnostics.push({
        level: 'warning',
        message:
          'detected apps without their managed devices (request them with $expand=managedDevices): findings name this file, not a device',
        path,
      });
    }
    if (morePages) {
      notes.diagnostics.push({
        level: 'warning',
        message: 'this Graph page has an @odata.nextLink: later pages are not in this file',
        path,
      });
    }
    return buildTarget({
      id: b.id,
      format: INTUNE_GRAPH_FORMAT,
      apps: b.apps,
      ...(Object.keys(b.device).length > 0 ? { device: b.device } : {}),
      diagnostics: notes.diagnostics,
      partial: notes.partial,
      sourceCarriesCerts: false,
    });
  });
};

/** Parse the Discovered apps CSV export into one target per device (or one for the file). */
export const parseIntuneCsv = (text: string, path: string): TargetResult[] | undefined => {
  const body = text.replace(/^\uFEFF/, '');
  const rows = parseCsv(body, csvDelimiter(firstLine(body)));
  const header = rows.shift();
  if (!header) return undefined;
  const keys = header.cells.map(headerKey);
  const col = (...names: string[]) => keys.findIndex((k) => names.includes(k));
  const c = {
    key: col('applicationkey'),
    appId: col('applicationid'),
    name: col('applicationname'),
    publisher: col('applicationpublisher'),
    short: col('applicationshortversion'),
    version: col('applicationversion'),
    deviceId: col('deviceid'),
    deviceName: col('devicename'),
    os: col('osdescription'),
    osVersion: col('osversion'),
    platform: col('platform'),
  };
  if (c.name === -1 || (c.key === -1 && c.appId === -1)) return undefined;
  const cell = (cells: string[], i: number): string | undefined => {
    const v = i === -1 ? undefined : cells[i]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const buckets = new Map<string, DeviceBucket>();
  const short: number[] = [];
  for (const row of rows) {
    if (row.cells.length < keys.length) {
      short.push(row.line);
      continue;
    }
    const deviceId = cell(row.cells, c.deviceId) ?? cell(row.cells, c.deviceName);
    const id = deviceId === undefined ? path : `intune:${deviceId}`;
    let b = buckets.get(id);
    if (!b) {
      const device: DeviceFacts = {};
      put(device, 'name', cell(row.cells, c.deviceName));
      put(device, 'osVersion', cell(row.cells, c.osVersion));
      put(device, 'platform', platformOf(cell(row.cells, c.platform) ?? cell(row.cells, c.os)));
      b = { id, device, apps: [], tally: newTally() };
      buckets.set(id, b);
    }
    const fields: {
      id?: string;
      name?: string;
      version?: string;
      shortVersion?: string;
      publisher?: string;
    } = {};
    put(fields, 'id', cell(row.cells, c.key) ?? cell(row.cells, c.appId));
    put(fields, 'name', cell(row.cells, c.name));
    put(fields, 'version', cell(row.cells, c.version));
    put(fields, 'shortVersion', cell(row.cells, c.short));
    put(fields, 'publisher', cell(row.cells, c.publisher));
    const platform = appPlatform(cell(row.cells, c.platform) ?? cell(row.cells, c.os), undefined);
    const app = toApp(fields, platform, id, INTUNE_CSV_FORMAT, path, b.tally, row.line);
    if (app) b.apps.push(app);
  }
  const all = [...buckets.values()];
  if (all.length === 0) all.push({ id: path, device: {}, apps: [], tally: newTally() });
  return all.map((b) => {
    const notes = tallyNotes(b.tally, path);
    if (short.length > 0) {
      notes.partial.push(
        `${short.length} row(s) have fewer cells than the header (line ${short.slice(0, 5).join(', ')})`,
      );
    }
    if (b.id === path && c.deviceId === -1 && c.deviceName === -1) {
      notes.diagnostics.push({
        level: 'warning',
        message:
          'an aggregate export without device columns: findings name this file, not a device (export DiscoveredAppsRawData for per-device rows)',
        path,
      });
    }
    return buildTarget({
      id: b.id,
      format: INTUNE_CSV_FORMAT,
      apps: b.apps,
      ...(Object.keys(b.device).length > 0 ? { device: b.device } : {}),
      diagnostics: notes.diagnostics,
      partial: notes.partial,
      sourceCarriesCerts: false,
    });
  });
};
