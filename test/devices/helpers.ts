import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceContext } from '../../src/sources/types.js';

export const HARNESS = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'harness');
export const BIN = join(HARNESS, 'bin');
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
