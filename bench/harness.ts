/**
 * Measures one contestant on one dataset: checks support, runs encode and decode once and
 * verifies the result, then times each with tinybench. Every failure becomes the cell's reason.
 */
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Bench } from "tinybench";
import type { Cell, Contestant, Dataset, Timing } from "./types.js";

/** How many runs and how long. */
export interface TimingOptions {
  /** Target time per operation, ms: runs = budget / first run, clamped. */
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
  /** Collect garbage before each timed run of a dataset over this many bytes (needs --expose-gc). */
  gcAboveBytes: number;
  /** Folder for file-mode contestants' files. */
  tmpDir: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** A short reason from an error: its NdpackError code when it has one, and its first line. */
export function reasonOf(e: unknown, stage: string): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e).split("\n")[0]!.slice(0, 160);
  return `${stage} failed: ${err?.code && typeof err.code === "string" ? err.code + " " : ""}${msg}`;
}

function stats(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const med = (xs: number[]) => (xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2);
  const m = med(s);
  return { medianMs: m, minMs: s[0]!, maxMs: s[s.length - 1]!, madMs: med(s.map((x) => Math.abs(x - m)).sort((a, b) => a - b)), runs: s.length };
}

async function time(name: string, fn: () => void, firstMs: number, o: TimingOptions, big: boolean): Promise<Timing> {
  // Slow operations (over a second) get 3 runs, so one slow contestant does not own the run.
  const min = firstMs <= 1000 ? o.minRuns : firstMs <= 5000 ? Math.min(3, o.minRuns) : 2;
  const runs = Math.max(min, Math.min(o.maxRuns, Math.floor(o.budgetMs / Math.max(firstMs, 0.001))));
  const bench = new Bench({
    name,
    iterations: runs,
    time: 0,
    warmup: firstMs < 20,
    warmupIterations: Math.min(runs, 5),
    warmupTime: 0,
    retainSamples: true,
    throws: true,
  });
  bench.add(name, fn, big && gc ? { beforeEach: () => gc() } : {});
  await bench.run();
  const r = bench.tasks[0]!.result as { state: string; latency?: { samples?: number[] }; error?: Error };
  if (r.state !== "completed" || !r.latency?.samples) throw r.error ?? new Error(`tinybench: ${r.state}`);
  return stats([...r.latency.samples]);
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

/** The result cell of `c` on `ds`. */
export async function measure(c: Contestant, ds: Dataset, o: TimingOptions): Promise<Cell> {
  const cell: Cell = { dataset: ds.name, contestant: c.name, group: c.group, version: c.version, mode: c.mode, rawBytes: ds.rawBytes, note: c.note };
  let support: true | string;
  try {
    support = c.supports(ds);
  } catch (e) {
    support = reasonOf(e, "supports");
  }
  if (support !== true) return { ...cell, reason: support };
  const big = ds.rawBytes > o.gcAboveBytes;
  gc?.();
  const path = join(o.tmpDir, `${ds.name}.${c.name.replace(/[^a-z0-9.+-]+/gi, "_")}.bin`);
  let stage = "encode";
  try {
    if (c.mode === "bytes") {
      // Keep a copy: some encoders (msgpackr) return a view of a buffer they reuse.
      const [first, encMs] = timed(() => c.encode!(ds));
      const bytes = first.slice();
      cell.bytes = bytes.length;
      stage = "decode";
      gc?.();
      const [out, decMs] = timed(() => c.decode!(bytes, ds));
      stage = "verify";
      cell.verified = c.verify(ds, out);
      stage = "timing encode";
      cell.encode = await time(`${c.name} encode`, () => void c.encode!(ds), encMs, o, big);
      stage = "timing decode";
      cell.decode = await time(`${c.name} decode`, () => void c.decode!(bytes, ds), decMs, o, big);
    } else {
      const [, encMs] = timed(() => c.dump!(ds, path));
      cell.bytes = statSync(path).size;
      stage = "load";
      gc?.();
      const [out, decMs] = timed(() => c.load!(path, ds));
      stage = "verify";
      cell.verified = c.verify(ds, out);
      stage = "timing dump";
      cell.encode = await time(`${c.name} dump`, () => c.dump!(ds, path), encMs, o, big);
      stage = "timing load";
      cell.decode = await time(`${c.name} load`, () => void c.load!(path, ds), decMs, o, big);
    }
  } catch (e) {
    cell.reason = reasonOf(e, stage);
    delete cell.encode;
    delete cell.decode;
  } finally {
    rmSync(path, { force: true });
  }
  gc?.();
  return cell;
}
