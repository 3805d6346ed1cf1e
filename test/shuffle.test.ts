import { describe, expect, it } from "vitest";
import { isNdpackError } from "../src/errors.js";
import { jsKernels } from "../src/kernels/index.js";
import { awkwardLengths, backends, expectSameBytes, randomBytes, TYPESIZES, wasmKernels } from "./helpers/kernels.js";

/** The definition, written plainly: byte j of element i -> dst[j * n + i]; the tail as is. */
function referenceShuffle(src: Uint8Array, typesize: number): Uint8Array {
  const n = Math.floor(src.length / typesize);
  const out = src.slice();
  for (let i = 0; i < n; i++) for (let j = 0; j < typesize; j++) out[j * n + i] = src[i * typesize + j]!;
  return out;
}

describe.each(backends)("shuffle (%s)", (_name, kernels) => {
  it("shuffles bytes 0..11 by typesize 4 into byte rows", () => {
    const out = new Uint8Array(12);
    kernels.shuffle(Uint8Array.from({ length: 12 }, (_, i) => i), out, 4);
    expect([...out]).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it("copies trailing bytes that do not fill an element unchanged", () => {
    const out = new Uint8Array(14);
    kernels.shuffle(Uint8Array.from({ length: 14 }, (_, i) => i), out, 4);
    expect([...out]).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 13]);
    const back = new Uint8Array(14);
    kernels.unshuffle(out, back, 4);
    expect([...back]).toEqual([...Array(14).keys()]);
  });

  it.each(TYPESIZES)("matches the definition and round-trips, typesize %i", (typesize) => {
    for (const length of awkwardLengths(typesize)) {
      const src = randomBytes(length, length * 31 + typesize);
      const shuffled = new Uint8Array(length);
      kernels.shuffle(src, shuffled, typesize);
      expectSameBytes(shuffled, referenceShuffle(src, typesize), `shuffle, length ${length}`);
      const back = new Uint8Array(length);
      kernels.unshuffle(shuffled, back, typesize);
      expectSameBytes(back, src, `unshuffle, length ${length}`);
    }
  });

  it("works on unaligned views and writes only src.length bytes of a longer dst", () => {
    const buffer = randomBytes(4099 + 3, 7);
    const src = buffer.subarray(3); // byteOffset 3: no word views possible
    for (const typesize of [2, 4, 8]) {
      const dst = new Uint8Array(src.length + 5).fill(0xee);
      kernels.shuffle(src, dst.subarray(1), typesize);
      expectSameBytes(dst.subarray(1, 1 + src.length), referenceShuffle(src, typesize), `typesize ${typesize}`);
      expect([dst[0], ...dst.subarray(1 + src.length)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
      const back = new Uint8Array(src.length + 1);
      kernels.unshuffle(dst.subarray(1, 1 + src.length), back.subarray(1), typesize);
      expectSameBytes(back.subarray(1), src, `typesize ${typesize}`);
    }
  });

  it("rejects a bad typesize and a short dst with ERR_INVALID_ARGUMENT", () => {
    const src = new Uint8Array(16);
    for (const typesize of [0, 256, 1.5, Number.NaN]) {
      expect(() => kernels.shuffle(src, new Uint8Array(16), typesize)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    }
    let caught: unknown;
    try {
      kernels.unshuffle(src, new Uint8Array(15), 4);
    } catch (e) {
      caught = e;
    }
    expect(isNdpackError(caught, "ERR_INVALID_ARGUMENT")).toBe(true);
    expect((caught as Error).message).toBe("unshuffle: output holds 15 bytes, input has 16");
  });
});

describe.skipIf(wasmKernels === undefined)("shuffle: wasm and js agree to the byte on several MiB", () => {
  const wasm = wasmKernels!;
  it.each([2, 3, 4, 8, 12, 16])("typesize %i", (typesize) => {
    const src = randomBytes(5 * 1024 * 1024 + 13, typesize);
    const a = new Uint8Array(src.length);
    const b = new Uint8Array(src.length);
    wasm.shuffle(src, a, typesize);
    jsKernels.shuffle(src, b, typesize);
    expectSameBytes(a, b, "wasm vs js shuffle");
    jsKernels.unshuffle(a, b.fill(0), typesize); // both inverses give the input back
    expectSameBytes(b, src, "js unshuffle");
    wasm.unshuffle(a, b.fill(0), typesize);
    expectSameBytes(b, src, "wasm unshuffle");
  });
});
