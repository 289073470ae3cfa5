/**
 * One fixed ScanResult, built by hand from the model types, that every golden reporter test renders.
 * It carries the awkward cases at once: a partial Android listing (work profile scanned, Secure Folder
 * not), a live iPhone, a failed APK, findings of every severity, an applied and an expired waiver,
 * a near-miss note, and hostile strings in labels, device names and paths.
 */
import { Chalk } from 'chalk';
import type { AppRecord, Finding, ScanResult, TargetResult } from '../src/model.js';
import type { ReporterContext } from '../src/reporters/types.js';

export const HOSTILE = {
  script: '<script>alert(1)</script>',
  formula: '=HYPERLINK("http://x")',
  osc8: '\u001b]8;;http://evil\u0007',
  workflow: '\r\n::error::pwned',
  rtl: '\u202e',
} as const;

const ANDROID_LISTING = 'evidence/R58N12ABC, lab:2.txt';
const ANDROID_TARGET = ANDROID_LISTING;
const IOS_TARGET = 'ios:00008110-001A2B3C4D5E801E';
const APK_TARGET = 'apps/suspicious.apk';

const TIKTOK_CERT = '4b5c0d9f3e2a1b7c8d6e5f40312a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f21';
const KASPERSKY_CERT = 'a1c2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eaf01';
const SHAREIT_CERT = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

const androidApp = (
  id: string,
  line: number,
  extra: Partial<AppRecord> & Pick<AppRecord, 'publisher'>,
): AppRecord => ({
  platform: 'android',
  id,
  installer: 'com.android.vending',
  system: false,
  enabled: true,
  user: 0,
  origin: { target: ANDROID_TARGET, parser: 'pm-list', path: ANDROID_LISTING, line },
  ...extra,
});

const iosApp = (id: string, extra: Partial<AppRecord> & Pick<AppRecord, 'publisher'>): AppRecord => ({
  platform: 'ios',
  id,
  system: false,
  origin: { target: IOS_TARGET, parser: 'ideviceinstaller-xml' },
  ...extra,
});

const kaspersky = androidApp('com.kms.free', 41, {
  name: `${HOSTILE.formula} Kaspersky`,
  versionName: '11.104.4.10142',
  versionCode: 11104410,
  publisher: { certSha256: [KASPERSKY_CERT], name: 'AO Kaspersky Lab' },
});
const tiktokWork = androidApp('com.zhiliaoapp.musically', 57, {
  name: HOSTILE.script,
  versionName: '34.1.4',
  versionCode: 2023401040,
  user: 10,
  publisher: { certSha256: [TIKTOK_CERT], certLineage: [TIKTOK_CERT], name: 'TikTok Pte. Ltd.' },
});
const shareit = androidApp('com.lenovo.anyshare.gps', 44, {
  name: `${HOSTILE.osc8}SHAREit${HOSTILE.osc8}`,
  versionName: '6.35.58_ww',
  versionCode: 4060358,
  publisher: { certSha256: [SHAREIT_CERT], name: 'Smart Media4U Technology Pte.Ltd.' },
});
const alipay = androidApp('com.eg.android.AlipayGphone', 38, {
  name: `${HOSTILE.rtl}kpa.yapilA`,
  versionName: '10.5.96',
  versionCode: 962,
  publisher: { name: 'Alipay.com Co., Ltd' },
});
const outlook = androidApp('com.microsoft.office.outlook', 46, {
  name: 'Outlook',
  versionName: '4.2414.1',
  publisher: { name: 'Microsoft Corporation' },
});
const wechatLookalike = androidApp('com.Tencent.MM', 39, {
  name: 'WeChat (sideloaded)',
  versionName: '8.0.49',
  installer: 'com.google.android.packageinstaller',
  publisher: {},
});
const workTeams = androidApp('com.microsoft.teams', 58, {
  name: 'Teams',
  user: 10,
  publisher: { name: 'Microsoft Corporation' },
});

const wechatIos = iosApp('com.tencent.xin', {
  name: '微信 WeChat 💬',
  versionName: '8.0.50',
  versionCode: '8.0.50.34',
  publisher: { teamId: '88L2Q4487U', name: 'WeChat' },
  paths: ['/private/var/containers/Bundle/Application/8D2F/WeChat.app'],
});
const rednote = iosApp('com.xingin.discover', {
  name: `小红书 RedNote${HOSTILE.workflow}`,
  versionName: '8.40',
  versionCode: '8400103',
  publisher: { teamId: 'A3SX5X3P7K', name: 'Xingin Information Technology (Shanghai) Co., Ltd.' },
});
const safari = iosApp('com.apple.mobilesafari', {
  name: 'Safari',
  system: true,
  publisher: { teamId: '0000000000', name: 'Apple' },
});

const androidTarget: TargetResult = {
  id: ANDROID_TARGET,
  kind: 'listing',
  status: 'partial',
  error: 'Secure Folder (user 150) could not be listed: SecurityException: Permission Denial',
  format: 'pm-list',
  device: {
    platform: 'android',
    serial: 'R58N12ABC',
    name: `Ops ${HOSTILE.script} phone`,
    manufacturer: 'samsung',
    model: 'SM-S918B',
    osVersion: '14',
    sdk: 34,
    fingerprint: 'samsung/dm3qxxx/dm3q:14/UP1A.231005.007/S918BXXU3BXE1:user/release-keys',
  },
  profiles: [
    { user: 0, kind: 'primary', name: 'Owner', scanned: true },
    { user: 10, kind: 'work', name: 'Work profile', scanned: true },
    {
      user: 150,
      kind: 'secure-folder',
      name: 'Secure Folder',
      scanned: false,
      reason: 'SecurityException: Permission Denial',
    },
  ],
  apps: [alipay, wechatLookalike, kaspersky, shareit, outlook, tiktokWork, workTeams],
  diagnostics: [
    {
      level: 'warning',
      message: 'Secure Folder (user 150) could not be listed',
      path: ANDROID_LISTING,
      line: 61,
    },
  ],
};

const iosTarget: TargetResult = {
  id: IOS_TARGET,
  kind: 'device',
  status: 'scanned',
  format: 'ideviceinstaller-xml',
  device: {
    platform: 'ios',
    udid: '00008110-001A2B3C4D5E801E',
    name: `Zhang Wei 的 iPhone 📱${HOSTILE.rtl}`,
    model: 'iPhone15,2',
    osVersion: '17.5.1',
  },
  apps: [wechatIos, rednote, safari],
  diagnostics: [],
};

const apkTarget: TargetResult = {
  id: APK_TARGET,
  kind: 'apk',
  status: 'failed',
  error: 'not an APK: ZIP end of central directory not found',
  apps: [],
  diagnostics: [{ level: 'error', message: 'ZIP end of central directory not found', path: APK_TARGET }],
};

const findings: Finding[] = [
  {
    ruleId: 'ca-gov.kaspersky',
    severity: 'critical',
    title: 'Kaspersky',
    message: 'Kaspersky products are banned on Government of Canada mobile devices since 2023-10-30.',
    references: ['https://www.canada.ca/en/treasury-board-secretariat/news/2023/10/wechat-kaspersky.html'],
    pack: 'ca-gov',
    target: ANDROID_TARGET,
    app: kaspersky,
    matchedOn: [{ criterion: 'cert-sha256', pattern: KASPERSKY_CERT, value: KASPERSKY_CERT }],
  },
  {
    ruleId: 'ca-gov.tiktok',
    severity: 'high',
    title: 'TikTok',
    message: 'TikTok is banned on Government of Canada devices since 2023-02-28.',
    references: ['https://www.canada.ca/en/treasury-board-secretariat/news/2023/02/tiktok.html'],
    pack: 'ca-gov',
    target: ANDROID_TARGET,
    app: tiktokWork,
    matchedOn: [
      { criterion: 'package', pattern: 'com.zhiliaoapp.musically', value: 'com.zhiliaoapp.musically' },
      { criterion: 'cert-sha256', pattern: TIKTOK_CERT, value: TIKTOK_CERT },
    ],
  },
  {
    ruleId: 'ca-gov.wechat',
    severity: 'high',
    title: 'WeChat',
    message: 'WeChat is banned on Government of Canada mobile devices since 2023-10-30.',
    references: [],
    pack: 'ca-gov',
    target: IOS_TARGET,
    app: wechatIos,
    matchedOn: [{ criterion: 'team-id', pattern: '88L2Q4487U', value: '88L2Q4487U' }],
    waiver: {
      id: 'W-2026-001',
      reason: 'Approved for the China liaison team',
      expires: '2026-12-31',
      approvedBy: 'CISO office',
      ticket: 'SEC-1234',
      status: 'applied',
    },
  },
  {
    ruleId: 'in-meity.shareit',
    severity: 'medium',
    title: 'SHAREit (India MeitY 2020 block list)',
    message: 'SHAREit is on the India MeitY 29 June 2020 list.',
    references: [],
    pack: 'in-meity',
    target: ANDROID_TARGET,
    app: shareit,
    matchedOn: [
      { criterion: 'publisher-name', pattern: 'Smart Media4U*', value: 'Smart Media4U Technology Pte.Ltd.' },
    ],
    waiver: {
      id: 'W-2025-014',
      reason: 'File transfer pilot',
      expires: '2025-12-31',
      status: 'expired',
    },
  },
  {
    ruleId: 'corp.social.rednote',
    severity: 'low',
    title: 'RedNote | Xiaohongshu',
    message: 'Social apps are discouraged on corporate phones.',
    references: [],
    pack: 'corp',
    target: IOS_TARGET,
    app: rednote,
    matchedOn: [{ criterion: 'package', pattern: 'com.xingin.*', value: 'com.xingin.discover' }],
  },
  {
    ruleId: 'corp.payments.alipay',
    severity: 'info',
    title: 'Alipay',
    message: 'Payment apps are recorded for the inventory.',
    references: [],
    pack: 'corp',
    target: ANDROID_TARGET,
    app: alipay,
    matchedOn: [
      { criterion: 'package', pattern: 'com.eg.android.AlipayGphone', value: 'com.eg.android.AlipayGphone' },
    ],
  },
];

const notes: Finding[] = [
  {
    ruleId: 'ca-gov.wechat',
    severity: 'high',
    title: 'WeChat',
    message: 'Package id differs from the rule only by case; not matched.',
    references: [],
    pack: 'ca-gov',
    target: ANDROID_TARGET,
    app: wechatLookalike,
    matchedOn: [],
    nearMiss: 'com.tencent.mm',
  },
];

/** The fixed result every golden test renders. Counts agree with the lists above (the tests check). */
export const fixtureResult: ScanResult = {
  result: 'fail',
  exitCode: 1,
  failOn: 'high',
  startedAt: '2026-03-01T09:30:00.000Z',
  rules: {
    sources: ['ca-gov', 'in-meity', './corp-rules.yaml'],
    count: 42,
    mode: 'denylist',
    ids: ['ca-gov.tiktok', 'ca-gov.wechat', 'ca-gov.kaspersky'],
  },
  targets: [androidTarget, iosTarget, apkTarget],
  findings,
  notes,
  waivers: [
    {
      id: 'W-2026-001',
      reason: 'Approved for the China liaison team',
      expires: '2026-12-31',
      approvedBy: 'CISO office',
      ticket: 'SEC-1234',
      expired: false,
      uses: 1,
    },
    { id: 'W-2025-014', reason: 'File transfer pilot', expires: '2025-12-31', expired: true, uses: 1 },
  ],
  summary: {
    targets: 3,
    targetsScanned: 1,
    targetsPartial: 1,
    targetsFailed: 1,
    apps: 10,
    findings: 6,
    failing: 2,
    waived: 1,
    bySeverity: { critical: 1, high: 2, medium: 1, low: 1, info: 1 },
  },
};

/** A clean result (everything passes) for the verdict-banner variants. */
export const passingResult: ScanResult = {
  ...fixtureResult,
  result: 'pass',
  exitCode: 0,
  targets: [iosTarget],
  findings: [],
  notes: [],
  waivers: [],
  summary: {
    targets: 1,
    targetsScanned: 1,
    targetsPartial: 0,
    targetsFailed: 0,
    apps: 3,
    findings: 0,
    failing: 0,
    waived: 0,
    bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
  },
};

/** Colour off, fixed version: what golden files are rendered with. */
export const fixtureContext = (overrides: Partial<ReporterContext> = {}): ReporterContext => ({
  chalk: new Chalk({ level: 0 }),
  version: '0.1.0',
  includeInventory: false,
  ...overrides,
});

const BIDI_CONTROLS = new Set([
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
]);

/** C0/C1 controls, DEL or bidi controls in `text`, other than the characters listed in `allow`. */
export const hasUnsafeChar = (text: string, allow = ''): boolean =>
  [...text].some((c) => {
    if (allow.includes(c)) return false;
    const n = c.codePointAt(0) ?? 0;
    return n < 0x20 || (n >= 0x7f && n <= 0x9f) || BIDI_CONTROLS.has(n);
  });
