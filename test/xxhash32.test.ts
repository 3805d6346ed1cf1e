import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/index.js";
import { WASM_PIECE_BYTES } from "../src/kernels/wasm/index.js";
import { backends, randomBytes, wasmKernels } from "./helpers/kernels.js";

// lz4js's independent XXH32 (CommonJS): xxh32(seed, bytes, index, length).
const lz4jsXxh32 = createRequire(import.meta.url)("lz4js/xxh32.js") as {
  hash(seed: number, src: Uint8Array, index: number, length: number): number;
};

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each(backends)("xxhash32 (%s)", (_name, kernels) => {
  it("gives the published vectors", () => {
    expect(kernels.xxhash32(new Uint8Array(0))).toBe(0x02cc5d05);
    expect(kernels.xxhash32(new Uint8Array(0), 0)).toBe(0x02cc5d05);
    expect(kernels.xxhash32(ascii("abc"), 0)).toBe(0x32d153ff);
    expect(kernels.xxhash32(ascii("Nobody inspects the spammish repetition"))).toBe(0xe2293b2f);
  });

  it("agrees with lz4js on lengths 0..100 and around the piece size, several seeds", () => {
    const data = randomBytes(2 * WASM_PIECE_BYTES + 100, 99);
    const lengths = [...Array(101).keys(), 1000, 4097, WASM_PIECE_BYTES - 1, WASM_PIECE_BYTES, WASM_PIECE_BYTES + 17, 2 * WASM_PIECE_BYTES + 100];
    for (const seed of [0, 1, 0x9e3779b1, 0xffffffff]) {
      for (const length of lengths) {
        const expected = lz4jsXxh32.hash(seed, data, 0, length) >>> 0;
        expect(kernels.xxhash32(data.subarray(0, length), seed), `seed ${seed}, length ${length}`).toBe(expected);
      }
    }
  });

  it("hashes unaligned views", () => {
    const data = randomBytes(1003, 4);
    for (const offset of [1, 2, 3]) {
      expect(kernels.xxhash32(data.subarray(offset), 7)).toBe(lz4jsXxh32.hash(7, data, offset, 1003 - offset) >>> 0);
    }
  });
});

describe.skipIf(wasmKernels === undefined)("xxhash32: wasm and js agree on several MiB", () => {
  it("5 MiB + 3 bytes, streamed through the arena in pieces", () => {
    const data = randomBytes(5 * 1024 * 1024 + 3, 12);
    expect(wasmKernels!.xxhash32(data, 42)).toBe(jsKernels.xxhash32(data, 42));
  });
});
