// The fused chunk path (Kernels.encodeChunk / decodeChunk): equal to the unfused composition
// (filters, then the codec, then xxHash32) on both backends, the same bytes on both backends,
// corrupt chunks give ERR_CORRUPT / ERR_CHECKSUM, and wasm memory stays within its cap.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../src/index.js";
import { CHUNK_FLAG_RAW, CODEC_IDS, FILTER_IDS, MAX_CHUNK_BYTES } from "../src/format.js";
import { jsKernels, type Kernels } from "../src/kernels/index.js";
import { lz4CompressBound } from "../src/kernels/js/lz4.js";
import { encodeSplit } from "../src/kernels/split.js";
import { createWasmKernels } from "../src/kernels/wasm/index.js";
import { backends, randomBytes, wasmKernels } from "./helpers/kernels.js";

const { shuffle, bitshuffle, delta } = FILTER_IDS;
const SPLIT = CODEC_IDS["lz4-split"];
const FILTER_SETS: number[][] = [[], [shuffle], [bitshuffle], [delta], [delta, shuffle], [shuffle, bitshuffle], [delta, bitshuffle]];

/** The unfused composition, one kernel call per step: what the pipeline did before the fused path. */
function unfused(k: Kernels, raw: Uint8Array, filters: number[], typesize: number, codec: number): { stored: Uint8Array; flags: number; checksum: number } {
  let cur = raw;
  for (const f of filters) {
    const out = new Uint8Array(raw.length);
    if (f === shuffle) k.shuffle(cur, out, typesize);
    else if (f === bitshuffle) k.bitshuffle(cur, out, typesize);
    else k.deltaEncode(cur, out, typesize);
    cur = out;
  }
  let stored = cur;
  let flags = filters.length ? 0 : CHUNK_FLAG_RAW;
  if (codec !== CODEC_IDS.none) {
    const out = new Uint8Array(lz4CompressBound(raw.length) + 64);
    // lz4-split: src/kernels/split.ts over this backend's single LZ4 kernel, against the wasm
    // core's own lz4SplitCompress when k is the wasm kernels.
    const planes = filters[filters.length - 1] === bitshuffle; // after a bitshuffle the chunk kernels treat the chunk as bit planes
    // As the pipeline does, ask for a block smaller than the chunk.
    const smaller = out.subarray(0, Math.max(0, raw.length - 1));
    const n = codec === SPLIT ? encodeSplit(cur, smaller, typesize, (s, d) => k.lz4Compress(s, d, planes)) : k.lz4Compress(cur, smaller, planes);
    if (n > 0 && n < raw.length) {
      stored = out.subarray(0, n);
      flags = 0;
    } else {
      stored = raw;
      flags = CHUNK_FLAG_RAW;
    }
  }
  return { stored: stored.slice(), flags, checksum: k.xxhash32(stored) };
}

/** Compressible chunk bytes: a smooth float32 or a sorted int32 series, with random bytes mixed in. */
function chunkOf(length: number, seed: number): Uint8Array {
  const out = randomBytes(length, seed);
  const words = new DataView(out.buffer);
  for (let i = 0; i + 4 <= length; i += 4) if ((i >> 2) % 5 !== 0) words.setFloat32(i, Math.sin((i + seed) / 400), true);
  return out;
}

const LENGTHS = [0, 1, 3, 7, 12, 13, 17, 64, 1000, 4099, 65_537, 262_144, 300_001];

describe.each(backends)("fused chunk path (%s)", (_, k) => {
  it.each(FILTER_SETS.map((f) => [JSON.stringify(f), f] as const))("filters %s: equals the unfused composition at awkward lengths, and decodes back", (_n, filters) => {
    for (const codec of [CODEC_IDS.none, CODEC_IDS.lz4, SPLIT]) {
      for (const length of LENGTHS) {
        for (const typesize of [1, 2, 4, 8, 3, 12, 16]) {
          if (filters.includes(delta) && ![1, 2, 4, 8].includes(typesize)) continue;
          if (codec === SPLIT && typesize < 2) continue;
          const raw = chunkOf(length, length + typesize);
          const want = unfused(jsKernels, raw, filters, typesize, codec);
          const got = k.encodeChunk(raw, filters, typesize, codec);
          const label = `codec ${codec} length ${length} typesize ${typesize}`;
          expect(got.flags, label).toBe(want.flags);
          expect(got.checksum, label).toBe(want.checksum);
          expect(Buffer.from(got.stored).equals(Buffer.from(want.stored)), label).toBe(true);
          const stored = got.stored.slice();
          for (const [, reader] of backends) {
            const back = new Uint8Array(length);
            reader.decodeChunk(stored, back, filters, typesize, codec, got.flags, got.checksum);
            expect(Buffer.from(back).equals(Buffer.from(raw)), label).toBe(true);
          }
        }
      }
    }
  });

  it("property: random chunks, filter chains and accelerations give the js twin's bytes and round-trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.constantFrom(...FILTER_SETS),
        fc.constantFrom(1, 2, 4, 8),
        fc.boolean(),
        fc.integer({ min: 1, max: 9 }),
        (length, seed, filters, typesize, split, acceleration) => {
          const codec = split && typesize >= 2 ? SPLIT : CODEC_IDS.lz4;
          const raw = chunkOf(length, seed);
          const want = jsKernels.encodeChunk(raw, filters, typesize, codec, acceleration);
          const wantStored = want.stored.slice();
          const got = k.encodeChunk(raw, filters, typesize, codec, acceleration);
          expect(Buffer.from(got.stored).equals(Buffer.from(wantStored))).toBe(true);
          expect([got.flags, got.checksum]).toEqual([want.flags, want.checksum]);
          const back = new Uint8Array(length);
          k.decodeChunk(wantStored, back, filters, typesize, codec, want.flags, want.checksum);
          expect(Buffer.from(back).equals(Buffer.from(raw))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("decodes from its own input buffer (chunkInput), raw chunks larger than a hashing piece included", () => {
    // 1 MiB of random bytes is stored raw: its checksum is taken in place, over four 256 KiB pieces.
    const cases: [Uint8Array, number[], number][] = [
      [randomBytes(1 << 20, 9), [], CODEC_IDS.lz4],
      [randomBytes(1 << 20, 10), [], CODEC_IDS.none],
      [chunkOf(300_001, 4), [shuffle], CODEC_IDS.lz4],
      [chunkOf(65_537, 5), [delta, bitshuffle], CODEC_IDS.lz4],
      [chunkOf(300_001, 6), [shuffle], SPLIT],
    ];
    for (const [raw, filters, codec] of cases) {
      const { stored, flags, checksum } = k.encodeChunk(raw, filters, 4, codec);
      const saved = stored.slice();
      const input = k.chunkInput(saved.length, raw.length);
      expect(input.length).toBe(saved.length);
      input.set(saved);
      const back = new Uint8Array(raw.length);
      k.decodeChunk(input, back, filters, 4, codec, flags, checksum);
      expect(Buffer.from(back).equals(Buffer.from(raw)), `${raw.length} bytes, filters ${filters}`).toBe(true);
      const bad = k.chunkInput(saved.length, raw.length);
      bad.set(saved);
      bad[bad.length >> 1]! ^= 1;
      expect(() => k.decodeChunk(bad, back, filters, 4, codec, flags, checksum)).toThrow(expect.objectContaining({ code: "ERR_CHECKSUM" }));
    }
  });

  it("reports a changed byte as ERR_CHECKSUM, and a corrupt block without checksum as ERR_CORRUPT", () => {
    const raw = new Uint8Array(new Float32Array(5_000).map((_, i) => Math.sin(i / 400)).buffer); // compresses
    const { stored, flags, checksum } = k.encodeChunk(raw, [shuffle], 4, CODEC_IDS.lz4);
    expect(flags).toBe(0);
    const bad = stored.slice();
    bad[bad.length >> 1] ^= 0x40;
    const dst = new Uint8Array(raw.length);
    expect(() => k.decodeChunk(bad, dst, [shuffle], 4, CODEC_IDS.lz4, 0, checksum)).toThrow(expect.objectContaining({ code: "ERR_CHECKSUM" }));
    for (const cut of [0, 1, 5, bad.length >> 1, bad.length - 1]) {
      expect(() => k.decodeChunk(stored.slice(0, cut), dst, [shuffle], 4, CODEC_IDS.lz4, 0, undefined)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
    }
    expect(() => k.decodeChunk(stored.slice(), dst.subarray(1), [shuffle], 4, CODEC_IDS.lz4, 0, undefined)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
    expect(() => k.decodeChunk(new Uint8Array(3 * raw.length), dst, [], 4, CODEC_IDS.lz4, 0, undefined)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
    expect(() => k.decodeChunk(raw.subarray(1), dst, [], 4, CODEC_IDS.lz4, CHUNK_FLAG_RAW, undefined)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
  });

  it("lz4-split: a changed byte is ERR_CHECKSUM; bad lengths, cuts and blocks without checksum are ERR_CORRUPT", () => {
    const raw = new Uint8Array(new Float32Array(5_001).map((_, i) => Math.sin(i / 400)).buffer.slice(0, 20_003)); // a 3-byte tail
    const { stored, flags, checksum } = k.encodeChunk(raw, [shuffle], 4, SPLIT);
    expect(flags).toBe(0);
    const s = Math.floor(raw.length / 4);
    const table = stored.length - 3 - 16;
    const lengths = [0, 1, 2, 3].map((j) => new DataView(stored.buffer, stored.byteOffset).getUint32(table + 4 * j, true));
    expect(lengths.reduce((a, b) => a + b)).toBe(table);
    expect(lengths.some((l) => l < s)).toBe(true); // at least one LZ4 block
    const dst = new Uint8Array(raw.length);
    k.decodeChunk(stored.slice(), dst, [shuffle], 4, SPLIT, 0, checksum);
    expect(Buffer.from(dst).equals(Buffer.from(raw))).toBe(true);
    const corrupt = expect.objectContaining({ code: "ERR_CORRUPT" });
    const withLength = (j: number, v: number): Uint8Array => {
      const bad = stored.slice();
      new DataView(bad.buffer).setUint32(table + 4 * j, v, true);
      return bad;
    };
    const changed = stored.slice();
    changed[table >> 1]! ^= 0x40;
    expect(() => k.decodeChunk(changed, dst, [shuffle], 4, SPLIT, 0, checksum)).toThrow(expect.objectContaining({ code: "ERR_CHECKSUM" }));
    expect(() => k.decodeChunk(withLength(0, s + 1), dst, [shuffle], 4, SPLIT, 0, undefined)).toThrow(`stream 0 claims ${s + 1} stored bytes; the stream has ${s}`); // over its stream
    expect(() => k.decodeChunk(withLength(3, lengths[3]! + 1), dst, [shuffle], 4, SPLIT, 0, undefined)).toThrow(corrupt); // runs into the table
    expect(() => k.decodeChunk(withLength(3, lengths[3]! - 1), dst, [shuffle], 4, SPLIT, 0, undefined)).toThrow(corrupt); // a hole, a cut block
    expect(() => k.decodeChunk(withLength(0, 0xffffffff), dst, [shuffle], 4, SPLIT, 0, undefined)).toThrow(corrupt);
    for (const cut of [0, 3, 18, table, stored.length - 1]) {
      expect(() => k.decodeChunk(stored.slice(0, cut), dst, [shuffle], 4, SPLIT, 0, undefined)).toThrow(corrupt);
    }
    expect(() => k.decodeChunk(stored.slice(), dst.subarray(4), [shuffle], 4, SPLIT, 0, undefined)).toThrow(corrupt);
  });

  it.each([
    ["lz4", CODEC_IDS.lz4],
    ["lz4-split", SPLIT],
  ])("fuzz (%s): mutated stored chunks decode or throw ERR_CORRUPT, nothing else", (_name, codec) => {
    const raw = chunkOf(8192, 11);
    const { stored } = k.encodeChunk(raw, [delta, shuffle], 4, codec);
    const good = stored.slice();
    const dst = new Uint8Array(raw.length);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), (edits, cut) => {
        const bad = good.slice(0, Math.max(cut, good.length - 3));
        for (const [at, v] of edits) if (at < bad.length) bad[at] = v;
        try {
          k.decodeChunk(bad, dst, [delta, shuffle], 4, codec, 0, undefined);
        } catch (e) {
          expect((e as { code?: string }).code).toBe("ERR_CORRUPT");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects unknown codecs, filters and typesizes, and chunks over MAX_CHUNK_BYTES", () => {
    const raw = new Uint8Array(16);
    const invalid = expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" });
    expect(() => k.encodeChunk(raw, [], 4, 7)).toThrow(invalid);
    expect(() => k.encodeChunk(raw, [9], 4, CODEC_IDS.lz4)).toThrow(invalid);
    expect(() => k.encodeChunk(raw, [delta], 3, CODEC_IDS.lz4)).toThrow(invalid);
    expect(() => k.encodeChunk(raw, [shuffle], 0, CODEC_IDS.lz4)).toThrow(invalid);
    expect(() => k.encodeChunk(raw, [shuffle], 1, SPLIT)).toThrow(invalid);
    expect(() => k.encodeChunk(raw, [shuffle], 17, SPLIT)).toThrow(invalid);
    expect(() => k.decodeChunk(raw, new Uint8Array(64), [shuffle], 1, SPLIT, 0, undefined)).toThrow(invalid);
    expect(() => k.decodeChunk(raw, new Uint8Array(MAX_CHUNK_BYTES + 1), [], 1, CODEC_IDS.lz4, 0, undefined)).toThrow(invalid);
  });
});

describe.skipIf(!wasmKernels)("fused chunk path, wasm memory", () => {
  it("grows to fit the largest chunk (4 regions) and no further; malformed input never grows it", () => {
    const k = createWasmKernels()!;
    const initial = k.memoryBytes;
    const big = chunkOf(3 * 1024 * 1024 + 5, 1);
    const a = k.encodeChunk(big, [shuffle], 4, CODEC_IDS.lz4);
    const stored = a.stored.slice();
    const grown = k.memoryBytes;
    expect(grown).toBeGreaterThan(initial);
    expect(grown).toBeLessThanOrEqual(initial + 4 * (3 * 1024 * 1024 + 65536));
    const back = new Uint8Array(big.length);
    k.decodeChunk(stored, back, [shuffle], 4, CODEC_IDS.lz4, a.flags, a.checksum);
    expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true);
    for (let i = 0; i < 50; i++) {
      const bad = randomBytes(1000 + i * 37, i + 1);
      expect(() => k.decodeChunk(bad, back.subarray(0, 100_000), [shuffle], 4, CODEC_IDS.lz4, 0, undefined)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
    }
    // A claim of more stored bytes than any block of the raw length can take is refused before growing.
    expect(() => k.decodeChunk(new Uint8Array(8 * 1024 * 1024), back.subarray(0, 1000), [], 4, CODEC_IDS.lz4, 0, undefined)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
    expect(k.memoryBytes).toBe(grown);
  });
});

describe.skipIf(!wasmKernels)("files", () => {
  it.each([["shuffle"], ["bitshuffle"], ["delta", "shuffle"], []] as const)("lz4 with %j: byte-identical from the wasm and js backends", (...filters) => {
    const value = { f: new Float32Array(200_000).map((_, i) => Math.sin(i / 300)), ids: new Int32Array(150_001).map((_, i) => i * 3 + (i % 5)), noise: randomBytes(70_001, 4) };
    for (const chunkBytes of [4096, 65_536, 262_144]) {
      const w = encode(value, { compress: "lz4", filters: [...filters], chunkBytes, backend: "wasm" });
      const j = encode(value, { compress: "lz4", filters: [...filters], chunkBytes, backend: "js" });
      expect(Buffer.from(w).equals(Buffer.from(j))).toBe(true);
      const back = decode(w, { backend: "js" }) as typeof value;
      expect(Buffer.from(back.f.buffer, back.f.byteOffset, back.f.byteLength).equals(Buffer.from(value.f.buffer))).toBe(true);
    }
  });
});
