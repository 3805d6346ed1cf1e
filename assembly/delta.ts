// Delta filter: each little-endian integer element minus the previous one, wrapping; the
// first element is stored as is; trailing bytes that do not fill an element are copied.
// Typesize 1, 2, 4 or 8. Encoding is SIMD (v - v shifted by one element); decoding is a
// running sum, scalar.
import { ERR_LENGTH, ERR_TYPESIZE } from "./status";

// @ts-ignore: decorator
@inline function subLanes(a: v128, b: v128, typesize: usize): v128 {
  if (typesize == 1) return i8x16.sub(a, b);
  if (typesize == 2) return i16x8.sub(a, b);
  if (typesize == 4) return i32x4.sub(a, b);
  return i64x2.sub(a, b);
}

// @ts-ignore: decorator
@inline function encodeWidth<T>(src: usize, dst: usize, n: usize): void {
  const ts = <usize>sizeof<T>();
  const whole = n * ts;
  if (n == 0) return;
  store<T>(dst, load<T>(src));
  let p: usize = ts;
  for (; p + 16 <= whole; p += 16) {
    v128.store(dst + p, subLanes(v128.load(src + p), v128.load(src + p - ts), ts));
  }
  for (; p < whole; p += ts) store<T>(dst + p, load<T>(src + p) - load<T>(src + p - ts));
}

// @ts-ignore: decorator
@inline function decodeWidth<T>(src: usize, dst: usize, n: usize): void {
  const ts = <usize>sizeof<T>();
  let acc: T = 0;
  for (let p: usize = 0, end = n * ts; p < end; p += ts) {
    acc += load<T>(src + p);
    store<T>(dst + p, acc);
  }
}

/**
 * Delta-encodes `len` bytes from `src` to `dst` (non-overlapping) by `typesize` (1, 2, 4, 8).
 * Returns `len`, or ERR_TYPESIZE / ERR_LENGTH.
 */
export function deltaEncode(src: usize, dst: usize, len: usize, typesize: i32): i32 {
  if (len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const ts = <usize>typesize;
  const n = len / ts;
  if (typesize == 1) encodeWidth<u8>(src, dst, n);
  else if (typesize == 2) encodeWidth<u16>(src, dst, n);
  else if (typesize == 4) encodeWidth<u32>(src, dst, n);
  else if (typesize == 8) encodeWidth<u64>(src, dst, n);
  else return ERR_TYPESIZE;
  memory.copy(dst + n * ts, src + n * ts, len - n * ts);
  return <i32>len;
}

/**
 * Inverse of {@link deltaEncode}. Returns `len`, or ERR_TYPESIZE / ERR_LENGTH.
 */
export function deltaDecode(src: usize, dst: usize, len: usize, typesize: i32): i32 {
  if (len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const ts = <usize>typesize;
  const n = len / ts;
  if (typesize == 1) decodeWidth<u8>(src, dst, n);
  else if (typesize == 2) decodeWidth<u16>(src, dst, n);
  else if (typesize == 4) decodeWidth<u32>(src, dst, n);
  else if (typesize == 8) decodeWidth<u64>(src, dst, n);
  else return ERR_TYPESIZE;
  memory.copy(dst + n * ts, src + n * ts, len - n * ts);
  return <i32>len;
}
