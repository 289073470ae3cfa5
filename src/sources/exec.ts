import { execa } from 'execa';
import { AppwardenError } from '../errors.js';

/** What to tell a user who lacks a device tool: where each package manager keeps it. */
export interface ToolPackage {
  /** Human name used in messages, e.g. `adb`. */
  tool: string;
  debian: string;
  homebrew: string;
  /** Environment variable that points appwarden at the tool. */
  env: string;
}

export const ADB_PACKAGE: ToolPackage = {
  tool: 'adb',
  debian: 'adb',
  homebrew: '--cask android-platform-tools',
  env: 'APPWARDEN_ADB',
};

export const IDEVICE_ID_PACKAGE: ToolPackage = {
  tool: 'idevice_id',
  debian: 'libimobiledevice-utils',
  homebrew: 'libimobiledevice',
  env: 'APPWARDEN_IDEVICE_ID',
};

export const IDEVICEINFO_PACKAGE: ToolPackage = {
  tool: 'ideviceinfo',
  debian: 'libimobiledevice-utils',
  homebrew: 'libimobiledevice',
  env: 'APPWARDEN_IDEVICEINFO',
};

export const IDEVICEINSTALLER_PACKAGE: ToolPackage = {
  tool: 'ideviceinstaller',
  debian: 'ideviceinstaller',
  homebrew: 'ideviceinstaller',
  env: 'APPWARDEN_IDEVICEINSTALLER',
};

export interface ExecOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  package: ToolPackage;
  /** Upper bound on captured stdout; larger output fails the call instead of exhausting memory. */
  maxBytes?: number;
}

export interface ExecResult {
  stdout: Uint8Array;
  stderr: string;
  /** Undefined when the process was killed (timeout, signal). */
  exitCode: number | undefined;
  timedOut: boolean;
  /** True when stdout went over `maxBytes` and was cut off. */
  truncated: boolean;
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/** Message for a missing tool; exported so discovery errors read the same everywhere. */
export const toolMissingMessage = (file: string, pkg: ToolPackage): string =>
  `${pkg.tool} not found (tried "${file}"). Install it: Debian/Ubuntu \`apt-get install ${pkg.debian}\`, ` +
  `macOS Homebrew \`brew install ${pkg.homebrew}\`, or set ${pkg.env} to its path.`;

/**
 * Run one external tool with an argv array (never a shell string on the host), a hard timeout that
 * kills the whole process group, and bounded output. Device problems come back as data; only a
 * missing or non-executable tool throws, because then no device of that platform can be reached.
 */
export async function runTool(
  file: string,
  args: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const subprocess = execa(file, args, {
    env: options.env,
    extendEnv: false,
    encoding: 'buffer',
    reject: false,
    stdin: 'ignore',
    // Own process group, so a timeout also ends whatever the tool started (shells, helpers).
    detached: true,
    cleanup: true,
    maxBuffer: options.maxBytes ?? DEFAULT_MAX_BYTES,
    windowsHide: true,
    // Binary output: a trailing newline is data, not decoration.
    stripFinalNewline: false,
  });

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(subprocess.pid);
  }, options.timeoutMs);

  try {
    const result = await subprocess;
    const code = (result as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      throw new AppwardenError('TOOL_NOT_FOUND', toolMissingMessage(file, options.package), {
        cause: result.cause,
      });
    }
    return {
      stdout: toBytes(result.stdout),
      stderr: new TextDecoder().decode(toBytes(result.stderr)),
      exitCode: timedOut ? undefined : result.exitCode,
      timedOut,
      truncated: result.isMaxBuffer,
    };
  } finally {
    clearTimeout(timer);
  }
}

const toBytes = (value: unknown): Uint8Array => {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  return new Uint8Array(0);
};

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Text of a tool's stdout, with CRLF (pty) line ends normalised. */
export const stdoutText = (result: ExecResult): string =>
  new TextDecoder().decode(result.stdout).replace(/\r+\n/g, '\n');

/** One line summarising why a call failed, for target errors. */
export function failureReason(what: string, result: ExecResult, timeoutMs: number): string {
  if (result.timedOut) return `${what} timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (result.truncated) return `${what} produced more output than allowed`;
  const firstLine = result.stderr.trim().split('\n')[0] ?? '';
  return `${what} failed (exit ${result.exitCode ?? 'signal'})${firstLine ? `: ${firstLine}` : ''}`;
}
