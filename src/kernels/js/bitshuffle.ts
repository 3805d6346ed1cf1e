/**
 * Bit shuffle in TypeScript, the twin of `assembly/bitshuffle.ts`. Layout (the bitshuffle
 * library's `bshuf_trans_bit_elem`, as blosc's BITSHUFFLE filter calls it): over n = the
 * largest multiple of 8 whole elements, bit plane p = 8 * j + k (byte j of the element, bit k
 * of that byte, LSB first) is n / 8 bytes long, and bit m of its byte r is bit k of byte j of
 * element 8 * r + m. Bytes after those n elements are copied unchanged.
 */
import { checkFilterArgs } from "../check.js";
import { shuffle, unshuffle } from "./shuffle.js";

let scratch = new Uint8Array(0);

/** A reused scratch buffer of `bytes` bytes (contents undefined); kept between calls. */
function scratchBytes(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  return scratch.subarray(0, bytes);
}

// Result of transposeBits8x8: bytes 0-3 and 4-7 of the transposed matrix.
let outLo = 0;
let outHi = 0;

/**
 * Transposes the 8x8 bit matrix whose bytes 0-3 are `lo` and 4-7 are `hi` (little-endian):
 * bit m of byte k <-> bit k of byte m. Same steps as the 64-bit version in wasm, on two halves.
 * Writes the result to outLo / outHi.
 */
function transposeBits8x8(lo: number, hi: number): void {
  let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
  lo ^= t ^ (t << 7);
  t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
  hi ^= t ^ (t << 7);
  t = (lo ^ (lo >>> 14)) & 0x0000cccc;
  lo ^= t ^ (t << 14);
  t = (hi ^ (hi >>> 14)) & 0x0000cccc;
  hi ^= t ^ (t << 14);
  t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
  outLo = lo ^ t;
  outHi = hi ^ (t >>> 4);
}

/**
 * Bit shuffle of `src` into `dst` by `typesize`.
 * @param src input bytes
 * @param dst output, at least `src.length` bytes, not overlapping `src`; first `src.length` bytes written
 * @param typesize element size in bytes, 1..255
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for a bad typesize or a short `dst`
 * @example bitshuffle(new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1]), out, 1) // out = 255 0 0 0 0 0 0 0
 */
export function bitshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  checkFilterArgs("bitshuffle", src, dst, typesize);
  const n = Math.floor(src.length / typesize / 8) * 8;
  const whole = n * typesize;
  const planeBytes = n / 8;
  const rows = scratchBytes(whole);
  shuffle(src.subarray(0, whole), rows, typesize);
  for (let j = 0; j < typesize; j++) {
    const row = j * n; // planes 8j..8j+7 are written where row j was read
    for (let r = 0; r < planeBytes; r++) {
      const at = row + 8 * r;
      transposeBits8x8(
        rows[at]! | (rows[at + 1]! << 8) | (rows[at + 2]! << 16) | (rows[at + 3]! << 24),
        rows[at + 4]! | (rows[at + 5]! << 8) | (rows[at + 6]! << 16) | (rows[at + 7]! << 24),
      );
      const out = row + r;
      dst[out] = outLo;
      dst[out + planeBytes] = outLo >>> 8;
      dst[out + 2 * planeBytes] = outLo >>> 16;
      dst[out + 3 * planeBytes] = outLo >>> 24;
      dst[out + 4 * planeBytes] = outHi;
      dst[out + 5 * planeBytes] = outHi >>> 8;
      dst[out + 6 * planeBytes] = outHi >>> 16;
      dst[out + 7 * planeBytes] = outHi >>> 24;
    }
  }
  dst.set(src.subarray(whole), whole);
}

/**
 * Inverse of {@link bitshuffle}.
 * @param src bit-shuffled bytes
 * @param dst output, at least `src.length` bytes, not overlapping `src`; first `src.length` bytes written
 * @param typesize element size in bytes, 1..255
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for a bad typesize or a short `dst`
 * @example bitunshuffle(new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0]), out, 1) // out = 1 1 1 1 1 1 1 1
 */
export function bitunshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  checkFilterArgs("bitunshuffle", src, dst, typesize);
  const n = Math.floor(src.length / typesize / 8) * 8;
  const whole = n * typesize;
  const planeBytes = n / 8;
  const rows = scratchBytes(whole);
  for (let j = 0; j < typesize; j++) {
    const row = j * n;
    for (let r = 0; r < planeBytes; r++) {
      const p = row + r;
      transposeBits8x8(
        src[p]! | (src[p + planeBytes]! << 8) | (src[p + 2 * planeBytes]! << 16) | (src[p + 3 * planeBytes]! << 24),
        src[p + 4 * planeBytes]! | (src[p + 5 * planeBytes]! << 8) | (src[p + 6 * planeBytes]! << 16) | (src[p + 7 * planeBytes]! << 24),
      );
      const at = row + 8 * r;
      rows[at] = outLo;
      rows[at + 1] = outLo >>> 8;
      rows[at + 2] = outLo >>> 16;
      rows[at + 3] = outLo >>> 24;
      rows[at + 4] = outHi;
      rows[at + 5] = outHi >>> 8;
      rows[at + 6] = outHi >>> 16;
      rows[at + 7] = outHi >>> 24;
    }
  }
  unshuffle(rows, dst.subarray(0, whole), typesize);
  dst.set(src.subarray(whole), whole);
}
