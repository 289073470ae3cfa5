/**
 * The work done for one target once it is read: duplicate apps merged, rules matched, apps dropped
 * when the scan does not keep them. Shared by the scan and the listing workers, so a target
 * checked in a worker thread comes out exactly as one checked in the main thread.
 */
import { type AppRecord, countApps, type Finding, type MatchDetail, type TargetResult } from './model.js';
import { builtinFindings } from './ruleset/builtin.js';
import type { Matcher } from './ruleset/compile.js';
import type { Pack, Rule } from './ruleset/types.js';

/** What checking one target adds to the scan besides the target itself. */
export interface TargetFindings {
  findings: Finding[];
  notes: Finding[];
}

/** One app per (platform, id, user) in a target: a listing that holds both pm and dumpsys output merges. */
export const mergeDuplicateApps = (target: TargetResult): TargetResult => {
  if (target.apps.length < 2) return target;
  // Parsers already merge within a listing, so the common case is "no duplicate": check ids first
  // without building composite keys.
  const ids = new Set<string>();
  for (const app of target.apps) ids.add(app.id);
  if (ids.size === target.apps.length) return target;
  const byKey = new Map<string, AppRecord>();
  for (const app of target.apps) {
    const key = `${app.platform}\u0000${app.id}\u0000${app.user ?? ''}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, app);
      continue;
    }
    const merged: AppRecord = { ...app, ...stripUndefined(seen) };
    merged.publisher = { ...app.publisher, ...seen.publisher };
    // Every digest either record carried stays: a certificate seen by one source is evidence still.
    for (const field of ['certSha256', 'certSha1', 'certMd5'] as const) {
      const certs = [...new Set([...(seen.publisher[field] ?? []), ...(app.publisher[field] ?? [])])];
      if (certs.length > 0) merged.publisher[field] = certs;
    }
    byKey.set(key, merged);
  }
  if (byKey.size === target.apps.length) return target;
  return { ...target, apps: [...byKey.values()] };
};

const stripUndefined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A finding of a rule on an app: the rule's own strings, the app and what matched. */
const ruleFinding = (rule: Rule, target: string, app: AppRecord, matchedOn: MatchDetail[]): Finding => ({
  ruleId: rule.id,
  severity: rule.severity,
  title: rule.title,
  message: rule.message,
  references: rule.references,
  pack: rule.pack,
  target,
  app,
  matchedOn,
});

const findingsFor = (
  target: TargetResult,
  matcher: Matcher,
  packs: Map<string, Pack>,
): { findings: Finding[]; notes: Finding[] } => {
  const findings: Finding[] = [];
  const notes: Finding[] = [];
  for (const app of target.apps) {
    const matches = matcher.match(app);
    for (const { rule, matchedOn } of matches) {
      findings.push(ruleFinding(rule, target.id, app, matchedOn));
    }
    for (const { pack } of matcher.notAllowed(app)) {
      const config = packs.get(pack)?.allowlist;
      if (!config) continue;
      findings.push({
        ruleId: config.id,
        severity: config.severity,
        title: 'App not on the allowlist',
        message: config.message,
        references: [],
        pack,
        target: target.id,
        app,
        matchedOn: [{ criterion: 'allowlist', pattern: pack, value: app.id }],
      });
    }
    for (const miss of matcher.nearMisses(app)) {
      if (matches.some((m) => m.rule === miss.rule)) continue;
      notes.push({
        ruleId: miss.rule.id,
        severity: 'info',
        title: miss.rule.title,
        message: `"${app.id}" differs from "${miss.expected}" only by letter case; package ids are case-sensitive, so this is not a match. Check it by hand.`,
        references: miss.rule.references,
        pack: miss.rule.pack,
        target: target.id,
        app,
        matchedOn: [],
        nearMiss: miss.expected,
      });
    }
  }
  return { findings, notes };
};

/** Check one target; with keepApps false its app list is dropped once counted. */
export const checkTarget = (
  target: TargetResult,
  matcher: Matcher,
  packs: Map<string, Pack>,
  keepApps: boolean,
): TargetFindings => {
  if (target.status === 'scanned' && target.apps.length === 0 && !target.error) {
    target.error = 'held no apps: nothing was checked';
  }
  const r = findingsFor(target, matcher, packs);
  // Built-in rules (a signature that does not verify) apply whatever rule set is loaded.
  r.findings.push(...builtinFindings(target));
  target.appCount = countApps(target);
  if (!keepApps) target.apps = [];
  return r;
};

/** A rule finding reduced to what its rule does not say: the rule's index, the app, the details. */
type PackedFinding = [rule: number, app: AppRecord, matchedOn: MatchDetail[]];

/** Findings as a listing worker sends them: rule findings packed, the rest (allowlist) whole. */
export interface PackedTargetFindings {
  findings: Array<Finding | PackedFinding>;
  notes: Finding[];
}

/**
 * Pack the findings of one target. Only findings built from a rule exactly as findingsFor builds
 * them are packed (the rule's own references array is the tell), so unpacking restores them as
 * they were.
 */
export const packFindings = (
  target: TargetResult,
  checked: TargetFindings,
  rules: Map<string, { rule: Rule; index: number }>,
): PackedTargetFindings => {
  const findings = checked.findings.map((f): Finding | PackedFinding => {
    const known = rules.get(f.ruleId);
    if (known === undefined) return f;
    const { rule, index } = known;
    const fromRule =
      f.references === rule.references &&
      f.severity === rule.severity &&
      f.title === rule.title &&
      f.message === rule.message &&
      f.pack === rule.pack &&
      f.target === target.id &&
      f.waiver === undefined &&
      f.nearMiss === undefined;
    return fromRule ? [index, f.app, f.matchedOn] : f;
  });
  return { findings, notes: checked.notes };
};

/** Past this many distinct strings the table stops growing (values stay as they came). */
const MAX_SHARED_STRINGS = 100_000;

/** One copy of each repeated string: the table's copy when it has one. */
const share = (strings: Map<string, string>, value: string): string => {
  const known = strings.get(value);
  if (known !== undefined) return known;
  if (strings.size < MAX_SHARED_STRINGS) strings.set(value, value);
  return value;
};

/** The inverse of packFindings, with the scan's own rules (the same list, in the same order). */
export const unpackFindings = (
  target: TargetResult,
  packed: PackedTargetFindings,
  rules: readonly Rule[],
  strings?: Map<string, string>,
): TargetFindings => {
  const findings = packed.findings.map((f): Finding => {
    if (!Array.isArray(f)) return f;
    const [index, app, matchedOn] = f;
    const rule = rules[index];
    if (rule === undefined) throw new Error(`listing worker sent a finding of unknown rule #${index}`);
    // A copied record has its own copy of every string: share the target's path, the app's id
    // and the strings many findings repeat, so the copies die young instead of being kept.
    const { origin } = app;
    if (origin.target === target.id) origin.target = target.id;
    if (origin.path === target.id) origin.path = target.id;
    if (strings) {
      app.platform = app.platform === 'android' ? 'android' : app.platform === 'ios' ? 'ios' : app.platform;
      origin.parser = share(strings, origin.parser);
      if (app.installer !== undefined) app.installer = share(strings, app.installer);
      for (const detail of matchedOn) {
        detail.criterion = share(strings, detail.criterion);
        detail.pattern = share(strings, detail.pattern);
        if (detail.value === app.id) detail.value = app.id;
      }
    }
    return ruleFinding(rule, target.id, app, matchedOn);
  });
  return { findings, notes: packed.notes };
};
