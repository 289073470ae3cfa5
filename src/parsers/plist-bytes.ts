/**
 * One entry point for plist bytes of either encoding: Info.plist and provisioning profiles come as
 * binary (`bplist00`) or XML, and nothing but the first bytes tells which.
 */
import { isBinaryPlist, parseBinaryPlist } from './bplist.js';
import { isPlistDict, type PlistDict, type PlistValue, parsePlistXml } from './plist.js';

export { isPlistDict };

export type PlistFormat = 'binary' | 'xml';

const utf8 = new TextDecoder('utf-8');

export const plistFormat = (bytes: Uint8Array): PlistFormat => (isBinaryPlist(bytes) ? 'binary' : 'xml');

/** Parses a binary or XML plist; throws `ParseError` naming the problem. */
export const parsePlistBytes = (bytes: Uint8Array): PlistValue =>
  isBinaryPlist(bytes) ? parseBinaryPlist(bytes) : parsePlistXml(utf8.decode(bytes));

/** A string-valued key of a dictionary, if it is a non-empty string. */
export const plistString = (dict: PlistDict, key: string): string | undefined => {
  const value = Object.hasOwn(dict, key) ? dict[key] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
};
