/**
 * Issue 9, "Files": what an APK or IPA file says about its apps is read whole, or the scan says it
 * was not, and a signature that does not verify fails the scan. Each case was a PASS (exit 0)
 * before; everything runs through the built binary, the way a user runs it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBinaryPlist } from '../../scripts/bplist-writer.mjs';
import { readZipDirectory, readZipEntry } from '../../src/sources/apk.js';
import { memoryByteReader } from '../../src/sources/byte-reader.js';
import { minimalDex, prependToApk } from '../apk/janus.js';
import { writeZip } from '../apk/zip-writer.js';
import { buildZip } from '../ipa/zip-builder.js';
import { runCli, tempDir } from './exec.js';

interface Report {
  result: string;
  exitCode: number;
  targets: Array<{
    id: string;
    status: string;
    error?: string;
    appCount: number;
    diagnostics: Array<{ level: string; message: string }>;
    apps?: Array<{ id: string; signature?: string; extra?: Record<string, unknown> }>;
  }>;
  findings: Array<{
    ruleId: string;
    severity: string;
    pack?: string;
    target: string;
    app: { id: string; publisher: { certSha256?: string[] } };
    waiver?: { id: string; status: string };
  }>;
}

const scanJson = (args: string[]): { code: number; doc: Report; stderr: string } => {
  const r = runCli(['scan', ...args, '--format', 'json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as Report, stderr: r.stderr };
};

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join('fixtures/apk', name)));
const expectedCerts = JSON.parse(readFileSync('fixtures/apk/expected.json', 'utf8')) as Record<
  string,
  { certSha256: string[] }
>;
const V1_CERT = expectedCerts['v1-rsa.apk']?.certSha256[0] ?? '';

const entryOf = async (apk: Uint8Array, name: string): Promise<Uint8Array> => {
  const reader = memoryByteReader(apk);
  const entry = (await readZipDirectory(reader)).entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return readZipEntry(reader, entry, 1 << 24);
};

/** A rule file banning what each case hides: a bundle id, a package, a certificate. */
const RULES = [
  'name: file-identity',
  'rules:',
  '  - { id: t.tiktok, title: TikTok, severity: high, message: banned, match: { package: com.zhiliaoapp.musically } }',
  '  - { id: t.major, title: Major, severity: high, message: banned, match: { package: org.appwarden.fixture.major } }',
  `  - { id: t.signer, title: Signer, severity: high, message: banned, match: { cert-sha256: "${V1_CERT}" } }`,
  '',
].join('\n');

const withRules = (files: Record<string, string | Buffer> = {}): { dir: string; rules: string } => {
  const dir = tempDir({ 'rules.yaml': RULES, ...files });
  return { dir, rules: path.join(dir, 'rules.yaml') };
};

describe('IPA: every app in Payload/ is read', () => {
  it('finds the banned second app of Payload/A.app + Payload/B.app (was: only A read, PASS)', () => {
    const ipa = buildZip([
      {
        name: 'Payload/A.app/Info.plist',
        data: writeBinaryPlist({ CFBundleIdentifier: 'com.example.notes' }),
      },
      {
        name: 'Payload/B.app/Info.plist',
        data: writeBinaryPlist({ CFBundleIdentifier: 'com.zhiliaoapp.musically', CFBundleName: 'TikTok' }),
      },
    ]);
    const { dir, rules } = withRules({ 'two.ipa': Buffer.from(ipa) });
    const { code, doc } = scanJson([path.join(dir, 'two.ipa'), '--rules', rules]);
    expect(code).toBe(1);
    expect(doc.targets).toHaveLength(1);
    expect(doc.targets[0]).toMatchObject({ status: 'scanned', appCount: 2 });
    expect(doc.findings.map((f) => [f.ruleId, f.app.id])).toEqual([['t.tiktok', 'com.zhiliaoapp.musically']]);
    const table = runCli(['scan', path.join(dir, 'two.ipa'), '--rules', rules]);
    expect(table.stdout).toMatch(/2 apps/);
    expect(table.stdout).toMatch(/com\.zhiliaoapp\.musically/);
  });
});

describe('APK: duplicate entries give no identity', () => {
  it('fails the file with two AndroidManifest.xml entries (was: the first read, PASS)', async () => {
    const harmless = await entryOf(fixture('v2-ec.apk'), 'AndroidManifest.xml');
    const banned = await entryOf(fixture('major-v2.apk'), 'AndroidManifest.xml');
    const apk = writeZip([
      { name: 'AndroidManifest.xml', data: harmless },
      { name: 'AndroidManifest.xml', data: banned },
    ]);
    const { dir, rules } = withRules({ 'dup.apk': Buffer.from(apk) });
    const { code, doc } = scanJson([path.join(dir, 'dup.apk'), '--rules', rules]);
    expect(code).toBe(3);
    expect(doc.result).toBe('incomplete');
    expect(doc.targets[0]?.status).toBe('failed');
    expect(doc.targets[0]?.appCount).toBe(0);
    expect(doc.targets[0]?.error).toMatch(/^duplicate ZIP entry AndroidManifest\.xml: /);
    const table = runCli(['scan', path.join(dir, 'dup.apk'), '--rules', rules]);
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/duplicate ZIP entry AndroidManifest\.xml/);
  });
});

describe('APK: data before the archive (Janus DEX+APK polyglot)', () => {
  const janus = Buffer.from(prependToApk(fixture('v1-rsa.apk'), minimalDex()));

  it('reads the APK behind a DEX, named or in a folder, with the signer apksigner prints (was: not recognised)', () => {
    const { dir, rules } = withRules({ 'janus.apk': janus, 'polyglot.bin': janus });
    for (const input of [path.join(dir, 'janus.apk'), dir]) {
      const { code, doc } = scanJson([
        input,
        '--rules',
        rules,
        '--include-inventory',
        '--exclude',
        'rules.yaml',
      ]);
      expect(code, input).toBe(1);
      const apks = doc.targets.filter((t) => /janus\.apk$|polyglot\.bin$/.test(t.id));
      expect(apks.length).toBe(input === dir ? 2 : 1);
      for (const t of apks) {
        expect(t.status).toBe('scanned');
        expect(t.apps?.[0]?.extra?.dataBeforeArchive).toBe(112);
        expect(t.diagnostics.map((d) => d.message).join('\n')).toMatch(
          /dataBeforeArchive: 112 bytes precede the ZIP archive and start with a DEX header/,
        );
      }
      const signer = doc.findings.filter((f) => f.ruleId === 't.signer');
      expect(signer).toHaveLength(apks.length);
      for (const f of signer) expect(f.app.publisher.certSha256).toEqual([V1_CERT]);
    }
  });
});

describe('--verify-signatures: a signature that does not verify fails the scan', () => {
  const tampered = (): Buffer => {
    // Flip one byte of the central directory's last entry name: still readable, wrong digest.
    const bytes = Buffer.from(fixture('v2-ec.apk'));
    const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    bytes[eocd - 3] = (bytes[eocd - 3] ?? 0) ^ 0x01;
    return bytes;
  };

  it('is a high finding of appwarden.signature-invalid, exit 1 (was: a warning, PASS)', () => {
    const { dir, rules } = withRules({
      'bad.apk': tampered(),
      'good.apk': Buffer.from(fixture('v2-ec.apk')),
      'polyglot.apk': Buffer.from(prependToApk(fixture('v2-ec.apk'), minimalDex())),
    });
    const inputs = ['bad.apk', 'good.apk', 'polyglot.apk'].map((f) => path.join(dir, f));
    const unchecked = scanJson([...inputs, '--rules', rules]);
    expect(unchecked.code).toBe(0);
    expect(unchecked.doc.findings).toEqual([]);

    const { code, doc } = scanJson([...inputs, '--rules', rules, '--verify-signatures']);
    expect(code).toBe(1);
    expect(doc.result).toBe('fail');
    const found = doc.findings.map((f) => [f.ruleId, f.severity, f.pack, path.basename(f.target)]);
    expect(found.sort()).toEqual([
      ['appwarden.signature-invalid', 'high', 'appwarden', 'bad.apk'],
      ['appwarden.signature-invalid', 'high', 'appwarden', 'polyglot.apk'],
    ]);
    const table = runCli(['scan', ...inputs, '--rules', rules, '--verify-signatures']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/appwarden\.signature-invalid/);
  });

  it('is waivable like any rule: a waiver on the rule id lets the scan pass, the finding stays', () => {
    const { dir, rules } = withRules({
      'bad.apk': tampered(),
      'waivers.yaml':
        'waivers:\n  - id: W-SIG\n    rule: appwarden.signature-invalid\n    app: org.appwarden.fixture\n    reason: rebuilt in-house, reviewed\n    expires: 2099-12-31\n',
    });
    const { code, doc } = scanJson([
      path.join(dir, 'bad.apk'),
      '--rules',
      rules,
      '--verify-signatures',
      '--waivers',
      path.join(dir, 'waivers.yaml'),
    ]);
    expect(code).toBe(0);
    expect(doc.findings).toHaveLength(1);
    expect(doc.findings[0]).toMatchObject({
      ruleId: 'appwarden.signature-invalid',
      waiver: { id: 'W-SIG', status: 'applied' },
    });
  });

  it('is documented in the README and docs', () => {
    expect(readFileSync('README.md', 'utf8')).toMatch(/appwarden\.signature-invalid/);
    expect(readFileSync('docs/apk-verification.md', 'utf8')).toMatch(/appwarden\.signature-invalid/);
  });
});

describe('rules show for a built-in rule (built binary)', () => {
  it('shows appwarden.signature-invalid with its severity and reference', () => {
    const r = runCli(['rules', 'show', 'appwarden.signature-invalid']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^appwarden\.signature-invalid {2}\[high\]/);
    expect(r.stdout).toContain('https://source.android.com/docs/security/features/apksigning');
  });
});
