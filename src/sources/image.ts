/**
 * Android image folders (an AOSP `out/target/product/X/`, an extracted factory image, a copied
 * /system or /data): the APKs on the read-only partitions and under data/app, merged with
 * data/system/packages.xml when it is there. One target for the whole image.
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type FastGlob from 'fast-glob';
import { describeError } from '../errors.js';
import { MAX_BUILD_PROP_BYTES } from '../limits.js';
import type { AppRecord, DeviceFacts, Diagnostic, Publisher, TargetResult } from '../model.js';
import { parseBuildProp } from '../parsers/build-prop.js';
import { deviceFactsFromProps } from '../parsers/getprop.js';
import { isSystemCodePath } from '../parsers/packages-xml.js';
import { readApkFile } from './apk.js';
import { readPackagesXmlFile } from './packages-xml.js';
import type { FolderReader, SourceContext } from './types.js';

/** fast-glob loads when an image is walked: every scan registers this reader, few read an image. */
const fg = (patterns: string[], options: FastGlob.Options): Promise<string[]> =>
  (createRequire(import.meta.url)('fast-glob') as typeof FastGlob)(patterns, options);

/** Reads one APK file into a target (kind `apk`) holding at most one app; never throws for bad content. */
export type ImageApkReader = (file: string, ctx?: SourceContext) => Promise<TargetResult>;

export interface ImageReaderOptions {
  readApk?: ImageApkReader;
  /** APKs read at the same time. */
  concurrency?: number;
  /** Images with more APKs than this are read up to the limit and reported partial. */
  maxApks?: number;
}

const defaultReadApk: ImageApkReader = async (file, ctx) =>
  (await readApkFile(file, { verify: ctx?.verifySignatures === true })).target;

/** Read-only partitions that carry app/ and priv-app/, as folders of the image root. */
const PARTITIONS = ['system', 'product', 'system_ext', 'vendor', 'odm', 'oem'] as const;

/** One folder whose app/ and priv-app/ hold APKs, and where it is mounted on the device. */
interface AppFolder {
  /** Relative to the image root, '' for the root itself. */
  dir: string;
  /** Device path of `dir`, e.g. `/system`. */
  mount: string;
}

interface ImageLayout {
  appFolders: AppFolder[];
  /** data/ folder (relative) when there is one with app/ or system/packages.xml. */
  data?: AppFolder;
  packagesXml?: string;
  buildProps: string[];
}

const isDir = async (p: string): Promise<boolean> => {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
};

const isFile = async (p: string): Promise<boolean> => {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
};

const hasApps = async (dir: string): Promise<boolean> =>
  (await isDir(path.join(dir, 'app'))) || (await isDir(path.join(dir, 'priv-app')));

/**
 * Works out the layout of `root`. Requires app/ or priv-app/ inside a partition folder (a bare
 * `vendor/` in a source tree is not an image), or data/app, or data/system/packages.xml.
 */
const findLayout = async (root: string): Promise<ImageLayout | undefined> => {
  const layout: ImageLayout = { appFolders: [], buildProps: [] };
  const addFolder = async (dir: string, mount: string): Promise<void> => {
    if (layout.appFolders.some((f) => f.dir === dir)) return;
    if (await hasApps(path.join(root, dir))) layout.appFolders.push({ dir, mount });
  };
  for (const partition of PARTITIONS) {
    await addFolder(partition, `/${partition}`);
    // System-as-root images extract to system/system/… and keep other partitions under system/.
    await addFolder(path.join('system', partition), `/${partition}`);
  }
  for (const prop of [
    'system/build.prop',
    'system/system/build.prop',
    'vendor/build.prop',
    'product/etc/build.prop',
  ]) {
    if (await isFile(path.join(root, prop))) layout.buildProps.push(prop);
  }
  const dataApp = await isDir(path.join(root, 'data', 'app'));
  const packagesXml = await isFile(path.join(root, 'data', 'system', 'packages.xml'));
  if (dataApp || packagesXml) layout.data = { dir: 'data', mount: '/data' };
  if (packagesXml) layout.packagesXml = 'data/system/packages.xml';

  if (layout.appFolders.length === 0 && !layout.data) {
    // The user may point at one partition (system/) or at data/ itself.
    if (
      (await hasApps(root)) &&
      ((await isFile(path.join(root, 'build.prop'))) || (await isDir(path.join(root, 'framework'))))
    ) {
      const mount =
        path.basename(root) === 'system' || (await isDir(path.join(root, 'framework')))
          ? '/system'
          : `/${path.basename(root)}`;
      layout.appFolders.push({ dir: '', mount });
      if (await isFile(path.join(root, 'build.prop'))) layout.buildProps.push('build.prop');
    } else if (
      (await isFile(path.join(root, 'system', 'packages.xml'))) &&
      (await isDir(path.join(root, 'app')))
    ) {
      layout.data = { dir: '', mount: '/data' };
      layout.packagesXml = 'system/packages.xml';
    }
  }
  if (layout.appFolders.length === 0 && !layout.data) return undefined;
  return layout;
};

/** One APK found in the image. */
interface FoundApk {
  file: string;
  /** Path on the device, e.g. `/data/app/~~x==/pkg-y==/base.apk`. */
  devicePath: string;
  inData: boolean;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

const globApks = async (root: string, layout: ImageLayout, limit: number): Promise<FoundApk[]> => {
  const found: FoundApk[] = [];
  const options = { onlyFiles: true, followSymbolicLinks: false, dot: false, suppressErrors: true } as const;
  const add = (folder: AppFolder, rel: string, inData: boolean): void => {
    const file = path.join(root, folder.dir, rel);
    found.push({ file, devicePath: path.posix.join(folder.mount, toPosix(rel)), inData });
  };
  for (const folder of layout.appFolders) {
    const cwd = path.join(root, folder.dir);
    // app/Name/Name.apk, plus the flat app/Name.apk of older releases.
    const rels = await fg(['{app,priv-app}/*/*.apk', '{app,priv-app}/*.apk'], { ...options, cwd, deep: 3 });
    for (const rel of rels.sort()) add(folder, rel, false);
    if (found.length > limit) return found;
  }
  if (layout.data) {
    const cwd = path.join(root, layout.data.dir);
    // data/app/<pkg>-N/base.apk, data/app/~~rand==/<pkg>-rand==/base.apk, and older data/app/<pkg>-N.apk.
    const rels = await fg(['app/**/*.apk'], { ...options, cwd, deep: 4 });
    for (const rel of rels.sort()) add(layout.data, rel, true);
  }
  return found;
};

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
const mapLimited = async <T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

const union = (a: string[] | undefined, b: string[] | undefined): string[] | undefined => {
  const all = [...(a ?? []), ...(b ?? [])];
  return all.length === 0 ? undefined : [...new Set(all)];
};

const mergePublisher = (
  fromApk: Publisher,
  fromXml: Publisher | undefined,
  diagnostics: Diagnostic[],
  id: string,
): Publisher => {
  if (!fromXml) return fromApk;
  const publisher: Publisher = { ...fromXml, ...fromApk };
  const apkCerts = fromApk.certSha256 ?? [];
  const xmlCerts = fromXml.certSha256 ?? [];
  if (apkCerts.length > 0 && xmlCerts.length > 0 && xmlCerts.some((c) => !apkCerts.includes(c))) {
    diagnostics.push({
      level: 'warning',
      message: `${id}: packages.xml records a different signing certificate than the APK; both are kept`,
    });
  }
  const certs = union(apkCerts, xmlCerts);
  if (certs) publisher.certSha256 = certs;
  const lineage = union(fromApk.certLineage, fromXml.certLineage)?.filter((c) => !certs?.includes(c));
  if (lineage && lineage.length > 0) publisher.certLineage = lineage;
  else delete publisher.certLineage;
  return publisher;
};

/** Does the APK at `devicePath` live at packages.xml's codePath (a folder, or the APK itself)? */
const atCodePath = (devicePath: string, codePath: string | undefined): boolean =>
  codePath !== undefined &&
  (devicePath === codePath || devicePath.startsWith(`${codePath.replace(/\/$/, '')}/`));

interface ApkApp {
  apk: FoundApk;
  app: AppRecord;
  splits: string[];
}

const setExtra = (app: AppRecord, values: Record<string, string | number | boolean | undefined>): void => {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    app.extra = { ...(app.extra ?? {}), [k]: v };
  }
};

export const createImageReader = (options: ImageReaderOptions = {}): FolderReader => {
  const readApk = options.readApk ?? defaultReadApk;
  const concurrency = options.concurrency ?? 8;
  const maxApks = options.maxApks ?? 20_000;

  const read = async (dir: string, ctx: SourceContext): Promise<TargetResult[]> => {
    const id = dir;
    const diagnostics: Diagnostic[] = [];
    const problems: string[] = [];
    const layout = await findLayout(dir);
    if (!layout) {
      return [
        { id, kind: 'image', status: 'failed', error: 'not an Android image folder', apps: [], diagnostics },
      ];
    }

    // packages.xml first: it decides which APK of a package is the installed one.
    let xmlApps: AppRecord[] = [];
    let device: DeviceFacts | undefined;
    let xmlFormat: string | undefined;
    if (layout.packagesXml) {
      const xmlPath = path.join(dir, layout.packagesXml);
      const parsed = await readPackagesXmlFile(xmlPath, id);
      diagnostics.push(...parsed.diagnostics);
      if (parsed.status === 'failed') {
        problems.push(`packages.xml unreadable`);
        diagnostics.push({
          level: 'error',
          message: parsed.error ?? 'packages.xml could not be read',
          path: xmlPath,
        });
      } else {
        xmlApps = parsed.apps;
        device = parsed.device;
        xmlFormat = parsed.format;
      }
    }
    const props = new Map<string, string>();
    for (const prop of layout.buildProps) {
      try {
        const propPath = path.join(dir, prop);
        // Checked before reading: a real build.prop is a few KB (src/limits.ts).
        const size = (await stat(propPath)).size;
        if (size > MAX_BUILD_PROP_BYTES) {
          throw new Error(`${size} bytes is more than a build.prop can be (limit ${MAX_BUILD_PROP_BYTES})`);
        }
        for (const [k, v] of parseBuildProp(await readFile(propPath, 'utf8'))) {
          if (!props.has(k)) props.set(k, v);
        }
      } catch (error) {
        diagnostics.push({ level: 'warning', message: `cannot read ${prop}: ${describeError(error)}` });
      }
    }
    if (props.size > 0) device = { ...deviceFactsFromProps(props), ...(device ?? {}) };

    let found = await globApks(dir, layout, maxApks);
    if (found.length > maxApks) {
      problems.push(`only the first ${maxApks} APKs were read`);
      diagnostics.push({
        level: 'warning',
        message: `image holds more than ${maxApks} APKs; the rest were not read`,
      });
      found = found.slice(0, maxApks);
    }
    ctx.onProgress?.({ type: 'apps', target: id, count: found.length });

    const results = await mapLimited(
      found,
      concurrency,
      async (apk): Promise<{ apk: FoundApk; target: TargetResult }> => {
        try {
          return { apk, target: await readApk(apk.file, ctx) };
        } catch (error) {
          const failedTarget: TargetResult = {
            id: apk.file,
            kind: 'apk',
            status: 'failed',
            error: describeError(error),
            apps: [],
            diagnostics: [],
          };
          return { apk, target: failedTarget };
        }
      },
    );

    // Bases and standalone APKs become apps; splits attach to the base in their folder.
    const bases: ApkApp[] = [];
    const splits: { apk: FoundApk; app: AppRecord }[] = [];
    let unreadable = 0;
    for (const r of results) {
      const app = r.target.apps[0];
      for (const d of r.target.diagnostics) diagnostics.push({ ...d, path: d.path ?? r.apk.file });
      if (!app) {
        unreadable++;
        const why = r.target.error ?? 'no app in the file';
        diagnostics.push({ level: 'error', message: `${r.apk.devicePath}: ${why}`, path: r.apk.file });
        continue;
      }
      if (r.target.status !== 'scanned') problems.push(`${r.apk.devicePath} read partially`);
      if (app.extra?.split !== undefined || path.basename(r.apk.file).startsWith('split_')) {
        splits.push({ apk: r.apk, app });
      } else {
        bases.push({ apk: r.apk, app, splits: [] });
      }
    }
    if (unreadable > 0) problems.push(`${unreadable} of ${found.length} APKs could not be read`);
    for (const split of splits) {
      const base = bases.find(
        (b) => b.app.id === split.app.id && path.dirname(b.apk.file) === path.dirname(split.apk.file),
      );
      if (base) base.splits.push(split.apk.file);
      else {
        diagnostics.push({
          level: 'warning',
          message: `${split.apk.devicePath}: split APK of ${split.app.id} without a base APK beside it`,
          path: split.apk.file,
        });
      }
    }

    const byId = new Map<string, ApkApp[]>();
    for (const b of bases) {
      const list = byId.get(b.app.id) ?? [];
      list.push(b);
      byId.set(b.app.id, list);
    }

    const apps: AppRecord[] = [];
    const used = new Set<string>();
    const merge = (candidates: ApkApp[], xml: AppRecord | undefined): AppRecord => {
      const codePath = typeof xml?.extra?.codePath === 'string' ? xml.extra.codePath : undefined;
      // The installed copy: the one at packages.xml's codePath, else an update under data/app.
      const current =
        candidates.find((c) => atCodePath(c.apk.devicePath, codePath)) ??
        candidates.find((c) => c.apk.inData) ??
        (candidates[0] as ApkApp);
      const factory = candidates.find((c) => c !== current && !c.apk.inData);
      for (const c of candidates) {
        if (c !== current && c !== factory) {
          diagnostics.push({
            level: 'warning',
            message: `${c.app.id} also found at ${c.apk.devicePath}; ${current.apk.devicePath} is used`,
            path: c.apk.file,
          });
        }
      }
      const app: AppRecord = {
        ...current.app,
        publisher: mergePublisher(current.app.publisher, xml?.publisher, diagnostics, current.app.id),
        paths: [current.apk.file, ...current.splits],
        origin: { target: id, parser: 'image', path: current.apk.file },
      };
      const locationSystem = !current.apk.inData || factory !== undefined;
      app.system = xml?.system ?? locationSystem;
      if (xml) {
        if (xml.installer) app.installer = xml.installer;
        if (xml.enabled !== undefined) app.enabled = xml.enabled;
        if (xml.firstInstallTime) app.firstInstallTime = xml.firstInstallTime;
        if (app.versionCode === undefined && xml.versionCode !== undefined) app.versionCode = xml.versionCode;
        app.extra = { ...(xml.extra ?? {}), ...(current.app.extra ?? {}), packagesXml: true };
      }
      setExtra(app, {
        devicePath: current.apk.devicePath,
        updatedSystemApp: factory ? true : undefined,
        factoryPath: factory?.apk.devicePath,
        factoryVersionCode: factory?.app.versionCode,
        factoryVersionName: factory?.app.versionName,
      });
      return app;
    };

    for (const xml of xmlApps) {
      const candidates = byId.get(xml.id);
      used.add(xml.id);
      if (!candidates) {
        // Listed by the package manager but its APK is not in this image (e.g. framework-res, or a partial copy).
        apps.push(xml);
        continue;
      }
      apps.push(merge(candidates, xml));
    }
    for (const [pkg, candidates] of byId) {
      if (used.has(pkg)) continue;
      const app = merge(candidates, undefined);
      if (xmlApps.length > 0) {
        diagnostics.push({
          level: 'info',
          message: `${pkg} is in the image (${app.extra?.devicePath}) but not in packages.xml`,
        });
      }
      apps.push(app);
    }
    for (const app of apps) {
      if (app.system === undefined && typeof app.extra?.codePath === 'string') {
        app.system = isSystemCodePath(app.extra.codePath);
      }
    }

    let status: TargetResult['status'] = 'scanned';
    if (problems.length > 0) status = apps.length > 0 ? 'partial' : 'failed';
    const target: TargetResult = {
      id,
      kind: 'image',
      status,
      format: xmlFormat ? `android-image+${xmlFormat}` : 'android-image',
      apps,
      diagnostics,
    };
    if (apps.length === 0 && problems.length === 0) {
      diagnostics.push({ level: 'info', message: 'no APKs and no packages.xml entries found in the image' });
    }
    if (problems.length > 0) target.error = problems.join('; ');
    if (device) target.device = device;
    return [target];
  };

  return {
    name: 'android-image',
    detect: async (dir) => (await findLayout(dir)) !== undefined,
    read,
    covers: async (dir) => {
      const layout = await findLayout(dir);
      if (!layout) return [];
      // The partitions and data/ are the image's; anything else beside them is read as files.
      const tops = [...layout.appFolders.map((f) => f.dir), ...(layout.data ? [layout.data.dir] : [])].map(
        (d) => d.split(path.sep)[0] ?? '',
      );
      for (const prop of layout.buildProps) tops.push(prop.split('/')[0] ?? '');
      return [...new Set(tops)];
    },
  };
};

export const imageReader: FolderReader = createImageReader();
