import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpSync, inspect, loadSync, NDArray, verify, type Progress } from "../src/index.js";
import { Tag } from "../src/graph/tags.js";
import { walkManifest } from "../src/walk.js";
import { fileWith } from "./graph/craft.js";

let dir: string;
const graph = () => ({
  model: { layers: [{ weight: new NDArray(new Float32Array(3000).fill(1), [30, 100]) }, { bias: new Float64Array(1000) }] },
  vocab: ["a", "b"],
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ndpack-verify-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flip(file: string, at: number): void {
  const bytes = readFileSync(file);
  bytes[at] ^= 0x01;
  writeFileSync(file, bytes);
}

describe("verify", () => {
  it("reports every segment ok, by graph path, with progress in bytes", () => {
    const file = join(dir, "ok.ndpack");
    dumpSync(graph(), file, { checksum: true, chunkBytes: 4096 });
    const progress: Progress[] = [];
    const report = verify(file, { onProgress: (p) => progress.push(p) });
    expect(report).toEqual({
      file,
      ok: true,
      segments: [
        { segment: 0, path: "$.model.layers[0].weight", rawBytes: 12000, chunks: 3, status: "ok", failures: [] },
        { segment: 1, path: "$.model.layers[1].bias", rawBytes: 8000, chunks: 2, status: "ok", failures: [] },
      ],
      verifiedBytes: 20000,
      uncheckedBytes: 0,
    });
    expect(progress.map((p) => p.doneBytes)).toEqual([4096, 8192, 12000, 16096, 20000]);
    expect(progress.every((p) => p.totalBytes === 20000)).toBe(true);
    expect(progress.map((p) => p.path)).toEqual([...Array(3).fill("$.model.layers[0].weight"), ...Array(2).fill("$.model.layers[1].bias")]);
  });

  it("finds every bad chunk, not only the first", () => {
    const file = join(dir, "bad.ndpack");
    dumpSync(graph(), file, { checksum: true, chunkBytes: 4096 });
    const [w, b] = inspect(file).segments;
    flip(file, w!.offset + 4096 * 2 + 5); // weight, chunk 2
    flip(file, b!.offset + 3); // bias, chunk 0
    flip(file, b!.offset + 4096 + 3); // bias, chunk 1
    const report = verify(file);
    expect(report.ok).toBe(false);
    expect(report.segments.map((s) => [s.status, s.failures.map((f) => [f.chunk, f.code])])).toEqual([
      ["bad", [[2, "ERR_CHECKSUM"]]],
      ["bad", [[0, "ERR_CHECKSUM"], [1, "ERR_CHECKSUM"]]],
    ]);
    expect(report.segments[0]!.failures[0]!.message).toMatch(/^checksum 0x[0-9a-f]{8} does not match the stored 0x[0-9a-f]{8}$/);
    // Only weight's chunks 0 and 1 passed (its chunk 2 and both of bias's are bad).
    expect(report.verifiedBytes).toBe(2 * 4096);
  });

  it("allocates for the chunks the file holds, not for the chunk size its index declares", () => {
    const file = join(dir, "big-chunks.ndpack");
    dumpSync({ a: new Float32Array(1024).map((_, i) => i) }, file, { compress: "lz4", filters: ["shuffle"], chunkBytes: 64 * 1024 * 1024 });
    const before = process.memoryUsage().arrayBuffers;
    expect(verify(file).ok).toBe(true);
    // The old scratch buffer was 64 MiB, still counted here until the next collection.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it("says 'not checksummed' for raw segments and reads none of their bytes", () => {
    const file = join(dir, "raw.ndpack");
    dumpSync(graph(), file);
    flip(file, inspect(file).segments[0]!.offset); // undetectable: no checksum covers it
    const report = verify(file);
    expect(report.ok).toBe(true);
    expect(report.segments.map((s) => s.status)).toEqual(["not checksummed", "not checksummed"]);
    expect(report.verifiedBytes).toBe(0);
    expect(report.uncheckedBytes).toBe(20000);
  });

  it("throws when the manifest or index is damaged", () => {
    const file = join(dir, "manifest.ndpack");
    dumpSync(graph(), file, { checksum: true });
    const { manifestBytes, fileBytes, indexBytes } = inspect(file);
    flip(file, fileBytes - 64 - indexBytes - manifestBytes + 1);
    expect(() => verify(file)).toThrow(expect.objectContaining({ code: "ERR_CHECKSUM" }));
  });
});

describe("progress of dump and load", () => {
  it("reports bytes and the graph path of each segment", () => {
    const file = join(dir, "progress.ndpack");
    const dumped: Progress[] = [];
    dumpSync(graph(), file, { onProgress: (p) => dumped.push(p) });
    const loaded: Progress[] = [];
    loadSync(file, { onProgress: (p) => loaded.push(p) });
    const expected = [
      { doneBytes: 12000, totalBytes: 20000, path: "$.model.layers[0].weight" },
      { doneBytes: 20000, totalBytes: 20000, path: "$.model.layers[1].bias" },
    ];
    expect(dumped).toEqual(expected);
    expect(loaded).toEqual(expected);
  });
});

describe("walkManifest", () => {
  const str = (s: string) => [Tag.STRING, s.length, ...Buffer.from(s)];

  it("stops gracefully at a tag it does not know, saying where", () => {
    // { a: 1, b: [2, <tag 0x30>...], c: 3 }: the value's length is unknown, so nothing after it can be read.
    const manifest = Uint8Array.from([Tag.OBJECT, 3, ...str("a"), Tag.FIXINT + 1, ...str("b"), Tag.ARRAY, 2, Tag.FIXINT + 2, 0x30, 0xff, 0xff]);
    const walk = walkManifest(manifest, []);
    expect(walk.stopped).toBe("unknown tag 0x30 at manifest offset 12");
    expect(walk.root).toBeUndefined();
  });

  it("a known tag out of its place is corrupt, not a stop: a string heap inside an array", () => {
    expect(() => walkManifest(Uint8Array.from([Tag.ARRAY, 1, Tag.STRING_HEAP, 0]), [])).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
  });

  it("verify: a manifest with a tag this version does not know is not ok (loadSync would refuse it)", () => {
    const file = join(dir, "unknown-tag.ndpack");
    writeFileSync(file, fileWith([0x07]));
    expect(() => loadSync(file)).toThrow(expect.objectContaining({ code: "ERR_CORRUPT" }));
    const report = verify(file);
    expect(report.ok).toBe(false);
    expect(report.manifestProblem).toBe("unknown tag 0x07 at manifest offset 0: this version cannot load the graph");
  });

  it("throws ERR_TRUNCATED on a cut manifest", () => {
    expect(() => walkManifest(Uint8Array.from([Tag.ARRAY, 3, Tag.FIXINT]), [])).toThrow(expect.objectContaining({ code: "ERR_TRUNCATED" }));
  });
});
