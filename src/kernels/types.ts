/**
 * The kernel interface: the byte-level work on array data, implemented twice with identical
 * results to the byte: WebAssembly (AssemblyScript, `assembly/`) and pure TypeScript
 * (`src/kernels/js/`). The folders mirror each other file by file.
 *
 * All lengths are in bytes unless a parameter says elements. `src` and `dst` never overlap.
 * Bytes at the end that do not fill a whole element are copied unchanged (docs/FORMAT.md,
 * "Filters").
 */
export interface Kernels {
  /** Which implementation this is. */
  readonly name: "wasm" | "js";
  /** Byte shuffle (blosc's): byte j of element i goes to `dst[j * n + i]`, n = whole elements. */
  shuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Inverse of {@link Kernels.shuffle}. */
  unshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Bit shuffle (the bitshuffle library's transpose of bits within blocks of 8 elements). */
  bitshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Inverse of {@link Kernels.bitshuffle}. */
  bitunshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Delta: each little-endian integer element minus the previous one, wrapping (typesize 1, 2, 4, 8). */
  deltaEncode(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** Inverse of {@link Kernels.deltaEncode}. */
  deltaDecode(src: Uint8Array, dst: Uint8Array, typesize: number): void;
  /** xxHash32 of `data` (Yann Collet's XXH32), as an unsigned 32-bit integer. */
  xxhash32(data: Uint8Array, seed?: number): number;
  /** float32 -> IEEE float16 bits, round to nearest even; `dst.length >= src.length`. */
  float32ToFloat16(src: Float32Array, dst: Uint16Array): void;
  /** IEEE float16 bits -> float32 (exact). */
  float16ToFloat32(src: Uint16Array, dst: Float32Array): void;
  /** float32 -> bfloat16 bits, round to nearest even (NaN stays NaN). */
  float32ToBfloat16(src: Float32Array, dst: Uint16Array): void;
  /** bfloat16 bits -> float32 (exact). */
  bfloat16ToFloat32(src: Uint16Array, dst: Float32Array): void;
}
