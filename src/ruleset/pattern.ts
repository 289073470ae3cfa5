/**
 * Package-id patterns and text globs. Every regular expression (rule `/…/` patterns and the
 * expressions globs compile to) runs on re2js, a port of RE2: matching is linear in the length of
 * the value, so a package id or publisher name chosen by whoever controls a scanned device cannot
 * make a rule backtrack for minutes (`/(a+)+$/`). RE2 has no backreferences or lookaround; patterns
 * using them are refused when rules are loaded or validated.
 *
 * Package-id patterns. Globs work on dot-separated segments: `com.tencent.*` must not match
 * `com.tencentx.app`, so a lone `*` segment means "one or more whole segments" and a `*` inside a
 * segment never crosses a dot.
 */

import { createRequire } from 'node:module';
import type * as Re2Module from 're2js';
import { MAX_RULE_PATTERN_LENGTH } from '../limits.js';

/**
 * re2js loads on the first regular expression compiled (its CommonJS build, so loading stays
 * synchronous): globs compile on first use (lazyLinearRegex), so a scan whose apps no glob's
 * literal prefix selects never pays for the engine at start-up.
 */
let re2Module: typeof Re2Module | undefined;
const re2 = (): typeof Re2Module.RE2JS => {
  re2Module ??= createRequire(import.meta.url)('re2js') as typeof Re2Module;
  return re2Module.RE2JS;
};

/** A compiled linear-time regular expression; `test` searches like `RegExp.prototype.test`. */
export interface LinearRegex {
  readonly source: string;
  test(value: string): boolean;
}

export type PackagePattern =
  | { kind: 'exact'; source: string; value: string }
  | { kind: 'glob'; source: string; regex: LinearRegex; prefix: string }
  | { kind: 'regex'; source: string; regex: LinearRegex };

const REGEX_FORM = /^\/(.+)\/([imsu]*)$/s;
const MAX_PATTERN = MAX_RULE_PATTERN_LENGTH;

const re2Flags = (flags: string): number =>
  (flags.includes('i') ? re2().CASE_INSENSITIVE : 0) |
  (flags.includes('s') ? re2().DOTALL : 0) |
  (flags.includes('m') ? re2().MULTILINE : 0);
// `u` needs nothing: RE2 always matches by code point.

/** Compiles on RE2; throws (RE2JSSyntaxException) for syntax RE2 does not have. */
const compileLinearRegex = (source: string, flags = ''): LinearRegex => {
  const compiled = re2().compile(source, re2Flags(flags));
  return { source, test: (value: string) => compiled.matcher(value).find() };
};

/**
 * compileLinearRegex on first test, for the expressions globs compile to: they are built only of
 * escaped literals and fixed classes (`[^.]*`, `.*`), which RE2 always accepts, so deferring the
 * compilation moves no error and changes no result.
 */
const lazyLinearRegex = (source: string, flags = ''): LinearRegex => {
  let compiled: LinearRegex | undefined;
  return {
    source,
    test: (value: string): boolean => {
      compiled ??= compileLinearRegex(source, flags);
      return compiled.test(value);
    },
  };
};

/** Why RE2 refuses a regular expression, or undefined when it compiles. */
const linearRegexProblem = (source: string, flags = ''): string | undefined => {
  try {
    compileLinearRegex(source, flags);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `is not supported by the linear-time regex engine (RE2; no backreferences, lookahead or lookbehind): ${message}`;
  }
};

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const compilePackagePattern = (source: string): PackagePattern => {
  const regexForm = REGEX_FORM.exec(source);
  if (regexForm) return { kind: 'regex', source, regex: compileLinearRegex(regexForm[1]!, regexForm[2]) };
  if (!source.includes('*') && !source.includes('?')) return { kind: 'exact', source, value: source };
  const segments = source.split('.');
  const literal: string[] = [];
  for (const segment of segments) {
    if (segment.includes('*') || segment.includes('?')) break;
    literal.push(segment);
  }
  const body = segments
    .map((segment) => {
      if (segment === '*') return '[^.]+(?:\\.[^.]+)*';
      return segment
        .split('')
        .map((c) => (c === '*' ? '[^.]*' : c === '?' ? '[^.]' : escapeRegex(c)))
        .join('');
    })
    .join('\\.');
  const regex = withLiterals(lazyLinearRegex(`^${body}$`), source.split(/[*?]/), false);
  return { kind: 'glob', source, regex, prefix: literal.join('.') };
};

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Runs RE2 only when every literal run of the glob occurs in the value: a necessary condition
 * that is a plain substring search, so the common non-matching app costs what native matching
 * did (RE2 in JavaScript is ~20x slower per call than V8's engine). Case-insensitive globs compare
 * lowercase and only for ASCII values, where lowercase comparison is exactly RE2's case folding.
 */
const withLiterals = (regex: LinearRegex, parts: string[], ignoreCase: boolean): LinearRegex => {
  // Non-ASCII literals may case-fold to ASCII (U+017F to "s"), so they are left to RE2.
  const literals = parts
    .filter((p) => p !== '' && (!ignoreCase || ASCII.test(p)))
    .map((p) => (ignoreCase ? p.toLowerCase() : p));
  if (literals.length === 0) return regex;
  return {
    source: regex.source,
    test: (value: string): boolean => {
      if (!ignoreCase) return literals.every((l) => value.includes(l)) && regex.test(value);
      if (!ASCII.test(value)) return regex.test(value);
      const lower = value.toLowerCase();
      return literals.every((l) => lower.includes(l)) && regex.test(value);
    },
  };
};

/** Validation message for a pattern, or undefined when it is usable. */
export const checkPackagePattern = (source: string): string | undefined => {
  if (source.length === 0) return 'must not be empty';
  if (source.length > MAX_PATTERN) return `pattern longer than ${MAX_PATTERN} characters`;
  const regexForm = REGEX_FORM.exec(source);
  if (regexForm) {
    try {
      new RegExp(regexForm[1]!, regexForm[2]);
    } catch (error) {
      return `invalid regular expression ${source}: ${(error as Error).message}`;
    }
    const problem = linearRegexProblem(regexForm[1]!, regexForm[2]);
    return problem === undefined ? undefined : `regular expression ${source} ${problem}`;
  }
  if (source.startsWith('/')) return `"${source}" looks like a regex but is not closed with "/"`;
  if (/\s/.test(source)) return `"${source}" contains white space`;
  if (source.split('.').some((s) => s === '')) return `"${source}" has an empty segment`;
  if (/\*\*/.test(source))
    return `"${source}": use a single "*" as a whole segment to match several segments`;
  return undefined;
};

export const matchesPattern = (pattern: PackagePattern, value: string): boolean => {
  switch (pattern.kind) {
    case 'exact':
      return pattern.value === value;
    case 'glob':
    case 'regex':
      return pattern.regex.test(value);
  }
};

/**
 * Case-insensitive glob on free text (publisher names): `*` any run, `?` one character. On RE2,
 * because `*a*a*a*…` on a backtracking engine is polynomial in the name's length.
 */
export const compileTextGlob = (source: string): LinearRegex => {
  const body = source
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegex(c)))
    .join('');
  return withLiterals(lazyLinearRegex(`^${body}$`, 'is'), source.split(/[*?]/), true);
};
