/**
 * Version constraints on versionName (dotted, e.g. "8.0.40") and versionCode (integers).
 * Syntax: space-separated comparisons that must all hold (`>=1.2 <2`), `||` between alternatives.
 */

type Comparator = '<' | '<=' | '>' | '>=' | '=' | '!=';
export interface Comparison {
  op: Comparator;
  version: string;
}
/** Alternatives (OR) of conjunctions (AND). */
export type Constraint = Comparison[][];

const COMPARISON = /^(<=|>=|!=|<|>|==|=)?\s*([0-9A-Za-z][0-9A-Za-z._+-]*)$/;

export const parseConstraint = (source: string): Constraint => {
  const alternatives = source.split('||').map((alt) => alt.trim());
  return alternatives.map((alt) => {
    if (alt === '') throw new Error(`empty alternative in version constraint "${source}"`);
    // Allow "< 8.0" by gluing operators to the following token.
    const tokens = alt.replace(/(<=|>=|!=|==|<|>|=)\s+/g, '$1').split(/\s+/);
    return tokens.map((token) => {
      const m = COMPARISON.exec(token);
      if (!m) throw new Error(`"${token}" is not a version comparison (e.g. <8.0.40, >=1.2)`);
      const op = (m[1] === '==' ? '=' : (m[1] ?? '=')) as Comparator;
      return { op, version: m[2]! };
    });
  });
};

export const checkVersionConstraint = (source: string): string | undefined => {
  try {
    parseConstraint(source);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

/**
 * Digit runs compare as exact integers of any length (no float rounding: `9007199254740993` is not
 * `9007199254740992`), by length once leading zeros are gone, then digit by digit.
 */
const compareDigits = (a: string, b: string): number => {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x === y ? 0 : x < y ? -1 : 1;
};

/** A numeric part, kept as its digits so it compares exactly. */
interface Digits {
  digits: string;
}

/** Split "8.0.40-beta1" into comparable parts: numbers compare numerically, words as strings. */
const parts = (version: string): Array<Digits | string> =>
  version
    .split(/[.\-+_]/)
    .flatMap((p) => p.match(/\d+|[^\d]+/g) ?? [])
    .map((p) => (/^\d+$/.test(p) ? { digits: p } : p.toLowerCase()));

const ZERO: Digits = { digits: '0' };

export const compareVersions = (a: string, b: string): number => {
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? ZERO;
    const y = pb[i] ?? ZERO;
    if (typeof x !== 'string' && typeof y !== 'string') {
      const cmp = compareDigits(x.digits, y.digits);
      if (cmp !== 0) return cmp;
      continue;
    }
    // A pre-release word sorts before a number ("1.0-beta" < "1.0.1") but after a missing part is not special-cased.
    if (typeof x !== 'string') return 1;
    if (typeof y !== 'string') return -1;
    if (x === y) continue;
    return x < y ? -1 : 1;
  }
  return 0;
};

const holds = (cmp: number, op: Comparator): boolean => {
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
  }
};

const INTEGER = /^-?\d+$/;

/** Exact comparison of two integers written in decimal (versionCode is a 64-bit long on Android). */
const compareIntegers = (a: string, b: string): number => {
  const negA = a.startsWith('-');
  const negB = b.startsWith('-');
  if (negA !== negB) return negA ? -1 : 1;
  const cmp = compareDigits(negA ? a.slice(1) : a, negB ? b.slice(1) : b);
  return negA ? -cmp : cmp;
};

/**
 * With `numeric` (versionCode), both sides must be integers and compare exactly; anything else
 * satisfies no comparison rather than being rounded or guessed.
 */
export const satisfies = (version: string, constraint: Constraint, numeric = false): boolean =>
  constraint.some((all) =>
    all.every((c) => {
      if (numeric) {
        const v = version.trim();
        if (!INTEGER.test(v) || !INTEGER.test(c.version)) return false;
        return holds(compareIntegers(v, c.version), c.op);
      }
      return holds(compareVersions(version, c.version), c.op);
    }),
  );
