import { sanitizeText } from './sanitize.js';

/**
 * Text for HTML element content or a double-quoted attribute. Untrusted strings are sanitised first
 * (escape sequences removed, controls and bidi overrides made visible) so a label can neither inject
 * markup nor reorder what the reader sees.
 */
export const h = (value: string | number | undefined): string =>
  value === undefined
    ? ''
    : sanitizeText(String(value))
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#39;');

/** An identifier (package id, rule id, path) with break opportunities after dots and slashes. */
export const hid = (value: string): string => h(value).replace(/([./:])/g, '$1<wbr>');
