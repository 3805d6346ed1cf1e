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
