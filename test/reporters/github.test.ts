import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, github } from '../../src/reporters/github.js';
import { fixtureContext, fixtureResult, hasUnsafeChar, passingResult } from '../fixtures-result.js';
import { expectGolden } from './golden/golden.js';

interface Command {
  level: string;
  props: Record<string, string>;
  message: string;
}

const unescapeCommand = (s: string): string =>
  s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');

/** Parses one line the way the Actions runner does: `::name k=v,k=v::data`. */
const parseCommand = (line: string): Command | undefined => {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return undefined;
  const props: Record<string, string> = {};
  for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    props[pair.slice(0, eq)] = unescapeCommand(pair.slice(eq + 1));
  }
  return { level: m[1] ?? '', props, message: unescapeCommand(m[3] ?? '') };
};

describe('github annotations reporter', () => {
  const out = github(fixtureResult, fixtureContext());
  const lines = out.trimEnd().split('\n');
  const commands = lines.map(parseCommand);

  it('matches the golden file', () => {
    expectGolden('github', out);
  });

  it('writes one command per finding, incomplete target and near miss, one for skipped inputs, then a summary line', () => {
    const incomplete = fixtureResult.summary.targetsIncomplete;
    expect(incomplete).toBe(2);
    expect(lines).toHaveLength(
      fixtureResult.findings.length + incomplete + fixtureResult.notes.length + 1 + 1,
    );
    expect(lines.at(-2)).toMatch(
      /^::notice title=appwarden%3A 3 inputs skipped::.*IMG_0042\.jpg: not app data/,
    );
    expect(commands.slice(0, -1).every((c) => c !== undefined)).toBe(true);
    expect(lines.at(-1)).toBe(
      'appwarden: FAIL: 2 unwaived findings at or above high; 2 targets not fully scanned',
    );
    // Nothing a label carried became a command of its own.
    expect(lines.filter((l) => l.startsWith('::error::'))).toEqual([]);
    expect(hasUnsafeChar(out, '\n')).toBe(false);
  });

  it('maps severities to levels, errors first; waived findings are notices', () => {
    const byTitle = new Map(commands.map((c) => [c?.props.title, c]));
    expect(byTitle.get('ca-gov.kaspersky: Kaspersky')?.level).toBe('error');
    expect(byTitle.get('ca-gov.tiktok: TikTok')?.level).toBe('error');
    expect(byTitle.get('in-meity.shareit: SHAREit (India MeitY 2020 block list)')?.level).toBe('warning');
    expect(byTitle.get('corp.social.rednote: RedNote | Xiaohongshu')?.level).toBe('notice');
    expect(byTitle.get('corp.payments.alipay: Alipay')?.level).toBe('notice');
    const waived = byTitle.get('waived: ca-gov.wechat: WeChat');
    expect(waived?.level).toBe('notice');
    expect(waived?.message).toContain('Waived by W-2026-001 until 2026-12-31');
    expect(byTitle.get('appwarden: target not scanned')?.level).toBe('error');
    expect(byTitle.get('appwarden: target partly scanned')?.level).toBe('warning');
    const levels = commands.slice(0, -1).map((c) => c?.level);
    expect(levels).toEqual(
      [...levels].sort(
        (a, b) =>
          ['error', 'warning', 'notice'].indexOf(a ?? '') - ['error', 'warning', 'notice'].indexOf(b ?? ''),
      ),
    );
  });

  it('points at files only when the evidence is a file, with escaped properties', () => {
    const tiktok = commands.find((c) => c?.props.title === 'ca-gov.tiktok: TikTok');
    expect(tiktok?.props.file).toBe('evidence/R58N12ABC, lab:2.txt');
    expect(tiktok?.props.line).toBe('57');
    expect(lines.find((l) => l.includes('title=ca-gov.tiktok'))).toContain(
      'file=evidence/R58N12ABC%2C lab%3A2.txt,line=57',
    );
    const apk = commands.find((c) => c?.props.title === 'appwarden: target not scanned');
    expect(apk?.props.file).toBe('apps/suspicious.apk');
    const ios = commands.find((c) => c?.props.title === 'corp.social.rednote: RedNote | Xiaohongshu');
    expect(ios?.props.file).toBeUndefined();
    expect(ios?.message.split('\n')[0]).toBe(
      'LOW: 小红书 RedNote  ::error::pwned (com.xingin.discover) on Zhang Wei 的 iPhone 📱\\u202e (ios:00008110-001A2B3C4D5E801E)',
    );
  });

  it('passes quietly', () => {
    expect(github(passingResult, fixtureContext())).toBe(
      'appwarden: PASS: no unwaived findings at or above high\n',
    );
  });

  it('escapes so that any value round-trips and cannot break the command', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const p = escapeProperty(s);
        expect(p).not.toMatch(/[:,\r\n]/);
        expect(unescapeCommand(p)).toBe(s);
        const d = escapeData(s);
        expect(d).not.toMatch(/[\r\n]/);
        expect(unescapeCommand(d)).toBe(s);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
