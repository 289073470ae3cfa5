import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectMdm, parseMdm } from '../../src/parsers/mdm/index.js';

const FIXTURES = [
  'amapi-devices-page.json',
  'intune-detected-app.json',
  'intune-discovered-apps.csv',
  'jamf-mobile-device.xml',
  'jamf-mobile-devices-detail.json',
  'ids.csv',
  'plain-list.txt',
].map((name) => readFileSync(`fixtures/mdm/${name}`, 'utf8'));

describe('MDM importers on damaged input', () => {
  it('never throw: a cut or corrupted export is unrecognised or failed/partial targets, with ids and statuses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: FIXTURES.length - 1 }),
        fc.nat(),
        fc.string({ maxLength: 8 }),
        (which, at, junk) => {
          const text = FIXTURES[which]!;
          const cut = at % (text.length + 1);
          const damaged = text.slice(0, cut) + junk + text.slice(cut + junk.length);
          const targets = parseMdm(damaged, 'f', 'f', 'listing');
          for (const t of targets ?? []) {
            expect(t.id).not.toBe('');
            expect(['scanned', 'partial', 'failed']).toContain(t.status);
            if (t.status !== 'scanned') expect(t.error ?? '').not.toBe('');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a truncated JSON export is not read as a clean device', () => {
    const text = FIXTURES[0]!;
    const cut = text.slice(0, Math.floor(text.length / 2));
    expect(detectMdm(cut)).toBe('amapi-devices');
    const targets = parseMdm(cut, 'f', 'f', 'listing') ?? [];
    expect(targets.map((t) => t.status)).toEqual(['failed']);
    expect(targets[0]?.error).toMatch(/^amapi-devices: not valid JSON/);
  });
});
