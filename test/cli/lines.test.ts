/**
 * Issue 9, "lines that do not parse drop the app" and "ideviceinstaller text is misread": an app
 * line with something odd about it keeps its app (with a warning naming the line), a line whose
 * app cannot be read leaves the target incomplete (exit 3, naming the line), and ideviceinstaller
 * 1.2.0's escaped values and absent keys are read. Everything runs through the built binary.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './exec.js';

interface App {
  id: string;
  name?: string;
  versionName?: string;
  versionCode?: number | string;
}

interface Report {
  result: string;
  targets: Array<{
    id: string;
    status: string;
    error?: string;
    appCount: number;
    apps?: App[];
    diagnostics?: Array<{ level: string; message: string; line?: number }>;
  }>;
  findings: Array<{ ruleId: string; app: { id: string } }>;
}

const scanFile = (name: string, content: string | Buffer): { code: number; doc: Report } => {
  const dir = tempDir({ [name]: content });
  const r = runCli(['scan', path.join(dir, name), '--format', 'json', '--include-inventory']);
  return { code: r.code, doc: JSON.parse(r.stdout) as Report };
};

const found = (doc: Report, id: string): boolean => doc.findings.some((f) => f.app.id === id);
const app = (doc: Report, id: string): App | undefined => doc.targets[0]?.apps?.find((a) => a.id === id);

const CLEAN = [
  'package:/system/app/Camera/Camera.apk=com.android.camera2 versionCode:1  installer=null uid:10040',
  'package:/data/app/~~a==/org.mozilla.firefox-b==/base.apk=org.mozilla.firefox versionCode:2015  installer=com.android.vending uid:10201',
];

describe('pm list lines with something odd keep their app', () => {
  it.each([
    ['a trailing # note', 'package:com.zhiliaoapp.musically # TikTok, flagged in ticket 42'],
    ['a trailing // note', 'package:com.zhiliaoapp.musically versionCode:2023  // from the shared list'],
    ['a leading space and a tab', ' package:com.zhiliaoapp.musically\tversionCode:2023'],
    ['NBSP and zero-width characters', '\u200bpackage:\u00a0com.zhiliaoapp.musically\u200d\u00a0uid:10123'],
    ['a bad versionCode', 'package:com.zhiliaoapp.musically versionCode:3.2.1 uid:10123'],
    ['an unknown trailing field', 'package:com.zhiliaoapp.musically versionCode:2023 uid:10123 targetSdk:35'],
    [
      'bytes that are not UTF-8 after the id',
      Buffer.from('package:com.zhiliaoapp.musically \xc0\xaf', 'latin1'),
    ],
  ])('%s: FAIL (exit 1) with the finding and a warning naming the line', (_, line) => {
    const body = Buffer.concat([
      Buffer.from(`${CLEAN[0]}\n`),
      typeof line === 'string' ? Buffer.from(line) : line,
      Buffer.from(`\n${CLEAN[1]}\n`),
    ]);
    const { code, doc } = scanFile('list.txt', body);
    expect(code).toBe(1);
    expect(doc.result).toBe('fail');
    expect(found(doc, 'com.zhiliaoapp.musically')).toBe(true);
    expect(doc.targets[0]?.status).toBe('scanned');
    expect(doc.targets[0]?.appCount).toBe(3);
    expect(doc.targets[0]?.diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'warning',
          line: 2,
          message: expect.stringMatching(/com\.zhiliaoapp\.musically kept despite/),
        }),
      ]),
    );
  });

  it('a line whose package id cannot be read: incomplete (exit 3), naming the line', () => {
    const { code, doc } = scanFile(
      'list.txt',
      `${CLEAN[0]}\npackage:/data/app/~~x==/com.zhiliaoapp.musically-y==/base.ap\n${CLEAN[1]}\n`,
    );
    expect(code).toBe(3);
    expect(doc.result).toBe('incomplete');
    expect(doc.targets[0]?.status).toBe('partial');
    expect(doc.targets[0]?.error).toMatch(/app line\(s\) could not be read in full: line 2 \(/);
    expect(doc.targets[0]?.appCount).toBe(2);
  });

  it('an id split by a space, or invalid UTF-8 inside it: incomplete, never a PASS', () => {
    for (const line of [
      Buffer.from('package:com.zhiliao app.musically'),
      Buffer.from('package:com.zhiliaoapp\xc0\xae.musically', 'latin1'),
    ]) {
      const { code, doc } = scanFile(
        'list.txt',
        Buffer.concat([Buffer.from(`${CLEAN[0]}\n`), line, Buffer.from('\n')]),
      );
      expect(code).toBe(3);
      expect(doc.targets[0]?.error).toMatch(/line 2/);
    }
  });

  it('a capture cut short in the middle of its last id: incomplete', () => {
    const { code, doc } = scanFile(
      'list.txt',
      `${CLEAN.join('\n')}\npackage:/data/app/~~c==/com.zhiliaoapp.musically-d==/base.apk=com.zhili`,
    );
    expect(code).toBe(3);
    expect(doc.targets[0]?.error).toMatch(/line 3 \(the file ends in the middle of this line/);
  });

  it('hundreds of odd lines: every app kept, the warnings beyond 100 counted, still FAIL', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `package:com.example.app${i} # note ${i}`);
    lines.splice(250, 0, 'package:com.zhiliaoapp.musically # the one that matters');
    const { code, doc } = scanFile('list.txt', `${lines.join('\n')}\n`);
    expect(code).toBe(1);
    expect(doc.targets[0]?.appCount).toBe(301);
    expect(found(doc, 'com.zhiliaoapp.musically')).toBe(true);
    expect(doc.targets[0]?.diagnostics?.at(-1)?.message).toMatch(
      /^201 more warnings not listed \(lines 101–301\)/,
    );
  });

  it('a dumpsys package header with a note and a zero-width character keeps its app', () => {
    const dump = [
      'Packages:',
      '  Package [com.android.camera2] (1a2b):',
      '    userId=10040',
      '  Package [com.zhiliaoapp.musically\u200b] (3c4d):   # flagged',
      '    userId=10123',
      '    User 0: ceDataInode=1 installed=true hidden=false suspended=false stopped=false notLaunched=false enabled=0',
      '',
    ].join('\n');
    const { code, doc } = scanFile('dumpsys.txt', dump);
    expect(code).toBe(1);
    expect(found(doc, 'com.zhiliaoapp.musically')).toBe(true);
  });

  it('a dumpsys package header cut before its "]": incomplete', () => {
    const dump = [
      'Packages:',
      '  Package [com.android.camera2] (1a2b):',
      '    userId=10040',
      '  Package [com.zhiliaoapp.musi',
    ].join('\n');
    const { code, doc } = scanFile('dumpsys.txt', dump);
    expect(code).toBe(3);
    expect(doc.targets[0]?.error).toMatch(/line 4 \(dumpsys package header: no closing "\]"/);
  });
});

describe('ideviceinstaller text', () => {
  const HEADER_1_2 = 'CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName';

  it('1.2.0: WeChat with no display name (`com.tencent.xin, "8.0.49", `) is read: FAIL', () => {
    const { code, doc } = scanFile(
      'ios.txt',
      `${HEADER_1_2}\ncom.apple.Pages, "14.0", "Pages"\ncom.tencent.xin, "8.0.49", \ncom.example.nover, , "No Version"\n`,
    );
    expect(code).toBe(1);
    expect(found(doc, 'com.tencent.xin')).toBe(true);
    expect(app(doc, 'com.tencent.xin')).toMatchObject({ versionName: '8.0.49' });
    expect(app(doc, 'com.tencent.xin')?.name).toBeUndefined();
    expect(app(doc, 'com.example.nover')).toMatchObject({ name: 'No Version' });
    expect(doc.targets[0]?.status).toBe('scanned');
  });

  it('1.2.0: escaped names come out unescaped (\\" and \\uXXXX; backslashes as printed)', () => {
    const { code, doc } = scanFile(
      'ios.txt',
      `${HEADER_1_2}\ncom.example.q, "1.0", "Say \\"hi\\" \\u001b[0mnow"\ncom.example.path, "2.0", "C:\\dir\\"\n`,
    );
    expect(code).toBe(0);
    expect(app(doc, 'com.example.q')?.name).toBe('Say "hi" \u001b[0mnow');
    expect(app(doc, 'com.example.path')?.name).toBe('C:\\dir\\');
  });

  it('1.1.x: raw names keep their quotes, the build column is the versionCode', () => {
    const { doc } = scanFile(
      'ios.txt',
      'CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName\ncom.example.c, "100", "Notes, Lists, and "Things""\n',
    );
    expect(app(doc, 'com.example.c')).toMatchObject({ name: 'Notes, Lists, and "Things"', versionCode: 100 });
  });

  it('up to 1.1.0 (`Total: N apps`): the version printed is the build, stored as versionCode', () => {
    const { code, doc } = scanFile(
      'ios.txt',
      'Total: 2 apps\ncom.google.Gmail - Gmail 6.0.240512\ncom.tencent.xin - WeChat 8049\n',
    );
    expect(code).toBe(1);
    expect(app(doc, 'com.google.Gmail')).toMatchObject({ name: 'Gmail', versionCode: '6.0.240512' });
    expect(app(doc, 'com.google.Gmail')?.versionName).toBeUndefined();
    expect(app(doc, 'com.tencent.xin')).toMatchObject({ versionCode: 8049 });
  });

  it('fewer rows than `Total:` announces: incomplete', () => {
    const { code, doc } = scanFile('ios.txt', 'Total: 3 apps\ncom.google.Gmail - Gmail 6.0\n');
    expect(code).toBe(3);
    expect(doc.targets[0]?.error).toMatch(/announced 3 apps/);
  });

  it('a row whose bundle id cannot be read: incomplete, naming the line', () => {
    const { code, doc } = scanFile(
      'ios.txt',
      `${HEADER_1_2}\ncom.apple.Pages, "14.0", "Pages"\ncom.ten\ufffdcent.xin, "8.0.49", "WeChat"\n`,
    );
    expect(code).toBe(3);
    expect(doc.targets[0]?.error).toMatch(/line 3 \(ideviceinstaller row: bytes that are not valid UTF-8/);
  });
});

describe('a damaged `package:` prefix on a -f line (built binary)', () => {
  it('makes the listing incomplete instead of dropping the app with a warning', () => {
    const dir = tempDir({
      'pm.txt': [
        'package:/system/app/Settings/Settings.apk=com.android.settings versionCode:34  installer=null uid:1000',
        'pakage:/data/app/~~x==/com.zhiliaoapp.musically-y==/base.apk=com.zhiliaoapp.musically versionCode:1  installer=com.android.vending uid:10200',
        'package:/system/app/Chrome/Chrome.apk=com.android.chrome versionCode:34  installer=null uid:1001',
        '',
      ].join('\n'),
    });
    const r = runCli(['scan', path.join(dir, 'pm.txt'), '--format', 'json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.targets[0].status).toBe('partial');
    expect(doc.targets[0].error).toMatch(/line 2/);
  });
});
