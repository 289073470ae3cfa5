/**
 * Recognises content that cannot hold an app inventory (pictures, PDFs), so a folder scan can skip
 * it as such instead of failing on it. Only formats identified with certainty by their magic
 * bytes are listed: anything unknown stays a file the scan could not read (and so incomplete).
 */

const MAGIC: ReadonlyArray<readonly [number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'a PDF document'],
  [[0x42, 0x4d], 'a BMP image'],
];

const startsWith = (head: Uint8Array, magic: number[]): boolean =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** What the content is, when it is known to hold no apps; undefined otherwise. */
export const notAppData = (head: Uint8Array): string | undefined => {
  for (const [magic, what] of MAGIC) {
    // BMP's two-byte magic is weak: also require the file-size field to be plausible.
    if (what === 'a BMP image' && !(startsWith(head, magic) && head.length >= 26 && head[6] === 0)) continue;
    if (startsWith(head, magic)) return what;
  }
  // RIFF....WEBP
  if (
    head.length >= 12 &&
    startsWith(head, [0x52, 0x49, 0x46, 0x46]) &&
    startsWith(head.subarray(8), [0x57, 0x45, 0x42, 0x50])
  ) {
    return 'a WebP image';
  }
  return undefined;
};
