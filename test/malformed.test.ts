import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decode, encode, inspect, isNdpackError, load, loadNpy, loadSync, NDArray, saveNpy, verify } from "../src/index.js";
import { FOOTER_BYTES, readFooter, writeFooter } from "../src/format.js";
import { xxhash32 } from "../src/kernels/js/xxhash32.js";
import { tempDir, thrown } from "./helpers.js";

const dir = tempDir();
const sample = encode({
  words: ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"],
  m: new NDArray(new Float32Array(2048).map((_, i) => i), [32, 64]),
  s: "text",
});

/** Rewrites a footer field and fixes nothing else. */
function withFooterU64(bytes: Uint8Array, field: number, value: number): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  view.setBigUint64(copy.length - FOOTER_BYTES + field, BigInt(value), true);
  return copy;
}

/** Patches the segment index, then fixes its checksum so only the index checks can catch it. */
function withIndexPatch(bytes: Uint8Array, patch: (index: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  const footer = new DataView(copy.buffer, copy.length - FOOTER_BYTES);
  const at = Number(footer.getBigUint64(16, true));
  const len = Number(footer.getBigUint64(24, true));
  patch(new DataView(copy.buffer, at, len));
  footer.setUint32(40, xxhash32(copy.subarray(at, at + len)), true);
  return copy;
}

/**
 * A file whose index lists the segments of `{ x, y }` but whose manifest is that of `{ x }`: its
 * second segment is named by nothing in the graph.
 */
function withUnnamedSegment(x: Float32Array, y: Float32Array): Uint8Array {
  const both = encode({ x, y }, { checksum: true });
  const manifest = (() => {
    const one = encode({ x });
    const f = readFooter(one.subarray(one.length - FOOTER_BYTES), one.length);
    return one.slice(f.manifestOffset, f.manifestOffset + f.manifestBytes);
  })();
  const f = readFooter(both.subarray(both.length - FOOTER_BYTES), both.length);
  const index = both.slice(f.indexOffset, f.indexOffset + f.indexBytes);
  const head = both.subarray(0, f.manifestOffset);
  const fileBytes = head.length + manifest.length + index.length + FOOTER_BYTES;
  const out = new Uint8Array(fileBytes);
  out.set(head, 0);
  out.set(manifest, head.length);
  out.set(index, head.length + manifest.length);
  const footer = writeFooter({
    ...f,
    manifestBytes: manifest.length,
    manifestChecksum: xxhash32(manifest),
    indexOffset: head.length + manifest.length,
    fileBytes,
  });
  out.set(footer, fileBytes - FOOTER_BYTES);
  return out;
}

describe("a segment the graph never names", () => {
  // Segments load as the graph reaches them (strings before large buffers); one that nothing
  // names is still loaded, and so checked, after the graph.
  const x = new Float32Array(2048).map((_, i) => i);
  const y = new Float32Array(2048).map((_, i) => -i);

  it("decodes to the graph it holds", () => {
    expect(decode(withUnnamedSegment(x, y))).toEqual({ x });
  });

  it("is still checked: a flipped byte in it fails the load", () => {
    const bytes = withUnnamedSegment(x, y);
    const f = readFooter(bytes.subarray(bytes.length - FOOTER_BYTES), bytes.length);
    bytes[f.manifestOffset - 10]! ^= 1; // inside y, the last segment before the manifest
    const e = thrown(() => decode(bytes));
    expect(e.code).toBe("ERR_CHECKSUM");
    expect(e.message).toMatch(/segment 1 chunk 0/);
    const file = join(dir, "unnamed.ndpack");
    writeFileSync(file, bytes);
    expect(thrown(() => loadSync(file)).code).toBe("ERR_CHECKSUM");
  });
});

describe("malformed input gives a typed error", () => {
  it("rejects a wrong magic", () => {
    const e = thrown(() => decode(new TextEncoder().encode("PK\x03\x04 this is a zip file, not ndpack....")));
    expect(e.code).toBe("ERR_BAD_MAGIC");
  });

  it("rejects an unknown major version", () => {
    const copy = sample.slice();
    copy[8] = 2;
    expect(thrown(() => decode(copy)).code).toBe("ERR_UNSUPPORTED_VERSION");
  });

  it("reports truncation at every prefix length, never a RangeError", () => {
    for (let n = 0; n < sample.length; n++) {
      const e = thrown(() => decode(sample.subarray(0, n)));
      expect(isNdpackError(e), `prefix ${n}: ${e}`).toBe(true);
      expect(e.code).toBe("ERR_TRUNCATED");
      expect(e.incomplete).toBe(true);
    }
  });

  it("detects a corrupted manifest by its checksum", () => {
    const copy = sample.slice();
    const footer = new DataView(copy.buffer, copy.length - FOOTER_BYTES);
    copy[Number(footer.getBigUint64(0, true)) + 3]! ^= 0x40;
    expect(thrown(() => decode(copy)).code).toBe("ERR_CHECKSUM");
  });

  it("names the file in the message of a load error, once", async () => {
    const copy = sample.slice();
    const footer = new DataView(copy.buffer, copy.length - FOOTER_BYTES);
    copy[Number(footer.getBigUint64(0, true)) + 3]! ^= 0x40;
    const file = join(dir, "bad-manifest.ndpack");
    writeFileSync(file, copy);
    const inMemory = thrown(() => decode(copy)).message;
    const sync = thrown(() => loadSync(file));
    expect([sync.code, sync.message]).toEqual(["ERR_CHECKSUM", `${file}: ${inMemory}`]);
    await expect(load(file)).rejects.toMatchObject({ code: "ERR_CHECKSUM", message: `${file}: ${inMemory}` });
    // A message that names the file already is left as it is.
    const short = join(dir, "short.ndpack");
    writeFileSync(short, sample.subarray(0, 10));
    expect(thrown(() => loadSync(short)).message.split(short).length).toBe(2);
    // inspect, verify and the interop readers name it too.
    expect(thrown(() => inspect(file)).message).toBe(`${file}: ${inMemory}`);
    expect(thrown(() => verify(file)).message).toBe(`${file}: ${inMemory}`);
    const npy = join(dir, "bad.npy");
    writeFileSync(npy, "not an npy file at all");
    expect(thrown(() => loadNpy(npy)).message).toMatch(new RegExp(`^${npy.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: npy: `));
    saveNpy(npy, new NDArray(new Float32Array(3000)));
    writeFileSync(npy, readFileSync(npy).subarray(0, 6000));
    expect(thrown(() => loadNpy(npy)).message).toBe(`${npy}: npy: shape [3000] of <f4 declares 12000 bytes of data at offset 128, 5872 remain`);
    // A missing file is named once (Node's own "open '...'" tail is dropped), and a NUL in a
    // path is a bad argument, not an I/O error.
    const missing = join(dir, "missing.ndpack");
    expect(thrown(() => loadSync(missing)).message).toBe(`cannot open ${missing}: ENOENT: no such file or directory`);
    expect(thrown(() => loadSync("g\0.ndpack")).code).toBe("ERR_INVALID_ARGUMENT");
    // A short relative path that occurs in the message by chance is still added.
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      writeFileSync("a", sample.subarray(0, sample.length - 1));
      expect(thrown(() => loadSync("a")).message).toMatch(/^a: /);
      const flipped = encode({ x: new Float32Array(5000).fill(1) }, { checksum: true });
      flipped[200]! ^= 1;
      writeFileSync("0", flipped); // "segment 0 chunk 0: " holds " 0: "
      expect(thrown(() => loadSync("0")).message).toMatch(/^0: \$\.x: segment 0 chunk 0: checksum/);
    } finally {
      process.chdir(cwd);
    }
  });

  it("rejects a footer whose regions lie outside the file", () => {
    for (const [field, value] of [
      [0, sample.length],
      [8, 2 ** 40],
      [16, 1],
      [24, 2 ** 52],
    ] as const) {
      expect(thrown(() => decode(withFooterU64(sample, field, value))).code).toBe("ERR_CORRUPT");
    }
    expect(thrown(() => decode(withFooterU64(sample, 48, sample.length + 1))).code).toBe("ERR_TRUNCATED");
    expect(thrown(() => decode(withFooterU64(sample, 0, 2 ** 60))).code).toBe("ERR_CORRUPT");
  });

  it("rejects segment offsets past the end, misaligned or overlapping, before allocating", () => {
    const past = withIndexPatch(sample, (v) => v.setBigUint64(0, BigInt(sample.length * 64), true));
    expect(thrown(() => decode(past)).message).toMatch(/segment 0: .*runs past/);
    const huge = withIndexPatch(sample, (v) => {
      v.setBigUint64(8, 2n ** 50n, true);
      v.setBigUint64(16, 2n ** 50n, true);
    });
    expect(thrown(() => decode(huge)).code).toBe("ERR_CORRUPT");
    const misaligned = withIndexPatch(sample, (v) => v.setBigUint64(0, 65n, true));
    expect(thrown(() => decode(misaligned)).message).toMatch(/multiple of 64/);
    const rawMismatch = withIndexPatch(sample, (v) => v.setBigUint64(16, 9n, true));
    expect(thrown(() => decode(rawMismatch)).code).toBe("ERR_CORRUPT");
    const badCodec = withIndexPatch(sample, (v) => v.setUint8(24, 9));
    expect(thrown(() => decode(badCodec)).message).toMatch(/unknown codec id 9/);
  });

  it("rejects an lz4-split segment whose typesize is outside 2..16", () => {
    const split = encode(new Float32Array(4096).map((_, i) => Math.sin(i / 30)), { compress: "lz4", filters: ["shuffle"] });
    withIndexPatch(split, (v) => expect(v.getUint8(24)).toBe(2)); // written as codec 2
    for (const typesize of [1, 17]) {
      const bad = withIndexPatch(split, (v) => v.setUint8(25, typesize));
      expect(thrown(() => decode(bad)).message).toMatch(new RegExp(`lz4-split needs typesize 2 to 16, not ${typesize}`));
    }
  });

  it("gives typed errors for files on disk: missing, empty, not ndpack", () => {
    expect(thrown(() => loadSync(join(dir, "missing.ndpack"))).code).toBe("ERR_IO");
    writeFileSync(join(dir, "empty.ndpack"), "");
    expect(thrown(() => loadSync(join(dir, "empty.ndpack"))).code).toBe("ERR_TRUNCATED");
    writeFileSync(join(dir, "text.ndpack"), "hello world, this is plain text and not an ndpack file at all. ".repeat(3));
    expect(thrown(() => loadSync(join(dir, "text.ndpack"))).code).toBe("ERR_BAD_MAGIC");
    writeFileSync(join(dir, "cut.ndpack"), sample.subarray(0, sample.length - 10));
    expect(thrown(() => loadSync(join(dir, "cut.ndpack"))).code).toBe("ERR_TRUNCATED");
  });

  it("rejects a non-Uint8Array input", () => {
    expect(thrown(() => decode("abc" as unknown as Uint8Array)).code).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("values that cannot be stored name their path", () => {
  it.each([
    [{ model: { cache: new WeakMap() } }, "$.model.cache"],
    [{ a: [1, 2, { f: () => 0 }] }, "$.a[2].f"],
    [{ "odd key": Symbol("x") }, '$["odd key"]'],
    [[Promise.resolve()], "$[0]"],
  ])("%#: %s", (value, path) => {
    const e = thrown(() => encode(value));
    expect(e.code).toBe("ERR_UNSUPPORTED_VALUE");
    expect(e.path).toBe(path);
    expect(e.message.startsWith(path)).toBe(true);
  });
});

describe("hostile chunk tables", () => {
  const lz4 = encode({ ids: new Int32Array(20_000).map((_, i) => i) }, { compress: "lz4", chunkBytes: 65536 });

  it("a chunk claiming a huge raw size is rejected before allocating", () => {
    // One compressed chunk of a few hundred bytes claiming 64 MiB of raw data.
    const huge = withIndexPatch(lz4, (v) => {
      v.setBigUint64(16, 64n * 1024n * 1024n, true); // raw bytes
      v.setUint32(36, 64 * 1024 * 1024, true); // chunk bytes
      v.setBigUint64(40, 1n, true); // one chunk
    });
    const e = thrown(() => decode(huge));
    expect(e.code).toBe("ERR_CORRUPT");
    const tooBigChunk = withIndexPatch(lz4, (v) => v.setUint32(36, 2 ** 31, true));
    expect(thrown(() => decode(tooBigChunk)).message).toMatch(/chunk size 2147483648 bytes exceeds/);
  });

  it("delta with an odd typesize is corrupt, not an argument error", () => {
    const f = encode({ ids: new Int32Array(2000) }, { compress: "lz4", filters: ["delta"] });
    expect(thrown(() => decode(withIndexPatch(f, (v) => v.setUint8(25, 3)))).message).toMatch(/delta needs typesize/);
  });
});
