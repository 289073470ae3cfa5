import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMobileProvision } from '../../src/parsers/mobileprovision.js';
import { ParseError } from '../../src/parsers/types.js';
import { corpus, FIXTURES, SHARED } from './paths.js';

interface TruthEntry {
  container: string;
  error?: string;
  Name?: string;
  TeamIdentifier?: string[];
  TeamName?: string;
  AppIDName?: string;
  UUID?: string;
  'application-identifier'?: string;
  ExpirationDate?: string;
  DeveloperCertificates?: { subject: string; sha256: string }[];
}

const truthFile = corpus('ground-truth', 'mobileprovision.json');
const truth: Record<string, TruthEntry> = existsSync(truthFile)
  ? JSON.parse(readFileSync(truthFile, 'utf8'))
  : {};

describe.skipIf(SHARED === undefined)('parseMobileProvision: corpus ground truth', () => {
  it('covers the whole corpus', () => {
    expect(Object.keys(truth).length).toBe(9);
  });
  for (const [file, expected] of Object.entries(truth)) {
    const bytes = (): Uint8Array => new Uint8Array(readFileSync(corpus('mobileprovision', file)));
    if (expected.error !== undefined) {
      it(`${file}: refused with a ParseError (${expected.error.slice(0, 40)}…)`, () => {
        expect(() => parseMobileProvision(bytes())).toThrow(ParseError);
      });
      continue;
    }
    it(`${file}: team ${expected.TeamIdentifier?.[0]} / ${expected.TeamName}`, () => {
      const profile = parseMobileProvision(bytes());
      expect(profile.container).toBe(expected.container === 'CMS SignedData' ? 'cms' : 'raw');
      expect(profile.teamIdentifiers).toEqual(expected.TeamIdentifier);
      expect(profile.teamId).toBe(expected.TeamIdentifier?.[0]);
      expect(profile.teamName).toBe(expected.TeamName);
      expect(profile.name).toBe(expected.Name);
      expect(profile.appIdName).toBe(expected.AppIDName);
      expect(profile.uuid).toBe(expected.UUID);
      expect(profile.applicationIdentifier).toBe(expected['application-identifier']);
      expect(profile.expirationDate?.toISOString().replace('T', ' ').slice(0, 19)).toBe(
        expected.ExpirationDate,
      );
      expect(profile.developerCertificates.map((c) => c.sha256)).toEqual(
        expected.DeveloperCertificates?.map((c) => c.sha256),
      );
      // Every readable developer certificate belongs to the team (OU = team id).
      for (const cert of profile.developerCertificates) {
        if (cert.subject !== undefined) expect(cert.subject).toContain(`OU=${expected.TeamIdentifier?.[0]}`);
      }
    });
  }
});

describe('parseMobileProvision: generated profiles', () => {
  for (const name of ['profile-definite.mobileprovision', 'profile-indefinite.mobileprovision']) {
    it(`${name}: XML and binary payloads give the same facts`, () => {
      const profile = parseMobileProvision(new Uint8Array(readFileSync(join(FIXTURES, name))));
      expect(profile).toMatchObject({
        container: 'cms',
        teamId: 'EXAMPLE123',
        teamIdentifiers: ['EXAMPLE123'],
        teamName: 'Example Widgets Ltd.',
        uuid: '00000000-1111-2222-3333-444444444444',
        platforms: ['iOS'],
      });
      expect(profile.applicationIdentifier).toMatch(/^EXAMPLE123\.com\.example\./);
      expect(profile.expirationDate).toEqual(new Date('2035-01-02T03:04:05Z'));
      expect(profile.developerCertificates).toHaveLength(1);
      expect(profile.developerCertificates[0]?.sha256).toBe(profile.signers[0]?.sha256);
    });
  }

  it('falls back to the application-identifier prefix without TeamIdentifier', () => {
    const xml = `<?xml version="1.0"?><plist version="1.0"><dict><key>Entitlements</key><dict>
      <key>application-identifier</key><string>ABCDE12345.com.x</string></dict></dict></plist>`;
    expect(parseMobileProvision(Buffer.from(xml)).teamId).toBe('ABCDE12345');
  });

  it('refuses what is neither CMS nor a plist, and entity declarations', () => {
    expect(() => parseMobileProvision(Buffer.from('hello'))).toThrow(/neither CMS SignedData nor a plist/);
    const bomb = `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
      <plist><dict><key>TeamName</key><string>&b;</string></dict></plist>`;
    expect(() => parseMobileProvision(Buffer.from(bomb))).toThrow(ParseError);
    expect(() => parseMobileProvision(Buffer.from('<plist><array/></plist>'))).toThrow(/not a dictionary/);
  });

  it('fuzz: mutated profiles either parse or throw ParseError, quickly', () => {
    const seeds = ['profile-definite.mobileprovision', 'profile-indefinite.mobileprovision'].map(
      (name) => new Uint8Array(readFileSync(join(FIXTURES, name))),
    );
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (seed, edits) => {
          const bytes = Uint8Array.from(seeds[seed] ?? []);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const started = Date.now();
          try {
            parseMobileProvision(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(ParseError);
          }
          expect(Date.now() - started).toBeLessThan(2000);
        },
      ),
      { seed: 99, numRuns: 1000 },
    );
  });
});
