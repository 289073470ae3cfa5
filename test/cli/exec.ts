import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BIN = path.resolve('bin/appwarden.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built binary the way a user does, with a minimal environment and no colour unless asked. */
export const runCli = (
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): RunResult => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH, NO_COLOR: '1', CI: 'true', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
};

export const tempDir = (files: Record<string, string | Buffer> = {}): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
};
