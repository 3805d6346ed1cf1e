/** Helpers shared by the adapters. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { NDArray } from "../../src/index.js";
import type { Dataset } from "../types.js";
import { deepEqual, type EqualOptions } from "../verify.js";

const require = createRequire(import.meta.url);

/** The installed version of package `name` (walks up from its entry to its package.json). */
export function pkgVersion(name: string): string {
  try {
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      const p = join(dir, "package.json");
      if (existsSync(p)) {
        const j = JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string };
        if (j.name === name && j.version) return j.version;
      }
      dir = dirname(dir);
    }
  } catch {
    // not installed
  }
  return "?";
}

/** Imports an optional peer; the error says how to install it. */
export async function importPeer<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (e) {
    throw new Error(`${name} is not installed (npm install ${name}): ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Compares a decoded plain value (`{ dtype, shape, data }` in place of NDArrays) with the input. */
export function verifyPlain(ds: Dataset, out: unknown, o?: EqualOptions): true | string {
  return deepEqual(ds.plain, out, o);
}

/** The dataset's arrays as `{ name: NDArray }`, for array formats, or the reason there are none. */
export function tensorsOnly(ds: Dataset, allowWords: boolean): true | string {
  if (!ds.tensors) return "not an array dataset (nested objects, strings, Maps...)";
  if (ds.words && !allowWords) return "arrays only: the graph also holds a word list";
  return true;
}

/** Rebuilds `{ words?, tensors }` decoded by an array format into the dataset's value shape. */
export function verifyTensors(ds: Dataset, tensors: Record<string, NDArray>, words?: string[]): true | string {
  for (const [k, a] of Object.entries(ds.tensors ?? {})) {
    const r = deepEqual(a, tensors[k], {}, `$.${k}`);
    if (r !== true) return r;
  }
  if (ds.words) return deepEqual(ds.words, words, {}, "$.words");
  return true;
}
