import { describe, expect, it } from "vitest";
import { DTYPES, isNdpackError, NDArray, NdpackError } from "../src/index.js";
import { thrown } from "./helpers.js";

describe("NDArray", () => {
  it("takes its dtype from the data's class and keeps the data without copying", () => {
    const data = new Float32Array(6);
    const a = new NDArray(data, [2, 3]);
    expect(a.dtype).toBe("float32");
    expect(a.data).toBe(data);
    expect([a.ndim, a.size, a.nbytes]).toEqual([2, 6, 24]);
    expect(new NDArray(new BigUint64Array(2)).dtype).toBe("uint64");
    expect(new NDArray(new Uint8ClampedArray(2)).dtype).toBe("uint8");
  });

  it("holds one element at rank 0 and none with a zero extent", () => {
    expect(new NDArray(Float64Array.of(1), []).size).toBe(1);
    expect(new NDArray(new Float64Array(0), [3, 0, 2]).size).toBe(0);
  });

  it("checks data against shape and dtype", () => {
    expect(thrown(() => new NDArray(new Float32Array(5), [2, 3])).message).toBe("shape [2, 3] holds 6 elements but data has 5");
    expect(thrown(() => new NDArray(new Float32Array(2), [2], "float16")).message).toBe("dtype float16 needs a Uint16Array, got a Float32Array");
    expect(thrown(() => new NDArray(new Float32Array(2), [-2])).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => new NDArray(new Float32Array(2), [1.5])).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => new NDArray(new Float32Array(0), [2 ** 30, 2 ** 30, 2 ** 30])).code).toBe("ERR_LIMIT");
    expect(thrown(() => new NDArray([1, 2] as unknown as Float32Array)).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => new NDArray(new Float32Array(1), [1], "complex64" as never)).code).toBe("ERR_INVALID_ARGUMENT");
  });

  it("has a dtype table with format codes 1-13 and numpy type strings", () => {
    expect(Object.values(DTYPES).map((d) => d.code)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(DTYPES.float32.numpy).toBe("<f4");
    expect(DTYPES.bfloat16.itemsize).toBe(2);
  });
});

describe("NdpackError", () => {
  it("is recognised by the guard, with or without a code", () => {
    const e = new NdpackError("ERR_LIMIT", "too big");
    expect(isNdpackError(e)).toBe(true);
    expect(isNdpackError(e, "ERR_LIMIT")).toBe(true);
    expect(isNdpackError(e, "ERR_CORRUPT")).toBe(false);
    expect(isNdpackError(new Error("x"))).toBe(false);
    expect(isNdpackError({ code: "ERR_LIMIT" })).toBe(false);
    expect(e.name).toBe("NdpackError");
    expect(e.incomplete).toBe(false);
  });
});
