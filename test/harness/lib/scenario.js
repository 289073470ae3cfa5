// Loads a recorded-device scenario (YAML or JSON) and fills in what scenarios leave implicit:
// generated packages, APK paths on the device, app ids, install times.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HARNESS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(HARNESS_DIR, '..', '..');
export const APK_DIR = join(REPO_DIR, 'fixtures', 'devices', 'apk');

const cache = new Map();

export async function loadScenario(file = process.env.AW_HARNESS_SCENARIO) {
  if (!file) throw new Error('AW_HARNESS_SCENARIO is not set');
  const hit = cache.get(file);
  if (hit) return hit;
  // Fake tools start many times per scan; a JSON copy of the expanded scenario keeps them quick.
  const key = createHash('sha256')
    .update(`${file}\0${statSync(file).mtimeMs}\0${process.env.AW_HARNESS_IDEVICEINSTALLER ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const cached = join(tmpdir(), `appwarden-harness-scenario-${key}.json`);
  if (existsSync(cached)) {
    const scenario = JSON.parse(readFileSync(cached, 'utf8'));
    cache.set(file, scenario);
    return scenario;
  }
  const text = readFileSync(file, 'utf8');
  const raw = file.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
  const scenario = {
    file,
    adb: {
      devices: (raw.adb?.devices ?? []).map(normaliseAndroid),
      // `adb devices` itself fails ({ stderr, code }) or never answers: the server cannot start.
      devicesError: raw.adb?.devicesError,
      devicesHang: raw.adb?.devicesHang ?? false,
    },
    ios: {
      // `idevice_id` fails ({ stderr, code }) or never answers.
      idError: raw.ios?.idError,
      idHang: raw.ios?.idHang ?? false,
      installer: process.env.AW_HARNESS_IDEVICEINSTALLER ?? raw.ios?.installer ?? '1.1.1',
      devices: (raw.ios?.devices ?? []).map(normaliseIos),
    },
  };
  cache.set(file, scenario);
  // Write then rename, so a tool starting concurrently never reads half a file.
  writeFileSync(`${cached}.${process.pid}`, JSON.stringify(scenario));
  renameSync(`${cached}.${process.pid}`, cached);
  return scenario;
}

const hash = (text, n) => createHash('sha256').update(text).digest('base64url').slice(0, n);

function normaliseAndroid(d) {
  const sdk = d.sdk ?? 34;
  const packages = [...(d.packages ?? [])];
  if (d.generate) {
    const apks = d.generate.apks ?? ['benign.apk'];
    for (let i = 0; i < d.generate.count; i++) {
      packages.push({
        id: `com.generated.app${String(i).padStart(4, '0')}`,
        apk: apks[i % apks.length],
        users: d.generate.users ?? [0],
        system: i % 5 === 0,
        installer: i % 5 === 0 ? undefined : 'com.android.vending',
      });
    }
  }
  let nextAppId = 10100;
  const users = (d.users ?? [{ id: 0, name: 'Owner', flags: 'c13' }]).map((u) => ({ ...u }));
  return {
    serial: d.serial,
    state: d.state ?? 'device',
    usb: d.usb ?? '1-1',
    product: d.product ?? 'harness',
    model: d.model ?? 'Harness_Phone',
    device: d.device ?? 'harness',
    transport: d.transport ?? 1,
    sdk,
    release: String(d.release ?? '14'),
    manufacturer: d.manufacturer ?? 'Harness',
    props: d.props ?? {},
    legacyPm: d.legacyPm ?? sdk < 26,
    allUsersFails: d.allUsersFails,
    usersPm: d.usersPm,
    crlf: d.crlf ?? false,
    noOd: d.noOd ?? false,
    disconnectAfter: d.disconnectAfter,
    delayMs: d.delayMs ?? 0,
    hang: d.hang ?? [],
    users,
    packages: packages.map((p, i) => {
      const appId = p.appId ?? nextAppId++;
      const system = p.system ?? false;
      const name = p.id.split('.').pop();
      const path =
        p.path ??
        (system
          ? `/system/priv-app/${name}/${name}.apk`
          : sdk >= 30
            ? `/data/app/~~${hash(`${p.id}a`, 22)}==/${p.id}-${hash(`${p.id}b`, 22)}==/base.apk`
            : `/data/app/${p.id}-1/base.apk`);
      return {
        id: p.id,
        apk: p.apk === undefined ? undefined : isAbsolute(p.apk) ? p.apk : join(APK_DIR, p.apk),
        unreadable: p.unreadable ?? false,
        path,
        users: p.users ?? [0],
        keptUsers: p.keptUsers ?? [],
        system,
        installer: p.installer,
        versionCode: p.versionCode ?? 100 + i,
        versionName: p.versionName ?? `1.${i}.0`,
        appId,
        enabled: p.enabled ?? {},
        firstInstallTime: p.firstInstallTime ?? `2024-0${1 + (i % 9)}-1${i % 10} 10:00:00`,
      };
    }),
  };
}

function normaliseIos(d) {
  return {
    udid: d.udid,
    connection: d.connection ?? 'USB',
    info: d.info ?? {},
    lockdown: d.lockdown,
    hang: d.hang ?? [],
    delayMs: d.delayMs ?? 0,
    apps: d.apps ?? [],
  };
}

export function findAndroid(scenario, serial) {
  return scenario.adb.devices.find((d) => d.serial === serial);
}
