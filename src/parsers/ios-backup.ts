/**
 * An iTunes/Finder backup's `Info.plist`: device facts plus `Installed Applications`, the bundle
 * ids of the apps installed when the backup was made. That list is all a backup says about apps
 * (no versions, no Team IDs), so publisher rules cannot apply to it; package rules can.
 */
import type { AppRecord, DeviceFacts } from '../model.js';
import { isPlistDict, type PlistValue } from './plist.js';
import { type ParseContext, type ParsedInventory, ParseError } from './types.js';

export const IOS_BACKUP = 'ios-backup-info';
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** True when a parsed plist has the keys only a backup Info.plist carries. */
export const isIosBackupInfo = (value: PlistValue): boolean =>
  isPlistDict(value) &&
  Array.isArray(value['Installed Applications']) &&
  typeof value['Product Type'] === 'string';

const text = (v: PlistValue | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

export const parseIosBackupInfo = (value: PlistValue, ctx: ParseContext): ParsedInventory => {
  if (!isPlistDict(value) || !Array.isArray(value['Installed Applications'])) {
    throw new ParseError('not an iOS backup Info.plist: no "Installed Applications" list');
  }
  const device: DeviceFacts = { platform: 'ios' };
  const set = <K extends keyof DeviceFacts>(key: K, v: DeviceFacts[K] | undefined) => {
    if (v !== undefined) device[key] = v;
  };
  set('name', text(value['Device Name']));
  set('model', text(value['Product Type']));
  set('osVersion', text(value['Product Version']));
  set('serial', text(value['Serial Number']));
  set('udid', text(value['Unique Identifier'])?.toLowerCase());
  const result: ParsedInventory = { format: IOS_BACKUP, apps: [], device, diagnostics: [] };
  const seen = new Set<string>();
  for (const entry of value['Installed Applications']) {
    if (typeof entry !== 'string' || !BUNDLE_ID.test(entry)) {
      result.diagnostics.push({
        level: 'warning',
        message: 'skipped an entry that is not a bundle id',
        ...(ctx.path ? { path: ctx.path } : {}),
      });
      continue;
    }
    if (seen.has(entry)) continue;
    seen.add(entry);
    const app: AppRecord = {
      platform: 'ios',
      id: entry,
      publisher: {},
      origin: { target: ctx.target, parser: IOS_BACKUP, ...(ctx.path ? { path: ctx.path } : {}) },
    };
    result.apps.push(app);
  }
  const backupDate = value['Last Backup Date'];
  if (backupDate instanceof Date) {
    result.diagnostics.push({
      level: 'info',
      message: `apps as of the backup made ${backupDate.toISOString()}; the backup lists bundle ids only`,
    });
  }
  return result;
};
