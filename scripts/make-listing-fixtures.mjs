#!/usr/bin/env node
// Generates the saved-listing fixtures that are tedious or impossible to write by hand (exact bytes:
// BOM, CRLF, ANSI escapes, bidi overrides; every pm-list flag combination) and the demo inputs.
// Run from the repository root: `node scripts/make-listing-fixtures.mjs`. Output is deterministic.
// All content is written here in the formats documented in ../shared/reference/device-formats.md (the reference notes beside the repository);
// nothing is copied from captured samples. Certificate digests are synthetic (sha256 of a label)
// except TikTok's, which is the published certificate A (ban-lists.md §2.1, confidence High).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = process.cwd();
const write = (rel, content) => {
  const path = join(root, 'fixtures', rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
};
const hex = (label) => createHash('sha256').update(label).digest('hex');
const rand = (label, n, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') => {
  const h = createHash('sha256').update(label).digest();
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[h[i % h.length] % alphabet.length];
  return s;
};
const dataAppPath = (pkg) => `/data/app/~~${rand(`a${pkg}`, 22)}==/${pkg}-${rand(`b${pkg}`, 22)}==/base.apk`;
const colonHex = (h) => h.toUpperCase().match(/../g).join(':');

// TikTok certificate A (musical.ly lineage, signs com.zhiliaoapp.musically): ban-lists.md §2.1, High.
const TIKTOK_CERT_A = '9041803e91bcb814b4b4399fb5c85a91640b755e5e8ba76813814bf4cf2ab5ba';

// ---------------------------------------------------------------------------------------------
// pm list: every combination of the field flags, and the filter flags
const PM_APPS = [
  {
    id: 'com.android.settings',
    path: '/system/priv-app/Settings/Settings.apk',
    vc: 34,
    inst: null,
    uid: 1000,
    sys: true,
  },
  {
    id: 'com.google.android.gms',
    path: '/product/priv-app/PrebuiltGmsCore/PrebuiltGmsCore.apk',
    vc: 243333044,
    inst: 'com.android.vending',
    uid: 10123,
    sys: true,
  },
  {
    id: 'org.mozilla.firefox',
    path: dataAppPath('org.mozilla.firefox'),
    vc: 2016024559,
    inst: 'com.android.vending',
    uid: 10201,
    sys: false,
  },
  {
    id: 'com.whatsapp',
    path: dataAppPath('com.whatsapp'),
    vc: 241179004,
    inst: 'com.android.vending',
    uid: 10202,
    sys: false,
  },
];
const fieldFlags = ['-f', '-i', '-U', '--show-versioncode'];
let allFlags = '';
for (let mask = 0; mask < 16; mask++) {
  const flags = fieldFlags.filter((_, i) => mask & (1 << i));
  allFlags += `${`$ adb shell pm list packages ${flags.join(' ')}`.trimEnd()}\n`;
  for (const a of PM_APPS) {
    let line = 'package:';
    if (flags.includes('-f')) line += `${a.path}=`;
    line += a.id;
    if (flags.includes('--show-versioncode')) line += ` versionCode:${a.vc}`;
    if (flags.includes('-i')) line += `  installer=${a.inst ?? 'null'}`;
    if (flags.includes('-U')) line += ` uid:${a.uid}`;
    allFlags += `${line}\n`;
  }
}
write('listings/pm-list/all-field-flags.txt', allFlags);

// Filter flags: -d (disabled), -e (enabled), -s (system), -3 (third party), each with -f -U.
write(
  'listings/pm-list/filter-flags.txt',
  [
    'generic_x86_64:/ $ pm list packages -d -f -U',
    'package:/system/app/BasicDreams/BasicDreams.apk=com.android.dreams.basic uid:10061',
    `package:${dataAppPath('com.facebook.katana')}=com.facebook.katana uid:10240`,
    'generic_x86_64:/ $ pm list packages -e -3 -f',
    `package:${dataAppPath('org.mozilla.firefox')}=org.mozilla.firefox`,
    `package:${dataAppPath('com.whatsapp')}=com.whatsapp`,
    'generic_x86_64:/ $ pm list packages -s',
    'package:com.android.settings',
    'package:com.android.phone',
    'generic_x86_64:/ $ pm list packages -3',
    'package:org.mozilla.firefox',
    'package:com.whatsapp',
    'package:com.facebook.katana',
    'generic_x86_64:/ $ exit',
    '',
  ].join('\n'),
);

// A Windows capture: PowerShell redirect wrote a UTF-8 BOM and the pty turned \n into \r\n.
write(
  'listings/pm-list/crlf-bom.txt',
  `\uFEFF${[
    'package:/system/app/Chrome/Chrome.apk=com.android.chrome versionCode:640915433  installer=com.android.vending uid:10145',
    `package:${dataAppPath('com.tencent.mm')}=com.tencent.mm versionCode:2680  installer=com.android.vending uid:10230`,
    `package:${dataAppPath('com.microsoft.teams')}=com.microsoft.teams versionCode:2024243901  installer=com.android.vending uid:10231`,
    '',
  ].join('\r\n')}`,
);

// ---------------------------------------------------------------------------------------------
// ideviceinstaller text with hostile display names (exact bytes matter, so they are generated)
const hostileRows = [
  ['com.example.commas', '1.0', 'Notes, Lists, and "Things"'],
  ['com.example.ansi', '2.3.1', 'Red \u001b[31mALERT\u001b[0m App'],
  ['com.example.rtl', '4.0', 'Invoice \u202Egpj.exe'],
  ['com.example.emoji', '10.2', 'Pizza 🍕 Finder 👩‍👩‍👧'],
  ['com.example.quote', '1', '"'],
  ['com.example.trailing', '3.2', 'Ends with a quote"'],
  ['com.example.empty', '1.0', ''],
  ['ru.example.wallet', '6.63', 'Кошелёк'],
];
write(
  'listings/ideviceinstaller/v1.2-hostile.txt',
  `CFBundleIdentifier, CFBundleShortVersionString, CFBundleDisplayName\n${hostileRows
    .map(([id, v, n]) => `${id}, "${v}", "${n}"`)
    .join('\n')}\n`,
);
write(
  'listings/ideviceinstaller/v1.1-hostile.txt',
  `CFBundleIdentifier, CFBundleVersion, CFBundleDisplayName\n${hostileRows
    .map(([id, , n], i) => `${id}, "${i === 1 ? '2024.05.1' : String(100 + i)}", "${n}"`)
    .join('\n')}\n`,
);

// ---------------------------------------------------------------------------------------------
// Demo: Pixel 8 with a work profile; WeChat only in the work profile
const pixelProps = [
  ['ro.boot.serialno', '38211FDJH00ABC'],
  ['ro.build.fingerprint', 'google/shiba/shiba:14/AP2A.240805.005/12025142:user/release-keys'],
  ['ro.build.version.release', '14'],
  ['ro.build.version.sdk', '34'],
  ['ro.product.brand', 'google'],
  ['ro.product.device', 'shiba'],
  ['ro.product.manufacturer', 'Google'],
  ['ro.product.model', 'Pixel 8'],
  ['ro.product.name', 'shiba'],
  ['ro.serialno', '38211FDJH00ABC'],
];
// [package, partition path or null for /data/app, versionCode, installer, appId, users: 'both'|'owner'|'work']
const pixelApps = [
  ['android', '/system/framework/framework-res.apk', 34, null, 1000, 'both'],
  ['com.android.settings', '/system_ext/priv-app/SettingsGoogle/SettingsGoogle.apk', 34, null, 1000, 'both'],
  [
    'com.android.systemui',
    '/system_ext/priv-app/SystemUIGoogle/SystemUIGoogle.apk',
    34,
    null,
    10190,
    'owner',
  ],
  ['com.android.phone', '/system/priv-app/TeleService/TeleService.apk', 34, null, 1001, 'owner'],
  [
    'com.android.providers.contacts',
    '/system/priv-app/ContactsProvider/ContactsProvider.apk',
    34,
    null,
    10012,
    'both',
  ],
  [
    'com.android.providers.media.module',
    '/apex/com.android.mediaprovider/priv-app/MediaProviderGoogle@340818020/MediaProviderGoogle.apk',
    340818020,
    null,
    10176,
    'both',
  ],
  [
    'com.android.bluetooth',
    '/apex/com.android.btservices/app/Bluetooth@340815000/Bluetooth.apk',
    34,
    null,
    1002,
    'owner',
  ],
  ['com.android.nfc', '/system/app/NfcNci/NfcNci.apk', 34, null, 1027, 'owner'],
  ['com.android.shell', '/system/priv-app/Shell/Shell.apk', 34, null, 2000, 'both'],
  ['com.android.vending', '/product/priv-app/Phonesky/Phonesky.apk', 84122130, null, 10150, 'both'],
  [
    'com.google.android.gms',
    '/product/priv-app/PrebuiltGmsCore/PrebuiltGmsCore.apk',
    243333044,
    'com.android.vending',
    10151,
    'both',
  ],
  [
    'com.google.android.gsf',
    '/product/priv-app/GoogleServicesFramework/GoogleServicesFramework.apk',
    34,
    null,
    10151,
    'both',
  ],
  [
    'com.google.android.apps.nexuslauncher',
    '/system_ext/priv-app/NexusLauncherRelease/NexusLauncherRelease.apk',
    34,
    null,
    10191,
    'owner',
  ],
  [
    'com.google.android.apps.photos',
    '/product/app/Photos/Photos.apk',
    48337801,
    'com.android.vending',
    10160,
    'owner',
  ],
  [
    'com.google.android.apps.maps',
    '/product/app/Maps/Maps.apk',
    1069421303,
    'com.android.vending',
    10161,
    'both',
  ],
  [
    'com.google.android.gm',
    '/product/app/PrebuiltGmail/PrebuiltGmail.apk',
    64996393,
    'com.android.vending',
    10162,
    'both',
  ],
  [
    'com.google.android.calendar',
    '/product/app/CalendarGooglePrebuilt/CalendarGooglePrebuilt.apk',
    2024358301,
    'com.android.vending',
    10163,
    'both',
  ],
  [
    'com.google.android.contacts',
    '/product/app/GoogleContacts/GoogleContacts.apk',
    4425436,
    'com.android.vending',
    10164,
    'both',
  ],
  [
    'com.google.android.dialer',
    '/product/priv-app/GoogleDialer/GoogleDialer.apk',
    17080345,
    'com.android.vending',
    10165,
    'owner',
  ],
  [
    'com.google.android.apps.messaging',
    '/product/app/PrebuiltBugle/PrebuiltBugle.apk',
    209420040,
    'com.android.vending',
    10166,
    'owner',
  ],
  [
    'com.google.android.youtube',
    '/product/app/YouTube/YouTube.apk',
    1544019392,
    'com.android.vending',
    10167,
    'owner',
  ],
  [
    'com.google.android.apps.youtube.music',
    '/product/app/YouTubeMusicPrebuilt/YouTubeMusicPrebuilt.apk',
    70352240,
    'com.android.vending',
    10168,
    'owner',
  ],
  ['com.android.chrome', '/product/app/Chrome/Chrome.apk', 661308833, 'com.android.vending', 10169, 'both'],
  [
    'com.google.android.webview',
    '/product/app/WebViewGoogle/WebViewGoogle.apk',
    661308833,
    'com.android.vending',
    10170,
    'both',
  ],
  [
    'com.google.android.apps.docs',
    '/product/app/Drive/Drive.apk',
    223380051,
    'com.android.vending',
    10171,
    'both',
  ],
  [
    'com.google.android.keep',
    '/product/app/PrebuiltKeep/PrebuiltKeep.apk',
    242800404,
    'com.android.vending',
    10172,
    'owner',
  ],
  [
    'com.google.android.apps.wellbeing',
    '/product/priv-app/WellbeingPrebuilt/WellbeingPrebuilt.apk',
    1216,
    null,
    10173,
    'owner',
  ],
  [
    'com.google.android.GoogleCamera',
    '/product/app/GoogleCamera/GoogleCamera.apk',
    66136220,
    'com.android.vending',
    10174,
    'owner',
  ],
  [
    'com.google.android.apps.work.clouddpc',
    '/product/app/CloudDPC/CloudDPC.apk',
    241880000,
    'com.android.vending',
    10175,
    'both',
  ],
  [
    'com.google.android.inputmethod.latin',
    '/product/app/LatinIMEGooglePrebuilt/LatinIMEGooglePrebuilt.apk',
    141500400,
    'com.android.vending',
    10177,
    'both',
  ],
  [
    'com.google.android.tts',
    '/product/app/GoogleTTS/GoogleTTS.apk',
    210316004,
    'com.android.vending',
    10178,
    'owner',
  ],
  [
    'com.google.android.apps.walletnfcrel',
    '/product/app/WalletPrebuilt/WalletPrebuilt.apk',
    925103302,
    'com.android.vending',
    10179,
    'owner',
  ],
  [
    'com.google.android.apps.safetyhub',
    '/product/priv-app/SafetyHubPrebuilt/SafetyHubPrebuilt.apk',
    2024071701,
    null,
    10180,
    'owner',
  ],
  [
    'com.google.android.documentsui',
    '/apex/com.android.permission/priv-app/GoogleDocumentsUIPrebuilt/GoogleDocumentsUIPrebuilt.apk',
    340916000,
    null,
    10181,
    'both',
  ],
  [
    'com.google.android.permissioncontroller',
    '/apex/com.android.permission/priv-app/GooglePermissionController@340915000/GooglePermissionController.apk',
    340915000,
    null,
    10182,
    'both',
  ],
  [
    'com.google.android.packageinstaller',
    '/system/priv-app/GooglePackageInstaller/GooglePackageInstaller.apk',
    34,
    null,
    10183,
    'both',
  ],
  [
    'com.google.android.apps.tachyon',
    '/product/app/Meet/Meet.apk',
    1233,
    'com.android.vending',
    10184,
    'owner',
  ],
  ['com.google.ar.core', '/product/app/arcore/arcore.apk', 241490146, 'com.android.vending', 10185, 'owner'],
  [
    'com.google.android.projection.gearhead',
    '/product/priv-app/AndroidAutoStubPrebuilt/AndroidAutoStubPrebuilt.apk',
    124073734,
    'com.android.vending',
    10186,
    'owner',
  ],
  ['com.spotify.music', null, 120508477, 'com.android.vending', 10240, 'owner'],
  ['com.whatsapp', null, 241179004, 'com.android.vending', 10241, 'owner'],
  ['org.mozilla.firefox', null, 2016024559, 'com.android.vending', 10242, 'owner'],
  ['com.shazam.android', null, 1407062, 'com.android.vending', 10243, 'owner'],
  ['com.duolingo', null, 1940, 'com.android.vending', 10244, 'owner'],
  ['ca.bnc.android', null, 30303, 'com.android.vending', 10245, 'owner'],
  ['com.rbc.mobile.android', null, 8210, 'com.android.vending', 10246, 'owner'],
  ['ca.gc.cra.mobile', null, 414, 'com.android.vending', 10247, 'owner'],
  ['com.transitapp.android', null, 5120306, 'com.android.vending', 10248, 'owner'],
  ['com.ubercab', null, 502800, 'com.android.vending', 10249, 'owner'],
  ['org.thoughtcrime.securesms', null, 146701, 'com.android.vending', 10250, 'owner'],
  ['com.strava', null, 1374214, 'com.android.vending', 10251, 'owner'],
  ['com.microsoft.windowsintune.companyportal', null, 5474102, 'com.android.vending', 10252, 'both'],
  ['com.microsoft.office.outlook', null, 4826513, 'com.android.vending', 10253, 'work'],
  ['com.microsoft.teams', null, 2024243901, 'com.android.vending', 10254, 'work'],
  ['com.microsoft.office.officehubrow', null, 2005436201, 'com.android.vending', 10255, 'work'],
  ['com.microsoft.skydrive', null, 2007140903, 'com.android.vending', 10256, 'work'],
  ['com.azure.authenticator', null, 20241005, 'com.android.vending', 10257, 'both'],
  ['com.slack', null, 2480101, 'com.android.vending', 10258, 'work'],
  ['com.cisco.webex.meetings', null, 4464012, 'com.android.vending', 10259, 'work'],
  ['com.tencent.mm', null, 2680, 'com.android.vending', 10260, 'work'],
];
// Android 13+ lists --user all in hash order; a stable shuffle keeps the fixture realistic.
const shuffled = [...pixelApps].sort((a, b) => hex(`order${a[0]}`).localeCompare(hex(`order${b[0]}`)));
const pmLine = ([pkg, path, vc, inst, appId, users]) => {
  const uids = [];
  if (users !== 'work') uids.push(appId);
  if (users !== 'owner') uids.push(1000000 + appId);
  const apk = path ?? dataAppPath(pkg);
  return `package:${apk}=${pkg} versionCode:${vc}  installer=${inst ?? 'null'} uid:${uids.join(',')}`;
};
write(
  'demo/pixel-8-work-profile.txt',
  [
    'shiba:/ $ getprop | grep -E "ro.product|ro.build.version|ro.build.fingerprint|serialno"',
    ...pixelProps.map(([k, v]) => `[${k}]: [${v}]`),
    'shiba:/ $ pm list users',
    'Users:',
    '\tUserInfo{0:Owner:4c13} running',
    '\tUserInfo{10:Work profile:1030} running',
    'shiba:/ $ pm list packages -f -i -U --show-versioncode --user all',
    ...shuffled.map(pmLine),
    'shiba:/ $ exit',
    '',
  ].join('\n'),
);

// A clean tablet: Android 12 (one user, ordered output, per-user default), nothing banned.
const tabletApps = pixelApps
  .filter(([pkg, , , , , users]) => users !== 'work' && pkg !== 'com.tencent.mm')
  .slice(0, 30);
write(
  'demo/clean-tablet.txt',
  [
    '# Lenovo Tab M10 (TB-X306F), Android 12 - saved with:',
    '#   adb shell getprop ro.product.model; adb shell pm list packages -f -i -U --show-versioncode',
    '[ro.product.manufacturer]: [LENOVO]',
    '[ro.product.model]: [Lenovo TB-X306F]',
    '[ro.build.version.release]: [12]',
    '[ro.build.version.sdk]: [31]',
    ...[...tabletApps]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(
        ([pkg, path, vc, inst, appId]) =>
          `package:${path ?? dataAppPath(pkg)}=${pkg} versionCode:${vc}  installer=${inst ?? 'null'} uid:${appId}`,
      ),
    '',
  ].join('\n'),
);

// ---------------------------------------------------------------------------------------------
// Demo: Galaxy S23 androidqf packages.json with a re-signed TikTok under another name
const certFor = (publisher, subject) => {
  const sha256 = publisher === 'tiktok' ? TIKTOK_CERT_A : hex(`demo-cert:${publisher}`);
  return {
    Md5: hex(`md5:${publisher}`).slice(0, 32),
    Sha1: hex(`sha1:${publisher}`).slice(0, 40),
    Sha256: sha256,
    ValidFrom: '2015-03-11T09:21:44Z',
    ValidTo: '2045-03-03T09:21:44Z',
    Issuer: subject,
    Subject: subject,
    SignatureAlgorithm: 'SHA256-RSA',
    SerialNumber: Number.parseInt(hex(`serial:${publisher}`).slice(0, 8), 16),
  };
};
const SUBJECTS = {
  google: 'C=US, ST=California, L=Mountain View, O=Google Inc., OU=Android, CN=Android',
  samsung: 'C=KR, ST=South Korea, L=Suwon City, O=Samsung Corporation, OU=DMC, CN=Samsung Cert',
  tiktok: 'C=CN, ST=Beijing, L=Beijing, O=Musical.ly, OU=Musical.ly, CN=Musical.ly',
  meta: 'C=US, ST=CA, L=Palo Alto, O=Facebook Mobile, OU=Facebook, CN=Facebook Corporation',
  whatsapp: 'C=US, ST=California, L=Santa Clara, O=WhatsApp Inc., OU=Engineering, CN=Brian Acton',
  microsoft:
    'C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, OU=Microsoft Corporation, CN=Microsoft Corporation',
  tencentx: 'C=SG, ST=Singapore, L=Singapore, O=TencentX Games Studio, OU=Mobile, CN=TencentX',
  modder: 'C=US, ST=Unknown, L=Unknown, O=Unknown, OU=Unknown, CN=Unknown',
};
// [package, publisher, installer, appId, system, splits]
const galaxyApps = [
  ['com.samsung.android.app.contacts', 'samsung', 'null', 10120, true, 0],
  ['com.samsung.android.dialer', 'samsung', 'null', 10121, true, 0],
  ['com.samsung.android.messaging', 'samsung', 'null', 10122, true, 0],
  ['com.sec.android.app.camera', 'samsung', 'null', 10123, true, 0],
  ['com.sec.android.gallery3d', 'samsung', 'null', 10124, true, 0],
  ['com.sec.android.app.sbrowser', 'samsung', 'com.sec.android.app.samsungapps', 10125, true, 1],
  ['com.sec.android.app.samsungapps', 'samsung', 'null', 10126, true, 0],
  ['com.samsung.android.app.notes', 'samsung', 'com.sec.android.app.samsungapps', 10127, true, 0],
  ['com.samsung.android.calendar', 'samsung', 'null', 10128, true, 0],
  ['com.samsung.android.knox.containercore', 'samsung', 'null', 10129, true, 0],
  ['com.samsung.android.lool', 'samsung', 'null', 10130, true, 0],
  ['com.sec.android.app.myfiles', 'samsung', 'null', 10131, true, 0],
  ['com.samsung.android.spay', 'samsung', 'com.sec.android.app.samsungapps', 10132, true, 2],
  ['com.samsung.android.bixby.agent', 'samsung', 'null', 10133, true, 0],
  ['com.samsung.android.app.tips', 'samsung', 'null', 10134, true, 0],
  ['com.android.vending', 'google', 'null', 10140, true, 0],
  ['com.google.android.gms', 'google', 'com.android.vending', 10141, true, 3],
  ['com.google.android.gm', 'google', 'com.android.vending', 10142, true, 2],
  ['com.google.android.youtube', 'google', 'com.android.vending', 10143, true, 3],
  ['com.google.android.apps.maps', 'google', 'com.android.vending', 10144, true, 3],
  ['com.android.chrome', 'google', 'com.android.vending', 10145, true, 2],
  ['com.google.android.apps.messaging', 'google', 'com.android.vending', 10146, true, 2],
  ['com.google.android.apps.photos', 'google', 'com.android.vending', 10147, true, 2],
  ['com.google.android.googlequicksearchbox', 'google', 'com.android.vending', 10148, true, 3],
  ['com.google.android.webview', 'google', 'com.android.vending', 10149, true, 0],
  ['com.google.android.inputmethod.latin', 'google', 'com.android.vending', 10150, false, 2],
  ['com.google.android.apps.docs', 'google', 'com.android.vending', 10151, true, 2],
  ['com.whatsapp', 'whatsapp', 'com.android.vending', 10260, false, 0],
  ['com.facebook.katana', 'meta', 'com.android.vending', 10261, false, 3],
  ['com.instagram.android', 'meta', 'com.android.vending', 10262, false, 3],
  ['com.facebook.orca', 'meta', 'com.android.vending', 10263, false, 2],
  ['com.microsoft.office.outlook', 'microsoft', 'com.android.vending', 10264, false, 2],
  ['com.microsoft.teams', 'microsoft', 'com.android.vending', 10265, false, 2],
  ['com.azure.authenticator', 'microsoft', 'com.android.vending', 10266, false, 0],
  ['com.google.android.apps.authenticator2', 'google', 'com.android.vending', 10267, false, 0],
  ['com.spotify.music', 'spotify', 'com.android.vending', 10268, false, 2],
  ['org.mozilla.firefox', 'mozilla', 'com.android.vending', 10269, false, 2],
  ['com.example.tiktok.lite.mod', 'tiktok', 'com.sec.android.app.sbrowser', 10270, false, 0],
  ['com.tencentx.app', 'tencentx', 'com.google.android.packageinstaller', 10271, false, 0],
  ['com.example.flashlight', 'modder', 'com.google.android.packageinstaller', 10272, false, 0],
];
const qfFile = (pkg, name, publisher) => {
  const path =
    pkg.startsWith('com.sec') || pkg.startsWith('com.samsung')
      ? `/system/priv-app/${pkg.split('.').pop()}/${name}`
      : `${dataAppPath(pkg).replace(/base\.apk$/, '')}${name}`;
  const subject =
    SUBJECTS[publisher] ?? `C=US, O=${publisher[0].toUpperCase()}${publisher.slice(1)}, CN=${publisher}`;
  return {
    path,
    local_name: '',
    md5: hex(`f-md5:${pkg}/${name}`).slice(0, 32),
    sha1: hex(`f-sha1:${pkg}/${name}`).slice(0, 40),
    sha256: hex(`f-sha256:${pkg}/${name}`),
    sha512: hex(`f-sha512a:${pkg}/${name}`) + hex(`f-sha512b:${pkg}/${name}`),
    error: '',
    verified_certificate: true,
    certificate: certFor(publisher, subject),
    certificate_error: '',
    trusted_certificate: publisher === 'google' || publisher === 'samsung',
  };
};
const galaxy = galaxyApps.map(([pkg, publisher, installer, appId, system, splits]) => {
  const names = [
    'base.apk',
    ...['split_config.arm64_v8a.apk', 'split_config.en.apk', 'split_config.xxhdpi.apk'].slice(0, splits),
  ];
  return {
    name: pkg,
    files: names.map((n) => qfFile(pkg, n, publisher)),
    installer,
    uid: appId,
    disabled: pkg === 'com.samsung.android.bixby.agent',
    system,
    third_party: !system,
  };
});
write('demo/galaxy-s23-androidqf.json', `${JSON.stringify(galaxy, null, 2)}\n`);

// ---------------------------------------------------------------------------------------------
// Demo: iPhone 15, ideviceinstaller 1.2 `list --xml`. Team IDs of third-party apps are synthetic
// (DEMO… prefix): Kaspersky's real Team ID is not known (ban-lists.md §2.3).
const xmlEscape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const iosApps = [
  // [bundle, name, short, build, type, team|null, signer]
  ['com.apple.mobilesafari', 'Safari', '17.5', '8618.2.12.10.5', 'System', null],
  ['com.apple.mobilemail', 'Mail', '17.5', '3774.600.62', 'System', null],
  ['com.apple.MobileSMS', 'Messages', '17.5', '1300.600.31', 'System', null],
  ['com.apple.mobilecal', 'Calendar', '17.5', '1284.6.1', 'System', null],
  ['com.apple.camera', 'Camera', '17.5', '1', 'System', null],
  ['com.apple.mobileslideshow', 'Photos', '17.5', '720.5.130', 'System', null],
  ['com.apple.Preferences', 'Settings', '17.5', '1', 'System', null],
  ['com.apple.AppStore', 'App Store', '17.5', '1', 'System', null],
  ['com.apple.Maps', 'Maps', '17.5', '2079.14.7.21.3', 'System', null],
  ['com.apple.Health', 'Health', '17.5', '1', 'System', null],
  ['com.google.Gmail', 'Gmail', '6.0.240512', '6.0.240512', 'User', 'DEMOGOOGL1'],
  ['com.google.chrome.ios', 'Chrome', '125.0.6422.80', '6422.80', 'User', 'DEMOGOOGL1'],
  ['com.microsoft.Office.Outlook', 'Outlook', '4.2419.0', '4.2419.0', 'User', 'DEMOMSFT01'],
  ['com.microsoft.skype.teams', 'Microsoft Teams', '6.11.1', '6.11.1.6', 'User', 'DEMOMSFT01'],
  ['com.microsoft.azureauthenticator', 'Authenticator', '6.8.9', '6.8.9.1', 'User', 'DEMOMSFT01'],
  ['net.whatsapp.WhatsApp', 'WhatsApp', '24.10.74', '241074004', 'User', 'DEMOWHATS1'],
  ['com.spotify.client', 'Spotify', '8.9.44', '8.9.44.504', 'User', 'DEMOSPOTI1'],
  ['org.whispersystems.signal', 'Signal', '7.11', '7.11.0.3', 'User', 'DEMOSIGNL1'],
  ['ca.gc.cra.mobile', 'CRA Mobile', '2.4.1', '241', 'User', 'DEMOCRAGC1'],
  ['com.ubercab.UberClient', 'Uber', '3.612.10000', '3.612.10000.1', 'User', 'DEMOUBER01'],
  ['com.duolingo.DuolingoMobile', 'Duolingo', '7.24.0', '7.24.0.3', 'User', 'DEMODUOL01'],
  ['com.transitapp.transit', 'Transit', '5.17.2', '5172', 'User', 'DEMOTRANS1'],
  ['com.example.hostile', 'Notes, Lists & "Things" <b> \u202Etxt.exe 🍕', '1.0', '1', 'User', 'DEMOHOSTL1'],
  ['com.kaspersky.passwordmanager', 'Kaspersky Password Manager', '9.5.1', '9.5.1.14', 'User', 'DEMOKASPR1'],
  ['com.example.appclip.Clip', 'Example Clip', '1.2', '12', 'User', 'DEMOCLIP01'],
];
const iosDict = ([bundle, name, short, build, type, team]) => {
  const exe = name.replace(/[^A-Za-z]/g, '') || 'App';
  const uuid = rand(`uuid${bundle}`, 32, '0123456789ABCDEF').replace(
    /^(.{8})(.{4})(.{4})(.{4})/,
    '$1-$2-$3-$4-',
  );
  const path =
    type === 'System'
      ? `/Applications/${exe}.app`
      : `/private/var/containers/Bundle/Application/${uuid}/${exe}.app`;
  const ent = team
    ? [
        '\t\t<key>Entitlements</key>',
        '\t\t<dict>',
        '\t\t\t<key>application-identifier</key>',
        `\t\t\t<string>${team}.${bundle}</string>`,
        '\t\t\t<key>com.apple.developer.team-identifier</key>',
        `\t\t\t<string>${team}</string>`,
        '\t\t\t<key>keychain-access-groups</key>',
        '\t\t\t<array>',
        `\t\t\t\t<string>${team}.${bundle}</string>`,
        '\t\t\t</array>',
        '\t\t</dict>',
      ]
    : [
        '\t\t<key>Entitlements</key>',
        '\t\t<dict>',
        '\t\t\t<key>application-identifier</key>',
        `\t\t\t<string>${bundle}</string>`,
        '\t\t</dict>',
      ];
  return [
    '\t<dict>',
    '\t\t<key>ApplicationType</key>',
    `\t\t<string>${type}</string>`,
    '\t\t<key>CFBundleDisplayName</key>',
    `\t\t<string>${xmlEscape(name)}</string>`,
    '\t\t<key>CFBundleExecutable</key>',
    `\t\t<string>${exe}</string>`,
    '\t\t<key>CFBundleIdentifier</key>',
    `\t\t<string>${bundle}</string>`,
    '\t\t<key>CFBundleName</key>',
    `\t\t<string>${exe}</string>`,
    '\t\t<key>CFBundleShortVersionString</key>',
    `\t\t<string>${short}</string>`,
    '\t\t<key>CFBundleVersion</key>',
    `\t\t<string>${build}</string>`,
    ...ent,
    '\t\t<key>IsAppClip</key>',
    bundle.endsWith('.Clip') ? '\t\t<true/>' : '\t\t<false/>',
    '\t\t<key>Path</key>',
    `\t\t<string>${path}</string>`,
    ...(type === 'User'
      ? ['\t\t<key>SignerIdentity</key>', '\t\t<string>Apple iPhone OS Application Signing</string>']
      : []),
    '\t</dict>',
  ].join('\n');
};
write(
  'demo/iphone-15.xml',
  [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<array>',
    ...iosApps.map(iosDict),
    '</array>',
    '</plist>',
    '',
  ].join('\n'),
);

process.stdout.write(`TikTok certificate A in the demo: ${colonHex(TIKTOK_CERT_A)}\n`);
