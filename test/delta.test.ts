import { describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/index.js";
import { awkwardLengths, backends, expectSameBytes, randomBytes, wasmKernels } from "./helpers/kernels.js";

/** The definition with BigInt: element i minus element i - 1, modulo 2^(8 * typesize). */
function referenceDelta(src: Uint8Array, typesize: number): Uint8Array {
  const n = Math.floor(src.length / typesize);
  const out = src.slice();
  const bits = BigInt(8 * typesize);
  const read = (i: number): bigint => {
    let v = 0n;
    for (let b = typesize - 1; b >= 0; b--) v = (v << 8n) | BigInt(src[i * typesize + b]!);
    return v;
  };
  for (let i = 1; i < n; i++) {
    let d = BigInt.asUintN(Number(bits), read(i) - read(i - 1));
    for (let b = 0; b < typesize; b++, d >>= 8n) out[i * typesize + b] = Number(d & 0xffn);
  }
  return out;
}

describe.each(backends)("delta (%s)", (_name, kernels) => {
  it("encodes 16-bit elements 1000, 999, 1003 with wrapping", () => {
    const src = new Uint8Array(new Uint16Array([1000, 999, 1003]).buffer);
    const out = new Uint8Array(6);
    kernels.deltaEncode(src, out, 2);
    expect([...new Uint16Array(out.buffer)]).toEqual([1000, 0xffff, 4]);
  });

  it("encodes 64-bit elements across the 32-bit borrow", () => {
    const src = new Uint8Array(new BigUint64Array([0x1_0000_0000n, 0xffff_ffffn, 0n, 0xffff_ffff_ffff_ffffn]).buffer);
    const out = new Uint8Array(32);
    kernels.deltaEncode(src, out, 8);
    expect([...new BigUint64Array(out.buffer)]).toEqual([0x1_0000_0000n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_0000_0001n, 0xffff_ffff_ffff_ffffn]);
    const back = new Uint8Array(32);
    kernels.deltaDecode(out, back, 8);
    expectSameBytes(back, src, "decode");
  });

  it.each([1, 2, 4, 8])("matches the definition and round-trips, typesize %i", (typesize) => {
    for (const length of awkwardLengths(typesize)) {
      if (length > 70_000) continue; // the BigInt reference is slow; large inputs are compared below
      const src = randomBytes(length, length + typesize);
      const out = new Uint8Array(length);
      kernels.deltaEncode(src, out, typesize);
      expectSameBytes(out, referenceDelta(src, typesize), `encode, length ${length}`);
      const back = new Uint8Array(length);
      kernels.deltaDecode(out, back, typesize);
      expectSameBytes(back, src, `decode, length ${length}`);
    }
  });

  it.each([3, 5, 16, 0])("rejects typesize %i with ERR_INVALID_ARGUMENT", (typesize) => {
    expect(() => kernels.deltaEncode(new Uint8Array(16), new Uint8Array(16), typesize)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    expect(() => kernels.deltaDecode(new Uint8Array(16), new Uint8Array(16), typesize)).toThrow("typesize must be 1, 2, 4, 8");
  });
});

describe.skipIf(wasmKernels === undefined)("delta: wasm and js agree to the byte on several MiB", () => {
  const wasm = wasmKernels!;
  it.each([1, 2, 4, 8])("typesize %i", (typesize) => {
    const src = randomBytes(3 * 1024 * 1024 + 5, typesize);
    const a = new Uint8Array(src.length);
    const b = new Uint8Array(src.length);
    wasm.deltaEncode(src, a, typesize);
    jsKernels.deltaEncode(src, b, typesize);
    expectSameBytes(a, b, "wasm vs js encode");
    wasm.deltaDecode(a, b.fill(0), typesize);
    expectSameBytes(b, src, "wasm decode");
    jsKernels.deltaDecode(a, b.fill(0), typesize);
    expectSameBytes(b, src, "js decode");
  });
});
