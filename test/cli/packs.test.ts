/**
 * Issue 14 §1 and §4 (and issue 9's "rules list --packs lists packs only"), through the built binary:
 * packs carry versions and their own sources, reports name the pack editions, and the ban is
 * exported as MDM policy (Android Management API, Apple configuration profile, Intune CSV) with
 * everything an id list cannot carry listed on stderr.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { isPlistDict, parsePlistBytes } from '../../src/parsers/plist-bytes.js';
import { runCli, tempDir } from './exec.js';

const PACK_VERSION = /^\d{4}\.\d{2}\.\d{2}(\.\d+)?$/;
const SHIPPED = readdirSync('rules')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

const WECHAT_LISTING =
  'package:/data/app/~~Q1w==/com.tencent.mm-Zz==/base.apk=com.tencent.mm versionCode:2800  installer=com.android.vending uid:10234\n' +
  'package:/system/app/Camera/Camera.apk=com.android.camera2 versionCode:1  installer=null uid:10040\n';

describe('pack editions', () => {
  it('rules list --packs lists the packs only (not rules/publishers/*), each with a date-based version', () => {
    const r = runCli(['rules', 'list', '--packs', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const packs = JSON.parse(r.stdout) as Array<{
      name: string;
      version?: string;
      updated?: string;
      rules: number;
    }>;
    expect(packs.map((p) => p.name)).toEqual(SHIPPED);
    expect(packs.some((p) => p.name.startsWith('publishers'))).toBe(false);
    for (const p of packs) {
      expect(p.version, p.name).toMatch(PACK_VERSION);
      expect(p.updated, p.name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.rules, p.name).toBeGreaterThan(0);
    }
    const text = runCli(['rules', 'list', '--packs']);
    expect(text.stdout).toMatch(/^ca-gov\s+\d{4}\.\d{2}\.\d{2}\s+updated \d{4}-\d{2}-\d{2}\s+\d+ rules$/m);
    expect(text.stdout).not.toMatch(/publishers/);
  });

  it('--version prints the tool version, then every shipped pack with its edition', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    const [first, ...rest] = r.stdout.trimEnd().split('\n');
    expect(first).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    for (const name of SHIPPED)
      expect(rest.join('\n')).toMatch(new RegExp(`^ {2}${name} \\d{4}\\.\\d{2}\\.\\d{2}`, 'm'));
  });

  it('every report format names the pack editions it applied', () => {
    const dir = tempDir({ 'phone.txt': WECHAT_LISTING });
    const listing = path.join(dir, 'phone.txt');
    const json = JSON.parse(runCli(['scan', listing, '-r', 'ca-gov', '--format', 'json']).stdout) as {
      rules: { packs: Array<{ name: string; kind: string; version?: string }> };
    };
    // The documented report schema knows the new fields.
    const reportSchema = JSON.parse(readFileSync('schema/report.schema.json', 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const validateReport = ajv.compile(reportSchema);
    expect(validateReport(json), JSON.stringify(validateReport.errors)).toBe(true);
    const ca = json.rules.packs.find((p) => p.name === 'ca-gov');
    expect(ca?.kind).toBe('pack');
    expect(ca?.version).toMatch(PACK_VERSION);
    // Publisher files it includes are named too, marked as such.
    expect(json.rules.packs.find((p) => p.name === 'publishers-tencent')?.kind).toBe('publishers');

    const table = runCli(['scan', listing, '-r', 'ca-gov', '--format', 'table']);
    expect(table.stdout.split('\n')[0]).toBe(`rules: ca-gov ${ca?.version}`);

    const sarif = JSON.parse(runCli(['scan', listing, '-r', 'ca-gov', '--format', 'sarif']).stdout) as {
      runs: Array<{
        tool: {
          driver: {
            properties?: { packs: Array<{ name: string; version: string }> };
            rules: Array<{ id: string; helpUri?: string }>;
          };
        };
      }>;
    };
    const driver = sarif.runs[0]!.tool.driver;
    expect(driver.properties?.packs.find((p) => p.name === 'ca-gov')?.version).toBe(ca?.version);
    // The help link of a rule is the instrument's own text (the TBS news release), not a news article.
    expect(driver.rules.find((r) => r.id === 'ca-gov.wechat')?.helpUri).toMatch(
      /^https:\/\/www\.newswire\.ca\//,
    );

    const html = runCli(['scan', listing, '-r', 'ca-gov', '--format', 'html']).stdout;
    expect(html).toContain(`packs ca-gov ${ca?.version}`);
  });
});

describe('packs stand on their own sources', () => {
  const files = [
    ...SHIPPED.map((n) => `rules/${n}.yaml`),
    ...readdirSync('rules/publishers').map((f) => `rules/publishers/${f}`),
  ];

  it('no pack cites a machine path or the unshipped research notes', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/\/work\/|ban-lists\.md|\.\.\/shared/);
    }
  });

  it('rules show marks the primary source first and the news reports as secondary', () => {
    const r = runCli(['rules', 'show', 'ca-gov.tiktok', '-r', 'ca-gov']);
    expect(r.code).toBe(0);
    const refs = r.stdout.slice(r.stdout.indexOf('references:')).split('\n').slice(1);
    expect(refs[0]).toMatch(/Treasury Board of Canada Secretariat.*2023-02-27.*\(primary\)$/);
    expect(refs[1]).toMatch(/\(secondary\)$/);
  });

  it('T8ALTGMVXN (TrollStore) is never used as an identifier', () => {
    for (const f of files) {
      const lines = readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.includes('T8ALTGMVXN'));
      // Only ever named in prose as what must not be used, never as a YAML list item.
      for (const l of lines) expect(l, f).not.toMatch(/^\s*-\s*T8ALTGMVXN/);
    }
  });

  it('rules test covers the new identifiers and passes', () => {
    const r = runCli(['rules', 'test']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
    const cases = readdirSync('rules/tests')
      .map((f) => readFileSync(path.join('rules/tests', f), 'utf8'))
      .join('\n');
    for (const needle of [
      '2Y8XE5CQ94',
      'NAN929V4UM',
      '22MMUN2RN5',
      '5A4RE8SF68',
      'com.kaspersky.securityadvisor',
      'com.ss.iphone.ugc.now',
      'com.tencent.mqq',
      '011a40266c8c75d181ddd8e4ddc50075',
      'ef1b5a11844923bb7515e6f6afcbc45f',
      '194326e82c84a639a52e5c023116f12a',
      '18c867f0717aa67b2ab7347505ba07ed',
    ]) {
      // Each new identifier appears in an app of a test case (an `app:` line), not only in prose.
      expect(cases, needle).toMatch(new RegExp(`app:.*${needle.replace(/\./g, '\\.')}|${needle}.*\\]`));
    }
  });
});

describe('MD5 / SHA-1 of the signing certificate from an APK', () => {
  it('a rule by cert-md5 or cert-sha1 matches the APK whose certificate has that digest', () => {
    // Digests of the DER certificate in fixtures/apk/v1-rsa.apk, computed with openssl
    // (pkcs7 -print_certs | x509 -outform DER); its SHA-256 is the one in fixtures/apk/expected.json.
    const dir = tempDir({
      'md5.yaml': `name: md5-test\nrules:\n  - id: md5-test.fixture\n    title: Fixture by MD5\n    severity: high\n    message: fixture\n    match:\n      - cert-md5: "49:6E:1A:D1:A3:41:50:74:AF:DF:F7:B5:36:45:C1:71"\n`,
      'sha1.yaml': `name: sha1-test\nrules:\n  - id: sha1-test.fixture\n    title: Fixture by SHA-1\n    severity: high\n    message: fixture\n    match:\n      - cert-sha1: 6480225d920d87833e9afbe5e56a9d5b1acb4817\n`,
    });
    const apk = path.resolve('fixtures/apk/v1-rsa.apk');
    for (const [file, id] of [
      ['md5.yaml', 'md5-test.fixture'],
      ['sha1.yaml', 'sha1-test.fixture'],
    ] as const) {
      const r = runCli(['scan', apk, '-r', path.join(dir, file), '--format', 'json', '--include-inventory']);
      const doc = JSON.parse(r.stdout) as {
        findings: Array<{ ruleId: string; matchedOn: Array<{ criterion: string }> }>;
        targets: Array<{ apps: Array<{ publisher: { certMd5?: string[]; certSha1?: string[] } }> }>;
      };
      expect(doc.findings.map((f) => f.ruleId)).toEqual([id]);
      expect(doc.targets[0]?.apps[0]?.publisher.certMd5).toEqual(['496e1ad1a3415074afdff7b53645c171']);
      expect(doc.targets[0]?.apps[0]?.publisher.certSha1).toEqual([
        '6480225d920d87833e9afbe5e56a9d5b1acb4817',
      ]);
    }
  });
});

describe('MD5 / SHA-1 of the certificates in a packages.xml', () => {
  it('every app with a certificate key also carries its MD5 and SHA-1, computed from the same DER', () => {
    const xml = readFileSync('fixtures/packages-xml/android11-packages.xml', 'utf8');
    const bySha256 = new Map<string, { md5: string; sha1: string }>();
    for (const m of xml.matchAll(/key="([0-9a-fA-F]+)"/g)) {
      const der = Buffer.from(m[1]!, 'hex');
      bySha256.set(createHash('sha256').update(der).digest('hex'), {
        md5: createHash('md5').update(der).digest('hex'),
        sha1: createHash('sha1').update(der).digest('hex'),
      });
    }
    expect(bySha256.size).toBeGreaterThan(0);
    const r = runCli([
      'scan',
      'fixtures/packages-xml/android11-packages.xml',
      '--format',
      'json',
      '--include-inventory',
    ]);
    const doc = JSON.parse(r.stdout) as {
      targets: Array<{
        apps: Array<{
          id: string;
          publisher: { certSha256?: string[]; certMd5?: string[]; certSha1?: string[] };
        }>;
      }>;
    };
    const apps = doc.targets.flatMap((t) => t.apps).filter((a) => a.publisher.certSha256?.length);
    expect(apps.length).toBeGreaterThan(0);
    for (const a of apps) {
      expect(a.publisher.certMd5, a.id).toEqual(a.publisher.certSha256!.map((c) => bySha256.get(c)?.md5));
      expect(a.publisher.certSha1, a.id).toEqual(a.publisher.certSha256!.map((c) => bySha256.get(c)?.sha1));
    }
  });
});

/**
 * The fields this tool emits, from the Android Management API reference (enterprises.policies:
 * Policy.applications[] is ApplicationPolicy; packageName is a string, installType an InstallType
 * enum; at most 3,000 applications per policy). additionalProperties false: anything else we emit
 * would be a field we did not check against the reference.
 */
const AMAPI_POLICY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['applications'],
  properties: {
    applications: {
      type: 'array',
      maxItems: 3000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['packageName', 'installType'],
        properties: {
          packageName: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)+$' },
          installType: {
            enum: [
              'INSTALL_TYPE_UNSPECIFIED',
              'PREINSTALLED',
              'FORCE_INSTALLED',
              'BLOCKED',
              'AVAILABLE',
              'REQUIRED_FOR_SETUP',
              'KIOSK',
              'CUSTOM',
            ],
          },
        },
      },
    },
  },
};

describe('rules export', () => {
  it('--format amapi: a policy fragment blocking every exact Android package id, valid against the API schema', () => {
    const r = runCli(['rules', 'export', 'ca-gov', '--format', 'amapi']);
    expect(r.code, r.stderr).toBe(0);
    const policy = JSON.parse(r.stdout) as {
      applications: Array<{ packageName: string; installType: string }>;
    };
    const validate = new Ajv2020({ strict: true }).compile(AMAPI_POLICY_SCHEMA);
    expect(validate(policy), JSON.stringify(validate.errors)).toBe(true);
    const ids = policy.applications.map((a) => a.packageName);
    for (const id of [
      'com.zhiliaoapp.musically',
      'com.tencent.mm',
      'com.kms.free',
      'com.kaspersky.safekids',
    ]) {
      expect(ids).toContain(id);
    }
    expect(policy.applications.every((a) => a.installType === 'BLOCKED')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Excluded OEM components are never blocked.
    expect(ids).not.toContain('com.tencent.soter.soterserver');
    // What an id list cannot carry is named on stderr: publishers, globs.
    expect(r.stderr).toMatch(/not exported: ca-gov\.tiktok: publisher bytedance: /);
    expect(r.stderr).toMatch(/not exported: ca-gov\.tencent-review: package com\.tencent\.\*: a glob/);
  });

  it('--format amapi leaves out rules restricted to iOS and names version rules on stderr', () => {
    const dir = tempDir({
      'r.yaml': `name: mixed\nrules:\n  - id: mixed.ios\n    title: iOS only\n    severity: high\n    message: m\n    match:\n      - platform: ios\n        package: com.example.iosonly\n  - id: mixed.old\n    title: Old versions\n    severity: high\n    message: m\n    match:\n      - package: com.example.old\n        version: "<2.0"\n  - id: mixed.android\n    title: Android\n    severity: high\n    message: m\n    match:\n      - platform: android\n        package: com.example.droid\n`,
    });
    const r = runCli(['rules', 'export', path.join(dir, 'r.yaml'), '--format', 'amapi']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      applications: [{ packageName: 'com.example.droid', installType: 'BLOCKED' }],
    });
    expect(r.stderr).toMatch(/not exported: mixed\.old: .*version/);
  });

  it('--format mobileconfig: a restrictions profile that parses as a property list', () => {
    const r = runCli(['rules', 'export', 'ca-gov', '--format', 'mobileconfig']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/supervised/);
    const plist = parsePlistBytes(Buffer.from(r.stdout, 'utf8'));
    expect(isPlistDict(plist)).toBe(true);
    if (!isPlistDict(plist)) return;
    expect(plist.PayloadType).toBe('Configuration');
    expect(String(plist.PayloadDescription)).toMatch(/[Ss]upervised/);
    const content = plist.PayloadContent;
    expect(Array.isArray(content)).toBe(true);
    const payload = (content as unknown[])[0];
    expect(isPlistDict(payload as never)).toBe(true);
    const restrictions = payload as Record<string, unknown>;
    expect(restrictions.PayloadType).toBe('com.apple.applicationaccess');
    const blocked = restrictions.blacklistedAppBundleIDs as string[];
    for (const id of ['com.tencent.xin', 'com.zhiliaoapp.musically', 'com.kaspersky.securityadvisor']) {
      expect(blocked).toContain(id);
    }
    // Same packs, same profile: UUIDs are derived from the content.
    expect(runCli(['rules', 'export', 'ca-gov', '--format', 'mobileconfig']).stdout).toBe(r.stdout);
  });

  it('--format intune has a platform column; --min-severity high leaves the review rules out', () => {
    const r = runCli(['rules', 'export', 'ca-gov', '--format', 'intune', '--min-severity', 'high']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\r\n');
    expect(rows.every((row) => /,(android|ios|any)$/.test(row))).toBe(true);
    expect(rows.some((row) => row.startsWith('com.tencent.mm,'))).toBe(true);
    // Douyin is only in the medium review rule.
    expect(rows.some((row) => row.startsWith('com.ss.android.ugc.aweme,'))).toBe(false);
  });

  it('an unknown format is a usage error', () => {
    const r = runCli(['rules', 'export', 'ca-gov', '--format', 'jamf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/amapi, mobileconfig/);
  });
});
