/**
 * LZ4 chunk pipeline throughput, ndpack (wasm and js backends) against python-blosc in the same
 * run on the same bytes: the GloVe matrix (341,479 x 100 float32, raw little-endian, from
 * `--glove FILE`, default /tmp/lead/glove.f32) with shuffle and bitshuffle, and 10M sorted int32
 * ids (seeded) with shuffle and delta+shuffle, at each of `--levels` (default 5,9). ndpack
 * encodes with `encode()` (bytes out, manifest included) and decodes with `decode()`
 * (checksums verified); blosc runs in a /usr/bin/python3 bench/lz4_blosc.py child (1 thread,
 * LZ4, the same clevel, hence the same LZ4 acceleration, 10 - level; the same shuffle,
 * `blosc.compress` / `blosc.decompress`, fresh output like ndpack's; blosc has no delta before
 * shuffle in this API, so delta rows have no blosc row). Each figure is a median of `--reps`
 * runs after a warm-up; ndpack wasm's and blosc's runs alternate (encode, decode, blosc
 * encode, blosc decode, ...) so that both see the same load on this shared machine: read the
 * same-run ratios. "pipeline" rows time the segment pipeline alone into preallocated output
 * (see runPipeline), as blosc's `decompress_ptr` into a reused buffer does in bench/python
 * (a 136 MB `blosc.decompress` is a fresh mmap each time: 44 against 35 ms here with huge
 * pages, 88 without). Also: the wasm shuffle kernel on data already in wasm memory, and
 * `Kernels.shuffle` end to end (copy in, shuffle, copy out).
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/lz4.js [--reps 5] [--chunks 65536,262144]
 *   [--levels 5,9] [--glove FILE] [--only glove|ids] [--no-js] [--no-blosc]
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { decode, encode, NDArray } from "../src/index.js";
import { getKernels } from "../src/kernels/index.js";
import { WASM_BASE64 } from "../src/kernels/wasm/binary.js";
import { decodeChunks, DEFAULT_CHUNK_BYTES, encodeSegment, type FilterName } from "../src/segment/pipeline.js";

const args = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
}
const REPS = Number(arg("--reps", "5"));
const CHUNKS = arg("--chunks", String(DEFAULT_CHUNK_BYTES)).split(",").map(Number);
const LEVELS = arg("--levels", "5,9").split(",").map(Number);
const GLOVE = arg("--glove", "/tmp/lead/glove.f32");
const ONLY = arg("--only", "");
const WITH_JS = !args.includes("--no-js");
const WITH_BLOSC = !args.includes("--no-blosc");
const BLOSC_SCRIPT = new URL("../../bench/lz4_blosc.py", import.meta.url).pathname;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median seconds of `reps` runs of `fn` after one warm-up run. */
function time(fn: () => void, reps: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    fn();
    t.push((performance.now() - start) / 1000);
  }
  return median(t);
}

/** 10M sorted int32 ids: seeded random gaps of 1..8. */
function sortedIds(n: number): Int32Array {
  const out = new Int32Array(n);
  let x = 2463534242;
  let v = 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v += 1 + ((x >>> 0) % 8);
    out[i] = v;
  }
  return out;
}

interface Row {
  data: string;
  filters: string;
  chunkBytes: number;
  level: number;
  who: string;
  encodeMBs: number;
  decodeMBs: number;
  ratio: number;
}

const rows: Row[] = [];
const MB = 1e6;

function runNdpack(name: string, array: NDArray, filters: FilterName[], chunkBytes: number, level: number, backend: "wasm" | "js"): Row {
  const raw = array.data.byteLength;
  let bytes = encode({ a: array }, { compress: "lz4", filters, chunkBytes, level, backend });
  const back = (decode(bytes, { backend }) as { a: NDArray }).a;
  const a = new Uint8Array(array.data.buffer, array.data.byteOffset, raw);
  const b = new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength);
  if (!Buffer.from(a).equals(Buffer.from(b))) throw new Error(`${name} ${filters} ${backend}: round trip differs`);
  const reps = backend === "js" ? Math.max(3, Math.ceil(REPS / 2)) : REPS;
  const enc = time(() => {
    bytes = encode({ a: array }, { compress: "lz4", filters, chunkBytes, level, backend });
  }, reps);
  const dec = time(() => {
    decode(bytes, { backend });
  }, reps);
  return { data: name, filters: filters.join("+"), chunkBytes, level, who: `ndpack ${backend}`, encodeMBs: raw / enc / MB, decodeMBs: raw / dec / MB, ratio: bytes.length / raw };
}

/**
 * The segment pipeline alone (encodeSegment's pieces copied into one preallocated buffer;
 * decodeChunks into one preallocated array): what encode()/decode() cost without allocating
 * fresh output memory, whose first-touch page faults cost about 0.1 s per 136 MB on this VM.
 */
function runPipeline(name: string, array: NDArray, filters: FilterName[], chunkBytes: number, level: number, backend: "wasm" | "js"): Row {
  const kernels = getKernels(backend);
  const raw = array.data.byteLength;
  const src = { buffer: array.data.buffer, byteOffset: array.data.byteOffset, byteLength: raw, typesize: 4 };
  const stored = new Uint8Array(raw + 64);
  const out = new Uint8Array(raw);
  let seg = encodeSegment(src, { compress: "lz4", filters, chunkBytes, level, checksum: false, kernels });
  let pos = 0;
  const enc = time(() => {
    seg = encodeSegment(src, { compress: "lz4", filters, chunkBytes, level, checksum: false, kernels });
    pos = 0;
    for (const piece of seg.pieces) {
      stored.set(piece, pos);
      pos += piece.length;
    }
  }, REPS);
  const d = seg.descriptor;
  const dec = time(() => decodeChunks(d, (rel, length) => stored.subarray(rel, rel + length), out, kernels, true, 0), REPS);
  if (!Buffer.from(out).equals(Buffer.from(array.data.buffer, array.data.byteOffset, raw))) throw new Error(`${name} pipeline ${backend}: round trip differs`);
  return { data: name, filters: filters.join("+"), chunkBytes, level, who: `ndpack ${backend} pipeline`, encodeMBs: raw / enc / MB, decodeMBs: raw / dec / MB, ratio: pos / raw };
}

/** A blosc child (bench/lz4_blosc.py) that runs one compress or decompress per request. */
class Blosc {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(file: string, typesize: number, mode: string, clevel: number) {
    this.#child = spawn("/usr/bin/python3", [BLOSC_SCRIPT, file, String(typesize), mode, String(clevel)]);
    this.#child.stderr.pipe(process.stderr);
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  /** The first line: sizes and version, once the child has checked its round trip. */
  async info(): Promise<{ stored: number; raw: number; blosc: string }> {
    return JSON.parse(await this.#line()) as { stored: number; raw: number; blosc: string };
  }

  /** Seconds of one compress ("enc") or decompress ("dec"), as the child measured it. */
  async run(op: "enc" | "dec"): Promise<number> {
    this.#child.stdin.write(op + "\n");
    return Number(await this.#line());
  }

  close(): void {
    this.#child.stdin.end();
  }

  async #line(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("blosc child exited early (is python3-blosc installed?)");
    return value;
  }
}

/**
 * ndpack wasm `encode()`/`decode()` and blosc, their runs alternating: a warm-up, then `REPS`
 * rounds of (encode, decode, blosc encode, blosc decode); medians of each.
 */
async function runWithBlosc(name: string, array: NDArray, filters: FilterName[], chunkBytes: number, level: number, file: string, typesize: number, mode: string): Promise<[Row, Row]> {
  const raw = array.data.byteLength;
  let bytes = encode({ a: array }, { compress: "lz4", filters, chunkBytes, level, backend: "wasm" });
  const back = (decode(bytes, { backend: "wasm" }) as { a: NDArray }).a;
  if (!Buffer.from(array.data.buffer, array.data.byteOffset, raw).equals(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength))) {
    throw new Error(`${name} ${filters} wasm: round trip differs`);
  }
  const blosc = new Blosc(file, typesize, mode, level);
  try {
    const info = await blosc.info();
    const t = { enc: [] as number[], dec: [] as number[], benc: [] as number[], bdec: [] as number[] };
    for (let i = 0; i <= REPS; i++) {
      let start = performance.now();
      bytes = encode({ a: array }, { compress: "lz4", filters, chunkBytes, level, backend: "wasm" });
      const enc = (performance.now() - start) / 1000;
      start = performance.now();
      decode(bytes, { backend: "wasm" });
      const dec = (performance.now() - start) / 1000;
      const benc = await blosc.run("enc");
      const bdec = await blosc.run("dec");
      if (i === 0) continue; // warm-up
      t.enc.push(enc);
      t.dec.push(dec);
      t.benc.push(benc);
      t.bdec.push(bdec);
    }
    const w: Row = { data: name, filters: filters.join("+"), chunkBytes, level, who: "ndpack wasm", encodeMBs: raw / median(t.enc) / MB, decodeMBs: raw / median(t.dec) / MB, ratio: bytes.length / raw };
    const b: Row = { data: name, filters: mode, chunkBytes: 0, level, who: `blosc ${info.blosc}`, encodeMBs: info.raw / median(t.benc) / MB, decodeMBs: info.raw / median(t.bdec) / MB, ratio: info.stored / info.raw };
    return [w, b];
  } finally {
    blosc.close();
  }
}

function print(r: Row): void {
  rows.push(r);
  const chunk = r.chunkBytes ? `${r.chunkBytes / 1024} KiB` : "-";
  console.log(`| ${r.data} | ${r.filters} | ${r.level} | ${chunk} | ${r.who} | ${r.encodeMBs.toFixed(0)} | ${r.decodeMBs.toFixed(0)} | ${(r.ratio * 100).toFixed(2)} % |`);
}

/** The wasm shuffle kernel on data already in its memory, GB/s; and Kernels.shuffle end to end. */
function shuffleKernel(data: Uint8Array): void {
  const text = atob(WASM_BASE64);
  const bin = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bin[i] = text.charCodeAt(i);
  const core = new WebAssembly.Instance(new WebAssembly.Module(bin), {}).exports as unknown as {
    memory: WebAssembly.Memory;
    _initialize(): void;
    arenaPtr(): number;
    ensureArena(n: number): number;
    shuffle(s: number, d: number, n: number, t: number): number;
    unshuffle(s: number, d: number, n: number, t: number): number;
  };
  core._initialize();
  for (const piece of [256 * 1024, 4 * 1024 * 1024]) {
    const base = core.arenaPtr();
    core.ensureArena(2 * piece);
    new Uint8Array(core.memory.buffer).set(data.subarray(0, piece), base);
    const passes = Math.ceil((512 * 1024 * 1024) / piece);
    for (const k of ["shuffle", "unshuffle"] as const) {
      const s = time(() => {
        for (let i = 0; i < passes; i++) core[k](base, base + piece, piece, 4);
      }, REPS);
      console.log(`wasm ${k} kernel, typesize 4, ${piece / 1024} KiB in wasm memory: ${((passes * piece) / s / 1e9).toFixed(2)} GB/s`);
    }
  }
  const k = getKernels("wasm");
  const dst = new Uint8Array(data.length);
  const s = time(() => k.shuffle(data, dst, 4), REPS);
  const back = new Uint8Array(data.length);
  const u = time(() => k.unshuffle(dst, back, 4), REPS);
  console.log(`Kernels.shuffle / unshuffle (wasm) end to end over ${(data.length / MB).toFixed(1)} MB (copy in and out): ${(data.length / s / 1e9).toFixed(2)} / ${(data.length / u / 1e9).toFixed(2)} GB/s`);
}

async function main(): Promise<void> {
  console.log(`# ndpack lz4 bench: Node ${process.version}, ${cpus()[0]?.model ?? "?"} x ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, reps ${REPS}`);
  const dir = mkdtempSync(join(tmpdir(), "ndpack-bench-lz4-"));
  try {
    const sets: Array<{ name: string; array: NDArray; typesize: number; configs: Array<{ filters: FilterName[]; blosc: string }> }> = [];
    if (ONLY !== "ids") {
      if (!existsSync(GLOVE)) throw new Error(`GloVe matrix not found at ${GLOVE} (raw float32, 341479 x 100); pass --glove FILE`);
      const buf = readFileSync(GLOVE);
      const f32 = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      sets.push({ name: "GloVe f32", array: new NDArray(f32, [f32.length / 100, 100]), typesize: 4, configs: [{ filters: ["shuffle"], blosc: "shuffle" }, { filters: ["bitshuffle"], blosc: "bitshuffle" }] });
    }
    if (ONLY !== "glove") {
      const ids = sortedIds(10_000_000);
      sets.push({ name: "10M sorted int32", array: new NDArray(ids, [ids.length]), typesize: 4, configs: [{ filters: ["shuffle"], blosc: "shuffle" }, { filters: ["delta", "shuffle"], blosc: "" }, { filters: ["bitshuffle"], blosc: "bitshuffle" }] });
    }
    console.log("| data | filters | level | chunk | who | encode MB/s | decode MB/s | stored/raw |\n| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const set of sets) {
      const file = join(dir, "data.bin");
      writeFileSync(file, new Uint8Array(set.array.data.buffer, set.array.data.byteOffset, set.array.data.byteLength));
      for (const c of set.configs) {
        for (const level of LEVELS) for (const chunk of CHUNKS) {
          const withBlosc = WITH_BLOSC && c.blosc && chunk === CHUNKS[0];
          const [w, b] = withBlosc
            ? await runWithBlosc(set.name, set.array, c.filters, chunk, level, file, set.typesize, c.blosc)
            : [runNdpack(set.name, set.array, c.filters, chunk, level, "wasm"), undefined];
          print(w);
          const p = runPipeline(set.name, set.array, c.filters, chunk, level, "wasm");
          print(p);
          if (b) {
            print(b);
            console.log(`|  | same-run ratio wasm encode()/decode() / blosc |  |  |  | ${(w.encodeMBs / b.encodeMBs).toFixed(2)} | ${(w.decodeMBs / b.decodeMBs).toFixed(2)} |  |`);
            console.log(`|  | same-run ratio wasm pipeline / blosc |  |  |  | ${(p.encodeMBs / b.encodeMBs).toFixed(2)} | ${(p.decodeMBs / b.decodeMBs).toFixed(2)} |  |`);
          }
          if (WITH_JS && chunk === CHUNKS[0]) {
            const j = runNdpack(set.name, set.array, c.filters, chunk, level, "js");
            print(j);
            console.log(`|  | same-run ratio wasm / js |  |  |  | ${(w.encodeMBs / j.encodeMBs).toFixed(2)} | ${(w.decodeMBs / j.decodeMBs).toFixed(2)} |  |`);
          }
        }
      }
    }
    const first = sets[0]!.array.data;
    shuffleKernel(new Uint8Array(first.buffer, first.byteOffset, Math.min(first.byteLength, 64 * 1024 * 1024)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
