/**
 * IPA contents → AppRecords. An IPA is a ZIP whose `Payload/<Name>.app/` folder is the app (an
 * archive may hold several, each its own record); the bundle facts come from its Info.plist and the
 * publisher from `embedded.mobileprovision` or, for App Store builds that have no profile, from the
 * main executable's code signature.
 * This module only decides and combines; the source reads the ZIP.
 */
import type { AppRecord, Diagnostic } from '../model.js';
import type { CodeSignature } from './macho.js';
import type { ProvisioningProfile } from './mobileprovision.js';
import type { PlistValue } from './plist.js';
import { isPlistDict, type PlistFormat, parsePlistBytes, plistFormat, plistString } from './plist-bytes.js';
import { type ParseContext, ParseError } from './types.js';

/** Where one app sits inside the archive. */
export interface IpaLayout {
  /** The `.app` folder, e.g. `Payload/TikTok.app` or `Build/Payload/TikTok.app`. */
  appDir: string;
  infoPlist: string;
  /** `embedded.mobileprovision` of the app, when the archive has one. */
  provision?: string;
}

const isResourceFork = (name: string): boolean =>
  name.startsWith('__MACOSX/') || name.includes('/__MACOSX/') || /(^|\/)\._/.test(name);

const INFO_PLIST = /^((?:[^/]+\/)*?Payload\/[^/]+\.app)\/Info\.plist$/;
const ANY_APP_INFO_PLIST = /^((?:[^/]+\/)*?[^/]+\.app)\/Info\.plist$/;

/** True when `appDir` sits inside another `.app` (a Watch app, an app inside an app's resources). */
const insideAnotherApp = (appDir: string): boolean =>
  appDir
    .split('/')
    .slice(0, -1)
    .some((segment) => /\.app$/i.test(segment));

/**
 * Every app of the archive, from its entry names: each `Payload/<X>.app/Info.plist` not inside
 * another `.app` (Watch apps and extensions are parts of their app, not apps of their own),
 * ignoring `__MACOSX/` and `._*` resource forks. When no `Payload/` folder holds an app, every
 * `<X>.app/Info.plist` not inside another app counts. Sorted by folder; empty when there is none.
 */
export const findApps = (names: readonly string[]): IpaLayout[] => {
  const usable = names.map((name) => name.replaceAll('\\', '/')).filter((name) => !isResourceFork(name));
  const collect = (pattern: RegExp): string[] => [
    ...new Set(
      usable
        .map((name) => pattern.exec(name)?.[1])
        .filter((dir): dir is string => dir !== undefined && !insideAnotherApp(dir)),
    ),
  ];
  let apps = collect(INFO_PLIST);
  if (apps.length === 0) apps = collect(ANY_APP_INFO_PLIST);
  const present = new Set(usable);
  return apps.sort().map((appDir) => {
    const layout: IpaLayout = { appDir, infoPlist: `${appDir}/Info.plist` };
    const provision = `${appDir}/embedded.mobileprovision`;
    if (present.has(provision)) layout.provision = provision;
    return layout;
  });
};

/** The first app of the archive (see findApps), with the folders of the others. */
export const findMainApp = (names: readonly string[]): (IpaLayout & { others: string[] }) | undefined => {
  const [main, ...rest] = findApps(names);
  return main && { ...main, others: rest.map((l) => l.appDir) };
};

/** The Info.plist facts an AppRecord needs. */
export interface BundleInfo {
  id: string;
  name?: string;
  versionName?: string;
  versionCode?: number | string;
  minOs?: string;
  /** CFBundleExecutable: the main Mach-O, relative to the .app folder. */
  executable?: string;
  /** DTPlatformName (`iphoneos`, `appletvos`, `watchos`…). */
  platformName?: string;
  format: PlistFormat;
  plist: { [key: string]: PlistValue };
}

/** Reads an Info.plist (binary or XML). Throws `ParseError` when it is unreadable or has no bundle id. */
export const readBundleInfo = (bytes: Uint8Array): BundleInfo => {
  const plist = parsePlistBytes(bytes);
  if (!isPlistDict(plist)) throw new ParseError('Info.plist is not a dictionary');
  const id = plistString(plist, 'CFBundleIdentifier');
  if (id === undefined) throw new ParseError('Info.plist has no CFBundleIdentifier');
  const info: BundleInfo = { id, format: plistFormat(bytes), plist };
  const name = plistString(plist, 'CFBundleDisplayName') ?? plistString(plist, 'CFBundleName');
  if (name !== undefined) info.name = name;
  const versionName = plistString(plist, 'CFBundleShortVersionString');
  if (versionName !== undefined) info.versionName = versionName;
  const build = plist.CFBundleVersion;
  if (typeof build === 'string' && build !== '') {
    const numeric = /^\d+$/.test(build) ? Number(build) : Number.NaN;
    info.versionCode = Number.isSafeInteger(numeric) ? numeric : build;
  } else if (typeof build === 'number' && Number.isFinite(build)) {
    info.versionCode = build;
  }
  const minOs = plistString(plist, 'MinimumOSVersion') ?? plistString(plist, 'LSMinimumSystemVersion');
  if (minOs !== undefined) info.minOs = minOs;
  const executable = plistString(plist, 'CFBundleExecutable');
  // The executable name is joined to a path: refuse anything that could leave the .app folder.
  if (
    executable !== undefined &&
    !executable.includes('/') &&
    !executable.includes('\\') &&
    executable !== '..'
  ) {
    info.executable = executable;
  }
  const platformName = plistString(plist, 'DTPlatformName');
  if (platformName !== undefined) info.platformName = platformName;
  return info;
};

export interface IpaEvidence {
  layout: IpaLayout;
  info: BundleInfo;
  profile?: ProvisioningProfile;
  /** Code signature of the main executable's first signed slice. */
  signature?: CodeSignature;
}

/**
 * Combines the evidence into an AppRecord. The profile names the team (id and name); without one the
 * code signature's CodeDirectory gives the team id, and its signing certificate the team name when
 * that certificate belongs to the same team (OU = team id).
 */
export const buildIpaRecord = (
  evidence: IpaEvidence,
  ctx: ParseContext,
): { app: AppRecord; diagnostics: Diagnostic[] } => {
  const { layout, info, profile, signature } = evidence;
  const diagnostics: Diagnostic[] = [];
  const app: AppRecord = {
    platform: 'ios',
    id: info.id,
    publisher: {},
    paths: [layout.appDir],
    origin: { target: ctx.target, parser: 'ipa', path: ctx.path ?? ctx.target },
  };
  if (info.name !== undefined) app.name = info.name;
  if (info.versionName !== undefined) app.versionName = info.versionName;
  if (info.versionCode !== undefined) app.versionCode = info.versionCode;
  if (info.minOs !== undefined) app.minOs = info.minOs;
  const extra: Record<string, string | number | boolean> = { infoPlistFormat: info.format };
  if (info.platformName !== undefined) extra.platformName = info.platformName;

  const signer = signature?.signers.find((cert) => cert.subjectFields.OU === signature.teamId);
  if (profile?.teamId !== undefined) {
    app.publisher.teamId = profile.teamId;
    extra.teamSource = 'provisioning-profile';
  } else if (signature?.teamId !== undefined) {
    app.publisher.teamId = signature.teamId;
    extra.teamSource = 'code-signature';
  }
  if (profile?.teamName !== undefined) {
    app.publisher.name = profile.teamName;
  } else if (signer?.subjectFields.O !== undefined) {
    app.publisher.name = signer.subjectFields.O;
  }
  if (signer !== undefined) app.publisher.certSubjects = [signer.subject];
  if (profile !== undefined) {
    if (profile.name !== undefined) extra.profileName = profile.name;
    if (profile.applicationIdentifier !== undefined)
      extra.applicationIdentifier = profile.applicationIdentifier;
  }
  if (signature?.identifier !== undefined) extra.codeSignatureIdentifier = signature.identifier;
  if (
    profile?.teamId !== undefined &&
    signature?.teamId !== undefined &&
    profile.teamId !== signature.teamId
  ) {
    diagnostics.push({
      level: 'warning',
      message: `provisioning profile team ${profile.teamId} differs from code signature team ${signature.teamId}`,
      path: layout.appDir,
    });
  }
  if (app.publisher.teamId !== undefined) app.signature = 'unverified';
  app.extra = extra;
  return { app, diagnostics };
};
