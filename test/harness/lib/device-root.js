// A fake device filesystem: a temp folder where each scenario APK path is a symlink to the fixture
// APK, so the scanner's on-device shell script reads real signed bytes with real stat/tail/dd/od.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDumpsysPackages, renderGetprop, runPm } from './android-render.js';

const LIB = dirname(fileURLToPath(import.meta.url));

export function deviceRoot(scenario, device) {
  const key = createHash('sha256')
    .update(`${scenario.file}\0${statSync(scenario.file).mtimeMs}\0${device.serial}`)
    .digest('hex')
    .slice(0, 16);
  const root = join(tmpdir(), `appwarden-harness-${key}`);
  const marker = join(root, '.complete');
  if (existsSync(marker)) {
    // Renderer code changed since the root was made: answer the common commands ahead again.
    if (!existsSync(cacheDir(root, device))) prerender(root, device);
    return root;
  }
  for (const p of device.packages) {
    if (!p.apk || p.unreadable) continue;
    const target = join(root, p.path);
    mkdirSync(dirname(target), { recursive: true });
    try {
      symlinkSync(p.apk, target);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  mkdirSync(root, { recursive: true });
  prerender(root, device);
  writeFileSync(marker, '');
  return root;
}

/**
 * Answers of device commands are cached as files so the shell replays them with one `cat` instead
 * of starting node per command: on a loaded machine (2 shared cores) node start-ups alone outlast
 * the short timeouts the hang tests use. The folder name follows the renderer code, so editing it
 * never replays stale answers.
 */
export function cacheDir(root, device) {
  const code = ['android-render.js', 'device-root.js', 'removals.js', join('..', 'bin', 'device-cmd.js')]
    .map((f) => statSync(join(LIB, f)).mtimeMs)
    .join('-');
  // After uninstalls in this run (lib/removals.js) the device answers differently: its own folder.
  const state = device?.stateKey ? `-${device.stateKey}` : '';
  return join(root, `.cmd-${createHash('sha256').update(code).digest('hex').slice(0, 12)}${state}`);
}

/** The cache key of a command line, as the shell builds it: arguments joined with `_`. */
export const cacheKey = (args) => args.join('_');

export function writeCached(dir, args, result) {
  const key = cacheKey(args);
  if (key.includes('/') || key.length > 200) return;
  mkdirSync(dir, { recursive: true });
  const base = join(dir, key);
  // Every file is replaced by rename, so a concurrent reader never sees one half written; the exit
  // code comes last: its presence means the entry is whole.
  const put = (file, data) => {
    writeFileSync(`${file}.${process.pid}`, data);
    renameSync(`${file}.${process.pid}`, file);
  };
  put(`${base}.out`, result.stdout);
  put(`${base}.err`, result.stderr);
  put(`${base}.rc`, `${result.code}\n`);
}

/** The commands every scan sends, answered ahead of time (anything else is cached on first use). */
function prerender(root, device) {
  const dir = cacheDir(root, device);
  const ok = (stdout) => ({ stdout, stderr: '', code: 0 });
  const props = renderGetprop(device);
  writeCached(dir, ['getprop'], ok(props));
  for (const m of props.matchAll(/^\[([^\]]+)\]: \[(.*)\]$/gm))
    writeCached(dir, ['getprop', m[1]], ok(`${m[2]}\n`));
  writeCached(dir, ['dumpsys', 'package', 'packages'], ok(renderDumpsysPackages(device)));
  const pm = (...args) => writeCached(dir, ['pm', ...args], runPm(device, args));
  pm('list', 'users');
  for (const u of device.users) {
    const user = String(u.id);
    pm('list', 'packages', '-f', '-i', '-U', '--show-versioncode', '--user', user);
    pm('list', 'packages', '-f', '-i', '--user', user);
    pm('list', 'packages', '-f', '--user', user);
  }
}

/**
 * Shell functions that stand in for device commands. File tools get absolute paths rewritten
 * into the fake root; everything else runs as the real host tool.
 */
export function prelude(root, device, harnessBin) {
  const node = JSON.stringify(process.execPath);
  const cmd = JSON.stringify(join(harnessBin, 'device-cmd.js'));
  const lines = [
    `__aw_root=${JSON.stringify(root)}`,
    '__aw_map() { __aw_c=$1; shift; __aw_n=$#; while [ "$__aw_n" -gt 0 ]; do case "$1" in',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    '  /dev/*) set -- "$@" "$1";; /*) set -- "$@" "$__aw_root$1";; if=/*) set -- "$@" "if=$__aw_root${1#if=}";;',
    '  *) set -- "$@" "$1";; esac; shift; __aw_n=$((__aw_n - 1)); done; command "$__aw_c" "$@"; }',
    'stat() { __aw_map stat -L "$@"; }',
    'tail() { __aw_map tail "$@"; }',
    'dd() { __aw_map dd "$@"; }',
    'cat() { __aw_map cat "$@"; }',
    'wc() { __aw_map wc "$@"; }',
    device.noOd
      ? 'od() { echo "od: inaccessible or not found" >&2; return 127; }'
      : 'od() { __aw_map od "$@"; }',
    `__aw_cache=${JSON.stringify(cacheDir(root, device))}`,
    // Replay a cached answer (see cacheDir), or ask device-cmd.js, which caches what it answers.
    '__aw_dev() { __aw_o=$IFS; IFS=_; __aw_k="$*"; IFS=$__aw_o; __aw_f="$__aw_cache/$__aw_k"',
    '  case "$__aw_k" in */*) ;; *) if [ -f "$__aw_f.rc" ]; then read -r __aw_rc < "$__aw_f.rc"',
    '    command cat "$__aw_f.out"; [ -s "$__aw_f.err" ] && command cat "$__aw_f.err" >&2; return "$__aw_rc"; fi;; esac',
    `  AW_HARNESS_CACHE="$__aw_cache" ${node} ${cmd} "$@"; }`,
    'getprop() { __aw_dev getprop "$@"; }',
    'pm() { __aw_dev pm "$@"; }',
    'cmd() { __aw_dev cmd "$@"; }',
    'dumpsys() { __aw_dev dumpsys "$@"; }',
  ];
  return `${lines.join('\n')}\n`;
}
