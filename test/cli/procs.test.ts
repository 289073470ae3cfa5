/**
 * Issue 10, "Device tools" and "Output paths": device tools that flood, hang, ignore SIGTERM or
 * leave an escaped grandchild holding stdout; Ctrl-C and CI cancels; reports written to
 * /dev/stdout, /dev/full, FIFOs and symlinks; untrusted newlines and controls in JUnit and JSON.
 * Runs the built binary (`npm run build` first) with test/harness/bin/hostile-adb as adb.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isStopping, stopEverything, trackGroup, trackTemp } from '../../src/interrupt.js';
import { failureReason, runTool } from '../../src/sources/exec.js';
import { BIN, runCli, tempDir } from './exec.js';

const HARNESS = path.resolve('test/harness');
const HOSTILE_ADB = path.join(HARNESS, 'bin', 'hostile-adb');
const SCENARIO = path.join(HARNESS, 'scenarios', 'hostile.yaml');
const HAS_TIME = existsSync('/usr/bin/time');

const WECHAT_LISTING =
  'package:/data/app/com.tencent.mm-1/base.apk=com.tencent.mm installer=com.android.vending\n';

/** Pids of processes the hostile tool started; each test kills what is left (escaped grandchildren). */
const pidFiles: string[] = [];
afterEach(() => {
  for (const file of pidFiles.splice(0)) {
    if (!existsSync(file)) continue;
    for (const pid of readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone, as it should be for everything but escaped grandchildren.
      }
    }
  }
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead for our purpose; /proc tells them apart where it exists.
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || !/\) Z /.test(readFileSync(stat, 'utf8'));
};

/** Processes whose command line holds `marker` (the hostile tool puts it on every helper). */
const withMarker = (marker: string): string[] => {
  const r = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
};

interface Hostile {
  dir: string;
  env: NodeJS.ProcessEnv;
  marker: string;
  pids: () => number[];
  loggedPids: () => number[];
}

const hostile = (mode: string, extra: Record<string, string> = {}): Hostile => {
  const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
  const marker = `aw-procs-${mode}-${process.pid}-${Date.now()}`;
  const pidFile = path.join(dir, 'pids');
  pidFiles.push(pidFile);
  const log = path.join(dir, 'calls.jsonl');
  const readPids = (file: string, pick: (line: string) => number): number[] =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(pick) : [];
  return {
    dir,
    marker,
    env: {
      APPWARDEN_ADB: HOSTILE_ADB,
      AW_HOSTILE: mode,
      AW_HOSTILE_SERIAL: 'HOSTILE1',
      AW_HOSTILE_MARKER: marker,
      AW_HOSTILE_PIDS: pidFile,
      AW_HARNESS_SCENARIO: SCENARIO,
      AW_HARNESS_LOG: log,
      ...extra,
    },
    pids: () => readPids(pidFile, Number),
    loggedPids: () => readPids(log, (l) => (JSON.parse(l) as { pid: number }).pid),
  };
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Start the binary asynchronously (spawnSync cannot be signalled mid-run). */
const start = (
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; time?: boolean },
): { child: ChildProcess; done: Promise<Run> } => {
  const env = { PATH: process.env.PATH, NO_COLOR: '1', CI: 'true', ...options.env };
  const argv = [BIN, ...args];
  const child = options.time
    ? spawn('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, ...argv], { env, cwd: options.cwd })
    : spawn(process.execPath, argv, { env, cwd: options.cwd });
  const t0 = Date.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - t0,
      });
    }),
  );
  return { child, done };
};

const waitFor = async (what: string, check: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

interface Report {
  targets: { id: string; status: string; error?: string }[];
  findings: { app: { id: string; name?: string } }[];
}

const readReport = (file: string): Report => JSON.parse(readFileSync(file, 'utf8')) as Report;
const targetOf = (rep: Report, id: string) => rep.targets.find((t) => t.id === id);

beforeAll(() => {
  if (!existsSync(path.resolve('dist/cli.js')))
    throw new Error('dist/cli.js missing: run `npm run build` first');
});

describe('one device-tool call is bounded in bytes and time (runTool)', () => {
  const pkg = { tool: 'adb', debian: 'adb', homebrew: 'x', env: 'APPWARDEN_ADB' };

  it('stops a tool printing without end at the byte limit, with a message naming the call', async () => {
    const h = hostile('flood');
    const t0 = Date.now();
    const r = await runTool(HOSTILE_ADB, ['-s', 'HOSTILE1', 'shell', 'pm list packages'], {
      env: { ...process.env, ...h.env },
      timeoutMs: 30_000,
      package: pkg,
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.truncated).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout.length).toBe(0);
    expect(failureReason('listing packages', r, 30_000)).toBe(
      'listing packages failed: more than 64 MB from `adb -s HOSTILE1 shell pm list packages` (output stopped there)',
    );
    await waitFor('the flooding tool to die', () => h.pids().every((p) => !alive(p)), 5000);
  });

  it('drains 200 MB of stderr but keeps only its start (64 KB) for the error message', async () => {
    const h = hostile('flood-stderr');
    const r = await runTool(HOSTILE_ADB, ['-s', 'HOSTILE1', 'shell', 'pm list packages'], {
      env: { ...process.env, ...h.env },
      timeoutMs: 60_000,
      package: pkg,
    });
    expect(r.exitCode).toBe(1);
    expect(r.timedOut).toBe(false);
    expect(r.stderr.length).toBe(64 * 1024);
    expect(failureReason('listing packages', r, 60_000)).toBe(
      'listing packages failed (exit 1): error: device went mad',
    );
  });

  it('returns at the deadline although an escaped (setsid) grandchild holds stdout open', async () => {
    const h = hostile('escape');
    const t0 = Date.now();
    const r = await runTool(HOSTILE_ADB, ['-s', 'HOSTILE1', 'shell', 'getprop'], {
      env: { ...process.env, ...h.env },
      timeoutMs: 1500,
      package: pkg,
    });
    const ms = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(1500 + 1500);
    // The tool itself (pid logged first) is killed; the escaped grandchild is still there, reading nothing.
    const [tool, grandchild] = h.pids();
    await waitFor('the tool to die', () => !alive(tool!), 3000);
    expect(alive(grandchild!)).toBe(true);
  });

  it('also when the tool itself exited 0 and only the grandchild keeps the pipe', async () => {
    const h = hostile('escape-exit');
    const t0 = Date.now();
    const r = await runTool(HOSTILE_ADB, ['-s', 'HOSTILE1', 'shell', 'getprop'], {
      env: { ...process.env, ...h.env },
      timeoutMs: 1500,
      package: pkg,
    });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('kills a tool that ignores SIGTERM, and its helper, with SIGKILL after the grace period', async () => {
    const h = hostile('stubborn');
    const r = await runTool(HOSTILE_ADB, ['-s', 'HOSTILE1', 'shell', 'getprop'], {
      env: { ...process.env, ...h.env },
      timeoutMs: 1000,
      package: pkg,
    });
    expect(r.timedOut).toBe(true);
    await waitFor('the helper to appear in the pid file', () => h.pids().length === 2, 3000);
    await waitFor('SIGKILL of the whole group', () => h.pids().every((p) => !alive(p)), 4000);
    expect(withMarker(h.marker)).toEqual([]);
  });
});

describe('hostile device tools through the binary', () => {
  it('500 MB from `adb devices -l` is a clear error, not an abort; the listing is still reported', async () => {
    const h = hostile('flood-devices');
    const r = await start(['scan', 'android', 'listing.txt', '-q', '-o', 'json=r.json'], {
      env: h.env,
      cwd: h.dir,
      time: HAS_TIME,
    }).done;
    // The call itself ends within 5 s (test above); this bound leaves room for start-up on a busy machine.
    expect(r.ms).toBeLessThan(15_000);
    // Findings win over incomplete: WeChat is in the listing.
    expect(r.code).toBe(1);
    const rep = readReport(path.join(h.dir, 'r.json'));
    expect(targetOf(rep, 'android')?.error).toMatch(/more than 64 MB from `adb devices -l`/);
    expect(targetOf(rep, 'listing.txt')?.status).toBe('scanned');
    expect(rep.findings.map((f) => f.app.id)).toContain('com.tencent.mm');
    if (HAS_TIME) {
      const rss = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
      expect(rss).toBeGreaterThan(0);
      expect(rss).toBeLessThan(300 * 1024);
    }
  });

  it('a phone flooding every call fails with the byte limit; the other phone is scanned', async () => {
    const h = hostile('flood');
    const r = await start(['scan', 'android', '-q', '-o', 'json=r.json'], {
      env: h.env,
      cwd: h.dir,
      time: HAS_TIME,
    }).done;
    expect(r.code).toBe(1);
    const rep = readReport(path.join(h.dir, 'r.json'));
    expect(targetOf(rep, 'android:HOSTILE1')?.status).toBe('failed');
    expect(targetOf(rep, 'android:HOSTILE1')?.error).toMatch(
      /more than 64 MB from `adb -s HOSTILE1 shell <script>`/,
    );
    expect(targetOf(rep, 'android:GOODPHONE')?.status).toBe('scanned');
    expect(rep.findings.map((f) => f.app.id)).toContain('com.tencent.mm');
    if (HAS_TIME) expect(Number(/maxrss=(\d+)/.exec(r.stderr)?.[1])).toBeLessThan(300 * 1024);
    expect(withMarker(h.marker)).toEqual([]);
  });

  it('--timeout bounds wall time when an escaped grandchild holds stdout (it lives 60 s)', async () => {
    const h = hostile('escape', { AW_HOSTILE_LIFE_MS: '60000' });
    const r = await start(
      ['scan', 'android:HOSTILE1', 'listing.txt', '--timeout', '2', '-q', '-o', 'json=r.json'],
      {
        env: h.env,
        cwd: h.dir,
      },
    ).done;
    // Discovery (one call) and the scan (parallel calls) each wait at most 2 s; the rest is start-up.
    expect(r.ms).toBeLessThan(12_000);
    expect(r.code).toBe(1);
    const rep = readReport(path.join(h.dir, 'r.json'));
    expect(targetOf(rep, 'android:HOSTILE1')?.error).toMatch(/timed out after 2 s/);
    expect(targetOf(rep, 'listing.txt')?.status).toBe('scanned');
    // The grandchildren escaped every process group: still alive, proving the scan did not wait for them.
    expect(h.pids().filter(alive).length).toBeGreaterThan(0);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during a scan: children killed, "interrupted", exit ${code}, no report, no temp`, async () => {
      const h = hostile('stubborn');
      const run = start(
        ['scan', 'android', '--timeout', '60', '-q', '-o', 'json=r.json', '-o', 'sarif=r.sarif'],
        {
          env: h.env,
          cwd: h.dir,
        },
      );
      // Wait until the tool and its SIGTERM-ignoring helper run (the helper carries the marker).
      await waitFor('the stubborn helper', () => withMarker(h.marker).length > 0);
      const sent = Date.now();
      run.child.kill(signal);
      const r = await run.done;
      expect(Date.now() - sent).toBeLessThan(3000);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(/interrupted/);
      expect(readdirSync(h.dir).sort()).toEqual(['calls.jsonl', 'listing.txt', 'pids']);
      expect(withMarker(h.marker)).toEqual([]);
      const started = [...h.pids(), ...h.loggedPids()];
      expect(started.length).toBeGreaterThan(1);
      expect(started.filter(alive)).toEqual([]);
    });
  }

  it('SIGINT while a report waits for a FIFO reader still exits 130, with no report and no temp', async () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    expect(spawnSync('mkfifo', [path.join(dir, 'pipe')]).status).toBe(0);
    const run = start(['scan', 'listing.txt', '-q', '-o', 'json=pipe', '-o', 'sarif=r.sarif'], { cwd: dir });
    // Nothing reads the FIFO: the scan is done and the writer waits in open().
    await new Promise((r) => setTimeout(r, 2500));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
    expect(readdirSync(dir).sort()).toEqual(['listing.txt', 'pipe']);
  });
});

describe('report paths that are not regular files', () => {
  const scanTo = (dir: string, args: string[], stdout?: number) =>
    spawnSync(process.execPath, [BIN, 'scan', 'listing.txt', '-q', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, NO_COLOR: '1', CI: 'true' },
      encoding: 'utf8',
      stdio: ['ignore', stdout ?? 'pipe', 'pipe'],
      timeout: 60_000,
    });

  it('-o json=/dev/stdout goes to standard output (a pipe), alone, and /dev/stdout stays a link', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const before = readlinkSync('/dev/stdout');
    const r = scanTo(dir, ['-o', 'json=/dev/stdout']);
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as Report).findings[0]?.app.id).toBe('com.tencent.mm');
    expect(lstatSync('/dev/stdout').isSymbolicLink()).toBe(true);
    expect(readlinkSync('/dev/stdout')).toBe(before);
  });

  it('-o sarif=/dev/stdout with stdout redirected to a file: the file holds exactly the SARIF', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const out = path.join(dir, 'out.sarif');
    const fd = openSync(out, 'w');
    const r = scanTo(dir, ['-o', 'sarif=/dev/stdout'], fd);
    closeSync(fd);
    expect(r.status).toBe(1);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { version: string }).version).toBe('2.1.0');
  });

  it.runIf(existsSync('/dev/full'))('-o json=/dev/full reports ENOSPC naming the path, exit 2', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const r = scanTo(dir, ['-o', 'json=/dev/full']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write \/dev\/full: .*no space left on device/i);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it.runIf(existsSync('/dev/full'))('standard output on /dev/full is an error too (exit 2)', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const fd = openSync('/dev/full', 'w');
    const r = scanTo(dir, [], fd);
    closeSync(fd);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write standard output: .*no space left on device/i);
  });

  it('a FIFO is written in place and stays a FIFO', async () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const fifo = path.join(dir, 'report.pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo]);
    const got: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => got.push(c));
    const readerDone = new Promise((r) => reader.on('close', r));
    const r = await start(['scan', 'listing.txt', '-q', '-o', 'json=report.pipe'], { cwd: dir }).done;
    await readerDone;
    expect(r.code).toBe(1);
    expect((JSON.parse(Buffer.concat(got).toString('utf8')) as Report).findings[0]?.app.id).toBe(
      'com.tencent.mm',
    );
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symlink to /dev/null stays a symlink; /dev/null stays a device', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    symlinkSync('/dev/null', path.join(dir, 'discard.json'));
    const r = scanTo(dir, ['-o', 'json=discard.json', '-o', 'sarif=/dev/null']);
    expect(r.status).toBe(1);
    expect(lstatSync(path.join(dir, 'discard.json')).isSymbolicLink()).toBe(true);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a symlink to a regular file: the file is replaced atomically, the link stays', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    mkdirSync(path.join(dir, 'reports'));
    writeFileSync(path.join(dir, 'reports', 'real.json'), 'old');
    symlinkSync('reports/real.json', path.join(dir, 'latest.json'));
    const r = scanTo(dir, ['-o', 'json=latest.json']);
    expect(r.status).toBe(1);
    expect(lstatSync(path.join(dir, 'latest.json')).isSymbolicLink()).toBe(true);
    expect(readReport(path.join(dir, 'reports', 'real.json')).findings[0]?.app.id).toBe('com.tencent.mm');
    expect(readdirSync(path.join(dir, 'reports'))).toEqual(['real.json']);
  });

  it('a dangling symlink: the report is created at its target', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    symlinkSync('made.json', path.join(dir, 'link.json'));
    expect(scanTo(dir, ['-o', 'json=link.json']).status).toBe(1);
    expect(lstatSync(path.join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readReport(path.join(dir, 'made.json')).targets).toHaveLength(1);
  });

  const isRoot = process.getuid?.() === 0;
  it.runIf(isRoot)('a block device is refused, not overwritten (exit 2)', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    // Major 240 is reserved for local use: no driver, so even a broken refusal writes nothing anywhere.
    expect(spawnSync('mknod', [path.join(dir, 'disk'), 'b', '240', '0']).status).toBe(0);
    const r = scanTo(dir, ['-o', 'json=disk']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write disk: it is a block device/);
    expect(statSync(path.join(dir, 'disk')).isBlockDevice()).toBe(true);
  });

  it('a folder as report path is a clear error (exit 2)', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    mkdirSync(path.join(dir, 'out'));
    const r = scanTo(dir, ['-o', 'json=out']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write out: it is a folder/);
  });

  for (const [label, setup, a, b] of [
    ['the same path twice', () => {}, 'r.json', 'r.json'],
    ['two spellings of one path', () => {}, 'r.json', './sub/../r.json'],
    [
      'a symlink and its target',
      (dir: string) => {
        writeFileSync(path.join(dir, 'r.json'), '');
        symlinkSync('r.json', path.join(dir, 'alias.json'));
      },
      'alias.json',
      'r.json',
    ],
  ] as const) {
    it(`two -o options writing ${label} are refused before scanning (exit 2)`, () => {
      const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
      mkdirSync(path.join(dir, 'sub'));
      setup(dir);
      const before = readdirSync(dir).sort();
      const r = scanTo(dir, ['-o', `json=${a}`, '-o', `sarif=${b}`]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/two reports would be written to/);
      expect(readdirSync(dir).sort()).toEqual(before);
    });
  }

  it('-o json=/dev/stdout next to a table on stdout is refused (exit 2)', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const r = scanTo(dir, ['-o', 'json=/dev/stdout', '-f', 'table']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/only one report can go to standard output/);
  });
});

describe('untrusted strings cannot forge lines or terminal controls in reports', () => {
  it('JUnit keeps newlines as &#10;, JSON escapes C1, bidi and U+2028/2029 as \\u', () => {
    const dir = tempDir({ 'listing.txt': WECHAT_LISTING });
    const collected = runCli(['collect', 'listing.txt', '-q', '-o', 'inv.json'], { cwd: dir });
    expect(collected.code).toBe(0);
    const inv = JSON.parse(readFileSync(path.join(dir, 'inv.json'), 'utf8')) as {
      targets: { apps: { id: string; name?: string }[] }[];
    };
    const hostileName =
      'Chat\n::error file=a.ts,line=1::pwned\r\n\t::warning::x\u009b31m\u202eevil\u2028\u2066';
    inv.targets[0]!.apps[0]!.name = hostileName;
    writeFileSync(path.join(dir, 'inv.json'), JSON.stringify(inv));
    const r = runCli(['scan', 'inv.json', '-q', '-o', 'junit=j.xml', '-o', 'json=r.json'], { cwd: dir });
    expect(r.code).toBe(1);

    const xml = readFileSync(path.join(dir, 'j.xml'), 'utf8');
    expect(xml).toContain('&#10;::error file=a.ts');
    for (const line of xml.split('\n')) expect(line.trimStart()).not.toMatch(/^::/);

    const json = readFileSync(path.join(dir, 'r.json'), 'utf8');
    expect(json).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/);
    expect(json).toContain('\\u009b31m\\u202eevil\\u2028\\u2066');
    const name = (JSON.parse(json) as Report).findings[0]?.app.name ?? '';
    expect(name).toContain('\u009b31m\u202eevil');
  });
});

// Last in this file: stopEverything() marks the process as stopping, after which runTool starts nothing.
describe('interrupt clean-up (src/interrupt.ts)', () => {
  it('removes report temp files not yet renamed and kills tracked tool groups', async () => {
    const dir = tempDir();
    const tmp = path.join(dir, '.r.json.123.tmp');
    writeFileSync(tmp, '{"half":');
    trackTemp(tmp);
    const tool = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    trackGroup(tool.pid!);
    const gone = new Promise((r) => tool.on('exit', r));
    await stopEverything();
    expect(existsSync(tmp)).toBe(false);
    await gone;
    expect(isStopping()).toBe(true);
    const r = await runTool('sleep', ['30'], {
      env: process.env,
      timeoutMs: 60_000,
      package: { tool: 'sleep', debian: 'x', homebrew: 'x', env: 'X' },
    });
    expect(r.stderr).toBe('interrupted');
  });
});
