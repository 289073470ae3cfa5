/**
 * `embedded.mobileprovision`: a CMS SignedData (BER) whose content is a plist naming the team the
 * app was provisioned for. Some tools store the plist bare (XML or binary), so those are accepted too.
 */
import { createHash } from 'node:crypto';
import { type CertificateInfo, parseSignedData, readBer, readCertificate } from './cms.js';
import type { PlistValue } from './plist.js';
import { isPlistDict, parsePlistBytes, plistString } from './plist-bytes.js';
import { ParseError } from './types.js';

interface DeveloperCertificate {
  sha256: string;
  /** Subject DN, when the data holds a readable certificate. */
  subject?: string;
}

export interface ProvisioningProfile {
  /** `cms` for a signed profile, `raw` for a bare plist. */
  container: 'cms' | 'raw';
  name?: string;
  /** TeamIdentifier array as written. */
  teamIdentifiers: string[];
  /** The team the profile belongs to: TeamIdentifier[0], else the application-identifier prefix. */
  teamId?: string;
  teamName?: string;
  appIdName?: string;
  /** Entitlements `application-identifier`, `TEAMID.bundle.id` (may end in `*`). */
  applicationIdentifier?: string;
  uuid?: string;
  expirationDate?: Date;
  platforms: string[];
  developerCertificates: DeveloperCertificate[];
  /** Certificates that signed the CMS envelope (Apple's provisioning key), when signed. */
  signers: CertificateInfo[];
  /** The whole profile plist, for callers that need more. */
  plist: { [key: string]: PlistValue };
}

const strings = (value: PlistValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const firstNonSpace = (bytes: Uint8Array): number => {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  )
    i++;
  return i;
};

const developerCertificate = (data: Uint8Array): DeveloperCertificate => {
  try {
    const cert = readCertificate(data, readBer(data, 0));
    return { sha256: cert.sha256, subject: cert.subject };
  } catch {
    // Still worth its digest: rules key on the digest, not on a readable subject.
    return { sha256: sha256(data) };
  }
};

/**
 * Parses a provisioning profile. Throws `ParseError` when the envelope or the plist is unreadable,
 * or when the plist is not a dictionary.
 */
export const parseMobileProvision = (bytes: Uint8Array): ProvisioningProfile => {
  let container: ProvisioningProfile['container'];
  let payload: Uint8Array;
  let signers: CertificateInfo[] = [];
  const start = firstNonSpace(bytes);
  if (bytes[0] === 0x30) {
    container = 'cms';
    const signed = parseSignedData(bytes);
    if (signed.content === undefined)
      throw new ParseError('provisioning profile: CMS envelope carries no content');
    payload = signed.content;
    signers = signed.signers;
  } else if (bytes[start] === 0x3c /* < */ || bytes[start] === 0x62 /* b(plist) */ || bytes[start] === 0xef) {
    container = 'raw';
    payload = bytes.subarray(start);
  } else {
    throw new ParseError('provisioning profile: neither CMS SignedData nor a plist');
  }
  const plist = parsePlistBytes(payload);
  if (!isPlistDict(plist)) throw new ParseError('provisioning profile: plist is not a dictionary');

  const entitlements = plist.Entitlements;
  const applicationIdentifier = isPlistDict(entitlements)
    ? plistString(entitlements, 'application-identifier')
    : undefined;
  const teamIdentifiers = strings(plist.TeamIdentifier);
  const prefix = strings(plist.ApplicationIdentifierPrefix)[0];
  const fromAppId = applicationIdentifier?.includes('.') ? applicationIdentifier.split('.')[0] : undefined;
  const teamId = teamIdentifiers[0] ?? prefix ?? fromAppId;
  const expiration = plist.ExpirationDate;
  const developerCertificates = (
    Array.isArray(plist.DeveloperCertificates) ? plist.DeveloperCertificates : []
  )
    .filter((item): item is Uint8Array => item instanceof Uint8Array)
    .map(developerCertificate);

  const profile: ProvisioningProfile = {
    container,
    teamIdentifiers,
    platforms: strings(plist.Platform),
    developerCertificates,
    signers,
    plist,
  };
  const name = plistString(plist, 'Name');
  if (name !== undefined) profile.name = name;
  if (teamId !== undefined && teamId !== '') profile.teamId = teamId;
  const teamName = plistString(plist, 'TeamName');
  if (teamName !== undefined) profile.teamName = teamName;
  const appIdName = plistString(plist, 'AppIDName');
  if (appIdName !== undefined) profile.appIdName = appIdName;
  if (applicationIdentifier !== undefined) profile.applicationIdentifier = applicationIdentifier;
  const uuid = plistString(plist, 'UUID');
  if (uuid !== undefined) profile.uuid = uuid;
  if (expiration instanceof Date) profile.expirationDate = expiration;
  return profile;
};
