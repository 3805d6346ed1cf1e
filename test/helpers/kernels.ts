// Shared by the kernel tests: both backends, seeded random bytes, the awkward lengths.
import { getKernels, jsKernels, type Kernels } from "../../src/kernels/index.js";
import { WASM_PIECE_BYTES } from "../../src/kernels/wasm/index.js";

/**
 * The wasm kernels, or undefined when the suite runs without `globalThis.WebAssembly` (STYLE
 * 20). Where WebAssembly exists they must load: getKernels("wasm") throws otherwise.
 */
export const wasmKernels: Kernels | undefined = typeof globalThis.WebAssembly === "object" ? getKernels("wasm") : undefined;

/** The implementations to test, for describe.each: both, or js alone without WebAssembly. */
export const backends: Array<[string, Kernels]> = wasmKernels === undefined ? [["js", jsKernels]] : [["wasm", wasmKernels], ["js", jsKernels]];

/** Deterministic pseudo-random bytes (xorshift32), so that failures reproduce. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

/**
 * `length` random bytes (seeded) where every 200 bytes 24 repeat from 997 back: LZ4 at a higher
 * acceleration, which skips ahead faster after misses, finds fewer of them.
 */
export function sparseRepeats(length: number, seed: number): Uint8Array {
  const s = randomBytes(length, seed);
  for (let at = 1000; at + 40 < s.length; at += 200) s.copyWithin(at, at - 997, at - 997 + 24);
  return s;
}

/** Lengths in bytes around element, SIMD-block and arena boundaries for `typesize`. */
export function awkwardLengths(typesize: number): number[] {
  const lengths = [0, 1, typesize - 1, typesize, typesize + 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 1001];
  for (const elements of [8, 15, 16, 17, 24, 31, 32, 33, 100, 257]) {
    lengths.push(elements * typesize - 1, elements * typesize, elements * typesize + 1);
  }
  lengths.push(WASM_PIECE_BYTES - 1, WASM_PIECE_BYTES, WASM_PIECE_BYTES + typesize + 1);
  return [...new Set(lengths.filter((n) => n >= 0))].sort((a, b) => a - b);
}

/** Typesizes the byte filters are tested with. */
export const TYPESIZES = [...Array.from({ length: 16 }, (_, i) => i + 1), 24, 32, 255];

/**
 * Asserts two byte arrays are equal, fast on MiBs (toEqual walks elements one by one), and
 * names the first differing offset.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label = ""): void {
  if (actual.length === expected.length && Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  throw new Error(`${label}: bytes differ at offset ${i} (lengths ${actual.length} vs ${expected.length}): got ${actual[i]}, expected ${expected[i]}`);
}
