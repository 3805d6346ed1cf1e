/**
 * Peak-memory runner: the parent forks this file once per operation. It rebuilds the dataset
 * (from the run's caches), notes its resident memory, runs one encode / decode / dump / load,
 * and reports the peak resident memory over that baseline.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { CONTESTANTS } from "./competitors/index.js";
import { datasetFromFile } from "./userdata.js";

interface Job {
  dataset: string;
  file?: string;
  contestant: string;
  op: "encode" | "decode";
  quick: boolean;
  cacheDir: string;
  path: string;
}

/** Peak resident memory since the last reset, bytes (VmHWM in /proc/self/status). */
function hwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const c = CONTESTANTS.find((x) => x.name === job.contestant);
  if (!c) throw new Error(`unknown contestant ${job.contestant}`);
  await c.init();
  // datasets.js (and the GloVe loader) exist only in a checkout: imported only when needed.
  const ds = job.file ? datasetFromFile(job.file) : (await import("./datasets.js")).buildDataset(job.dataset, { quick: job.quick, cacheDir: job.cacheDir });
  const input = job.op === "decode" && c.mode === "bytes" ? new Uint8Array(readFileSync(job.path)) : undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  // Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS, so the peak read
  // afterwards is this operation's alone. Elsewhere, maxRSS is the whole process's peak: when the
  // operation does not exceed what the child touched before, the figure is only an upper bound.
  let reset = false;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    reset = true;
  } catch {
    // not Linux, or not allowed
  }
  const rss0 = process.memoryUsage().rss;
  const max0 = process.resourceUsage().maxRSS * 1024;
  let keep: unknown;
  if (job.op === "encode") keep = c.mode === "bytes" ? c.encode!(ds) : c.dump!(ds, job.path);
  else keep = c.mode === "bytes" ? c.decode!(input!, ds) : c.load!(job.path, ds);
  const max1 = reset ? hwm() : process.resourceUsage().maxRSS * 1024;
  void keep;
  process.send!({ peakBytes: Math.max(0, max1 - rss0), bound: !reset && max1 <= max0 });
}

main().catch((e: Error) => {
  process.send!({ error: `${e.name}: ${e.message.split("\n")[0]}` });
});
