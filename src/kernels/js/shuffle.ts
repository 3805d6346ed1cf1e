/**
 * Byte shuffle in TypeScript, the twin of `assembly/shuffle.ts`: byte j of element i goes to
 * `dst[j * n + i]`, n = whole elements; trailing bytes are copied unchanged.
 */
import { checkFilterArgs } from "../check.js";

/** True on little-endian hosts (all that run JavaScript in practice); the word paths need it. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * 4x4 byte transpose of the little-endian words a, b, c, d: byte i of word k written
 * (`out[at + k * stride]`) is byte k of input word i.
 */
export function transpose4x4(a: number, b: number, c: number, d: number, out: Int32Array, at: number, stride: number): void {
  out[at] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
  out[at + stride] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d & 0xff00) << 16);
  out[at + 2 * stride] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d & 0xff0000) << 8);
  out[at + 3 * stride] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
}

/**
 * Byte shuffle of `src` into `dst` by `typesize`.
 * @param src input bytes
 * @param dst output, at least `src.length` bytes, not overlapping `src`; first `src.length` bytes written
 * @param typesize element size in bytes, 1..255
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for a bad typesize or a short `dst`
 * @example shuffle(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]), out, 4) // out = 0 4 1 5 2 6 3 7
 */
export function shuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  checkFilterArgs("shuffle", src, dst, typesize);
  const n = Math.floor(src.length / typesize);
  const whole = n * typesize;
  if (typesize === 4 && LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && (n & 3) === 0) {
    // Four elements at a time: four 32-bit reads, a 4x4 byte transpose, one 32-bit write per row.
    const words = new Int32Array(src.buffer, src.byteOffset, n);
    const rows = new Int32Array(dst.buffer, dst.byteOffset, n);
    const q = n >>> 2;
    for (let i = 0; i < q; i++) transpose4x4(words[4 * i]!, words[4 * i + 1]!, words[4 * i + 2]!, words[4 * i + 3]!, rows, i, q);
  } else if (typesize === 8 && LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && (n & 3) === 0) {
    // Four elements at a time, as two 4x4 transposes: their low words give rows 0-3, their
    // high words rows 4-7 (the byte loop below ran 6.9x behind WebAssembly on int64 ids).
    const words = new Int32Array(src.buffer, src.byteOffset, 2 * n);
    const rows = new Int32Array(dst.buffer, dst.byteOffset, 2 * n);
    const q = n >>> 2;
    for (let i = 0; i < q; i++) {
      const w = 8 * i;
      transpose4x4(words[w]!, words[w + 2]!, words[w + 4]!, words[w + 6]!, rows, i, q);
      transpose4x4(words[w + 1]!, words[w + 3]!, words[w + 5]!, words[w + 7]!, rows, 4 * q + i, q);
    }
  } else if (typesize === 4 && LITTLE_ENDIAN && (src.byteOffset & 3) === 0) {
    // One 32-bit read per element instead of four byte reads.
    const words = new Uint32Array(src.buffer, src.byteOffset, n);
    const n2 = 2 * n;
    const n3 = 3 * n;
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      dst[i] = w;
      dst[n + i] = w >>> 8;
      dst[n2 + i] = w >>> 16;
      dst[n3 + i] = w >>> 24;
    }
  } else if (typesize === 2 && LITTLE_ENDIAN && (src.byteOffset & 1) === 0) {
    const words = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      dst[i] = w;
      dst[n + i] = w >>> 8;
    }
  } else {
    for (let j = 0; j < typesize; j++) {
      const row = j * n;
      for (let i = 0, s = j; i < n; i++, s += typesize) dst[row + i] = src[s]!;
    }
  }
  dst.set(src.subarray(whole), whole);
}

/**
 * Inverse of {@link shuffle}.
 * @param src shuffled bytes
 * @param dst output, at least `src.length` bytes, not overlapping `src`; first `src.length` bytes written
 * @param typesize element size in bytes, 1..255
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for a bad typesize or a short `dst`
 * @example unshuffle(new Uint8Array([0, 4, 1, 5, 2, 6, 3, 7]), out, 4) // out = 0 1 2 ... 7
 */
export function unshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  checkFilterArgs("unshuffle", src, dst, typesize);
  const n = Math.floor(src.length / typesize);
  const whole = n * typesize;
  if (typesize === 4 && LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && (n & 3) === 0) {
    // Four elements at a time: one 32-bit read per row, a 4x4 byte transpose, four 32-bit writes.
    const rows = new Int32Array(src.buffer, src.byteOffset, n);
    const words = new Int32Array(dst.buffer, dst.byteOffset, n);
    const q = n >>> 2;
    for (let i = 0; i < q; i++) transpose4x4(rows[i]!, rows[q + i]!, rows[2 * q + i]!, rows[3 * q + i]!, words, 4 * i, 1);
  } else if (typesize === 8 && LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && (n & 3) === 0) {
    // The inverse of shuffle's typesize-8 path: rows 0-3 give the low words, rows 4-7 the high.
    const rows = new Int32Array(src.buffer, src.byteOffset, 2 * n);
    const words = new Int32Array(dst.buffer, dst.byteOffset, 2 * n);
    const q = n >>> 2;
    for (let i = 0; i < q; i++) {
      transpose4x4(rows[i]!, rows[q + i]!, rows[2 * q + i]!, rows[3 * q + i]!, words, 8 * i, 2);
      transpose4x4(rows[4 * q + i]!, rows[5 * q + i]!, rows[6 * q + i]!, rows[7 * q + i]!, words, 8 * i + 1, 2);
    }
  } else if (typesize === 4 && LITTLE_ENDIAN && (dst.byteOffset & 3) === 0) {
    // One 32-bit write per element instead of four byte writes.
    const words = new Uint32Array(dst.buffer, dst.byteOffset, n);
    const n2 = 2 * n;
    const n3 = 3 * n;
    for (let i = 0; i < n; i++) {
      words[i] = src[i]! | (src[n + i]! << 8) | (src[n2 + i]! << 16) | (src[n3 + i]! << 24);
    }
  } else if (typesize === 2 && LITTLE_ENDIAN && (dst.byteOffset & 1) === 0) {
    const words = new Uint16Array(dst.buffer, dst.byteOffset, n);
    for (let i = 0; i < n; i++) words[i] = src[i]! | (src[n + i]! << 8);
  } else {
    for (let j = 0; j < typesize; j++) {
      const row = j * n;
      for (let i = 0, d = j; i < n; i++, d += typesize) dst[d] = src[row + i]!;
    }
  }
  dst.set(src.subarray(whole), whole);
}
