import { type ChildProcess, spawn } from 'node:child_process';
import { AppwardenError, describeError } from '../errors.js';
import { isStopping, terminateGroup, trackGroup } from '../interrupt.js';

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
  /** Undefined when the process was killed (timeout, too much output, signal). */
  exitCode: number | undefined;
  timedOut: boolean;
  /** True when stdout went over `maxBytes`: the call was stopped and its output dropped. */
  truncated: boolean;
  /** The call as a user would type it, shortened, for messages. */
  command?: string;
  /** The stdout limit that applied, for messages. */
  maxBytes?: number;
}

/**
 * No device tool call legitimately prints this much (a phone's whole `dumpsys package` is a few
 * MB); a call that does is stopped with an error rather than exhausting memory.
 */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** stderr only feeds the first line of an error message: keep its start, drain the rest. */
const MAX_STDERR_BYTES = 64 * 1024;

/** Message for a missing tool; exported so discovery errors read the same everywhere. */
const toolMissingMessage = (file: string, pkg: ToolPackage): string =>
  `${pkg.tool} not found (tried "${file}"). Install it: Debian/Ubuntu \`apt-get install ${pkg.debian}\`, ` +
  `macOS Homebrew \`brew install ${pkg.homebrew}\`, or set ${pkg.env} to its path.`;

/** `adb -s X shell <script>` as one short line: scripts are long and multi-line. */
const describeCall = (pkg: ToolPackage, args: readonly string[]): string =>
  [pkg.tool, ...args.map((a) => (a.length > 40 || /[\r\n]/.test(a) ? '<script>' : a))].join(' ');

/**
 * Run one external tool with an argv array (never a shell string on the host), in its own process
 * group, with stdout bounded in bytes and the timeout as the only clock. At the deadline (or the
 * byte limit) reading stops, the pipes are destroyed and the group gets SIGTERM, then SIGKILL:
 * a descendant that escaped the group and holds stdout open cannot stall the scan. Device
 * problems come back as data; only a missing or non-executable tool throws, because then no
 * device of that platform can be reached.
 */
export async function runTool(
  file: string,
  args: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const command = describeCall(options.package, args);
  if (isStopping()) {
    return {
      stdout: new Uint8Array(0),
      stderr: 'interrupted',
      exitCode: undefined,
      timedOut: false,
      truncated: false,
      command,
      maxBytes,
    };
  }
  let child: ChildProcess;
  try {
    child = spawn(file, [...args], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group (setsid), so ending the tool also ends what it started (shells, helpers).
      detached: true,
      windowsHide: true,
    });
  } catch (error) {
    // Arguments spawn refuses (a NUL byte in a serial a device reported): this call fails, not the platform.
    return {
      stdout: new Uint8Array(0),
      stderr: `cannot run ${options.package.tool}: ${describeError(error)}`,
      exitCode: undefined,
      timedOut: false,
      truncated: false,
      command,
      maxBytes,
    };
  }
  const pid = child.pid;
  const forget = pid === undefined ? () => false : trackGroup(pid);

  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    const err: Buffer[] = [];
    let errBytes = 0;
    let settled = false;

    const finish = (
      result: Omit<ExecResult, 'stdout' | 'stderr' | 'command' | 'maxBytes'>,
      keepOutput: boolean,
    ): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        ...result,
        stdout: keepOutput ? Buffer.concat(out, outBytes) : new Uint8Array(0),
        stderr: Buffer.concat(err, errBytes).toString('utf8'),
        command,
        maxBytes,
      });
      out.length = 0;
    };

    /** Stop now: no more reading, no waiting for a pipe some escaped descendant may hold. */
    const stop = (why: 'timeout' | 'overflow'): void => {
      if (settled) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.removeAllListeners('close');
      if (pid !== undefined) terminateGroup(pid);
      finish({ exitCode: undefined, timedOut: why === 'timeout', truncated: why === 'overflow' }, false);
    };

    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);

    child.stdout?.on('data', (chunk: Buffer) => {
      if (outBytes + chunk.length > maxBytes) {
        out.length = 0;
        stop('overflow');
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errBytes >= MAX_STDERR_BYTES) return;
      const part = chunk.subarray(0, MAX_STDERR_BYTES - errBytes);
      err.push(part);
      errBytes += part.length;
    });
    // Destroyed pipes may still report errors; the result is already decided by then.
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      forget();
      if (error.code === 'ENOENT' || error.code === 'EACCES') reject(missing(file, options.package, error));
      else
        reject(
          new AppwardenError('TOOL_NOT_FOUND', `cannot run ${file}: ${error.message}`, { cause: error }),
        );
    });
    child.on('close', (code: number | null) => {
      forget();
      finish({ exitCode: code ?? undefined, timedOut: false, truncated: false }, true);
    });
  });
}

const missing = (file: string, pkg: ToolPackage, cause: unknown): AppwardenError =>
  new AppwardenError('TOOL_NOT_FOUND', toolMissingMessage(file, pkg), { cause });

const MB = 1024 * 1024;

/** Text of a tool's stdout, with CRLF (pty) line ends normalised. */
export const stdoutText = (result: ExecResult): string =>
  new TextDecoder().decode(result.stdout).replace(/\r+\n/g, '\n');

/** One line summarising why a call failed, for target errors. */
export function failureReason(what: string, result: ExecResult, timeoutMs: number): string {
  if (result.timedOut) return `${what} timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (result.truncated) {
    const limit = `${Math.round((result.maxBytes ?? DEFAULT_MAX_BYTES) / MB)} MB`;
    return `${what} failed: more than ${limit} from \`${result.command ?? 'the tool'}\` (output stopped there)`;
  }
  const firstLine = result.stderr.trim().split('\n')[0] ?? '';
  return `${what} failed (exit ${result.exitCode ?? 'signal'})${firstLine ? `: ${firstLine}` : ''}`;
}
