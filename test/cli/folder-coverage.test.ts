/**
 * Issue 9, "folders silently skip files": every file a folder scan meets is read, or failed with
 * the reason, or listed as skipped; a banned app hidden in any of these ways is never a PASS.
 * Everything runs through the built binary, the way a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from './exec.js';

const WECHAT_LINE =
  'package:/data/app/~~Q1w==/com.tencent.mm-Zz==/base.apk=com.tencent.mm versionCode:2800  installer=com.android.vending uid:10234';
const CLEAN_LINES = [
  'package:/data/app/~~a==/org.mozilla.firefox-b==/base.apk=org.mozilla.firefox versionCode:2015  installer=com.android.vending uid:10201',
  'package:/system/app/Camera/Camera.apk=com.android.camera2 versionCode:1  installer=null uid:10040',
];
const WECHAT_LISTING = `${[...CLEAN_LINES, WECHAT_LINE].join('\n')}\n`;
const CLEAN_LISTING = `${CLEAN_LINES.join('\n')}\n`;

interface Report {
  result: string;
  targets: Array<{ id: string; status: string; error?: string; appCount: number }>;
  skipped: Array<{ path: string; reason: string; kind: string }>;
  findings: Array<{ ruleId: string; target: string; app: { id: string } }>;
}

const scanJson = (args: string[], cwd?: string): { code: number; doc: Report; stderr: string } => {
  const r = runCli(['scan', ...args, '--format', 'json'], cwd ? { cwd } : {});
  return { code: r.code, doc: JSON.parse(r.stdout) as Report, stderr: r.stderr };
};

const wechatFound = (doc: Report): boolean => doc.findings.some((f) => f.app.id === 'com.tencent.mm');

/** A full dumpsys whose Packages: section starts ~40 KB in, as real captures do. */
const bigDumpsys = (): string => {
  const resolver: string[] = ['Activity Resolver Table:', '  Non-Data Actions:'];
  for (let i = 0; resolver.join('\n').length < 40_000; i++) {
    resolver.push(
      `      android.intent.action.VIEW_${i}:`,
      `        ${(i * 7919).toString(16)} com.example.a${i}/.Main filter ${i}`,
    );
  }
  return [
    'Database versions:',
    '  Internal:',
    '    sdkVersion=34 databaseVersion=3',
    '',
    ...resolver,
    '',
    'Packages:',
    '  Package [com.tencent.mm] (2b3c4d5):',
    '    userId=10234',
    '    pkg=Package{6c7d8e9 com.tencent.mm}',
    '    codePath=/data/app/~~Q1w==/com.tencent.mm-Zz==',
    '    versionCode=2800 minSdk=21 targetSdk=33',
    '    versionName=8.0.49',
    '    installerPackageName=com.android.vending',
    '    User 0: ceDataInode=1 installed=true hidden=false suspended=false stopped=false notLaunched=false enabled=0',
    '',
  ].join('\n');
};

describe('every file in a folder is read, failed with a reason, or listed as skipped', () => {
  it('reads listings a 4 KiB sniff would miss: a big dumpsys, UTF-16 with and without BOM, a long comment header', () => {
    const utf16 = Buffer.from(WECHAT_LISTING, 'utf16le');
    const dir = tempDir({
      'dumpsys.txt': bigDumpsys(),
      'utf16-bom.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), utf16]),
      'utf16-nobom.txt': utf16,
      'commented.txt': `${'# saved from the fleet share, see ticket 1234\n'.repeat(200)}${WECHAT_LISTING}`,
    });
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(1);
    const withWechat = new Set(
      doc.findings.filter((f) => f.app.id === 'com.tencent.mm').map((f) => path.basename(f.target)),
    );
    expect([...withWechat].sort()).toEqual([
      'commented.txt',
      'dumpsys.txt',
      'utf16-bom.txt',
      'utf16-nobom.txt',
    ]);
    expect(doc.targets.every((t) => t.status === 'scanned')).toBe(true);
  });

  it('an empty file, a failed export and a stray text file are failed targets: incomplete, never pass', () => {
    const dir = tempDir({
      'clean.txt': CLEAN_LISTING,
      'empty.txt': '',
      'unauthorized.txt': "error: device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n",
      'notes.md': '# Fleet notes\n\nPhones collected on Monday.\n',
    });
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(3);
    expect(doc.result).toBe('incomplete');
    const failed = Object.fromEntries(
      doc.targets.filter((t) => t.status === 'failed').map((t) => [path.basename(t.id), t.error]),
    );
    expect(Object.keys(failed).sort()).toEqual(['empty.txt', 'notes.md', 'unauthorized.txt']);
    expect(failed['empty.txt']).toBe('empty file');
    // The table names them too.
    const table = runCli(['scan', dir]);
    expect(table.code).toBe(3);
    for (const name of ['empty.txt', 'notes.md', 'unauthorized.txt']) expect(table.stdout).toContain(name);
  });

  it('--exclude leaves files out on purpose and lists them; pictures are skipped as holding no apps', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const dir = tempDir({ 'clean.txt': CLEAN_LISTING, 'notes.md': '# notes\n', 'photo.png': png });
    const { code, doc } = scanJson([dir, '--exclude', '*.md']);
    expect(code).toBe(0);
    expect(doc.skipped).toEqual([
      { path: path.join(dir, 'notes.md'), reason: 'matches --exclude', kind: 'excluded' },
      { path: path.join(dir, 'photo.png'), reason: 'a PNG image', kind: 'not-app-data' },
    ]);
    // The settings file's exclude works the same way.
    writeFileSync(path.join(dir, '.appwarden.yaml'), 'exclude: ["*.md", ".appwarden.yaml"]\n');
    const fromSettings = scanJson(['.'], dir);
    expect(fromSettings.code).toBe(0);
    expect(fromSettings.doc.skipped.map((s) => path.basename(s.path)).sort()).toEqual([
      '.appwarden.yaml',
      'notes.md',
      'photo.png',
    ]);
  });

  it('reads hidden files and follows symbolic links to files and folders, without looping', () => {
    const outside = tempDir({ 'wechat.txt': WECHAT_LISTING });
    const linkedDir = tempDir({ 'phone.txt': WECHAT_LISTING });
    const dir = tempDir({ 'clean.txt': CLEAN_LISTING, '.hidden.txt': WECHAT_LISTING });
    symlinkSync(path.join(outside, 'wechat.txt'), path.join(dir, 'link.txt'));
    symlinkSync(linkedDir, path.join(dir, 'linked'));
    symlinkSync(dir, path.join(dir, 'loop'));
    symlinkSync(path.join(dir, 'missing.txt'), path.join(dir, 'broken.txt'));
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(1);
    const found = doc.findings
      .filter((f) => f.app.id === 'com.tencent.mm')
      .map((f) => path.relative(dir, f.target));
    expect(found.sort()).toEqual(['.hidden.txt', 'link.txt', path.join('linked', 'phone.txt')]);
    expect(doc.skipped).toContainEqual({
      path: path.join(dir, 'loop'),
      reason: 'symbolic link to a folder already read in this scan',
      kind: 'duplicate',
    });
    const broken = doc.targets.find((t) => t.id.endsWith('broken.txt'));
    expect(broken?.status).toBe('failed');
    expect(broken?.error).toMatch(/broken symbolic link/);
  });

  it('a folder that cannot be listed is a failed target naming it', () => {
    const dir = tempDir({ 'clean.txt': CLEAN_LISTING });
    mkdirSync(path.join(dir, 'locked'));
    writeFileSync(path.join(dir, 'locked', 'wechat.txt'), WECHAT_LISTING);
    chmodSync(path.join(dir, 'locked'), 0o000);
    chmodSync(dir, 0o755);
    // Root reads any folder: run as an unprivileged user to see EACCES.
    const asRoot = process.getuid?.() === 0;
    const cmd = asRoot ? 'runuser' : process.execPath;
    const args = asRoot
      ? ['-u', 'nobody', '--', process.execPath, BIN, 'scan', dir, '--format', 'json']
      : [BIN, 'scan', dir, '--format', 'json'];
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: process.env.PATH, CI: 'true' } });
    chmodSync(path.join(dir, 'locked'), 0o755);
    expect(r.status).toBe(3);
    const doc = JSON.parse(r.stdout) as Report;
    const locked = doc.targets.find((t) => t.id === path.join(dir, 'locked'));
    expect(locked?.status).toBe('failed');
    expect(locked?.error).toMatch(/cannot list folder: .*(EACCES|permission denied)/i);
  });

  it('an Android image folder is read as an image and the listings beside it are read too', () => {
    const dir = tempDir({ 'wechat-phone.txt': WECHAT_LISTING });
    cpSync('fixtures/image/android-14', dir, { recursive: true });
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(1);
    expect(doc.targets.some((t) => t.id === dir && t.status !== 'failed')).toBe(true);
    expect(
      doc.findings.some(
        (f) => f.target === path.join(dir, 'wechat-phone.txt') && f.app.id === 'com.tencent.mm',
      ),
    ).toBe(true);
  });

  it('an appwarden report in the folder is skipped and listed, not read back as a failed input', () => {
    const dir = tempDir({ 'clean.txt': CLEAN_LISTING });
    const first = runCli(['scan', dir, '-o', `json=${path.join(dir, 'report.json')}`]);
    expect(first.code).toBe(0);
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(0);
    expect(doc.targets.map((t) => path.basename(t.id))).toEqual(['clean.txt']);
    expect(doc.skipped).toEqual([
      {
        path: path.join(dir, 'report.json'),
        reason: 'an appwarden report without inventory (write it with --include-inventory to rescan it)',
        kind: 'not-app-data',
      },
    ]);
  });
});

describe('inputs', () => {
  it('the same input twice is read once and listed as a duplicate', () => {
    const dir = tempDir({ 'a.txt': WECHAT_LISTING });
    const file = path.join(dir, 'a.txt');
    const { code, doc } = scanJson([file, file, dir]);
    expect(code).toBe(1);
    expect(doc.findings.filter((f) => f.app.id === 'com.tencent.mm')).toHaveLength(1);
    expect(doc.skipped.map((s) => s.kind)).toEqual(['duplicate', 'duplicate']);
    const stdin = runCli(['scan', '-', '-', '--format', 'json'], { input: WECHAT_LISTING });
    const sdoc = JSON.parse(stdin.stdout) as Report;
    expect(sdoc.findings).toHaveLength(1);
    expect(sdoc.skipped).toEqual([
      { path: '-', reason: 'standard input given twice (it can be read once)', kind: 'duplicate' },
    ]);
  });

  it('`android` means the phone even where a folder called android exists; ./android is the folder', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'android'));
    writeFileSync(path.join(dir, 'android', 'phone.txt'), WECHAT_LISTING);
    const env = { APPWARDEN_ADB: path.join(dir, 'no-such-adb') };
    const device = runCli(['scan', 'android', '--format', 'json'], { cwd: dir, env });
    const ddoc = JSON.parse(device.stdout) as Report;
    expect(device.code).toBe(3);
    expect(ddoc.findings).toHaveLength(0);
    expect(ddoc.targets.map((t) => t.id)).toEqual(['android']);
    const folder = runCli(['scan', './android', '--format', 'json'], { cwd: dir, env });
    expect(folder.code).toBe(1);
    expect(wechatFound(JSON.parse(folder.stdout) as Report)).toBe(true);
    expect(runCli(['scan', '--help']).stdout).toMatch(/always mean devices/);
  });

  it('a rule set with no rules is refused instead of passing everything', () => {
    const dir = tempDir({ 'a.txt': WECHAT_LISTING, 'empty.yaml': 'name: empty\n' });
    const r = runCli(['scan', path.join(dir, 'a.txt'), '--rules', path.join(dir, 'empty.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no rules/);
    expect(r.stdout).toBe('');
  });
});
