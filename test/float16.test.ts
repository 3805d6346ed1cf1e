import { describe, expect, it } from "vitest";
import { backends, expectSameBytes, randomBytes } from "./helpers/kernels.js";

// References written from the definitions with double arithmetic (exact for these values).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const valueOf = (bits: number): number => ((u32[0] = bits), f32[0]!);
const bitsOf = (value: number): number => ((f32[0] = value), u32[0]!);

/** Rounds x >= 0 to an integer, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.floor(x);
  const d = x - r;
  return d > 0.5 || (d === 0.5 && r % 2 === 1) ? r + 1 : r;
}

function isNaNBits(bits: number): boolean {
  return (bits & 0x7fffffff) > 0x7f800000;
}

/** float32 bits -> float16 bits. NaN: quiet, top 10 payload bits kept. */
function refToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  if (isNaNBits(bits)) return sign | 0x7e00 | ((bits >>> 13) & 0x3ff);
  const a = Math.abs(valueOf(bits));
  if (a === Infinity || a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // 1024 is the smallest normal: right
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // guard log2 rounding
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return e + 15 >= 31 ? sign | 0x7c00 : sign | ((e + 15) << 10) | m;
}

/** float16 bits -> float32 bits. NaN: quiet, payload kept. */
function refFromFloat16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m === 0 ? bitsOf(sign * Infinity) : ((h & 0x8000) << 16) | 0x7fc00000 | (m << 13);
  return bitsOf(sign * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15)));
}

/** float32 bits -> bfloat16 bits: the nearer of the two truncations, ties to even. */
function refToBfloat16(bits: number): number {
  if (isNaNBits(bits)) return ((bits >>> 16) | 0x40) & 0xffff;
  const low = bits >>> 16;
  const lowValue = Math.abs(valueOf(low << 16));
  const highValue = (low & 0x7fff) === 0x7f7f ? 2 ** 128 : Math.abs(valueOf((low + 1) << 16));
  const a = Math.abs(valueOf(bits));
  if (a === Infinity) return low;
  const up = a - lowValue > highValue - a || (a - lowValue === highValue - a && (low & 1) === 1);
  return up ? low + 1 : low;
}

function refFromBfloat16(h: number): number {
  const bits = (h << 16) >>> 0;
  return isNaNBits(bits) ? (bits | 0x400000) >>> 0 : bits;
}

const ALL16 = Uint16Array.from({ length: 65536 }, (_, i) => i);

/** Edge float32 bit patterns: zeros, infinities, NaNs, the float16 and bfloat16 rounding boundaries. */
const EDGES = [
  0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff, 0x7fbfffff, 0x00000001, 0x007fffff,
  0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0x3f800001, 0x3f801000, 0x3f802000, 0x3f803000, 0x3f807fff,
  0x3f808000, 0x3f818000, 0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0x38800000, 0x387fffff,
  0x387fc000, 0x387fe000, 0x33800000, 0x33800001, 0x33000000, 0x33000001, 0x32ffffff, 0x33c00000, 0x34000000,
  0x7f7f8000, 0x7f7f7fff, 0x7f7fffff, 0x3fc00000,
].map((b) => b >>> 0);

function f32FromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

describe.each(backends)("float16 and bfloat16 (%s)", (_name, kernels) => {
  it("float16 -> float32 is exact for all 65536 patterns, and back gives the pattern (NaN quiet)", () => {
    const wide = new Float32Array(65536);
    kernels.float16ToFloat32(ALL16, wide);
    const wideBits = new Uint32Array(wide.buffer);
    for (let h = 0; h < 65536; h++) {
      if (wideBits[h] !== refFromFloat16(h) >>> 0) expect(wideBits[h], `half 0x${h.toString(16)}`).toBe(refFromFloat16(h) >>> 0);
    }
    const back = new Uint16Array(65536);
    kernels.float32ToFloat16(wide, back);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      const expected = isNaN ? h | 0x200 : h;
      if (back[h] !== expected) expect(back[h], `half 0x${h.toString(16)}`).toBe(expected);
    }
  });

  it("bfloat16 -> float32 is exact for all 65536 patterns, and back gives the pattern (NaN quiet)", () => {
    const wide = new Float32Array(65536);
    kernels.bfloat16ToFloat32(ALL16, wide);
    const wideBits = new Uint32Array(wide.buffer);
    for (let h = 0; h < 65536; h++) {
      if (wideBits[h] !== refFromBfloat16(h)) expect(wideBits[h], `bfloat16 0x${h.toString(16)}`).toBe(refFromBfloat16(h));
    }
    const back = new Uint16Array(65536);
    kernels.float32ToBfloat16(wide, back);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      const expected = isNaN ? h | 0x40 : h;
      if (back[h] !== expected) expect(back[h], `bfloat16 0x${h.toString(16)}`).toBe(expected);
    }
  });

  it("rounds edge and random float32 values like the reference", () => {
    const random = new Uint32Array(randomBytes(4 * 200_000, 3).buffer);
    // Also random values near the float16 range, where rounding decides the most.
    const near = Array.from({ length: 100_000 }, (_, i) => (0x33000000 + ((random[i]! >>> 0) % 0x14800000)) >>> 0);
    const bits = [...EDGES, ...EDGES.map((b) => (b ^ 0x80000000) >>> 0), ...random, ...near];
    const src = f32FromBits(bits);
    const half = new Uint16Array(src.length);
    const brain = new Uint16Array(src.length);
    kernels.float32ToFloat16(src, half);
    kernels.float32ToBfloat16(src, brain);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]! >>> 0;
      if (half[i] !== refToFloat16(b)) expect(half[i], `float16 of 0x${b.toString(16)}`).toBe(refToFloat16(b));
      if (brain[i] !== refToBfloat16(b)) expect(brain[i], `bfloat16 of 0x${b.toString(16)}`).toBe(refToBfloat16(b));
    }
  });

  it("gives the same results 7 elements at a time (below the SIMD width: the scalar path)", () => {
    const wide = new Float32Array(65536);
    const wideBf = new Float32Array(65536);
    kernels.float16ToFloat32(ALL16, wide);
    kernels.bfloat16ToFloat32(ALL16, wideBf);
    const half = new Uint16Array(65536);
    const brain = new Uint16Array(65536);
    kernels.float32ToFloat16(wide, half);
    kernels.float32ToBfloat16(wideBf, brain);
    const pieceWide = new Float32Array(7);
    const pieceHalf = new Uint16Array(7);
    for (let i = 0; i < 65536; i += 7) {
      const end = Math.min(65536, i + 7);
      kernels.float16ToFloat32(ALL16.subarray(i, end), pieceWide);
      expectSameBytes(new Uint8Array(pieceWide.buffer, 0, 4 * (end - i)), new Uint8Array(wide.buffer, 4 * i, 4 * (end - i)), `float16 ${i}`);
      kernels.float32ToFloat16(wide.subarray(i, end), pieceHalf);
      expect([...pieceHalf.subarray(0, end - i)]).toEqual([...half.subarray(i, end)]);
      kernels.bfloat16ToFloat32(ALL16.subarray(i, end), pieceWide);
      expectSameBytes(new Uint8Array(pieceWide.buffer, 0, 4 * (end - i)), new Uint8Array(wideBf.buffer, 4 * i, 4 * (end - i)), `bfloat16 ${i}`);
      kernels.float32ToBfloat16(wideBf.subarray(i, end), pieceHalf);
      expect([...pieceHalf.subarray(0, end - i)]).toEqual([...brain.subarray(i, end)]);
    }
  });

  it("converts known values", () => {
    const half = new Uint16Array(6);
    kernels.float32ToFloat16(new Float32Array([1, -2, 65504, 65520, 2 ** -24, 0.1]), half);
    expect([...half]).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x2e66]);
    const brain = new Uint16Array(3);
    kernels.float32ToBfloat16(new Float32Array([1, -2, 3.140625]), brain);
    expect([...brain]).toEqual([0x3f80, 0xc000, 0x4049]);
  });

  it("rejects a short output with ERR_INVALID_ARGUMENT", () => {
    expect(() => kernels.float32ToFloat16(new Float32Array(4), new Uint16Array(3))).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    expect(() => kernels.bfloat16ToFloat32(new Uint16Array(4), new Float32Array(3))).toThrow("output holds 3 elements, input has 4");
  });

  it("streams inputs longer than the arena (3 M elements)", () => {
    const src = new Float32Array(randomBytes(4 * 3_000_001, 8).buffer);
    const half = new Uint16Array(src.length);
    kernels.float32ToFloat16(src, half);
    const srcBits = new Uint32Array(src.buffer);
    for (const i of [0, 1, 262_143, 262_144, 262_145, 1_048_576, 3_000_000]) {
      expect(half[i], `element ${i}`).toBe(refToFloat16(srcBits[i]!));
    }
  });
});
