/**
 * End-to-end: the built binary, run the way a user runs it, on listings the test writes in the
 * real pm/ideviceinstaller formats. Exit codes, stdout/stderr split, reports and their schemas.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from './exec.js';

const PIXEL = [
  'package:/data/app/~~Xk2pQ==/com.whatsapp-Yb7==/base.apk=com.whatsapp versionCode:231  installer=com.android.vending uid:10199',
  'package:/system/priv-app/Settings/Settings.apk=com.android.settings versionCode:34  installer=null uid:1000',
  'package:/data/app/~~Q1w==/com.tencent.mm-Zz==/base.apk=com.tencent.mm versionCode:2800  installer=com.android.vending uid:1010234',
  '',
].join('\n');
const CLEAN = [
  'package:/data/app/~~a==/org.mozilla.firefox-b==/base.apk=org.mozilla.firefox versionCode:2015  installer=com.android.vending uid:10201',
  'package:/system/app/Camera/Camera.apk=com.android.camera2 versionCode:1  installer=null uid:10040',
  '',
].join('\n');
const IPHONE_12 = [
  'CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName',
  'com.apple.Pages, "14.0", "Pages"',
  'com.zhiliaoapp.musically, "32.5.0", "TikTok, "Make Your Day""',
  '',
].join('\n');

const schema = JSON.parse(readFileSync('schema/report.schema.json', 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateReport = ajv.compile(schema);
const expectValidReport = (doc: unknown) => {
  const ok = validateReport(doc);
  expect(validateReport.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
};

describe('appwarden scan (built binary)', () => {
  it('exits 1 with findings, the table on stdout and nothing else there', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL });
    const r = runCli(['scan', path.join(dir, 'pixel.txt')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('com.tencent.mm');
    expect(r.stdout).toContain('ca-gov.wechat');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^FAIL /);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('exits 0 on a clean listing and 3 when an input cannot be read; findings win over incomplete', () => {
    const dir = tempDir({ 'clean.txt': CLEAN, 'pixel.txt': PIXEL, 'empty.txt': '' });
    expect(runCli(['scan', path.join(dir, 'clean.txt')]).code).toBe(0);
    const incomplete = runCli(['scan', path.join(dir, 'clean.txt'), path.join(dir, 'missing.txt')]);
    expect(incomplete.code).toBe(3);
    expect(incomplete.stderr).toContain('missing.txt');
    expect(incomplete.stdout).toMatch(/INCOMPLETE/);
    const empty = runCli(['scan', path.join(dir, 'empty.txt')]);
    expect(empty.code).toBe(3);
    expect(runCli(['scan', path.join(dir, 'pixel.txt'), path.join(dir, 'missing.txt')]).code).toBe(1);
  });

  it('exits 2 on usage and rule errors, with a message and no stack trace', () => {
    const dir = tempDir({ 'clean.txt': CLEAN, 'bad.yaml': 'rules:\n  - id: x\n    severity: huge\n' });
    const badFlag = runCli(['scan', '--fail-on', 'sometimes', path.join(dir, 'clean.txt')]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/fail-on/);
    const badRules = runCli(['scan', '--rules', path.join(dir, 'bad.yaml'), path.join(dir, 'clean.txt')]);
    expect(badRules.code).toBe(2);
    expect(badRules.stderr).toMatch(/bad\.yaml:3:15: .*severity/);
    expect(badRules.stderr).not.toMatch(/\n\s+at /);
    expect(badRules.stdout).toBe('');
    expect(runCli(['scan', '-o', 'pdf=x.pdf', path.join(dir, 'clean.txt')]).code).toBe(2);
    expect(runCli(['frobnicate']).code).toBe(2);
  });

  it('reads a listing from stdin, detected by content', () => {
    const r = runCli(['scan', '-', '--format', 'json'], { input: IPHONE_12 });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expectValidReport(doc);
    expect(doc.targets[0]).toMatchObject({
      id: '-',
      kind: 'stdin',
      format: 'ideviceinstaller-text',
      appCount: 2,
    });
    const tiktok = doc.findings.find((f: { app: { id: string } }) => f.app.id === 'com.zhiliaoapp.musically');
    expect(tiktok.app.name).toBe('TikTok, "Make Your Day"');
    expect(tiktok.app.platform).toBe('ios');
  });

  it('writes several formats in one run, atomically, and they parse', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL, 'iphone.txt': IPHONE_12 });
    const out = path.join(dir, 'out');
    const r = runCli([
      'scan',
      dir,
      '--format',
      'json',
      '-o',
      `sarif=${path.join(out, 'appwarden.sarif')}`,
      '-o',
      `junit=${path.join(out, 'appwarden.xml')}`,
      '-o',
      `table=${path.join(out, 'report.txt')}`,
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expectValidReport(doc);
    expect(doc.targets).toHaveLength(2);
    const sarif = JSON.parse(readFileSync(path.join(out, 'appwarden.sarif'), 'utf8'));
    expect(sarif.runs[0].results.length).toBe(doc.findings.length + doc.notes.length);
    const junit = readFileSync(path.join(out, 'appwarden.xml'), 'utf8');
    expect((junit.match(/<testsuite /g) ?? []).length).toBe(2);
    expect((junit.match(/<failure /g) ?? []).length).toBe(doc.findings.length);
    expect(readFileSync(path.join(out, 'report.txt'), 'utf8')).toMatch(/FAIL/);
    // No temp files left behind.
    expect(readdirSync(out).sort()).toEqual(['appwarden.sarif', 'appwarden.xml', 'report.txt']);
  });

  it('counts apps in every format even when the scan drops inventories after matching', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL });
    const file = path.join(dir, 'pixel.txt');
    expect(runCli(['scan', file, '-f', 'markdown']).stdout).toMatch(/\| ❌ fail \| 3 \| 1 \|/);
    expect(JSON.parse(runCli(['scan', file, '-f', 'json']).stdout).targets[0].appCount).toBe(3);
    expect(runCli(['scan', file]).stdout).toMatch(/scanned \(3 apps, pm-list\)/);
  });

  it('round-trips an inventory: --include-inventory output rescans to the same findings', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL });
    const first = runCli([
      'scan',
      path.join(dir, 'pixel.txt'),
      '-o',
      `json=${path.join(dir, 'inv.json')}`,
      '--include-inventory',
    ]);
    expect(first.code).toBe(1);
    const again = runCli(['scan', path.join(dir, 'inv.json'), '--format', 'json']);
    expect(again.code).toBe(1);
    const a = JSON.parse(readFileSync(path.join(dir, 'inv.json'), 'utf8'));
    const b = JSON.parse(again.stdout);
    expectValidReport(a);
    expect(b.findings.map((f: { ruleId: string; app: { id: string } }) => `${f.ruleId} ${f.app.id}`)).toEqual(
      a.findings.map((f: { ruleId: string; app: { id: string } }) => `${f.ruleId} ${f.app.id}`),
    );
    const noInventory = runCli(['scan', path.join(dir, 'pixel.txt'), '--format', 'json']);
    const dir2 = tempDir({ 'report.json': noInventory.stdout });
    const rescan = runCli(['scan', path.join(dir2, 'report.json')]);
    expect(rescan.code).toBe(3);
    expect(rescan.stdout).toMatch(/--include-inventory/);
  });

  it('applies waivers, reports expired and unused ones', () => {
    const dir = tempDir({
      'pixel.txt': PIXEL,
      'live.yaml':
        'waivers:\n  - id: W-1\n    rule: ca-gov.wechat\n    app: com.tencent.mm\n    reason: liaison team\n    expires: 2099-12-31\n  - id: W-unused\n    rule: ca-gov.tiktok\n    reason: never used\n    expires: 2099-01-01\n',
      'expired.yaml':
        'waivers:\n  - id: W-old\n    app: com.tencent.*\n    reason: pilot\n    expires: 2020-01-01\n',
      'bad.yaml': 'waivers:\n  - rule: x\n',
    });
    const live = runCli([
      'scan',
      path.join(dir, 'pixel.txt'),
      '--waivers',
      path.join(dir, 'live.yaml'),
      '--format',
      'json',
    ]);
    expect(live.code).toBe(0);
    const doc = JSON.parse(live.stdout);
    expect(doc.findings[0].waiver).toMatchObject({ id: 'W-1', status: 'applied' });
    expect(doc.waivers.find((w: { id: string }) => w.id === 'W-unused').uses).toBe(0);
    const table = runCli(['scan', path.join(dir, 'pixel.txt'), '--waivers', path.join(dir, 'live.yaml')]);
    expect(table.stdout).toMatch(/unused\s+W-unused/);
    const expired = runCli([
      'scan',
      path.join(dir, 'pixel.txt'),
      '--waivers',
      path.join(dir, 'expired.yaml'),
    ]);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(/W-old EXPIRED 2020-01-01/);
    const bad = runCli(['scan', path.join(dir, 'pixel.txt'), '--waivers', path.join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/missing required key "reason"/);
    expect(bad.stderr).toMatch(/missing required key "expires"/);
  });

  it('honours --fail-on: medium findings fail at low but not at high, info never fails', () => {
    const dir = tempDir({
      'clean.txt': CLEAN,
      'rules.yaml':
        'rules:\n  - id: t.firefox\n    title: Firefox\n    severity: medium\n    message: review\n    match: { package: org.mozilla.firefox }\n  - id: t.camera\n    title: Camera\n    severity: info\n    message: fyi\n    match: { package: com.android.camera2 }\n',
    });
    const args = ['scan', path.join(dir, 'clean.txt'), '--rules', path.join(dir, 'rules.yaml')];
    expect(runCli(args).code).toBe(1);
    expect(runCli([...args, '--fail-on', 'high']).code).toBe(0);
    expect(runCli([...args, '--fail-on', 'none']).code).toBe(0);
    expect(runCli([...args, '--fail-on', 'info']).code).toBe(1);
  });

  it('colours the table only when forced or on a TTY', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL });
    const forced = runCli(['scan', path.join(dir, 'pixel.txt')], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(/\u001b\[/);
    const off = runCli(['scan', path.join(dir, 'pixel.txt'), '--no-color'], {
      env: { NO_COLOR: '', FORCE_COLOR: '1' },
    });
    expect(off.stdout).not.toMatch(/\u001b\[/);
  });

  it('keeps going past a bad file in a folder: one failed target, the others reported', () => {
    const dir = tempDir({
      'pixel.txt': PIXEL,
      'garbage.txt': 'package:\n\u0000\u0001\u0002 not a listing',
      'broken.apk': Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(100, 7)]),
    });
    const r = runCli(['scan', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expectValidReport(doc);
    const statuses = Object.fromEntries(
      doc.targets.map((t: { id: string; status: string }) => [path.basename(t.id), t.status]),
    );
    expect(statuses['pixel.txt']).toBe('scanned');
    expect(statuses['broken.apk']).toBe('failed');
  });
});

describe('pipes (built binary)', () => {
  it('exits with the scan result and no stack trace when the reader closes the pipe early', () => {
    const r = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${BIN}" scan fixtures/demo -f json --include-inventory | head -c 10`],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NO_COLOR: '1', CI: 'true' },
      },
    );
    expect(r.stdout).toBe('{\n  "schem');
    expect(r.stderr).not.toMatch(/EPIPE|at /);
  });
});

describe('settings (built binary)', () => {
  it('reads .appwarden.yaml; flags and APPWARDEN_* variables override it; bad settings exit 2', () => {
    const dir = tempDir({
      'clean.txt': CLEAN,
      '.appwarden.yaml': 'rules: [strict.yaml]\nfail-on: high\n',
      'strict.yaml':
        'rules:\n  - { id: t.firefox, title: Firefox, severity: medium, message: review, match: { package: org.mozilla.firefox } }\n',
      'bad.yaml': 'rulez: [x]\n',
    });
    const fromFile = runCli(['scan', 'clean.txt'], { cwd: dir });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/t\.firefox/);
    expect(fromFile.stdout).toMatch(/PASS no findings at or above high/);
    expect(runCli(['scan', 'clean.txt', '--fail-on', 'medium'], { cwd: dir }).code).toBe(1);
    expect(runCli(['scan', 'clean.txt'], { cwd: dir, env: { APPWARDEN_FAIL_ON: 'low' } }).code).toBe(1);
    const badEnv = runCli(['scan', 'clean.txt'], { cwd: dir, env: { APPWARDEN_FAIL_ON: 'sometimes' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/APPWARDEN_FAIL_ON="sometimes"/);
    const badFile = runCli(['--config', 'bad.yaml', 'scan', 'clean.txt'], { cwd: dir });
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toMatch(/bad\.yaml:1:1: unknown key "rulez"/);
  });
});

describe('app files (built binary)', () => {
  it('attaches a split APK to its base; unrelated JSON is incomplete unless excluded, and excluded is listed', () => {
    const r = runCli([
      'scan',
      'fixtures/apk',
      '--format',
      'json',
      '--include-inventory',
      '--exclude',
      'expected.json',
    ]);
    const doc = JSON.parse(r.stdout);
    expectValidReport(doc);
    const ids = doc.targets.map((t: { id: string }) => path.basename(t.id));
    expect(ids).not.toContain('split-v2.apk');
    expect(ids).not.toContain('expected.json');
    expect(doc.skipped).toContainEqual({
      path: path.join('fixtures', 'apk', 'expected.json'),
      reason: 'matches --exclude',
      kind: 'excluded',
    });
    // Without the exclude, a JSON file nobody can read is a target the scan could not read.
    const unexcluded = JSON.parse(runCli(['scan', 'fixtures/apk', '--format', 'json']).stdout);
    expect(unexcluded.result).toBe('incomplete');
    const json = unexcluded.targets.find((t: { id: string }) => t.id.endsWith('expected.json'));
    expect(json.status).toBe('failed');
    const withSplit = doc.targets.find((t: { apps?: Array<{ paths?: string[] }> }) =>
      t.apps?.some((a) => a.paths?.some((p) => p.endsWith('split-v2.apk'))),
    );
    expect(withSplit).toBeDefined();
    expect(r.code).toBe(0);
  });
});

describe('signature verification (built binary)', () => {
  it('marks APKs unverified by default and valid or invalid with --verify-signatures', () => {
    const dir = tempDir({});
    const good = path.join(dir, 'good.apk');
    const bad = path.join(dir, 'bad.apk');
    const bytes = readFileSync('fixtures/apk/v2-ec.apk');
    writeFileSync(good, bytes);
    // Flip one byte of the central directory's last entry name: still a readable APK, wrong digest.
    const tampered = Buffer.from(bytes);
    const eocd = tampered.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    tampered[eocd - 3] = tampered[eocd - 3]! ^ 0x01;
    writeFileSync(bad, tampered);
    const signature = (args: string[]) => {
      const doc = JSON.parse(runCli(['scan', ...args, '--format', 'json', '--include-inventory']).stdout);
      return doc.targets.map((t: { apps: Array<{ signature?: string }> }) => t.apps[0]?.signature);
    };
    expect(signature([good])).toEqual(['unverified']);
    expect(signature([good, bad, '--verify-signatures'])).toEqual(['valid', 'invalid']);
  });
});

describe('progress, quiet and collect (built binary)', () => {
  it('shows progress on stderr only when asked outside a terminal, and --quiet silences messages', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL, 'clean.txt': CLEAN });
    const plain = runCli(['scan', dir, path.join(dir, 'missing.txt')]);
    expect(plain.stderr).not.toMatch(/scanning:/);
    expect(plain.stderr).toMatch(/missing\.txt: no such file/);
    const progress = runCli(['scan', dir, '--progress']);
    expect(progress.stderr).toMatch(/scanning: 1 target done, \d+ apps read/);
    expect(progress.stderr).toMatch(/scanning: 2 targets done/);
    expect(progress.stdout).not.toMatch(/scanning:/);
    const quiet = runCli(['scan', dir, path.join(dir, 'missing.txt'), '--quiet']);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/FAIL/);
  });

  it('collects an inventory without rules and rescans it later', () => {
    const dir = tempDir({ 'pixel.txt': PIXEL });
    const inv = path.join(dir, 'inv.json');
    const collected = runCli(['collect', path.join(dir, 'pixel.txt'), '-o', inv]);
    expect(collected.code).toBe(0);
    expect(collected.stdout).toBe('');
    expect(collected.stderr).toMatch(/collected 3 apps from 1 target/);
    const doc = JSON.parse(readFileSync(inv, 'utf8'));
    expectValidReport(doc);
    expect(doc.kind).toBe('inventory');
    expect(doc.targets[0].apps.map((a: { id: string }) => a.id).sort()).toEqual([
      'com.android.settings',
      'com.tencent.mm',
      'com.whatsapp',
    ]);
    const rescan = runCli(['scan', inv, '--format', 'json']);
    expect(rescan.code).toBe(1);
    expect(JSON.parse(rescan.stdout).findings[0].app.user).toBe(10);
  });
});

describe('appwarden rules (built binary)', () => {
  it('lists the default rules and validates packs', () => {
    const list = runCli(['rules', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ca-gov\.tiktok\s+high\s+TikTok\s+\(ca-gov\)$/m);
    const valid = runCli(['rules', 'validate', 'ca-gov']);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/valid \(\d+ rules/);
  });

  it('prints a JSON Schema that accepts the shipped packs', async () => {
    const r = runCli(['rules', 'schema']);
    expect(r.code).toBe(0);
    const ruleSchema = JSON.parse(r.stdout);
    const validate = ajv.compile(ruleSchema);
    const { parse } = await import('yaml');
    const packs = readdirSync('rules').filter((f) => f.endsWith('.yaml'));
    expect(packs.length).toBeGreaterThan(0);
    for (const pack of packs) {
      const ok = validate(parse(readFileSync(path.join('rules', pack), 'utf8')));
      expect({ pack, errors: validate.errors ?? [] }).toEqual({ pack, errors: [] });
      expect(ok).toBe(true);
    }
    // And rejects what the validator rejects.
    expect(
      validate({ rules: [{ id: 'x', title: 't', severity: 'huge', message: 'm', match: { package: 'a' } }] }),
    ).toBe(false);
    expect(existsSync('schema/rules.schema.json')).toBe(true);
    expect(JSON.parse(readFileSync('schema/rules.schema.json', 'utf8'))).toEqual(ruleSchema);
  });

  it('prints --version from package.json', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(execFileSync(process.execPath, ['bin/appwarden.js', '--help'], { encoding: 'utf8' })).toMatch(
      /scan/,
    );
  });
});
