/** A user's own file as a dataset, for `ndpack bench FILE`: `.ndpack`, `.npy` or `.json`. */
import { closeSync, readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { CorruptError, ioError, NdpackError } from "../src/errors.js";
import { openRead } from "../src/io/fsutil.js";
import { loadNpy, loadSync, NDArray } from "../src/index.js";
import { toPlain } from "./verify.js";
import type { Dataset } from "./types.js";

function viewBytes(v: unknown, seen = new Set<unknown>()): number {
  if (typeof v !== "object" || v === null || seen.has(v)) return 0;
  seen.add(v);
  if (v instanceof NDArray) return v.data.byteLength;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  let n = 0;
  for (const x of v instanceof Map ? v.values() : Array.isArray(v) ? v : Object.values(v)) n += viewBytes(x, seen);
  return n;
}

/** The value in a JSON file; errors are NdpackErrors like the other formats' (ERR_IO, ERR_CORRUPT). */
function readJson(path: string): unknown {
  const fd = openRead(path); // a regular file only: a FIFO or /dev/zero would never end
  let text: string;
  try {
    text = readFileSync(fd, "utf8");
  } catch (e) {
    throw ioError("cannot read", path, e);
  } finally {
    closeSync(fd);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CorruptError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads `path` into a dataset. Arrays of an NDArray or an object of NDArrays become `tensors`. */
export function datasetFromFile(path: string): Dataset {
  const ext = extname(path).toLowerCase();
  let value: unknown;
  if (ext === ".npy") value = loadNpy(path);
  else if (ext === ".json") value = readJson(path);
  else if (ext === ".ndpack") value = loadSync(path);
  else throw new NdpackError("ERR_INVALID_ARGUMENT", `${path}: expected a .ndpack, .npy or .json file`);
  let tensors: Record<string, NDArray> | undefined;
  if (value instanceof NDArray) tensors = { array: value };
  else if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).length && Object.values(value).every((x) => x instanceof NDArray)) {
    tensors = value as Record<string, NDArray>;
  }
  const arrays = viewBytes(value);
  const rest = value instanceof NDArray ? 0 : Buffer.byteLength(JSON.stringify(value, (_k, x: unknown) => (ArrayBuffer.isView(x) || x instanceof NDArray ? undefined : typeof x === "bigint" ? String(x) : x instanceof Map ? [...x] : x)) ?? "");
  return {
    name: basename(path),
    description: `${path} (${(statSync(path).size / 1e6).toFixed(1)} MB on disk)`,
    value,
    plain: toPlain(value),
    tensors,
    rawBytes: arrays + rest,
  };
}
