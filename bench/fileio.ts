/**
 * Writing and reading the GloVe matrix (341,479 x 100 float32, 136.6 MB) as a file: ndpack's
 * `dumpSync` / `loadSync` / `loadSync({ mmap: true })` against numpy's `np.save` / `np.load` /
 * `np.load(mmap_mode="r")`, and against the least any Node program can do with `fs` (the
 * "fs" rows: one `writeSync` to a temp file renamed over the old one, which is what `dumpSync`
 * did before it preallocated; one `readSync` of the same bytes into a new ArrayBuffer, the floor
 * of any read).
 *
 * The measuring process holds only the matrix: a small JavaScript heap, as numpy's process has
 * (a large one makes V8 mark it whenever a 136 MB buffer appears, which costs a Node program
 * about 10 ms per read here; bench/RESULTS.md). numpy runs in a /usr/bin/python3 child that
 * times one operation per request, so that its runs and ndpack's alternate and both see the same
 * load on this shared machine. Each figure is the median of `--reps` runs after one warm-up run
 * of each; every write replaces the file the previous run wrote, as a program saving its state
 * does; Node runs a full garbage collection before each of its runs.
 *
 * Run: npx tsc -p tsconfig.json && GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node --expose-gc
 *   dist/bench/fileio.js [--reps 15]
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dumpSync, loadSync, NDArray } from "../src/index.js";
import { loadNpy, saveNpy } from "../src/interop/npy.js";

const args = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;

/** `--reps N` (1 to 1000), the only option; anything else is refused. */
function parseReps(): number {
  if (args[0] === "--matrix" && args.length === 2) return 0; // the child that writes the matrix
  if (args.length === 0) return 15;
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    console.log("usage: node --expose-gc dist/bench/fileio.js [--reps N], N from 1 to 1000 (default 15)");
    process.exit(0);
  }
  if (args.length !== 2 || args[0] !== "--reps" || !/^[0-9]{1,4}$/.test(args[1]!) || Number(args[1]) < 1 || Number(args[1]) > 1000) {
    console.error(`usage: node --expose-gc dist/bench/fileio.js [--reps N], N from 1 to 1000 (default 15); got: ${args.join(" ")}`);
    process.exit(2);
  }
  return Number(args[1]);
}
const REPS = parseReps();

/** numpy in a child: `save`, `load`, `mmap` requests, one per line, each answered with its seconds. */
const PYTHON = `
import sys, time, numpy as np
path = sys.argv[1]
a = np.load(path)
keep = None
print("ready", flush=True)
for line in sys.stdin:
    op = line.strip()
    t = time.perf_counter()
    if op == "save":
        np.save(path, a)
    elif op == "load":
        keep = np.load(path)
    elif op == "mmap":
        keep = np.load(path, mmap_mode="r")
    else:
        raise SystemExit("unknown request " + op)
    print(time.perf_counter() - t, flush=True)
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(fn: () => unknown): number {
  gc?.();
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  if (args[0] === "--matrix") {
    // The child that builds the matrix: datasets.js keeps the GloVe words too, which must not
    // stay in the measuring process's heap.
    const { gloveMatrix } = await import("./datasets.js");
    saveNpy(args[1]!, gloveMatrix().vectors);
    return;
  }
  if (!gc) console.error("fileio: run node with --expose-gc, or Node's own collections fall inside the timings");
  const dir = mkdtempSync(join(tmpdir(), "ndpack-fileio-"));
  // Its files are 400-500 MB: removed on Ctrl-C too.
  const cleanUp = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", cleanUp).once("SIGTERM", cleanUp);
  try {
    const npy = join(dir, "glove.npy");
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--matrix", npy], { stdio: "inherit" });
    const matrix = loadNpy(npy) as NDArray<Float32Array>;
    const bytes = new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength);
    const file = join(dir, "glove.ndpack");
    const floorFile = join(dir, "glove.raw");

    const py = spawn("/usr/bin/python3", ["-c", PYTHON, npy], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => {
      const r = await lines.next();
      if (r.done) throw new Error("python child ended");
      return r.value;
    };
    if ((await next()) !== "ready") throw new Error("python child did not start");
    const numpy = async (op: string): Promise<number> => {
      py.stdin.write(`${op}\n`);
      return Number(await next()) * 1000;
    };

    const floorWrite = () => {
      const tmp = `${floorFile}.tmp`;
      const fd = openSync(tmp, "w");
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      closeSync(fd);
      renameSync(tmp, floorFile);
    };
    // The same bytes loadSync reads: the matrix in ndpack's file, after its 64-byte header.
    const floorRead = () => {
      const fd = openSync(file, "r");
      const out = new Uint8Array(new ArrayBuffer(bytes.length));
      for (let done = 0; done < out.length; ) done += readSync(fd, out, done, out.length - done, 64 + done);
      closeSync(fd);
      return out;
    };
    const rows: [string, () => number | Promise<number>][] = [
      ["dumpSync", () => timed(() => dumpSync(matrix, file))],
      ["fs: writeSync + rename, not preallocated (what dumpSync did before it preallocated)", () => timed(floorWrite)],
      ["np.save", () => numpy("save")],
      ["loadSync", () => timed(() => loadSync(file))],
      ["fs floor: readSync into a new ArrayBuffer", () => timed(floorRead)],
      ["np.load", () => numpy("load")],
      ["loadSync({ mmap: true })", () => timed(() => loadSync(file, { mmap: true }))],
      ['np.load(mmap_mode="r")', () => numpy("mmap")],
    ];
    const times = new Map<string, number[]>(rows.map(([name]) => [name, []]));
    for (const [, run] of rows) await run(); // warm-up, and the files the reads need
    for (let r = 0; r < REPS; r++) for (const [name, run] of rows) times.get(name)!.push(await run());
    py.stdin.end();

    const m = (name: string) => median(times.get(name)!);
    const peer: Record<string, string> = { dumpSync: "np.save", loadSync: "np.load", "loadSync({ mmap: true })": 'np.load(mmap_mode="r")' };
    console.log(`# fileio: GloVe matrix ${bytes.length} bytes, Node ${process.version}, ${REPS} reps, load average ${loadavg()[0]!.toFixed(2)} at the end, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ""}`);
    console.log("| operation | median ms | ndpack / numpy |\n| --- | ---: | ---: |");
    for (const [name] of rows) {
      const ratio = peer[name] ? (m(name) / m(peer[name]!)).toFixed(2) : "";
      console.log(`| ${name} | ${m(name).toFixed(2)} | ${ratio} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
