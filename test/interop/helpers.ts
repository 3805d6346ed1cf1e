import { afterAll } from "vitest";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { isNdpackError, type ErrorCode } from "../../src/errors.js";
import type { NDArray } from "../../src/ndarray.js";

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");
export const PYTHON = "/usr/bin/python3";

/** SHA-256 of an array's elements in C order, little-endian (the host order). */
export function sha256(arr: NDArray): string {
  return createHash("sha256").update(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength)).digest("hex");
}

/** manifest.json with integers too large for a double kept as bigint. */
export function readManifest(file: string): Record<string, { dtype: string; shape: number[]; fortran_order: boolean; c_order_le_sha256: string; first: unknown[]; note: string }> {
  const text = fs.readFileSync(file, "utf8")
    .replace(/(?<=[[,\s])(-?\d{16,})(?=[\s,\]])/g, '"BIG:$1"')
    .replace(/(?<=[[,\s])(-?Infinity|NaN)(?=[\s,\]])/g, '"NUM:$1"');
  return JSON.parse(text, (_k, v) => {
    if (typeof v !== "string") return v;
    if (v.startsWith("BIG:")) return BigInt(v.slice(4));
    if (v.startsWith("NUM:")) return Number(v.slice(4));
    return v;
  });
}

/** Element `i` of an array as a JS value comparable with the manifest's `first`. */
export function element(arr: NDArray, i: number): unknown {
  const v = arr.data[i]!;
  if (arr.dtype === "bool") return v !== 0;
  if (arr.dtype === "float16") return halfToNumber(v as number);
  if (typeof v === "bigint") return v;
  return v;
}

export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

let pythonChecked: string | null | undefined;
/** Why python3 with numpy is unusable, or null. */
export function pythonProblem(): string | null {
  if (pythonChecked !== undefined) return pythonChecked;
  const r = spawnSync(PYTHON, ["-c", "import numpy"], { encoding: "utf8" });
  pythonChecked = r.status === 0 ? null : `${PYTHON} cannot import numpy (${(r.error?.message ?? r.stderr).trim()}); install it with: apt-get install -y python3-numpy python3-gensim`;
  return pythonChecked;
}

/** Runs an inline python script, failing loudly (never skipping) when python or numpy is missing. */
export function python(script: string, args: string[] = []): string {
  const problem = pythonProblem();
  if (problem) throw new Error(`round-trip tests need the real numpy: ${problem}`);
  const r = spawnSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test file. */
export function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "ndpack-interop-"));
  made.push(d);
  return d;
}

/** Calls `fn` and returns the error code it throws (fails if it returns or throws something else). */
export function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (err) {
    if (isNdpackError(err)) return err.code;
    throw new Error(`expected an NdpackError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected an error, none was thrown");
}

export async function codeOfAsync(fn: () => Promise<unknown>): Promise<ErrorCode> {
  try {
    await fn();
  } catch (err) {
    if (isNdpackError(err)) return err.code;
    throw new Error(`expected an NdpackError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected an error, none was thrown");
}

/** The manifest's `first` values, as the array holds them (bigint for 64-bit integers). */
export function firstValues(arr: NDArray, first: unknown[]): unknown[] {
  return first.map((v) => (typeof arr.data[0] === "bigint" && typeof v === "number" ? BigInt(v) : v));
}

/**
 * `count` mutated copies of `bytes`: each has `flips` bytes overwritten, at positions below
 * `range`, drawn from the LCG x -> x * 1103515245 + 12345 started at `seed` (the same cases
 * every run). `at` is the last position written.
 */
export function* mutations(bytes: Uint8Array, count: number, seed: number, flips = 1, range = bytes.length): Generator<{ bytes: Uint8Array; at: number }> {
  let x = seed;
  for (let t = 0; t < count; t++) {
    const m = bytes.slice();
    let at = 0;
    for (let k = 0; k < flips; k++) {
      x = (x * 1103515245 + 12345) >>> 0;
      at = x % range;
      m[at] = (x >>> 16) & 0xff;
    }
    yield { bytes: m, at };
  }
}

/** Runs `fn`: it may return, or throw an NdpackError, but nothing else. */
export function onlyNdpackErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!isNdpackError(err)) throw new Error(`expected an NdpackError, got ${String(err)}`, { cause: err });
  }
}
