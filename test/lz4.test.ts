// LZ4 twins (assembly/lz4.ts, src/kernels/js/lz4.ts): same bytes on both backends, standard
// blocks that lz4js and lz4-wasm-nodejs decode, their blocks decode here, malformed blocks give
// a negative status and never throw or hang.
import { existsSync, openSync, readSync, closeSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/index.js";
import { LZ4_ERR_CORRUPT, LZ4_ERR_OUTPUT, lz4CompressBound } from "../src/kernels/js/lz4.js";
import { backends, randomBytes, sparseRepeats, wasmKernels } from "./helpers/kernels.js";

const require = createRequire(import.meta.url);
const lz4js = require("lz4js") as {
  compressBound(n: number): number;
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
};
/** lz4-wasm-nodejs (Rust lz4_flex): blocks with a 4-byte LE size prefix; needs WebAssembly. */
const lz4flex = typeof globalThis.WebAssembly === "object" ? (require("lz4-wasm-nodejs") as { compress(b: Uint8Array): Uint8Array; decompress(b: Uint8Array): Uint8Array }) : undefined;

const GLOVE = "/tmp/lead/glove.f32";
/** 1 MiB of the real GloVe matrix when the file is here, else smooth float32 data. */
function gloveSlice(): Uint8Array {
  if (existsSync(GLOVE)) {
    const out = new Uint8Array(1 << 20);
    const fd = openSync(GLOVE, "r");
    readSync(fd, out, 0, out.length, 40_000_000);
    closeSync(fd);
    return out;
  }
  return new Uint8Array(new Float32Array(1 << 18).map((_, i) => Math.sin(i / 50) * 0.3).buffer);
}

function compressWith(k: typeof jsKernels, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4CompressBound(src.length));
  const n = k.lz4Compress(src, out);
  expect(n).toBeGreaterThan(0);
  return out.slice(0, n);
}

function fixedCases(): Record<string, Uint8Array> {
  const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog; the lazy dog sleeps. ".repeat(300));
  const ramp = new Uint8Array(new Int32Array(50_000).map((_, i) => i * 3).buffer);
  return {
    empty: new Uint8Array(0),
    oneByte: new Uint8Array([42]),
    twelve: new Uint8Array(12).fill(7),
    thirteen: new Uint8Array(13).fill(7),
    thirteenMixed: new Uint8Array([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1]),
    run: new Uint8Array(300_000).fill(0xab),
    run2: new Uint8Array(70_000).map((_, i) => (i & 1 ? 1 : 2)),
    run7: new Uint8Array(70_000).map((_, i) => i % 7),
    far: (() => { const b = randomBytes(200_000, 5); b.set(b.subarray(0, 1000), 65_535 + 1000); b.set(b.subarray(0, 1000), 150_000); return b; })(),
    random: randomBytes(100_003, 9),
    text,
    ramp,
    glove: gloveSlice(),
  };
}

describe("lz4 twins", () => {
  it.each(Object.entries(fixedCases()))("%s: same block on both backends; lz4js, lz4-wasm-nodejs and both backends decode it", (_, src) => {
    const block = compressWith(jsKernels, src);
    if (wasmKernels) expect(Buffer.from(compressWith(wasmKernels, src)).equals(Buffer.from(block))).toBe(true);
    const viaLz4js = new Uint8Array(src.length);
    expect(lz4js.decompressBlock(block, viaLz4js, 0, block.length, 0)).toBe(src.length);
    expect(Buffer.from(viaLz4js).equals(Buffer.from(src))).toBe(true);
    if (lz4flex) {
      const framed = new Uint8Array(block.length + 4);
      new DataView(framed.buffer).setUint32(0, src.length, true);
      framed.set(block, 4);
      expect(Buffer.from(lz4flex.decompress(framed)).equals(Buffer.from(src))).toBe(true);
    }
    for (const [, k] of backends) {
      const back = new Uint8Array(src.length);
      expect(k.lz4Decompress(block, back)).toBe(src.length);
      expect(Buffer.from(back).equals(Buffer.from(src))).toBe(true);
    }
  });

  it.each(backends)("%s decodes blocks written by lz4js and lz4-wasm-nodejs", (_, k) => {
    for (const src of Object.values(fixedCases())) {
      if (src.length === 0) continue;
      const out = new Uint8Array(lz4js.compressBound(src.length));
      const n = lz4js.compressBlock(src, out, 0, src.length, new Uint32Array(1 << 16));
      // lz4js writes nothing (0) when it cannot compress.
      if (n > 0) {
        const back = new Uint8Array(src.length);
        expect(k.lz4Decompress(out.subarray(0, n), back)).toBe(src.length);
        expect(Buffer.from(back).equals(Buffer.from(src))).toBe(true);
      }
      if (lz4flex) {
        const block = lz4flex.compress(src).subarray(4);
        const back = new Uint8Array(src.length);
        expect(k.lz4Decompress(block, back)).toBe(src.length);
        expect(Buffer.from(back).equals(Buffer.from(src))).toBe(true);
      }
    }
  });

  it("property: random repetitive inputs give the same block on both backends and round-trip", () => {
    const input = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(new Uint8Array(30), new Uint8Array([1, 2, 3, 4, 5]))), { maxLength: 60 }).map((parts) => {
      const all = parts.concat(parts.slice(0, parts.length >> 1));
      const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of all) { out.set(p, at); at += p.length; }
      return out;
    });
    fc.assert(
      fc.property(input, (src) => {
        const block = compressWith(jsKernels, src);
        if (wasmKernels) expect(Buffer.from(compressWith(wasmKernels, src)).equals(Buffer.from(block))).toBe(true);
        const viaLz4js = new Uint8Array(src.length);
        expect(lz4js.decompressBlock(block, viaLz4js, 0, block.length, 0)).toBe(src.length);
        expect(Buffer.from(viaLz4js).equals(Buffer.from(src))).toBe(true);
        for (const [, k] of backends) {
          const back = new Uint8Array(src.length);
          expect(k.lz4Decompress(block, back)).toBe(src.length);
          expect(Buffer.from(back).equals(Buffer.from(src))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each(backends)("%s: a block that does not fit the output gives -4 (the 'does not shrink' answer)", (_, k) => {
    const src = randomBytes(5000, 3);
    expect(k.lz4Compress(src, new Uint8Array(src.length - 1))).toBe(LZ4_ERR_OUTPUT);
    expect(k.lz4Compress(new Uint8Array(5000), new Uint8Array(10))).toBe(LZ4_ERR_OUTPUT);
  });
});

/** The sparse-repeat input of these tests: 100,000 bytes. */
const sparse = () => sparseRepeats(100_000, 3);

describe("lz4 acceleration (the level option's parameter)", () => {
  const accelerations = [1, 2, 5, 9, 100];

  it("gives the same block on both backends at every acceleration, and lz4js decodes each", () => {
    const cases = { ...fixedCases(), sparse: sparse() };
    for (const src of Object.values(cases)) {
      for (const a of accelerations) {
        const out = new Uint8Array(lz4CompressBound(src.length));
        const n = jsKernels.lz4Compress(src, out, false, a);
        expect(n).toBeGreaterThan(0);
        const block = out.subarray(0, n);
        if (wasmKernels) {
          const w = new Uint8Array(out.length);
          expect(Buffer.from(w.subarray(0, wasmKernels.lz4Compress(src, w, false, a))).equals(Buffer.from(block))).toBe(true);
        }
        const back = new Uint8Array(src.length);
        expect(lz4js.decompressBlock(block, back, 0, block.length, 0)).toBe(src.length);
        expect(Buffer.from(back).equals(Buffer.from(src))).toBe(true);
      }
    }
  });

  it.each(backends)("%s: a higher acceleration finds fewer sparse matches: 91,906 bytes at 1, then 92,446, 93,816, 96,200, 100,394", (_, k) => {
    const src = sparse();
    const sizes = accelerations.map((a) => k.lz4Compress(src, new Uint8Array(lz4CompressBound(src.length)), false, a));
    // Sizes from the TypeScript twin; the other backend must write the same blocks.
    expect(sizes).toEqual([91_906, 92_446, 93_816, 96_200, 100_394]);
    expect(k.lz4Compress(src, new Uint8Array(lz4CompressBound(src.length)))).toBe(91_906); // the default is 1
  });

  it.each(backends)("%s: clamps acceleration as the reference does: below 1, NaN and fractions", (_, k) => {
    const src = sparse();
    const size = (a: number) => k.lz4Compress(src, new Uint8Array(lz4CompressBound(src.length)), false, a);
    expect([0, -3, Number.NaN, 1.9].map(size)).toEqual([91_906, 91_906, 91_906, 91_906]);
    expect(size(5.5)).toBe(93_816);
    expect(size(2 ** 40)).toBe(size(65_537));
  });
});

describe.each(backends)("lz4 malformed blocks (%s)", (_, k) => {
  const src = fixedCases().text;
  const block = compressWith(jsKernels, src);

  it("rejects every truncation with a negative status or a short length", () => {
    const dst = new Uint8Array(src.length);
    for (let cut = 0; cut < block.length; cut++) {
      const n = k.lz4Decompress(block.subarray(0, cut), dst);
      expect(n === LZ4_ERR_CORRUPT || (n >= 0 && n < src.length)).toBe(true);
    }
  });

  it("rejects offsets of 0 and before the output start, overlong lengths and claims beyond dst", () => {
    const dst = new Uint8Array(64);
    expect(k.lz4Decompress(new Uint8Array(0), dst)).toBe(LZ4_ERR_CORRUPT); // empty block
    expect(k.lz4Decompress(new Uint8Array([0x14, 1, 0, 0, 0, 0]), dst)).toBe(LZ4_ERR_CORRUPT); // offset 0
    expect(k.lz4Decompress(new Uint8Array([0x14, 1, 2, 0, 0]), dst)).toBe(LZ4_ERR_CORRUPT); // offset 2 > 1 byte written
    expect(k.lz4Decompress(new Uint8Array([0x00, 0xff, 0xff]), dst)).toBe(LZ4_ERR_CORRUPT); // offset 65535, nothing written
    expect(k.lz4Decompress(new Uint8Array([0x50, 1, 2]), dst)).toBe(LZ4_ERR_CORRUPT); // 5 literals, 2 present
    expect(k.lz4Decompress(new Uint8Array([0xf0, 255, 255, 255]), dst)).toBe(LZ4_ERR_CORRUPT); // literal length runs off the end
    expect(k.lz4Decompress(new Uint8Array([0x1f, 9, 1, 0, 255, 255, 255, 255, 10]), dst)).toBe(LZ4_ERR_CORRUPT); // match past dst
    expect(k.lz4Decompress(new Uint8Array([0x1f, 9, 1, 0]), dst)).toBe(LZ4_ERR_CORRUPT); // match length extension missing
    expect(k.lz4Decompress(new Uint8Array([0x10, 9, 1]), dst)).toBe(LZ4_ERR_CORRUPT); // half an offset
    expect(k.lz4Decompress(new Uint8Array([0x40, 1, 2, 3, 4]), new Uint8Array(3))).toBe(LZ4_ERR_CORRUPT); // literals past dst
    expect(k.lz4Decompress(new Uint8Array([0x14, 1, 1, 0, 0x10, 5]), dst)).toBe(10); // valid: overlapping match + last literal
  });

  it("fuzz: random and mutated blocks never throw, never write past dst, never hang", () => {
    const guard = new Uint8Array(src.length + 64);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(block.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
        const b = block.slice();
        for (const [at, v] of edits) b[at] = v;
        return b;
      })), (bad) => {
        guard.fill(0xee);
        const n = k.lz4Decompress(bad, guard.subarray(0, src.length));
        expect(n === LZ4_ERR_CORRUPT || (n >= 0 && n <= src.length)).toBe(true);
        expect(guard.subarray(src.length).every((x) => x === 0xee)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
