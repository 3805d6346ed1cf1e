/**
 * What a second thread could buy the lz4 + shuffle chunk pipeline (issue #3's speed bars), on
 * the GloVe matrix (raw float32 from `--glove FILE`, default /tmp/lead/glove.f32), 512 KiB
 * chunks, wasm kernels, at `--level` (default 5, blosc's and zarr's default clevel). A probe,
 * not a feature: ndpack has no threads yet ("chunk work spread over worker threads" is a later
 * step of docs' design).
 *
 * Rows, each a median of `--reps` runs after a warm-up, interleaved in one process:
 * - **encode, 1 thread**: `encodeChunk` over every chunk, each stored chunk copied into one
 *   preallocated output (as `encode()` fills its buffer);
 * - **encode, 1 thread beside a busy worker**: the same while a worker thread compresses other
 *   data all along: what the other core's load costs this one (the two vCPUs here share the
 *   host's memory system);
 * - **encode, 2 threads**: the main thread and one worker take alternate chunks. A worker
 *   cannot read the caller's (non-shared) array nor write the caller's output, so its chunk
 *   goes through a SharedArrayBuffer both ways: the main thread copies it in, the worker
 *   encodes and copies the stored bytes back, the main thread copies them into the output;
 * - **decode** the same three ways into one preallocated output: the worker decodes into the
 *   SharedArrayBuffer and the main thread copies the raw bytes into the output.
 *
 * Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/threads.js [--reps 9] [--level 5]
 */
import { readFileSync } from "node:fs";
import { isMainThread, Worker, workerData } from "node:worker_threads";
import { lz4AccelerationOf } from "../src/codecs/lz4.js";
import { CODEC_IDS, FILTER_IDS } from "../src/format.js";
import { getKernels } from "../src/kernels/index.js";
import type { EncodedChunk } from "../src/kernels/types.js";

const CHUNK = 512 * 1024;
const FILTERS = [FILTER_IDS.shuffle];
const CODEC = CODEC_IDS["lz4-split"];
const k = getKernels("wasm");

// Control words of the shared block: [0] request (0 idle, 1 encode, 2 decode, 3 spin, 9 quit),
// [1] input bytes, [2] stored or raw bytes, [3] flags, [4] checksum, [5] acceleration, [6] done.
const CTL_BYTES = 64;

function workerMain(): void {
  const { sab } = workerData as { sab: SharedArrayBuffer };
  const ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
  const input = new Uint8Array(sab, CTL_BYTES, CHUNK);
  const output = new Uint8Array(sab, CTL_BYTES + CHUNK, CHUNK);
  const busy = new Uint8Array(CHUNK * 64);
  for (let i = 0; i < busy.length; i += 4) busy.set([i * 7, i >> 9, 3, 64], i);
  for (;;) {
    Atomics.wait(ctl, 0, 0);
    const op = Atomics.load(ctl, 0);
    if (op === 9) return;
    if (op === 3) {
      // Spin on other data until told to stop.
      for (let c = 0; Atomics.load(ctl, 0) === 3; c = (c + 1) % 64) k.encodeChunk(busy.subarray(c * CHUNK, (c + 1) * CHUNK), FILTERS, 4, CODEC, ctl[5]);
      Atomics.store(ctl, 6, 1);
      Atomics.notify(ctl, 6);
      continue;
    }
    if (op === 1) {
      const r = k.encodeChunk(input.subarray(0, ctl[1]), FILTERS, 4, CODEC, ctl[5]);
      output.set(r.stored);
      ctl[2] = r.stored.length;
      ctl[3] = r.flags;
      ctl[4] = r.checksum;
    } else {
      k.decodeChunk(input.subarray(0, ctl[1]), output.subarray(0, ctl[2]), FILTERS, 4, CODEC, ctl[3], ctl[4]);
    }
    Atomics.store(ctl, 0, 0);
    Atomics.store(ctl, 6, 1);
    Atomics.notify(ctl, 6);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
  const reps = Number(arg("--reps", "9"));
  const level = Number(arg("--level", "5"));
  const accel = lz4AccelerationOf(level);
  const data = new Uint8Array(readFileSync(arg("--glove", "/tmp/lead/glove.f32")));
  const n = Math.ceil(data.length / CHUNK);
  const chunk = (c: number) => data.subarray(c * CHUNK, Math.min(data.length, (c + 1) * CHUNK));

  const sab = new SharedArrayBuffer(CTL_BYTES + 2 * CHUNK);
  const ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
  const win = new Uint8Array(sab, CTL_BYTES, CHUNK);
  const wout = new Uint8Array(sab, CTL_BYTES + CHUNK, CHUNK);
  const worker = new Worker(new URL(import.meta.url), { workerData: { sab } });
  const request = (op: number) => {
    ctl[6] = 0;
    Atomics.store(ctl, 0, op);
    Atomics.notify(ctl, 0);
  };

  const out = new Uint8Array(data.length + n * 64);
  const stored: EncodedChunk[] = [];
  const raw = new Uint8Array(data.length);

  const encode1 = () => {
    let pos = 0;
    for (let c = 0; c < n; c++) {
      const r = k.encodeChunk(chunk(c), FILTERS, 4, CODEC, accel);
      out.set(r.stored, pos);
      pos += r.stored.length;
    }
    return pos;
  };
  const encode2 = () => {
    let pos = 0;
    for (let c = 0; c < n; c += 2) {
      const other = c + 1 < n;
      if (other) {
        const src = chunk(c + 1);
        win.set(src);
        ctl[1] = src.length;
        ctl[5] = accel;
        request(1);
      }
      const r = k.encodeChunk(chunk(c), FILTERS, 4, CODEC, accel);
      out.set(r.stored, pos);
      pos += r.stored.length;
      if (other) {
        Atomics.wait(ctl, 6, 0);
        out.set(wout.subarray(0, ctl[2]), pos);
        pos += ctl[2]!;
      }
    }
    return pos;
  };
  // The chunk table the decoders read: each chunk's stored bytes (in `out`), flags and checksum.
  let pos = 0;
  for (let c = 0; c < n; c++) {
    const r = k.encodeChunk(chunk(c), FILTERS, 4, CODEC, accel);
    out.set(r.stored, pos);
    stored.push({ stored: out.subarray(pos, pos + r.stored.length), flags: r.flags, checksum: r.checksum });
    pos += r.stored.length;
  }
  const decode1 = () => {
    for (let c = 0; c < n; c++) {
      const s = stored[c]!;
      k.decodeChunk(s.stored, raw.subarray(c * CHUNK, c * CHUNK + chunk(c).length), FILTERS, 4, CODEC, s.flags, s.checksum);
    }
  };
  const decode2 = () => {
    for (let c = 0; c < n; c += 2) {
      const other = c + 1 < n;
      if (other) {
        const s = stored[c + 1]!;
        win.set(s.stored);
        ctl[1] = s.stored.length;
        ctl[2] = chunk(c + 1).length;
        ctl[3] = s.flags;
        ctl[4] = s.checksum;
        request(2);
      }
      const s = stored[c]!;
      k.decodeChunk(s.stored, raw.subarray(c * CHUNK, c * CHUNK + chunk(c).length), FILTERS, 4, CODEC, s.flags, s.checksum);
      if (other) {
        Atomics.wait(ctl, 6, 0);
        raw.set(wout.subarray(0, ctl[2]), (c + 1) * CHUNK);
      }
    }
  };

  // The three encoders must agree on the bytes, and decoding must give the input back.
  const size = encode1();
  const one = out.slice(0, size);
  if (encode2() !== size || !Buffer.from(out.subarray(0, size)).equals(one)) throw new Error("2-thread encode differs");
  decode2();
  if (!Buffer.from(raw).equals(data)) throw new Error("2-thread decode differs");

  // [name, run, with the worker spinning on other data meanwhile]
  const rows: [string, () => unknown, boolean][] = [
    ["encode, 1 thread", encode1, false],
    ["encode, 1 thread beside a busy worker", encode1, true],
    ["encode, 2 threads", encode2, false],
    ["decode, 1 thread", decode1, false],
    ["decode, 1 thread beside a busy worker", decode1, true],
    ["decode, 2 threads", decode2, false],
  ];
  const ms: number[][] = rows.map(() => []);
  for (let r = -1; r < reps; r++) {
    for (const [i, [, fn, busy]] of rows.entries()) {
      (globalThis as { gc?: () => void }).gc?.();
      if (busy) {
        ctl[5] = accel;
        request(3);
      }
      const t = performance.now();
      fn();
      if (r >= 0) ms[i]!.push(performance.now() - t);
      if (busy) {
        Atomics.store(ctl, 0, 0); // stop spinning; the worker says when it is idle
        Atomics.wait(ctl, 6, 0);
      }
    }
  }
  console.log(`GloVe ${(data.length / 1e6).toFixed(1)} MB, lz4 + shuffle, level ${level}, 512 KiB chunks, wasm; median of ${reps}, output buffers preallocated`);
  console.log("| | ms | MB/s |\n| --- | ---: | ---: |");
  for (const [i, [name]] of rows.entries()) {
    const m = ms[i]!.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
    console.log(`| ${name} | ${m.toFixed(1)} | ${Math.round(data.length / 1e3 / m)} |`);
  }
  request(9);
  await worker.terminate();
}

if (isMainThread) await main();
else workerMain();
