/**
 * Hugging Face safetensors, read and written.
 *
 * Spec (huggingface/safetensors, README "Format" and `safetensors/src/tensor.rs`): an 8-byte
 * little-endian u64 `N`, then `N` bytes of UTF-8 JSON (padded with spaces), then the data
 * region. The JSON maps each tensor name to `{ "dtype", "shape", "data_offsets": [begin, end] }`
 * (offsets relative to the data region) plus an optional `"__metadata__"` of string -> string.
 * All data is little-endian and C order.
 *
 * Validation follows the reference reader: `N` at most 100,000,000 and within the file; the
 * tensors, sorted by offset, tile the data region exactly (each begins where the previous one
 * ended, no overlap, no hole, the last one ends at the end of the file); each tensor's byte
 * length equals product(shape) x itemsize.
 */
import * as fs from "node:fs";
import { checkOptions, NdpackError, TruncatedError, CorruptError, LimitError, namingFile, type OptionNames } from "../errors.js";
import { DTYPES, NDArray, type DType, type TypedArray } from "../ndarray.js";
import { mapRange } from "../io/mmap.js";
import { allocate, assertNDArray, byteChunks, checkedProduct, dataBytes, fromLittleEndian, setOwn } from "./common.js";
import { atomicWriteSync, fileSize, openRead, readExactSync, writeAll } from "../io/fsutil.js";

/** Largest JSON header accepted, in bytes (the reference's `MAX_HEADER_SIZE`). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtype names and the ndpack dtype of each. F8 and complex types are refused. */
export const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = {
  F64: "float64", F32: "float32", F16: "float16", BF16: "bfloat16",
  I64: "int64", I32: "int32", I16: "int16", I8: "int8",
  U64: "uint64", U32: "uint32", U16: "uint16", U8: "uint8", BOOL: "bool",
};
const TO_ST: Record<DType, string> = Object.fromEntries(
  Object.entries(SAFETENSORS_DTYPES).map(([k, v]) => [v, k]),
) as Record<DType, string>;

/** What a safetensors file holds. */
export interface Safetensors {
  /** Tensors by name, each C order, little-endian. */
  tensors: Record<string, NDArray>;
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes and validates the JSON header.
 * @param json the header bytes
 * @param dataBytes bytes of the data region (file size - 8 - N)
 */
function parseHeader(json: Uint8Array, dataBytes: number): { entries: Entry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch (err) {
    throw new CorruptError("safetensors: header is not valid UTF-8", { offset: 8, cause: err });
  }
  if (!text.startsWith("{")) throw new CorruptError(`safetensors: header must start with '{', found ${JSON.stringify(text.slice(0, 20))}`, { offset: 8 });
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new CorruptError(`safetensors: header is not valid JSON (${(err as Error).message})`, { offset: 8, cause: err });
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new CorruptError("safetensors: header is not a JSON object", { offset: 8 });
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(obj as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new CorruptError("safetensors: __metadata__ is not an object", { offset: 8 });
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== "string") throw new CorruptError(`safetensors: __metadata__[${JSON.stringify(k)}] is not a string`, { offset: 8 });
        setOwn(metadata, k, s);
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== "object" || t === null) throw new CorruptError(`safetensors: tensor ${JSON.stringify(name)} is not an object`, { offset: 8 });
    if (typeof t.dtype !== "string") throw new CorruptError(`safetensors: tensor ${JSON.stringify(name)} has no dtype`, { offset: 8 });
    const dtype = Object.hasOwn(SAFETENSORS_DTYPES, t.dtype) ? SAFETENSORS_DTYPES[t.dtype] : undefined;
    if (dtype === undefined) {
      throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `safetensors: tensor ${JSON.stringify(name)} has dtype ${t.dtype}, not one of ${Object.keys(SAFETENSORS_DTYPES).join(" ")}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CorruptError(`safetensors: tensor ${JSON.stringify(name)}: shape is not an array of non-negative integers`, { offset: 8 });
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CorruptError(`safetensors: tensor ${JSON.stringify(name)}: data_offsets is not [begin, end]`, { offset: 8 });
    }
    entries.push({ name, dtype, shape: t.shape as number[], begin: off[0] as number, end: off[1] as number });
  }
  // As the reference: sorted by offsets, the tensors must tile [0, dataBytes) exactly.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) {
      throw new CorruptError(
        `safetensors: tensor ${JSON.stringify(e.name)} begins at data offset ${e.begin}, expected ${at} (${e.begin < at ? "overlap" : "hole"})`,
        { offset: 8 },
      );
    }
    if (e.end < e.begin) throw new CorruptError(`safetensors: tensor ${JSON.stringify(e.name)} ends at ${e.end}, before its begin ${e.begin}`, { offset: 8 });
    const n = checkedProduct(e.shape, `safetensors tensor ${JSON.stringify(e.name)}`);
    const bytes = n * DTYPES[e.dtype].itemsize;
    if (bytes !== e.end - e.begin) {
      throw new CorruptError(
        `safetensors: tensor ${JSON.stringify(e.name)}: shape [${e.shape.join(", ")}] of ${TO_ST[e.dtype]} needs ${bytes} bytes, data_offsets span ${e.end - e.begin}`,
        { offset: 8 },
      );
    }
    at = e.end;
  }
  if (at > dataBytes) {
    throw new TruncatedError(`safetensors: tensors end at data offset ${at}, the data region holds ${dataBytes} bytes`, { offset: dataBytes });
  }
  if (at !== dataBytes) {
    throw new CorruptError(`safetensors: tensors end at data offset ${at}, the data region holds ${dataBytes} bytes (trailing bytes)`, { offset: 8 + at });
  }
  return { entries, metadata };
}

function headerSize(first8: Uint8Array, total: number): number {
  if (first8.length < 8) throw new TruncatedError(`safetensors: expected an 8-byte header size, got ${first8.length} bytes`, { offset: first8.length });
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  if (n > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new LimitError(`safetensors: header declares ${n} bytes, the limit is ${SAFETENSORS_MAX_HEADER_BYTES}`, { offset: 0 });
  }
  if (8 + n > total) throw new TruncatedError(`safetensors: header declares ${n} bytes, ${total - 8} remain after the size`, { offset: total });
  return n;
}

/**
 * Reads a safetensors file held in memory.
 *
 * @param bytes the whole file
 * @returns tensors (fresh arrays that own their memory, never aliasing `bytes`) and metadata
 * @throws TruncatedError (`ERR_TRUNCATED`) when the file ends before its header or data
 * @throws NdpackError `ERR_CORRUPT` for bad JSON, overlapping, out-of-order or holed offsets,
 *   or byte lengths that disagree with shapes; `ERR_LIMIT` for a header over 100 MB;
 *   `ERR_UNSUPPORTED_FORMAT` for dtypes such as F8_E4M3
 * @example
 * const { tensors, metadata } = readSafetensors(fs.readFileSync("model.safetensors"));
 */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  const n = headerSize(bytes.subarray(0, 8), bytes.length);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart);
  const tensors: Record<string, NDArray> = {};
  for (const e of entries) {
    const data = fromLittleEndian(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, (e.end - e.begin) / DTYPES[e.dtype].itemsize, false);
    setOwn(tensors, e.name, new NDArray(data, e.shape, e.dtype));
  }
  return { tensors, metadata };
}

/** Layout of a file to write: header bytes and the tensors in data order. */
function layout(tensors: Record<string, NDArray>, metadata: Record<string, string> | undefined): { header: Uint8Array; order: NDArray[] } {
  if (typeof tensors !== "object" || tensors === null) throw new NdpackError("ERR_INVALID_ARGUMENT", "safetensors: tensors must be an object of NDArrays");
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === "__metadata__") throw new NdpackError("ERR_INVALID_ARGUMENT", "safetensors: a tensor cannot be named __metadata__");
    if (/\p{Cs}/u.test(name)) throw new NdpackError("ERR_INVALID_ARGUMENT", `safetensors: tensor name ${JSON.stringify(name)} holds a lone UTF-16 surrogate (no UTF-8 form)`);
    assertNDArray(tensors[name], `safetensors tensor ${JSON.stringify(name)}`);
  }
  // Largest itemsize first, then by name (as the reference writer), so every tensor starts
  // aligned to its itemsize (the data region itself starts on a multiple of 8).
  names.sort((a, b) => DTYPES[tensors[b]!.dtype].itemsize - DTYPES[tensors[a]!.dtype].itemsize || (a < b ? -1 : a > b ? 1 : 0));
  const head: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null) throw new NdpackError("ERR_INVALID_ARGUMENT", "safetensors: metadata must be an object of strings");
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new NdpackError("ERR_INVALID_ARGUMENT", `safetensors: metadata[${JSON.stringify(k)}] is a ${typeof v}, not a string`);
      if (/\p{Cs}/u.test(k + v)) throw new NdpackError("ERR_INVALID_ARGUMENT", `safetensors: metadata[${JSON.stringify(k)}] holds a lone UTF-16 surrogate (no UTF-8 form)`);
    }
    if (Object.keys(metadata).length > 0) head["__metadata__"] = metadata;
  }
  let at = 0;
  const order: NDArray[] = [];
  for (const name of names) {
    const t = tensors[name]!;
    setOwn(head, name, { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [at, at + t.data.byteLength] });
    at += t.data.byteLength;
    order.push(t);
  }
  const json = new TextEncoder().encode(JSON.stringify(head));
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setUint32(0, padded, true);
  header.set(json, 8);
  return { header, order };
}

/**
 * Encodes tensors as a safetensors file: JSON header padded with spaces to a multiple of 8,
 * tensors ordered by itemsize (largest first) then name, so each is aligned.
 *
 * @param tensors NDArrays by name (any dtype)
 * @param metadata optional `__metadata__`, string -> string
 * @returns a new buffer holding the whole file
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for a non-NDArray, a name `__metadata__`, a
 *   non-string metadata value, or a lone UTF-16 surrogate in a name or metadata; `ERR_LIMIT` when the file would exceed the largest buffer
 * @example
 * const bytes = writeSafetensors({ w: new NDArray(new Float32Array(6), [2, 3]) }, { format: "pt" });
 */
export function writeSafetensors(tensors: Record<string, NDArray>, metadata?: Record<string, string>): Uint8Array {
  const { header, order } = layout(tensors, metadata);
  const total = header.length + order.reduce((s, t) => s + t.data.byteLength, 0);
  let out: Uint8Array;
  try {
    out = new Uint8Array(total);
  } catch (err) {
    throw new LimitError(`safetensors: cannot allocate ${total} bytes`, { cause: err });
  }
  out.set(header, 0);
  let at = header.length;
  for (const t of order) {
    out.set(dataBytes(t), at);
    at += t.data.byteLength;
  }
  return out;
}

let headScratch: Uint8Array | undefined;

/** Options of {@link loadSafetensors}. */
export interface LoadSafetensorsOptions {
  /** Memory-map the data region when the mmap addon is available. Default false. */
  mmap?: boolean;
}

/**
 * Loads a safetensors file.
 *
 * With `{ mmap: true }` the data region is mapped copy-on-write; each tensor whose offset is a
 * multiple of its itemsize (all of them in files from the reference writer or ndpack) views the
 * mapping, the others are copied. Without it (or when mapping is unavailable, or the data
 * region cannot be mapped: over 4 GiB, or over 2 GiB without koffi; see `LoadOptions.mmap`),
 * each tensor is read straight into its own array.
 *
 * @param path file to read
 * @param options `mmap` (default false)
 * @returns tensors and metadata
 * @throws NdpackError `ERR_IO` when the file cannot be read; otherwise as {@link readSafetensors}
 * @example
 * const { tensors } = loadSafetensors("model.safetensors", { mmap: true });
 */
export function loadSafetensors(path: string, options: LoadSafetensorsOptions = {}): Safetensors {
  checkOptions(options, "loadSafetensors", { mmap: true } satisfies OptionNames<LoadSafetensorsOptions>);
  const fd = openRead(path);
  try {
    const total = fileSize(fd, path);
    const first8 = new Uint8Array(Math.min(8, total));
    readExactSync(fd, first8, 0, first8.length, 0, path);
    const n = headerSize(first8, total);
    // Headers up to 64 KiB reuse one buffer (see loadNpy: fresh buffers next to large mappings
    // trigger garbage collections); parseHeader keeps no reference to it.
    if (n <= 65536) headScratch ??= new Uint8Array(65536);
    const json = n <= 65536 ? headScratch!.subarray(0, n) : new Uint8Array(n);
    readExactSync(fd, json, 0, n, 8, path);
    const dataStart = 8 + n;
    const dataLen = total - dataStart;
    const { entries, metadata } = parseHeader(json, dataLen);
    const region = options.mmap ? (mapRange(fd, dataStart, dataLen)?.bytes ?? null) : null;
    const tensors: Record<string, NDArray> = {};
    for (const e of entries) {
      const length = (e.end - e.begin) / DTYPES[e.dtype].itemsize;
      let data: TypedArray;
      if (region) {
        data = fromLittleEndian(region.subarray(e.begin, e.end), e.dtype, length, true);
      } else {
        // Read each tensor straight into its own array (in pieces of at most 1 GiB).
        data = allocate(e.dtype, length);
        let at = dataStart + e.begin;
        for (const piece of byteChunks(data)) {
          readExactSync(fd, piece, 0, piece.length, at, path);
          at += piece.length;
        }
      }
      setOwn(tensors, e.name, new NDArray(data, e.shape, e.dtype));
    }
    return { tensors, metadata };
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Saves tensors as a safetensors file, atomically (temp file in the same folder, renamed over
 * `path`, removed on error).
 *
 * @param path destination
 * @param tensors NDArrays by name
 * @param metadata optional `__metadata__`, string -> string
 * @throws NdpackError `ERR_IO` when the system refuses; otherwise as {@link writeSafetensors}
 * @example
 * saveSafetensors("model.safetensors", { w: weights }, { format: "pt" });
 */
export function saveSafetensors(path: string, tensors: Record<string, NDArray>, metadata?: Record<string, string>): void {
  const { header, order } = layout(tensors, metadata);
  atomicWriteSync(
    path,
    (fd) => {
      writeAll(fd, header, path);
      for (const t of order) for (const piece of byteChunks(t.data)) writeAll(fd, piece, path);
    },
    { preallocate: header.length + order.reduce((s, t) => s + t.data.byteLength, 0) },
  );
}
