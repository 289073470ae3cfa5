import type { DeviceFacts, Platform, SkippedInput, TargetResult } from '../model.js';

/** Settings every source receives from `scan()`. */
export interface SourceContext {
  /** Per external command (adb, ideviceinstaller) timeout. */
  timeoutMs: number;
  /** Executable names or paths of device tools; tests point these at the recorded-device harness. */
  tools: { adb: string; ideviceId: string; ideviceInfo: string; ideviceInstaller: string };
  /** Environment for spawned tools (PATH, ANDROID_ADB_SERVER_PORT …). */
  env: NodeJS.ProcessEnv;
  /** Progress callback; sources call it when a target starts/ends or apps are read. */
  onProgress?: (event: ProgressEvent) => void;
  /** Verify APK v2/v3 signatures (reads every APK in full); identities are only extracted otherwise. */
  verifySignatures?: boolean;
}

export type ProgressEvent =
  | { type: 'target-start'; target: string }
  | { type: 'target-end'; target: string; apps: number }
  | { type: 'apps'; target: string; count: number };

/**
 * A reader for one kind of file. `detect` decides from content (the first bytes and, for ZIPs,
 * what the reader finds inside), never from the file name alone.
 */
export interface FileReader {
  name: string;
  /** Cheap check on the first 4 KiB of the file. */
  detect(head: Uint8Array, path: string): boolean;
  /** Read the file into one or more targets. Must not throw for bad content: return a failed target. */
  read(path: string, ctx: SourceContext): Promise<TargetResult[]>;
}

/** A reader for a folder with a known layout (an Android image tree). */
export interface FolderReader {
  name: string;
  /** True when the folder looks like this layout (e.g. has system/ and data/system/packages.xml). */
  detect(dir: string): Promise<boolean>;
  read(dir: string, ctx: SourceContext): Promise<TargetResult[]>;
  /**
   * Paths below `dir` (relative, `/`-separated) that `read` covers, so a folder scan reads the rest
   * of the folder itself; `''` means all of it. Without it the whole folder counts as covered.
   */
  covers?(dir: string): Promise<string[]>;
  /** Covered files the reader does not read because they hold no apps, listed as skipped. */
  skips?(dir: string): Promise<SkippedInput[]>;
}

/** A device seen by discovery, connected or not. */
export interface DeviceInfo {
  platform: Platform;
  /** Serial (Android) or UDID (iOS). */
  id: string;
  /** `device`, `unauthorized`, `offline`, `no permissions`, `paired`, … */
  state: string;
  /** Why the device cannot be scanned, when it cannot. */
  problem?: string;
  facts: DeviceFacts;
}

export interface DeviceSource {
  platform: Platform;
  /** List devices; throws AppwardenError TOOL_NOT_FOUND when the tool is missing. */
  discover(ctx: SourceContext): Promise<DeviceInfo[]>;
  /** Scan one device into a target (status failed/partial with a reason instead of throwing). */
  scan(device: DeviceInfo, ctx: SourceContext): Promise<TargetResult>;
}
