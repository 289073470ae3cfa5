/**
 * `/data/system/packages.xml`: the package manager's own record of every installed package.
 * Text XML up to Android 11, ABX binary XML from Android 12. Certificates are stored once: the
 * first `<cert index=N key=HEX>` carries the DER bytes and every later use says `index=N` only,
 * so keys are collected from the whole file before any package is resolved.
 */
import { createHash } from 'node:crypto';
import { MAX_APPS_PER_INPUT, MAX_PACKAGES_XML_BYTES } from '../limits.js';
import type { AppRecord, DeviceFacts, Diagnostic } from '../model.js';
import { isAbx, parseAbx } from './abx.js';
import type { ParseContext, ParsedInventory } from './types.js';
import { ParseError } from './types.js';
import {
  attributeValue,
  childElements,
  DEFAULT_XML_LIMITS,
  decodeXmlBytes,
  getAttribute,
  parseXml,
  type XmlElement,
  type XmlLimits,
} from './xml.js';

/** ApplicationInfo.FLAG_SYSTEM. */
const FLAG_SYSTEM = 0x1;
/** ApplicationInfo.FLAG_UPDATED_SYSTEM_APP. */
const FLAG_UPDATED_SYSTEM_APP = 0x80;

/** Read-only partitions whose apps are preinstalled. */
const SYSTEM_PARTITIONS = ['/system/', '/product/', '/vendor/', '/system_ext/', '/odm/', '/oem/'];

export const isSystemCodePath = (codePath: string): boolean =>
  SYSTEM_PARTITIONS.some((prefix) => codePath.startsWith(prefix) || `${codePath}/` === prefix);

/** packages.xml nests at most five levels; leave room without allowing pathological depth. */
const PACKAGES_XML_LIMITS: XmlLimits = {
  ...DEFAULT_XML_LIMITS,
  maxDepth: 64,
  maxBytes: MAX_PACKAGES_XML_BYTES,
};

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/;

/** Parses either form of packages.xml into a tree, reporting which form it was. */
const readPackagesXmlTree = (bytes: Uint8Array): { root: XmlElement; format: string } => {
  if (isAbx(bytes)) return { root: parseAbx(bytes, PACKAGES_XML_LIMITS), format: 'packages-xml-abx' };
  return { root: parseXml(decodeXmlBytes(bytes), PACKAGES_XML_LIMITS), format: 'packages-xml' };
};

const intAttribute = (element: XmlElement, name: string): number | undefined => {
  const attribute = getAttribute(element, name);
  if (!attribute) return undefined;
  const text = attribute.value.trim();
  if (attribute.abxType === 'int-hex' || attribute.abxType === 'long-hex') {
    const n = Number.parseInt(text, 16);
    return Number.isFinite(n) ? n : undefined;
  }
  if (!/^-?[0-9]{1,20}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
};

/** `ft`/`it`/`ut` are milliseconds since the epoch written in hex (text and ABX LONG_HEX alike). */
const timeAttribute = (element: XmlElement, name: string): string | undefined => {
  const text = attributeValue(element, name)?.trim();
  if (!text || !/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  const ms = Number.parseInt(text, 16);
  // Before 2008 (no Android) or absurdly far ahead: not a real timestamp.
  if (!Number.isSafeInteger(ms) || ms < 1_199_145_600_000 || ms > 8_000_000_000_000) return undefined;
  return new Date(ms).toISOString();
};

/** versionCode is a Java long: keep it a number when exact, else its decimal string. */
const versionCodeAttribute = (element: XmlElement): number | string | undefined => {
  const text = attributeValue(element, 'version')?.trim();
  if (!text || !/^-?[0-9]{1,20}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};

const certKeyBytes = (cert: XmlElement): Uint8Array | undefined | 'invalid' => {
  const key = getAttribute(cert, 'key');
  if (!key) return undefined;
  if (key.bytes) return key.bytes;
  const text = key.value.trim();
  if (!HEX_RE.test(text)) return 'invalid';
  return Uint8Array.from(Buffer.from(text, 'hex'));
};

/** Every element below `root`, depth first in document order, without recursion. */
const descendants = function* (root: XmlElement): Generator<XmlElement> {
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const element = stack.pop();
    if (!element) break;
    yield element;
    const children = childElements(element);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) stack.push(child);
    }
  }
};

interface CertTable {
  /** index → SHA-256 of the DER. */
  digests: Map<number, string>;
  /** SHA-256 → SHA-1 and MD5 of the same DER: some vendors publish only these. */
  weak?: Map<string, { sha1: string; md5: string }>;
}

const collectCerts = (
  root: XmlElement,
  where: (e: XmlElement) => Partial<Diagnostic>,
  diagnostics: Diagnostic[],
): CertTable => {
  const digests = new Map<number, string>();
  const weak = new Map<string, { sha1: string; md5: string }>();
  for (const element of descendants(root)) {
    if (element.name !== 'cert') continue;
    const index = intAttribute(element, 'index');
    const key = certKeyBytes(element);
    if (key === undefined) continue;
    if (index === undefined || index < 0) {
      diagnostics.push({
        level: 'warning',
        message: '<cert> with a key but no valid index',
        ...where(element),
      });
      continue;
    }
    if (key === 'invalid') {
      diagnostics.push({
        level: 'warning',
        message: `<cert index="${index}"> key is not hex`,
        ...where(element),
      });
      continue;
    }
    const digest = sha256Hex(key);
    if (!weak.has(digest)) {
      weak.set(digest, {
        sha1: createHash('sha1').update(key).digest('hex'),
        md5: createHash('md5').update(key).digest('hex'),
      });
    }
    const known = digests.get(index);
    if (known === undefined) digests.set(index, digest);
    else if (known !== digest) {
      diagnostics.push({
        level: 'warning',
        message: `<cert index="${index}"> is defined twice with different keys; the first one is used`,
        ...where(element),
      });
    }
  }
  return { digests, weak };
};

/** Certificate digests listed by one `<sigs>` or `<pastSigs>` element, in order. */
const certsOf = (
  sigs: XmlElement | undefined,
  table: CertTable,
  owner: string,
  where: (e: XmlElement) => Partial<Diagnostic>,
  diagnostics: Diagnostic[],
): string[] => {
  if (!sigs) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const cert of childElements(sigs, 'cert')) {
    const index = intAttribute(cert, 'index');
    const digest = index === undefined ? undefined : table.digests.get(index);
    if (digest === undefined) {
      diagnostics.push({
        level: 'warning',
        message: `${owner}: certificate index ${index ?? '(missing)'} has no key anywhere in the file`,
        ...where(cert),
      });
      continue;
    }
    if (seen.has(digest)) continue;
    seen.add(digest);
    out.push(digest);
  }
  return out;
};

const deviceFacts = (root: XmlElement): DeviceFacts | undefined => {
  // Android 6+: one <version> per volume; the internal one has no volumeUuid.
  const versions = childElements(root, 'version');
  const internal = versions.find((v) => getAttribute(v, 'volumeUuid') === undefined) ?? versions[0];
  const legacy = childElements(root, 'last-platform-version')[0];
  const facts: DeviceFacts = {};
  const sdk = internal
    ? intAttribute(internal, 'sdkVersion')
    : legacy
      ? intAttribute(legacy, 'internal')
      : undefined;
  const fingerprint = attributeValue(internal ?? legacy ?? root, 'fingerprint');
  if (sdk !== undefined) facts.sdk = sdk;
  if (fingerprint) facts.fingerprint = fingerprint;
  if (Object.keys(facts).length === 0) return undefined;
  return { platform: 'android', ...facts };
};

const enabledFrom = (element: XmlElement): boolean | undefined => {
  // Android ≤ 4.1 kept an owner-only enabled state on the package (COMPONENT_ENABLED_STATE_*).
  const value = attributeValue(element, 'enabled');
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1' || value === '0') return true;
  if (value === 'false' || value === '2' || value === '3' || value === '4') return false;
  return undefined;
};

/** Parses packages.xml (text or ABX). Throws ParseError when the input is not a packages.xml at all. */
export const parsePackagesXml = (bytes: Uint8Array, ctx: ParseContext): ParsedInventory => {
  const { root, format } = readPackagesXmlTree(bytes);
  if (root.name !== 'packages') {
    throw new ParseError(`not a packages.xml: the root element is <${root.name}>, expected <packages>`);
  }
  const diagnostics: Diagnostic[] = [];
  const where = (element: XmlElement): Partial<Diagnostic> => {
    const place: Partial<Diagnostic> = {};
    if (ctx.path !== undefined) place.path = ctx.path;
    if (element.line !== undefined) place.line = element.line;
    return place;
  };
  const table = collectCerts(root, where, diagnostics);

  const sharedUsers = new Map<number, { name?: string; certs: string[] }>();
  for (const shared of childElements(root, 'shared-user')) {
    const userId = intAttribute(shared, 'userId');
    if (userId === undefined) continue;
    const name = attributeValue(shared, 'name');
    const owner = `shared-user ${name ?? userId}`;
    const certs = certsOf(childElements(shared, 'sigs')[0], table, owner, where, diagnostics);
    sharedUsers.set(userId, name === undefined ? { certs } : { name, certs });
  }

  const factory = new Map<string, XmlElement>();
  for (const updated of childElements(root, 'updated-package')) {
    const name = attributeValue(updated, 'name');
    if (name && !factory.has(name)) factory.set(name, updated);
  }

  const apps: AppRecord[] = [];
  const seen = new Set<string>();
  const packages = childElements(root, 'package');
  if (packages.length > MAX_APPS_PER_INPUT) {
    // A phone has fewer than 3,000 packages: this is not a device's packages.xml (see src/limits.ts).
    throw new ParseError(`more than ${MAX_APPS_PER_INPUT} <package> elements (${packages.length})`);
  }
  for (const pkg of packages) {
    const id = attributeValue(pkg, 'name');
    if (!id) {
      diagnostics.push({
        level: 'warning',
        message: '<package> without a name attribute skipped',
        ...where(pkg),
      });
      continue;
    }
    if (seen.has(id)) {
      diagnostics.push({
        level: 'warning',
        message: `package ${id} is listed twice; the first entry is used`,
        ...where(pkg),
      });
      continue;
    }
    seen.add(id);

    const codePath = attributeValue(pkg, 'codePath');
    const flags = intAttribute(pkg, 'publicFlags') ?? intAttribute(pkg, 'flags');
    const sharedUserId = intAttribute(pkg, 'sharedUserId');
    const userId = intAttribute(pkg, 'userId');
    const updated = factory.get(id);

    const sigs = childElements(pkg, 'sigs')[0];
    let certs = certsOf(sigs, table, `package ${id}`, where, diagnostics);
    const shared = sharedUserId === undefined ? undefined : sharedUsers.get(sharedUserId);
    if (certs.length === 0 && shared) certs = shared.certs;
    // <pastSigs> (inside <sigs>) is the rotation lineage, oldest first, ending with the current signer.
    const pastSigs = (sigs && childElements(sigs, 'pastSigs')[0]) ?? childElements(pkg, 'pastSigs')[0];
    const current = new Set(certs);
    const past = certsOf(pastSigs, table, `package ${id}`, where, diagnostics).filter((d) => !current.has(d));

    const flagSystem = flags === undefined ? undefined : (flags & FLAG_SYSTEM) !== 0;
    const pathSystem = codePath === undefined ? undefined : isSystemCodePath(codePath);
    let system: boolean | undefined;
    if (flagSystem || pathSystem || updated) system = true;
    else if (flagSystem === false || pathSystem === false) system = false;

    const app: AppRecord = {
      platform: 'android',
      id,
      publisher: {},
      origin: { target: ctx.target, parser: 'packages-xml', ...where(pkg) },
    };
    if (certs.length > 0) {
      app.publisher.certSha256 = certs;
      const weak = certs.map((c) => table.weak?.get(c));
      if (weak.every((w) => w !== undefined)) {
        app.publisher.certSha1 = weak.map((w) => w.sha1);
        app.publisher.certMd5 = weak.map((w) => w.md5);
      }
    }
    if (past.length > 0) app.publisher.certLineage = past;
    const versionCode = versionCodeAttribute(pkg);
    if (versionCode !== undefined) app.versionCode = versionCode;
    const versionName = attributeValue(pkg, 'versionName');
    if (versionName) app.versionName = versionName;
    const installer = attributeValue(pkg, 'installer');
    if (installer) app.installer = installer;
    if (system !== undefined) app.system = system;
    const enabled = enabledFrom(pkg);
    if (enabled !== undefined) app.enabled = enabled;
    const firstInstall = timeAttribute(pkg, 'it');
    if (firstInstall) app.firstInstallTime = firstInstall;
    if (codePath?.endsWith('.apk')) app.paths = [codePath];

    const extra: Record<string, string | number | boolean> = {};
    if (codePath) extra.codePath = codePath;
    const initiator = attributeValue(pkg, 'installInitiator');
    if (initiator) extra.installInitiator = initiator;
    const originator = attributeValue(pkg, 'installOriginator');
    if (originator) extra.installOriginator = originator;
    const lastUpdate = timeAttribute(pkg, 'ut');
    if (lastUpdate) extra.lastUpdateTime = lastUpdate;
    if (userId !== undefined) extra.appId = userId;
    if (sharedUserId !== undefined) {
      extra.appId = sharedUserId;
      if (shared?.name) extra.sharedUser = shared.name;
    }
    if (flags !== undefined) extra.flags = flags;
    if (updated || (flags !== undefined && (flags & FLAG_UPDATED_SYSTEM_APP) !== 0))
      extra.updatedSystemApp = true;
    if (updated) {
      const factoryPath = attributeValue(updated, 'codePath');
      if (factoryPath) extra.factoryCodePath = factoryPath;
      const factoryVersion = versionCodeAttribute(updated);
      if (factoryVersion !== undefined) extra.factoryVersionCode = factoryVersion;
    }
    if (Object.keys(extra).length > 0) app.extra = extra;
    apps.push(app);
  }

  for (const [name, updated] of factory) {
    if (!seen.has(name)) {
      diagnostics.push({
        level: 'info',
        message: `updated-package ${name} has no matching <package> entry; it is a factory version, not an install`,
        ...where(updated),
      });
    }
  }

  const result: ParsedInventory = { format, apps, diagnostics };
  const device = deviceFacts(root);
  if (device) result.device = device;
  return result;
};
