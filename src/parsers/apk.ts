import type { AppRecord } from '../model.js';
import {
  type ApkSigner,
  type SigningInfo,
  type SigningScheme,
  weakCertDigests,
} from './apk-signing-block.js';
import { parseArsc, resolveString } from './arsc.js';
import { type AxmlElement, attributeValue, findAttribute, parseAxml } from './axml.js';
import { parseSignedData, signerCertificates } from './der.js';
import { formatReference } from './res-chunks.js';
import { ParseError } from './types.js';
import type { ZipEntry } from './zip.js';

/** What an APK says about itself, combined from the manifest, resources and signatures. */

export interface ManifestFacts {
  package: string;
  /** `split="…"` on the manifest: this file is a split of `package`. */
  split?: string;
  versionCode?: number | string;
  versionName?: string;
  minSdk?: number;
  targetSdk?: number;
  /** Literal label, or the resolved default-configuration string. */
  label?: string;
  /** Label resource id when the label is a reference (resolved later through resources.arsc). */
  labelRef?: number;
  versionNameRef?: number;
  labels?: Record<string, string>;
  isFeatureSplit?: boolean;
}

const TWO_32 = 2 ** 32;

const intOf = (element: AxmlElement | undefined, name: string): number | string | undefined => {
  const attr = element && findAttribute(element, name);
  if (!attr) return undefined;
  const v = attributeValue(attr);
  if (v.kind === 'int') return v.value;
  if (v.kind === 'string') return /^\d+$/.test(v.value) ? Number(v.value) : v.value;
  return undefined;
};

/** Read the facts a scanner needs from a compiled AndroidManifest.xml. */
export function readManifest(axml: Uint8Array): ManifestFacts {
  const doc = parseAxml(axml);
  const manifest = doc.elements[0];
  if (manifest?.name !== 'manifest') throw new ParseError('AndroidManifest.xml has no <manifest> root');
  const pkgAttr =
    findAttribute(manifest, 'package', false) ?? manifest.attributes.find((a) => a.name === 'package');
  const pkg = pkgAttr && attributeValue(pkgAttr);
  if (pkg?.kind !== 'string' || pkg.value === '')
    throw new ParseError('AndroidManifest.xml has no package name');
  const facts: ManifestFacts = { package: pkg.value };

  const splitAttr = findAttribute(manifest, 'split', false);
  const split = splitAttr && attributeValue(splitAttr);
  if (split?.kind === 'string' && split.value !== '') facts.split = split.value;
  const featureAttr = findAttribute(manifest, 'isFeatureSplit');
  const feature = featureAttr && attributeValue(featureAttr);
  if (feature?.kind === 'bool') facts.isFeatureSplit = feature.value;

  const code = intOf(manifest, 'versionCode');
  const major = intOf(manifest, 'versionCodeMajor');
  if (typeof code === 'number') {
    const low = code >>> 0;
    const high = typeof major === 'number' ? major >>> 0 : 0;
    const combined = high * TWO_32 + low;
    facts.versionCode = Number.isSafeInteger(combined)
      ? combined
      : (BigInt(high) * 2n ** 32n + BigInt(low)).toString();
  }
  const nameAttr = findAttribute(manifest, 'versionName');
  const name = nameAttr && attributeValue(nameAttr);
  if (name?.kind === 'string') facts.versionName = name.value;
  else if (name?.kind === 'reference') facts.versionNameRef = name.id;
  else if (name?.kind === 'int') facts.versionName = String(name.value);

  // Only direct children of <manifest> and <application> count, as for the package manager.
  const usesSdk = doc.elements.find((e) => e.depth === 1 && e.name === 'uses-sdk');
  const min = intOf(usesSdk, 'minSdkVersion');
  const target = intOf(usesSdk, 'targetSdkVersion');
  if (typeof min === 'number') facts.minSdk = min;
  if (typeof target === 'number') facts.targetSdk = target;

  const application = doc.elements.find((e) => e.depth === 1 && e.name === 'application');
  const labelAttr = application && findAttribute(application, 'label');
  const label = labelAttr && attributeValue(labelAttr);
  if (label?.kind === 'string') facts.label = label.value;
  else if (label?.kind === 'reference' && label.id !== 0) facts.labelRef = label.id;
  return facts;
}

/** Fill label, locale labels and versionName from resources.arsc when the manifest refers to them. */
export function resolveManifestResources(facts: ManifestFacts, arsc: Uint8Array): void {
  if (facts.labelRef === undefined && facts.versionNameRef === undefined) return;
  const table = parseArsc(arsc);
  if (facts.labelRef !== undefined) {
    const resolved = resolveString(table, facts.labelRef);
    if (resolved.value !== undefined) facts.label = resolved.value;
    if (Object.keys(resolved.locales).length > 0) facts.labels = resolved.locales;
  }
  if (facts.versionNameRef !== undefined) {
    const resolved = resolveString(table, facts.versionNameRef);
    if (resolved.value !== undefined) facts.versionName = resolved.value;
  }
}

const V1_BLOCK = /^META-INF\/([^/]+)\.(RSA|DSA|EC)$/i;

/**
 * The v1 signature block files that count: a `.RSA/.DSA/.EC` whose `.SF` exists (a stray block
 * with no signature file signs nothing). Returned in name order.
 */
export function v1SignatureBlocks(entries: ZipEntry[]): ZipEntry[] {
  const names = new Set(entries.map((e) => e.name));
  return entries
    .filter((e) => {
      const m = V1_BLOCK.exec(e.name);
      return m !== null && names.has(`META-INF/${m[1]}.SF`);
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The signer certificate(s) of one PKCS#7 signature block, chosen by SignerInfo issuer + serial. */
export function v1Signers(block: Uint8Array): ApkSigner[] {
  const info = parseSignedData(block);
  return signerCertificates(info).map((c) => {
    const { sha1, md5 } = weakCertDigests(c.der);
    return { certSha256: c.sha256, certSha1: sha1, certMd5: md5, subject: c.subject };
  });
}

/** Combine the signing block's result with v1 signers, keeping the precedence v3.1/v3 > v2 > v1. */
export function combineSigning(block: SigningInfo | undefined, v1: ApkSigner[]): SigningInfo {
  const schemes: SigningScheme[] = [];
  if (v1.length > 0) schemes.push('v1');
  if (block) schemes.push(...block.schemes);
  if (block && block.signers.length > 0) return { schemes, signers: block.signers, lineage: block.lineage };
  const seen = new Set<string>();
  const signers = v1.filter((s) => {
    if (seen.has(s.certSha256)) return false;
    seen.add(s.certSha256);
    return true;
  });
  return { schemes, signers, lineage: [] };
}

/** certSha1/certMd5 for a publisher, only when every signer's certificate was read. */
export const weakDigestsOf = (signers: ApkSigner[]): { certSha1?: string[]; certMd5?: string[] } => {
  const sha1 = signers.map((s) => s.certSha1);
  const md5 = signers.map((s) => s.certMd5);
  return {
    ...(sha1.every((d): d is string => d !== undefined) ? { certSha1: sha1 } : {}),
    ...(md5.every((d): d is string => d !== undefined) ? { certMd5: md5 } : {}),
  };
};

export interface ApkRecordInput {
  manifest: ManifestFacts;
  signing: SigningInfo;
  target: string;
  path: string;
}

export function apkRecord({ manifest, signing, target, path }: ApkRecordInput): AppRecord {
  const record: AppRecord = {
    platform: 'android',
    id: manifest.package,
    publisher: {},
    paths: [path],
    // Identity is extracted from the signing structures; no digest or signature is checked.
    signature: 'unverified',
    signingSchemes: signing.schemes,
    origin: { target, parser: 'apk', path },
  };
  if (manifest.label !== undefined && manifest.label !== '') record.name = manifest.label;
  if (manifest.versionName !== undefined) record.versionName = manifest.versionName;
  if (manifest.versionCode !== undefined) record.versionCode = manifest.versionCode;
  if (manifest.minSdk !== undefined) record.minSdk = manifest.minSdk;
  if (manifest.targetSdk !== undefined) record.targetSdk = manifest.targetSdk;
  if (manifest.labels) record.labels = manifest.labels;
  if (signing.signers.length > 0) {
    record.publisher.certSha256 = signing.signers.map((s) => s.certSha256);
    Object.assign(record.publisher, weakDigestsOf(signing.signers));
    const subjects = signing.signers.map((s) => s.subject);
    if (subjects.every((s): s is string => s !== undefined)) record.publisher.certSubjects = subjects;
  }
  if (signing.lineage.length > 0) record.publisher.certLineage = signing.lineage;
  const extra: Record<string, string | number | boolean> = {};
  if (manifest.split !== undefined) {
    extra.split = manifest.split;
    extra.basePackage = manifest.package;
  }
  if (manifest.isFeatureSplit) extra.featureSplit = true;
  if (manifest.label === undefined && manifest.labelRef !== undefined)
    extra.labelRef = formatReference(manifest.labelRef);
  if (Object.keys(extra).length > 0) record.extra = extra;
  return record;
}
