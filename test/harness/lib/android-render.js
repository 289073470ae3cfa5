// Renders what a real Android device prints, in the formats of device-formats.md.

const PM_USAGE = [
  'usage: pm path [--user USER_ID] PACKAGE',
  '       pm list packages [-f] [-d] [-e] [-s] [-3] [-i] [-u] [--user USER_ID] [FILTER]',
  '       pm list users',
  '',
  'pm list packages: prints all packages, optionally only',
  '  those whose package name contains the text in FILTER.  Options:',
  '    -f: see their associated file.',
  '    -d: filter to only show disbled packages.',
  '    -e: filter to only show enabled packages.',
  '    -s: filter to only show system packages.',
  '    -3: filter to only show third party packages.',
  '    -i: see the installer for the packages.',
  '    -u: also include uninstalled packages.',
  '',
].join('\n');

export function renderDevicesList(devices, long) {
  const lines = ['List of devices attached'];
  for (const d of devices) {
    if (!long) {
      lines.push(`${d.serial}\t${d.state}`);
      continue;
    }
    const state =
      d.state === 'no permissions'
        ? 'no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html]'
        : d.state;
    const extra =
      d.state === 'device'
        ? ` usb:${d.usb} product:${d.product} model:${d.model} device:${d.device} transport_id:${d.transport}`
        : ` usb:${d.usb} transport_id:${d.transport}`;
    lines.push(`${d.serial.padEnd(22)} ${state}${extra}`);
  }
  return `${lines.join('\n')}\n\n`;
}

export function renderGetprop(d) {
  const props = {
    'ro.build.fingerprint': `harness/${d.product}/${d.device}:${d.release}/HRN1/1:user/release-keys`,
    'ro.build.version.release': d.release,
    'ro.build.version.sdk': String(d.sdk),
    'ro.product.manufacturer': d.manufacturer,
    'ro.product.model': d.model.replace(/_/g, ' '),
    'ro.serialno': d.serial,
    ...d.props,
  };
  return Object.entries(props)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `[${k}]: [${v}]\n`)
    .join('');
}

export function renderUsers(d) {
  return `Users:\n${d.users.map((u) => `\tUserInfo{${u.id}:${u.name}:${u.flags}} running\n`).join('')}`;
}

const securityException = (user) =>
  `Exception occurred while executing 'list':\njava.lang.SecurityException: Shell does not have permission to access user ${user}\n` +
  ' com.android.server.am.ActivityManagerService.handleIncomingUser:15970 android.app.ActivityManager.handleIncomingUser:5152 com.android.server.pm.PackageManagerShellCommand.translateUserId:3733\n' +
  '\tat com.android.server.am.UserController.handleIncomingUser(UserController.java:2892)\n' +
  '\tat com.android.server.pm.PackageManagerShellCommand.runListPackages(PackageManagerShellCommand.java:1074)\n';

/** `pm list …`: returns { stdout, stderr, code }. */
export function runPm(d, args) {
  if (args[0] !== 'list') return { stdout: '', stderr: `Unknown command: ${args[0]}\n`, code: 1 };
  if (args[1] === 'users') {
    // `usersPm` replaces the answer ({ stdout, stderr, code }), e.g. an error printed with exit 0.
    if (d.usersPm)
      return { stdout: d.usersPm.stdout ?? '', stderr: d.usersPm.stderr ?? '', code: d.usersPm.code ?? 0 };
    return { stdout: renderUsers(d), stderr: '', code: 0 };
  }
  if (args[1] !== 'packages') return { stdout: PM_USAGE, stderr: '', code: 0 };
  const o = { f: false, i: false, U: false, u: false, s: false, third: false, d: false, e: false, vc: false };
  let user;
  let filter;
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (a === '--user') user = args[++i];
    else if (a === '--show-versioncode') {
      if (d.legacyPm) return legacyUnknown(a);
      o.vc = true;
    } else if (/^-[a-zA-Z3]+$/.test(a)) {
      for (const c of a.slice(1)) {
        if (c === 'U' && d.legacyPm) return legacyUnknown('-U');
        if (c === '3') o.third = true;
        else if (c in o) o[c] = true;
        else return { stdout: '', stderr: `Error: Unknown option: -${c}\n`, code: 255 };
      }
    } else filter = a;
  }
  const all = user === 'all' || (user === undefined && d.sdk >= 33);
  // A profile whose pm answers oddly: empty, or an error printed with exit 0 ({ stdout, stderr, code }).
  const odd = all ? undefined : d.users.find((u) => String(u.id) === String(user ?? 0))?.pm;
  if (odd) return { stdout: odd.stdout ?? '', stderr: odd.stderr ?? '', code: odd.code ?? 0 };
  const denied = d.users.filter((u) => u.denied).map((u) => u.id);
  if (all && d.allUsersFails !== undefined)
    return { stdout: '', stderr: securityException(d.allUsersFails), code: 255 };
  const userIds = all
    ? d.users.map((u) => u.id)
    : [user === undefined || user === 'current' ? 0 : Number(user)];
  for (const id of userIds) {
    if (denied.includes(id) && !all) return { stdout: '', stderr: securityException(id), code: 255 };
    if (!d.users.some((u) => u.id === id)) {
      return { stdout: '', stderr: `Error: user ${id} does not exist\n`, code: 255 };
    }
  }
  const lines = [];
  for (const p of d.packages) {
    const installedFor = userIds.filter((id) => p.users.includes(id) && !denied.includes(id));
    const keptFor = o.u ? userIds.filter((id) => p.keptUsers.includes(id)) : [];
    if (installedFor.length === 0 && keptFor.length === 0) continue;
    if (o.s && !p.system) continue;
    if (o.third && p.system) continue;
    const disabled = installedFor.every((id) => (p.enabled[id] ?? 0) >= 2);
    if (o.d && !disabled) continue;
    if (o.e && disabled) continue;
    if (filter && !p.id.includes(filter)) continue;
    let line = `package:${o.f ? `${p.path}=` : ''}${p.id}`;
    if (o.vc) line += ` versionCode:${p.versionCode}`;
    if (o.i) line += `  installer=${p.installer ?? 'null'}`;
    if (o.U) line += ` uid:${[...installedFor, ...keptFor].map((id) => id * 100000 + p.appId).join(',')}`;
    lines.push(line);
  }
  // Android 13+ lists in hash order; keep it deterministic but not sorted.
  if (d.sdk >= 33) lines.sort((a, b) => hashOrder(a) - hashOrder(b));
  return { stdout: lines.map((l) => `${l}\n`).join(''), stderr: '', code: 0 };
}

const hashOrder = (s) => {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 1000003;
  return h;
};

function legacyUnknown(flag) {
  return { stdout: PM_USAGE, stderr: `Error: Unknown option: ${flag}\n`, code: 0 };
}

export function renderDumpsysPackages(d) {
  const modern = d.sdk >= 31;
  const out = ['Package Changes:', '  Sequence number=12', '', 'Packages:'];
  for (const p of d.packages) {
    const inst = (id) => p.users.includes(id);
    out.push(`  Package [${p.id}] (${hashOrder(p.id).toString(16)}):`);
    out.push(`    ${modern ? 'appId' : 'userId'}=${p.appId}`);
    out.push(`    pkg=Package{${hashOrder(`${p.id}x`).toString(16)} ${p.id}}`);
    out.push(`    codePath=${p.path.replace(/\/base\.apk$/, '')}`);
    out.push(`    versionCode=${p.versionCode} minSdk=21 targetSdk=${d.sdk}`);
    out.push(`    versionName=${p.versionName}`);
    out.push(`    flags=[ ${p.system ? 'SYSTEM ' : ''}HAS_CODE ALLOW_CLEAR_USER_DATA ]`);
    out.push(`    timeStamp=${p.firstInstallTime}`);
    if (!modern) out.push(`    firstInstallTime=${p.firstInstallTime}`);
    out.push(`    lastUpdateTime=${p.firstInstallTime}`);
    if (p.installer) out.push(`    installerPackageName=${p.installer}`);
    if (modern && p.installer) out.push(`    initiatingPackageName=${p.installer}`, '    packageSource=0');
    out.push(
      '    signatures=PackageSignatures{4cb6f75 version:2, signatures:[74831dfd], past signatures:[]}',
    );
    out.push(`    pkgFlags=[ ${p.system ? 'SYSTEM ' : ''}HAS_CODE ALLOW_CLEAR_USER_DATA ]`);
    for (const u of d.users) {
      const installed = inst(u.id);
      if (!installed && !p.keptUsers.includes(u.id) && !modern) continue;
      out.push(`    User ${u.id}: ${userState(d.sdk, 1000 + p.appId, installed, p.enabled[u.id] ?? 0)}`);
      if (modern && installed) out.push(`      firstInstallTime=${p.firstInstallTime}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * The per-user state line of `dumpsys package` by Android version. 10–14 as in the device samples
 * (../shared/device-samples: 12+ add distractionFlags=); older layouts from AOSP's dumpPackageLPr
 * as remembered, not from a capture: 5–6 without ceDataInode, 7+ with it, then instant=, virtual=.
 */
function userState(sdk, inode, installed, enabled) {
  if (sdk < 24)
    return ` installed=${installed} hidden=false stopped=false notLaunched=false enabled=${enabled}`;
  const parts = [`ceDataInode=${inode}`, `installed=${installed}`, 'hidden=false', 'suspended=false'];
  if (sdk >= 31) parts.push('distractionFlags=0');
  parts.push('stopped=false', 'notLaunched=false', `enabled=${enabled}`);
  if (sdk >= 26) parts.push('instant=false');
  if (sdk >= 28) parts.push('virtual=false');
  return parts.join(' ');
}
