import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBinaryPlist, writeXmlPlist } from '../../scripts/bplist-writer.mjs';
import { isIosBackupInfo, parseIosBackupInfo } from '../../src/parsers/ios-backup.js';
import { parsePlistBytes } from '../../src/parsers/plist-bytes.js';
import { iosBackupReader } from '../../src/sources/ios-backup.js';

const SAMPLE = path.resolve('../shared/device-samples/ios/mvt_ios_backup_Info.plist');
const ctx = {
  timeoutMs: 1000,
  tools: { adb: '', ideviceId: '', ideviceInfo: '', ideviceInstaller: '' },
  env: {},
};

const backup = {
  'Device Name': 'Liaison iPhone',
  'Product Type': 'iPhone15,2',
  'Product Version': '17.5.1',
  'Serial Number': 'F2LXK0ABCDEF',
  'Unique Identifier': '00008110-001A2B3C4D5E801E',
  'Installed Applications': ['com.tencent.xin', 'com.apple.Pages', 'com.tencent.xin', 'bad id with spaces'],
};

describe('iOS backup Info.plist', () => {
  it('turns Installed Applications into iOS app records with device facts', () => {
    const value = parsePlistBytes(writeBinaryPlist(backup));
    expect(isIosBackupInfo(value)).toBe(true);
    const parsed = parseIosBackupInfo(value, { target: 't', path: 'Info.plist' });
    expect(parsed.apps.map((a) => a.id)).toEqual(['com.tencent.xin', 'com.apple.Pages']);
    expect(parsed.apps.every((a) => a.platform === 'ios' && a.origin.parser === 'ios-backup-info')).toBe(
      true,
    );
    expect(parsed.device).toMatchObject({ model: 'iPhone15,2', osVersion: '17.5.1', serial: 'F2LXK0ABCDEF' });
    expect(parsed.diagnostics.some((d) => d.level === 'warning')).toBe(true);
  });

  it('reads binary and XML files, and gives back nothing for other property lists', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-backup-'));
    const bin = path.join(dir, 'a');
    const xml = path.join(dir, 'b');
    const other = path.join(dir, 'c');
    writeFileSync(bin, writeBinaryPlist(backup));
    writeFileSync(xml, writeXmlPlist(backup));
    writeFileSync(other, writeBinaryPlist({ CFBundleIdentifier: 'x.y' }));
    for (const file of [bin, xml]) {
      const head = readFileSync(file).subarray(0, 4096);
      expect(iosBackupReader.detect(head, file)).toBe(true);
      const [t] = await iosBackupReader.read(file, ctx);
      expect(t).toMatchObject({ status: 'scanned', format: 'ios-backup-info' });
      expect(t?.apps).toHaveLength(2);
    }
    expect(await iosBackupReader.read(other, ctx)).toEqual([]);
  });

  it('gives a clear per-file error for truncated, garbage and oversized plists', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'appwarden-backup-bad-'));
    const whole = Buffer.from(writeBinaryPlist(backup));
    const cases: Record<string, Buffer> = {
      truncated: whole.subarray(0, whole.length - 20),
      garbage: Buffer.concat([Buffer.from('bplist00'), Buffer.alloc(64, 0xff)]),
      xmlTruncated: Buffer.from(writeXmlPlist(backup)).subarray(0, 200),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      const started = Date.now();
      const [t] = await iosBackupReader.read(file, ctx);
      expect(t?.status, name).toBe('failed');
      expect(t?.error, name).toMatch(/\w{6,}/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    const huge = path.join(dir, 'huge');
    writeFileSync(huge, Buffer.concat([Buffer.from('bplist00'), Buffer.alloc(17 * 1024 * 1024)]));
    const [t] = await iosBackupReader.read(huge, ctx);
    expect(t).toMatchObject({ status: 'failed', error: 'plist larger than 16 MiB' });
  });

  it.skipIf(!existsSync(SAMPLE))('reads the MVT backup sample (real bplist)', async () => {
    const [t] = await iosBackupReader.read(SAMPLE, ctx);
    expect(t?.status).toBe('scanned');
    expect(t?.apps.map((a) => a.id)).toContain('net.whatsapp.WhatsApp');
    expect(t?.apps).toHaveLength(6);
    expect(t?.device).toMatchObject({ model: 'iPhone9,3', osVersion: '14.3' });
  });
});
