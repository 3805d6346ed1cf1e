/**
 * Peak-memory runner: the parent forks this file once per operation. It rebuilds the dataset
 * (from the run's caches), notes its resident memory, runs one encode / decode / dump / load,
 * and reports the peak resident memory over that baseline (process.resourceUsage().maxRSS).
 */
import { readFileSync } from "node:fs";
import { CONTESTANTS } from "./competitors/index.js";
import { buildDataset } from "./datasets.js";
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

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const c = CONTESTANTS.find((x) => x.name === job.contestant);
  if (!c) throw new Error(`unknown contestant ${job.contestant}`);
  await c.init();
  const ds = job.file ? datasetFromFile(job.file) : buildDataset(job.dataset, { quick: job.quick, cacheDir: job.cacheDir });
  const input = job.op === "decode" && c.mode === "bytes" ? new Uint8Array(readFileSync(job.path)) : undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rss0 = process.memoryUsage().rss;
  const max0 = process.resourceUsage().maxRSS * 1024;
  let keep: unknown;
  if (job.op === "encode") keep = c.mode === "bytes" ? c.encode!(ds) : c.dump!(ds, job.path);
  else keep = c.mode === "bytes" ? c.decode!(input!, ds) : c.load!(job.path, ds);
  const max1 = process.resourceUsage().maxRSS * 1024;
  void keep;
  process.send!({ peakBytes: Math.max(0, max1 - rss0), bound: max1 <= max0 });
}

main().catch((e: Error) => {
  process.send!({ error: `${e.name}: ${e.message.split("\n")[0]}` });
});
