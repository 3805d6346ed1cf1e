/**
 * The chunk pipeline (docs/FORMAT.md, "Chunks"): a segment's raw bytes are cut into fixed-size
 * chunks; each chunk is filtered, then compressed, then checksummed, on its own. A chunk that does
 * not shrink is stored raw. Decoding reverses it chunk by chunk, so one chunk decodes without
 * the others.
 */
import { lz4AccelerationOf } from "../codecs/lz4.js";
import { codecById, codecByName, type Codec } from "../codecs/registry.js";
import { CorruptError, NdpackError, shownValue } from "../errors.js";
import { CHUNK_FLAG_RAW, CODEC_IDS, FILTER_IDS, MAX_CHUNK_BYTES } from "../format.js";
import type { SegmentSource } from "../graph/encode.js";
import { checksumError, FUSED_CODECS } from "../kernels/check.js";
import { SPLIT_MAX_TYPESIZE, SPLIT_MIN_TYPESIZE } from "../kernels/split.js";
import type { Kernels } from "../kernels/types.js";
import type { ChunkEntry, SegmentDescriptor } from "./descriptor.js";

/** Filters, applied in the order given before the codec and undone in reverse after it. */
export type FilterName = keyof typeof FILTER_IDS;

/** How segments are encoded. */
export interface SegmentEncodeOptions {
  /** `"none"` (memory-mappable) or a registered codec name such as `"lz4"`. */
  compress: string;
  filters: readonly FilterName[];
  /** Raw bytes per chunk (rounded down to a multiple of the element size). */
  chunkBytes: number;
  /** Compression level, 1 (fastest) to 9 (smallest); see {@link DEFAULT_LEVEL}. */
  level: number;
  /** Checksum uncompressed segments too (they are then chunked; still memory-mappable). */
  checksum: boolean;
  kernels: Kernels;
}

/**
 * Default raw chunk size in bytes: 512 KiB, blosc's block for 4-byte elements at clevel 5
 * (128 KiB per split stream). Against 256 KiB it compresses GloVe + bitshuffle to 85.66 %
 * instead of 85.71 % (blosc: 85.70 %), and encodes and decodes as fast or faster (bench/RESULTS.md).
 */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;
/**
 * Default compression level: 9, as python-blosc's `clevel`. Levels mean what blosc's do for
 * LZ4: acceleration 10 - level (c-blosc's `get_accel`), so level 5 compresses with the LZ4
 * parameters of blosc's clevel 5 (zarr's default). Unlike blosc, the level does not change the
 * chunk size (`chunkBytes` does).
 */
export const DEFAULT_LEVEL = 9;

/** Largest piece one write or one Uint8Array handles, in bytes. */
export const WINDOW_BYTES = 1024 * 1024 * 1024;

/**
 * Bytes `[start, start + length)` of a buffer range that may exceed what one Uint8Array holds.
 * @throws NdpackError `ERR_INVALID_ARGUMENT` when the buffer no longer holds them: detached
 *   (transferred) or shrunk since the value was given, as an async `dump` can see
 */
export function window(src: { buffer: ArrayBufferLike; byteOffset: number }, start: number, length: number): Uint8Array {
  if (src.byteOffset + start + length > src.buffer.byteLength) throw detachedError();
  return new Uint8Array(src.buffer, src.byteOffset + start, length);
}

/** The error for an array whose buffer was transferred or shrunk while it was being encoded or written. */
export function detachedError(): NdpackError {
  return new NdpackError(
    "ERR_INVALID_ARGUMENT",
    "an array's buffer was detached (transferred) or shrunk while it was being written; keep the value's arrays as they are until the call returns (for dump(), until its promise settles)",
  );
}

type Apply = (k: Kernels, src: Uint8Array, dst: Uint8Array, typesize: number) => void;
const FORWARD: Record<number, Apply> = {
  [FILTER_IDS.shuffle]: (k, s, d, t) => k.shuffle(s, d, t),
  [FILTER_IDS.bitshuffle]: (k, s, d, t) => k.bitshuffle(s, d, t),
  [FILTER_IDS.delta]: (k, s, d, t) => k.deltaEncode(s, d, t),
};
const INVERSE: Record<number, Apply> = {
  [FILTER_IDS.shuffle]: (k, s, d, t) => k.unshuffle(s, d, t),
  [FILTER_IDS.bitshuffle]: (k, s, d, t) => k.bitunshuffle(s, d, t),
  [FILTER_IDS.delta]: (k, s, d, t) => k.deltaDecode(s, d, t),
};

/** Checks the encode options once, before anything is written. */
export function validateSegmentOptions(o: SegmentEncodeOptions): void {
  if (typeof o.compress !== "string") throw new NdpackError("ERR_INVALID_ARGUMENT", `compress must be "none" or a codec name, got ${shownValue(o.compress)}`);
  if (o.compress !== "none") codecByName(o.compress);
  if (!Array.isArray(o.filters)) throw new NdpackError("ERR_INVALID_ARGUMENT", `filters must be an array such as ["shuffle"], got ${shownValue(o.filters)}`);
  if (typeof o.checksum !== "boolean") throw new NdpackError("ERR_INVALID_ARGUMENT", `checksum must be true or false, got ${shownValue(o.checksum)}`);
  for (const f of o.filters) {
    if (!Object.hasOwn(FILTER_IDS, f)) throw new NdpackError("ERR_INVALID_ARGUMENT", `unknown filter ${shownValue(f)}; known: ${Object.keys(FILTER_IDS).join(", ")}`);
  }
  if (o.filters.length > 4) throw new NdpackError("ERR_INVALID_ARGUMENT", `at most 4 filters, got ${o.filters.length}`);
  if (!Number.isInteger(o.level) || o.level < 1 || o.level > 9) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `level must be an integer from 1 (fastest) to 9 (smallest), got ${shownValue(o.level)}`);
  }
  if (!Number.isInteger(o.chunkBytes) || o.chunkBytes < 64 || o.chunkBytes > MAX_CHUNK_BYTES) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `chunkBytes must be an integer from 64 to ${MAX_CHUNK_BYTES}, got ${shownValue(o.chunkBytes)}`);
  }
}

/** A segment being encoded: its descriptor (offset 0 until placed) and its stored bytes as pieces. */
export interface EncodedSegment {
  /** Complete once `pieces` has been iterated to the end. */
  descriptor: SegmentDescriptor;
  /**
   * The stored bytes in order. A piece may be a scratch buffer reused for the next one:
   * consume (write or copy) each before asking for the next.
   */
  pieces: Generator<Uint8Array>;
}

/**
 * How many chunks a segment of `src`'s size and element size is cut into with these options
 * (0: stored unchunked). The chunk size is `chunkBytes` rounded down to whole elements.
 */
export function chunkCount(src: Pick<SegmentSource, "byteLength" | "typesize">, o: Omit<SegmentEncodeOptions, "kernels">): number {
  const chunkBytes = chunkBytesFor(Math.min(src.typesize, 255), o);
  return chunkBytes === 0 ? 0 : Math.ceil(src.byteLength / chunkBytes);
}

/** The chunk size a segment of elements of `typesize` bytes gets, or 0 when it is stored unchunked. */
function chunkBytesFor(typesize: number, o: Omit<SegmentEncodeOptions, "kernels">): number {
  const chunked = o.compress !== "none" || o.filters.length > 0 || o.checksum;
  return chunked ? Math.max(typesize, o.chunkBytes - (o.chunkBytes % typesize)) : 0;
}

/** Encodes one segment's bytes per the options. */
export function encodeSegment(src: SegmentSource, o: SegmentEncodeOptions): EncodedSegment {
  const typesize = Math.min(src.typesize, 255);
  const chunkBytes = chunkBytesFor(typesize, o);
  const filters = o.filters.map((f) => FILTER_IDS[f]);
  const descriptor: SegmentDescriptor = {
    offset: 0,
    storedBytes: 0,
    rawBytes: src.byteLength,
    codec: codecFor(o.compress, filters, typesize),
    typesize,
    filters,
    chunkBytes,
    chunks: [],
  };
  const pieces = chunkBytes > 0 ? chunkPieces(src, descriptor, o) : rawPieces(src, descriptor);
  return { descriptor, pieces };
}

/**
 * The codec id a segment is stored with. `lz4` after a shuffle or bitshuffle of 2- to 16-byte
 * elements is stored split into one LZ4 stream per byte of the element (docs/FORMAT.md,
 * "Codecs"), as blosc does: on floats it is smaller and decodes faster.
 */
function codecFor(compress: string, filters: readonly number[], typesize: number): number {
  if (compress === "none") return CODEC_IDS.none;
  const id = codecByName(compress).id;
  const last = filters[filters.length - 1];
  const shuffled = last === FILTER_IDS.shuffle || last === FILTER_IDS.bitshuffle;
  return id === CODEC_IDS.lz4 && shuffled && typesize >= SPLIT_MIN_TYPESIZE && typesize <= SPLIT_MAX_TYPESIZE ? CODEC_IDS["lz4-split"] : id;
}

function* rawPieces(src: SegmentSource, d: SegmentDescriptor): Generator<Uint8Array> {
  for (let at = 0; at < src.byteLength; at += WINDOW_BYTES) yield window(src, at, Math.min(WINDOW_BYTES, src.byteLength - at));
  d.storedBytes = src.byteLength;
}

function* chunkPieces(src: SegmentSource, d: SegmentDescriptor, o: SegmentEncodeOptions): Generator<Uint8Array> {
  if (FUSED_CODECS.includes(d.codec)) {
    // The fused path: filters, LZ4 and the checksum in one kernel call per chunk.
    const k = o.kernels;
    const acceleration = lz4AccelerationOf(o.level);
    for (let at = 0; at < src.byteLength; at += d.chunkBytes) {
      const raw = window(src, at, Math.min(d.chunkBytes, src.byteLength - at));
      const { stored, flags, checksum } = k.encodeChunk(raw, d.filters, d.typesize, d.codec, acceleration);
      d.chunks.push({ storedBytes: stored.length, checksum, flags });
      d.storedBytes += stored.length;
      yield stored;
    }
    return;
  }
  yield* genericChunkPieces(src, d, o);
}

/** The chunk pipeline for registered codecs that the kernels do not fuse: one kernel call per step. */
function* genericChunkPieces(src: SegmentSource, d: SegmentDescriptor, o: SegmentEncodeOptions): Generator<Uint8Array> {
  const k = o.kernels;
  const codec: Codec | null = o.compress === "none" ? null : codecByName(o.compress).create(k.name, o.level);
  let a = new Uint8Array(0);
  let b = new Uint8Array(0);
  if (d.filters.length) {
    a = new Uint8Array(d.chunkBytes);
    b = new Uint8Array(d.chunkBytes);
  }
  for (let at = 0; at < src.byteLength; at += d.chunkBytes) {
    const raw = window(src, at, Math.min(d.chunkBytes, src.byteLength - at));
    let filtered = raw;
    let intoA = true;
    for (const id of d.filters) {
      const out = (intoA ? a : b).subarray(0, raw.length);
      intoA = !intoA;
      FORWARD[id]!(k, filtered, out, d.typesize);
      filtered = out;
    }
    let stored: Uint8Array = filtered;
    let flags = filtered === raw ? CHUNK_FLAG_RAW : 0;
    if (codec) {
      const packed = codec.compress(filtered);
      if (packed) {
        stored = packed;
        flags = 0;
      } else {
        stored = raw;
        flags = CHUNK_FLAG_RAW;
      }
    }
    const entry: ChunkEntry = { storedBytes: stored.length, checksum: k.xxhash32(stored), flags };
    d.chunks.push(entry);
    d.storedBytes += stored.length;
    yield stored;
  }
}

/**
 * Checks the chunk checksums of a memory-mappable segment that has a chunk table (codec none,
 * no filters: one written with `checksum: true`) against its stored bytes, in place. A segment
 * without a chunk table has no checksums and passes.
 * @param d the segment's descriptor
 * @param readStored `length` stored bytes at `relOffset` from the segment's start (a view is fine)
 * @param kernels the xxHash32 implementation
 * @param segment the segment's number, for the error
 * @throws NdpackError `ERR_CHECKSUM` naming the segment and chunk
 */
export function verifyStoredChunks(d: SegmentDescriptor, readStored: (relOffset: number, length: number) => Uint8Array, kernels: Kernels, segment: number): void {
  let rel = 0;
  for (let c = 0; c < d.chunks.length; c++) {
    const entry = d.chunks[c]!;
    checkChunkSum(readStored(rel, entry.storedBytes), entry, kernels, segment, c);
    rel += entry.storedBytes;
  }
}

/** Checks one chunk's stored bytes against its chunk table checksum; the error names segment and chunk. */
function checkChunkSum(stored: Uint8Array, entry: ChunkEntry, kernels: Kernels, segment: number, chunk: number): void {
  const actual = kernels.xxhash32(stored);
  if (actual === entry.checksum) return;
  const e = checksumError(actual, entry.checksum);
  throw new CorruptError(`segment ${segment} chunk ${chunk}: ${e.message}`, { segment, chunk, cause: e }, "ERR_CHECKSUM");
}

/**
 * Decodes a chunked segment into `out` (its raw bytes), chunk by chunk.
 * @param d the segment's descriptor (validated by readIndex)
 * @param readStored returns `length` stored bytes at `relOffset` from the segment's start: a
 *   view of bytes in memory, or `into` (exactly `length` bytes) filled from a file. `into` is
 *   the kernels' own input buffer, so that a file read needs neither an allocation nor the
 *   wasm kernels' copy in.
 * @param out receives `d.rawBytes` bytes; may exceed 4 GiB (it is written a chunk at a time)
 * @param verify check each chunk's checksum
 * @param segment the segment's number, for messages
 * @throws NdpackError `ERR_CHECKSUM` or `ERR_CORRUPT` naming the segment and chunk
 */
export function decodeChunks(
  d: SegmentDescriptor,
  readStored: (relOffset: number, length: number, into: Uint8Array) => Uint8Array,
  out: { buffer: ArrayBufferLike; byteOffset: number },
  kernels: Kernels,
  verify: boolean,
  segment: number,
): void {
  if (FUSED_CODECS.includes(d.codec)) {
    let rel = 0;
    for (let c = 0; c < d.chunks.length; c++) {
      const entry = d.chunks[c]!;
      const rawAt = c * d.chunkBytes;
      const rawLength = Math.min(d.chunkBytes, d.rawBytes - rawAt);
      const stored = readStored(rel, entry.storedBytes, kernels.chunkInput(entry.storedBytes, rawLength));
      const dst = window(out, rawAt, rawLength);
      try {
        kernels.decodeChunk(stored, dst, d.filters, d.typesize, d.codec, entry.flags, verify ? entry.checksum : undefined);
      } catch (e) {
        if (e instanceof NdpackError && (e.code === "ERR_CORRUPT" || e.code === "ERR_CHECKSUM")) {
          throw new CorruptError(`segment ${segment} chunk ${c}: ${e.message}`, { segment, chunk: c, cause: e }, e.code);
        }
        throw e;
      }
      rel += entry.storedBytes;
    }
    return;
  }
  const codec = d.codec === CODEC_IDS.none ? null : codecById(d.codec)?.create(kernels.name, DEFAULT_LEVEL);
  if (d.codec !== CODEC_IDS.none && !codec) throw new CorruptError(`segment ${segment}: unknown codec id ${d.codec}`, { segment });
  let a = new Uint8Array(0);
  let b = new Uint8Array(0);
  if (d.filters.length) {
    a = new Uint8Array(d.chunkBytes);
    b = new Uint8Array(d.chunkBytes);
  }
  // One input buffer for every chunk: a stored chunk is never larger than the chunk size.
  const input = new Uint8Array(d.chunkBytes);
  let rel = 0;
  for (let c = 0; c < d.chunks.length; c++) {
    const entry = d.chunks[c]!;
    const rawAt = c * d.chunkBytes;
    const rawLength = Math.min(d.chunkBytes, d.rawBytes - rawAt);
    const stored = readStored(rel, entry.storedBytes, input.subarray(0, entry.storedBytes));
    if (verify) checkChunkSum(stored, entry, kernels, segment, c);
    const dst = window(out, rawAt, rawLength);
    if (entry.flags & CHUNK_FLAG_RAW) dst.set(stored);
    else {
      // Undo the codec into a scratch buffer (or dst if there are no filters), then the filters in reverse.
      let cur = d.filters.length ? a.subarray(0, rawLength) : dst;
      let intoB = true;
      try {
        if (codec) codec.decompress(stored, cur);
        else cur.set(stored);
      } catch (e) {
        if (e instanceof NdpackError) throw new CorruptError(`segment ${segment} chunk ${c}: ${e.message}`, { segment, chunk: c, cause: e });
        throw e;
      }
      for (let f = d.filters.length - 1; f >= 0; f--) {
        const next = f === 0 ? dst : (intoB ? b : a).subarray(0, rawLength);
        intoB = !intoB;
        INVERSE[d.filters[f]!]!(kernels, cur, next, d.typesize);
        cur = next;
      }
    }
    rel += entry.storedBytes;
  }
}
