/**
 * Constants and fixed-size structures of the ndpack file format. docs/FORMAT.md is the
 * normative spec; each constant names its section there. All integers are little-endian.
 */
import { CorruptError, NdpackError, TruncatedError } from "./errors.js";

/** §Header: the 8 magic bytes, "\x89NDPACK\n" (PNG-style: a high byte, the name, a newline). */
export const MAGIC = Uint8Array.of(0x89, 0x4e, 0x44, 0x50, 0x41, 0x43, 0x4b, 0x0a);
/** §Footer: the 8 bytes that end every file, "NDPKFOOT". */
export const FOOTER_MAGIC = Uint8Array.of(0x4e, 0x44, 0x50, 0x4b, 0x46, 0x4f, 0x4f, 0x54);
/** §Versioning: readers reject a larger major version. */
export const VERSION_MAJOR = 1;
/** §Versioning: a larger minor version may add manifest tags this reader does not know. */
export const VERSION_MINOR = 0;
/** §Header: header size in bytes. */
export const HEADER_BYTES = 64;
/** §Footer: footer size in bytes. */
export const FOOTER_BYTES = 64;
/** §Segments: every segment starts at a multiple of this many bytes. */
export const SEGMENT_ALIGN = 64;
/** §Segment index: size of one segment descriptor, without its chunk table. */
export const DESCRIPTOR_BYTES = 64;
/** §Segment index: size of one chunk table entry. */
export const CHUNK_ENTRY_BYTES = 16;
/** §Segment index: the most filters one segment may list. */
export const MAX_FILTERS = 4;

/**
 * §Segment index: codec ids. "lz4-split" (§Codecs) is what a writer stores for `compress: "lz4"`
 * when the last filter is a shuffle or bitshuffle and the typesize is 2 to 16.
 */
export const CODEC_IDS = { none: 0, lz4: 1, "lz4-split": 2 } as const;
/**
 * §Segment index: the most raw bytes one stored byte of each codec can decode to. LZ4 encodes a
 * match length in runs of 255-valued bytes, so a block expands at most about 255-fold.
 */
export const CODEC_MAX_EXPANSION: Readonly<Record<number, number>> = { [CODEC_IDS.lz4]: 256, [CODEC_IDS["lz4-split"]]: 256 };
/** §Segment index: the largest chunk size a reader accepts, in bytes (64 MiB). */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
/** §Segment index: filter ids. */
export const FILTER_IDS = { shuffle: 1, bitshuffle: 2, delta: 3 } as const;
/** §Segment index, chunk flags: the chunk is stored raw (filtered and compressed it did not shrink). */
export const CHUNK_FLAG_RAW = 1;

/** Rounds `n` up to a multiple of {@link SEGMENT_ALIGN}. */
export function alignUp(n: number): number {
  return Math.ceil(n / SEGMENT_ALIGN) * SEGMENT_ALIGN;
}

/** Reads a u64 that must fit in a safe integer (2^53 - 1); a larger one is corrupt. */
export function readU64(view: DataView, at: number, what: string): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw new CorruptError(`${what}: ${hi} * 2^32 + ${lo} exceeds 2^53 - 1`, { offset: at });
  return hi * 0x1_0000_0000 + lo;
}

/** Writes a non-negative safe integer as a u64. */
export function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 0x1_0000_0000, true);
  view.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** §Header as written: magic, version, header size, zero padding. */
export function writeHeader(): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, VERSION_MAJOR, true);
  view.setUint16(10, VERSION_MINOR, true);
  view.setUint32(12, HEADER_BYTES, true);
  return out;
}

/** The version a header declares. */
export interface HeaderInfo {
  major: number;
  minor: number;
}

/**
 * Checks a header: magic, then version.
 * @param bytes at least the first 64 bytes of a file
 * @param fileBytes size of the whole file, for the truncation message
 * @throws NdpackError `ERR_TRUNCATED`, `ERR_BAD_MAGIC`, `ERR_UNSUPPORTED_VERSION`, `ERR_CORRUPT`
 */
export function readHeader(bytes: Uint8Array, fileBytes: number): HeaderInfo {
  const probe = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < probe; i++) {
    if (bytes[i] !== MAGIC[i]) throw new NdpackError("ERR_BAD_MAGIC", "not an ndpack file: the first 8 bytes are not \\x89NDPACK\\n", { offset: i });
  }
  if (fileBytes < HEADER_BYTES + FOOTER_BYTES) {
    throw new TruncatedError(`file is ${fileBytes} bytes; a valid one has at least ${HEADER_BYTES + FOOTER_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const major = view.getUint16(8, true);
  const minor = view.getUint16(10, true);
  if (major !== VERSION_MAJOR) {
    throw new NdpackError("ERR_UNSUPPORTED_VERSION", `format version ${major}.${minor}; this reader supports ${VERSION_MAJOR}.x`);
  }
  const headerBytes = view.getUint32(12, true);
  if (headerBytes !== HEADER_BYTES) throw new CorruptError(`header declares ${headerBytes} bytes; version 1 headers have ${HEADER_BYTES}`, { offset: 12 });
  return { major, minor };
}

/** §Footer: where the manifest and the segment index are. */
export interface Footer {
  /** Byte offset and size of the manifest. */
  manifestOffset: number;
  manifestBytes: number;
  /** xxHash32 (seed 0) of the manifest bytes. */
  manifestChecksum: number;
  /** Byte offset and size of the segment index. */
  indexOffset: number;
  indexBytes: number;
  /** xxHash32 (seed 0) of the segment index bytes. */
  indexChecksum: number;
  /** Number of segment descriptors in the index. */
  segmentCount: number;
  /** Size of the whole file, footer included. */
  fileBytes: number;
}

/** Serializes a footer (64 bytes). */
export function writeFooter(f: Footer): Uint8Array {
  const out = new Uint8Array(FOOTER_BYTES);
  const view = new DataView(out.buffer);
  writeU64(view, 0, f.manifestOffset);
  writeU64(view, 8, f.manifestBytes);
  writeU64(view, 16, f.indexOffset);
  writeU64(view, 24, f.indexBytes);
  view.setUint32(32, f.segmentCount, true);
  view.setUint32(36, f.manifestChecksum, true);
  view.setUint32(40, f.indexChecksum, true);
  view.setUint32(44, 0, true);
  writeU64(view, 48, f.fileBytes);
  out.set(FOOTER_MAGIC, 56);
  return out;
}

/**
 * Parses and bounds-checks a footer: every region lies between the header and the footer, in
 * order, and the file is as long as the footer says.
 * @param bytes the last 64 bytes of the file
 * @param fileBytes size of the whole file
 * @throws NdpackError `ERR_TRUNCATED` when the file is shorter than declared, `ERR_CORRUPT` otherwise
 */
export function readFooter(bytes: Uint8Array, fileBytes: number): Footer {
  const footerAt = fileBytes - FOOTER_BYTES;
  for (let i = 0; i < FOOTER_MAGIC.length; i++) {
    if (bytes[56 + i] !== FOOTER_MAGIC[i]) {
      throw new TruncatedError(`no footer at offset ${footerAt}: the file was cut short or is corrupt`, { offset: footerAt + 56 });
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FOOTER_BYTES);
  const f: Footer = {
    manifestOffset: readU64(view, 0, "manifest offset"),
    manifestBytes: readU64(view, 8, "manifest size"),
    indexOffset: readU64(view, 16, "index offset"),
    indexBytes: readU64(view, 24, "index size"),
    segmentCount: view.getUint32(32, true),
    manifestChecksum: view.getUint32(36, true),
    indexChecksum: view.getUint32(40, true),
    fileBytes: readU64(view, 48, "file size"),
  };
  if (f.fileBytes > fileBytes) {
    throw new TruncatedError(`footer declares a ${f.fileBytes}-byte file; ${fileBytes} bytes exist`, { offset: footerAt + 48 });
  }
  if (f.fileBytes !== fileBytes) {
    throw new CorruptError(`footer declares a ${f.fileBytes}-byte file; the file has ${fileBytes} bytes`, { offset: footerAt + 48 });
  }
  const regionOk = (at: number, n: number) => at >= HEADER_BYTES && at + n <= footerAt;
  if (!regionOk(f.manifestOffset, f.manifestBytes) || !regionOk(f.indexOffset, f.indexBytes)) {
    throw new CorruptError(
      `manifest [${f.manifestOffset}, +${f.manifestBytes}) or index [${f.indexOffset}, +${f.indexBytes}) lies outside [${HEADER_BYTES}, ${footerAt})`,
      { offset: footerAt },
    );
  }
  if (f.indexBytes < f.segmentCount * DESCRIPTOR_BYTES) {
    throw new CorruptError(`index of ${f.indexBytes} bytes cannot hold ${f.segmentCount} descriptors of ${DESCRIPTOR_BYTES} bytes`, { offset: f.indexOffset });
  }
  return f;
}
