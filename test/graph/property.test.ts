import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode, NDArray } from "../../src/index.js";
import { difference } from "./same.js";

const RUNS = Number(process.env.NDPACK_PROPERTY_RUNS ?? 200);

const anything = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  stringUnit: "binary",
  key: fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prototype", "0", "length")),
});

const extras = fc.oneof(
  anything,
  fc.float32Array({ maxLength: 40 }).map((t) => new NDArray(t, [t.length])),
  fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 8 })).map(([n, off]) => {
    const b = new ArrayBuffer(n + off * 8 + 8);
    return [new Uint8Array(b, off), new Float64Array(b, off * 8, Math.floor(n / 8)), b];
  }),
  fc.string().map((m) => new RangeError(m, { cause: m })),
  fc.string({ unit: "binary" }).map((s) => new RegExp(s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&"), "gu")),
);

describe("property: random graphs round-trip", () => {
  it("values (fc.anything with BigInt, Date, Map, Set, typed arrays, sparse arrays, null prototypes)", () => {
    fc.assert(
      fc.property(anything, (v) => {
        expect(difference(v, decode(encode(v)))).toBeUndefined();
      }),
      { numRuns: RUNS, seed: 4 },
    );
  });

  it("graphs with shared references and cycles, arrays in segments", () => {
    fc.assert(
      fc.property(fc.array(extras, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (pool, picks, cycle) => {
        const root: Record<string, unknown> = { pool, picks: picks.map((i) => pool[i % pool.length]) };
        if (cycle) {
          root.self = root;
          const first = pool.find((x) => typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype) as Record<string, unknown> | undefined;
          if (first) first.back = root;
        }
        for (const threshold of [4096, 8]) {
          const back = decode(encode(root, { segmentThresholdBytes: threshold }));
          expect(difference(root, back)).toBeUndefined();
        }
      }),
      { numRuns: RUNS, seed: 5 },
    );
  });
});

describe("the checker itself", () => {
  it("sees differences of value, -0, holes, order, prototype and identity", () => {
    const s = {};
    // eslint-disable-next-line no-sparse-arrays
    const pairs: [unknown, unknown][] = [[{ a: 1 }, { a: 2 }], [0, -0], [[, 1], [undefined, 1]], [new Map([[1, 1], [2, 2]]), new Map([[2, 2], [1, 1]])], [Object.create(null), {}], [[s, s], [{}, {}]], [1n, 1], [new Float32Array([NaN]), new Float32Array(new Uint32Array([0x7fc00001]).buffer)]];
    for (const [a, b] of pairs) expect(difference(a, b)).toBeDefined();
  });
});
