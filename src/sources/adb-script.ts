/**
 * The shell scripts appwarden runs on an Android device and the readers for what they print.
 * Each script is one adb round-trip whatever the number of apps; sections are fenced by a marker
 * holding a per-scan random nonce, so app output can never forge a fence.
 * Scripts stay POSIX sh (Android's mksh, toybox tools, 32-bit shell arithmetic on old builds).
 */

/** `pm list packages` flags, newest first; the script falls back when a device prints its usage text. */
const FULL_FLAGS = '-f -i -U --show-versioncode';
const LEGACY_FLAGS = '-f -i';

export const newMarker = (random: () => number = Math.random): string => {
  let nonce = '';
  for (let i = 0; i < 16; i++) nonce += Math.floor(random() * 16).toString(16);
  return `@@AW${nonce}`;
};

/**
 * Device facts, users and, for every user `pm list users` shows, its package list. Users are
 * listed one by one because some Samsung builds abort an all-users listing when one profile
 * (Secure Folder) is inaccessible.
 */
export function inventoryScript(marker: string): string {
  const m = marker;
  return [
    `echo "${m}:getprop"; getprop; echo "${m}:end:$?"`,
    `__u=$(pm list users 2>&1); __r=$?; echo "${m}:users"; echo "$__u"; echo "${m}:end:$__r"`,
    `__ids=$(echo "$__u" | while IFS= read -r __l; do case "$__l" in *UserInfo?*) __l=\${__l#*UserInfo?}; echo "\${__l%%:*}";; esac; done)`,
    `[ -n "$__ids" ] || __ids=0`,
    `for __id in $__ids; do`,
    `__o=$(pm list packages ${FULL_FLAGS} --user $__id 2>&1); __r=$?; __f=full`,
    // Android 6 and older print their usage text (exit 0) for -U / --show-versioncode.
    `case "$__o" in *"usage: pm"*|*"Unknown option"*) __o=$(pm list packages ${LEGACY_FLAGS} --user $__id 2>&1); __r=$?; __f=legacy;; esac`,
    `echo "${m}:packages:$__id:$__f"; echo "$__o"; echo "${m}:end:$__r"`,
    'done',
  ].join('\n');
}

export interface ScriptSection {
  /** Words after the marker: `['packages', '10', 'full']`. */
  name: string[];
  body: string;
  /** Exit code echoed by the script; undefined when the section was cut short. */
  exitCode?: number;
}

/** Split script output into its fenced sections (text already CRLF-normalised). */
export function splitSections(text: string, marker: string): ScriptSection[] {
  const sections: ScriptSection[] = [];
  let current: { name: string[]; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${marker}:`)) {
      current?.lines.push(line);
      continue;
    }
    const words = line
      .slice(marker.length + 1)
      .trim()
      .split(':');
    if (words[0] === 'end') {
      if (current) {
        const code = Number(words[1]);
        sections.push({
          name: current.name,
          body: current.lines.join('\n'),
          ...(Number.isInteger(code) ? { exitCode: code } : {}),
        });
      }
      current = undefined;
      continue;
    }
    if (current) sections.push({ name: current.name, body: current.lines.join('\n') });
    current = { name: words, lines: [] };
  }
  if (current) sections.push({ name: current.name, body: current.lines.join('\n') });
  return sections;
}

/** Largest command string sent in one call: old adbd (Android < 7) takes 4 KiB, Linux argv 128 KiB. */
export const commandBudget = (sdk: number | undefined): number =>
  sdk !== undefined && sdk >= 24 ? 96 * 1024 : 3 * 1024;

/**
 * For each base APK the user lists show, print a header `marker:file:SIZE:COUNT:PATH`, the last
 * COUNT bytes, then `marker:end`. COUNT is `defaultTail`, unless `od` can read the ZIP end record
 * and the signing block size in place: then it covers exactly the signing block, central directory
 * and end record, so most APKs need no second trip.
 */
export function tailsFromListingScript(marker: string, users: number[], defaultTail: number): string {
  const m = marker;
  const list = users.map((u) => `pm list packages -f --user ${u} 2>/dev/null;`).join(' ');
  return [
    `__K=${defaultTail}`,
    `{ ${list} } | while IFS= read -r __l; do case "$__l" in package:*=*) __p=\${__l#package:}; echo "\${__p%=*}";; esac; done | sort -u | while IFS= read -r __p; do`,
    tailBody(m),
    'done',
  ].join('\n');
}

/** Same output as `tailsFromListingScript`, for an explicit list of `count path` pairs. */
export function tailsScript(marker: string, wanted: { path: string; count: number }[]): string {
  const m = marker;
  const doc = `${m.slice(2)}_LIST`;
  return [
    `while IFS=' ' read -r __n __p; do`,
    `__s=$(stat -c %s "$__p" 2>/dev/null) || __s=`,
    `case "$__s" in ''|*[!0-9]*) echo "${m}:file:-1:0:$__p"; echo "${m}:end"; continue;; esac`,
    `[ "$__n" -gt "$__s" ] && __n=$__s`,
    `echo "${m}:file:$__s:$__n:$__p"; tail -c "$__n" "$__p" 2>/dev/null; echo; echo "${m}:end"`,
    `done <<'${doc}'`,
    ...wanted.map((w) => `${w.count} ${w.path}`),
    doc,
  ].join('\n');
}

function tailBody(m: string): string {
  return [
    `__s=$(stat -c %s "$__p" 2>/dev/null) || __s=`,
    `case "$__s" in ''|*[!0-9]*) echo "${m}:file:-1:0:$__p"; echo "${m}:end"; continue;; esac`,
    '__n=$__K',
    'if [ "$__s" -gt 22 ]; then',
    // One read of the end record's first 20 bytes: its signature ($1) and central directory offset ($5).
    '__e=$(od -An -tu4 -j $((__s - 22)) -N 20 "$__p" 2>/dev/null); set -- $__e',
    'if [ "$1" = 101010256 ]; then',
    '__c=$5',
    'case "$__c" in ""|*[!0-9]*|??????????*) ;; *) if [ "$__c" -lt "$__s" ] && [ "$__c" -ge 0 ]; then',
    '__n=$((__s - __c))',
    // The reader checks the 24 bytes before the central directory for the block's footer.
    'if [ "$__c" -ge 32 ]; then __n=$((__n + 24)); __b=$(od -An -tu4 -j $((__c - 24)) -N 4 "$__p" 2>/dev/null); set -- $__b; __b=$1',
    // A plausible block size (< 64 MiB, inside the file) extends the read to cover the block.
    'case "$__b" in ""|*[!0-9]*|?????????*) ;; *) if [ "$__b" -ge 24 ] && [ "$__b" -lt 67108864 ] && [ $((__b + 8)) -le "$__c" ]; then __n=$((__n + __b - 16)); fi;; esac',
    'fi; fi;; esac',
    'fi',
    'fi',
    '[ "$__n" -gt "$__s" ] && __n=$__s',
    `echo "${m}:file:$__s:$__n:$__p"; tail -c "$__n" "$__p" 2>/dev/null; echo; echo "${m}:end"`,
  ].join('\n');
}

/** Byte ranges `offset count path`, each printed as `marker:range:OFFSET:COUNT:PATH`, bytes, `marker:end`. */
export function rangesScript(
  marker: string,
  ranges: { path: string; offset: number; count: number }[],
): string {
  const m = marker;
  const doc = `${m.slice(2)}_LIST`;
  return [
    `while IFS=' ' read -r __o __n __p; do`,
    `echo "${m}:range:$__o:$__n:$__p"; dd if="$__p" bs=1 skip="$__o" count="$__n" 2>/dev/null; echo; echo "${m}:end"`,
    `done <<'${doc}'`,
    ...ranges.map((r) => `${r.offset} ${r.count} ${r.path}`),
    doc,
  ].join('\n');
}

export interface FileChunk {
  kind: 'file' | 'range';
  path: string;
  /** File size for `file` chunks (-1 when unreadable); start offset for `range` chunks. */
  a: number;
  /** Bytes announced. */
  count: number;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * Read the binary stream of a tails/ranges script. Chunks whose byte count disagrees are dropped
 * (listed in `bad`). A chunk ends where its announced byte count says; a body-less `file:-1`
 * chunk (stat failed) ends right after its header line, whose newline is the fence's own: searching
 * past it would take the next APK's fence and swallow that APK's chunk.
 */
export function splitChunks(data: Uint8Array, marker: string): { chunks: FileChunk[]; bad: string[] } {
  const header = encoder.encode(`${marker}:`);
  const end = encoder.encode(`\n${marker}:end\n`);
  const chunks: FileChunk[] = [];
  const bad: string[] = [];
  let pos = indexOf(data, header, 0);
  while (pos >= 0) {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) break;
    const head = new TextDecoder().decode(data.subarray(pos + header.length, nl));
    const m = /^(file|range):(-?\d+):(\d+):(.*)$/.exec(head);
    if (!m?.[1] || m[2] === undefined || m[3] === undefined || m[4] === undefined) {
      const stop = indexOf(data, end, nl);
      pos = stop < 0 ? -1 : indexOf(data, header, stop + end.length);
      continue;
    }
    const kind = m[1] as 'file' | 'range';
    const a = Number(m[2]);
    const count = Number(m[3]);
    const bodyless = kind === 'file' && a < 0;
    // Where the fence sits when every announced byte came; otherwise (a read failed part-way) the
    // first fence after the header, so the following chunks are still read.
    const expected = bodyless ? nl : nl + 1 + count;
    const stop = startsAt(data, end, expected) ? expected : indexOf(data, end, nl);
    const bytes = stop < 0 ? data.subarray(nl + 1) : data.subarray(nl + 1, Math.max(nl + 1, stop));
    const chunk: FileChunk = { kind, a, count, path: m[4], bytes };
    if (stop < 0 || (!bodyless && bytes.length !== count)) bad.push(chunk.path);
    else chunks.push(chunk);
    pos = stop < 0 ? -1 : indexOf(data, header, stop + end.length);
  }
  return { chunks, bad };
}

function startsAt(haystack: Uint8Array, needle: Uint8Array, at: number): boolean {
  if (at < 0 || at + needle.length > haystack.length) return false;
  for (let j = 0; j < needle.length; j++) if (haystack[at + j] !== needle[j]) return false;
  return true;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  if (first === undefined) return -1;
  let i = haystack.indexOf(first, from);
  while (i >= 0 && i + needle.length <= haystack.length) {
    let ok = true;
    for (let j = 1; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}
