/**
 * Delta filter in TypeScript, the twin of `assembly/delta.ts`: each little-endian integer
 * element minus the previous one, wrapping; the first element is stored as is; trailing bytes
 * that do not fill an element are copied unchanged. Typesize 1, 2, 4 or 8.
 */
import { checkFilterArgs, DELTA_TYPESIZES } from "../check.js";
import { LITTLE_ENDIAN } from "./shuffle.js";

/** Reads the little-endian 32-bit word at byte `p`. */
function read32(a: Uint8Array, p: number): number {
  return a[p]! | (a[p + 1]! << 8) | (a[p + 2]! << 16) | (a[p + 3]! << 24);
}

/** Writes the low 32 bits of `v` little-endian at byte `p`. */
function write32(a: Uint8Array, p: number, v: number): void {
  a[p] = v;
  a[p + 1] = v >>> 8;
  a[p + 2] = v >>> 16;
  a[p + 3] = v >>> 24;
}

/**
 * Delta-encodes `src` into `dst` by `typesize`.
 * @param src input bytes
 * @param dst output, at least `src.length` bytes, not overlapping `src`; first `src.length` bytes written
 * @param typesize element size in bytes: 1, 2, 4 or 8
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for another typesize or a short `dst`
 * @example deltaEncode(new Uint8Array([5, 7, 6]), out, 1) // out = 5 2 255
 */
export function deltaEncode(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  checkFilterArgs("deltaEncode", src, dst, typesize, DELTA_TYPESIZES);
  const whole = Math.floor(src.length / typesize) * typesize;
  if (typesize === 1) {
    let prev = 0;
    for (let p = 0; p < whole; p++) {
      const v = src[p]!;
      dst[p] = v - prev;
      prev = v;
    }
  } else if (typesize === 2) {
    let prev = 0;
    for (let p = 0; p < whole; p += 2) {
      const v = src[p]! | (src[p + 1]! << 8);
      const d = v - prev;
      dst[p] = d;
      dst[p + 1] = d >>> 8;
      prev = v;
    }
  } else if (typesize === 4 && LITTLE_ENDIAN && ((src.byteOffset | dst.byteOffset) & 3) === 0) {
    const s = new Int32Array(src.buffer, src.byteOffset, whole >>> 2);
    const d = new Int32Array(dst.buffer, dst.byteOffset, whole >>> 2);
    let prev = 0;
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!;
      d[i] = v - prev;
      prev = v;
    }
  } else if (typesize === 4) {
    let prev = 0;
    for (let p = 0; p < whole; p += 4) {
      const v = read32(src, p);
      write32(dst, p, v - prev);
      prev = v;
    }
  } else {
    let prevLo = 0;
    let prevHi = 0;
    for (let p = 0; p < whole; p += 8) {
      const lo = read32(src, p) >>> 0;
      const hi = read32(src, p + 4);
      const borrow = lo < prevLo ? 1 : 0;
      write32(dst, p, lo - prevLo);
      write32(dst, p + 4, hi - prevHi - borrow);
      prevLo = lo;
      prevHi = hi;
    }
  }
  dst.set(src.subarray(whole), whole);
}

/**
 * Inverse of {@link deltaEncode}.
 * @param src delta-encoded bytes
 * @param dst output, at least `src.length` bytes, not overlapping `src`; first `src.length` bytes written
 * @param typesize element size in bytes: 1, 2, 4 or 8
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for another typesize or a short `dst`
 * @example deltaDecode(new Uint8Array([5, 2, 255]), out, 1) // out = 5 7 6
 */
export function deltaDecode(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  checkFilterArgs("deltaDecode", src, dst, typesize, DELTA_TYPESIZES);
  const whole = Math.floor(src.length / typesize) * typesize;
  if (typesize === 1) {
    let acc = 0;
    for (let p = 0; p < whole; p++) {
      acc = (acc + src[p]!) & 0xff;
      dst[p] = acc;
    }
  } else if (typesize === 2) {
    let acc = 0;
    for (let p = 0; p < whole; p += 2) {
      acc = (acc + (src[p]! | (src[p + 1]! << 8))) & 0xffff;
      dst[p] = acc;
      dst[p + 1] = acc >>> 8;
    }
  } else if (typesize === 4 && LITTLE_ENDIAN && ((src.byteOffset | dst.byteOffset) & 3) === 0) {
    const s = new Int32Array(src.buffer, src.byteOffset, whole >>> 2);
    const d = new Int32Array(dst.buffer, dst.byteOffset, whole >>> 2);
    let acc = 0;
    for (let i = 0; i < s.length; i++) {
      acc = (acc + s[i]!) | 0;
      d[i] = acc;
    }
  } else if (typesize === 4) {
    let acc = 0;
    for (let p = 0; p < whole; p += 4) {
      acc = (acc + read32(src, p)) | 0;
      write32(dst, p, acc);
    }
  } else {
    let accLo = 0;
    let accHi = 0;
    for (let p = 0; p < whole; p += 8) {
      const sum = accLo + (read32(src, p) >>> 0);
      const carry = sum > 0xffffffff ? 1 : 0;
      accLo = sum >>> 0;
      accHi = (accHi + read32(src, p + 4) + carry) | 0;
      write32(dst, p, accLo);
      write32(dst, p + 4, accHi);
    }
  }
  dst.set(src.subarray(whole), whole);
}
