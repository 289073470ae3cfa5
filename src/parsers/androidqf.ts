/**
 * androidqf `packages.json`: an array of
 * `{name, files[{path, sha256, certificate{Sha256, Subject, …}}], installer, uid, disabled, system, third_party}`.
 * Unlike pm/dumpsys listings it carries the real signing certificates (read from the APKs), so the
 * publisher identity comes from here: the base APK's certificate first, then any other distinct ones.
 */
import type { AppRecord, Diagnostic } from '../model.js';
import { PER_USER_RANGE } from './listing-context.js';
import { lineAt } from './text.js';
import { type ParseContext, type ParsedInventory, ParseError } from './types.js';

export const ANDROIDQF_PACKAGES = 'androidqf-packages';

const PACKAGE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: JsonObject, key: string): string | undefined => {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** True when the text starts like an androidqf packages.json (an array of objects with name/files). */
export function looksLikeAndroidqfPackages(text: string): boolean {
  const head = text.slice(0, 4096);
  if (!/^\uFEFF?\s*\[\s*\{/.test(head)) return false;
  return /"name"\s*:/.test(head) && /"(files|third_party|installer)"\s*:/.test(head);
}

/** Lowercase hex without colons, or undefined when the value is not a SHA-256. */
export function normaliseSha256(value: string): string | undefined {
  const hex = value.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

export function parseAndroidqfPackages(text: string, ctx: ParseContext): ParsedInventory {
  let root: Json;
  try {
    root = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Json;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const truncated = /end of (JSON )?input|Unterminated/i.test(message);
    throw new ParseError(`${truncated ? 'truncated' : 'invalid'} androidqf packages.json: ${message}`);
  }
  if (!Array.isArray(root)) throw new ParseError('androidqf packages.json must be a JSON array of packages');

  const diagnostics: Diagnostic[] = [];
  const apps: AppRecord[] = [];
  const where = (line?: number) => ({
    ...(ctx.path === undefined ? {} : { path: ctx.path }),
    ...(line === undefined ? {} : { line }),
  });
  // Origins point at each entry's `"name"` line: find them in order, without a second parse.
  let searchFrom = 0;
  let lineCursor = 1;
  let offsetCursor = 0;
  const lineOf = (name: string): number | undefined => {
    const at = text.indexOf(`${JSON.stringify(name)}`, searchFrom);
    if (at === -1) return undefined;
    searchFrom = at + 1;
    lineCursor += lineAt(text.slice(offsetCursor, at), at - offsetCursor) - 1;
    offsetCursor = at;
    return lineCursor;
  };

  root.forEach((entry, index) => {
    if (!isObject(entry)) {
      diagnostics.push({
        level: 'warning',
        message: `package #${index + 1} is not an object: skipped`,
        ...where(),
      });
      return;
    }
    const id = str(entry, 'name');
    if (id === undefined || !PACKAGE_NAME.test(id)) {
      diagnostics.push({
        level: 'warning',
        message: `package #${index + 1} has ${id === undefined ? 'no name' : `an invalid name "${id.slice(0, 80)}"`}: skipped`,
        ...where(),
      });
      return;
    }
    const line = lineOf(id);
    const app: AppRecord = {
      platform: 'android',
      id,
      publisher: {},
      origin: { target: ctx.target, parser: ANDROIDQF_PACKAGES, ...where(line) },
    };
    const installer = str(entry, 'installer');
    if (installer !== undefined && installer !== 'null') app.installer = installer;
    if (typeof entry.system === 'boolean') app.system = entry.system;
    else if (typeof entry.third_party === 'boolean') app.system = !entry.third_party;
    if (typeof entry.disabled === 'boolean') app.enabled = !entry.disabled;
    if (typeof entry.uid === 'number' && Number.isInteger(entry.uid) && entry.uid >= 0) {
      app.user = Math.floor(entry.uid / PER_USER_RANGE);
      app.extra = { uid: entry.uid };
    }

    const files = Array.isArray(entry.files) ? entry.files.filter(isObject) : [];
    // The base APK carries the identity; splits follow it.
    const ordered = [...files].sort((a, b) => Number(isBase(b)) - Number(isBase(a)));
    const paths: string[] = [];
    const certs: string[] = [];
    const subjects: string[] = [];
    for (const file of ordered) {
      const path = str(file, 'path');
      if (path !== undefined) paths.push(path);
      const cert = file.certificate;
      if (!isObject(cert)) continue;
      const raw = str(cert, 'Sha256') ?? str(cert, 'sha256');
      if (raw === undefined) continue;
      const sha = normaliseSha256(raw);
      if (sha === undefined) {
        diagnostics.push({
          level: 'warning',
          message: `${id}: certificate Sha256 "${raw.slice(0, 80)}" is not a SHA-256 digest: ignored`,
          ...where(line),
        });
        continue;
      }
      if (certs.includes(sha)) continue;
      certs.push(sha);
      subjects.push(str(cert, 'Subject') ?? '');
    }
    if (paths.length > 0) app.paths = paths;
    if (certs.length > 0) {
      app.publisher.certSha256 = certs;
      if (subjects.every((s) => s !== '')) app.publisher.certSubjects = subjects;
    }
    apps.push(app);
  });
  if (root.length === 0)
    diagnostics.push({ level: 'info', message: 'androidqf packages.json lists no packages', ...where() });
  return { format: ANDROIDQF_PACKAGES, apps, device: { platform: 'android' }, diagnostics };
}

function isBase(file: JsonObject): boolean {
  return /(^|\/)base\.apk$/.test(str(file, 'path') ?? '');
}
