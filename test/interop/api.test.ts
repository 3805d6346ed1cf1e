import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import * as api from "../../src/interop/index.js";
import { dumpSync, inspect, NDArray, verify } from "../../src/index.js";
import { tempDir, thrown } from "../helpers.js";

describe("interop public API", () => {
  it("exports exactly these names", () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "CONVERT_FORMATS",
        "NPY_MAGIC",
        "NPY_MAX_HEADER_BYTES",
        "SAFETENSORS_DTYPES",
        "SAFETENSORS_MAX_HEADER_BYTES",
        "SAFETENSORS_METADATA_KEY",
        "WORD2VEC_CHUNK_BYTES",
        "WORD2VEC_MAX_WORD_BYTES",
        "convert",
        "encodeGlove",
        "encodeWord2vec",
        "formatFloat32",
        "formatFromPath",
        "loadNpy",
        "loadNpz",
        "loadSafetensors",
        "parseGlove",
        "parseNpyHeader",
        "parseWord2vec",
        "readGlove",
        "readNpy",
        "readNpz",
        "readSafetensors",
        "readWord2vec",
        "saveNpy",
        "saveNpz",
        "saveSafetensors",
        "writeGlove",
        "writeNpy",
        "writeNpz",
        "writeSafetensors",
        "writeWord2vec",
      ]
    `);
  });
});

describe("interop and file-level options are checked like encode's and decode's", () => {
  const fixtures = join(import.meta.dirname, "..", "fixtures");
  const npy = join(fixtures, "numpy", "f4.npy");
  const npz = join(fixtures, "numpy", "bundle.npz");
  const w2v = join(fixtures, "word2vec", "vectors.txt");
  const dir = tempDir();
  const file = join(dir, "a.ndpack");
  dumpSync({ a: 1 }, file);

  it.each([
    ["loadNpy", () => api.loadNpy(npy, { mmap: "yes" as never }), 'loadNpy: mmap must be true or false, got "yes"'],
    ["loadNpz", () => api.loadNpz(npz, null as never), "loadNpz: options must be an object, got null"],
    ["loadNpz", () => api.loadNpz(npz, { maxMemberBytes: -1 }), "loadNpz: maxMemberBytes must be a non-negative integer, got -1"],
    ["loadSafetensors", () => api.loadSafetensors(npy, { mmap: 1 as never }), "loadSafetensors: mmap must be true or false, got 1"],
    ["saveNpz", () => api.saveNpz(join(dir, "x.npz"), {}, { compress: "yes" as never }), 'saveNpz: compress must be true or false, got "yes"'],
    // writeNpz used to take any truthy value ("false" compressed) and any falsy one.
    ["writeNpz", () => api.writeNpz({}, { compress: "false" as never }), 'writeNpz: compress must be true or false, got "false"'],
    ["writeNpz", () => api.writeNpz({}, { compress: 0 as never }), "writeNpz: compress must be true or false, got 0"],
    ["inspect", () => inspect(file, { maxChildren: -1 }), "inspect: maxChildren must be a non-negative integer, got -1"],
    ["verify", () => verify(file, { onProgress: 5 as never }), "verify: onProgress must be a function"],
  ])("%s", (_, fn, message) => {
    expect(thrown(fn)).toMatchObject({ code: "ERR_INVALID_ARGUMENT", message });
  });

  const vectors = { words: ["a"], vectors: new NDArray(Float32Array.of(1, 2), [1, 2]) };
  it.each([
    ["loadNpy", () => api.loadNpy(npy, { map: true } as never), 'loadNpy: unknown option "map"; it takes mmap'],
    ["loadSafetensors", () => api.loadSafetensors(npy, { mmap: true, copy: true } as never), 'loadSafetensors: unknown option "copy"; it takes mmap'],
    ["readNpz", () => api.readNpz(new Uint8Array(0), { maxBytes: 5 } as never), 'readNpz: unknown option "maxBytes"; it takes maxMemberBytes, maxTotalBytes'],
    ["loadNpz", () => api.loadNpz(npz, { mmap: true } as never), 'loadNpz: unknown option "mmap"; it takes maxMemberBytes, maxTotalBytes'],
    ["writeNpz", () => api.writeNpz({}, { compression: true } as never), 'writeNpz: unknown option "compression"; it takes compress, zip64'],
    ["saveNpz", () => api.saveNpz(join(dir, "typo.npz"), {}, { compressed: true } as never), 'saveNpz: unknown option "compressed"; it takes compress, zip64'],
    ["parseWord2vec", () => api.parseWord2vec(new Uint8Array(0), { binery: true } as never), 'parseWord2vec: unknown option "binery"; it takes binary'],
    // mmap and chunkBytes are the file readers': in memory they did nothing.
    ["parseWord2vec", () => api.parseWord2vec(new Uint8Array(0), { mmap: true } as never), 'parseWord2vec: unknown option "mmap"; it takes binary'],
    ["encodeWord2vec", () => api.encodeWord2vec(vectors, { text: true } as never), 'encodeWord2vec: unknown option "text"; it takes binary'],
    ["inspect", () => inspect(file, { maxChilds: 3 } as never), 'inspect: unknown option "maxChilds"; it takes maxChildren'],
  ])("%s refuses an option it does not take", (_, fn, message) => {
    expect(thrown(fn)).toMatchObject({ code: "ERR_INVALID_ARGUMENT", message });
  });

  it("async ones refuse an option they do not take, and write nothing", async () => {
    const refused = (fn: string, name: string, takes: string) => ({ code: "ERR_INVALID_ARGUMENT", message: `${fn}: unknown option "${name}"; it takes ${takes}` });
    await expect(api.readWord2vec(w2v, { text: true } as never)).rejects.toMatchObject(refused("readWord2vec", "text", "binary, mmap, chunkBytes"));
    // readGlove's files are text: binary is not among its options.
    await expect(api.readGlove(w2v, { binary: false } as never)).rejects.toMatchObject(refused("readGlove", "binary", "mmap, chunkBytes"));
    await expect(api.writeWord2vec(join(dir, "typo.bin"), vectors, { binery: false } as never)).rejects.toMatchObject(refused("writeWord2vec", "binery", "binary"));
    await expect(api.convert(npy, join(dir, "typo.ndpack"), { compres: "lz4" } as never)).rejects.toMatchObject(
      refused("convert", "compres", "formatIn, formatOut, compress, filters, chunkBytes, level, onProgress"),
    );
    expect(readdirSync(dir).filter((f) => f.startsWith("typo"))).toEqual([]);
  });

  it("async ones reject", async () => {
    await expect(api.readWord2vec(w2v, { binary: "yes" as never })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: 'readWord2vec: binary must be true or false, got "yes"' });
    await expect(api.readGlove(w2v, "x" as never)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: "readGlove: options must be an object, got string" });
    await expect(api.convert(123 as never, "x.npz")).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: "a file path must be a non-empty string, got number" });
    await expect(api.convert(npy, "" as never)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: 'a file path must be a non-empty string, got ""' });
    for (const filters of [null, 5]) {
      await expect(api.convert(npy, join(dir, "c.npy"), { filters: filters as never })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: "filters applies to .ndpack output only, not to npy" });
    }
    await expect(api.convert(npy, join(dir, "c.npy"), { formatIn: 10n as never })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: "formatIn: unknown format 10n; known: ndpack, npy, npz, safetensors, word2vec, word2vec-text, glove" });
  });
});
