/** Types for bplist-writer.mjs, so TypeScript tests can import it. */
export function writeBinaryPlist(root: unknown): Uint8Array;
export function writeXmlPlist(root: unknown): string;
