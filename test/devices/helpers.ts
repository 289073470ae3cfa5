import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceContext } from '../../src/sources/types.js';

export const HARNESS = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'harness');
const BIN = join(HARNESS, 'bin');
export const APK_CERTS: Record<string, string> = JSON.parse(
  readFileSync(
    resolve(
      fileURLToPath(new URL('.', import.meta.url)),
      '..',
      '..',
      'fixtures',
      'devices',
      'apk',
      'certs.json',
    ),
    'utf8',
  ),
);

export interface Harness {
  ctx: SourceContext;
  log: string;
  calls(tool?: string, serial?: string): { tool: string; argv: string[]; t: number }[];
  cleanup(): void;
}

/** A source context whose tools are the recorded-device fakes playing `scenario`. */
export function harness(
  scenario: string,
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'appwarden-devices-'));
  const log = join(dir, 'calls.jsonl');
  const ctx: SourceContext = {
    timeoutMs: options.timeoutMs ?? 30_000,
    tools: {
      adb: join(BIN, 'adb'),
      ideviceId: join(BIN, 'idevice_id'),
      ideviceInfo: join(BIN, 'ideviceinfo'),
      ideviceInstaller: join(BIN, 'ideviceinstaller'),
    },
    env: {
      PATH: process.env.PATH,
      AW_HARNESS_SCENARIO: join(HARNESS, 'scenarios', scenario),
      AW_HARNESS_LOG: log,
      ...options.env,
    },
  };
  return {
    ctx,
    log,
    calls(tool, serial) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { tool: string; argv: string[]; t: number })
        .filter(
          (c) => (tool === undefined || c.tool === tool) && (serial === undefined || c.argv[1] === serial),
        );
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An adb/idevice* invocation the fakes logged. */
interface HarnessCall {
  tool: string;
  argv: string[];
}

export interface HarnessRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** adb/idevice* invocations the fakes logged during this run. */
  calls: HarnessCall[];
  /** The run's folder: its working directory unless `cwd` was given, and where the log is. */
  dir: string;
}

const APPWARDEN = join(HARNESS, '..', '..', 'bin', 'appwarden.js');

/**
 * Run the built `appwarden ARGS` against `scenario` the way a user's shell would, with the fakes
 * as its device tools; `dir` (made and removed by the caller) holds the fakes' call log.
 */
export function runWithHarness(
  scenario: string,
  args: string[],
  options: { dir: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<HarnessRun> {
  const { dir } = options;
  const log = join(dir, 'calls.jsonl');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NO_COLOR: '1',
    CI: 'true',
    APPWARDEN_ADB: join(BIN, 'adb'),
    APPWARDEN_IDEVICE_ID: join(BIN, 'idevice_id'),
    APPWARDEN_IDEVICEINFO: join(BIN, 'ideviceinfo'),
    APPWARDEN_IDEVICEINSTALLER: join(BIN, 'ideviceinstaller'),
    AW_HARNESS_SCENARIO: join(HARNESS, 'scenarios', scenario),
    AW_HARNESS_LOG: log,
    ...options.env,
  };
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [APPWARDEN, ...args], {
      cwd: options.cwd ?? dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 230_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(guard);
      const calls = existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as HarnessCall)
        : [];
      done({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
        calls,
        dir,
      });
    });
  });
}
