import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dump, dumpSync, encode, isNdpackError, loadSync, NDArray } from "../src/index.js";
import { saveNpy } from "../src/interop/npy.js";
import { preallocate, preallocateTuning } from "../src/io/preallocate.js";
import { libcTuning, type Libc } from "../src/io/libc.js";
import { HEADER_BYTES } from "../src/format.js";
import { knownPrefixBytes } from "../src/segment/container.js";
import { encodeGraph } from "../src/graph/encode.js";
import { segmentOptions } from "../src/api.js";
import { tempDir } from "./helpers.js";

const dir = tempDir();
const saved = { ...preallocateTuning };
const savedLibc = { ...libcTuning };
afterEach(() => {
  Object.assign(preallocateTuning, saved);
  Object.assign(libcTuning, savedLibc);
});

/** A C library whose fallocate records its calls and answers each with `result` and `errno`. */
function fakeLibc(result: number, errno: number, calls: number[][] = []): Libc {
  return { fallocate: (...args: number[]) => (calls.push(args), result), errno: () => errno } as unknown as Libc;
}
const failing = (errno: number, calls: number[][] = []) => fakeLibc(-1, errno, calls);

function leftovers(name: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`.${name}.`));
}

describe("preallocation (fallocate through koffi, as np.save does)", () => {
  it("reserves the blocks of a real file without changing its size", () => {
    // koffi is an optional dependency that this repository installs: on Linux the binding must
    // load, or this test would pass without testing anything.
    if (process.platform !== "linux") return;
    preallocateTuning.minBytes = 0;
    const file = join(dir, "reserved.bin");
    const fd = openSync(file, "w");
    try {
      preallocate(fd, 8 << 20, file, file);
      expect(libcTuning.binding).toBeTruthy();
      const st = fstatSync(fd);
      expect(st.size).toBe(0);
      expect(st.blocks * 512).toBeGreaterThanOrEqual(8 << 20);
    } finally {
      closeSync(fd);
    }
  });

  it("asks for the header and every uncompressed segment, at their aligned offsets", () => {
    const value = { a: new Float32Array(3000), b: new Uint8Array(5001), c: "x" };
    const graph = encodeGraph(value, {});
    // Header (64), a at 64 (12,000 bytes), b at the next 64-byte boundary (12,096) + 5,001.
    expect(knownPrefixBytes(graph, segmentOptions({}))).toBe(12_096 + 5001);
    expect(knownPrefixBytes(graph, segmentOptions({ checksum: true }))).toBe(12_096 + 5001);
    expect(knownPrefixBytes(graph, segmentOptions({ compress: "lz4" }))).toBe(HEADER_BYTES);
    expect(knownPrefixBytes(graph, segmentOptions({ filters: ["shuffle"] }))).toBe(HEADER_BYTES);
  });

  it("passes dumpSync's known size to fallocate, with FALLOC_FL_KEEP_SIZE, and writes the same bytes", () => {
    const calls: number[][] = [];
    const value = { v: new Float64Array(10_000).map((_, i) => i * 0.5) };
    preallocateTuning.minBytes = 0;
    libcTuning.binding = fakeLibc(0, 0, calls);
    const path = join(dir, "same.ndpack");
    dumpSync(value, path);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(1)).toEqual([1, 0, 64 + 80_000]);
    expect(new Uint8Array(readFileSync(path))).toEqual(encode(value));
  });

  for (const [errno, words] of [
    [28, "no space left on the device"],
    [122, "disk quota exceeded"],
  ] as const) {
    it(`fails with ERR_IO before writing when fallocate says errno ${errno}, keeping the old file`, async () => {
      const path = join(dir, `full-${errno}.ndpack`);
      dumpSync({ v: 1 }, path);
      preallocateTuning.minBytes = 0;
      libcTuning.binding = failing(errno);
      const big = { v: new Float32Array(100_000) };
      let caught: unknown;
      try {
        dumpSync(big, path);
      } catch (e) {
        caught = e;
      }
      expect(isNdpackError(caught, "ERR_IO")).toBe(true);
      expect((caught as Error).message).toBe(`cannot write ${path}: ${words} for its 400064 bytes (fallocate errno ${errno})`);
      await expect(dump(big, path)).rejects.toMatchObject({ code: "ERR_IO", message: expect.stringContaining(words) });
      expect(() => saveNpy(join(dir, `full-${errno}.npy`), new NDArray(new Float32Array(100_000)))).toThrow(words);
      expect(loadSync(path)).toEqual({ v: 1 });
      expect(leftovers(`full-${errno}.ndpack`)).toEqual([]);
      expect(leftovers(`full-${errno}.npy`)).toEqual([]);
    });
  }

  it("does not preallocate on tmpfs, where it would only zero memory pages in the calling thread", () => {
    const shm = "/dev/shm";
    if (process.platform !== "linux" || statfsSync(shm, { bigint: false }).type !== 0x01021994) return;
    const calls: number[][] = [];
    preallocateTuning.minBytes = 0;
    libcTuning.binding = failing(28, calls);
    const path = join(mkdtempSync(join(shm, "ndpack-")), "m.ndpack");
    try {
      dumpSync({ v: new Float32Array(1000) }, path);
      expect(calls).toEqual([]);
      expect(loadSync(path)).toEqual({ v: new Float32Array(1000) });
    } finally {
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });

  it("writes on when the filesystem cannot preallocate (EOPNOTSUPP)", async () => {
    preallocateTuning.minBytes = 0;
    libcTuning.binding = failing(95);
    const value = { v: new Int32Array(50_000).map((_, i) => i) };
    const path = join(dir, "unsupported.ndpack");
    dumpSync(value, path);
    expect(loadSync(path)).toEqual(value);
    await dump(value, path);
    expect(loadSync(path)).toEqual(value);
  });

  it("does not call fallocate below minBytes", () => {
    const calls: number[][] = [];
    preallocateTuning.minBytes = 1 << 20;
    libcTuning.binding = failing(28, calls);
    dumpSync({ v: new Float32Array(1000) }, join(dir, "small.ndpack"));
    expect(calls).toEqual([]);
  });
});
