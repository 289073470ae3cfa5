/**
 * One fixed ScanResult, evaluated from hand-built targets, that every golden reporter test renders.
 * It carries the awkward cases at once: a partial Android listing (work profile scanned, Secure Folder
 * not), a live iPhone, a failed APK, findings of every severity, an applied and an expired waiver,
 * a near-miss note, and hostile strings in labels, device names and paths.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import type { AppRecord, ScanResult, SkippedInput, TargetResult } from '../src/model.js';
import type { ReporterContext } from '../src/reporters/types.js';
import { loadRuleSet } from '../src/ruleset/load.js';
import { Evaluation } from '../src/scan.js';
import { parseWaivers } from '../src/waivers.js';

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

const PACKS = path.join(import.meta.dirname, 'reporters', 'packs');
const NOW = new Date('2026-03-01T09:30:00.000Z');

/**
 * Evaluate targets the way a scan does (rule set, waivers, verdict module), so the goldens show
 * what the scanner really produces rather than a hand-written result that can drift from it.
 */
const evaluated = (
  targets: TargetResult[],
  skipped: SkippedInput[] = [],
  failOn: ScanResult['failOn'] = 'high',
): ScanResult => {
  const ruleSet = loadRuleSet(['ca-gov.yaml', 'in-meity.yaml', 'corp.yaml'].map((f) => path.join(PACKS, f)));
  // Sources as a user would have named them, not this machine's paths.
  ruleSet.sources = ['ca-gov', 'in-meity', './corp-rules.yaml'];
  const waivers = parseWaivers(readFileSync(path.join(PACKS, 'waivers.yaml'), 'utf8'), 'waivers.yaml');
  const evaluation = new Evaluation(ruleSet, { failOn, waivers, now: NOW });
  for (const t of targets) evaluation.add(structuredClone(t));
  for (const x of skipped) evaluation.skip(x);
  return evaluation.finish();
};

/** Inputs a folder scan met and did not read on purpose, hostile path included. */
const SKIPPED: SkippedInput[] = [
  { path: 'evidence/IMG_0042.jpg', reason: 'a JPEG picture', kind: 'not-app-data' },
  { path: `evidence/.git/${HOSTILE.workflow}`, reason: 'version-control folder', kind: 'excluded' },
  {
    path: 'evidence/copy-of-listing.txt',
    reason: 'same file as evidence/R58N12ABC, lab:2.txt',
    kind: 'duplicate',
  },
];

/** The fixed result every golden test renders: three targets, findings of every severity, skips. */
export const fixtureResult: ScanResult = evaluated([androidTarget, iosTarget, apkTarget], SKIPPED);

/** The same scan judged with another `--fail-on` threshold. */
export const evaluatedWith = (failOn: ScanResult['failOn']): ScanResult =>
  evaluated([androidTarget, iosTarget, apkTarget], SKIPPED, failOn);

/** A clean result (everything passes) for the verdict-banner variants. */
export const passingResult: ScanResult = evaluated([
  { ...iosTarget, apps: iosTarget.apps.filter((a) => a.id === 'com.apple.mobilesafari') },
]);

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
