/**
 * float32 <-> IEEE float16 and float32 <-> bfloat16 in TypeScript, the twin of
 * `assembly/float16.ts`. To 16 bits: round to nearest, ties to even; overflow gives infinity;
 * float16 subnormals exact; NaN stays NaN, quiet (top payload bits kept, quiet bit set).
 * To float32: exact; a NaN comes back quiet (bit 0x00400000 set). Works on bit patterns
 * through integer views, so NaN payloads survive.
 */
import { checkOutputLength } from "../check.js";

/** float32 bits -> float16 bits, round to nearest even. */
function toFloat16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00 | ((abs >>> 13) & 0x3ff);
  if (abs >= 0x477ff000) return sign | 0x7c00; // 65520 and above round to infinity
  if (abs >= 0x38800000) return sign | ((abs - 0x37fff001 + ((abs >>> 13) & 1)) >>> 13);
  const e = abs >>> 23;
  if (e < 102) return sign; // below 2^-25: rounds to zero
  const shift = 126 - e; // 14..24
  const m = (abs & 0x7fffff) | 0x800000;
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (q + (rem > half || (rem === half && (q & 1) !== 0) ? 1 : 0));
}

/** float16 bits -> float32 bits, exact. */
function fromFloat16(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return sign | 0x7f800000 | (m << 13) | (m !== 0 ? 0x400000 : 0);
  if (e !== 0) return sign | ((e + 112) << 23) | (m << 13);
  if (m === 0) return sign;
  const shift = Math.clz32(m) - 21; // brings the top bit of m to bit 10
  return sign | ((113 - shift) << 23) | (((m << shift) & 0x3ff) << 13);
}

/** Bits of a Float32Array, without copying. */
function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * float32 -> float16 bits, round to nearest even.
 * @param src values
 * @param dst output, at least `src.length` elements; first `src.length` written
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `dst` is shorter than `src`
 * @example float32ToFloat16(new Float32Array([1, 65520]), out) // out = 0x3c00 0x7c00
 */
export function float32ToFloat16(src: Float32Array, dst: Uint16Array): void {
  checkOutputLength("float32ToFloat16", src.length, dst.length, "elements");
  const s = bits(src);
  for (let i = 0; i < s.length; i++) dst[i] = toFloat16(s[i]!);
}

/**
 * float16 bits -> float32, exact (NaN comes back quiet).
 * @param src float16 bit patterns
 * @param dst output, at least `src.length` elements; first `src.length` written
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `dst` is shorter than `src`
 * @example float16ToFloat32(new Uint16Array([0x3c00, 0x0001]), out) // out = 1 5.960464477539063e-8
 */
export function float16ToFloat32(src: Uint16Array, dst: Float32Array): void {
  checkOutputLength("float16ToFloat32", src.length, dst.length, "elements");
  const d = bits(dst);
  for (let i = 0; i < src.length; i++) d[i] = fromFloat16(src[i]!);
}

/**
 * float32 -> bfloat16 bits (the top 16 bits, rounded to nearest even; NaN stays NaN, quiet).
 * @param src values
 * @param dst output, at least `src.length` elements; first `src.length` written
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `dst` is shorter than `src`
 * @example float32ToBfloat16(new Float32Array([1]), out) // out = 0x3f80
 */
export function float32ToBfloat16(src: Float32Array, dst: Uint16Array): void {
  checkOutputLength("float32ToBfloat16", src.length, dst.length, "elements");
  const s = bits(src);
  for (let i = 0; i < s.length; i++) {
    const x = s[i]!;
    dst[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}

/**
 * bfloat16 bits -> float32, exact (NaN comes back quiet).
 * @param src bfloat16 bit patterns
 * @param dst output, at least `src.length` elements; first `src.length` written
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `dst` is shorter than `src`
 * @example bfloat16ToFloat32(new Uint16Array([0x3f80]), out) // out = 1
 */
export function bfloat16ToFloat32(src: Uint16Array, dst: Float32Array): void {
  checkOutputLength("bfloat16ToFloat32", src.length, dst.length, "elements");
  const d = bits(dst);
  for (let i = 0; i < src.length; i++) {
    const x = src[i]! << 16;
    d[i] = (x & 0x7fffffff) > 0x7f800000 ? x | 0x400000 : x;
  }
}
