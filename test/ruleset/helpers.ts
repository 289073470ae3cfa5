import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppRecord } from '../../src/model.js';

/** Write files into a fresh temp dir and return its path. */
export const tempFiles = (files: Record<string, string>): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-rules-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
};

export const app = (id: string, extra: Partial<AppRecord> = {}): AppRecord => ({
  platform: 'android',
  id,
  publisher: {},
  origin: { target: 'test', parser: 'test' },
  ...extra,
});
