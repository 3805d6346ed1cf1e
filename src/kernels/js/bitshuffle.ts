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
  const words = new DataView(rows.buffer, rows.byteOffset, whole);
  for (let j = 0; j < typesize; j++) {
    const row = j * n; // planes 8j..8j+7 are written where row j was read
    for (let r = 0; r < planeBytes; r++) {
      const at = row + 8 * r;
      // 8x8 bit transpose of bytes at..at+7 (bit m of byte k <-> bit k of byte m), on the two
      // little-endian 32-bit halves: the steps of the 64-bit version in assembly/bitshuffle.ts.
      let lo = words.getInt32(at, true);
      let hi = words.getInt32(at + 4, true);
      let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
      lo ^= t ^ (t << 7);
      t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
      hi ^= t ^ (t << 7);
      t = (lo ^ (lo >>> 14)) & 0x0000cccc;
      lo ^= t ^ (t << 14);
      t = (hi ^ (hi >>> 14)) & 0x0000cccc;
      hi ^= t ^ (t << 14);
      t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
      lo ^= t;
      hi ^= t >>> 4;
      const out = row + r;
      dst[out] = lo;
      dst[out + planeBytes] = lo >>> 8;
      dst[out + 2 * planeBytes] = lo >>> 16;
      dst[out + 3 * planeBytes] = lo >>> 24;
      dst[out + 4 * planeBytes] = hi;
      dst[out + 5 * planeBytes] = hi >>> 8;
      dst[out + 6 * planeBytes] = hi >>> 16;
      dst[out + 7 * planeBytes] = hi >>> 24;
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
  const words = new DataView(rows.buffer, rows.byteOffset, whole);
  for (let j = 0; j < typesize; j++) {
    const row = j * n;
    for (let r = 0; r < planeBytes; r++) {
      const p = row + r;
      let lo = src[p]! | (src[p + planeBytes]! << 8) | (src[p + 2 * planeBytes]! << 16) | (src[p + 3 * planeBytes]! << 24);
      let hi = src[p + 4 * planeBytes]! | (src[p + 5 * planeBytes]! << 8) | (src[p + 6 * planeBytes]! << 16) | (src[p + 7 * planeBytes]! << 24);
      // The same 8x8 bit transpose as in bitshuffle (it is its own inverse).
      let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
      lo ^= t ^ (t << 7);
      t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
      hi ^= t ^ (t << 7);
      t = (lo ^ (lo >>> 14)) & 0x0000cccc;
      lo ^= t ^ (t << 14);
      t = (hi ^ (hi >>> 14)) & 0x0000cccc;
      hi ^= t ^ (t << 14);
      t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
      words.setInt32(row + 8 * r, lo ^ t, true);
      words.setInt32(row + 8 * r + 4, hi ^ (t >>> 4), true);
    }
  }
  unshuffle(rows, dst.subarray(0, whole), typesize);
  dst.set(src.subarray(whole), whole);
}
