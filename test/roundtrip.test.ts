import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createContext, runInContext, runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { decode, dump, dumpSync, encode, load, loadInfo, loadSync, NDArray, NdpackError, verify, type FilterName } from "../src/index.js";
import { backendNames, randomBytes, tempDir } from "./helpers.js";
import { liveMappingCount, mapRange, mapTuning, MAX_MAP_OFFSET, mmapAddonSource } from "../src/io/mmap.js";
import { libcTuning } from "../src/io/libc.js";

const dir = tempDir();

/** Every typed array class, filled with bytes that include NaN payloads and -0. */
function typedArrays(n: number): Record<string, ArrayBufferView> {
  const bytes = randomBytes(n * 8, n);
  const buf = bytes.buffer;
  return {
    i8: new Int8Array(buf, 0, n),
    u8: new Uint8Array(buf, 0, n),
    u8c: new Uint8ClampedArray(buf, 0, n),
    i16: new Int16Array(buf, 0, n),
    u16: new Uint16Array(buf, 0, n),
    i32: new Int32Array(buf, 0, n),
    u32: new Uint32Array(buf, 0, n),
    f32: new Float32Array(buf, 0, n),
    f64: new Float64Array(buf, 0, n),
    i64: new BigInt64Array(buf, 0, n),
    u64: new BigUint64Array(buf, 0, n),
  };
}

/** Byte-exact comparison of two views, plus their classes. */
function expectSameView(a: unknown, b: ArrayBufferView): void {
  expect(Object.prototype.toString.call(a)).toBe(Object.prototype.toString.call(b));
  const v = a as ArrayBufferView;
  expect(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
}

const scalars = {
  nul: null,
  t: true,
  f: false,
  zero: 0,
  negZero: -0,
  nan: NaN,
  inf: Infinity,
  ninf: -Infinity,
  small: 127,
  big: 2 ** 31,
  neg: -(2 ** 31),
  frac: 0.1,
  max: Number.MAX_VALUE,
  tiny: Number.MIN_VALUE,
  safe: Number.MAX_SAFE_INTEGER,
  empty: "",
  ascii: "hello",
  utf8: "héllo wörld ☃ 😀 日本語",
  long: "abc€".repeat(100_000),
  nested: { a: [1, [2, [3, { b: "c" }]]], "key with spaces": 1, "": 2, "☃": 3 },
  strings: Array.from({ length: 20 }, (_, i) => "w" + "é".repeat(i)),
  mixed: [1, "a", null, true, 2.5, [], {}],
};

describe("encode/decode", () => {
  it("round-trips scalars, strings, arrays and objects exactly", () => {
    const back = decode(encode(scalars)) as typeof scalars;
    expect(back).toEqual(scalars);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(Number.isNaN(back.nan)).toBe(true);
    expect(Object.keys(back)).toEqual(Object.keys(scalars));
  });

  it.each([0, 1, 7, 100, 1000])("round-trips every typed array class with %i elements, inline and as segments", (n) => {
    const value = typedArrays(n);
    for (const threshold of [0, 4096, Infinity]) {
      const back = decode(encode(value, { segmentThresholdBytes: threshold })) as Record<string, ArrayBufferView>;
      for (const [k, v] of Object.entries(value)) expectSameView(back[k], v);
    }
  });

  it("keeps NaN bit patterns inside float arrays", () => {
    const bits = new Uint32Array([0x7fc00001, 0xffffffff, 0x7f800001, 0x80000000]);
    const f = new Float32Array(bits.buffer);
    const back = decode(encode({ f })) as { f: Float32Array };
    expect([...new Uint32Array(back.f.buffer, back.f.byteOffset, 4)]).toEqual([...bits]);
  });

  it("round-trips ArrayBuffer, DataView and NDArray of every dtype", () => {
    const ab = randomBytes(5000, 3).buffer;
    const dv = new DataView(randomBytes(100, 4).buffer, 10, 50);
    const arrays = {
      bool: new NDArray(Uint8Array.of(0, 1, 1, 0), [2, 2], "bool"),
      f16: new NDArray(new Uint16Array(6).fill(0x3c00), [1, 2, 3], "float16"),
      bf16: new NDArray(new Uint16Array(2).fill(0x3f80), [2], "bfloat16"),
      scalar: new NDArray(Float64Array.of(Math.PI), []),
      empty: new NDArray(new Int32Array(0), [0, 5]),
      big: new NDArray(new Float32Array(3000).map((_, i) => i / 7), [30, 100]),
      i64: new NDArray(BigInt64Array.of(-1n, 2n ** 63n - 1n), [2]),
    };
    const back = decode(encode({ ab, dv, arrays })) as { ab: ArrayBuffer; dv: DataView; arrays: typeof arrays };
    expect(back.ab).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(back.ab).equals(Buffer.from(ab))).toBe(true);
    expect(back.dv).toBeInstanceOf(DataView);
    expect(back.dv.byteLength).toBe(50);
    expect(Buffer.from(back.dv.buffer, back.dv.byteOffset, 50).equals(Buffer.from(dv.buffer, 10, 50))).toBe(true);
    for (const [k, a] of Object.entries(arrays)) {
      const b = back.arrays[k as keyof typeof arrays];
      expect(b).toBeInstanceOf(NDArray);
      expect(b.dtype).toBe(a.dtype);
      expect(b.shape).toEqual(a.shape);
      expectSameView(b.data, a.data);
    }
  });

  it("stores only a view's own bytes, not its whole buffer", () => {
    const whole = new Float64Array(1_000_000);
    const part = whole.subarray(10, 20);
    const bytes = encode({ part });
    expect(bytes.length).toBeLessThan(1000);
    const back = decode(bytes) as { part: Float64Array };
    expect(back.part.length).toBe(10);
  });

  it("puts arrays at or above the threshold in aligned segments and returns views of the input", () => {
    const f = new Float64Array(512).map((_, i) => i); // 4096 bytes: exactly the threshold
    const bytes = encode({ f });
    const back = decode(bytes) as { f: Float64Array };
    expect(back.f.buffer).toBe(bytes.buffer);
    expect(back.f.byteOffset % 64).toBe(0);
    const small = decode(encode({ f: f.subarray(1) })) as { f: Float64Array };
    expect(small.f.buffer.byteLength).toBe(511 * 8); // inline: a fresh, exact buffer
  });

  it("decodes from a pooled Buffer at an odd byteOffset without mutating it, copying misaligned arrays", () => {
    const value = { f: new Float64Array(1000).map((_, i) => i * 1.5), s: "x" };
    const bytes = encode(value);
    const pool = Buffer.alloc(bytes.length + 3);
    pool.set(bytes, 3);
    const view = pool.subarray(3);
    const before = Buffer.from(view);
    const back = decode(view) as typeof value;
    expect([...back.f]).toEqual([...value.f]);
    expect(back.f.byteOffset % 8).toBe(0);
    expect(view.equals(before)).toBe(true);
  });

  it("copies instead of aliasing with copy: true", () => {
    const bytes = encode({ f: new Float32Array(2000) });
    const back = decode(bytes, { copy: true }) as { f: Float32Array };
    expect(back.f.buffer).not.toBe(bytes.buffer);
  });

  it("round-trips array holes and undefined distinctly", () => {
    const a = [1, , 3, undefined]; // eslint-disable-line no-sparse-arrays
    const back = decode(encode(a)) as unknown[];
    expect(back.length).toBe(4);
    expect(1 in back).toBe(false);
    expect(3 in back).toBe(true);
    expect(back[3]).toBeUndefined();
  });
});

describe("dump/load", () => {
  const value = {
    words: ["king", "queen", "paris", "computer", "é", "😀", "a", "b", "c"],
    vectors: new NDArray(new Float32Array(12 * 100).map((_, i) => Math.sin(i)), [12, 100]),
    ids: new BigInt64Array(1000).map((_, i) => BigInt(i) * 3n),
    meta: { source: "test", n: 9 },
  };

  function expectValue(back: typeof value): void {
    expect(back.words).toEqual(value.words);
    expect(back.meta).toEqual(value.meta);
    expect(back.vectors.shape).toEqual([12, 100]);
    expectSameView(back.vectors.data, value.vectors.data);
    expectSameView(back.ids, value.ids);
  }

  it("dumpSync and loadSync, with and without mmap", () => {
    const path = join(dir, "sync.ndpack");
    const info = dumpSync(value, path);
    expect(info.segments).toBe(2);
    expect(info.rawBytes).toBe(4800 + 8000);
    expectValue(loadSync(path) as typeof value);
    const mapped = loadSync(path, { mmap: true }) as typeof value;
    expectValue(mapped);
    expect(loadInfo(mapped)).toEqual({ mappedSegments: 2, readSegments: 0 });
    for (const a of [mapped.vectors.data, mapped.ids]) expect(a.byteOffset % a.BYTES_PER_ELEMENT).toBe(0);
  });

  it.each([[{ a: 1 }], [[]], [{}], [""], [null], [0], [{ words: ["a", "b", "c", "d", "e", "f", "g", "h"] }]])(
    "load (async) and loadSync read a file without segments: %j",
    async (v) => {
      const path = join(dir, "no-segments.ndpack");
      dumpSync(v, path);
      expect(await load(path)).toEqual(v);
      expect(await load(path, { mmap: true })).toEqual(v);
      expect(loadSync(path)).toEqual(v);
    },
  );

  it("dump and load (async), with and without mmap", async () => {
    const path = join(dir, "async.ndpack");
    await dump(value, path);
    expectValue((await load(path)) as typeof value);
    const mapped = (await load(path, { mmap: true })) as typeof value;
    expectValue(mapped);
    expect(loadInfo(mapped)?.mappedSegments).toBe(2);
  });

  it("load (async) with mmap maps as the graph reaches each array, and reports every segment's progress", async () => {
    const path = join(dir, "async-progress.ndpack");
    const shared = new Float64Array(600).map((_, i) => i);
    const graph = { words: ["w1", "w2"], first: new Float32Array(1200).fill(2), again: shared, same: shared, packed: new Int32Array(2000).fill(7) };
    dumpSync(graph, path);
    const seen: [number, number, string | undefined][] = [];
    const back = (await load(path, { mmap: true, onProgress: (p) => seen.push([p.doneBytes, p.totalBytes, p.path]) })) as typeof graph;
    expect(back).toEqual(graph);
    expect(back.same).toBe(back.again);
    expect(loadInfo(back)).toEqual({ mappedSegments: 3, readSegments: 0 });
    expect(seen).toEqual([
      [4800, 17600, "$.first"],
      [9600, 17600, "$.again"],
      [17600, 17600, "$.packed"],
    ]);
  });

  it("the mmap addon is loaded from its binary, not through node-pre-gyp (about 65 ms a process)", () => {
    const path = join(dir, "addon.ndpack");
    dumpSync(value, path);
    expect(loadInfo(loadSync(path, { mmap: true }) as object)?.mappedSegments).toBe(2);
    expect(mmapAddonSource).toBe("binary");
  });

  it("overlapping async dumps of compressed arrays, and decodes during them, write intact files", async () => {
    // Each compressed chunk comes out of the kernels' scratch memory, which the other calls reuse
    // while a dump awaits its writes.
    const a = new Float32Array(1 << 20).map((_, i) => Math.sin(i));
    const b = a.map(Math.cos);
    const other = encode({ c: a.map((x) => x * 3) }, { compress: "lz4", filters: ["bitshuffle"] });
    for (const backend of backendNames) {
      const o = { compress: "lz4", filters: ["shuffle"] as FilterName[], backend };
      const paths = [join(dir, "p1.ndpack"), join(dir, "p2.ndpack")];
      const ticker = setInterval(() => decode(other), 0);
      try {
        await Promise.all([dump({ a }, paths[0]!, o), dump({ b }, paths[1]!, o)]);
      } finally {
        clearInterval(ticker);
      }
      expect((loadSync(paths[0]!) as { a: Float32Array }).a).toEqual(a);
      expect((loadSync(paths[1]!) as { b: Float32Array }).b).toEqual(b);
      expect(verify(paths[0]!).ok).toBe(true);
    }
  });

  it("an async dump whose array is transferred before it is written rejects with ERR_INVALID_ARGUMENT and leaves no file", async () => {
    for (const o of [{}, { compress: "lz4", filters: ["shuffle"] as FilterName[] }]) {
      const a = new Float32Array(4 << 20).fill(1); // 16 MiB: written after the first await
      const path = join(dir, "transferred.ndpack");
      const pending = dump({ a }, path, o);
      structuredClone(a.buffer, { transfer: [a.buffer] }); // detaches a's buffer
      await expect(pending).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: expect.stringMatching(/detached \(transferred\) or shrunk/) });
      expect(readdirSync(dir).filter((n) => n.includes("transferred"))).toEqual([]);
    }
  });

  it("an async dump whose buffer shrinks while a write is in flight rejects and keeps the previous file", async () => {
    // A partial write of a large piece, then the view reads as empty: the loop used to stop
    // quietly, and the footer and the rename followed, over the previous file.
    const path = join(dir, "shrunk.ndpack");
    dumpSync({ previous: true }, path);
    const n = 20_000_000; // 80 MB: the write takes long enough for a timer to run
    const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(n * 4, { maxByteLength: n * 4 });
    new Float32Array(rab).fill(1);
    const pending = dump({ a: new Float32Array(rab, 0, n) }, path);
    // Shrink once the temp file has grown past its header: the large write is under way.
    const timer = setInterval(() => {
      const tmp = readdirSync(dir).find((f) => f.includes("shrunk.ndpack.tmp"));
      if (tmp && statSync(join(dir, tmp)).size > 4096) {
        rab.resize(8);
        clearInterval(timer);
      }
    }, 0);
    let outcome: string;
    try {
      outcome = await pending.then(
        () => "written",
        (e: { code?: string }) => e.code ?? String(e),
      );
    } finally {
      clearInterval(timer);
    }
    if (outcome === "written") {
      // The shrink came after the last byte was written: the file must then be whole.
      const back = (loadSync(path) as { a: Float32Array }).a;
      expect([back.length, back.every((x) => x === 1)]).toEqual([n, true]);
    } else {
      expect(outcome).toBe("ERR_INVALID_ARGUMENT");
      expect(loadSync(path)).toEqual({ previous: true });
    }
    expect(readdirSync(dir).filter((f) => f.includes("shrunk.ndpack.tmp"))).toEqual([]);
  });

  it("an async dump survives the wasm memory growing while it awaits a write", async () => {
    // Another call with a larger chunk grows the kernels' memory, which detaches the views the
    // dump's pieces are; their lengths then read 0.
    const x = new Float32Array(1 << 20).map((_, i) => Math.sin(i / 100));
    const path = join(dir, "grow.ndpack");
    let chunkBytes = 1 << 20;
    const grower = setInterval(() => {
      if (chunkBytes > 16 << 20) return;
      encode(new Uint8Array(chunkBytes), { compress: "lz4", chunkBytes });
      chunkBytes *= 2;
    }, 0);
    let info;
    try {
      info = await dump(x, path, { compress: "lz4", filters: ["shuffle"] });
    } finally {
      clearInterval(grower);
    }
    expect(info.bytes).toBe(readFileSync(path).length);
    expect(loadSync(path)).toEqual(x);
  });

  it("an empty array out of line needs no read: loadInfo counts it as mapped, with no fallback reason", async () => {
    const path = join(dir, "empty-seg.ndpack");
    dumpSync({ a: new Float32Array(1000).fill(2), b: new Float32Array(0), c: new Uint8Array(5) }, path, { segmentThresholdBytes: 0 });
    for (const v of [loadSync(path, { mmap: true }), await load(path, { mmap: true })] as { a: Float32Array; b: Float32Array; c: Uint8Array }[]) {
      expect(loadInfo(v)).toEqual({ mappedSegments: 3, readSegments: 0 });
      expect([v.a[999], v.b.length, v.b.constructor, v.c.length]).toEqual([2, 0, Float32Array, 5]);
    }
  });

  it("never asks the addon past its 32-bit offsets: from 2 GiB on, the C library's mmap maps (koffi), or the range is read", () => {
    // mmap-io 1.4.3 takes its offset as a 32-bit int: at 4 GiB + x it mapped x, silently.
    const path = join(dir, "sparse.bin");
    const fd = openSync(path, "w+");
    const saved = libcTuning.binding;
    try {
      ftruncateSync(fd, 2 ** 32 + 65536); // sparse: no disk blocks
      const marks: [number, string][] = [
        [MAX_MAP_OFFSET - 65536 + 100, "below 2G"],
        [MAX_MAP_OFFSET + 100, "past 2G!"],
        [2 ** 32 + 100, "past 4G!"],
      ];
      for (const [at, text] of marks) writeSync(fd, Buffer.from(text), 0, 8, at);
      const text = (at: number) => Buffer.from(mapRange(fd, at, 8)!.bytes).toString();
      // koffi is installed here: on Linux it maps every offset, and a write stays private.
      if (process.platform === "linux") {
        for (const [at, t] of marks) expect(text(at)).toBe(t);
        const m = mapRange(fd, marks[2]![0], 8)!.bytes;
        m[0] = 0x21;
        expect(Buffer.from(m).toString()).toBe("!ast 4G!");
        const onDisk = Buffer.alloc(8);
        readSync(fd, onDisk, 0, 8, marks[2]![0]);
        expect(onDisk.toString()).toBe("past 4G!");
      }
      libcTuning.binding = null; // without koffi: only the addon, which must not be asked
      expect(text(marks[0]![0])).toBe("below 2G");
      expect(mapRange(fd, marks[1]![0], 8)).toBeNull();
      expect(mapRange(fd, marks[2]![0], 8)).toBeNull();
    } finally {
      libcTuning.binding = saved;
      closeSync(fd);
    }
  });

  it("maps small arrays in shared mappings of up to 1 MiB, not one each (the kernel allows 65,530 a process)", async () => {
    const path = join(dir, "many.ndpack");
    const arrays = Array.from({ length: 3000 }, (_, i) => new Float32Array(1025).fill(i));
    dumpSync(arrays, path); // each 4,100 bytes (4,160 with padding): one segment each, 12.5 MB
    for (const back of [loadSync(path, { mmap: true }), await load(path, { mmap: true })] as Float32Array[][]) {
      expect(loadInfo(back)).toEqual({ mappedSegments: 3000, readSegments: 0 });
      const buffers = new Set(back.map((a) => a.buffer));
      expect(buffers.size).toBe(Math.ceil((3000 * 4160) / (252 * 4160))); // 252 segments fit in 1 MiB
      for (const b of buffers) expect(b.byteLength).toBeLessThanOrEqual(2 ** 20 + 4096);
      for (const i of [0, 1, 1234, 2999]) expect([back[i]![0], back[i]![1024], back[i]!.byteOffset % 4]).toEqual([i, i, 0]);
    }
  });

  it("gives an array of 64 KiB or more a mapping of its own: saving small neighbours again stays small", () => {
    const path = join(dir, "sandwich.ndpack");
    dumpSync({ s1: new Float32Array(2000).fill(1), big: new Uint8Array(3_000_000).fill(5), s2: new Float32Array(2000).fill(2) }, path);
    const x = loadSync(path, { mmap: true }) as { s1: Float32Array; big: Uint8Array; s2: Float32Array };
    expect(loadInfo(x)?.mappedSegments).toBe(3);
    expect(new Set([x.s1.buffer, x.big.buffer, x.s2.buffer]).size).toBe(3);
    expect(encode({ s1: x.s1, s2: x.s2 }).length).toBeLessThan(20_000);
  });

  it("reads instead of mapping once too many mappings are alive, and says why", () => {
    const path = join(dir, "budget.ndpack");
    dumpSync({ a: new Float64Array(1000).fill(3) }, path);
    const saved = mapTuning.budget;
    try {
      mapTuning.budget = liveMappingCount();
      const back = loadSync(path, { mmap: true }) as { a: Float64Array };
      expect(back.a[999]).toBe(3);
      expect(loadInfo(back)).toMatchObject({ mappedSegments: 0, readSegments: 1 });
      expect(loadInfo(back)?.mmapFallbackReason).toMatch(/segment 0 cannot be mapped: \d+ mappings made by ndpack are still alive .*vm\.max_map_count/);
    } finally {
      mapTuning.budget = saved;
    }
  });

  it("mmap of a compressed file decodes into memory and says so, sync and async", async () => {
    const path = join(dir, "lz4.ndpack");
    dumpSync(value, path, { compress: "lz4", filters: ["shuffle"] });
    const reason = "segment 0 is compressed or filtered: it is decoded into memory, not mapped";
    const mapped = loadSync(path, { mmap: true }) as typeof value;
    expect(loadInfo(mapped)).toEqual({ mappedSegments: 0, readSegments: 2, mmapFallbackReason: reason });
    expect(loadInfo((await load(path, { mmap: true })) as object)).toEqual({ mappedSegments: 0, readSegments: 2, mmapFallbackReason: reason });
    expect(loadInfo(loadSync(path) as object)).toEqual({ mappedSegments: 0, readSegments: 2 });
  });

  it("writes the same bytes as encode", () => {
    const path = join(dir, "same.ndpack");
    dumpSync(value, path);
    expect(Buffer.from(encode(value)).equals(readFileSync(path))).toBe(true);
  });

  it("mapped arrays are copy-on-write: writing to them never changes the file", () => {
    const path = join(dir, "cow.ndpack");
    dumpSync(value, path);
    const mapped = loadSync(path, { mmap: true }) as typeof value;
    mapped.vectors.data.fill(42);
    expect(mapped.vectors.data[0]).toBe(42);
    expectValue(loadSync(path) as typeof value);
  });

  it("leaves the previous file intact and no temporary file when a dump fails midway", () => {
    const path = join(dir, "atomic.ndpack");
    dumpSync({ v: 1 }, path);
    const failing = () =>
      dumpSync(value, path, {
        onProgress: () => {
          throw new Error("disk full (simulated)");
        },
      });
    expect(failing).toThrow("disk full");
    expect(loadSync(path)).toEqual({ v: 1 });
    expect(readdirSync(dir).filter((f) => f.includes("atomic"))).toEqual(["atomic.ndpack"]);
  });

  it("does not create the file when the value cannot be stored", async () => {
    const path = join(dir, "never.ndpack");
    expect(() => dumpSync({ f: () => 1 }, path)).toThrow();
    await expect(dump({ f: Symbol("s") }, path)).rejects.toMatchObject({ code: "ERR_UNSUPPORTED_VALUE" });
    expect(readdirSync(dir).filter((f) => f.includes("never"))).toEqual([]);
  });
});

describe("inputs a user can get subtly wrong", () => {
  it("decodes from Node Buffers (whose slice() is a view) exactly, inline and segment arrays, with and without copy", () => {
    const value = { small: Float64Array.of(1.5, 2.5), big: new Float64Array(1000).map((_, i) => i + 0.5) };
    const bytes = encode(value);
    for (const offset of [0, 3, 8]) {
      const pool = Buffer.alloc(bytes.length + offset);
      pool.set(bytes, offset);
      for (const copy of [false, true]) {
        const back = decode(pool.subarray(offset), { copy }) as typeof value;
        expect([...back.small]).toEqual([1.5, 2.5]);
        expect([...back.big]).toEqual([...value.big]);
      }
    }
  });

  it("refuses an NDArray whose fields were changed after construction, before writing", () => {
    const a = new NDArray(new Float32Array(6), [6]);
    (a as { shape: number[] }).shape = [7];
    expect(() => encode({ a })).toThrow(/\$\.a: inconsistent NDArray: shape \[7\] holds 7 elements but data has 6/);
  });

  it("refuses options of the wrong type", () => {
    expect(() => encode({}, { filters: "shuffle" as never })).toThrow(/filters must be an array/);
    expect(() => encode({}, { checksum: "yes" as never })).toThrow(/checksum must be true or false/);
    expect(() => encode({}, null as never)).toThrow("encode: options must be an object, got null");
    expect(() => encode({}, "lz4" as never)).toThrow("encode: options must be an object, got string");
    expect(() => encode({}, { onProgress: 5 as never })).toThrow("encode: onProgress must be a function");
    expect(() => decode(encode({}), { maxDepth: NaN })).toThrow("decode: maxDepth must be a non-negative integer, got NaN");
    expect(() => loadSync("x.ndpack", { maxObjects: -1 })).toThrow(/maxObjects must be a non-negative integer/);
    expect(() => decode(encode({}), { copy: "y" as never })).toThrow('decode: copy must be true or false, got "y"');
    expect(() => decode(encode({}), { verify: 5 as never })).toThrow("decode: verify must be true or false, got 5");
    expect(() => loadSync("x.ndpack", { mmap: "yes" as never })).toThrow('loadSync: mmap must be true or false, got "yes"');
    expect(() => encode({}, { references: 0 as never })).toThrow("encode: references must be true or false, got 0");
    // Values that JSON.stringify or a template literal cannot show still give the typed error.
    expect(() => encode({}, { filters: 10n as never })).toThrow('filters must be an array such as ["shuffle"], got 10n');
    expect(() => encode({}, { filters: [10n] as never })).toThrow("unknown filter 10n; known: shuffle, bitshuffle, delta");
    expect(() => encode({}, { chunkBytes: Symbol("x") as never })).toThrow("chunkBytes must be an integer from 64 to 67108864, got Symbol(x)");
    expect(() => encode({}, { compress: 10n as never })).toThrow('compress must be "none" or a codec name, got 10n');
    expect(() => encode({}, { maxDepth: 1n as never })).toThrow("encode: maxDepth must be a non-negative integer, got 1n");
    // A boxed primitive is refused, and shown as what it is rather than as JSON's {}.
    expect(() => encode({}, { compress: "lz4", level: new Number(5) as never })).toThrow("level must be an integer from 1 (fastest) to 9 (smallest), got new Number(5)");
    expect(() => encode({}, { compress: new String("lz4") as never })).toThrow('compress must be "none" or a codec name, got new String("lz4")');
    // A registry that is not one fails at once, not with a TypeError when a class instance is met.
    expect(() => encode({}, { classes: 5 as never })).toThrow("classes must be a ClassRegistry (new ClassRegistry()), got 5");
    expect(() => decode(encode({}), { classes: {} as never })).toThrow("classes must be a ClassRegistry (new ClassRegistry()), got {}");
  });

  it("refuses an option it does not take, naming it and the ones it does, before touching a file", async () => {
    const bytes = encode({ a: 1 });
    const target = join(dir, "typo.ndpack");
    // A misspelt codec would otherwise write an uncompressed file without a word.
    expect(() => encode({}, { compres: "lz4" } as never)).toThrow(
      'encode: unknown option "compres"; it takes segmentThresholdBytes, maxDepth, classes, unregisteredClass, references, compress, filters, chunkBytes, level, checksum, backend, onProgress',
    );
    expect(() => decode(bytes, { mmpa: true } as never)).toThrow('decode: unknown option "mmpa"; it takes maxDepth, maxStringBytes, maxArrayLength, maxObjects, classes, backend, verify, onProgress, copy');
    // Encode-only options are not decode options, and the other way round.
    expect(() => decode(bytes, { compress: "lz4" } as never)).toThrow(/^decode: unknown option "compress"/);
    expect(() => encode({}, { verify: true } as never)).toThrow(/^encode: unknown option "verify"/);
    expect(() => dumpSync({}, target, { levle: 5 } as never)).toThrow(/^dumpSync: unknown option "levle"; it takes .*level, checksum, backend, onProgress, fsync$/);
    await expect(dump({}, target, { fsinc: true } as never)).rejects.toThrow(/^dump: unknown option "fsinc"/);
    expect(readdirSync(dir).filter((f) => f.startsWith("typo"))).toEqual([]);
    expect(() => loadSync(target, { mmap: true, fsync: true } as never)).toThrow(/^loadSync: unknown option "fsync"; it takes .*verify, onProgress, mmap$/);
    // copy is decode's (views of its input or copies); a load's arrays never view its input.
    expect(() => loadSync(target, { copy: true } as never)).toThrow(/^loadSync: unknown option "copy"/);
    await expect(load(target, { mmap: true, map: true } as never)).rejects.toThrow(/^load: unknown option "map"/);
    expect(() => verify(target, { verify: true } as never)).toThrow('verify: unknown option "verify"; it takes onProgress, backend');
    // The error is typed, with a stable code.
    try {
      encode({}, { Compress: "lz4" } as never);
      expect.unreachable();
    } catch (e) {
      expect((e as NdpackError).code).toBe("ERR_INVALID_ARGUMENT");
    }
    // Options are read as properties, so every name a read reaches is checked: inherited ones,
    // non-enumerable ones and a class's getters. A correctly spelt one of each kind still works.
    const lz4 = encode({ a: new Float32Array(1000) }, { compress: "lz4" });
    class Getter {
      get compres() {
        return "lz4";
      }
    }
    expect(() => encode({}, new Getter() as never)).toThrow(/^encode: unknown option "compres"/);
    expect(() => encode({}, Object.create({ compres: "lz4" }))).toThrow(/^encode: unknown option "compres"/);
    expect(() => encode({}, Object.defineProperty({}, "compres", { value: "lz4" }))).toThrow(/^encode: unknown option "compres"/);
    class Spelt {
      get compress() {
        return "lz4";
      }
    }
    expect(encode({ a: new Float32Array(1000) }, new Spelt() as never)).toEqual(lz4);
    expect(encode({ a: new Float32Array(1000) }, Object.create({ compress: "lz4" }))).toEqual(lz4);
    expect(encode({ a: new Float32Array(1000) }, Object.assign(Object.create(null), { compress: "lz4" }))).toEqual(lz4);
    // A misspelt name on a prototype whose own prototype is null is still found, while the end
    // of a plain object's chain (Object.prototype, also another realm's) holds no options.
    expect(() => encode({}, Object.create(Object.assign(Object.create(null), { compres: "lz4" })))).toThrow(/^encode: unknown option "compres"/);
    expect(encode({ a: new Float32Array(1000) }, runInNewContext('({ compress: "lz4" })'))).toEqual(lz4);
    expect(() => encode({}, runInNewContext('({ compres: "lz4" })'))).toThrow(/^encode: unknown option "compres"/);
    // The end of the chain is known by its constructor, not by its shape: a look-alike is still
    // checked, and a realm whose Object.prototype lost a method still ends the walk.
    const lookalike = Object.assign(Object.create(null), { isPrototypeOf() {}, __lookupGetter__() {}, propertyIsEnumerable() {}, compres: "lz4" });
    expect(() => encode({}, lookalike)).toThrow(/^encode: unknown option "isPrototypeOf"/);
    const pruned = createContext({});
    runInContext("delete Object.prototype.__lookupGetter__; delete Object.prototype.isPrototypeOf", pruned);
    expect(encode({ a: new Float32Array(1000) }, runInContext('({ compress: "lz4" })', pruned))).toEqual(lz4);
    // A revoked Proxy has nothing to read: a typed error, not the engine's TypeError.
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(() => encode({}, revocable.proxy)).toThrow(/^encode: options cannot be read \(/);
    // A Proxy whose prototype chain never ends is refused, not walked forever.
    const endless: object = new Proxy({}, { getPrototypeOf: () => endless });
    expect(() => encode({}, endless)).toThrow("encode: options have a prototype chain over 32 deep");
    // Built-in objects are not options objects: a Map's entries would not be read.
    expect(() => encode({}, new Map([["compress", "lz4"]]) as never)).toThrow("encode: options must be a plain object, got a Map");
    expect(() => encode({}, [] as never)).toThrow("encode: options must be a plain object, got an Array");
    expect(() => decode(bytes, new Date() as never)).toThrow("decode: options must be a plain object, got a Date");
    // An undefined value is still a misspelt name; a symbol key is not an option name and is let be.
    expect(() => encode({}, { levle: undefined } as never)).toThrow(/unknown option "levle"/);
    expect(encode({ a: 1 }, { [Symbol("x")]: 1 } as never)).toEqual(bytes);
  });

  it("refuses a path that is not a non-empty string before encoding anything", async () => {
    for (const path of [5, "", null, undefined]) {
      const message = `a file path must be a non-empty string, got ${path === "" ? '""' : path === null ? "null" : typeof path}`;
      expect(() => dumpSync({ a: 1 }, path as never)).toThrow(message);
      expect(() => loadSync(path as never)).toThrow(message);
      await expect(dump({ a: 1 }, path as never)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message });
      await expect(load(path as never)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message });
    }
  });

  it("refuses to load a FIFO (at once: it does not wait for a writer) or a directory", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    for (const [path, kind] of [[fifo, "a FIFO"], [dir, "a directory"]]) {
      const message = `cannot read ${path}: it is ${kind}, not a regular file`;
      for (const mmap of [false, true]) {
        expect(() => loadSync(path, { mmap })).toThrow(message);
        await expect(load(path, { mmap })).rejects.toMatchObject({ code: "ERR_IO", message });
      }
    }
  });
});
