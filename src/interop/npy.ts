/**
 * numpy's `.npy` format, versions 1.0, 2.0 and 3.0, read and written without running code.
 *
 * Spec: the docstring of numpy/lib/format.py ("A Simple File Format for NumPy Arrays"):
 * magic `\x93NUMPY`, major and minor version bytes, a little-endian header length (u16 for
 * 1.0, u32 for 2.0 and 3.0), then a Python-literal dict `{'descr': ..., 'fortran_order': ...,
 * 'shape': (...), }` (latin-1 for 1.0 and 2.0, UTF-8 for 3.0) padded with spaces and a `\n`
 * so that the data starts on a 64-byte boundary, then the raw elements.
 *
 * The header is parsed by a small literal parser (strings, integers, booleans, tuples, lists,
 * dicts); nothing is evaluated and nothing is ever unpickled: object arrays (`|O`) and
 * structured dtypes are refused with `ERR_UNSUPPORTED_FORMAT`.
 */
import * as fs from "node:fs";
import { checkOptions, NdpackError, TruncatedError, CorruptError, LimitError, isNdpackError, namingFile, type OptionNames } from "../errors.js";
import { DTYPES, NDArray, type DType } from "../ndarray.js";
import { mapRange } from "../io/mmap.js";
import {
  allocate, assertNDArray, byteChunks, checkedProduct, dataBytes, fortranToC, fromBigEndian, fromLittleEndian,
  swapInPlace,
} from "./common.js";
import { atomicWriteSync, fileSize, openRead, readExactSync, writeAll } from "../io/fsutil.js";

/** The 6 magic bytes every `.npy` file starts with: `\x93NUMPY`. */
export const NPY_MAGIC: Uint8Array = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);

/**
 * Largest header (the literal dict, in bytes) this reader accepts: 10000, numpy's own default
 * `max_header_size` for reading. Headers of plain numeric arrays are about 120 bytes even at
 * 32 dimensions; only structured dtypes (refused anyway) need more.
 */
export const NPY_MAX_HEADER_BYTES = 10000;

/** The decoded header of a `.npy` file. */
export interface NpyHeader {
  /** Format version as `[major, minor]`: `[1, 0]`, `[2, 0]` or `[3, 0]`. */
  version: [number, number];
  /** numpy's type string as written, e.g. `<f4`, `>i8`, `|b1`. */
  descr: string;
  /** The ndpack dtype holding those elements. */
  dtype: DType;
  /** True when the file stores the elements big-endian (they are swapped on read). */
  bigEndian: boolean;
  /** True when the file stores the elements in Fortran order (first axis fastest). */
  fortranOrder: boolean;
  /** Extents, in elements; `[]` for a 0-d array. */
  shape: number[];
  /** Number of elements (product of `shape`). */
  size: number;
  /** Byte offset of the first element from the start of the file. */
  dataOffset: number;
  /** Bytes of element data: `size * itemsize`. */
  dataBytes: number;
}

// ---------------------------------------------------------------------------------------------
// A tiny parser for the Python literals numpy writes in headers.

type PyValue = string | number | boolean | null | PyValue[] | PyDict;
interface PyDict {
  kind: "dict";
  entries: Map<string, PyValue>;
}

const MAX_DEPTH = 16;

class LiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new CorruptError(`npy header: ${what} at character ${this.i} of ${JSON.stringify(this.s.slice(0, 200))}`);
  }

  private ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i]!)) this.i++;
  }

  parseAll(): PyValue {
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.fail("unexpected text after the header dict");
    return v;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`literals nested deeper than ${MAX_DEPTH}`);
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail("unexpected end");
    if (c === "{") return this.dict(depth);
    if (c === "(") return this.seq(depth, ")");
    if (c === "[") return this.seq(depth, "]");
    if (c === "'" || c === '"') return this.str();
    if (c === "-" || (c >= "0" && c <= "9")) return this.int();
    for (const [word, v] of [["True", true], ["False", false], ["None", null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  private dict(depth: number): PyDict {
    this.i++; // {
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.s[this.i] === "}") {
        this.i++;
        return { kind: "dict", entries };
      }
      const key = this.value(depth + 1);
      if (typeof key !== "string") this.fail("dict keys must be strings");
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      const v = this.value(depth + 1);
      if (entries.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      entries.set(key, v);
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== "}") this.fail("expected ',' or '}'");
    }
  }

  private seq(depth: number, close: string): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private str(): string {
    const q = this.s[this.i]!;
    const start = ++this.i;
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === "\\" || this.s[this.i] === "\n") this.fail("escapes and newlines in strings are not supported");
      this.i++;
    }
    if (this.i >= this.s.length) this.fail("unterminated string");
    return this.s.slice(start, this.i++);
  }

  private int(): number {
    const start = this.i;
    if (this.s[this.i] === "-") this.i++;
    const digits = this.i;
    while (this.i < this.s.length && this.s[this.i]! >= "0" && this.s[this.i]! <= "9") this.i++;
    if (this.i === digits) this.fail("expected digits");
    const text = this.s.slice(start, this.i);
    if (this.s[this.i] === "L") this.i++; // Python 2 long literal
    if (this.s[this.i] === "." || this.s[this.i] === "e" || this.s[this.i] === "E") this.fail("expected an integer");
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new LimitError(`npy header: integer ${text} exceeds 2^53 - 1`);
    return n;
  }
}

/**
 * Maps numpy's type string to an ndpack dtype and byte order.
 * @throws NdpackError `ERR_UNSUPPORTED_FORMAT` for object, structured, complex, string,
 *   datetime and other types ndpack does not hold
 */
function parseDescr(descr: PyValue): { dtype: DType; bigEndian: boolean; descr: string } {
  if (typeof descr !== "string") {
    throw new NdpackError("ERR_UNSUPPORTED_FORMAT", "npy: structured dtypes (a list descr) are not supported");
  }
  let order = descr[0];
  let kind = descr.slice(1);
  if (order !== "<" && order !== ">" && order !== "|" && order !== "=") {
    order = "=";
    kind = descr;
  }
  const dtype = (
    {
      b1: "bool", "?": "bool", i1: "int8", u1: "uint8", i2: "int16", u2: "uint16", i4: "int32", u4: "uint32",
      i8: "int64", u8: "uint64", f2: "float16", f4: "float32", f8: "float64",
    } as Record<string, DType>
  )[kind];
  if (dtype === undefined) {
    const what = kind.startsWith("O") ? "object arrays (pickled Python objects) are never loaded"
      : kind.startsWith("V") ? "void/structured dtypes are not supported"
      : "this dtype is not supported";
    throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `npy: descr ${JSON.stringify(descr)}: ${what}`);
  }
  // '=' is the writer's native order; numpy itself reads it as the reader's (little-endian here).
  return { dtype, bigEndian: order === ">" && DTYPES[dtype].itemsize > 1, descr };
}

/**
 * Decodes the header of a `.npy` file from its first bytes (the data need not be present).
 *
 * @param bytes the file, or at least its first `dataOffset` bytes
 * @returns the header; `dataOffset` and `dataBytes` locate the elements
 * @throws TruncatedError (`ERR_TRUNCATED`) when `bytes` ends inside the header
 * @throws NdpackError `ERR_BAD_MAGIC` when `bytes` is not a `.npy` file; `ERR_UNSUPPORTED_FORMAT`
 *   for an unknown version or an unsupported dtype; `ERR_CORRUPT` for a malformed header;
 *   `ERR_LIMIT` for a header over {@link NPY_MAX_HEADER_BYTES} or a shape over 2^53 - 1 elements
 * @example
 * const h = parseNpyHeader(fs.readFileSync("a.npy")); // { descr: "<f4", shape: [5, 7], ... }
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const prefix = Math.min(bytes.length, 6);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== NPY_MAGIC[i]) {
      throw new NdpackError("ERR_BAD_MAGIC", `npy: expected the magic \\x93NUMPY at offset 0, byte ${i} is 0x${bytes[i]!.toString(16)}`, { offset: i });
    }
  }
  if (bytes.length < 10) throw new TruncatedError(`npy: expected at least 10 bytes of preamble, got ${bytes.length}`, { offset: bytes.length });
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `npy: version ${major}.${minor} is not one of 1.0, 2.0, 3.0`, { offset: 6 });
  }
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = bytes[8]! | (bytes[9]! << 8);
    headerStart = 10;
  } else {
    if (bytes.length < 12) throw new TruncatedError(`npy ${major}.0: expected 12 bytes of preamble, got ${bytes.length}`, { offset: bytes.length });
    headerLen = (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16)) + bytes[11]! * 2 ** 24;
    headerStart = 12;
  }
  if (headerLen > NPY_MAX_HEADER_BYTES) {
    throw new LimitError(`npy: header declares ${headerLen} bytes, the limit is ${NPY_MAX_HEADER_BYTES}`, { offset: 8 });
  }
  const dataOffset = headerStart + headerLen;
  if (bytes.length < dataOffset) {
    throw new TruncatedError(`npy: header declares ${headerLen} bytes at offset ${headerStart}, ${bytes.length - headerStart} remain`, {
      offset: bytes.length,
    });
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(bytes.subarray(headerStart, dataOffset));
  } catch (err) {
    throw new CorruptError(`npy: header is not valid ${major === 3 ? "UTF-8" : "latin-1"}`, { offset: headerStart, cause: err });
  }
  const dict = new LiteralParser(text).parseAll();
  if (typeof dict !== "object" || dict === null || Array.isArray(dict) || dict.kind !== "dict") {
    throw new CorruptError(`npy: header is not a dict: ${JSON.stringify(text.slice(0, 200))}`, { offset: headerStart });
  }
  const keys = [...dict.entries.keys()].sort();
  if (keys.join(",") !== "descr,fortran_order,shape") {
    throw new CorruptError(`npy: header keys are [${keys.join(", ")}], expected exactly descr, fortran_order, shape`, { offset: headerStart });
  }
  const { dtype, bigEndian, descr } = parseDescr(dict.entries.get("descr")!);
  const fortran = dict.entries.get("fortran_order");
  if (typeof fortran !== "boolean") throw new CorruptError(`npy: fortran_order is not True or False`, { offset: headerStart });
  const shapeV = dict.entries.get("shape");
  if (!Array.isArray(shapeV) || !shapeV.every((d) => typeof d === "number" && d >= 0)) {
    throw new CorruptError(`npy: shape is not a tuple of non-negative integers: ${JSON.stringify(shapeV)}`, { offset: headerStart });
  }
  const shape = shapeV as number[];
  if (shape.length > 64) throw new LimitError(`npy: shape has ${shape.length} axes, numpy allows at most 64`, { offset: headerStart });
  const size = checkedProduct(shape, "npy");
  return {
    version: [major, minor],
    descr,
    dtype,
    bigEndian,
    fortranOrder: fortran,
    shape,
    size,
    dataOffset,
    dataBytes: size * DTYPES[dtype].itemsize,
  };
}

/** Turns the data bytes of a parsed file into an NDArray; `view` allows aliasing `data`. */
function decodeData(h: NpyHeader, data: Uint8Array, view: boolean): NDArray {
  let arr = h.bigEndian ? fromBigEndian(data, h.dtype, h.size) : fromLittleEndian(data, h.dtype, h.size, view && !h.fortranOrder);
  if (h.fortranOrder) arr = fortranToC(arr, h.shape, h.dtype);
  return new NDArray(arr, h.shape, h.dtype);
}

function checkData(h: NpyHeader, available: number, where: string): void {
  if (h.dataBytes > available) {
    throw new TruncatedError(
      `${where}: shape [${h.shape.join(", ")}] of ${h.descr} declares ${h.dataBytes} bytes of data at offset ${h.dataOffset}, ${available} remain`,
      { offset: h.dataOffset + available },
    );
  }
}

/**
 * Reads a `.npy` file held in memory.
 *
 * Big-endian files give a little-endian array of the same dtype (swapped in a copy); Fortran-
 * order files give the same logical values in C order. Bytes after the data are ignored, as
 * numpy ignores them.
 *
 * @param bytes the whole file
 * @returns a new NDArray that owns its memory (never aliases `bytes`)
 * @throws TruncatedError (`ERR_TRUNCATED`) when `bytes` ends before the declared data does
 * @throws NdpackError as {@link parseNpyHeader}
 * @example
 * const a = readNpy(fs.readFileSync("weights.npy")); // a.dtype "float32", a.shape [5, 7]
 */
export function readNpy(bytes: Uint8Array): NDArray {
  const h = parseNpyHeader(bytes);
  checkData(h, bytes.length - h.dataOffset, "npy");
  return decodeData(h, bytes.subarray(h.dataOffset, h.dataOffset + h.dataBytes), false);
}

/** numpy's descr for an ndpack dtype, or a clear refusal (bfloat16). */
function descrOf(dtype: DType): string {
  const d = DTYPES[dtype].numpy;
  if (d === null) {
    throw new NdpackError(
      "ERR_UNSUPPORTED_FORMAT",
      `npy: numpy has no ${dtype} dtype; convert to float32 first, or store it in safetensors (BF16)`,
    );
  }
  return d;
}

/**
 * The preamble and header of a `.npy` file for `arr` (version 1.0, or 2.0 when the header
 * needs more than 65535 bytes), padded so that the data starts on a 64-byte boundary.
 * @internal used by npz and the file writer
 */
export function encodeNpyHeader(arr: NDArray): Uint8Array {
  assertNDArray(arr, "npy");
  const descr = descrOf(arr.dtype);
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    major = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const out = new Uint8Array(total);
  out.set(NPY_MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const hlen = total - pre;
  new DataView(out.buffer).setUint32(8, hlen, true); // u16 for 1.0 (upper bytes overwritten below)
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  out.fill(0x20, pre + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

/**
 * Encodes an NDArray as a `.npy` file (version 1.0; 2.0 only for headers over 64 KiB), C
 * order, little-endian, data starting on a 64-byte boundary as numpy writes it.
 *
 * @param arr the array; any dtype except bfloat16 (numpy has none)
 * @returns a new buffer holding the whole file
 * @throws NdpackError `ERR_UNSUPPORTED_FORMAT` for bfloat16; `ERR_INVALID_ARGUMENT` when `arr`
 *   is not an NDArray; `ERR_LIMIT` when the file would exceed the largest buffer
 * @example
 * fs.writeFileSync("a.npy", writeNpy(new NDArray(new Float32Array(6), [2, 3])));
 */
export function writeNpy(arr: NDArray): Uint8Array {
  const header = encodeNpyHeader(arr);
  let out: Uint8Array;
  try {
    out = new Uint8Array(header.length + arr.data.byteLength);
  } catch (err) {
    throw new LimitError(`npy: cannot allocate ${header.length + arr.data.byteLength} bytes`, { cause: err });
  }
  out.set(header, 0);
  out.set(dataBytes(arr), header.length);
  return out;
}

let headScratch: Uint8Array | undefined;

/** Options of {@link loadNpy}. */
export interface LoadNpyOptions {
  /**
   * Memory-map the data when possible (little-endian, C order, aligned, non-empty, the optional
   * mmap addon present); otherwise the file is read. Default false.
   */
  mmap?: boolean;
}

/**
 * Loads a `.npy` file.
 *
 * With `{ mmap: true }` and a little-endian C-order file whose data is aligned for its dtype
 * (numpy aligns to 64 bytes), the returned array views the file's pages, copy-on-write: writing
 * to it never changes the file. Otherwise (big-endian, Fortran order, no mmap addon, see
 * `mmapUnavailableReason()`) the data is read into memory the NDArray owns.
 *
 * @param path file to read
 * @param options `mmap` (default false)
 * @returns the array (aliasing a mapping when mapped)
 * @throws NdpackError `ERR_IO` when the file cannot be opened or read; otherwise as {@link readNpy}
 * @example
 * const glove = loadNpy("glove.npy", { mmap: true }); // float32 [341479, 100], milliseconds
 */
export function loadNpy(path: string, options: LoadNpyOptions = {}): NDArray {
  checkOptions(options, "loadNpy", { mmap: true } satisfies OptionNames<LoadNpyOptions>);
  const fd = openRead(path);
  try {
    const size = fileSize(fd, path);
    // Most headers fit in 4 KiB; read more only when the header says so. The 4 KiB buffer is
    // reused: a fresh one per call would count as external memory and, next to large mappings,
    // trigger a V8 garbage collection in most calls (milliseconds instead of microseconds).
    headScratch ??= new Uint8Array(4096);
    let headBytes = headScratch.subarray(0, Math.min(size, 4096));
    readExactSync(fd, headBytes, 0, headBytes.length, 0, path);
    let h: NpyHeader;
    try {
      h = parseNpyHeader(headBytes);
    } catch (err) {
      if (!(isNdpackError(err, "ERR_TRUNCATED") && size > headBytes.length)) throw err;
      headBytes = new Uint8Array(Math.min(size, 12 + NPY_MAX_HEADER_BYTES));
      readExactSync(fd, headBytes, 0, headBytes.length, 0, path);
      h = parseNpyHeader(headBytes);
    }
    checkData(h, size - h.dataOffset, "npy");
    if (options.mmap && !h.bigEndian && !h.fortranOrder && h.dataOffset % DTYPES[h.dtype].itemsize === 0) {
      const mapped = mapRange(fd, h.dataOffset, h.dataBytes);
      if (mapped) return decodeData(h, mapped.bytes, true);
    }
    // Read straight into the array's memory (in pieces: one Uint8Array holds at most 4 GiB),
    // then fix byte order and axis order in memory ndpack owns.
    let arr = allocate(h.dtype, h.size);
    let at = h.dataOffset;
    for (const piece of byteChunks(arr)) {
      readExactSync(fd, piece, 0, piece.length, at, path);
      at += piece.length;
    }
    if (h.bigEndian) swapInPlace(arr, DTYPES[h.dtype].itemsize);
    if (h.fortranOrder) arr = fortranToC(arr, h.shape, h.dtype);
    return new NDArray(arr, h.shape, h.dtype);
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Saves an NDArray as a `.npy` file, atomically: the bytes go to a temp file in the same folder
 * which is renamed over `path`; on error the temp file is removed and `path` is untouched.
 *
 * @param path destination
 * @param arr the array (not bfloat16)
 * @throws NdpackError `ERR_IO` when the system refuses; otherwise as {@link writeNpy}
 * @example
 * saveNpy("a.npy", new NDArray(Float64Array.of(1, 2, 3)));
 */
export function saveNpy(path: string, arr: NDArray): void {
  const header = encodeNpyHeader(arr);
  atomicWriteSync(
    path,
    (fd) => {
      writeAll(fd, header, path);
      for (const piece of byteChunks(arr.data)) writeAll(fd, piece, path);
    },
    { preallocate: header.length + arr.data.byteLength },
  );
}
