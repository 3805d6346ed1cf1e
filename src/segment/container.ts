/**
 * The file layout (docs/FORMAT.md, "Layout"): header, segments on 64-byte boundaries, manifest,
 * segment index, footer. The writer yields the file's bytes in order, so the same code fills a
 * buffer in memory or streams to a file; the reader works over any positioned-read source.
 */
import { CorruptError, NdpackError, TruncatedError } from "../errors.js";
import {
  alignUp,
  FOOTER_BYTES,
  HEADER_BYTES,
  readFooter,
  readHeader,
  writeFooter,
  writeHeader,
  type Footer,
  type HeaderInfo,
} from "../format.js";
import type { EncodedGraph } from "../graph/encode.js";
import { getKernels } from "../kernels/index.js";
import { walkManifest } from "../walk.js";
import { readIndex, writeIndex, type SegmentDescriptor } from "./descriptor.js";
import { encodeSegment, type SegmentEncodeOptions } from "./pipeline.js";

const ZEROS = new Uint8Array(64);

/** Progress of a long operation, in bytes of array data. */
export interface Progress {
  /** Raw bytes of array data done so far. */
  doneBytes: number;
  /** Raw bytes of array data in all. */
  totalBytes: number;
  /** Graph path of the array just done, e.g. `$.model.weights`, when known. */
  path?: string;
}

/** What was written. */
export interface ContainerInfo {
  /** Size of the file or buffer in bytes. */
  bytes: number;
  /** One descriptor per segment, in file order. */
  segments: SegmentDescriptor[];
  /** Size of the manifest in bytes. */
  manifestBytes: number;
}

/**
 * Yields the bytes of a whole file, in order. Pieces may be scratch buffers: consume each
 * before asking for the next. When the generator returns, `info` is complete.
 */
export function* writeContainer(
  graph: EncodedGraph,
  options: SegmentEncodeOptions,
  info: ContainerInfo,
  onProgress?: (p: Progress) => void,
): Generator<Uint8Array> {
  let pos = 0;
  const header = writeHeader();
  yield header;
  pos += header.length;
  let totalBytes = 0;
  for (const s of graph.segments) totalBytes += s.byteLength;
  let doneBytes = 0;
  const paths = onProgress ? walkManifest(graph.manifest, graph.segments.map((s) => s.byteLength), { tree: false }).segmentPaths : [];
  for (const [i, source] of graph.segments.entries()) {
    const pad = alignUp(pos) - pos;
    if (pad) yield ZEROS.subarray(0, pad);
    pos += pad;
    const seg = encodeSegment(source, options);
    seg.descriptor.offset = pos;
    for (const piece of seg.pieces) {
      // Counted before the yield: a consumer that awaits may see the kernels' memory grow,
      // which detaches this view (its length then reads 0).
      const n = piece.length;
      yield piece;
      pos += n;
    }
    info.segments.push(seg.descriptor);
    doneBytes += source.byteLength;
    onProgress?.({ doneBytes, totalBytes, path: paths[i] });
  }
  const manifestOffset = pos;
  yield graph.manifest;
  pos += graph.manifest.length;
  const index = writeIndex(info.segments);
  const indexOffset = pos;
  yield index;
  pos += index.length;
  const footer: Footer = {
    manifestOffset,
    manifestBytes: graph.manifest.length,
    manifestChecksum: getKernels().xxhash32(graph.manifest),
    indexOffset,
    indexBytes: index.length,
    indexChecksum: getKernels().xxhash32(index),
    segmentCount: info.segments.length,
    fileBytes: pos + FOOTER_BYTES,
  };
  yield writeFooter(footer);
  info.bytes = footer.fileBytes;
  info.manifestBytes = graph.manifest.length;
}

/**
 * How many bytes at the start of the file `writeContainer` will write, known before it writes
 * them: through the last segment when segments are stored as they are (no codec, no filter), else
 * the header alone. Writers preallocate this much disk (io/preallocate.ts).
 */
export function knownPrefixBytes(graph: EncodedGraph, options: SegmentEncodeOptions): number {
  if (options.compress !== "none" || options.filters.length > 0) return HEADER_BYTES;
  let pos = HEADER_BYTES;
  for (const s of graph.segments) pos = alignUp(pos) + s.byteLength;
  return pos;
}

/** Positioned reads over a file or a buffer. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * `length` bytes at `offset` (the caller has checked the range). May return a view of the
   * source's own memory; callers must not write to it. A source that would allocate (a file)
   * fills `into` instead when it is given (exactly `length` bytes) and returns it.
   */
  read(offset: number, length: number, into?: Uint8Array): Uint8Array;
}

/** The parsed frame of a file: everything but the segments' bytes. */
export interface Container {
  version: HeaderInfo;
  footer: Footer;
  manifest: Uint8Array;
  segments: SegmentDescriptor[];
}

/**
 * Reads and checks header, footer, manifest and segment index: checksums verified, every
 * offset and size bounded by the file before anything is allocated.
 * @throws NdpackError `ERR_BAD_MAGIC`, `ERR_TRUNCATED`, `ERR_UNSUPPORTED_VERSION`,
 *   `ERR_CORRUPT`, `ERR_CHECKSUM`
 */
export function readContainer(src: ByteSource): Container {
  const size = src.size;
  if (size === 0) throw new TruncatedError("empty input: 0 bytes");
  const version = readHeader(src.read(0, Math.min(size, HEADER_BYTES)), size);
  const footer = readFooter(src.read(size - FOOTER_BYTES, FOOTER_BYTES), size);
  const manifest = src.read(footer.manifestOffset, footer.manifestBytes);
  const indexBytes = src.read(footer.indexOffset, footer.indexBytes);
  // The default kernels: a manifest holding a large vocabulary is megabytes to hash.
  const kernels = getKernels();
  const check = (what: string, bytes: Uint8Array, expected: number, offset: number) => {
    const got = kernels.xxhash32(bytes);
    if (got !== expected) {
      throw new CorruptError(`${what} checksum 0x${got.toString(16)} does not match the footer's 0x${expected.toString(16)}`, { offset }, "ERR_CHECKSUM");
    }
  };
  check("manifest", manifest, footer.manifestChecksum, footer.manifestOffset);
  check("segment index", indexBytes, footer.indexChecksum, footer.indexOffset);
  const dataEnd = Math.min(footer.manifestOffset, footer.indexOffset);
  const segments = readIndex(indexBytes, footer.segmentCount, footer.indexOffset, HEADER_BYTES, dataEnd);
  return { version, footer, manifest, segments };
}

/** A ByteSource over bytes in memory (views, no copies). */
export function memorySource(bytes: Uint8Array): ByteSource {
  if (!(bytes instanceof Uint8Array)) throw new NdpackError("ERR_INVALID_ARGUMENT", "decode needs a Uint8Array (a Buffer is one)");
  // A plain Uint8Array view: on a Node Buffer, slice() would return a view instead of a copy.
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: plain.length, read: (offset, length) => plain.subarray(offset, offset + length) };
}
