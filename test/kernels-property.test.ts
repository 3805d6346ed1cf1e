// Property tests (fast-check): on arbitrary bytes and typesizes, the wasm and js kernels agree to
// the byte, and every filter's inverse gives the input back.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/index.js";
import { wasmKernels } from "./helpers/kernels.js";

const wasm = wasmKernels!;
const FILTERS = [
  ["shuffle", "unshuffle"],
  ["bitshuffle", "bitunshuffle"],
  ["deltaEncode", "deltaDecode"],
] as const;

describe.skipIf(wasmKernels === undefined)("kernels, properties", () => {
  it.each(FILTERS)("%s: wasm equals js, and the inverse restores the input", (forward, inverse) => {
    const typesizes = forward === "deltaEncode" ? fc.constantFrom(1, 2, 4, 8) : fc.integer({ min: 1, max: 40 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), typesizes, (src, typesize) => {
        const a = new Uint8Array(src.length);
        const b = new Uint8Array(src.length);
        wasm[forward](src, a, typesize);
        jsKernels[forward](src, b, typesize);
        expect(Buffer.compare(a, b)).toBe(0);
        wasm[inverse](a, b, typesize);
        expect(Buffer.compare(b, src)).toBe(0);
        jsKernels[inverse](a, b.fill(0), typesize);
        expect(Buffer.compare(b, src)).toBe(0);
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it("xxhash32: wasm equals js for any bytes and seed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 0xffffffff }), (data, seed) => {
        expect(wasm.xxhash32(data, seed)).toBe(jsKernels.xxhash32(data, seed));
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it("float32 -> float16 / bfloat16: wasm equals js for any bit patterns", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 100 }), (bits) => {
        const src = new Float32Array(Uint32Array.from(bits).buffer);
        for (const kernel of ["float32ToFloat16", "float32ToBfloat16"] as const) {
          const a = new Uint16Array(src.length);
          const b = new Uint16Array(src.length);
          wasm[kernel](src, a);
          jsKernels[kernel](src, b);
          expect([...a]).toEqual([...b]);
        }
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });
});
