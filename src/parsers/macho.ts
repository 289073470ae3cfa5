/**
 * Mach-O code signatures: the team ID of an App Store build, which carries no provisioning profile.
 * Path: (fat header →) Mach-O header → LC_CODE_SIGNATURE → SuperBlob 0xfade0cc0 → CodeDirectory
 * 0xfade0c02 (identifier, and teamID from version 0x20200), plus the CMS blob 0xfade0b01 naming the
 * signing certificate. Layouts follow <mach-o/loader.h>, <mach-o/fat.h> and xnu's cs_blobs.h.
 *
 * The load commands and the signature sit at the two ends of a binary that can be hundreds of MB, so
 * `codeSignatureRange` works from the first bytes alone and lets the caller fetch just the blob.
 */
import { type CertificateInfo, parseSignedData } from './cms.js';
import { ParseError } from './types.js';

const MH_MAGIC = 0xfeedface;
const MH_MAGIC_64 = 0xfeedfacf;
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
const LC_CODE_SIGNATURE = 0x1d;

const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
const CSSLOT_SIGNATURESLOT = 0x10000;
const CS_SUPPORTSTEAMID = 0x20200;

/** Apple tools refuse more; a real fat file has 2–4 slices. */
const MAX_FAT_ARCHS = 32;
const MAX_LOAD_COMMANDS = 65_536;
/** Largest code signature blob read; real ones are a few hundred KB for large apps. */
export const MAX_SIGNATURE_SIZE = 64 * 1024 * 1024;
const MAX_BLOB_INDEX = 1024;

export interface CodeSignature {
  /** Code identifier, normally the bundle id. */
  identifier?: string;
  /** Team ID from the CodeDirectory (version ≥ 0x20200). */
  teamId?: string;
  /** CodeDirectory version, e.g. 0x20400. */
  version: number;
  /** Certificates the CMS signature names as signers (empty for ad-hoc signatures). */
  signers: CertificateInfo[];
  /** Why the CMS blob could not be read, when it could not. */
  cmsError?: string;
}

export interface MachOSlice {
  cpuType: number;
  cpuSubtype: number;
  /** Offset of the slice in the file (0 for a thin file). */
  offset: number;
  size: number;
  signature?: CodeSignature;
}

export interface ByteRange {
  offset: number;
  size: number;
}

const u32be = (bytes: Uint8Array, at: number): number =>
  (((bytes[at] ?? 0) << 24) |
    ((bytes[at + 1] ?? 0) << 16) |
    ((bytes[at + 2] ?? 0) << 8) |
    (bytes[at + 3] ?? 0)) >>>
  0;
const u32le = (bytes: Uint8Array, at: number): number =>
  (((bytes[at + 3] ?? 0) << 24) |
    ((bytes[at + 2] ?? 0) << 16) |
    ((bytes[at + 1] ?? 0) << 8) |
    (bytes[at] ?? 0)) >>>
  0;

const u64be = (bytes: Uint8Array, at: number, what: string): number => {
  const value = u32be(bytes, at) * 2 ** 32 + u32be(bytes, at + 4);
  if (!Number.isSafeInteger(value)) throw new ParseError(`Mach-O: ${what} is too large`);
  return value;
};

/** True for thin (either byte order, 32/64-bit) or fat Mach-O magic. */
export const isMachO = (head: Uint8Array): boolean => {
  if (head.length < 4) return false;
  const be = u32be(head, 0);
  const le = u32le(head, 0);
  return be === FAT_MAGIC || be === FAT_MAGIC_64 || [MH_MAGIC, MH_MAGIC_64].some((m) => m === be || m === le);
};

/**
 * The slices of a Mach-O file from its first bytes: one for a thin file, one per architecture for a
 * fat file. Each slice must lie inside `fileSize`.
 */
export const machOSlices = (head: Uint8Array, fileSize: number): Omit<MachOSlice, 'signature'>[] => {
  if (head.length < 8) throw new ParseError(`Mach-O: file too short (${head.length} bytes)`);
  const magic = u32be(head, 0);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) {
    if (!isMachO(head)) throw new ParseError(`Mach-O: bad magic 0x${magic.toString(16).padStart(8, '0')}`);
    const read = u32be(head, 0) === MH_MAGIC || u32be(head, 0) === MH_MAGIC_64 ? u32be : u32le;
    return [{ cpuType: read(head, 4), cpuSubtype: read(head, 8), offset: 0, size: fileSize }];
  }
  const count = u32be(head, 4);
  if (count === 0 || count > MAX_FAT_ARCHS)
    throw new ParseError(`Mach-O: fat header lists ${count} architectures`);
  const entrySize = magic === FAT_MAGIC_64 ? 32 : 20;
  if (8 + count * entrySize > head.length) throw new ParseError('Mach-O: fat header is truncated');
  const slices: Omit<MachOSlice, 'signature'>[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * entrySize;
    const offset = magic === FAT_MAGIC_64 ? u64be(head, at + 8, 'slice offset') : u32be(head, at + 8);
    const size = magic === FAT_MAGIC_64 ? u64be(head, at + 16, 'slice size') : u32be(head, at + 12);
    if (offset < 8 + count * entrySize || offset + size > fileSize) {
      throw new ParseError(
        `Mach-O: slice ${i} (${size} bytes at ${offset}) lies outside the ${fileSize}-byte file`,
      );
    }
    slices.push({ cpuType: u32be(head, at), cpuSubtype: u32be(head, at + 4), offset, size });
  }
  return slices;
};

const headerLayout = (
  slice: Uint8Array,
): { read: (b: Uint8Array, at: number) => number; headerSize: number } => {
  if (slice.length < 28) throw new ParseError('Mach-O: header is truncated');
  const be = u32be(slice, 0);
  const le = u32le(slice, 0);
  if (be === MH_MAGIC || be === MH_MAGIC_64) return { read: u32be, headerSize: be === MH_MAGIC_64 ? 32 : 28 };
  if (le === MH_MAGIC || le === MH_MAGIC_64) return { read: u32le, headerSize: le === MH_MAGIC_64 ? 32 : 28 };
  throw new ParseError(`Mach-O: bad slice magic 0x${be.toString(16).padStart(8, '0')}`);
};

/** Bytes from the slice start that hold the header and every load command (from the first 28 bytes). */
export const loadCommandsExtent = (slice: Uint8Array): number => {
  const { read, headerSize } = headerLayout(slice);
  return headerSize + read(slice, 20);
};

/**
 * Where the slice's code signature is, relative to the start of `slice` (which holds at least the
 * Mach-O header and load commands). Undefined when the slice is unsigned.
 */
export const codeSignatureRange = (slice: Uint8Array, sliceSize: number): ByteRange | undefined => {
  const { read, headerSize } = headerLayout(slice);
  const ncmds = read(slice, 16);
  const sizeofcmds = read(slice, 20);
  if (ncmds > MAX_LOAD_COMMANDS) throw new ParseError(`Mach-O: ${ncmds} load commands is more than allowed`);
  if (headerSize + sizeofcmds > sliceSize) {
    throw new ParseError(`Mach-O: load commands (${sizeofcmds} bytes) are larger than the slice`);
  }
  if (headerSize + sizeofcmds > slice.length) {
    throw new ParseError(
      `Mach-O: load commands (${sizeofcmds} bytes) extend past the ${slice.length} bytes read`,
    );
  }
  const end = headerSize + sizeofcmds;
  let at = headerSize;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > end) throw new ParseError(`Mach-O: load command ${i} lies past sizeofcmds`);
    const cmd = read(slice, at);
    const cmdsize = read(slice, at + 4);
    if (cmdsize < 8 || at + cmdsize > end)
      throw new ParseError(`Mach-O: load command ${i} has bad size ${cmdsize}`);
    if (cmd === LC_CODE_SIGNATURE) {
      if (cmdsize < 16) throw new ParseError('Mach-O: LC_CODE_SIGNATURE is truncated');
      const offset = read(slice, at + 8);
      const size = read(slice, at + 12);
      if (offset + size > sliceSize) {
        throw new ParseError(`Mach-O: code signature (${size} bytes at ${offset}) lies outside the slice`);
      }
      if (size > MAX_SIGNATURE_SIZE)
        throw new ParseError(`Mach-O: code signature of ${size} bytes is too large`);
      return { offset, size };
    }
    at += cmdsize;
  }
  return undefined;
};

const cString = (bytes: Uint8Array, at: number, end: number): string | undefined => {
  if (at <= 0 || at >= end) return undefined;
  let stop = at;
  while (stop < end && bytes[stop] !== 0) stop++;
  if (stop === end) return undefined;
  return new TextDecoder('utf-8').decode(bytes.subarray(at, stop));
};

const readCodeDirectory = (
  blob: Uint8Array,
  at: number,
): { identifier?: string; teamId?: string; version: number } => {
  if (at + 44 > blob.length || u32be(blob, at) !== CSMAGIC_CODEDIRECTORY) {
    throw new ParseError(`code signature: no CodeDirectory at offset ${at}`);
  }
  const length = u32be(blob, at + 4);
  if (length < 44 || at + length > blob.length)
    throw new ParseError(`code signature: CodeDirectory length ${length} is invalid`);
  const cd = blob.subarray(at, at + length);
  const version = u32be(cd, 8);
  const result: { identifier?: string; teamId?: string; version: number } = { version };
  const identifier = cString(cd, u32be(cd, 20), length);
  if (identifier !== undefined) result.identifier = identifier;
  if (version >= CS_SUPPORTSTEAMID && length >= 52) {
    const teamId = cString(cd, u32be(cd, 48), length);
    if (teamId !== undefined && teamId !== '') result.teamId = teamId;
  }
  return result;
};

/** Reads an embedded-signature SuperBlob (the bytes LC_CODE_SIGNATURE points at). */
export const parseCodeSignature = (blob: Uint8Array): CodeSignature => {
  if (blob.length < 12 || u32be(blob, 0) !== CSMAGIC_EMBEDDED_SIGNATURE) {
    throw new ParseError('code signature: not an embedded signature SuperBlob (0xfade0cc0)');
  }
  const length = Math.min(u32be(blob, 4), blob.length);
  const count = u32be(blob, 8);
  if (count > MAX_BLOB_INDEX || 12 + count * 8 > length) {
    throw new ParseError(`code signature: index of ${count} blobs does not fit`);
  }
  const sb = blob.subarray(0, length);
  let directory: { identifier?: string; teamId?: string; version: number } | undefined;
  let cms: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const type = u32be(sb, 12 + i * 8);
    const offset = u32be(sb, 16 + i * 8);
    if (offset >= length)
      throw new ParseError(`code signature: blob ${i} offset ${offset} is outside the SuperBlob`);
    const isDirectory =
      type === CSSLOT_CODEDIRECTORY ||
      (type >= CSSLOT_ALTERNATE_CODEDIRECTORIES && type < CSSLOT_ALTERNATE_CODEDIRECTORIES + 5);
    if (isDirectory && (directory === undefined || directory.teamId === undefined)) {
      const found = readCodeDirectory(sb, offset);
      if (directory === undefined || found.teamId !== undefined) directory = found;
    } else if (
      type === CSSLOT_SIGNATURESLOT &&
      offset + 8 <= length &&
      u32be(sb, offset) === CSMAGIC_BLOBWRAPPER
    ) {
      const wrapperLength = u32be(sb, offset + 4);
      if (wrapperLength < 8 || offset + wrapperLength > length) {
        throw new ParseError(`code signature: CMS blob length ${wrapperLength} is invalid`);
      }
      cms = sb.subarray(offset + 8, offset + wrapperLength);
    }
  }
  if (directory === undefined) throw new ParseError('code signature: no CodeDirectory');
  const signature: CodeSignature = { ...directory, signers: [] };
  // Ad-hoc signatures carry an empty CMS blob; that is not an error.
  if (cms !== undefined && cms.length > 0) {
    try {
      signature.signers = parseSignedData(cms).signers;
    } catch (error) {
      signature.cmsError = error instanceof Error ? error.message : String(error);
    }
  }
  return signature;
};

/** Reads every slice of a whole Mach-O file and its code signature. */
export const parseMachO = (bytes: Uint8Array): MachOSlice[] =>
  machOSlices(bytes, bytes.length).map((slice) => {
    const data = bytes.subarray(slice.offset, slice.offset + slice.size);
    const range = codeSignatureRange(data, slice.size);
    if (range === undefined) return slice;
    return {
      ...slice,
      signature: parseCodeSignature(data.subarray(range.offset, range.offset + range.size)),
    };
  });
