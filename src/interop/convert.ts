/**
 * `convert`: one file format to another, through the in-memory value that `load` would return.
 *
 * Every format maps to one shape of ndpack graph (the value at the root of an `.ndpack` file):
 *
 * | format | extension | graph |
 * | --- | --- | --- |
 * | `npy` | `.npy` | the NDArray itself (an `.ndpack` root may also be a typed array: a 1-D array) |
 * | `npz` | `.npz` | a plain object of NDArrays, keys = member names without `.npy` |
 * | `safetensors` | `.safetensors` | a plain object of NDArrays, keys = tensor names, plus `__metadata__` (string -> string) when the file has metadata |
 * | `word2vec` | `.bin` | `{ words: string[], vectors: NDArray float32 [count, dim] }` (binary word2vec) |
 * | `word2vec-text` | `.vec`, `.txt` | the same (text word2vec: a `count dim` header line) |
 * | `glove` | `.glove.txt`, `.txt` | the same (GloVe text: no header line) |
 * | `ndpack` | `.ndpack` | any value; checked against the other side's shape |
 *
 * - An input `.txt` is sniffed: when its first line is two non-negative integers (`count dim`)
 *   it is word2vec text, otherwise GloVe. An output `.txt` is word2vec text (what gensim's
 *   `load_word2vec_format` reads); name it `.glove.txt` or pass `formatOut: "glove"` for GloVe.
 *   A GloVe file whose first line is an integer word with a 1-dimensional integer vector would
 *   be taken for word2vec: pass `formatIn: "glove"`.
 * - Exporting word vectors ignores keys other than `words` and `vectors` (e.g. `meta`).
 * - `.npz` has no place for safetensors metadata: `__metadata__` is dropped when writing `.npz`.
 * - Between two foreign formats the graph shapes must agree (an `.npy` array cannot become a
 *   word2vec file); between a foreign format and `.ndpack` any `.ndpack` whose root has the
 *   right shape works, and any other root is refused naming what was found.
 * - Outputs are written atomically (temporary file renamed over the target), so converting a
 *   file onto itself is safe.
 */
import { closeSync, readSync, statSync } from "node:fs";
import { segmentOptions } from "../api.js";
import { checkOptions, ioError, NdpackError, shownValue, type OptionNames } from "../errors.js";
import { loadSync, dumpSync } from "../io/file.js";
import { checkPath, openRead } from "../io/fsutil.js";
import { DTYPES, isTypedArray, NDArray, type TypedArray } from "../ndarray.js";
import type { Progress } from "../segment/container.js";
import type { FilterName } from "../segment/pipeline.js";
import { loadNpy, saveNpy } from "./npy.js";
import { loadNpz, saveNpz } from "./npz.js";
import { loadSafetensors, saveSafetensors } from "./safetensors.js";
import { readGlove, readWord2vec, writeGlove, writeWord2vec, type WordVectors } from "./word2vec.js";

/** The formats `convert` reads and writes. */
export const CONVERT_FORMATS = ["ndpack", "npy", "npz", "safetensors", "word2vec", "word2vec-text", "glove"] as const;

/** A format `convert` reads and writes; see {@link CONVERT_FORMATS}. */
export type ConvertFormat = (typeof CONVERT_FORMATS)[number];

/** The names of {@link ConvertOptions}. */
const CONVERT_OPTIONS = {
  formatIn: true,
  formatOut: true,
  compress: true,
  filters: true,
  chunkBytes: true,
  level: true,
  onProgress: true,
} as const satisfies OptionNames<ConvertOptions>;

/** Key of a safetensors graph that holds the file's `__metadata__` (string -> string). */
export const SAFETENSORS_METADATA_KEY = "__metadata__";

/** Options of {@link convert}. */
export interface ConvertOptions {
  /** Format of the input, instead of the one its extension says. */
  formatIn?: ConvertFormat;
  /** Format of the output, instead of the one its extension says. */
  formatOut?: ConvertFormat;
  /**
   * `.ndpack` output: the codec, `"none"` (default) or `"lz4"`. `.npz` output: `"none"`
   * (default, like `np.savez`) or `"deflate"` (like `np.savez_compressed`). Other outputs
   * take no compression.
   */
  compress?: string;
  /** `.ndpack` output only: filters applied to each chunk before the codec. */
  filters?: FilterName[];
  /** `.ndpack` output only: raw bytes per chunk (default 524288). */
  chunkBytes?: number;
  /** `.ndpack` output only: compression level, 1 (fastest) to 9 (smallest, the default), as blosc's clevel. */
  level?: number;
  /**
   * Called with bytes of array data done and in all while an `.ndpack` input is loaded and
   * again while an `.ndpack` output is written (foreign readers and writers do not report).
   */
  onProgress?: (p: Progress) => void;
}

/** What {@link convert} did. */
export interface ConvertInfo {
  /** Format read. */
  formatIn: ConvertFormat;
  /** Format written. */
  formatOut: ConvertFormat;
  /** The file written. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
}

type Shape = "array" | "arrays" | "words";

const SHAPES: Record<Exclude<ConvertFormat, "ndpack">, Shape> = {
  npy: "array",
  npz: "arrays",
  safetensors: "arrays",
  word2vec: "words",
  "word2vec-text": "words",
  glove: "words",
};

const SHAPE_NAMES: Record<Shape, string> = {
  array: "one NDArray",
  arrays: "a plain object of NDArrays",
  words: "{ words: string[], vectors: NDArray float32 [count, dim] }",
};

const EXTENSIONS: [string, ConvertFormat][] = [
  [".ndpack", "ndpack"],
  [".npy", "npy"],
  [".npz", "npz"],
  [".safetensors", "safetensors"],
  [".bin", "word2vec"],
  [".vec", "word2vec-text"],
  [".glove.txt", "glove"],
  [".txt", "word2vec-text"],
];

/**
 * The format of `path` from its name (see the table in this module's documentation). An
 * input `.txt` needs its first line to tell word2vec text from GloVe: this returns
 * `"word2vec-text"` for it, {@link convert} sniffs.
 *
 * @param path a file name
 * @returns the format
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for an extension that names no known format
 * @example
 * formatFromPath("model.safetensors"); // "safetensors"
 */
export function formatFromPath(path: string): ConvertFormat {
  const lower = path.toLowerCase();
  for (const [ext, format] of EXTENSIONS) if (lower.endsWith(ext)) return format;
  throw new NdpackError(
    "ERR_INVALID_ARGUMENT",
    `cannot tell the format of ${JSON.stringify(path)} from its extension; known: ${EXTENSIONS.map(([e]) => e).join(", ")} ` +
      `(or give the format with formatIn/formatOut, --format-in/--format-out: ${CONVERT_FORMATS.join(", ")})`,
  );
}

function checkFormat(format: string, which: string): ConvertFormat {
  if (!(CONVERT_FORMATS as readonly string[]).includes(format)) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${which}: unknown format ${shownValue(format)}; known: ${CONVERT_FORMATS.join(", ")}`);
  }
  return format as ConvertFormat;
}

/** word2vec text when the first line is `count dim`, GloVe otherwise. */
function sniffText(path: string): ConvertFormat {
  const fd = openRead(path);
  let n: number;
  const head = new Uint8Array(256);
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    throw ioError("cannot read", path, err);
  } finally {
    closeSync(fd);
  }
  const text = new TextDecoder().decode(head.subarray(0, n));
  const nl = text.indexOf("\n");
  const first = nl < 0 ? text : text.slice(0, nl);
  return /^\s*\d+\s+\d+\s*$/.test(first) ? "word2vec-text" : "glove";
}

/**
 * Converts the file `inPath` to `outPath`, each in the format its extension names (or
 * `formatIn`/`formatOut`), through the value an `.ndpack` file of it would hold: see this
 * module's documentation for the graph of each format. The output is written atomically.
 *
 * @param inPath file to read
 * @param outPath file to write (replaced if it exists)
 * @param options formats, `.ndpack` encoding (`compress`, `filters`, `chunkBytes`, `level`), `onProgress`
 * @returns the formats used, the file written and its size
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for an unknown extension or format name, or an
 *   encoding option the output format does not take; `ERR_UNSUPPORTED_FORMAT` for two formats
 *   whose graphs differ, or an `.ndpack` whose root does not fit the output (the message says
 *   what was found); `ERR_IO` for a missing input or a refused write; whatever the reader
 *   or writer of either format throws (`ERR_CORRUPT`, `ERR_TRUNCATED`, ...). Nothing is
 *   written on error.
 * @example
 * await convert("vectors.bin", "vectors.ndpack", { compress: "lz4", filters: ["shuffle"] });
 * await convert("model.safetensors", "model.npz");
 */
export async function convert(inPath: string, outPath: string, options: ConvertOptions = {}): Promise<ConvertInfo> {
  checkOptions(options, "convert", CONVERT_OPTIONS, ["chunkBytes"]);
  checkPath(inPath);
  checkPath(outPath);
  const formatOut = options.formatOut === undefined ? formatFromPath(outPath) : checkFormat(options.formatOut, "formatOut");
  let formatIn = options.formatIn === undefined ? formatFromPath(inPath) : checkFormat(options.formatIn, "formatIn");
  checkEncodeOptions(formatOut, options);
  checkPair(formatIn, formatOut);
  if (options.formatIn === undefined && formatIn === "word2vec-text" && inPath.toLowerCase().endsWith(".txt")) formatIn = sniffText(inPath);
  const value = await read(inPath, formatIn, options);
  await write(outPath, formatOut, value, options, formatIn);
  return { formatIn, formatOut, path: outPath, bytes: statSync(outPath).size };
}

function checkEncodeOptions(formatOut: ConvertFormat, o: ConvertOptions): void {
  if (formatOut === "ndpack") {
    segmentOptions({ compress: o.compress, filters: o.filters, chunkBytes: o.chunkBytes, level: o.level });
    return;
  }
  const only = (what: string) => new NdpackError("ERR_INVALID_ARGUMENT", `${what} applies to .ndpack output only, not to ${formatOut}`);
  if (o.filters !== undefined && !(Array.isArray(o.filters) && o.filters.length === 0)) throw only("filters");
  if (o.chunkBytes !== undefined) throw only("chunkBytes");
  if (o.level !== undefined) throw only("level");
  if (o.compress === undefined || o.compress === "none") return;
  if (formatOut === "npz") {
    if (o.compress !== "deflate") throw new NdpackError("ERR_INVALID_ARGUMENT", `npz output: compress must be "none" or "deflate", got ${shownValue(o.compress)}`);
    return;
  }
  throw new NdpackError("ERR_INVALID_ARGUMENT", `compress applies to .ndpack (none, lz4) and .npz (none, deflate) output only, not to ${formatOut}`);
}

function checkPair(formatIn: ConvertFormat, formatOut: ConvertFormat): void {
  if (formatIn === "ndpack" || formatOut === "ndpack") return;
  const a = SHAPES[formatIn];
  const b = SHAPES[formatOut];
  if (a !== b) {
    throw new NdpackError(
      "ERR_UNSUPPORTED_FORMAT",
      `cannot convert ${formatIn} to ${formatOut}: ${formatIn} holds ${SHAPE_NAMES[a]}, ${formatOut} holds ${SHAPE_NAMES[b]}`,
    );
  }
}

async function read(path: string, format: ConvertFormat, o: ConvertOptions): Promise<unknown> {
  switch (format) {
    case "ndpack":
      return loadSync(path, { mmap: true, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    case "npy":
      return loadNpy(path, { mmap: true });
    case "npz":
      return toGraph(loadNpz(path));
    case "safetensors": {
      const { tensors, metadata } = loadSafetensors(path, { mmap: true });
      const graph = toGraph(tensors);
      if (Object.keys(metadata).length > 0) graph[SAFETENSORS_METADATA_KEY] = { ...metadata };
      return graph;
    }
    case "word2vec":
      return readWord2vec(path, { binary: true });
    case "word2vec-text":
      return readWord2vec(path, { binary: false });
    case "glove":
      return readGlove(path);
  }
}

/** A plain object with the same entries, `__proto__` kept as an own key. */
function toGraph(arrays: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(arrays)) {
    Object.defineProperty(out, key, { value: arrays[key], writable: true, enumerable: true, configurable: true });
  }
  return out;
}

async function write(path: string, format: ConvertFormat, value: unknown, o: ConvertOptions, formatIn: ConvertFormat): Promise<void> {
  const from = formatIn === "ndpack" ? "the .ndpack root" : `the ${formatIn} input`;
  switch (format) {
    case "ndpack":
      dumpSync(value, path, {
        compress: o.compress ?? "none",
        filters: o.filters ?? [],
        ...(o.chunkBytes === undefined ? {} : { chunkBytes: o.chunkBytes }),
        ...(o.level === undefined ? {} : { level: o.level }),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      return;
    case "npy":
      return saveNpy(path, asArray(value) ?? refuse(value, from, "npy", "array"));
    case "npz": {
      const { tensors } = asArrays(value, from, "npz");
      return saveNpz(path, tensors, { compress: o.compress === "deflate" });
    }
    case "safetensors": {
      const { tensors, metadata } = asArrays(value, from, "safetensors");
      return saveSafetensors(path, tensors, metadata);
    }
    case "word2vec":
    case "word2vec-text":
    case "glove": {
      const wv = asWords(value, from, format);
      return format === "glove" ? writeGlove(path, wv) : writeWord2vec(path, wv, { binary: format === "word2vec" });
    }
  }
}

function refuse(value: unknown, from: string, format: ConvertFormat, shape: Shape): never {
  throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `cannot write ${format} from ${describe(value)} (${from}); ${format} takes ${SHAPE_NAMES[shape]}`);
}

function isNDArrayLike(v: unknown): v is NDArray {
  if (v instanceof NDArray) return true;
  const a = v as NDArray | null;
  return typeof a === "object" && a !== null && ArrayBuffer.isView(a.data) && Array.isArray(a.shape) && typeof a.dtype === "string" && Object.hasOwn(DTYPES, a.dtype);
}

/** The NDArray a value stands for (a typed array is a 1-D array), or undefined. */
function asArray(v: unknown): NDArray | undefined {
  if (isNDArrayLike(v)) return v;
  if (isTypedArray(v)) return new NDArray(v as TypedArray);
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function asArrays(v: unknown, from: string, format: "npz" | "safetensors"): { tensors: Record<string, NDArray>; metadata?: Record<string, string> } {
  if (!isPlainObject(v) || isNDArrayLike(v)) refuse(v, from, format, "arrays");
  const tensors: Record<string, NDArray> = {};
  let metadata: Record<string, string> | undefined;
  for (const key of Object.keys(v)) {
    const item = v[key];
    if (key === SAFETENSORS_METADATA_KEY && !isNDArrayLike(item) && !isTypedArray(item)) {
      if (!isPlainObject(item) || !Object.values(item).every((s) => typeof s === "string")) {
        throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `cannot write ${format}: key ${SAFETENSORS_METADATA_KEY} of ${from} holds ${describe(item)}, expected a plain object of strings`);
      }
      metadata = { ...(item as Record<string, string>) };
      continue;
    }
    const arr = asArray(item);
    if (!arr) {
      throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `cannot write ${format}: key ${JSON.stringify(key)} of ${from} holds ${describe(item)}; ${format} takes ${SHAPE_NAMES.arrays}`);
    }
    Object.defineProperty(tensors, key, { value: arr, writable: true, enumerable: true, configurable: true });
  }
  return format === "safetensors" && metadata ? { tensors, metadata } : { tensors };
}

function asWords(v: unknown, from: string, format: ConvertFormat): WordVectors {
  const o = v as Partial<WordVectors> | null;
  if (!isPlainObject(o) || !Array.isArray(o.words) || !isNDArrayLike(o.vectors)) refuse(v, from, format, "words");
  return { words: o.words!, vectors: o.vectors as NDArray<Float32Array> };
}

/** A short description of a value for error messages: `a plain object with keys a, b`. */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (isNDArrayLike(v)) return `an NDArray ${v.dtype} [${v.shape.join(", ")}]`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (v instanceof ArrayBuffer) return `an ArrayBuffer of ${v.byteLength} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length} items`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return "an empty plain object";
    const shown = keys.slice(0, 5).map((k) => JSON.stringify(k)).join(", ");
    return `a plain object with ${keys.length === 1 ? "key" : "keys"} ${shown}${keys.length > 5 ? `, ... (${keys.length} keys)` : ""}`;
  }
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `a ${typeof v}`;
}
