import { describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/index.js";
import { awkwardLengths, backends, expectSameBytes, randomBytes, TYPESIZES, wasmKernels } from "./helpers/kernels.js";

/**
 * The layout, written bit by bit: over n = the largest multiple of 8 whole elements, bit k of
 * byte j of element i goes to bit (i % 8) of byte floor(i / 8) of plane 8 * j + k, each plane
 * n / 8 bytes; the rest is copied.
 */
function referenceBitshuffle(src: Uint8Array, typesize: number): Uint8Array {
  const n = Math.floor(src.length / typesize / 8) * 8;
  const out = src.slice();
  out.fill(0, 0, n * typesize);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < typesize; j++) {
      for (let k = 0; k < 8; k++) {
        const bit = (src[i * typesize + j]! >> k) & 1;
        out[(8 * j + k) * (n / 8) + (i >> 3)]! |= bit << (i & 7);
      }
    }
  }
  return out;
}

describe.each(backends)("bitshuffle (%s)", (_name, kernels) => {
  it("packs bit 0 of eight 1-byte elements into one byte", () => {
    const out = new Uint8Array(8);
    kernels.bitshuffle(new Uint8Array(8).fill(1), out, 1);
    expect([...out]).toEqual([255, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("bit planes of the 16-bit elements 0..7, then two trailing bytes as is", () => {
    const src = new Uint8Array(18);
    for (let i = 0; i < 8; i++) src[2 * i] = i;
    src[16] = 0xab;
    src[17] = 0xcd;
    const out = new Uint8Array(18);
    kernels.bitshuffle(src, out, 2);
    expect([...out]).toEqual([0xaa, 0xcc, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd]);
  });

  it("copies everything past the last whole group of 8 elements", () => {
    const src = randomBytes(4 * 13 + 3, 5); // 13 elements: 8 transposed, 5 elements + 3 bytes copied
    const out = new Uint8Array(src.length);
    kernels.bitshuffle(src, out, 4);
    expectSameBytes(out.subarray(32), src.subarray(32), "tail");
  });

  it.each(TYPESIZES)("matches the definition and round-trips, typesize %i", (typesize) => {
    for (const length of awkwardLengths(typesize)) {
      if (length > 70_000 && typesize > 16) continue; // the bit-by-bit reference is slow
      const src = randomBytes(length, length * 17 + typesize);
      const out = new Uint8Array(length);
      kernels.bitshuffle(src, out, typesize);
      expectSameBytes(out, referenceBitshuffle(src, typesize), `bitshuffle, length ${length}`);
      const back = new Uint8Array(length);
      kernels.bitunshuffle(out, back, typesize);
      expectSameBytes(back, src, `bitunshuffle, length ${length}`);
    }
  });

  it("rejects typesize 0 with ERR_INVALID_ARGUMENT", () => {
    expect(() => kernels.bitshuffle(new Uint8Array(8), new Uint8Array(8), 0)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
  });
});

describe.skipIf(wasmKernels === undefined)("bitshuffle: wasm and js agree to the byte on several MiB", () => {
  const wasm = wasmKernels!;
  it.each([1, 2, 4, 8, 3])("typesize %i", (typesize) => {
    const src = randomBytes(4 * 1024 * 1024 + 27, typesize);
    const a = new Uint8Array(src.length);
    const b = new Uint8Array(src.length);
    wasm.bitshuffle(src, a, typesize);
    jsKernels.bitshuffle(src, b, typesize);
    expectSameBytes(a, b, "wasm vs js bitshuffle");
    wasm.bitunshuffle(a, b.fill(0), typesize);
    expectSameBytes(b, src, "wasm bitunshuffle");
    jsKernels.bitunshuffle(a, b.fill(0), typesize);
    expectSameBytes(b, src, "js bitunshuffle");
  });
});
