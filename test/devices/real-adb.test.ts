/**
 * Debian's real adb client (package `adb`) against the fake adb server of test/harness/adb-server.mjs
 * on 127.0.0.1: the client's own wire protocol and `devices -l` printing, read by appwarden's parser
 * and by the built binary (`appwarden devices`). Skipped when /usr/bin/adb is not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAdbDevices } from '../../src/sources/adb-devices.js';
import { type FakeAdbServer, startFakeAdbServer } from '../harness/adb-server.mjs';

const ADB = '/usr/bin/adb';
const HAVE_ADB = existsSync(ADB);
const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const APPWARDEN = join(REPO, 'bin', 'appwarden.js');

const PIXEL_PROPS = {
  'ro.build.version.release': '14',
  'ro.build.version.sdk': '34',
  'ro.product.manufacturer': 'Google',
  'ro.product.model': 'Pixel 8',
};

const DEVICES = [
  {
    serial: '35161FDH2000G6',
    state: 'device',
    usb: '1-1',
    product: 'shiba',
    model: 'Pixel_8',
    device: 'shiba',
    props: PIXEL_PROPS,
  },
  { serial: 'R3CT40KXYZ', state: 'unauthorized', usb: '1-2' },
  { serial: 'emulator-5554', state: 'offline' },
  // Ready, but its shell answers nothing useful: discovery must keep what `devices -l` said.
  { serial: 'a0737173', state: 'device', usb: '1-4', product: 'dipper', model: 'MI_8', device: 'dipper' },
];

const run = (
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> =>
  // Asynchronous on purpose: the fake server answers from this same process.
  new Promise((done) => {
    execFile(file, args, { env, timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });

describe.skipIf(!HAVE_ADB)(
  `real adb client against a fake adb server${HAVE_ADB ? '' : ' (skipped: /usr/bin/adb missing, apt-get install adb)'}`,
  () => {
    let server: FakeAdbServer;
    let home: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      server = await startFakeAdbServer({ devices: DEVICES });
      home = mkdtempSync(join(tmpdir(), 'appwarden-real-adb-'));
      // A private HOME: the client must not touch the user's ~/.android.
      env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        ANDROID_ADB_SERVER_PORT: String(server.port),
      };
    });
    afterAll(async () => {
      await server?.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('`adb devices -l` output is read by parseAdbDevices with states, models and instructions', async () => {
      const r = await run(ADB, ['devices', '-l'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith('List of devices attached\n')).toBe(true);
      const devices = parseAdbDevices(r.stdout);
      expect(devices.map((d) => [d.id, d.state])).toEqual([
        ['35161FDH2000G6', 'device'],
        ['R3CT40KXYZ', 'unauthorized'],
        ['emulator-5554', 'offline'],
        ['a0737173', 'device'],
      ]);
      expect(devices[0]?.facts).toMatchObject({ model: 'Pixel 8', name: 'shiba' });
      expect(devices[0]?.problem).toBeUndefined();
      expect(devices[1]?.problem).toMatch(/Allow USB debugging/);
      expect(devices[2]?.problem).toMatch(/offline/);
      // The client checked the server's version before asking (a mismatch would restart the server).
      expect(server.requests).toContain('host:version');
      expect(server.requests).toContain('host:devices-l');
    });

    it('`appwarden devices --json` drives the real client: states, and the OS version from one shell call', async () => {
      const before = server.requests.length;
      const r = await run(process.execPath, [APPWARDEN, 'devices', '--json', '--timeout', '10'], {
        ...env,
        NO_COLOR: '1',
        CI: 'true',
        APPWARDEN_ADB: ADB,
        // iOS is not part of this test.
        APPWARDEN_IDEVICE_ID: '/nonexistent',
      });
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        devices: {
          platform: string;
          id: string;
          state: string;
          problem?: string;
          facts: Record<string, unknown>;
        }[];
      };
      const android = doc.devices.filter((d) => d.platform === 'android');
      expect(android.map((d) => [d.id, d.state])).toEqual([
        ['35161FDH2000G6', 'device'],
        ['R3CT40KXYZ', 'unauthorized'],
        ['emulator-5554', 'offline'],
        ['a0737173', 'device'],
      ]);
      expect(android[0]?.facts).toMatchObject({
        model: 'Pixel 8',
        manufacturer: 'Google',
        osVersion: '14',
        sdk: 34,
      });
      expect(android[1]?.problem).toMatch(/accept the "Allow USB debugging\?" prompt/);
      expect(android[3]?.facts).toMatchObject({ model: 'MI 8' });
      expect(android[3]?.facts.osVersion).toBeUndefined();

      const asked = server.requests.slice(before);
      // One shell call per ready device, none for the others.
      const shells = asked.filter((s) => s.startsWith('shell:'));
      expect(shells).toHaveLength(2);
      expect(asked.filter((s) => s.includes('R3CT40KXYZ') || s.includes('emulator-5554'))).toEqual([]);
    });

    it('`appwarden devices` prints the Android version in its table', async () => {
      const r = await run(process.execPath, [APPWARDEN, 'devices'], {
        ...env,
        NO_COLOR: '1',
        CI: 'true',
        APPWARDEN_ADB: ADB,
        APPWARDEN_IDEVICE_ID: '/nonexistent',
      });
      expect(r.code).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.startsWith('android:35161FDH2000G6'));
      expect(line).toMatch(/\tdevice\tGoogle Pixel 8\tAndroid 14/);
    });
  },
);
