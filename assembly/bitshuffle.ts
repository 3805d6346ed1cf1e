// Bit shuffle, the layout of the bitshuffle library's bshuf_trans_bit_elem as blosc calls it:
// over n = the largest multiple of 8 whole elements, output bit plane p = 8 * j + k (byte j of
// the element, bit k of that byte, LSB first) is n / 8 bytes long; bit m of its byte r is bit k
// of byte j of element 8 * r + m. Bytes after the n elements are copied unchanged.
// Done as a byte shuffle into `tmp`, then an 8x8 bit transpose of each group of 8 bytes;
// SIMD paths: 128 elements at a time with the bit transposes in both 64-bit lanes and byte
// transposes between groups and planes, then i8x16.bitmask over 16 elements at a time (the
// SSE2 movemask approach) for the forward direction's rest.
import { hi16, hi32, hi8, lo16, lo32, lo8, shuffle, transpose8x8Lanes16, unshuffle } from "./shuffle";
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
  // 128 elements at a time: an 8x8 bit transpose of each group of 8 gives its byte of every
  // plane; pairing bytes of adjacent groups and an 8x8 transpose of 16-bit lanes gathers them
  // into 16 bytes per plane.
  for (; i + 128 <= n; i += 128) {
    const p = row + i;
    transpose8x8Lanes16(
      groupPairs(v128.load(p)), groupPairs(v128.load(p, 16)), groupPairs(v128.load(p, 32)), groupPairs(v128.load(p, 48)),
      groupPairs(v128.load(p, 64)), groupPairs(v128.load(p, 80)), groupPairs(v128.load(p, 96)), groupPairs(v128.load(p, 112)),
      planes + (i >> 3), planeBytes,
    );
  }
  for (; i + 16 <= n; i += 16) {
    // bitmask takes bit 7 of each byte: 16 elements' bit k, for k = 7 down to 0 (v + v shifts left).
    let v = v128.load(row + i);
    const out = planes + (i >> 3);
    store<u16>(out + 7 * planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out + 6 * planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out + 5 * planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out + 4 * planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out + 3 * planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out + 2 * planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out + planeBytes, <u16>i8x16.bitmask(v));
    v = i8x16.add(v, v);
    store<u16>(out, <u16>i8x16.bitmask(v));
  }
  for (; i < n; i += 8) {
    let x = transposeBits8x8(load<u64>(row + i));
    const out = planes + (i >> 3);
    for (let k: usize = 0; k < 8; k++, x >>= 8) store<u8>(out + k * planeBytes, <u8>x);
  }
}

/** transposeBits8x8 on both 64-bit lanes of `x`. */
// @ts-ignore: decorator
@inline function transposeBits8x8x2(x: v128): v128 {
  let t = v128.and(v128.xor(x, i64x2.shr_u(x, 7)), i64x2.splat(0x00AA00AA00AA00AA));
  x = v128.xor(x, v128.xor(t, i64x2.shl(t, 7)));
  t = v128.and(v128.xor(x, i64x2.shr_u(x, 14)), i64x2.splat(0x0000CCCC0000CCCC));
  x = v128.xor(x, v128.xor(t, i64x2.shl(t, 14)));
  t = v128.and(v128.xor(x, i64x2.shr_u(x, 28)), i64x2.splat(0x00000000F0F0F0F0));
  return v128.xor(x, v128.xor(t, i64x2.shl(t, 28)));
}

/**
 * Two groups of 8 elements' bytes -> 16-bit lane k holds plane k's byte of the first group
 * (low) and of the second (high).
 */
// @ts-ignore: decorator
@inline function groupPairs(v: v128): v128 {
  const t = transposeBits8x8x2(v);
  return i8x16.shuffle(t, t, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
}

/** Inverse of rowToPlanes. */
function planesToRow(planes: usize, row: usize, n: usize): void {
  const planeBytes = n >> 3;
  let r: usize = 0;
  // 128 elements at a time: an 8x16 byte transpose of the planes' bytes r..r+15 gives 16
  // groups of 8 bytes (one per plane), two per vector, then an 8x8 bit transpose per group.
  for (; r + 16 <= planeBytes; r += 16) {
    const p = planes + r;
    const p0 = v128.load(p), p1 = v128.load(p + planeBytes);
    const p2 = v128.load(p + 2 * planeBytes), p3 = v128.load(p + 3 * planeBytes);
    const p4 = v128.load(p + 4 * planeBytes), p5 = v128.load(p + 5 * planeBytes);
    const p6 = v128.load(p + 6 * planeBytes), p7 = v128.load(p + 7 * planeBytes);
    const a01 = lo8(p0, p1), b01 = hi8(p0, p1), a23 = lo8(p2, p3), b23 = hi8(p2, p3);
    const a45 = lo8(p4, p5), b45 = hi8(p4, p5), a67 = lo8(p6, p7), b67 = hi8(p6, p7);
    const c0 = lo16(a01, a23), c1 = hi16(a01, a23), c2 = lo16(b01, b23), c3 = hi16(b01, b23);
    const d0 = lo16(a45, a67), d1 = hi16(a45, a67), d2 = lo16(b45, b67), d3 = hi16(b45, b67);
    const out = row + (r << 3);
    v128.store(out, transposeBits8x8x2(lo32(c0, d0)));
    v128.store(out, transposeBits8x8x2(hi32(c0, d0)), 16);
    v128.store(out, transposeBits8x8x2(lo32(c1, d1)), 32);
    v128.store(out, transposeBits8x8x2(hi32(c1, d1)), 48);
    v128.store(out, transposeBits8x8x2(lo32(c2, d2)), 64);
    v128.store(out, transposeBits8x8x2(hi32(c2, d2)), 80);
    v128.store(out, transposeBits8x8x2(lo32(c3, d3)), 96);
    v128.store(out, transposeBits8x8x2(hi32(c3, d3)), 112);
  }
  for (; r < planeBytes; r++) {
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
