/**
 * Package-id patterns. Globs work on dot-separated segments: `com.tencent.*` must not match
 * `com.tencentx.app`, so a lone `*` segment means "one or more whole segments" and a `*` inside a
 * segment never crosses a dot.
 */

export type PackagePattern =
  | { kind: 'exact'; source: string; value: string }
  | { kind: 'glob'; source: string; regex: RegExp; prefix: string }
  | { kind: 'regex'; source: string; regex: RegExp };

const REGEX_FORM = /^\/(.+)\/([imsu]*)$/s;
const MAX_PATTERN = 512;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const compilePackagePattern = (source: string): PackagePattern => {
  const regexForm = REGEX_FORM.exec(source);
  if (regexForm) return { kind: 'regex', source, regex: new RegExp(regexForm[1]!, regexForm[2]) };
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
  return { kind: 'glob', source, regex: new RegExp(`^${body}$`), prefix: literal.join('.') };
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
    return undefined;
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

/** Case-insensitive glob on free text (publisher names): `*` any run, `?` one character. */
export const compileTextGlob = (source: string): RegExp =>
  new RegExp(
    `^${source
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegex(c)))
      .join('')}$`,
    'is',
  );
