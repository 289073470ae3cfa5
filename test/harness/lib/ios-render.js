// What libimobiledevice tools print, per device-formats.md.

const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function plistValue(v, indent) {
  const pad = '\t'.repeat(indent);
  if (typeof v === 'boolean') return `${pad}<${v}/>`;
  if (typeof v === 'number') return `${pad}<integer>${v}</integer>`;
  if (Array.isArray(v))
    return `${pad}<array>\n${v.map((x) => plistValue(x, indent + 1)).join('\n')}\n${pad}</array>`;
  if (v && typeof v === 'object') {
    const body = Object.entries(v)
      .map(([k, x]) => `${pad}\t<key>${xmlEscape(k)}</key>\n${plistValue(x, indent + 1)}`)
      .join('\n');
    return `${pad}<dict>\n${body}\n${pad}</dict>`;
  }
  // libplist writes control characters (ESC, bidi overrides) raw, exactly as the app declares them.
  return `${pad}<string>${xmlEscape(v)}</string>`;
}

export function appDict(app) {
  const team = app.team;
  const dict = {
    ApplicationType: app.type ?? 'User',
    CFBundleDisplayName: app.name,
    CFBundleExecutable: app.executable ?? 'App',
    CFBundleIdentifier: app.id,
    CFBundleName: app.bundleName ?? app.name,
    CFBundleShortVersionString: app.version ?? '1.0',
    CFBundleVersion: app.build ?? app.version ?? '1',
    Container: `/private/var/mobile/Containers/Data/Application/${app.container ?? '0000'}`,
    Path: `/private/var/containers/Bundle/Application/${app.container ?? '0000'}/${app.executable ?? 'App'}.app`,
    IsAppClip: app.appClip ?? false,
  };
  if (team) {
    dict.Entitlements = {
      'application-identifier': `${team}.${app.id}`,
      'com.apple.developer.team-identifier': team,
    };
    dict.SignerIdentity = 'Apple iPhone OS Application Signing';
  }
  return dict;
}

export function renderXml(apps) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${plistValue(apps.map(appDict), 0)}\n</plist>\n`;
}

export function renderText(apps, version) {
  const modern = !version.startsWith('1.1');
  const head = `CFBundleIdentifier, ${modern ? 'CFBundleShortVersionString' : 'CFBundleVersion'}, CFBundleDisplayName`;
  return `${[head, ...apps.map((a) => `${a.id}, "${modern ? (a.version ?? '1.0') : (a.build ?? a.version ?? '1')}", "${a.name}"`)].join('\n')}\n`;
}

export function renderInfo(device) {
  const info = {
    DeviceClass: 'iPhone',
    DeviceName: 'iPhone',
    ProductType: 'iPhone14,2',
    ProductVersion: '17.5.1',
    BuildVersion: '21F90',
    UniqueDeviceID: device.udid,
    ...device.info,
  };
  return Object.entries(info)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
}

export const USAGE_111 = `Usage: ideviceinstaller OPTIONS

Manage apps on iOS devices.

OPTIONS:
  -u, --udid UDID\tTarget specific device by UDID.
  -n, --network\t\tConnect to network device.
  -l, --list-apps\tList apps, possible options:
       -o list_user\t- list user apps only (this is the default)
       -o list_system\t- list system apps only
       -o list_all\t- list all types of apps
       -o xml\t\t- print full output as xml plist
  -h, --help\t\tprints usage information
  -v, --version\t\tprint version information
`;

export const USAGE_12 = `Usage: ideviceinstaller [OPTIONS] COMMAND

Manage apps on iOS devices.

COMMANDS:
  list               List installed apps
    -b, --bundle-identifier BUNDLEID  Only query given bundle identifier
    --user           List user apps only (this is the default)
    --system         List system apps only
    --all            List all types of apps
    --xml            Print output as XML Property List
    --json           Print output as JSON
  install PATH       Install app from a package file specified by PATH.

OPTIONS:
  -u, --udid UDID    Target specific device by UDID
  -n, --network      Connect to network device
  -h, --help         Print usage information
  -v, --version      Print version information
`;
