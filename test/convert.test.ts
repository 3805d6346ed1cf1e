/**
 * `convert` and `ndpack convert`: real round trips through files written by numpy and gensim,
 * through the library function and through the built bin in a child process (built once per
 * run by test/helpers/build.ts).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  convert, DTYPES, dumpSync, encode, inspect, loadNpy, loadNpz, loadSafetensors, loadSync, NDArray, readGlove, readWord2vec,
  saveNpy, saveSafetensors, type WordVectors,
} from "../src/index.js";
import { codeOfAsync, FIXTURES, python, readManifest, sha256, tmpDir } from "./interop/helpers.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "dist/src/cli/main.js");
const NUMPY = join(FIXTURES, "numpy");
const W2V = join(FIXTURES, "word2vec");

/** Runs the built `ndpack` command. */
function ndpack(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `ndpack convert` and expects success with one summary line and nothing on stderr. */
function ndpackConvert(...args: string[]): string {
  const r = ndpack("convert", ...args);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^[^\n]+ \(\S+\) -> [^\n]+ \(\S+\): \d+ B( \(\d+(\.\d)? [kMG]B\))?\n$/);
  return r.stdout;
}

const expected = JSON.parse(readFileSync(join(W2V, "expected.json"), "utf8")) as { words: string[]; dim: number; vectors_f4: number[][] };
const expectedVectors = Float32Array.from(expected.vectors_f4.flat());

function expectWords(wv: WordVectors | undefined): void {
  expect(wv?.words).toEqual(expected.words);
  expect(wv?.vectors.dtype).toBe("float32");
  expect(wv?.vectors.shape).toEqual([expected.words.length, expected.dim]);
  expect(wv?.vectors.data).toEqual(expectedVectors);
}

/** dtype, shape and bytes of two arrays agree. */
function expectSameArray(a: unknown, b: NDArray): void {
  expect(a).toBeInstanceOf(NDArray);
  const x = a as NDArray;
  expect(x.dtype).toBe(b.dtype);
  expect(x.shape).toEqual(b.shape);
  expect(sha256(x)).toBe(sha256(b));
}

describe(".npy <-> .ndpack: the graph is the NDArray", () => {
  const manifest = readManifest(join(NUMPY, "manifest.json"));
  const files = Object.keys(manifest).filter((k) => k.endsWith(".npy"));

  /** Checks the .ndpack made from `name` and the .npy made back from it. */
  function check(name: string, ndpackPath: string, npyPath: string): void {
    const m = manifest[name]!;
    const graph = loadSync(ndpackPath) as NDArray;
    expect(graph).toBeInstanceOf(NDArray);
    expect(graph.shape).toEqual(m.shape);
    expect(sha256(graph)).toBe(m.c_order_le_sha256);
    const back = loadNpy(npyPath);
    expect(DTYPES[back.dtype].numpy!.slice(1)).toBe(m.dtype.slice(1));
    expect(back.shape).toEqual(m.shape);
    expect(sha256(back)).toBe(m.c_order_le_sha256);
    // Little-endian C-order files come back byte for byte (same header as numpy writes).
    if (!m.dtype.startsWith(">") && !m.fortran_order) expect(readFileSync(npyPath)).toEqual(readFileSync(join(NUMPY, name)));
  }

  it.each(files)("%s -> .ndpack -> .npy (library)", async (name) => {
    const d = tmpDir();
    const info = await convert(join(NUMPY, name), join(d, "a.ndpack"));
    expect(info).toMatchObject({ formatIn: "npy", formatOut: "ndpack", path: join(d, "a.ndpack") });
    expect(info.bytes).toBe(readFileSync(join(d, "a.ndpack")).length);
    await convert(join(d, "a.ndpack"), join(d, "b.npy"));
    check(name, join(d, "a.ndpack"), join(d, "b.npy"));
  });

  it.each(files)("%s -> .ndpack -> .npy (ndpack convert)", (name) => {
    const d = tmpDir();
    expect(ndpackConvert(join(NUMPY, name), join(d, "a.ndpack"))).toContain("(npy) -> ");
    expect(ndpackConvert(join(d, "a.ndpack"), join(d, "b.npy"))).toContain("(ndpack) -> ");
    check(name, join(d, "a.ndpack"), join(d, "b.npy"));
  });

  it("an .ndpack whose root is a typed array exports as a 1-D .npy", async () => {
    const d = tmpDir();
    const data = Float64Array.from({ length: 1000 }, (_, i) => i / 7);
    dumpSync(data, join(d, "t.ndpack"));
    await convert(join(d, "t.ndpack"), join(d, "t.npy"));
    expectSameArray(loadNpy(join(d, "t.npy")), new NDArray(data));
  });

  it("--compress lz4 --filters shuffle writes an .ndpack that inspect reports as lz4-split + shuffle", () => {
    const d = tmpDir();
    const arr = new NDArray(Float32Array.from({ length: 64 * 1024 }, (_, i) => Math.sin(i / 100)), [64, 1024]);
    saveNpy(join(d, "big.npy"), arr);
    ndpackConvert(join(d, "big.npy"), join(d, "big.ndpack"), "--compress", "lz4", "--filters", "shuffle", "--chunk-bytes", "65536");
    const r = ndpack("inspect", "--json", join(d, "big.ndpack"));
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.root).toMatchObject({ path: "$", kind: "ndarray", dtype: "float32", shape: [64, 1024] });
    expect(report.segments).toHaveLength(1);
    expect(report.segments[0]).toMatchObject({ codec: "lz4-split", filters: ["shuffle"], chunkBytes: 65536, chunks: 4, rawBytes: 262144 });
    expect(report.segments[0].storedBytes).toBeLessThan(262144);
    ndpackConvert(join(d, "big.ndpack"), join(d, "back.npy"));
    expect(readFileSync(join(d, "back.npy"))).toEqual(readFileSync(join(d, "big.npy")));
    // --level writes what the library writes at that level.
    ndpackConvert(join(d, "big.npy"), join(d, "fast.ndpack"), "--compress", "lz4", "--filters", "shuffle", "--level", "1");
    expect(readFileSync(join(d, "fast.ndpack"))).toEqual(Buffer.from(encode(arr, { compress: "lz4", filters: ["shuffle"], level: 1 })));
  });

  it("reports progress while the .ndpack is written, and recompresses a file onto itself", async () => {
    const d = tmpDir();
    const file = join(d, "self.ndpack");
    const arr = new NDArray(Int32Array.from({ length: 100_000 }, (_, i) => i % 1000), [100, 1000]);
    dumpSync({ a: arr, b: arr }, file);
    const seen: [number, number][] = [];
    await convert(file, file, { compress: "lz4", filters: ["bitshuffle"], onProgress: (p) => seen.push([p.doneBytes, p.totalBytes]) });
    // Two phases: loading the input, then writing the output; each ends at its total. The array
    // is referred to twice but stored once (shared references are kept).
    expect(seen.at(-1)).toEqual([400_000, 400_000]);
    expect(seen.filter(([done, total]) => done === total)).toHaveLength(2);
    expect(inspect(file).segments.map((s) => [s.codec, s.filters])).toEqual([["lz4-split", ["bitshuffle"]]]);
    const back = loadSync(file) as { a: NDArray; b: NDArray };
    expect(back.b).toBe(back.a);
    expectSameArray(back.a, arr);
    expectSameArray(back.b, arr);
  });
});

describe(".npz / .safetensors <-> .ndpack: the graph is a plain object of NDArrays", () => {
  const graph = () => ({
    weights: new NDArray(Float32Array.from({ length: 2048 }, (_, i) => i / 3 - 100), [32, 64]),
    ids: new NDArray(BigInt64Array.from({ length: 700 }, (_, i) => BigInt(i) * -12345678901n), [700]),
    mask: new NDArray(Uint8Array.of(1, 0, 1, 1, 0, 0, 1), [7], "bool"),
    half: new NDArray(Uint16Array.of(0x3c00, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0001), [2, 3], "float16"),
    scalar: new NDArray(Float64Array.of(-2.5), []),
    empty: new NDArray(new Uint16Array(0), [0, 4]),
  });

  it.each(["npz", "safetensors"])(".ndpack -> .%s -> .ndpack gives back the same graph", async (ext) => {
    const d = tmpDir();
    const g = graph();
    dumpSync(g, join(d, "a.ndpack"));
    expect(await convert(join(d, "a.ndpack"), join(d, `x.${ext}`))).toMatchObject({ formatIn: "ndpack", formatOut: ext });
    await convert(join(d, `x.${ext}`), join(d, "b.ndpack"));
    const back = loadSync(join(d, "b.ndpack")) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    // npz keeps member order; safetensors stores tensors by name in its header, so compare sets.
    if (ext === "npz") expect(Object.keys(back)).toEqual(Object.keys(g));
    else expect(Object.keys(back).sort()).toEqual(Object.keys(g).sort());
    for (const [key, arr] of Object.entries(g)) expectSameArray(back[key], arr);
    expect(back).toEqual(g);
  });

  it("safetensors __metadata__ becomes a __metadata__ key (string -> string) and goes back; .npz drops it", async () => {
    const d = tmpDir();
    const w = new NDArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
    saveSafetensors(join(d, "m.safetensors"), { w }, { format: "pt", note: "été" });
    await convert(join(d, "m.safetensors"), join(d, "m.ndpack"));
    const g = loadSync(join(d, "m.ndpack")) as Record<string, unknown>;
    expect(g.__metadata__).toEqual({ format: "pt", note: "été" });
    expectSameArray(g.w, w);
    await convert(join(d, "m.ndpack"), join(d, "back.safetensors"));
    expect(loadSafetensors(join(d, "back.safetensors")).metadata).toEqual({ format: "pt", note: "été" });
    await convert(join(d, "m.ndpack"), join(d, "m.npz"));
    expect(Object.keys(loadNpz(join(d, "m.npz")))).toEqual(["w"]);
    // A file without metadata gets no __metadata__ key.
    saveSafetensors(join(d, "plain.safetensors"), { w });
    await convert(join(d, "plain.safetensors"), join(d, "plain.ndpack"));
    expect(Object.keys(loadSync(join(d, "plain.ndpack")) as object)).toEqual(["w"]);
  });

  it("a numpy .npz -> .ndpack -> .safetensors -> .npz reads back in numpy with exact values", async () => {
    const d = tmpDir();
    python(
      `import numpy as np, sys
rng = np.random.default_rng(7)
np.savez(sys.argv[1],
  w=rng.standard_normal((3, 4)).astype('<f4'),
  ids=np.arange(-5, 5, dtype='<i8') * 1234567890123,
  mask=np.array([True, False, True]),
  h=np.array([1.5, -0.0, np.inf, np.nan, 6.1e-5], dtype='<f2'),
  u=np.array([0, 2**64 - 1], dtype='<u8'),
  fortran=np.asfortranarray(np.arange(12, dtype='<f8').reshape(3, 4)),
  big=np.arange(6, dtype='>i4'),
  empty=np.zeros((0, 3), dtype='<f8'),
  scalar=np.float64(3.25))`,
      [join(d, "a.npz")],
    );
    // Through the bin for one chain, through the library for the other (and npz -> safetensors directly).
    ndpackConvert(join(d, "a.npz"), join(d, "b.ndpack"));
    ndpackConvert(join(d, "b.ndpack"), join(d, "c.safetensors"));
    ndpackConvert(join(d, "c.safetensors"), join(d, "d.npz"), "--compress", "deflate");
    await convert(join(d, "a.npz"), join(d, "direct.safetensors"));
    await convert(join(d, "direct.safetensors"), join(d, "direct.npz"));
    const out = python(
      `import numpy as np, sys
a = np.load(sys.argv[1])
for path in sys.argv[2:]:
  b = np.load(path)
  assert sorted(a.files) == sorted(b.files), (a.files, b.files)
  for k in a.files:
    x, y = a[k], b[k]
    assert x.dtype.newbyteorder('=') == y.dtype.newbyteorder('='), (k, x.dtype, y.dtype)
    assert y.dtype.byteorder in '=<|', (k, y.dtype)
    assert x.shape == y.shape, (k, x.shape, y.shape)
    assert np.ascontiguousarray(x).astype(x.dtype.newbyteorder('<')).tobytes() == y.tobytes(), k
print('ok', len(a.files))`,
      [join(d, "a.npz"), join(d, "d.npz"), join(d, "direct.npz")],
    );
    expect(out.trim()).toBe("ok 9");
    const graph = loadSync(join(d, "b.ndpack")) as Record<string, NDArray>;
    expect(Object.keys(graph)).toEqual(["w", "ids", "mask", "h", "u", "fortran", "big", "empty", "scalar"]);
    expect(graph.fortran!.data).toEqual(Float64Array.from({ length: 12 }, (_, i) => i));
    expect(graph.big!.data).toEqual(Int32Array.of(0, 1, 2, 3, 4, 5));
  });

  it("refuses an .ndpack object holding something other than arrays, naming the key", async () => {
    const d = tmpDir();
    dumpSync({ w: new NDArray(Float32Array.of(1, 2)), name: "demo" }, join(d, "mixed.ndpack"));
    for (const ext of ["npz", "safetensors"]) {
      await expect(convert(join(d, "mixed.ndpack"), join(d, `x.${ext}`))).rejects.toThrow(/key "name" of the \.ndpack root holds a string/);
      expect(existsSync(join(d, `x.${ext}`))).toBe(false);
    }
  });
});

describe("word2vec / GloVe <-> .ndpack: the graph is { words, vectors }", () => {
  it("gensim's vectors.bin -> .ndpack -> vectors.txt (library): gensim's own text, byte for byte", async () => {
    const d = tmpDir();
    expect(await convert(join(W2V, "vectors.bin"), join(d, "v.ndpack"))).toMatchObject({ formatIn: "word2vec" });
    const g = loadSync(join(d, "v.ndpack")) as WordVectors;
    expect(Object.keys(g)).toEqual(["words", "vectors"]);
    expectWords(g);
    expect(await convert(join(d, "v.ndpack"), join(d, "vectors.txt"))).toMatchObject({ formatOut: "word2vec-text" });
    expectWords(await readWord2vec(join(d, "vectors.txt"), { binary: false }));
    expect(readFileSync(join(d, "vectors.txt"))).toEqual(readFileSync(join(W2V, "vectors.txt")));
  });

  it("gensim's vectors.bin -> .ndpack -> vectors.txt (ndpack convert)", async () => {
    const d = tmpDir();
    expect(ndpackConvert(join(W2V, "vectors.bin"), join(d, "v.ndpack"))).toContain("(word2vec) -> ");
    expect(ndpackConvert(join(d, "v.ndpack"), join(d, "vectors.txt"))).toContain("(word2vec-text): ");
    expectWords(await readWord2vec(join(d, "vectors.txt"), { binary: false }));
    expect(readFileSync(join(d, "vectors.txt"))).toEqual(readFileSync(join(W2V, "vectors.txt")));
  });

  it("an input .txt is sniffed: a 'count dim' first line is word2vec text, anything else GloVe", async () => {
    const d = tmpDir();
    expect(await convert(join(W2V, "vectors.txt"), join(d, "a.ndpack"))).toMatchObject({ formatIn: "word2vec-text" });
    expectWords(loadSync(join(d, "a.ndpack")) as WordVectors);
    expect(await convert(join(d, "a.ndpack"), join(d, "g.glove.txt"))).toMatchObject({ formatOut: "glove" });
    const glove = readFileSync(join(d, "g.glove.txt"), "utf8");
    expect(glove.split("\n")[0]).toMatch(/^the -1\.64/);
    copyFileSync(join(d, "g.glove.txt"), join(d, "plain.txt"));
    expect(await convert(join(d, "plain.txt"), join(d, "b.ndpack"))).toMatchObject({ formatIn: "glove" });
    expectWords(loadSync(join(d, "b.ndpack")) as WordVectors);
    // --format-in overrides the sniffing: read as word2vec, a GloVe file has no header.
    await expect(convert(join(d, "plain.txt"), join(d, "c.ndpack"), { formatIn: "word2vec-text" })).rejects.toMatchObject({ code: "ERR_CORRUPT" });
    expect(ndpackConvert(join(d, "plain.txt"), join(d, "c.ndpack"), "--format-in", "glove")).toContain("(glove) -> ");
  });

  it("word2vec -> GloVe directly, and extra keys such as meta are ignored on export", async () => {
    const d = tmpDir();
    await convert(join(W2V, "vectors.bin"), join(d, "g.glove.txt"));
    expectWords(await readGlove(join(d, "g.glove.txt")));
    const wv = await readWord2vec(join(W2V, "vectors.bin"));
    dumpSync({ ...wv, meta: { source: "gensim", dim: 8 } }, join(d, "meta.ndpack"));
    await convert(join(d, "meta.ndpack"), join(d, "meta.vec"));
    expectWords(await readWord2vec(join(d, "meta.vec"), { binary: false }));
    await convert(join(d, "meta.ndpack"), join(d, "meta.bin"));
    expect(readFileSync(join(d, "meta.bin"))).toEqual(readFileSync(join(W2V, "vectors.bin")));
  });
});

describe("errors: one line on stderr, non-zero exit, nothing written", () => {
  let d: string;
  beforeAll(async () => {
    d = tmpDir();
    await convert(join(W2V, "vectors.bin"), join(d, "words.ndpack"));
    writeFileSync(join(d, "data.csv"), "1,2,3\n");
  });

  it.each([
    ["an unknown output extension", () => [join(NUMPY, "f4.npy"), join(d, "out.csv")], "ERR_INVALID_ARGUMENT", /cannot tell the format of "[^"]*out\.csv" from its extension/],
    ["an unknown input extension", () => [join(d, "data.csv"), join(d, "out.ndpack")], "ERR_INVALID_ARGUMENT", /data\.csv/],
    ["an unsupported pair", () => [join(NUMPY, "f4.npy"), join(d, "out.bin")], "ERR_UNSUPPORTED_FORMAT", /cannot convert npy to word2vec: npy holds one NDArray/],
    ["an .ndpack root that does not fit", () => [join(d, "words.ndpack"), join(d, "out.npy")], "ERR_UNSUPPORTED_FORMAT", /cannot write npy from a plain object with keys "words", "vectors"/],
    ["a missing input file", () => [join(d, "missing.npy"), join(d, "out.ndpack")], "ERR_IO", /cannot open .*missing\.npy/],
    ["--compress for .npy output", () => [join(NUMPY, "f4.npy"), join(d, "out.npy"), "--compress", "lz4"], "ERR_INVALID_ARGUMENT", /compress applies to/],
    ["an unknown filter", () => [join(NUMPY, "f4.npy"), join(d, "out.ndpack"), "--filters", "shuffle,zip"], "ERR_INVALID_ARGUMENT", /unknown filter "zip"/],
    ["an unknown --format-out", () => [join(NUMPY, "f4.npy"), join(d, "out.ndpack"), "--format-out", "hdf5"], "ERR_INVALID_ARGUMENT", /hdf5/],
    ["a --chunk-bytes under 64", () => [join(NUMPY, "f4.npy"), join(d, "out.ndpack"), "--chunk-bytes", "10"], "ERR_INVALID_ARGUMENT", /expected an integer from 64 to 67108864, got "10"/],
    ["a --level of 10", () => [join(NUMPY, "f4.npy"), join(d, "out.ndpack"), "--compress", "lz4", "--level", "10"], "ERR_INVALID_ARGUMENT", /expected an integer from 1 to 9, got "10"/],
    ["--level without --compress", () => [join(NUMPY, "f4.npy"), join(d, "out.ndpack"), "--level", "5"], "ERR_INVALID_ARGUMENT", /level applies with a codec/],
    ["--level for .npz output", () => [join(NUMPY, "f4.npy"), join(d, "out.npz"), "--level", "5"], "ERR_INVALID_ARGUMENT", /level applies to \.ndpack output only, not to npz/],
  ] as const)("%s", (_, args, code, message) => {
    const argv = args();
    const r = ndpack("convert", ...argv);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^ndpack: ${code}: [^\\n]+\\n$`));
    expect(r.stderr).toMatch(message);
    expect(existsSync(argv[1]!)).toBe(false);
  });

  it("the library throws the same codes", async () => {
    expect(await codeOfAsync(() => convert(join(NUMPY, "f4.npy"), join(d, "x.csv")))).toBe("ERR_INVALID_ARGUMENT");
    expect(await codeOfAsync(() => convert(join(NUMPY, "f4.npy"), join(d, "x.glove.txt")))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(await codeOfAsync(() => convert(join(W2V, "vectors.bin"), join(d, "x.safetensors")))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(await codeOfAsync(() => convert(join(d, "words.ndpack"), join(d, "x.npz")))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(await codeOfAsync(() => convert(join(d, "missing.ndpack"), join(d, "x.npy")))).toBe("ERR_IO");
    expect(await codeOfAsync(() => convert(join(NUMPY, "f4.npy"), join(d, "x.npz"), { compress: "lz4" }))).toBe("ERR_INVALID_ARGUMENT");
    expect(await codeOfAsync(() => convert(join(NUMPY, "f4.npy"), join(d, "x.npy"), { chunkBytes: 4096 }))).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("ndpack convert --help", () => {
  it("shows usage, the formats and an example", () => {
    const r = ndpack("convert", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: ndpack convert [options] <in> <out>");
    expect(r.stdout).toContain("--compress <codec>");
    expect(r.stdout).toMatch(/safetensors\s+\.safetensors/);
    expect(r.stdout).toContain("Example:\n  $ ndpack convert ");
  });

  it("is listed by ndpack --help", () => {
    expect(ndpack("--help").stdout).toMatch(/convert \[options\] <in> <out>/);
  });
});
