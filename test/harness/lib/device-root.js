// A fake device filesystem: a temp folder where each scenario APK path is a symlink to the fixture
// APK, so the scanner's on-device shell script reads real signed bytes with real stat/tail/dd/od.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function deviceRoot(scenario, device) {
  const key = createHash('sha256')
    .update(`${scenario.file}\0${statSync(scenario.file).mtimeMs}\0${device.serial}`)
    .digest('hex')
    .slice(0, 16);
  const root = join(tmpdir(), `appwarden-harness-${key}`);
  const marker = join(root, '.complete');
  if (existsSync(marker)) return root;
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
  writeFileSync(marker, '');
  return root;
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
    `getprop() { ${node} ${cmd} getprop "$@"; }`,
    `pm() { ${node} ${cmd} pm "$@"; }`,
    `cmd() { ${node} ${cmd} cmd "$@"; }`,
    `dumpsys() { ${node} ${cmd} dumpsys "$@"; }`,
  ];
  return `${lines.join('\n')}\n`;
}
