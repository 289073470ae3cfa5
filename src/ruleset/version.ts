/**
 * Version constraints on versionName (dotted, e.g. "8.0.40") and versionCode (integers).
 * Syntax: space-separated comparisons that must all hold (`>=1.2 <2`), `||` between alternatives.
 */

export type Comparator = '<' | '<=' | '>' | '>=' | '=' | '!=';
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

/** Split "8.0.40-beta1" into comparable parts: numbers compare numerically, words as strings. */
const parts = (version: string): Array<number | string> =>
  version
    .split(/[.\-+_]/)
    .flatMap((p) => p.match(/\d+|[^\d]+/g) ?? [])
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p.toLowerCase()));

export const compareVersions = (a: string, b: string): number => {
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    // A pre-release word sorts before a number ("1.0-beta" < "1.0.1") but after a missing part is not special-cased.
    if (typeof x === 'number') return 1;
    if (typeof y === 'number') return -1;
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

export const satisfies = (version: string, constraint: Constraint, numeric = false): boolean =>
  constraint.some((all) =>
    all.every((c) => {
      const cmp = numeric
        ? Math.sign(Number(version) - Number(c.version))
        : compareVersions(version, c.version);
      return Number.isNaN(cmp) ? false : holds(cmp, c.op);
    }),
  );
