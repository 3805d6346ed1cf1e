// float32 <-> IEEE float16 and float32 <-> bfloat16 on bit patterns.
// To 16 bits: round to nearest, ties to even; overflow gives infinity; float16 subnormals
// exact. NaN stays NaN, quiet: the top payload bits are kept and the quiet bit is set.
// To float32: exact; a NaN comes back quiet (quiet bit 0x00400000 set).
// bfloat16 is the top half of a float32. Counts are in elements.

/** float32 bits -> float16 bits, round to nearest even. */
// @ts-ignore: decorator
@inline function toFloat16(x: u32): u32 {
  const sign = (x >> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00 | ((abs >> 13) & 0x3ff);
  if (abs >= 0x477ff000) return sign | 0x7c00; // 65520 and above round to infinity
  if (abs >= 0x38800000) return sign | ((abs + 0xc8000fff + ((abs >> 13) & 1)) >> 13);
  const e = abs >> 23;
  if (e < 102) return sign; // below 2^-25: rounds to zero
  const shift = 126 - e; // 14..24
  const m = (abs & 0x7fffff) | 0x800000;
  const q = m >> shift;
  const rem = m & ((1 << shift) - 1);
  const half: u32 = 1 << (shift - 1);
  return sign | (q + <u32>(rem > half || (rem == half && (q & 1) != 0)));
}

/** float16 bits -> float32 bits, exact. */
// @ts-ignore: decorator
@inline function fromFloat16(h: u32): u32 {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e == 31) return sign | 0x7f800000 | (m << 13) | (m != 0 ? 0x400000 : 0);
  if (e != 0) return sign | ((e + 112) << 23) | (m << 13);
  if (m == 0) return sign;
  const shift = clz(m) - 21; // brings the top bit of m to bit 10
  return sign | ((113 - shift) << 23) | (((m << shift) & 0x3ff) << 13);
}

/** float32 bits -> bfloat16 bits, round to nearest even. */
// @ts-ignore: decorator
@inline function toBfloat16(x: u32): u32 {
  if ((x & 0x7fffffff) > 0x7f800000) return (x >> 16) | 0x40;
  return (x + 0x7fff + ((x >> 16) & 1)) >> 16;
}

/** bfloat16 bits -> float32 bits, exact. */
// @ts-ignore: decorator
@inline function fromBfloat16(h: u32): u32 {
  const x = h << 16;
  return (x & 0x7fffffff) > 0x7f800000 ? x | 0x400000 : x;
}

/** `count` float32 at `src` -> float16 at `dst`. Returns bytes written (2 * count). */
export function float32ToFloat16(src: usize, dst: usize, count: usize): i32 {
  for (let i: usize = 0; i < count; i++) store<u16>(dst + 2 * i, toFloat16(load<u32>(src + 4 * i)));
  return <i32>count * 2;
}

/** `count` float16 at `src` -> float32 at `dst`. Returns bytes written (4 * count). */
export function float16ToFloat32(src: usize, dst: usize, count: usize): i32 {
  for (let i: usize = 0; i < count; i++) store<u32>(dst + 4 * i, fromFloat16(load<u16>(src + 2 * i)));
  return <i32>count * 4;
}

/** `count` float32 at `src` -> bfloat16 at `dst`. Returns bytes written (2 * count). */
export function float32ToBfloat16(src: usize, dst: usize, count: usize): i32 {
  for (let i: usize = 0; i < count; i++) store<u16>(dst + 2 * i, toBfloat16(load<u32>(src + 4 * i)));
  return <i32>count * 2;
}

/** `count` bfloat16 at `src` -> float32 at `dst`. Returns bytes written (4 * count). */
export function bfloat16ToFloat32(src: usize, dst: usize, count: usize): i32 {
  for (let i: usize = 0; i < count; i++) store<u32>(dst + 4 * i, fromBfloat16(load<u16>(src + 2 * i)));
  return <i32>count * 4;
}
