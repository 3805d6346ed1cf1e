/**
 * The kernel interface: the byte-level work on array data, implemented twice with identical
 * results to the byte: WebAssembly (AssemblyScript, `assembly/`) and pure TypeScript
 * (`src/kernels/js/`). The folders mirror each other file by file.
 *
 * All lengths are in bytes unless a parameter says elements. `src` and `dst` never overlap.
 * Bytes at the end that do not fill a whole element are copied unchanged (docs/FORMAT.md,
 * "Filters"). Filters act on one call's bytes as a whole, at any length. Bad arguments (a
 * typesize the kernel does not take, a `dst` shorter than `src`) throw `NdpackError`
 * `ERR_INVALID_ARGUMENT`; only the first `src.length` elements of `dst` are written.
 */
import type { CHUNK_FLAG_RAW } from "../format.js";
/**
 * One chunk as stored by {@link Kernels.encodeChunk}.
 */
export interface EncodedChunk {
  /**
   * The stored bytes. Owned by the kernels: it may view WebAssembly memory or a scratch buffer
   * of the js kernels, valid until the next call on the same kernels; or it is the caller's
   * `raw` itself (flag {@link CHUNK_FLAG_RAW}). Copy or write it before the next call.
   */
  stored: Uint8Array;
  /** Chunk flags (docs/FORMAT.md, "Segment index"): {@link CHUNK_FLAG_RAW} or 0. */
  flags: number;
  /** xxHash32 (seed 0) of `stored`, unsigned. */
  checksum: number;
}

export interface Kernels {
  /** Which implementation this is. */
  readonly name: "wasm" | "js";
  /** Byte shuffle (blosc's): byte j of element i goes to `dst[j * n + i]`, n = whole elements. */
  shuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Inverse of {@link Kernels.shuffle}. */
  unshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /**
   * Bit shuffle (the bitshuffle library's `bshuf_trans_bit_elem`, as blosc's BITSHUFFLE filter
   * applies it): over n = the largest multiple of 8 whole elements, bit plane p = 8 * j + k
   * (byte j of the element, bit k of that byte, LSB first) takes n / 8 bytes, and bit m of its
   * byte r is bit k of byte j of element 8 * r + m. Bytes after those n elements are copied.
   */
  bitshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Inverse of {@link Kernels.bitshuffle}. */
  bitunshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Delta: each little-endian integer element minus the previous one, wrapping (typesize 1, 2, 4, 8). */
  deltaEncode(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Inverse of {@link Kernels.deltaEncode}. */
  deltaDecode(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /**
   * Compresses `src` into one standard LZ4 block (no size prefix) at the start of `dst`
   * (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md; algorithm in assembly/lz4.ts).
   * Both implementations write the same bytes.
   * @param planes the input is bit planes: hash 5 bytes per position (default false)
   * @param acceleration 1 (default: smallest output) to 65537, as the reference LZ4's
   * @returns the block length in bytes, or a negative status: -4 when the block does not fit in
   *   `dst.length` bytes, -3 when `src` is over 0x7E000000 bytes. Never throws.
   */
  lz4Compress(src: Uint8Array, dst: Uint8Array, planes?: boolean, acceleration?: number): number;
  /**
   * Decompresses one LZ4 block into `dst`, strictly bounds-checked (never reads past `src` nor
   * writes past `dst`; rejects offsets before the output start).
   * @returns the bytes written, or -5 for a malformed block. Never throws.
   */
  lz4Decompress(src: Uint8Array, dst: Uint8Array): number;
  /**
   * The fused chunk pipeline (docs/FORMAT.md, "Chunks"): `filters` in order, then `codec`,
   * then xxHash32 of the stored bytes, in one call. The wasm kernels copy `raw` into their
   * memory once and hand back a view of it; the js kernels use reused scratch buffers.
   * Equal to the composition of the single kernels: with a codec, a block that does not
   * shrink (strictly) gives `raw` itself with flag {@link CHUNK_FLAG_RAW}; without codec and
   * filters, `raw` with that flag; without codec but with filters, the filtered bytes, flags 0.
   * @param raw the chunk's raw bytes, at most MAX_CHUNK_BYTES (64 MiB)
   * @param filters filter ids (FILTER_IDS) in the order they apply
   * @param typesize element size in bytes for the filters, 1..255 (delta: 1, 2, 4, 8)
   * @param codec a CODEC_IDS value: none, lz4 or lz4-split (typesize 2 to 16; src/kernels/split.ts)
   * @param acceleration the LZ4 compressor's, 1 (default: smallest output) to 65537
   * @returns the stored bytes (owned by the kernels, valid until the next call), flags, checksum
   * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for an unknown filter or codec, a bad
   *   typesize or a chunk over MAX_CHUNK_BYTES
   */
  encodeChunk(raw: Uint8Array, filters: readonly number[], typesize: number, codec: number, acceleration?: number): EncodedChunk;
  /**
   * Inverse of {@link Kernels.encodeChunk}: checks the checksum (when `expectedChecksum` is
   * given), undoes the codec, then the filters in reverse, into `dst` (exactly the chunk's raw
   * length). The wasm kernels copy `stored` in once (not when it is the buffer
   * {@link Kernels.chunkInput} gave) and the result out once.
   * @param stored the stored bytes of the chunk
   * @param dst receives the raw bytes; its length is the chunk's raw length
   * @param expectedChecksum the chunk table's checksum, or undefined to skip the check
   * @throws {CorruptError} `ERR_CHECKSUM` when the checksum differs, `ERR_CORRUPT` when the
   *   block is malformed or does not decode to exactly `dst.length` bytes;
   *   {@link NdpackError} `ERR_INVALID_ARGUMENT` for unknown ids or a bad typesize
   */
  decodeChunk(
    stored: Uint8Array,
    dst: Uint8Array,
    filters: readonly number[],
    typesize: number,
    codec: number,
    flags: number,
    expectedChecksum: number | undefined,
  ): void;
  /**
   * A buffer of exactly `storedBytes` bytes to read a chunk's stored bytes into (from a file)
   * and then pass as `stored` to {@link Kernels.decodeChunk}: the wasm kernels hand out their
   * own input region, which saves them the copy in. Valid until the next kernel call.
   * @param storedBytes the chunk's stored size (the chunk table bounds it by the chunk size)
   * @param rawBytes the chunk's raw size
   * @throws {NdpackError} `ERR_LIMIT` when the wasm memory cannot grow to hold the chunk
   */
  chunkInput(storedBytes: number, rawBytes: number): Uint8Array;
  /** xxHash32 of `data` (Yann Collet's XXH32), as an unsigned 32-bit integer. */
  xxhash32(data: Uint8Array, seed?: number): number;
  /**
   * float32 -> IEEE float16 bits, round to nearest even; overflow gives infinity; NaN stays NaN,
   * quiet (top payload bits kept, bit 0x0200 set); `dst.length >= src.length`.
   */
  float32ToFloat16(src: Float32Array, dst: Uint16Array): void;
  /** IEEE float16 bits -> float32 (exact; a NaN comes back quiet, bit 0x00400000 set). */
  float16ToFloat32(src: Uint16Array, dst: Float32Array): void;
  /** float32 -> bfloat16 bits, round to nearest even (NaN stays NaN, quiet: bit 0x0040 set). */
  float32ToBfloat16(src: Float32Array, dst: Uint16Array): void;
  /** bfloat16 bits -> float32 (exact; a NaN comes back quiet, bit 0x00400000 set). */
  bfloat16ToFloat32(src: Uint16Array, dst: Float32Array): void;
}
