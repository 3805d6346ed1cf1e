/**
 * The suite: runs contestants over datasets and writes the report. Used by `bench/run.ts`
 * (`npm run bench`) and by `ndpack bench FILE` (src/cli/bench.ts).
 */
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backend } from "../src/index.js";
import { CONTESTANTS } from "./competitors/index.js";
import { measure, reasonOf, type TimingOptions } from "./harness.js";
import { exportForPython, PY_PEERS, pythonVersions, runPython } from "./python.js";
import { chartSpec, markdownTable, renderSvg } from "./report.js";
import type { Cell, Contestant, Dataset } from "./types.js";

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  quick: boolean;
  /** Contestant names (exact or substring, case-insensitive); empty for all. */
  contestants: string[];
  python: boolean;
  memory: boolean;
  timing: Omit<TimingOptions, "tmpDir">;
  log: (s: string) => void;
  /** For `ndpack bench FILE`: children rebuild the dataset from this file. */
  file?: string;
}

/** What a run produced. */
export interface SuiteResult {
  header: Record<string, unknown>;
  datasets: { name: string; description: string; rawBytes: number; cells: Cell[] }[];
}

/** The Python peers of `--quick`. */
const QUICK_PY_PEERS: string[] = ["np.save", "np.load mmap", "joblib", "blosc lz4+shuffle 1t", "gensim mmap"];

/** Timing settings of the full run and of `--quick`. */
export const TIMING = {
  full: { budgetMs: 1500, minRuns: 5, maxRuns: 30, gcAboveBytes: 16e6 },
  quick: { budgetMs: 100, minRuns: 2, maxRuns: 5, gcAboveBytes: Infinity },
};

function wanted(name: string, filters: string[]): boolean {
  return !filters.length || filters.some((f) => name.toLowerCase() === f.toLowerCase() || name.toLowerCase().includes(f.toLowerCase()));
}

/** Loads every contestant's library; a missing one gets its reason. */
export async function initContestants(log: (s: string) => void): Promise<Map<Contestant, string | true>> {
  const ready = new Map<Contestant, string | true>();
  for (const c of CONTESTANTS) {
    try {
      await c.init();
      ready.set(c, true);
    } catch (e) {
      ready.set(c, (e as Error).message);
      log(`  ${c.name}: ${(e as Error).message}`);
    }
  }
  return ready;
}

function childScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "child.js");
}

async function peak(job: object): Promise<{ peakBytes?: number; bound?: boolean; error?: string }> {
  return new Promise((resolve) => {
    const child = fork(childScript(), [JSON.stringify(job)], {
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      // A fixed glibc mmap threshold: large buffers get fresh pages and are returned when freed,
      // instead of reusing heap memory an earlier step touched (which would hide them from RSS).
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "131072" },
    });
    let got: { peakBytes?: number; bound?: boolean; error?: string } | undefined;
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("message", (m) => (got = m as typeof got));
    child.on("exit", (code) => resolve(got ?? { error: `child exited ${code}: ${err.trim().split("\n").pop()}` }));
  });
}

async function memoryOf(c: Contestant, ds: Dataset, cell: Cell, o: SuiteOptions, cacheDir: string): Promise<void> {
  const path = join(cacheDir, `mem.${c.name.replace(/[^a-z0-9.+-]+/gi, "_")}.bin`);
  try {
    if (c.mode === "bytes") writeFileSync(path, c.encode!(ds));
    else c.dump!(ds, path);
    const job = { dataset: ds.name, file: o.file, contestant: c.name, quick: o.quick, cacheDir, path };
    const e = await peak({ ...job, op: "encode" });
    if (c.mode === "file") c.dump!(ds, path);
    const d = await peak({ ...job, op: "decode" });
    if (e.error || d.error) cell.note = `${cell.note ? cell.note + "; " : ""}peak memory: ${e.error ?? d.error}`;
    cell.peakEncodeBytes = e.peakBytes;
    cell.peakDecodeBytes = d.peakBytes;
    cell.peakIsBound = !!(e.bound || d.bound);
  } catch (err) {
    cell.note = `${cell.note ? cell.note + "; " : ""}peak memory: ${reasonOf(err, "measure")}`;
  } finally {
    rmSync(path, { force: true });
  }
}

/** The header line's facts. */
export function header(o: SuiteOptions, versions: Record<string, string>): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus()[0]?.model ?? "?",
    cores: availableParallelism(),
    memoryGB: +(totalmem() / 2 ** 30).toFixed(1),
    loadAverage: loadavg().map((x) => +x.toFixed(2)),
    ndpackBackend: backend(),
    quick: o.quick,
    versions,
    python: pythonVersions,
  };
}

/** Runs the suite over `datasets` (built lazily, one at a time, to bound memory). */
export async function runSuite(datasets: (() => Dataset)[], o: SuiteOptions): Promise<SuiteResult> {
  const tmpDir = mkdtempSync(join(tmpdir(), "ndpack-bench-"));
  const cacheDir = join(tmpDir, "cache");
  mkdirSync(cacheDir);
  const timing: TimingOptions = { ...o.timing, tmpDir };
  const ready = await initContestants(o.log);
  const contestants = CONTESTANTS.filter((c) => wanted(c.name, o.contestants));
  const peers = PY_PEERS.filter((p) => wanted(`py ${p}`, o.contestants) && (!o.quick || QUICK_PY_PEERS.includes(p)));
  const versions: Record<string, string> = {};
  for (const c of contestants) versions[c.name] = c.version;
  const result: SuiteResult = { header: header(o, versions), datasets: [] };
  try {
    for (const build of datasets) {
      const t0 = performance.now();
      const ds = build();
      o.log(`\n${ds.name}: ${ds.description} (${(ds.rawBytes / 1e6).toFixed(1)} MB; built in ${(performance.now() - t0).toFixed(0)} ms)`);
      const cells: Cell[] = [];
      for (const c of contestants) {
        const r = ready.get(c);
        const t1 = performance.now();
        const cell = r === true ? await measure(c, ds, timing) : { dataset: ds.name, contestant: c.name, group: c.group, version: c.version, mode: c.mode, rawBytes: ds.rawBytes, reason: r ?? "not initialised" };
        if (o.memory && !cell.reason) await memoryOf(c, ds, cell, o, cacheDir);
        cells.push(cell);
        o.log(`  ${c.name.padEnd(28)} ${cell.reason ? "— " + cell.reason : `enc ${cell.encode!.medianMs.toFixed(2)} ms, dec ${cell.decode!.medianMs.toFixed(2)} ms, ${(cell.bytes! / 1e6).toFixed(2)} MB${cell.verified === true ? "" : ", NOT VERIFIED: " + cell.verified}`} [${((performance.now() - t1) / 1000).toFixed(1)} s]`);
      }
      if (o.python && peers.length) {
        const t1 = performance.now();
        const files = ds.tensors ? exportForPython(ds, cacheDir) : { npy: {} };
        const pyCells = runPython(ds, [...peers], files, { ...o.timing, tmpDir });
        for (const cell of pyCells) {
          cells.push(cell);
          o.log(`  ${cell.contestant.padEnd(28)} ${cell.reason ? "— " + cell.reason : `enc ${cell.encode!.medianMs.toFixed(2)} ms, dec ${cell.decode!.medianMs.toFixed(2)} ms, ${(cell.bytes! / 1e6).toFixed(2)} MB`}`);
        }
        o.log(`  (python: ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
      } else if (!o.python) {
        cells.push(...peers.map((p): Cell => ({ dataset: ds.name, contestant: `py ${p}`, group: "python", version: "", mode: "file", rawBytes: ds.rawBytes, reason: "Python peers skipped (--no-python)" })));
      }
      result.datasets.push({ name: ds.name, description: ds.description, rawBytes: ds.rawBytes, cells });
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(pythonVersions)) if (v) versions[`python ${k}`] = v;
  return result;
}

/** The header as one Markdown line. */
export function headerLine(h: SuiteResult["header"]): string {
  const v = h.versions as Record<string, string>;
  const versions = Object.entries(v)
    .filter(([k]) => !k.startsWith("ndpack ") || k === "ndpack raw")
    .map(([k, x]) => `${k} ${x}`)
    .join(", ");
  return `Node ${h.node} (V8 ${h.v8}), ${h.cpu}, ${h.cores} cores, ${h.memoryGB} GB, load average ${(h.loadAverage as number[]).join(" / ")} at start, ndpack kernels: ${h.ndpackBackend}${h.quick ? ", --quick sizes" : ""}. Versions: ${versions}.`;
}

/** Markdown of all tables (no summary). */
export function markdown(r: SuiteResult, memory: boolean): string {
  return [headerLine(r.header), "", ...r.datasets.map((d) => markdownTable(d.name, d.description, d.cells, memory))].join("\n");
}

/** Writes one SVG per dataset into `dir`; returns the file names (or why charts were skipped). */
export async function writeCharts(r: SuiteResult, dir: string, log: (s: string) => void): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const d of r.datasets) {
    try {
      const svg = await renderSvg(chartSpec(d.name, d.cells));
      const f = `${d.name}.svg`;
      writeFileSync(join(dir, f), svg);
      files.push(f);
    } catch (e) {
      const missing = (e as { code?: string }).code === "ERR_MODULE_NOT_FOUND";
      log(`charts skipped: ${reasonOf(e, "render")}${missing ? " (the devDependencies vega and vega-lite render them: npm install)" : ""}`);
      break;
    }
  }
  return files;
}
