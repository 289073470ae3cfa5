import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './exec.js';

describe('appwarden explain (built binary)', () => {
  it('fails with exit 2 naming the input when it cannot be read, instead of "no findings"', () => {
    const dir = tempDir();
    const missing = path.join(dir, 'missing.json');
    const r = runCli(['explain', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${missing}: no such file or directory`);
  });

  it('explains a finding of a listing and exits 0', () => {
    const dir = tempDir({
      'pixel.txt': 'package:com.tencent.mm versionCode:2680\npackage:com.android.chrome\n',
    });
    const r = runCli(['explain', path.join(dir, 'pixel.txt'), '--app', 'com.tencent.mm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('matched rule ca-gov.wechat');
  });
});
