/**
 * Paths given on the command line: files are sniffed by content and handed to the reader that claims
 * them; folders are either a known layout (an Android image) or searched with fast-glob for files
 * any reader claims. One bad file becomes one failed target and never hides the others.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { describeError } from '../errors.js';
import type { TargetKind, TargetResult } from '../model.js';
import { fallbackTextReader } from './listing.js';
import type { FileReader, FolderReader, SourceContext } from './types.js';

const HEAD_BYTES = 4096;
/** Folder scans stop collecting after this many files, with a diagnostic; protects against `scan /`. */
export const MAX_FOLDER_FILES = 100_000;

export const readHead = async (file: string, bytes = HEAD_BYTES): Promise<Uint8Array> => {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

const failed = (id: string, kind: TargetKind, error: string): TargetResult => ({
  id,
  kind,
  status: 'failed',
  error,
  apps: [],
  diagnostics: [],
});

export interface FileRegistry {
  files: FileReader[];
  folders: FolderReader[];
}

/** Run a reader, turning any exception into a failed target that names the file (grype callMatcherSafely). */
const safeRead = async (reader: FileReader, file: string, ctx: SourceContext): Promise<TargetResult[]> => {
  try {
    return await reader.read(file, ctx);
  } catch (error) {
    return [failed(file, 'listing', `${reader.name} reader failed: ${describeError(error)}`)];
  }
};

const pickReader = (registry: FileRegistry, head: Uint8Array, file: string): FileReader | undefined =>
  registry.files.find((r) => {
    try {
      return r.detect(head, file);
    } catch {
      return false;
    }
  });

/** Read one file the user named explicitly: unrecognised content is an error, not a skip. */
export const readFileInput = async (
  file: string,
  registry: FileRegistry,
  ctx: SourceContext,
): Promise<TargetResult[]> => {
  let head: Uint8Array;
  try {
    head = await readHead(file);
  } catch (error) {
    return [failed(file, 'listing', `cannot read: ${describeError(error)}`)];
  }
  const reader =
    pickReader(registry, head, file) ??
    (fallbackTextReader.detect(head, file) ? fallbackTextReader : undefined);
  if (!reader) {
    return [failed(file, 'listing', 'not a recognised device listing, inventory, APK, IPA or packages.xml')];
  }
  return safeRead(reader, file, ctx);
};

export const readFolderInput = async (
  dir: string,
  registry: FileRegistry,
  ctx: SourceContext,
): Promise<TargetResult[]> => {
  for (const folder of registry.folders) {
    let claims = false;
    try {
      claims = await folder.detect(dir);
    } catch {
      claims = false;
    }
    if (claims) {
      try {
        return await folder.read(dir, ctx);
      } catch (error) {
        return [failed(dir, 'image', `${folder.name} reader failed: ${describeError(error)}`)];
      }
    }
  }
  let files: string[];
  try {
    files = await fg('**/*', {
      cwd: dir,
      onlyFiles: true,
      followSymbolicLinks: false,
      dot: false,
      suppressErrors: true,
      ignore: ['**/node_modules/**', '**/.git/**', '**/__MACOSX/**'],
    });
  } catch (error) {
    return [failed(dir, 'listing', `cannot list folder: ${describeError(error)}`)];
  }
  files.sort();
  const truncated = files.length > MAX_FOLDER_FILES;
  if (truncated) files = files.slice(0, MAX_FOLDER_FILES);
  const results: TargetResult[] = [];
  let skipped = 0;
  for (const rel of files) {
    const file = path.join(dir, rel);
    let head: Uint8Array;
    try {
      head = await readHead(file);
    } catch (error) {
      results.push(failed(file, 'listing', `cannot read: ${describeError(error)}`));
      continue;
    }
    const reader = pickReader(registry, head, file);
    if (!reader) {
      skipped++;
      continue;
    }
    ctx.onProgress?.({ type: 'target-start', target: file });
    const targets = await safeRead(reader, file, ctx);
    for (const t of targets) ctx.onProgress?.({ type: 'target-end', target: t.id, apps: t.apps.length });
    results.push(...targets);
  }
  if (results.length === 0) {
    return [
      failed(
        dir,
        'listing',
        files.length === 0
          ? 'folder is empty'
          : `no device listings or app files found among ${files.length} file${files.length === 1 ? '' : 's'}`,
      ),
    ];
  }
  if (skipped > 0 || truncated) {
    const first = results[0]!;
    if (skipped > 0) {
      first.diagnostics.push({
        level: 'info',
        message: `${skipped} unrecognised file(s) in ${dir} were skipped`,
      });
    }
    if (truncated) {
      first.diagnostics.push({
        level: 'warning',
        message: `only the first ${MAX_FOLDER_FILES} files of ${dir} were read`,
      });
      first.status = first.status === 'failed' ? 'failed' : 'partial';
    }
  }
  return results;
};

export const readPathInput = async (
  input: string,
  registry: FileRegistry,
  ctx: SourceContext,
): Promise<TargetResult[]> => {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [failed(input, 'listing', code === 'ENOENT' ? 'no such file or directory' : describeError(error))];
  }
  if (info.isDirectory()) return readFolderInput(input, registry, ctx);
  if (!info.isFile()) return [failed(input, 'listing', 'not a regular file or folder')];
  ctx.onProgress?.({ type: 'target-start', target: input });
  const targets = await readFileInput(input, registry, ctx);
  for (const t of targets) ctx.onProgress?.({ type: 'target-end', target: t.id, apps: t.apps.length });
  return targets;
};
