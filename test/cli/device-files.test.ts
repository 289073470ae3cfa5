/**
 * Issue 9: several files of one phone are one target. Device-fact files (getprop, pm list users)
 * join the listing of their device; an androidqf acquisition folder is one device. Built binary.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './exec.js';

interface Report {
  result: string;
  targets: Array<{
    id: string;
    status: string;
    error?: string;
    appCount: number;
    format?: string;
    device?: { serial?: string; model?: string };
    profiles?: Array<{ user: number; scanned: boolean; reason?: string }>;
  }>;
  skipped: Array<{ path: string; reason: string; kind: string }>;
  findings: Array<{ ruleId: string; target: string; app: { id: string } }>;
}

const scanJson = (args: string[]): { code: number; doc: Report } => {
  const r = runCli(['scan', ...args, '--format', 'json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as Report };
};

const GETPROP = readFileSync('fixtures/listings/misc/getprop.txt', 'utf8');
const CLEAN = [
  'package:/data/app/~~a==/org.mozilla.firefox-b==/base.apk=org.mozilla.firefox versionCode:2015  installer=com.android.vending uid:10201',
  'package:/system/app/Camera/Camera.apk=com.android.camera2 versionCode:1  installer=null uid:10040',
  '',
].join('\n');
const USERS = 'Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{11:Work profile:1030} running\n';

describe('files of one phone are one target', () => {
  it('a getprop saved beside a listing gives the listing its device facts instead of a target of its own', () => {
    const dir = tempDir({ 'getprop.txt': GETPROP, 'packages.txt': CLEAN });
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(0);
    expect(doc.targets).toHaveLength(1);
    expect(doc.targets[0]?.id).toBe(path.join(dir, 'packages.txt'));
    expect(doc.targets[0]?.device).toMatchObject({ serial: 'R58N12ABCDE', model: 'SM-S911B' });
  });

  it('pm list users beside a listing that has no apps for the work profile leaves it partial', () => {
    const dir = tempDir({ 'users.txt': USERS, 'packages.txt': CLEAN });
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(3);
    expect(doc.targets).toHaveLength(1);
    const t = doc.targets[0]!;
    expect(t.status).toBe('partial');
    expect(t.profiles?.find((p) => p.user === 11)).toMatchObject({ scanned: false });
    expect(t.profiles?.find((p) => p.user === 0)).toMatchObject({ scanned: true });
  });

  it('a getprop with no listing of its device is not a clean phone', () => {
    const dir = tempDir({ 'getprop.txt': GETPROP });
    const { code, doc } = scanJson([path.join(dir, 'getprop.txt')]);
    expect(code).toBe(3);
    expect(doc.targets[0]?.status).toBe('failed');
    expect(doc.targets[0]?.error).toMatch(/device facts only/);
  });

  it('an androidqf acquisition folder is one device: packages.json + getprop.txt + dumpsys.txt', () => {
    const dir = tempDir({
      'getprop.txt': GETPROP,
      'acquisition.json': '{"uuid":"x"}\n',
      'logcat.txt': 'x\n',
    });
    copyFileSync('fixtures/listings/androidqf/packages.json', path.join(dir, 'packages.json'));
    // A dumpsys that lists one more package than packages.json: WeChat, which must be found.
    writeFileSync(
      path.join(dir, 'dumpsys.txt'),
      [
        'DUMP OF SERVICE package:',
        'Packages:',
        '  Package [com.tencent.mm] (2b3c4d5):',
        '    userId=10234',
        '    codePath=/data/app/~~Q1w==/com.tencent.mm-Zz==',
        '    versionCode=2800 minSdk=21 targetSdk=33',
        '    versionName=8.0.49',
        '    User 0: ceDataInode=1 installed=true hidden=false suspended=false stopped=false notLaunched=false enabled=0',
        '',
      ].join('\n'),
    );
    const { code, doc } = scanJson([dir]);
    expect(code).toBe(1);
    expect(doc.targets.map((t) => t.id)).toEqual([dir]);
    const t = doc.targets[0]!;
    expect(t.format).toBe('androidqf');
    expect(t.device).toMatchObject({ serial: 'R58N12ABCDE' });
    const found = new Set(doc.findings.map((f) => f.app.id));
    expect(found.has('com.tencent.mm')).toBe(true);
    expect(found.has('com.zhiliaoapp.musically')).toBe(true);
    expect(doc.skipped.map((s) => path.basename(s.path)).sort()).toEqual(['acquisition.json', 'logcat.txt']);
  });
});
