import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../src/ruleset/load.js';
import { tempFiles } from './helpers.js';

const RULES = `name: corp
version: "2026.01.15"
rules:
  - id: corp.tiktok
    title: TikTok
    severity: high
    message: Banned.
    match: { package: [com.zhiliaoapp.musically, "com.ss.android.ugc.*"] }
    metadata: { ticket: 42, reviewed: true, note: null }
  - id: corp.old-wechat
    title: Old WeChat
    severity: low
    message: old
    match: { platform: android, package: com.tencent.mm, version: "<8.0.40" }
`;

const errorsOf = (load: () => unknown): string => {
  try {
    load();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the rule set to be invalid');
};

describe('compiled-rule cache', () => {
  let cache: string;
  const saved = { xdg: process.env.XDG_CACHE_HOME, off: process.env.APPWARDEN_NO_CACHE };
  const entries = () => {
    try {
      return readdirSync(path.join(cache, 'appwarden', 'rules'));
    } catch {
      return [];
    }
  };
  beforeEach(() => {
    cache = mkdtempSync(path.join(tmpdir(), 'appwarden-cache-'));
    process.env.XDG_CACHE_HOME = cache;
    delete process.env.APPWARDEN_NO_CACHE;
  });
  afterEach(() => {
    rmSync(cache, { recursive: true, force: true });
    if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.xdg;
    if (saved.off !== undefined) process.env.APPWARDEN_NO_CACHE = saved.off;
  });

  it('gives back exactly what a full parse gives, and a hit is read from the cache', () => {
    const dir = tempFiles({ 'corp.yaml': RULES });
    const file = path.join(dir, 'corp.yaml');
    process.env.APPWARDEN_NO_CACHE = '1';
    const uncached = loadRuleSet([file]);
    expect(entries()).toEqual([]);
    delete process.env.APPWARDEN_NO_CACHE;
    const miss = loadRuleSet([file]);
    expect(entries()).toHaveLength(1);
    const hit = loadRuleSet([file]);
    expect(miss).toEqual(uncached);
    expect(hit).toEqual(uncached);
    // Prove the second load came from the entry: an edited entry shows through.
    const entry = path.join(cache, 'appwarden', 'rules', entries()[0]!);
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('"TikTok"', '"From cache"'));
    expect(loadRuleSet([file]).rules[0]!.title).toBe('From cache');
    // A damaged entry falls back to parsing.
    writeFileSync(entry, '{"format":');
    expect(loadRuleSet([file])).toEqual(uncached);
  });

  it('keys on the text: an edited file is parsed again', () => {
    const dir = tempFiles({ 'corp.yaml': RULES });
    const file = path.join(dir, 'corp.yaml');
    loadRuleSet([file]);
    writeFileSync(file, RULES.replace('title: TikTok', 'title: TikTok Lite'));
    expect(loadRuleSet([file]).rules[0]!.title).toBe('TikTok Lite');
    expect(entries()).toHaveLength(2);
  });

  it('never caches an invalid file, and cross-file problems keep their positions on a hit', () => {
    const dir = tempFiles({
      'bad.yaml': 'rules:\n  - id: x\n    severity: urgent\n',
      'a.yaml': RULES,
      'b.yaml': RULES.replace('name: corp', 'name: other'),
    });
    const bad = () => loadRuleSet([path.join(dir, 'bad.yaml')]);
    const first = errorsOf(bad);
    expect(first).toContain('bad.yaml:');
    expect(errorsOf(bad)).toBe(first);
    expect(entries()).toEqual([]);
    const dup = () => loadRuleSet([path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')]);
    process.env.APPWARDEN_NO_CACHE = '1';
    const expected = errorsOf(dup);
    delete process.env.APPWARDEN_NO_CACHE;
    expect(expected).toMatch(/b\.yaml:4:\d+: duplicate rule id "corp\.tiktok"/);
    expect(errorsOf(dup)).toBe(expected); // misses: both files are valid on their own, so cached
    expect(entries()).toHaveLength(2);
    expect(errorsOf(dup)).toBe(expected); // hits: positions come from the entries
  });
});
