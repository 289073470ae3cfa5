// Uninstalls on the fake devices. A successful `pm uninstall` or `ideviceinstaller uninstall` is
// appended to a state file in the harness temp dir (next to $AW_HARNESS_LOG, or $AW_HARNESS_STATE),
// and every later fake-tool start in the same run applies it, so the app disappears from later
// listings. $AW_HARNESS_UNINSTALL_FAIL=id=REASON[,id=REASON] makes those uninstalls fail.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function statePath(env = process.env) {
  if (env.AW_HARNESS_STATE) return env.AW_HARNESS_STATE;
  return env.AW_HARNESS_LOG ? join(dirname(env.AW_HARNESS_LOG), 'removed.jsonl') : undefined;
}

export function readRemovals(file = statePath()) {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function recordRemoval(entry) {
  const file = statePath();
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** The failure reason the environment sets for this id, if any. */
export function failureFor(id, env = process.env) {
  for (const item of (env.AW_HARNESS_UNINSTALL_FAIL ?? '').split(',')) {
    const eq = item.indexOf('=');
    if (eq > 0 && item.slice(0, eq) === id) return item.slice(eq + 1);
  }
  return undefined;
}

/**
 * The scenario as it stands after this run's uninstalls. A device with removals gets a `stateKey`,
 * so the answer cache of its shell (device-root.js) is a different folder than the pristine one.
 */
export function applyRemovals(scenario) {
  const removals = readRemovals();
  if (removals.length === 0) return scenario;
  const key = (list) => createHash('sha256').update(JSON.stringify(list)).digest('hex').slice(0, 12);
  return {
    ...scenario,
    adb: {
      ...scenario.adb,
      devices: scenario.adb.devices.map((d) => {
        const mine = removals.filter((r) => r.platform === 'android' && r.device === d.serial);
        if (mine.length === 0) return d;
        return {
          ...d,
          stateKey: key(mine),
          packages: d.packages.map((p) => ({
            ...p,
            users: p.users.filter(
              (u) => !mine.some((r) => r.id === p.id && (r.user === undefined || r.user === u)),
            ),
          })),
        };
      }),
    },
    ios: {
      ...scenario.ios,
      devices: scenario.ios.devices.map((d) => {
        const mine = removals.filter((r) => r.platform === 'ios' && r.device === d.udid);
        if (mine.length === 0) return d;
        return { ...d, apps: d.apps.filter((a) => !mine.some((r) => r.id === a.id)) };
      }),
    },
  };
}

/** `pm uninstall [-k] [--user N] PKG` on a fake Android device: pm's own words and exit codes. */
export function pmUninstall(device, args) {
  let user;
  let id;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--user') user = args[++i];
    else if (args[i] === '-k') continue;
    else id = args[i];
  }
  if (!id) return { stdout: '', stderr: 'Error: package name not specified\n', code: 1 };
  const failure = failureFor(id);
  if (failure) return { stdout: `Failure [${failure}]\n`, stderr: '', code: 1 };
  const userId = user === undefined || user === 'all' ? undefined : Number(user);
  const pkg = device.packages.find((p) => p.id === id);
  const installed = pkg && (userId === undefined ? pkg.users.length > 0 : pkg.users.includes(userId));
  if (!installed) return { stdout: 'Failure [DELETE_FAILED_INTERNAL_ERROR]\n', stderr: '', code: 1 };
  recordRemoval({ platform: 'android', device: device.serial, user: userId, id });
  return { stdout: 'Success\n', stderr: '', code: 0 };
}

/** `ideviceinstaller … uninstall ID` / `-U ID` on a fake iPhone, printed as 1.1.x/1.2.x do. */
export function iosUninstall(device, id) {
  const failure = failureFor(id);
  if (failure) {
    return {
      stdout: `Uninstalling '${id}'\nERROR: RemoveApplication failed. Got error "${failure}".\n`,
      code: 1,
    };
  }
  if (!device.apps.some((a) => a.id === id)) {
    return {
      stdout: `Uninstalling '${id}'\nERROR: RemoveApplication failed. Got error "APIInternalError".\n`,
      code: 1,
    };
  }
  recordRemoval({ platform: 'ios', device: device.udid, id });
  return { stdout: `Uninstalling '${id}'\nRemoveApplication - Complete\n`, code: 0 };
}
