/**
 * Reads an iOS backup's Info.plist (binary or XML) found in a folder or named on the command line.
 * Returns no target for a property list that turns out not to be a backup's.
 */
import { readFile, stat } from 'node:fs/promises';
import { describeError } from '../errors.js';
import type { TargetResult } from '../model.js';
import { IOS_BACKUP, isIosBackupInfo, parseIosBackupInfo } from '../parsers/ios-backup.js';
import { parsePlistBytes } from '../parsers/plist-bytes.js';
import type { FileReader } from './types.js';

const MAX_INFO_PLIST_BYTES = 16 * 1024 * 1024;
const BPLIST = Buffer.from('bplist00');

const failed = (id: string, error: string): TargetResult => ({
  id,
  kind: 'listing',
  status: 'failed',
  format: IOS_BACKUP,
  error,
  apps: [],
  diagnostics: [],
});

export const iosBackupReader: FileReader = {
  name: 'ios-backup',
  // Binary plists hold their key strings near the end, so the head cannot show the keys: claim
  // binary plists that mention "Installed Applications" in the head, or any XML plist that does.
  detect: (head) => {
    const h = Buffer.from(head);
    if (h.subarray(0, 8).equals(BPLIST)) return true;
    return h.includes('<plist') && h.includes('Installed Applications');
  },
  read: async (path) => {
    try {
      if ((await stat(path)).size > MAX_INFO_PLIST_BYTES) return [failed(path, 'plist larger than 16 MiB')];
      const value = parsePlistBytes(await readFile(path));
      // Not ours after all: an empty result lets a folder scan skip it (a named file is reported).
      if (!isIosBackupInfo(value)) return [];
      const parsed = parseIosBackupInfo(value, { target: path, path });
      const target: TargetResult = {
        id: path,
        kind: 'listing',
        status: 'scanned',
        format: parsed.format,
        apps: parsed.apps,
        diagnostics: parsed.diagnostics,
      };
      if (parsed.device) target.device = parsed.device;
      return [target];
    } catch (error) {
      return [failed(path, describeError(error))];
    }
  },
};
