/**
 * A packages.xml file given on its own (`/data/system/packages.xml` pulled from a device or an
 * image), text or ABX.
 */
import { readFile, stat } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { MAX_PACKAGES_XML_BYTES as LIMIT } from '../limits.js';
import type { TargetResult } from '../model.js';
import { isAbx } from '../parsers/abx.js';
import { parsePackagesXml } from '../parsers/packages-xml.js';
import type { FileReader, SourceContext } from './types.js';

/** Real packages.xml files are a few MB; anything far larger is not one (see src/limits.ts). */
const MAX_PACKAGES_XML_BYTES = LIMIT;

/** A text document whose root element is <packages>, after the XML declaration and comments. */
const TEXT_ROOT = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<packages[\s>/]/;

const failedTarget = (id: string, error: string): TargetResult => ({
  id,
  kind: 'packages-xml',
  status: 'failed',
  error,
  apps: [],
  diagnostics: [],
});

/** Read one packages.xml into a target; `id` is the target id (the path as given by default). */
export const readPackagesXmlFile = async (path: string, id: string = path): Promise<TargetResult> => {
  // Name the file only when the target is something else (an image folder): a target id that is
  // the path already says which file it is.
  const failed = (targetId: string, error: string) =>
    failedTarget(targetId, id === path ? error : `${path}: ${error}`);
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (info.size > MAX_PACKAGES_XML_BYTES) {
      return failed(
        id,
        `${info.size} bytes is more than a packages.xml can be (limit ${MAX_PACKAGES_XML_BYTES})`,
      );
    }
    bytes = await readFile(path);
  } catch (error) {
    return failed(id, `cannot read: ${describeError(error)}`);
  }
  try {
    const parsed = parsePackagesXml(bytes, { target: id, path });
    const target: TargetResult = {
      id,
      kind: 'packages-xml',
      status: parsed.partial ? 'partial' : 'scanned',
      format: parsed.format,
      apps: parsed.apps,
      diagnostics: parsed.diagnostics,
    };
    if (parsed.device) target.device = parsed.device;
    if (parsed.partial) target.error = parsed.partial;
    return target;
  } catch (error) {
    return failed(id, describeError(error));
  }
};

export const packagesXmlReader: FileReader = {
  name: 'packages-xml',
  detect(head: Uint8Array): boolean {
    // ABX files are claimed when their first element is <packages>: the root's name is the first
    // interned string, so it sits in the head. Other ABX files (package-restrictions.xml, settings)
    // are not app inventories and are skipped in folder scans.
    if (isAbx(head)) return Buffer.from(head.subarray(0, 64)).includes('packages');
    return TEXT_ROOT.test(Buffer.from(head).toString('utf8'));
  },
  async read(path: string, ctx: SourceContext): Promise<TargetResult[]> {
    const target = await readPackagesXmlFile(path);
    ctx.onProgress?.({ type: 'apps', target: target.id, count: target.apps.length });
    return [target];
  },
};
