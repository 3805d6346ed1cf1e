import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  readWord2vec, writeWord2vec, readGlove, writeGlove, parseWord2vec, parseGlove, encodeWord2vec, encodeGlove,
  formatFloat32, type WordVectors,
} from "../../src/interop/word2vec.js";
import { NDArray } from "../../src/ndarray.js";
import { FIXTURES, python, tmpDir, codeOf, codeOfAsync, sha256, mutations, onlyNdpackErrors } from "./helpers.js";

const W2V = path.join(FIXTURES, "word2vec");
const expected = JSON.parse(fs.readFileSync(path.join(W2V, "expected.json"), "utf8")) as { words: string[]; dim: number; vectors_f4: number[][] };
const expectedData = Float32Array.from(expected.vectors_f4.flat());

function expectFixture(wv: WordVectors): void {
  expect(wv.words).toEqual(expected.words);
  expect(wv.vectors.dtype).toBe("float32");
  expect(wv.vectors.shape).toEqual([10, 8]);
  expect(Array.from(wv.vectors.data)).toEqual(Array.from(expectedData));
}

const READS: [string, (f: string, binary?: boolean) => Promise<WordVectors>][] = [
  ["mmap", (f, binary) => readWord2vec(f, { binary })],
  ["chunked 16 MiB", (f, binary) => readWord2vec(f, { binary, mmap: false })],
  ["chunked 7 bytes", (f, binary) => readWord2vec(f, { binary, mmap: false, chunkBytes: 7 })],
  ["in memory", async (f, binary) => parseWord2vec(new Uint8Array(fs.readFileSync(f)), { binary })],
];

describe("word2vec fixtures written by gensim 4.2", () => {
  for (const [how, read] of READS) {
    it(`text, ${how}, explicit and detected`, async () => {
      expectFixture(await read(path.join(W2V, "vectors.txt"), false));
      expectFixture(await read(path.join(W2V, "vectors.txt")));
    });
    it(`binary, ${how}, explicit and detected`, async () => {
      expectFixture(await read(path.join(W2V, "vectors.bin"), true));
      expectFixture(await read(path.join(W2V, "vectors.bin")));
    });
  }
  it("binary records followed by a newline (the C tool's layout)", () => {
    const bin = new Uint8Array(fs.readFileSync(path.join(W2V, "vectors.bin")));
    const wv = parseWord2vec(bin, { binary: true });
    const parts: number[] = [...new TextEncoder().encode("10 8\n")];
    wv.words.forEach((w, i) => {
      parts.push(...new TextEncoder().encode(w + " "), ...new Uint8Array(wv.vectors.data.buffer, i * 32, 32), 0x0a);
    });
    expectFixture(parseWord2vec(Uint8Array.from(parts)));
  });
});

function sample(count: number, dim: number, seed = 1): WordVectors {
  const data = new Float32Array(count * dim);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = ((x >>> 8) / 2 ** 24 - 0.5) * 10 ** ((x % 7) - 3);
  }
  data[0] = -0;
  if (data.length > 3) {
    data[1] = Infinity;
    data[2] = NaN;
    data[3] = 1e-45; // denormal
  }
  const words = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? `naïve_${i}` : i % 3 === 1 ? `日本${i}` : `w${i}`));
  return { words, vectors: new NDArray(data, [count, dim]) };
}

function sameVectors(a: WordVectors, b: WordVectors): void {
  expect(a.words).toEqual(b.words);
  expect(a.vectors.shape).toEqual(b.vectors.shape);
  expect(sha256(a.vectors)).toBe(sha256(b.vectors));
}

describe("round trips", () => {
  it("formatFloat32 gives the shortest string that reads back exactly", () => {
    let x = 3;
    for (let i = 0; i < 20000; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const f = new Float32Array(new Uint32Array([x]).buffer)[0]!;
      if (Number.isNaN(f)) continue;
      expect(Math.fround(parseFloat(formatFloat32(f)))).toBe(f);
    }
    expect(formatFloat32(0.1)).toBe("0.1");
    expect(formatFloat32(-0)).toBe("-0.0");
  });
  for (const binary of [true, false]) {
    it(`word2vec ${binary ? "binary" : "text"} in memory and through files`, async () => {
      const wv = sample(50, 13);
      sameVectors(parseWord2vec(encodeWord2vec(wv, { binary })), wv);
      const f = path.join(tmpDir(), "v");
      await writeWord2vec(f, wv, { binary });
      for (const [, read] of READS) sameVectors(await read(f), wv);
    });
  }
  it("a word starting with U+FEFF keeps it (it is data, not a byte-order mark), in every format", () => {
    const wv = sample(12, 3);
    wv.words[0] = "\ufeffbom";
    wv.words[7] = "\ufeff";
    for (const binary of [true, false]) sameVectors(parseWord2vec(encodeWord2vec(wv, { binary })), wv);
    sameVectors(parseGlove(encodeGlove(wv)), wv);
  });

  it("GloVe in memory and through files, words with spaces", async () => {
    const wv = sample(40, 5);
    sameVectors(parseGlove(encodeGlove(wv)), wv);
    const f = path.join(tmpDir(), "g.txt");
    await writeGlove(f, wv);
    sameVectors(await readGlove(f), wv);
    sameVectors(await readGlove(f, { mmap: false, chunkBytes: 5 }), wv);
    const odd = parseGlove(new TextEncoder().encode("a 1 2\r\nat name@x.com 3 4\n\nb  5\t6  \n"));
    expect(odd.words).toEqual(["a", "at name@x.com", "b"]);
    expect(Array.from(odd.vectors.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it("empty vocabularies", () => {
    const wv = { words: [], vectors: new NDArray(new Float32Array(0), [0, 4]) };
    for (const binary of [true, false]) sameVectors(parseWord2vec(encodeWord2vec(wv, { binary })), wv);
    expect(parseGlove(new Uint8Array(0)).vectors.shape).toEqual([0, 0]);
  });
  it("refuses words that cannot be stored and mismatched data", () => {
    const v = new NDArray(new Float32Array(2), [1, 2]);
    expect(codeOf(() => encodeWord2vec({ words: ["a b"], vectors: v }))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => encodeWord2vec({ words: [""], vectors: v }))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => encodeWord2vec({ words: ["a\tb"], vectors: v }, { binary: false }))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => encodeWord2vec({ words: ["a", "b"], vectors: v }))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => encodeWord2vec({ words: ["a"], vectors: new NDArray(new Float64Array(2), [1, 2]) }))).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("hostile word2vec input", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it("every prefix of the fixtures throws ERR_TRUNCATED or ERR_CORRUPT", async () => {
    for (const [file, binary] of [["vectors.bin", true], ["vectors.txt", false]] as const) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(W2V, file)));
      for (let n = 0; n < bytes.length; n++) {
        // Text: a prefix ending exactly after a complete last line but one value short is corrupt.
        let code: string;
        try {
          parseWord2vec(bytes.subarray(0, n), { binary });
          code = "none";
        } catch (err) {
          code = (err as { code?: string }).code ?? String(err);
        }
        expect(["ERR_TRUNCATED", "ERR_CORRUPT"], `${file} cut at ${n}`).toContain(code);
      }
    }
  });
  it("chunked file reads of truncated files throw ERR_TRUNCATED", async () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(W2V, "vectors.bin")));
    const f = path.join(tmpDir(), "t.bin");
    for (const n of [3, 5, 40, 200, bytes.length - 1]) {
      fs.writeFileSync(f, bytes.subarray(0, n));
      for (const mmap of [true, false]) {
        expect(["ERR_TRUNCATED", "ERR_CORRUPT"]).toContain(await codeOfAsync(() => readWord2vec(f, { binary: true, mmap, chunkBytes: 16 })));
      }
    }
  });
  it("a header declaring billions of vectors fails fast without allocating", () => {
    const t = performance.now();
    expect(codeOf(() => parseWord2vec(enc("999999999999999 300\nthe 1 2\n"), { binary: false }))).toBe("ERR_TRUNCATED");
    expect(codeOf(() => parseWord2vec(enc("4000000000 300\n"), { binary: true }))).toBe("ERR_TRUNCATED");
    expect(performance.now() - t).toBeLessThan(50);
  });
  it.each([
    ["no header", "the 1 2\n", "ERR_CORRUPT"],
    ["bad header", "ten 2\n", "ERR_CORRUPT"],
    ["bad number", "1 2\nthe 1 x\n", "ERR_CORRUPT"],
    ["hex is not a number", "1 2\nthe 1 0x10\n", "ERR_CORRUPT"],
    ["too few fields", "2 2\nthe 1\nof 2 3\n", "ERR_CORRUPT"],
    ["too many fields", "1 2\nthe 1 2 3\n", "ERR_CORRUPT"],
    ["fewer lines than declared", "3 2\nthe 1 2\nof 3 4\n", "ERR_TRUNCATED"],
  ])("text: %s", (_n, text, code) => {
    expect(codeOf(() => parseWord2vec(enc(text), { binary: false }))).toBe(code);
  });
  it("invalid UTF-8 words are ERR_CORRUPT", () => {
    const b = Uint8Array.from([...enc("1 1\n"), 0xff, 0xfe, 0x20, 0, 0, 0x80, 0x3f]);
    expect(codeOf(() => parseWord2vec(b, { binary: true }))).toBe("ERR_CORRUPT");
  });
  it("Python's nan and inf spellings are numbers", () => {
    const wv = parseWord2vec(enc("1 4\nw nan inf -inf 1e-3\n"));
    expect(Array.from(wv.vectors.data)).toEqual([NaN, Infinity, -Infinity, Math.fround(1e-3)]);
  });
  it("random mutations decode or throw an NdpackError", () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(W2V, "vectors.txt")));
    for (const { bytes: m } of mutations(bytes, 2000, 5)) {
      for (const binary of [undefined, true, false]) onlyNdpackErrors(() => parseWord2vec(m, { binary }));
    }
  });
});

describe("round trips through the real gensim", () => {
  it("gensim reads what ndpack writes (binary, text, GloVe)", async () => {
    const dir = tmpDir();
    const wv = sample(200, 17, 9);
    await writeWord2vec(path.join(dir, "a.bin"), wv, { binary: true });
    await writeWord2vec(path.join(dir, "a.txt"), wv, { binary: false });
    await writeGlove(path.join(dir, "g.txt"), wv);
    const out = python(`
import sys, json, hashlib, numpy as np
from gensim.models import KeyedVectors
d = sys.argv[1]
for f, kw in [('a.bin', dict(binary=True)), ('a.txt', dict(binary=False)), ('g.txt', dict(binary=False, no_header=True))]:
    kv = KeyedVectors.load_word2vec_format(d + '/' + f, **kw)
    print(json.dumps([f, kv.index_to_key, list(kv.vectors.shape), hashlib.sha256(kv.vectors.astype('<f4').tobytes()).hexdigest()]))
`, [dir]).trim().split("\n");
    expect(out.length).toBe(3);
    for (const line of out) {
      const [f, words, shape, sha] = JSON.parse(line) as [string, string[], number[], string];
      expect(words, f).toEqual(wv.words);
      expect(shape).toEqual([200, 17]);
      expect(sha, f).toBe(sha256(wv.vectors));
    }
  });
  it("ndpack reads what gensim writes (binary and text)", async () => {
    const dir = tmpDir();
    const out = python(`
import sys, json, hashlib, numpy as np
from gensim.models import KeyedVectors
d = sys.argv[1]
rng = np.random.default_rng(11)
words = ['w%d' % i for i in range(300)] + ['naïve', '日本', 'émoji😀']
kv = KeyedVectors(vector_size=25)
vecs = (rng.standard_normal((len(words), 25)) * 10.0 ** rng.integers(-4, 4, (len(words), 25))).astype(np.float32)
kv.add_vectors(words, vecs)
kv.save_word2vec_format(d + '/g.bin', binary=True)
kv.save_word2vec_format(d + '/g.txt', binary=False)
print(json.dumps([words, hashlib.sha256(vecs.tobytes()).hexdigest()]))
`, [dir]);
    const [words, sha] = JSON.parse(out) as [string[], string];
    for (const f of ["g.bin", "g.txt"]) {
      for (const opts of [{}, { mmap: false, chunkBytes: 1000 }]) {
        const wv = await readWord2vec(path.join(dir, f), opts);
        expect(wv.words, f).toEqual(words);
        expect(sha256(wv.vectors), f).toBe(sha);
      }
    }
  });
});

describe("binary or text, detected", () => {
  it("a binary file whose first record reads as a text line is still binary (dim 1, float bytes '0\\n')", () => {
    // 6.98e-17 as float32 is 30 0a a1 24: the first record "! " + "0\n" looks like the text line "! 0".
    const wv = { words: ["!", "!", "!", "!", "!", "!"], vectors: new NDArray(Float32Array.from([6.983987820436679e-17, 0, 0, 0, 0, 0]), [6, 1]) };
    const back = parseWord2vec(encodeWord2vec(wv, { binary: true }));
    expect([...back.vectors.data]).toEqual([...wv.vectors.data]);
  });
});
