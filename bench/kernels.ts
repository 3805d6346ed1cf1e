/**
 * Kernel throughput, both backends, on 136.6 MB of float32 (the size of GloVe 341,479 x 100),
 * processed in chunks as the segment layer does. Synthetic, seeded values: kernel speed does not
 * depend on the values. Buffers are reused; each figure is the median of several full passes
 * after one warm-up pass. Run: npm run build && node dist/bench/kernels.js [chunkBytes]
 */
import { cpus, loadavg } from "node:os";
import { getKernels, type Kernels } from "../src/kernels/index.js";

const ELEMENTS = 341_479 * 100;
const BYTES = ELEMENTS * 4;
const CHUNK_BYTES = Number(process.argv[2] ?? 4 * 1024 * 1024);

/** Seeded float32 values resembling embeddings (sum of uniforms, roughly normal, scale 0.4). */
function embeddingLikeFloats(count: number): Float32Array {
  const out = new Float32Array(count);
  let x = 12345;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < count; i++) out[i] = (next() + next() + next() - 1.5) * 0.4;
  return out;
}

/** Median wall time in seconds of `runs` calls of `pass`, after one warm-up call. */
function medianSeconds(pass: () => void, runs: number): number {
  pass();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    pass();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Calls `fn(srcChunk, dstChunk)` over the whole buffer, chunk by chunk. */
function chunked(src: Uint8Array, dst: Uint8Array, fn: (s: Uint8Array, d: Uint8Array) => void): () => void {
  return () => {
    for (let off = 0; off < src.length; off += CHUNK_BYTES) {
      const end = Math.min(src.length, off + CHUNK_BYTES);
      fn(src.subarray(off, end), dst.subarray(off, end));
    }
  };
}

function main(): void {
  const floats = embeddingLikeFloats(ELEMENTS);
  const src = new Uint8Array(floats.buffer);
  const dst = new Uint8Array(BYTES);
  const back = new Uint8Array(BYTES);
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`ndpack kernels: ${(BYTES / 1e6).toFixed(1)} MB float32 in ${CHUNK_BYTES}-byte chunks; node ${process.version}; ${cpus().length} x ${cpus()[0]?.model}; load ${load}`);
  const rows: Array<[string, string, number]> = [];
  const record = (backend: string, task: string, seconds: number): void => {
    rows.push([backend, task, BYTES / seconds / 1e9]);
    console.log(`${backend.padEnd(5)} ${task.padEnd(16)} ${(BYTES / seconds / 1e9).toFixed(2)} GB/s`);
  };
  record("-", "memcpy", medianSeconds(chunked(src, dst, (s, d) => d.set(s)), 9));
  for (const kernels of [getKernels("wasm"), getKernels("js")] as Kernels[]) {
    const runs = kernels.name === "wasm" ? 9 : 3;
    record(kernels.name, "shuffle 4", medianSeconds(chunked(src, dst, (s, d) => kernels.shuffle(s, d, 4)), runs));
    record(kernels.name, "unshuffle 4", medianSeconds(chunked(dst, back, (s, d) => kernels.unshuffle(s, d, 4)), runs));
    if (Buffer.compare(back, src) !== 0) throw new Error(`${kernels.name}: unshuffle(shuffle(x)) !== x`);
    record(kernels.name, "bitshuffle 4", medianSeconds(chunked(src, dst, (s, d) => kernels.bitshuffle(s, d, 4)), runs));
    record(kernels.name, "bitunshuffle 4", medianSeconds(chunked(dst, back, (s, d) => kernels.bitunshuffle(s, d, 4)), runs));
    if (Buffer.compare(back, src) !== 0) throw new Error(`${kernels.name}: bitunshuffle(bitshuffle(x)) !== x`);
    let hash = 0;
    record(kernels.name, "xxhash32", medianSeconds(chunked(src, dst, (s) => (hash ^= kernels.xxhash32(s))), runs));
    const half = new Uint16Array(ELEMENTS);
    record(kernels.name, "float32->float16", medianSeconds(() => kernels.float32ToFloat16(floats, half), runs));
    if (hash === 0.5) console.log(hash); // keep the hash live
  }
  console.log("\n| backend | kernel | GB/s |\n| --- | --- | --- |");
  for (const [backend, task, gbps] of rows) console.log(`| ${backend} | ${task} | ${gbps.toFixed(2)} |`);
}

main();
