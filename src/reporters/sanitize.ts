/**
 * Strings from devices and app files are untrusted: labels can carry terminal escape sequences,
 * bidi overrides and newlines meant to forge output. Every reporter runs them through these.
 */

// ESC-introduced sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-byte escapes.
const ANSI_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// C0/C1 controls except TAB; DEL.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// Bidi embedding/override/isolate characters that can reorder what a reader sees.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Text safe for a terminal or a single-line cell: escapes removed, controls and bidi shown as `\uXXXX`. */
export const sanitizeText = (value: string): string =>
  value
    .replace(ANSI_SEQUENCE, '')
    .replace(CONTROL, (c) => (c === '\n' || c === '\r' ? ' ' : visible(c)))
    .replace(BIDI, visible);

const visible = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Removes escape sequences and control characters (keeps newlines when asked) without marking them. */
export const stripControl = (value: string, keepNewlines = false): string =>
  value
    .replace(ANSI_SEQUENCE, '')
    .replace(CONTROL, (c) => (keepNewlines && c === '\n' ? c : ''))
    .replace(BIDI, '');

export const escapeXml = (value: string): string =>
  stripControl(value, true)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
