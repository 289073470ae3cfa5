import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppwardenError } from '../../src/errors.js';
import type { TargetResult } from '../../src/model.js';
import { androidSource } from '../../src/sources/adb.js';
import { iosSource, resetInstallerSyntax, syntaxFromVersion } from '../../src/sources/ios.js';
import { type Harness, harness } from './helpers.js';

let h: Harness | undefined;
beforeEach(() => resetInstallerSyntax());
afterEach(() => h?.cleanup());

async function scanAll(scenario: string, installer?: string, timeoutMs?: number): Promise<TargetResult[]> {
  h = harness(scenario, {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(installer === undefined ? {} : { env: { AW_HARNESS_IDEVICEINSTALLER: installer } }),
  });
  const devices = await iosSource.discover(h.ctx);
  return Promise.all(devices.map((d) => iosSource.scan(d, h!.ctx)));
}

describe.each(['1.1.1', '1.2.0'])('ios source with ideviceinstaller %s', (version) => {
  it('lists both iPhones and the network iPad with hostile names and Team IDs intact', async () => {
    const targets = await scanAll('two-iphones.yaml', version);
    expect(targets.map((t) => t.id)).toEqual([
      'ios:00008110-001A2C3E0A38801E',
      'ios:00008030-000C195E2E12802E',
      'ios:00008101-000E44D02A89001E',
    ]);
    const [ops, field, ipad] = targets;
    expect(ops?.status).toBe('scanned');
    expect(ops?.device).toMatchObject({
      name: 'Ops iPhone, "blue"',
      model: 'iPhone14,2',
      osVersion: '17.5.1',
    });
    const byId = new Map(ops?.apps.map((a) => [a.id, a]));
    expect(byId.get('com.tencent.xin')).toMatchObject({
      name: 'WeChat, "微信"',
      publisher: { teamId: '88L2Q4487U' },
    });
    expect(byId.get('com.zhiliaoapp.musically')?.name).toBe('TikTok \u001b[31mred\u001b[0m');
    expect(byId.get('com.example.rtl')?.name).toBe('Notes \u202egnp.exe');
    expect(byId.get('com.apple.mobilesafari')?.system).toBe(true);
    expect(field?.apps.find((a) => a.id === 'com.kaspersky.security')?.publisher.teamId).toBe('2Y8XE5CQ94');
    expect(ipad?.device?.state).toBe('network');
    const calls = h?.calls('ideviceinstaller') ?? [];
    // Syntax detected once per run, then one listing per device, in that version's syntax.
    expect(calls.filter((c) => c.argv.includes('--version'))).toHaveLength(1);
    const listings = calls.filter((c) => !c.argv.includes('--version'));
    expect(listings).toHaveLength(3);
    for (const c of listings) {
      if (version === '1.1.1') expect(c.argv).toEqual(expect.arrayContaining(['-l', '-o', 'xml']));
      else expect(c.argv).toEqual(expect.arrayContaining(['list', '--all', '--xml']));
    }
    expect(calls.find((c) => c.argv.includes('00008101-000E44D02A89001E'))?.argv).toContain('-n');
  });
});

describe('ios failure states', () => {
  it('turns pairing errors and a hang into failed targets with instructions', async () => {
    const targets = await scanAll('ios-trust.yaml', undefined, 3000);
    const err = (n: number) => targets.find((t) => t.id === `ios:00008110-000000000000000${n}`);
    expect(err(1)?.status).toBe('failed');
    expect(err(1)?.error).toMatch(/tap "Trust"/);
    expect(err(2)?.error).toMatch(/refused/);
    expect(err(3)?.error).toMatch(/passcode/);
    expect(err(4)?.error).toMatch(/idevicepair -u 00008110-0000000000000004 unpair/);
    expect(err(5)?.error).toMatch(/timed out after 3 s/);
    expect(err(6)?.status).toBe('scanned');
    expect(err(6)?.apps.map((a) => a.publisher.teamId)).toEqual(['88L2Q4487U']);
  }, 30_000);

  it('detects the installer syntax from --version or the help text', () => {
    expect(syntaxFromVersion('ideviceinstaller 1.1.1')).toBe('flags');
    expect(syntaxFromVersion('ideviceinstaller 1.2.0')).toBe('subcommands');
    expect(syntaxFromVersion('', 'Usage: ideviceinstaller [OPTIONS] COMMAND\n  list  List apps')).toBe(
      'subcommands',
    );
    expect(syntaxFromVersion('', '  -l, --list-apps\tList apps')).toBe('flags');
  });
});

describe('missing tools', () => {
  const missing = {
    timeoutMs: 5000,
    env: { PATH: '/nonexistent' },
    tools: {
      adb: '/nonexistent/adb',
      ideviceId: '/nonexistent/idevice_id',
      ideviceInfo: '/nonexistent/ideviceinfo',
      ideviceInstaller: '/nonexistent/ideviceinstaller',
    },
  };
  it('android discover throws TOOL_NOT_FOUND naming the Debian and Homebrew packages', async () => {
    const error = await androidSource.discover(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppwardenError);
    expect((error as AppwardenError).code).toBe('TOOL_NOT_FOUND');
    expect((error as AppwardenError).message).toMatch(/apt-get install adb/);
    expect((error as AppwardenError).message).toMatch(/android-platform-tools/);
  });
  it('ios discover throws TOOL_NOT_FOUND naming libimobiledevice-utils', async () => {
    const error = await iosSource.discover(missing).catch((e: unknown) => e);
    expect((error as AppwardenError).code).toBe('TOOL_NOT_FOUND');
    expect((error as AppwardenError).message).toMatch(/libimobiledevice-utils/);
  });
});
