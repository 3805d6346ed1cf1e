/**
 * Bit shuffle in TypeScript, the twin of `assembly/bitshuffle.ts`. Layout (the bitshuffle
 * library's `bshuf_trans_bit_elem`, as blosc's BITSHUFFLE filter calls it): over n = the
 * largest multiple of 8 whole elements, bit plane p = 8 * j + k (byte j of the element, bit k
 * of that byte, LSB first) is n / 8 bytes long, and bit m of its byte r is bit k of byte j of
 * element 8 * r + m. Bytes after those n elements are copied unchanged.
 */
import { checkFilterArgs } from "../check.js";
import { LITTLE_ENDIAN, shuffle, transpose4x4, unshuffle } from "./shuffle.js";

let scratch = new Uint8Array(0);
/** One group's (lo, hi) halves, for the byte-by-byte paths. */
const pair = new Int32Array(2);

/**
 * 8x8 bit transpose (bit m of byte k <-> bit k of byte m; its own inverse) of each of the first
 * `groups` groups of 8 bytes of `words`, in place; a group is a (lo, hi) pair of little-endian
 * 32-bit halves. The steps of the 64-bit version in assembly/bitshuffle.ts, on the two halves.
 */
function transposeGroups(words: Int32Array, groups: number): void {
  for (let g = 0; g < groups; g++) {
    const w = 2 * g;
    let lo = words[w]!;
    let hi = words[w + 1]!;
    let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
    lo ^= t ^ (t << 7);
    t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
    hi ^= t ^ (t << 7);
    t = (lo ^ (lo >>> 14)) & 0x0000cccc;
    lo ^= t ^ (t << 14);
    t = (hi ^ (hi >>> 14)) & 0x0000cccc;
    hi ^= t ^ (t << 14);
    t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
    words[w] = lo ^ t;
    words[w + 1] = hi ^ (t >>> 4);
  }
}

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
  if (LITTLE_ENDIAN && (dst.byteOffset & 3) === 0 && (planeBytes & 3) === 0) {
    // Bit-transpose every group in place, then gather 4 groups' bytes per plane with a 4x4 byte
    // transpose: one 32-bit write per plane instead of four byte writes.
    const rw = new Int32Array(rows.buffer, rows.byteOffset, whole >>> 2);
    transposeGroups(rw, whole >>> 3);
    const dw = new Int32Array(dst.buffer, dst.byteOffset, whole >>> 2);
    const pw = planeBytes >>> 2;
    for (let j = 0; j < typesize; j++) {
      const row = (j * n) >>> 2; // the row's first word, and its planes' first word
      for (let r = 0; r < pw; r++) {
        const w = row + 8 * r;
        transpose4x4(rw[w]!, rw[w + 2]!, rw[w + 4]!, rw[w + 6]!, dw, row + r, pw);
        transpose4x4(rw[w + 1]!, rw[w + 3]!, rw[w + 5]!, rw[w + 7]!, dw, row + 4 * pw + r, pw);
      }
    }
  } else {
    const words = new DataView(rows.buffer, rows.byteOffset, whole);
    for (let j = 0; j < typesize; j++) {
      const row = j * n; // planes 8j..8j+7 are written where row j was read
      for (let r = 0; r < planeBytes; r++) {
        const at = row + 8 * r;
        pair[0] = words.getInt32(at, true);
        pair[1] = words.getInt32(at + 4, true);
        transposeGroups(pair, 1);
        const lo = pair[0]!;
        const hi = pair[1]!;
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
  if (LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (planeBytes & 3) === 0) {
    // One 32-bit read per plane for 4 groups, a 4x4 byte transpose into the groups' halves,
    // then every group bit-transposed in place.
    const sw = new Int32Array(src.buffer, src.byteOffset, whole >>> 2);
    const rw = new Int32Array(rows.buffer, rows.byteOffset, whole >>> 2);
    const pw = planeBytes >>> 2;
    for (let j = 0; j < typesize; j++) {
      const row = (j * n) >>> 2;
      for (let r = 0; r < pw; r++) {
        const p = row + r;
        transpose4x4(sw[p]!, sw[p + pw]!, sw[p + 2 * pw]!, sw[p + 3 * pw]!, rw, row + 8 * r, 2);
        transpose4x4(sw[p + 4 * pw]!, sw[p + 5 * pw]!, sw[p + 6 * pw]!, sw[p + 7 * pw]!, rw, row + 8 * r + 1, 2);
      }
    }
    transposeGroups(rw, whole >>> 3);
  } else {
    const words = new DataView(rows.buffer, rows.byteOffset, whole);
    for (let j = 0; j < typesize; j++) {
      const row = j * n;
      for (let r = 0; r < planeBytes; r++) {
        const p = row + r;
        pair[0] = src[p]! | (src[p + planeBytes]! << 8) | (src[p + 2 * planeBytes]! << 16) | (src[p + 3 * planeBytes]! << 24);
        pair[1] = src[p + 4 * planeBytes]! | (src[p + 5 * planeBytes]! << 8) | (src[p + 6 * planeBytes]! << 16) | (src[p + 7 * planeBytes]! << 24);
        transposeGroups(pair, 1);
        words.setInt32(row + 8 * r, pair[0]!, true);
        words.setInt32(row + 8 * r + 4, pair[1]!, true);
      }
    }
  }
  unshuffle(rows, dst.subarray(0, whole), typesize);
  dst.set(src.subarray(whole), whole);
}
