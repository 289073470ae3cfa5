import type { AppRecord, DeviceFacts, Diagnostic, ProfileInfo } from '../model.js';

/** What every parser is told about the text or bytes it is given. Parsers never touch files. */
export interface ParseContext {
  /** Target id the records will belong to. */
  target: string;
  /** Evidence file path, copied into each record's origin. */
  path?: string;
}

/** What a listing/metadata parser returns: pure data, no exceptions for bad content. */
export interface ParsedInventory {
  /** Detected format name, e.g. `pm-list`, `dumpsys-package`, `ideviceinstaller-xml`. */
  format: string;
  apps: AppRecord[];
  device?: DeviceFacts;
  profiles?: ProfileInfo[];
  diagnostics: Diagnostic[];
  /** Set when only part of the input could be used (e.g. one profile inaccessible). */
  partial?: string;
}

/** Thrown by parsers for input they cannot make sense of at all. The message names what is wrong. */
export class ParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}
