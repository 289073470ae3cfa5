/**
 * Shared helpers for text listings: turning saved bytes into text, normalising line ends,
 * and telling text from binary. Pure functions only.
 */

/** How much of the input the binary check samples from the start (and again from the middle). */
const SAMPLE_CHARS = 64 * 1024;

/**
 * Decode saved bytes to text. Honours a UTF-8 or UTF-16 (LE/BE) byte-order mark, which is what
 * Windows PowerShell redirection (`adb shell pm list packages > out.txt`) produces, and recognises
 * BOM-less UTF-16LE by its every-other-byte NULs. Invalid UTF-8 becomes U+FFFD rather than failing.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  }
  if (looksLikeUtf16Le(bytes)) return new TextDecoder('utf-16le').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

function looksLikeUtf16Le(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 512) & ~1;
  if (n < 8) return false;
  let oddNuls = 0;
  let evenNuls = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenNuls++;
    if (bytes[i + 1] === 0) oddNuls++;
  }
  // ASCII text in UTF-16LE has a NUL in (nearly) every odd byte and none in the even ones.
  return oddNuls >= (n / 2) * 0.9 && evenNuls === 0;
}

/** Strip a leading BOM and turn CRLF / lone CR (pty-mangled `adb shell` output) into LF. */
export function normaliseText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.includes('\r') ? noBom.replace(/\r+\n|\r/g, '\n') : noBom;
}

/** Magic prefixes of binary files people feed to a listing reader by mistake, with a name for the message. */
const BINARY_MAGIC: ReadonlyArray<readonly [string, string]> = [
  ['bplist00', 'a binary plist (bplist00)'],
  ['PK\u0003\u0004', 'a ZIP archive (APK/IPA?)'],
  ['ABX\u0000', 'an Android binary XML (ABX) file'],
  ['\u0003\u0000\u0008\u0000', 'an Android binary XML (AXML) file'],
  ['\u007fELF', 'an ELF executable'],
  ['\u001f\u008b', 'a gzip file'],
];

/** The characters binaryReason counts (NUL, control characters other than tab/LF/FF/CR/ESC, U+FFFD). */
const SUSPECT = /[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f\ufffd]/;

/**
 * Says why `text` is binary rather than a text listing, or undefined when it reads as text.
 * Samples the start and the middle so a huge input costs the same as a small one. Tolerates
 * the odd NUL or stray byte: real dumpsys captures carry a few (ABX blobs inside keystore dumps).
 */
export function binaryReason(text: string): string | undefined {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (const [magic, what] of BINARY_MAGIC) {
    if (text.startsWith(magic, start)) return what;
  }
  const samples = [text.slice(0, SAMPLE_CHARS)];
  if (text.length > SAMPLE_CHARS * 4) {
    const mid = Math.floor(text.length / 2);
    samples.push(text.slice(mid, mid + SAMPLE_CHARS));
  }
  for (const sample of samples) {
    // The regex scan is several times faster than the loop below, and most listings have none.
    if (!SUSPECT.test(sample)) continue;
    let nul = 0;
    let odd = 0;
    for (let i = 0; i < sample.length; i++) {
      const c = sample.charCodeAt(i);
      if (c === 0) nul++;
      else if ((c < 0x20 && c !== 9 && c !== 10 && c !== 12 && c !== 13 && c !== 0x1b) || c === 0xfffd) odd++;
    }
    if (sample.length === 0) continue;
    if (nul / sample.length > 0.01 || (nul + odd) / sample.length > 0.1) {
      return 'binary data (control bytes or NULs throughout)';
    }
  }
  return undefined;
}

/**
 * A copy of `s` sharing no memory with the string it was cut from. V8 keeps substrings of 13 or
 * more characters as views into their parent, so one package id kept from a 20 KB listing would
 * keep the whole listing alive; concatenating and cutting again forces a fresh flat copy.
 */
export const detach = (s: string): string => ` ${s}`.slice(1);

/** 1-based line number of a character offset. Linear; call it only when reporting. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  let i = text.indexOf('\n');
  while (i !== -1 && i < offset) {
    line++;
    i = text.indexOf('\n', i + 1);
  }
  return line;
}

/** Shorten a value for an error message, making control and bidi-override characters visible. */
export function preview(value: string, max = 60): string {
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  return short.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * Characters that take no room when shown: zero-width space/non-joiner/joiner, word joiner,
 * BOM (zero-width no-break space), soft hyphen and the bidi marks. Pasted into a shared list they
 * are invisible to the person reading it, so a parser drops them rather than the line.
 */
const INVISIBLE = /[\u00ad\u200b-\u200f\u2060\ufeff]/g;
const HAS_INVISIBLE = /[\u00ad\u200b-\u200f\u2060\ufeff]/;

/** `s` without invisible characters, and whether there were any (so the caller can say so). */
export function stripInvisible(s: string): { text: string; stripped: boolean } {
  if (!HAS_INVISIBLE.test(s)) return { text: s, stripped: false };
  return { text: s.replace(INVISIBLE, ''), stripped: true };
}

/** Whitespace other than the plain space: tab, NBSP, the Unicode spaces (what `\s` adds to ` `). */
export const UNUSUAL_SPACE = /[^\S ]/;
