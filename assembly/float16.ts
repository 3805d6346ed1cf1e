// float32 <-> IEEE float16 and float32 <-> bfloat16 on bit patterns.
// To 16 bits: round to nearest, ties to even; overflow gives infinity; float16 subnormals
// exact. NaN stays NaN, quiet: the top payload bits are kept and the quiet bit is set.
// To float32: exact; a NaN comes back quiet (quiet bit 0x00400000 set).
// bfloat16 is the top half of a float32. Counts are in elements. Scalar reference first, then
// SIMD forms of the same, 8 elements at a time; the scalar code does the tail.

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

// SIMD forms of the four conversions above, 4 lanes of u32 at a time.

// @ts-ignore: decorator
@inline function toFloat16x4(x: v128): v128 {
  const abs = v128.and(x, i32x4.splat(0x7fffffff));
  const sign = v128.and(i32x4.shr_u(x, 16), i32x4.splat(0x8000));
  const odd = v128.and(i32x4.shr_u(abs, 13), i32x4.splat(1));
  const normal = i32x4.shr_u(i32x4.add(i32x4.sub(abs, i32x4.splat(0x37fff001)), odd), 13);
  // Below 2^-14, adding 0.5f makes the FPU round to the float16 subnormal step (F. Giesen).
  const sub = i32x4.sub(f32x4.add(abs, f32x4.splat(0.5)), i32x4.splat(0x3f000000));
  const nan = v128.or(i32x4.splat(0x7e00), v128.and(i32x4.shr_u(abs, 13), i32x4.splat(0x3ff)));
  let r = v128.bitselect(normal, sub, i32x4.ge_s(abs, i32x4.splat(0x38800000)));
  r = v128.bitselect(i32x4.splat(0x7c00), r, i32x4.ge_s(abs, i32x4.splat(0x477ff000)));
  r = v128.bitselect(nan, r, i32x4.gt_s(abs, i32x4.splat(0x7f800000)));
  return v128.or(r, sign);
}

// @ts-ignore: decorator
@inline function fromFloat16x4(h: v128): v128 {
  const em = v128.and(h, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const normal = i32x4.add(i32x4.shl(em, 13), i32x4.splat(0x38000000));
  const sub = f32x4.mul(f32x4.convert_i32x4_u(em), f32x4.splat(5.960464477539063e-8)); // m * 2^-24
  const quiet = v128.and(i32x4.gt_s(em, i32x4.splat(0x7c00)), i32x4.splat(0x400000));
  const special = v128.or(i32x4.add(i32x4.shl(em, 13), i32x4.splat(0x70000000)), quiet);
  let r = v128.bitselect(sub, normal, i32x4.lt_s(em, i32x4.splat(0x400)));
  r = v128.bitselect(special, r, i32x4.ge_s(em, i32x4.splat(0x7c00)));
  return v128.or(r, sign);
}

// @ts-ignore: decorator
@inline function toBfloat16x4(x: v128): v128 {
  const odd = v128.and(i32x4.shr_u(x, 16), i32x4.splat(1));
  const rounded = i32x4.shr_u(i32x4.add(i32x4.add(x, i32x4.splat(0x7fff)), odd), 16);
  const nan = v128.or(i32x4.shr_u(x, 16), i32x4.splat(0x40));
  return v128.bitselect(nan, rounded, i32x4.gt_s(v128.and(x, i32x4.splat(0x7fffffff)), i32x4.splat(0x7f800000)));
}

// @ts-ignore: decorator
@inline function fromBfloat16x4(h: v128): v128 {
  const x = i32x4.shl(h, 16);
  const isNaN = i32x4.gt_s(v128.and(x, i32x4.splat(0x7fffffff)), i32x4.splat(0x7f800000));
  return v128.or(x, v128.and(isNaN, i32x4.splat(0x400000)));
}

/** `count` float32 at `src` -> float16 at `dst`. Returns bytes written (2 * count). */
export function float32ToFloat16(src: usize, dst: usize, count: usize): i32 {
  let i: usize = 0;
  for (; i + 8 <= count; i += 8) {
    const p = src + 4 * i;
    v128.store(dst + 2 * i, i16x8.narrow_i32x4_u(toFloat16x4(v128.load(p)), toFloat16x4(v128.load(p, 16))));
  }
  for (; i < count; i++) store<u16>(dst + 2 * i, toFloat16(load<u32>(src + 4 * i)));
  return <i32>count * 2;
}

/** `count` float16 at `src` -> float32 at `dst`. Returns bytes written (4 * count). */
export function float16ToFloat32(src: usize, dst: usize, count: usize): i32 {
  let i: usize = 0;
  for (; i + 8 <= count; i += 8) {
    const h = v128.load(src + 2 * i);
    const p = dst + 4 * i;
    v128.store(p, fromFloat16x4(i32x4.extend_low_i16x8_u(h)));
    v128.store(p, fromFloat16x4(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (; i < count; i++) store<u32>(dst + 4 * i, fromFloat16(load<u16>(src + 2 * i)));
  return <i32>count * 4;
}

/** `count` float32 at `src` -> bfloat16 at `dst`. Returns bytes written (2 * count). */
export function float32ToBfloat16(src: usize, dst: usize, count: usize): i32 {
  let i: usize = 0;
  for (; i + 8 <= count; i += 8) {
    const p = src + 4 * i;
    v128.store(dst + 2 * i, i16x8.narrow_i32x4_u(toBfloat16x4(v128.load(p)), toBfloat16x4(v128.load(p, 16))));
  }
  for (; i < count; i++) store<u16>(dst + 2 * i, toBfloat16(load<u32>(src + 4 * i)));
  return <i32>count * 2;
}

/** `count` bfloat16 at `src` -> float32 at `dst`. Returns bytes written (4 * count). */
export function bfloat16ToFloat32(src: usize, dst: usize, count: usize): i32 {
  let i: usize = 0;
  for (; i + 8 <= count; i += 8) {
    const h = v128.load(src + 2 * i);
    const p = dst + 4 * i;
    v128.store(p, fromBfloat16x4(i32x4.extend_low_i16x8_u(h)));
    v128.store(p, fromBfloat16x4(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (; i < count; i++) store<u32>(dst + 4 * i, fromBfloat16(load<u16>(src + 2 * i)));
  return <i32>count * 4;
}
