/**
 * The Python peers: one `/usr/bin/python3` process per dataset runs `bench/python/peers.py` on
 * the same array bytes (a `.npy` written by the harness). Skipped with a visible reason when
 * Python or its Debian packages (python3-numpy, -joblib, -blosc, -gensim) are missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { npyEncode } from "./npy.js";
import type { Cell, Dataset, Timing } from "./types.js";

/** Peer names, in table order. */
export const PY_PEERS = [
  "np.save",
  "np.load mmap",
  "joblib",
  "joblib lz4",
  "blosc lz4+shuffle 1t",
  "blosc lz4+shuffle 2t",
  "blosc lz4+bitshuffle 1t",
  "gensim mmap",
] as const;

const PYTHON = "/usr/bin/python3";

/** Where peers.py lives (the source tree; the compiled harness is in dist/bench). */
export function peersScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, "python", "peers.py"), join(here, "..", "..", "bench", "python", "peers.py")]) if (existsSync(p)) return p;
  return join(here, "python", "peers.py");
}

/** Versions reported by the last run, for the header. */
export const pythonVersions: Record<string, string | null> = {};

interface PyResult {
  name: string;
  mode?: "file" | "bytes";
  reason?: string;
  bytes?: number;
  verified?: true | string;
  encode?: Timing;
  decode?: Timing;
  note?: string;
}

/** Runs `peers` on `ds`; one cell each (a reason when Python cannot run them). */
export function runPython(
  ds: Dataset,
  peers: string[],
  files: { npy: Record<string, string>; words?: string },
  o: { tmpDir: string; budgetMs: number; minRuns: number; maxRuns: number },
): Cell[] {
  const base = (name: string): Cell => ({ dataset: ds.name, contestant: `py ${name}`, group: "python", version: "", mode: "file", rawBytes: ds.rawBytes });
  const all = (reason: string) => peers.map((p) => ({ ...base(p), reason }));
  if (!existsSync(PYTHON)) return all(`${PYTHON} not found: Python peers skipped`);
  const arrays = Object.values(files.npy);
  if (arrays.length !== 1) return all(arrays.length ? "the Python peers take one array per dataset" : "not an array dataset");
  const args = [peersScript(), "--npy", arrays[0]!, "--tmp", o.tmpDir, "--peers", peers.join(","), "--budget-ms", String(o.budgetMs), "--min-runs", String(o.minRuns), "--max-runs", String(o.maxRuns)];
  if (files.words) args.push("--words", files.words);
  const r = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 64 << 20, timeout: 15 * 60_000 });
  if (r.status !== 0) return all(`python3 exited with ${r.status ?? r.signal}: ${(r.stderr || "").trim().split("\n").pop()?.slice(0, 160)}`);
  let parsed: { error?: string; versions?: Record<string, string | null>; results?: PyResult[] };
  try {
    parsed = JSON.parse(r.stdout.trim().split("\n").pop()!);
  } catch {
    return all(`python3 printed no JSON: ${r.stdout.slice(0, 120)}`);
  }
  Object.assign(pythonVersions, parsed.versions ?? {});
  if (parsed.error) return all(parsed.error);
  const v = parsed.versions ?? {};
  const versionOf = (name: string) => {
    const lib = name.startsWith("np") ? "numpy" : name.split(" ")[0]!;
    return `${lib} ${v[lib] ?? "?"}`;
  };
  return (parsed.results ?? []).map((p) => ({
    ...base(p.name),
    version: versionOf(p.name),
    mode: p.mode ?? "file",
    reason: p.reason,
    bytes: p.bytes,
    verified: p.verified,
    encode: p.encode,
    decode: p.decode,
    note: p.note,
  }));
}

/** Writes the dataset's arrays as `.npy` (and its words as JSON) for Python; returns the paths. */
export function exportForPython(ds: Dataset, dir: string): { npy: Record<string, string>; words?: string } {
  const npy: Record<string, string> = {};
  for (const [k, a] of Object.entries(ds.tensors ?? {})) {
    const p = join(dir, `${ds.name}.${k}.py.npy`);
    if (!existsSync(p)) writeFileSync(p, npyEncode(a));
    npy[k] = p;
  }
  let words: string | undefined;
  if (ds.words) {
    words = join(dir, `${ds.name}.words.json`);
    if (!existsSync(words)) writeFileSync(words, JSON.stringify(ds.words));
  }
  return { npy, words };
}
