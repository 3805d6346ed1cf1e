// Byte shuffle as blosc does it: byte j of element i goes to dst[j * n + i], n = whole
// elements; trailing bytes that do not fill an element are copied unchanged.
// Scalar reference for any typesize 1..255; SIMD fast paths for typesize 2, 4 and 8 over
// blocks of 16 elements, the scalar loop for the remaining elements.
import { ERR_LENGTH, ERR_TYPESIZE } from "./status";

// Interleaves of two vectors (the SSE2 unpacklo/unpackhi family).
// @ts-ignore: decorator
@inline export function lo8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
// @ts-ignore: decorator
@inline export function hi8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}
// @ts-ignore: decorator
@inline export function lo16(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}
// @ts-ignore: decorator
@inline export function hi16(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}
// @ts-ignore: decorator
@inline export function lo32(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
}
// @ts-ignore: decorator
@inline export function hi32(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
}
// @ts-ignore: decorator
@inline function lo64(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}
// @ts-ignore: decorator
@inline function hi64(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
}
/** 4x4 transpose of bytes inside one vector (an involution). */
// @ts-ignore: decorator
@inline function transpose4x4Bytes(a: v128): v128 {
  return i8x16.shuffle(a, a, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

/** Scalar shuffle of elements [from, n). */
function shuffleScalar(src: usize, dst: usize, n: usize, typesize: usize, from: usize): void {
  for (let j: usize = 0; j < typesize; j++) {
    const row = dst + j * n;
    let s = src + from * typesize + j;
    for (let i = from; i < n; i++, s += typesize) store<u8>(row + i, load<u8>(s));
  }
}

/** Scalar unshuffle of elements [from, n). */
function unshuffleScalar(src: usize, dst: usize, n: usize, typesize: usize, from: usize): void {
  for (let j: usize = 0; j < typesize; j++) {
    const row = src + j * n;
    let d = dst + from * typesize + j;
    for (let i = from; i < n; i++, d += typesize) store<u8>(d, load<u8>(row + i));
  }
}

function shuffle2(src: usize, dst: usize, n: usize, blocks: usize): void {
  for (let i: usize = 0; i < blocks; i += 16) {
    const a = v128.load(src + 2 * i);
    const b = v128.load(src + 2 * i, 16);
    v128.store(dst + i, i8x16.shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
    v128.store(dst + n + i, i8x16.shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
  }
}

function unshuffle2(src: usize, dst: usize, n: usize, blocks: usize): void {
  for (let i: usize = 0; i < blocks; i += 16) {
    const r0 = v128.load(src + i);
    const r1 = v128.load(src + n + i);
    v128.store(dst + 2 * i, lo8(r0, r1));
    v128.store(dst + 2 * i, hi8(r0, r1), 16);
  }
}

function shuffle4(src: usize, dst: usize, n: usize, blocks: usize): void {
  for (let i: usize = 0; i < blocks; i += 16) {
    const p = src + 4 * i;
    const a = transpose4x4Bytes(v128.load(p));
    const b = transpose4x4Bytes(v128.load(p, 16));
    const c = transpose4x4Bytes(v128.load(p, 32));
    const d = transpose4x4Bytes(v128.load(p, 48));
    const t0 = lo32(a, b), t1 = hi32(a, b), t2 = lo32(c, d), t3 = hi32(c, d);
    v128.store(dst + i, lo64(t0, t2));
    v128.store(dst + n + i, hi64(t0, t2));
    v128.store(dst + 2 * n + i, lo64(t1, t3));
    v128.store(dst + 3 * n + i, hi64(t1, t3));
  }
}

function unshuffle4(src: usize, dst: usize, n: usize, blocks: usize): void {
  for (let i: usize = 0; i < blocks; i += 16) {
    const a = v128.load(src + i);
    const b = v128.load(src + n + i);
    const c = v128.load(src + 2 * n + i);
    const d = v128.load(src + 3 * n + i);
    const t0 = lo32(a, b), t1 = hi32(a, b), t2 = lo32(c, d), t3 = hi32(c, d);
    const p = dst + 4 * i;
    v128.store(p, transpose4x4Bytes(lo64(t0, t2)));
    v128.store(p, transpose4x4Bytes(hi64(t0, t2)), 16);
    v128.store(p, transpose4x4Bytes(lo64(t1, t3)), 32);
    v128.store(p, transpose4x4Bytes(hi64(t1, t3)), 48);
  }
}

/**
 * 8x8 transpose of 16-bit lanes: lane k of output j = lane j of input k.
 * Output j is stored at `out + j * stride`.
 */
// @ts-ignore: decorator
@inline export function transpose8x8Lanes16(
  a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128, a7: v128,
  out: usize, stride: usize,
): void {
  const s0 = lo16(a0, a1), s1 = hi16(a0, a1), s2 = lo16(a2, a3), s3 = hi16(a2, a3);
  const s4 = lo16(a4, a5), s5 = hi16(a4, a5), s6 = lo16(a6, a7), s7 = hi16(a6, a7);
  const u0 = lo32(s0, s2), u1 = hi32(s0, s2), u2 = lo32(s1, s3), u3 = hi32(s1, s3);
  const u4 = lo32(s4, s6), u5 = hi32(s4, s6), u6 = lo32(s5, s7), u7 = hi32(s5, s7);
  v128.store(out, lo64(u0, u4));
  v128.store(out + stride, hi64(u0, u4));
  v128.store(out + 2 * stride, lo64(u1, u5));
  v128.store(out + 3 * stride, hi64(u1, u5));
  v128.store(out + 4 * stride, lo64(u2, u6));
  v128.store(out + 5 * stride, hi64(u2, u6));
  v128.store(out + 6 * stride, lo64(u3, u7));
  v128.store(out + 7 * stride, hi64(u3, u7));
}

/** Pairs byte j of two 8-byte elements: [b0 e0, b0 e1, b1 e0, b1 e1, ...]. */
// @ts-ignore: decorator
@inline function pairBytes(a: v128): v128 {
  return i8x16.shuffle(a, a, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
}
/** Inverse of pairBytes. */
// @ts-ignore: decorator
@inline function unpairBytes(a: v128): v128 {
  return i8x16.shuffle(a, a, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
}

function shuffle8(src: usize, dst: usize, n: usize, blocks: usize): void {
  for (let i: usize = 0; i < blocks; i += 16) {
    const p = src + 8 * i;
    transpose8x8Lanes16(
      pairBytes(v128.load(p)), pairBytes(v128.load(p, 16)),
      pairBytes(v128.load(p, 32)), pairBytes(v128.load(p, 48)),
      pairBytes(v128.load(p, 64)), pairBytes(v128.load(p, 80)),
      pairBytes(v128.load(p, 96)), pairBytes(v128.load(p, 112)),
      dst + i, n,
    );
  }
}

function unshuffle8(src: usize, dst: usize, n: usize, blocks: usize, tmp: usize): void {
  for (let i: usize = 0; i < blocks; i += 16) {
    const p = src + i;
    transpose8x8Lanes16(
      v128.load(p), v128.load(p + n), v128.load(p + 2 * n), v128.load(p + 3 * n),
      v128.load(p + 4 * n), v128.load(p + 5 * n), v128.load(p + 6 * n), v128.load(p + 7 * n),
      tmp, 16,
    );
    const d = dst + 8 * i;
    for (let k: usize = 0; k < 128; k += 16) v128.store(d + k, unpairBytes(v128.load(tmp + k)));
  }
}

/** 128 bytes of scratch for unshuffle8, inside the static data. */
const SCRATCH: usize = memory.data(128, 16);

/**
 * Byte shuffle of `len` bytes from `src` to `dst` (non-overlapping) by `typesize` (1..255).
 * Returns `len`, or ERR_TYPESIZE / ERR_LENGTH.
 */
export function shuffle(src: usize, dst: usize, len: usize, typesize: i32): i32 {
  if (typesize < 1 || typesize > 255) return ERR_TYPESIZE;
  if (len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const ts = <usize>typesize;
  const n = len / ts;
  const blocks = n & ~<usize>15;
  let from: usize = 0;
  if (ts == 2) { shuffle2(src, dst, n, blocks); from = blocks; }
  else if (ts == 4) { shuffle4(src, dst, n, blocks); from = blocks; }
  else if (ts == 8) { shuffle8(src, dst, n, blocks); from = blocks; }
  else if (ts == 1) { from = n; memory.copy(dst, src, n); }
  shuffleScalar(src, dst, n, ts, from);
  const whole = n * ts;
  memory.copy(dst + whole, src + whole, len - whole);
  return <i32>len;
}

/**
 * Inverse of {@link shuffle}: `len` bytes from `src` to `dst` by `typesize` (1..255).
 * Returns `len`, or ERR_TYPESIZE / ERR_LENGTH.
 */
export function unshuffle(src: usize, dst: usize, len: usize, typesize: i32): i32 {
  if (typesize < 1 || typesize > 255) return ERR_TYPESIZE;
  if (len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const ts = <usize>typesize;
  const n = len / ts;
  const blocks = n & ~<usize>15;
  let from: usize = 0;
  if (ts == 2) { unshuffle2(src, dst, n, blocks); from = blocks; }
  else if (ts == 4) { unshuffle4(src, dst, n, blocks); from = blocks; }
  else if (ts == 8) { unshuffle8(src, dst, n, blocks, SCRATCH); from = blocks; }
  else if (ts == 1) { from = n; memory.copy(dst, src, n); }
  unshuffleScalar(src, dst, n, ts, from);
  const whole = n * ts;
  memory.copy(dst + whole, src + whole, len - whole);
  return <i32>len;
}
