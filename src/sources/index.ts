/**
 * The one registry of sources (syft's task list, kept small). Order matters for files: the first
 * reader whose `detect` claims the content reads it.
 */
import type { FileRegistry } from './files.js';
import { listingReader } from './listing.js';
import type { DeviceSource } from './types.js';

export const fileRegistry: FileRegistry = {
  files: [listingReader],
  folders: [],
};

export const deviceSources: DeviceSource[] = [];
