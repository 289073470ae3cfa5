/**
 * The one registry of sources (syft's task list, kept small). Order matters for files: the first
 * reader whose `detect` claims the content reads it.
 */

import type { Platform } from '../model.js';
import { androidqfFolderReader } from './androidqf-folder.js';
import { apkReader } from './apk.js';
import type { FileRegistry } from './files.js';
import { imageReader } from './image.js';
import { iosBackupReader } from './ios-backup.js';
import { ipaReader } from './ipa.js';
import { listingReader } from './listing.js';
import { packagesXmlReader } from './packages-xml.js';
import { parquetReader } from './parquet.js';
import type { DeviceSource } from './types.js';

export const fileRegistry: FileRegistry = {
  // packages.xml before listings (both may start with `<?xml`); IPA before APK (both are ZIPs).
  files: [packagesXmlReader, iosBackupReader, ipaReader, apkReader, parquetReader, listingReader],
  folders: [androidqfFolderReader, imageReader],
};

/**
 * Device sources load on first use: they pull in the process runner, which costs more start-up
 * time than everything a file scan needs.
 */
export const loadDeviceSource = async (platform: Platform): Promise<DeviceSource> =>
  platform === 'android' ? (await import('./adb.js')).androidSource : (await import('./ios.js')).iosSource;
