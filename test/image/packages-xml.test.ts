import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppRecord } from '../../src/model.js';
import { parsePackagesXml } from '../../src/parsers/packages-xml.js';
import { ParseError } from '../../src/parsers/types.js';
import { parseXml, type XmlElement } from '../../src/parsers/xml.js';
import { packagesXmlAttributeType, writeAbxTree } from './abx-writer.js';
import { fixture, shared } from './paths.js';

interface Expected {
  certs: Record<string, string>;
  packages: {
    id: string;
    versionCode: number;
    system: boolean;
    installer: string | null;
    certSha256: string[];
    certLineage: string[];
    updatedSystemApp: boolean;
  }[];
}
const expected = JSON.parse(readFileSync(fixture('packages-xml', 'expected.json'), 'utf8')) as Expected;
const textFixture = readFileSync(fixture('packages-xml', 'android11-packages.xml'));
const abxFixture = readFileSync(fixture('packages-xml', 'android14-packages.abx'));
const ctx = { target: 'dev', path: '/data/system/packages.xml' };

const stripWhitespace = (element: XmlElement): XmlElement => ({
  ...element,
  children: element.children
    .filter((c) => typeof c !== 'string' || c.trim() !== '')
    .map((c) => (typeof c === 'string' ? c : stripWhitespace(c))),
});

const byId = (apps: AppRecord[]): Map<string, AppRecord> => new Map(apps.map((a) => [a.id, a]));

describe.each([
  ['text (Android 11)', textFixture, 'packages-xml', 30],
  ['ABX (Android 14)', abxFixture, 'packages-xml-abx', 34],
])('packages.xml fixture, %s', (_label, bytes, format, sdk) => {
  const parsed = parsePackagesXml(bytes, ctx);

  it('detects the form and reads the device facts', () => {
    expect(parsed.format).toBe(format);
    expect(parsed.device).toEqual({
      platform: 'android',
      sdk,
      fingerprint: `fixture/appwarden/generic:${sdk}/TEST/1:userdebug/test-keys`,
    });
    expect(parsed.diagnostics).toEqual([]);
  });

  it('lists each <package> once, not the <updated-package> factory entries', () => {
    expect(parsed.apps.map((a) => a.id)).toEqual(expected.packages.map((p) => p.id));
  });

  it('resolves certificates given once and referenced by index (digests from openssl)', () => {
    const apps = byId(parsed.apps);
    for (const want of expected.packages) {
      const app = apps.get(want.id);
      expect(app?.publisher.certSha256 ?? [], want.id).toEqual(want.certSha256);
      expect(app?.publisher.certLineage ?? [], want.id).toEqual(want.certLineage);
    }
  });

  it('reads version, installer, system and update state', () => {
    const apps = byId(parsed.apps);
    for (const want of expected.packages) {
      const app = apps.get(want.id);
      expect(app?.versionCode, want.id).toBe(want.versionCode);
      expect(app?.system, want.id).toBe(want.system);
      expect(app?.installer ?? null, want.id).toBe(want.installer);
      expect(app?.extra?.updatedSystemApp ?? false, want.id).toBe(want.updatedSystemApp);
    }
    const youtube = apps.get('com.google.android.youtube');
    expect(youtube?.extra?.factoryCodePath).toBe('/product/app/YouTube');
    expect(youtube?.extra?.factoryVersionCode).toBe(1500);
    expect(youtube?.firstInstallTime).toBe(new Date(0x18b7a1c2d00).toISOString());
    expect(apps.get('com.zhiliaoapp.musically')?.extra?.installInitiator).toBe('com.android.vending');
    expect(apps.get('com.android.providers.settings')?.extra?.sharedUser).toBe('android.uid.system');
    expect(apps.get('com.example.flat')?.paths).toEqual(['/system/app/Flat.apk']);
  });

  it('records where each app came from', () => {
    const app = parsed.apps[0];
    expect(app?.origin.target).toBe('dev');
    expect(app?.origin.parser).toBe('packages-xml');
    expect(app?.origin.path).toBe(ctx.path);
    if (format === 'packages-xml') expect(app?.origin.line).toBeGreaterThan(1);
  });
});

const redr = shared('corpus', 'packages-xml', 'packages-sdk27-redr.xml');
const truthFile = shared('corpus', 'ground-truth', 'packages-xml.json');

describe.skipIf(!redr || !truthFile)(
  'real packages.xml (Android 8.1 emulator dump) against ground truth',
  () => {
    const bytes = readFileSync(redr ?? '');
    const truth = JSON.parse(readFileSync(truthFile ?? '', 'utf8'))[
      'packages-xml/packages-sdk27-redr.xml'
    ] as {
      sdk: string;
      packages: { name: string; codePath: string; version: string; certSha256: string[] }[];
    };

    const check = (apps: AppRecord[]): void => {
      expect(apps).toHaveLength(truth.packages.length);
      const apps2 = byId(apps);
      for (const want of truth.packages) {
        const app = apps2.get(want.name);
        expect(app?.publisher.certSha256, want.name).toEqual(want.certSha256);
        expect(String(app?.versionCode), want.name).toBe(want.version);
        expect(app?.extra?.codePath, want.name).toBe(want.codePath);
        expect(app?.system, want.name).toBe(true);
      }
    };

    it('reads every package with the certificate the ground truth gives', () => {
      const parsed = parsePackagesXml(bytes, { target: 'redr' });
      expect(parsed.device?.sdk).toBe(Number(truth.sdk));
      expect(parsed.diagnostics).toEqual([]);
      check(parsed.apps);
    });

    it('reads the same packages after conversion to ABX as Android 12+ would store them', () => {
      const abx = writeAbxTree(stripWhitespace(parseXml(bytes.toString('utf8'))), packagesXmlAttributeType);
      const parsed = parsePackagesXml(abx, { target: 'redr' });
      expect(parsed.format).toBe('packages-xml-abx');
      check(parsed.apps);
    });
  },
);

const cert = (n: number): { hex: string; sha: string } => {
  const der = Buffer.from(`30820101-fake-der-${n}`);
  return { hex: der.toString('hex'), sha: createHash('sha256').update(der).digest('hex') };
};
const doc = (body: string): Buffer =>
  Buffer.from(`<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<packages>\n${body}\n</packages>\n`);

describe('packages.xml variants and damage', () => {
  it('reads the pre-Android 6 `flags` attribute and <last-platform-version>', () => {
    const parsed = parsePackagesXml(
      doc(`<last-platform-version internal="19" external="19" fingerprint="old/fp" />
<package name="a.sys" codePath="/data/app/a.sys-1.apk" flags="1" version="3" userId="10001" enabled="3"><sigs count="1"><cert index="0" key="${cert(1).hex}" /></sigs></package>
<package name="b.user" codePath="/data/app/b.user-1.apk" flags="0" version="4" userId="10002" installer="com.android.vending"><sigs count="1"><cert index="0" /></sigs></package>`),
      ctx,
    );
    expect(parsed.device).toEqual({ platform: 'android', sdk: 19, fingerprint: 'old/fp' });
    const [a, b] = parsed.apps;
    expect(a?.system).toBe(true);
    expect(a?.enabled).toBe(false);
    expect(b?.system).toBe(false);
    expect(b?.publisher.certSha256).toEqual([cert(1).sha]);
    expect(b?.paths).toEqual(['/data/app/b.user-1.apk']);
  });

  it('treats apps under read-only partitions as system even without flags', () => {
    const parsed = parsePackagesXml(
      doc(`<package name="v" codePath="/vendor/app/V" version="1" userId="1" />
<package name="p" codePath="/product/priv-app/P" version="1" userId="2" />
<package name="u" codePath="/data/app/~~x==/u-y==" version="1" userId="3" />`),
      ctx,
    );
    expect(parsed.apps.map((a) => [a.id, a.system])).toEqual([
      ['v', true],
      ['p', true],
      ['u', false],
    ]);
  });

  it('resolves a key that is only given later in the file (shared-user block)', () => {
    const parsed = parsePackagesXml(
      doc(`<package name="a" codePath="/system/app/A" version="1" sharedUserId="1000"><sigs count="1"><cert index="4" /></sigs></package>
<shared-user name="android.uid.system" userId="1000"><sigs count="1"><cert index="4" key="${cert(4).hex}" /></sigs></shared-user>`),
      ctx,
    );
    expect(parsed.apps[0]?.publisher.certSha256).toEqual([cert(4).sha]);
  });

  it('reports, without failing, indices with no key, conflicting keys, bad hex and duplicates', () => {
    const parsed = parsePackagesXml(
      doc(`<package name="a" codePath="/data/app/a" version="1" userId="1"><sigs count="1"><cert index="9" /></sigs></package>
<package name="b" codePath="/data/app/b" version="1" userId="2"><sigs count="1"><cert index="1" key="${cert(1).hex}" /></sigs></package>
<package name="c" codePath="/data/app/c" version="1" userId="3"><sigs count="1"><cert index="1" key="${cert(2).hex}" /></sigs></package>
<package name="d" codePath="/data/app/d" version="1" userId="4"><sigs count="1"><cert index="2" key="zz" /></sigs></package>
<package name="b" codePath="/data/app/b2" version="2" userId="5" />
<package codePath="/data/app/x" />
<updated-package name="gone" codePath="/system/app/Gone" version="1" />`),
      ctx,
    );
    expect(parsed.apps.map((a) => a.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(parsed.apps[2]?.publisher.certSha256).toEqual([cert(1).sha]);
    const messages = parsed.diagnostics.map((d) => d.message).join('\n');
    expect(messages).toMatch(/package a: certificate index 9 has no key anywhere/);
    expect(messages).toMatch(/index="1"> is defined twice with different keys/);
    expect(messages).toMatch(/index="2"> key is not hex/);
    expect(messages).toMatch(/package b is listed twice/);
    expect(messages).toMatch(/without a name/);
    expect(messages).toMatch(/updated-package gone has no matching <package>/);
    const noKey = parsed.diagnostics.find((d) => d.message.includes('index 9'));
    expect(noKey?.line).toBe(3);
    expect(noKey?.path).toBe(ctx.path);
    expect(parsed.diagnostics.find((d) => d.message.includes('defined twice'))?.line).toBe(5);
  });

  it('ignores declared counts and refuses absurd nesting', () => {
    const parsed = parsePackagesXml(
      doc(
        `<package name="a" codePath="/data/app/a" version="1" userId="1"><sigs count="2147483647"><cert index="0" key="${cert(0).hex}" /></sigs></package>`,
      ),
      ctx,
    );
    expect(parsed.apps[0]?.publisher.certSha256).toEqual([cert(0).sha]);
    const started = Date.now();
    expect(() => parsePackagesXml(doc('<x>'.repeat(100_000)), ctx)).toThrow(/deeper than 64 levels/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps versionCodes beyond 2^53 exact as strings', () => {
    const parsed = parsePackagesXml(
      doc('<package name="a" codePath="/data/app/a" version="9223372036854775807" userId="1" />'),
      ctx,
    );
    expect(parsed.apps[0]?.versionCode).toBe('9223372036854775807');
  });

  it('refuses files that are not packages.xml with a clear error', () => {
    expect(() => parsePackagesXml(Buffer.from('<package-restrictions/>'), ctx)).toThrow(
      /root element is <package-restrictions>, expected <packages>/,
    );
    expect(() => parsePackagesXml(Buffer.from('not xml at all'), ctx)).toThrow(ParseError);
    expect(() => parsePackagesXml(Buffer.from('<!DOCTYPE p [<!ENTITY a "b">]><packages/>'), ctx)).toThrow(
      /DOCTYPE/,
    );
    expect(() => parsePackagesXml(abxFixture.subarray(0, 2000), ctx)).toThrow(
      /ABX offset \d+: truncated|input ends/,
    );
  });

  it.each([
    ['text', textFixture],
    ['ABX', abxFixture],
  ])('survives mutations of the %s fixture with ParseErrors only (fuzz)', (_label, bytes) => {
    const started = Date.now();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(bytes.length)),
        (mutations, cut) => {
          const b = Uint8Array.from(bytes.subarray(0, cut ?? bytes.length));
          for (const [at, v] of mutations) if (at < b.length) b[at] = v;
          try {
            const parsed = parsePackagesXml(b, ctx);
            for (const app of parsed.apps) expect(typeof app.id).toBe('string');
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
          }
        },
      ),
      { seed: 99, numRuns: 400 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
