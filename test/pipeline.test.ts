import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decode, encode, load, loadInfo, loadSync, NDArray, type FilterName } from "../src/index.js";
import { FOOTER_BYTES } from "../src/format.js";
import { backendNames, randomBytes, tempDir, thrown } from "./helpers.js";
import { sparseRepeats } from "./helpers/kernels.js";

const backends = backendNames;
const dir = tempDir();
const filterSets: FilterName[][] = [[], ["shuffle"], ["bitshuffle"], ["delta"], ["delta", "shuffle"], ["shuffle", "bitshuffle"]];

/** Arrays of awkward lengths around the chunk size (1024 bytes here) for every element size. */
function arrays(): Record<string, ArrayBufferView> {
  const chunk = 1024;
  const lens = [0, 1, 3, chunk - 1, chunk, chunk + 1, 3 * chunk + 17];
  const out: Record<string, ArrayBufferView> = {};
  for (const n of lens) {
    const bytes = randomBytes(n + 8, n + 1);
    out[`u8_${n}`] = bytes.subarray(0, n);
    out[`i16_${n}`] = new Int16Array(bytes.buffer, 0, n >> 1);
    out[`f32_${n}`] = new Float32Array(n >> 2).map((_, i) => Math.sin(i) * 100);
    out[`i64_${n}`] = new BigInt64Array(n >> 3).map((_, i) => BigInt(i * 1000));
    out[`f64_${n}`] = new Float64Array(bytes.buffer, 0, n >> 3);
  }
  out.sortedIds = new Int32Array(5000).map((_, i) => i * 3 + (i % 7));
  out.nd = new NDArray(new Float32Array(3000).map((_, i) => i / 3), [30, 100]);
  return out;
}

function bytesOf(v: ArrayBufferView): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function expectSame(back: Record<string, unknown>, value: Record<string, ArrayBufferView>): void {
  for (const [k, v] of Object.entries(value)) {
    const b = back[k] as ArrayBufferView | NDArray;
    const view = b instanceof NDArray ? b.data : b;
    const orig = v instanceof NDArray ? v.data : v;
    expect(bytesOf(view).equals(bytesOf(orig)), k).toBe(true);
  }
}

describe.each(["none", "lz4"] as const)("codec %s", (compress) => {
  describe.each(filterSets)("filters %j", (...filters) => {
    it.each(backends)("writes with %s and reads with both backends", (writer) => {
      const value = arrays();
      const bytes = encode(value, { compress, filters, chunkBytes: 1024, segmentThresholdBytes: 0, backend: writer, checksum: true });
      for (const reader of backends) expectSame(decode(bytes, { backend: reader }) as Record<string, unknown>, value);
    });
  });
});

describe("chunks", () => {
  it("store incompressible chunks raw, so random data costs little", () => {
    const noise = randomBytes(100_000, 9);
    const bytes = encode({ noise }, { compress: "lz4" });
    expect(bytes.length).toBeLessThan(100_000 + 1000);
  });

  it("compress sorted ids well with delta + shuffle", () => {
    const ids = new Int32Array(100_000).map((_, i) => i * 2);
    const plain = encode({ ids }, { compress: "lz4" }).length;
    const filtered = encode({ ids }, { compress: "lz4", filters: ["delta", "shuffle"] }).length;
    expect(filtered).toBeLessThan(plain / 4);
  });

  it("give the same file bytes with either backend when nothing is compressed", () => {
    const value = arrays();
    for (const filters of filterSets) {
      const [a, b] = backends.map((backend) => encode(value, { filters, chunkBytes: 1024, backend, checksum: true }));
      if (!b) return; // one backend only: nothing to compare
      expect(Buffer.from(a).equals(Buffer.from(b)), JSON.stringify(filters)).toBe(true);
    }
  });

  it("name the segment and chunk of a flipped byte (ERR_CHECKSUM)", () => {
    const data = new Float32Array(4096).map((_, i) => i);
    const bytes = encode({ a: 1, data }, { compress: "lz4", filters: ["shuffle"], chunkBytes: 4096 });
    // Segment 0 starts at offset 64; its chunks follow one another. Flip a byte in the third chunk.
    const copy = bytes.slice();
    const footer = new DataView(copy.buffer, copy.length - FOOTER_BYTES);
    const index = new DataView(copy.buffer, Number(footer.getBigUint64(16, true)));
    const c0 = index.getUint32(64, true);
    const c1 = index.getUint32(80, true);
    copy[64 + c0 + c1 + 5]! ^= 1;
    const e = thrown(() => decode(copy));
    expect(e.code).toBe("ERR_CHECKSUM");
    expect([e.segment, e.chunk, e.path]).toEqual([0, 2, "$.data"]);
    expect(e.message).toMatch(/^\$\.data: segment 0 chunk 2: checksum/);
    // With verification off, the LZ4 decoder still refuses or the values differ; never a crash.
    try {
      decode(copy, { verify: false });
    } catch (err) {
      expect((err as { code: string }).code).toBe("ERR_CORRUPT");
    }
  });

  it("shortens a long graph path in the message, and keeps it whole in error.path", () => {
    let value: Record<string, unknown> = { data: new Float32Array(4096).map((_, i) => i) };
    for (let depth = 0; depth < 300; depth++) value = { ["k".repeat(10)]: value };
    const bytes = encode(value, { checksum: true, chunkBytes: 4096 });
    const copy = bytes.slice();
    copy[64 + 5]! ^= 1; // the only segment starts at 64
    const e = thrown(() => decode(copy));
    expect(e.code).toBe("ERR_CHECKSUM");
    expect(e.path).toHaveLength(300 * 11 + "$.data".length);
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toMatch(/^\$\.kkkkkkkkkk.*characters\).*\.data: segment 0 chunk 0: checksum/);
  });

  it("verify the checksums of uncompressed arrays written with checksum: true, unless memory-mapped", async () => {
    const data = new Float32Array(4096).map((_, i) => i);
    const bytes = encode({ data }, { checksum: true, chunkBytes: 4096 });
    const copy = bytes.slice();
    copy[64 + 2 * 4096 + 5]! ^= 1; // segment 0 starts at 64: a byte of its third chunk
    for (const o of [{}, { copy: true }]) {
      const e = thrown(() => decode(copy, o));
      expect([e.code, e.segment, e.chunk, e.path]).toEqual(["ERR_CHECKSUM", 0, 2, "$.data"]);
      expect(e.message).toMatch(/^\$\.data: segment 0 chunk 2: checksum 0x[0-9a-f]{8} does not match the stored 0x[0-9a-f]{8}$/);
    }
    // verify: false returns the flipped value; the intact bytes decode as written.
    expect((decode(copy, { verify: false }) as { data: Float32Array }).data[2048 + 1]).not.toBe(2049);
    expect((decode(bytes) as { data: Float32Array }).data).toEqual(data);
    const path = join(dir, "flipped.ndpack");
    writeFileSync(path, copy);
    expect(thrown(() => loadSync(path)).code).toBe("ERR_CHECKSUM");
    await expect(load(path)).rejects.toMatchObject({ code: "ERR_CHECKSUM", segment: 0, chunk: 2, path: "$.data" });
    // Mapped: not read at load, so not checked (verify(path) checks it).
    const mapped = loadSync(path, { mmap: true }) as { data: Float32Array };
    expect(loadInfo(mapped)?.mappedSegments).toBe(1);
    expect(mapped.data[2048 + 1]).not.toBe(2049);
  });

  it("encodes incompressible data whose chunkBytes is not a multiple of the element size (the output bound counts the rounded chunks)", () => {
    // 16,000 bytes of float64 in 96-byte chunks (100 rounded down): 167 chunks, every one stored
    // raw, so the stored bytes equal the raw bytes and only the chunk table's bound is at stake.
    const a = new Float64Array(randomBytes(16_000, 5).buffer);
    for (const options of [{ compress: "lz4", filters: ["shuffle"] as FilterName[] }, { checksum: true }]) {
      const back = decode(encode({ a }, { ...options, chunkBytes: 100 })) as { a: Float64Array };
      expect(Buffer.from(back.a.buffer, back.a.byteOffset, back.a.byteLength).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });

  it("level: 9 (the default) to 1 trade size for speed, the same bytes on both backends, and every level decodes", () => {
    // LZ4 at a higher acceleration (a lower level) finds fewer of these repeats.
    const data = sparseRepeats(400_000, 11);
    const sizes: number[] = [];
    for (const level of [9, 5, 1]) {
      const files = backends.map((backend) => encode({ data }, { compress: "lz4", level, backend }));
      for (const f of files) expect(Buffer.from(f).equals(Buffer.from(files[0]!))).toBe(true);
      expect(Buffer.from((decode(files[0]!) as { data: Uint8Array }).data).equals(Buffer.from(data))).toBe(true);
      sizes.push(files[0]!.length);
    }
    expect(sizes[0]).toBeLessThan(sizes[1]!);
    expect(sizes[1]).toBeLessThan(sizes[2]!);
    expect(Buffer.from(encode({ data }, { compress: "lz4" })).equals(Buffer.from(encode({ data }, { compress: "lz4", level: 9 })))).toBe(true);
    // Without a codec a level would do nothing: it is refused rather than ignored.
    for (const options of [{ level: 1 }, { level: 5, compress: "none" }] as const) {
      const e = thrown(() => encode({ data }, options));
      expect([e.code, e.message]).toEqual(["ERR_INVALID_ARGUMENT", 'level applies with a codec: add compress: "lz4" (compress is "none")']);
    }
  });

  it("compresses a chunk or stream whose start is random and the rest compressible, at every level (two trials of an early give-up)", () => {
    // Each 512 KiB chunk: its first eighth random float64, then zeros. blosc gets 11.4 % with a shuffle.
    let y = 11;
    const patchy = new Float64Array(1 << 18).map((_, i) => {
      y = (Math.imul(y, 1103515245) + 12345) >>> 0;
      return i % 65_536 < 8_192 ? y / 2 ** 32 : 0;
    });
    for (const backend of backends) {
      for (const filters of [[], ["shuffle"], ["delta", "shuffle"], ["bitshuffle"]] as FilterName[][]) {
        expect(encode(patchy, { compress: "lz4", filters, backend }).length, `${filters}`).toBeLessThan(patchy.byteLength * 0.15);
      }
    }
    // Shuffle then delta: one LZ4 block per chunk, whose first row is the random low bytes.
    let x = 7;
    const ids = new Int32Array(300_000).map((_, i) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return i * 3 + (x >>> 29);
    });
    for (const level of [1, 3, 5, 9]) {
      for (const backend of backends) {
        const a = encode(ids, { compress: "lz4", filters: ["shuffle", "delta"], level, backend });
        expect(a.length, `level ${level}`).toBeLessThan(ids.byteLength * 0.4);
        expect(Buffer.from((decode(a) as Int32Array).buffer).equals(Buffer.from(ids.buffer))).toBe(true);
      }
    }
  });

  it("rejects bad options before writing anything", () => {
    for (const level of [0, 10, 2.5, Number.NaN, "5"]) {
      const e = thrown(() => encode({}, { compress: "lz4", level: level as number }));
      expect(e.code).toBe("ERR_INVALID_ARGUMENT");
      expect(e.message).toMatch(/^level must be an integer from 1 \(fastest\) to 9 \(smallest\), got /);
    }
    expect(thrown(() => encode({}, { compress: "zstd" })).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => encode({}, { filters: ["rot13" as FilterName] })).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => encode({}, { chunkBytes: 10 })).code).toBe("ERR_INVALID_ARGUMENT");
  });
});
