import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { readNpy, writeNpy } from "../../src/interop/npy.js";
import { readNpz, writeNpz } from "../../src/interop/npz.js";
import { readSafetensors, writeSafetensors } from "../../src/interop/safetensors.js";
import { parseWord2vec, encodeWord2vec, parseGlove, encodeGlove } from "../../src/interop/word2vec.js";
import { NDArray, DTYPES, type DType } from "../../src/ndarray.js";
import { sha256 } from "./helpers.js";

const ALL = Object.keys(DTYPES) as DType[];
const NPY_DTYPES = ALL.filter((d) => d !== "bfloat16");

function arrayArb(dtypes: DType[]): fc.Arbitrary<NDArray> {
  return fc
    .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) })
    .chain(({ dtype, shape }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const size = DTYPES[dtype].itemsize;
      return fc.uint8Array({ minLength: n * size, maxLength: n * size }).map((bytes) => {
        const data = new DTYPES[dtype].array(n);
        new Uint8Array(data.buffer).set(bytes);
        if (dtype === "bool") for (let i = 0; i < n; i++) (data as Uint8Array)[i]! &= 1;
        return new NDArray(data, shape, dtype);
      });
    });
}

function same(a: NDArray, b: NDArray): void {
  expect(b.dtype).toBe(a.dtype);
  expect(b.shape).toEqual(a.shape);
  expect(sha256(b)).toBe(sha256(a));
}

const nameArb = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" });

describe("property round trips", () => {
  it("npy", () => {
    fc.assert(fc.property(arrayArb(NPY_DTYPES), (a) => same(a, readNpy(writeNpy(a)))), { numRuns: 300 });
  });
  it("npz", () => {
    fc.assert(
      fc.property(fc.dictionary(nameArb, arrayArb(NPY_DTYPES), { maxKeys: 4 }), fc.boolean(), fc.boolean(), (arrays, compress, zip64) => {
        const back = readNpz(writeNpz(arrays, { compress, zip64 }));
        expect(Object.keys(back).sort()).toEqual(Object.keys(arrays).sort());
        for (const k of Object.keys(arrays)) same(arrays[k]!, back[k]!);
      }),
      { numRuns: 150 },
    );
  });
  it("safetensors", () => {
    fc.assert(
      fc.property(
        fc.dictionary(nameArb.filter((n) => n !== "__metadata__"), arrayArb(ALL), { maxKeys: 5 }),
        fc.dictionary(nameArb, fc.string({ unit: "grapheme" }), { maxKeys: 3 }),
        (tensors, metadata) => {
          const back = readSafetensors(writeSafetensors(tensors, metadata));
          expect(back.metadata).toEqual(metadata);
          expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const k of Object.keys(tensors)) same(tensors[k]!, back.tensors[k]!);
        },
      ),
      { numRuns: 200 },
    );
  });
  const wordArb = fc.string({ minLength: 1, maxLength: 10, unit: "grapheme" }).filter((w) => !/[ \t\n\r\v\f]/.test(w));
  const vectorsArb = fc.record({ count: fc.integer({ min: 0, max: 6 }), dim: fc.integer({ min: 1, max: 5 }) }).chain(({ count, dim }) =>
    fc.record({
      words: fc.array(wordArb, { minLength: count, maxLength: count }),
      values: fc.array(fc.float({ noNaN: false }), { minLength: count * dim, maxLength: count * dim }),
      dim: fc.constant(dim),
    }),
  );
  it("word2vec binary keeps every bit, text and GloVe every value", () => {
    fc.assert(
      fc.property(vectorsArb, ({ words, values, dim }) => {
        const wv = { words, vectors: new NDArray(Float32Array.from(values), [words.length, dim]) };
        const bin = parseWord2vec(encodeWord2vec(wv, { binary: true }));
        expect(bin.words).toEqual(words);
        expect(sha256(bin.vectors)).toBe(sha256(wv.vectors));
        for (const back of [parseWord2vec(encodeWord2vec(wv, { binary: false })), ...(words.length ? [parseGlove(encodeGlove(wv))] : [])]) {
          expect(back.words).toEqual(words);
          expect(back.vectors.shape).toEqual([words.length, dim]);
          back.vectors.data.forEach((v, i) => expect(Object.is(v, wv.vectors.data[i]) || (Number.isNaN(v) && Number.isNaN(wv.vectors.data[i]))).toBe(true));
        }
      }),
      { numRuns: 300 },
    );
  });
});
