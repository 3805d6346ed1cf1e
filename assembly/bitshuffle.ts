// Bit shuffle, the layout of the bitshuffle library's bshuf_trans_bit_elem as blosc calls it:
// over n = the largest multiple of 8 whole elements, output bit plane p = 8 * j + k (byte j of
// the element, bit k of that byte, LSB first) is n / 8 bytes long; bit m of its byte r is bit k
// of byte j of element 8 * r + m. Bytes after the n elements are copied unchanged.
// Done as a byte shuffle into `tmp`, then an 8x8 bit transpose of each group of 8 bytes;
// SIMD path: i8x16.bitmask over 16 elements at a time (the SSE2 movemask approach).
import { shuffle, unshuffle } from "./shuffle";
import { ERR_LENGTH, ERR_TYPESIZE } from "./status";

/** Transposes the 8x8 bit matrix in x: bit m of byte k <-> bit k of byte m. */
// @ts-ignore: decorator
@inline function transposeBits8x8(x: u64): u64 {
  let t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AA;
  x = x ^ t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC;
  x = x ^ t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0;
  return x ^ t ^ (t << 28);
}

/** Bit planes 8j..8j+7 from `row` (byte j of n elements, n a multiple of 8). */
function rowToPlanes(row: usize, planes: usize, n: usize): void {
  const planeBytes = n >> 3;
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    let v = v128.load(row + i);
    const out = planes + (i >> 3);
    for (let k = 7; k >= 0; k--) {
      store<u16>(out + <usize>k * planeBytes, <u16>i8x16.bitmask(v));
      v = i8x16.shl(v, 1);
    }
  }
  for (; i < n; i += 8) {
    let x = transposeBits8x8(load<u64>(row + i));
    const out = planes + (i >> 3);
    for (let k: usize = 0; k < 8; k++, x >>= 8) store<u8>(out + k * planeBytes, <u8>x);
  }
}

/** Inverse of rowToPlanes. */
function planesToRow(planes: usize, row: usize, n: usize): void {
  const planeBytes = n >> 3;
  for (let r: usize = 0; r < planeBytes; r++) {
    let x: u64 = 0;
    const p = planes + r;
    for (let k: usize = 0; k < 8; k++) x |= (<u64>load<u8>(p + k * planeBytes)) << (k << 3);
    store<u64>(row + (r << 3), transposeBits8x8(x));
  }
}

/**
 * Bit shuffle of `len` bytes from `src` to `dst` by `typesize` (1..255), using `tmp` (`len`
 * bytes of scratch; none of the three overlap). Returns `len`, or ERR_TYPESIZE / ERR_LENGTH.
 */
export function bitshuffle(src: usize, dst: usize, len: usize, typesize: i32, tmp: usize): i32 {
  if (typesize < 1 || typesize > 255) return ERR_TYPESIZE;
  if (len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const ts = <usize>typesize;
  const n = (len / ts) & ~<usize>7;
  const whole = n * ts;
  let rows = src;
  if (ts > 1) { shuffle(src, tmp, whole, typesize); rows = tmp; }
  for (let j: usize = 0; j < ts; j++) rowToPlanes(rows + j * n, dst + j * n, n);
  memory.copy(dst + whole, src + whole, len - whole);
  return <i32>len;
}

/**
 * Inverse of {@link bitshuffle}: `len` bytes from `src` to `dst` by `typesize` (1..255), using
 * `tmp` (`len` bytes of scratch). Returns `len`, or ERR_TYPESIZE / ERR_LENGTH.
 */
export function bitunshuffle(src: usize, dst: usize, len: usize, typesize: i32, tmp: usize): i32 {
  if (typesize < 1 || typesize > 255) return ERR_TYPESIZE;
  if (len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const ts = <usize>typesize;
  const n = (len / ts) & ~<usize>7;
  const whole = n * ts;
  const rows = ts > 1 ? tmp : dst;
  for (let j: usize = 0; j < ts; j++) planesToRow(src + j * n, rows + j * n, n);
  if (ts > 1) unshuffle(tmp, dst, whole, typesize);
  memory.copy(dst + whole, src + whole, len - whole);
  return <i32>len;
}
