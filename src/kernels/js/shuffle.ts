/**
 * Byte shuffle in TypeScript, the twin of `assembly/shuffle.ts`: byte j of element i goes to
 * `dst[j * n + i]`, n = whole elements; trailing bytes are copied unchanged.
 */
import { checkFilterArgs } from "../check.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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
  if (typesize === 4 && LITTLE_ENDIAN && (src.byteOffset & 3) === 0) {
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
  if (typesize === 4 && LITTLE_ENDIAN && (dst.byteOffset & 3) === 0) {
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
