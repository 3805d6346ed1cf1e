import { describe, expect, it } from "vitest";
import { NDArray, readNpz, readSafetensors, writeNpz, writeSafetensors } from "../../src/index.js";

// Names in foreign files are data: a member or tensor named __proto__ is an own property.
describe("names that look like prototype keys", () => {
  const arrays = JSON.parse('{"__proto__": 1, "constructor": 2}') as Record<string, unknown>;
  const value: Record<string, NDArray> = {};
  for (const [i, k] of Object.keys(arrays).entries()) Object.defineProperty(value, k, { value: new NDArray(Float32Array.of(i)), enumerable: true });

  it("npz", () => {
    const back = readNpz(writeNpz(value));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toBeInstanceOf(NDArray);
  });

  it("safetensors", () => {
    const { tensors } = readSafetensors(writeSafetensors(value, JSON.parse('{"__proto__": "x"}')));
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.keys(tensors).sort()).toEqual(["__proto__", "constructor"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
