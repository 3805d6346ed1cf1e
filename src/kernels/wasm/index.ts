/**
 * The WebAssembly kernels: the AssemblyScript core (`assembly/`), embedded as base64, compiled
 * synchronously once and driven through a fixed arena in its linear memory.
 *
 * Arena: three regions of {@link WASM_PIECE_BYTES} (input, output, scratch), reserved once;
 * wasm memory never grows after instantiation, whatever the input length. Every kernel streams
 * its input through the arena piece by piece and still computes the result of one call over the
 * whole input: a shuffle piece is a range of whole elements whose output is one segment of each
 * byte row (of each bit plane for bitshuffle), delta pieces carry the previous element over,
 * xxhash32 keeps its state inside wasm between pieces. Pieces stay in the CPU cache.
 *
 * The fused chunk calls (`encodeChunk`, `decodeChunk`) and the LZ4 calls work on a whole
 * chunk at once in four regions of the chunk's size (input, two for filter ping-pong and the
 * LZ4 output, bitshuffle scratch) laid over the same arena: one copy in, filters and LZ4 and
 * xxHash32 arena to arena, one copy out (or a view of wasm memory handed back). That arena
 * grows to fit the largest chunk seen, at most 4 x 64 MiB (MAX_CHUNK_BYTES), never shrinks;
 * views over `memory.buffer` are re-created after it grows.
 */
import { NdpackError } from "../../errors.js";
import { CHUNK_FLAG_RAW, CODEC_IDS, FILTER_IDS } from "../../format.js";
import { blockError, checkChunkArgs, checkFilterArgs, checkOutputLength, checksumError, DELTA_TYPESIZES, MAX_FUSED_CHUNK_BYTES, holdsBitPlanes } from "../check.js";
import { LZ4_ERR_CORRUPT, LZ4_ERR_LENGTH, lz4Acceleration, lz4CompressBound } from "../js/lz4.js";
import { decodeSplit, splitError } from "../split.js";
import type { EncodedChunk, Kernels } from "../types.js";
import { WASM_BASE64 } from "./binary.js";

/** Size of one arena region, the most input bytes a kernel call hands to wasm at once: 256 KiB. */
export const WASM_PIECE_BYTES = 256 * 1024;

/** Status codes of `assembly/status.ts`. */
const STATUS_MESSAGES: Record<number, string> = {
  [-1]: "typesize not supported",
  [-2]: "memory could not grow",
  [-3]: "length too large",
  [-4]: "output too small",
  [-5]: "input malformed",
};

/** A filter kernel of the core: (src, dst, len, typesize, tmp) -> bytes written or status. */
type FilterExport = (src: number, dst: number, len: number, typesize: number, tmp: number) => number;
/** A conversion of the core: (src, dst, count in elements) -> bytes written. */
type ConvertExport = (src: number, dst: number, count: number) => number;

/**
 * The part of the WebAssembly JS API used here, typed locally: the project's `lib` setting
 * (ES2023, no DOM) does not declare `WebAssembly`.
 */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

interface CoreExports {
  memory: { buffer: ArrayBuffer };
  _initialize(): void;
  arenaPtr(): number;
  ensureArena(bytes: number): number;
  shuffle: FilterExport;
  unshuffle: FilterExport;
  bitshuffle: FilterExport;
  bitunshuffle: FilterExport;
  deltaEncode: FilterExport;
  deltaDecode: FilterExport;
  xxh32Reset(seed: number): void;
  xxh32Stripes(ptr: number, len: number): number;
  xxh32Digest(tail: number, tailLen: number, totalLen: number): number;
  xxhash32(ptr: number, len: number, seed: number): number;
  lz4Compress(src: number, len: number, dst: number, cap: number, planes: boolean, acceleration: number): number;
  lz4CompressChecksum(src: number, len: number, dst: number, cap: number, planes: boolean, acceleration: number): number;
  lz4Decompress(src: number, srcLen: number, dst: number, cap: number): number;
  lz4DecompressChecksum(src: number, srcLen: number, dst: number, cap: number): number;
  lz4Checksum(): number;
  lz4SplitCompress(src: number, len: number, typesize: number, dst: number, cap: number, planes: boolean, acceleration: number): number;
  lz4SplitDecompress(src: number, srcLen: number, typesize: number, dst: number, len: number): number;
  float32ToFloat16: ConvertExport;
  float16ToFloat32: ConvertExport;
  float32ToBfloat16: ConvertExport;
  bfloat16ToFloat32: ConvertExport;
}

/** The core's filter exports by filter id (FILTER_IDS), forward and inverse. */
const FORWARD_EXPORTS: Record<number, "shuffle" | "bitshuffle" | "deltaEncode"> = {
  [FILTER_IDS.shuffle]: "shuffle",
  [FILTER_IDS.bitshuffle]: "bitshuffle",
  [FILTER_IDS.delta]: "deltaEncode",
};
const INVERSE_EXPORTS: Record<number, "unshuffle" | "bitunshuffle" | "deltaDecode"> = {
  [FILTER_IDS.shuffle]: "unshuffle",
  [FILTER_IDS.bitshuffle]: "bitunshuffle",
  [FILTER_IDS.delta]: "deltaDecode",
};

let compiled: object | undefined;

/** Decodes the embedded base64 and compiles it, once. */
function compileCore(api: WebAssemblyApi): object {
  if (compiled === undefined) {
    const text = atob(WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    compiled = new api.Module(bytes);
  }
  return compiled;
}

/** Bytes of any typed array, without copying. */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The wasm {@link Kernels}, plus what they hold in memory. */
export interface WasmKernels extends Kernels {
  /** Size of the instance's linear memory in bytes (static data plus the arena). */
  readonly memoryBytes: number;
}

/** The {@link Kernels} implementation over one instance of the core. */
class CoreKernels implements WasmKernels {
  readonly name = "wasm" as const;
  readonly #core: CoreExports;
  readonly #base: number;
  #heap: Uint8Array;
  /** Bytes of each of the four chunk regions currently reserved (0: none yet). */
  #region = 0;

  constructor(core: CoreExports) {
    this.#core = core;
    core._initialize();
    this.#base = core.arenaPtr();
    const status = core.ensureArena(3 * WASM_PIECE_BYTES);
    if (status < 0) throw new Error(`wasm arena: ${STATUS_MESSAGES[status]}`); // caught: falls back to js
    this.#heap = new Uint8Array(core.memory.buffer); // after the growth, which detached older views
  }

  get memoryBytes(): number {
    return this.#core.memory.buffer.byteLength;
  }

  /**
   * Shuffle or bitshuffle (`inverse` false) and their inverses, piece by piece: each piece is a
   * range of whole elements (a multiple of 16), whose output is one segment of each of the
   * `rows` rows (byte rows for shuffle, bit planes for bitshuffle) of the whole result.
   */
  #transpose(kernel: "shuffle" | "unshuffle" | "bitshuffle" | "bitunshuffle", src: Uint8Array, dst: Uint8Array, typesize: number): void {
    checkFilterArgs(kernel, src, dst, typesize);
    const bits = kernel === "bitshuffle" || kernel === "bitunshuffle";
    const inverse = kernel === "unshuffle" || kernel === "bitunshuffle";
    const whole = Math.floor(src.length / typesize);
    const n = bits ? whole - (whole % 8) : whole; // elements transposed
    const rows = bits ? 8 * typesize : typesize;
    const rowBytes = bits ? n / 8 : n;
    const perPiece = Math.floor(WASM_PIECE_BYTES / typesize / 16) * 16;
    const input = this.#base;
    const output = input + WASM_PIECE_BYTES;
    const fn = this.#core[kernel];
    const heap = this.#heap;
    for (let first = 0; first < n; first += perPiece) {
      const count = Math.min(perPiece, n - first);
      const segment = bits ? count / 8 : count; // bytes of each row in this piece
      const at = bits ? first / 8 : first; // where this piece's segment starts in each row
      if (inverse) {
        for (let r = 0; r < rows; r++) heap.set(src.subarray(r * rowBytes + at, r * rowBytes + at + segment), input + r * segment);
        this.#check(kernel, fn(input, output, count * typesize, typesize, output + WASM_PIECE_BYTES));
        dst.set(heap.subarray(output, output + count * typesize), first * typesize);
      } else {
        heap.set(src.subarray(first * typesize, (first + count) * typesize), input);
        this.#check(kernel, fn(input, output, count * typesize, typesize, output + WASM_PIECE_BYTES));
        for (let r = 0; r < rows; r++) dst.set(heap.subarray(output + r * segment, output + (r + 1) * segment), r * rowBytes + at);
      }
    }
    dst.set(src.subarray(n * typesize), n * typesize);
  }

  /**
   * Delta encode or decode, piece by piece. Each piece after the first starts one element
   * early: with the previous input element (encode) or the previous decoded element (decode),
   * which the kernel stores as is and uses for the next one.
   */
  #delta(kernel: "deltaEncode" | "deltaDecode", src: Uint8Array, dst: Uint8Array, typesize: number): void {
    checkFilterArgs(kernel, src, dst, typesize, DELTA_TYPESIZES);
    const n = Math.floor(src.length / typesize);
    const perPiece = WASM_PIECE_BYTES / typesize - 1;
    const input = this.#base;
    const output = input + WASM_PIECE_BYTES;
    const heap = this.#heap;
    for (let first = 0; first < n; first += perPiece) {
      const count = Math.min(perPiece, n - first);
      const lead = first === 0 ? 0 : typesize; // bytes of the carried element
      if (lead > 0) heap.set((kernel === "deltaEncode" ? src : dst).subarray(first * typesize - lead, first * typesize), input);
      heap.set(src.subarray(first * typesize, (first + count) * typesize), input + lead);
      this.#check(kernel, this.#core[kernel](input, output, lead + count * typesize, typesize, 0));
      dst.set(heap.subarray(output + lead, output + lead + count * typesize), first * typesize);
    }
    dst.set(src.subarray(n * typesize), n * typesize);
  }

  /** Turns a negative status of the core into an error (arguments are checked first, so unexpected). */
  #check(kernel: string, status: number): void {
    if (status < 0) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: ${STATUS_MESSAGES[status]} (status ${status})`);
  }

  /** Streams `src` through an elementwise conversion, `srcSize` -> `dstSize` bytes per element. */
  #convert(kernel: keyof Kernels & keyof CoreExports, src: Uint8Array, dst: Uint8Array, srcSize: number, dstSize: number): void {
    const input = this.#base;
    const output = input + WASM_PIECE_BYTES;
    const perPiece = WASM_PIECE_BYTES / 4; // elements; fits both 2- and 4-byte sides
    const count = src.length / srcSize;
    const fn = this.#core[kernel] as ConvertExport;
    for (let i = 0; i < count; i += perPiece) {
      const n = Math.min(perPiece, count - i);
      this.#heap.set(src.subarray(i * srcSize, (i + n) * srcSize), input);
      fn(input, output, n);
      dst.set(this.#heap.subarray(output, output + n * dstSize), i * dstSize);
    }
  }

  shuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#transpose("shuffle", src, dst, typesize);
  }

  unshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#transpose("unshuffle", src, dst, typesize);
  }

  bitshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#transpose("bitshuffle", src, dst, typesize);
  }

  bitunshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#transpose("bitunshuffle", src, dst, typesize);
  }

  deltaEncode(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#delta("deltaEncode", src, dst, typesize);
  }

  deltaDecode(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#delta("deltaDecode", src, dst, typesize);
  }

  /**
   * Makes the four chunk regions at least `bytes` long each (a multiple of 64), growing wasm
   * memory if needed and re-creating the heap view. Returns the region size.
   */
  #reserve(bytes: number): number {
    if (bytes <= this.#region) return this.#region;
    const region = Math.max(WASM_PIECE_BYTES, Math.ceil(bytes / 65536) * 65536);
    const status = this.#core.ensureArena(4 * region);
    if (status < 0) throw new NdpackError("ERR_LIMIT", `wasm arena: ${STATUS_MESSAGES[status]} (4 x ${region} bytes asked)`);
    this.#heap = new Uint8Array(this.#core.memory.buffer);
    this.#region = region;
    return region;
  }

  lz4Compress(src: Uint8Array, dst: Uint8Array, planes = false, acceleration = 1): number {
    if (src.length > MAX_FUSED_CHUNK_BYTES) return LZ4_ERR_LENGTH;
    const cap = Math.min(dst.length, lz4CompressBound(src.length));
    const region = this.#reserve(Math.max(src.length, cap));
    const a = this.#base;
    const b = a + region;
    this.#heap.set(src, a);
    const n = this.#core.lz4Compress(a, src.length, b, cap, planes, lz4Acceleration(acceleration));
    if (n > 0) dst.set(this.#heap.subarray(b, b + n));
    return n;
  }

  lz4Decompress(src: Uint8Array, dst: Uint8Array): number {
    if (dst.length > MAX_FUSED_CHUNK_BYTES) return LZ4_ERR_LENGTH;
    if (src.length > lz4CompressBound(dst.length)) return LZ4_ERR_CORRUPT; // more than any block of dst.length bytes
    const region = this.#reserve(Math.max(src.length, dst.length));
    const a = this.#base;
    const b = a + region;
    this.#heap.set(src, a);
    const n = this.#core.lz4Decompress(a, src.length, b, dst.length);
    if (n > 0) dst.set(this.#heap.subarray(b, b + n));
    return n;
  }

  encodeChunk(raw: Uint8Array, filters: readonly number[], typesize: number, codec: number, acceleration = 1): EncodedChunk {
    checkChunkArgs("encodeChunk", raw.length, filters, typesize, codec);
    const len = raw.length;
    const split = codec === CODEC_IDS["lz4-split"];
    const region = this.#reserve(len);
    const core = this.#core;
    const a = this.#base;
    const b = a + region;
    const c = b + region;
    const tmp = c + region;
    this.#heap.set(raw, a);
    let cur = a;
    for (const id of filters) {
      const out = cur === b ? c : b;
      const kernel = FORWARD_EXPORTS[id]!;
      this.#check(kernel, core[kernel](cur, out, len, typesize, tmp));
      cur = out;
    }
    let at = cur;
    let storedBytes = len;
    let flags = filters.length ? 0 : CHUNK_FLAG_RAW;
    if (codec !== CODEC_IDS.none) {
      const out = cur === b ? c : b;
      // Only a strictly smaller result is kept: the output holds len - 1 bytes. Its checksum
      // is computed as it is written.
      const planes = holdsBitPlanes(filters);
      const accel = lz4Acceleration(acceleration);
      const n =
        len === 0
          ? -1
          : split
            ? core.lz4SplitCompress(cur, len, typesize, out, len - 1, planes, accel)
            : core.lz4CompressChecksum(cur, len, out, len - 1, planes, accel);
      if (n >= 0) {
        at = out;
        storedBytes = n;
        flags = 0;
      } else {
        at = a;
        flags = CHUNK_FLAG_RAW;
      }
    }
    const checksum = (flags & CHUNK_FLAG_RAW) === 0 && codec !== CODEC_IDS.none ? core.lz4Checksum() >>> 0 : core.xxhash32(at, storedBytes, 0) >>> 0;
    const stored = flags & CHUNK_FLAG_RAW ? raw : this.#heap.subarray(at, at + storedBytes);
    return { stored, flags, checksum };
  }

  decodeChunk(
    stored: Uint8Array,
    dst: Uint8Array,
    filters: readonly number[],
    typesize: number,
    codec: number,
    flags: number,
    expectedChecksum: number | undefined,
  ): void {
    const len = dst.length;
    checkChunkArgs("decodeChunk", len, filters, typesize, codec);
    const plain = (flags & CHUNK_FLAG_RAW) !== 0 || (codec === CODEC_IDS.none && filters.length === 0);
    if (plain) {
      if (stored.length !== len) throw blockError(stored.length, len);
      if (expectedChecksum !== undefined) {
        // In place (chunkInput): hashed where it is; xxhash32() would copy pieces over it.
        const sum = this.#inPlace(stored) ? this.#core.xxhash32(this.#base, len, 0) >>> 0 : this.xxhash32(stored);
        if (sum !== expectedChecksum >>> 0) throw checksumError(sum, expectedChecksum);
      }
      dst.set(stored);
      return;
    }
    const split = codec === CODEC_IDS["lz4-split"];
    const storedLimit = codec === CODEC_IDS.lz4 ? lz4CompressBound(len) : len;
    if (codec === CODEC_IDS.none ? stored.length !== len : stored.length > storedLimit) throw blockError(-5, len);
    const region = this.#reserve(Math.max(len, stored.length));
    const core = this.#core;
    const a = this.#base;
    const b = a + region;
    const c = b + region;
    const tmp = c + region;
    if (!this.#inPlace(stored)) this.#heap.set(stored, a);
    const verify = (sum: number): void => {
      if (sum !== expectedChecksum! >>> 0) throw checksumError(sum, expectedChecksum!);
    };
    let cur = a;
    if (codec !== CODEC_IDS.none) {
      // The checksum rides along with the decompression; a chunk that fails to decode is
      // checked on its own first, so a damaged chunk still reports ERR_CHECKSUM.
      const hashed = expectedChecksum !== undefined;
      const n = split
        ? core.lz4SplitDecompress(a, stored.length, typesize, b, len)
        : hashed
          ? core.lz4DecompressChecksum(a, stored.length, b, len)
          : core.lz4Decompress(a, stored.length, b, len);
      if (hashed) verify(n >= 0 ? core.lz4Checksum() >>> 0 : core.xxhash32(a, stored.length, 0) >>> 0);
      if (n !== len && split) this.#explainSplit(a, stored.length, b, len, typesize);
      if (n !== len) throw blockError(n, len);
      cur = b;
    } else if (expectedChecksum !== undefined) verify(core.xxhash32(a, stored.length, 0) >>> 0);
    for (let f = filters.length - 1; f >= 0; f--) {
      const out = cur === b ? c : b;
      const kernel = INVERSE_EXPORTS[filters[f]!]!;
      this.#check(kernel, core[kernel](cur, out, len, typesize, tmp));
      cur = out;
    }
    dst.set(this.#heap.subarray(cur, cur + len));
  }

  /**
   * Throws what is wrong with the lz4-split chunk at `a` that the core refused: the same walk in
   * TypeScript (src/kernels/split.ts) over the core's block decompressor names the stream.
   */
  #explainSplit(a: number, storedBytes: number, b: number, len: number, typesize: number): never {
    const heap = this.#heap;
    const core = this.#core;
    decodeSplit(heap.subarray(a, a + storedBytes), heap.subarray(b, b + len), typesize, (s, d) => core.lz4Decompress(s.byteOffset, s.length, d.byteOffset, d.length));
    throw splitError("the core refused it"); // not reached: decodeSplit finds the same fault
  }

  /** Whether `stored` is the input region chunkInput handed out (and the memory has not grown since). */
  #inPlace(stored: Uint8Array): boolean {
    return stored.buffer === this.#heap.buffer && stored.byteOffset === this.#base;
  }

  chunkInput(storedBytes: number, rawBytes: number): Uint8Array {
    // The region decodeChunk reserves for this chunk, so that it finds the bytes in place.
    this.#reserve(Math.max(storedBytes, rawBytes));
    return this.#heap.subarray(this.#base, this.#base + storedBytes);
  }

  xxhash32(data: Uint8Array, seed = 0): number {
    const core = this.#core;
    const arena = this.#base;
    const piece = WASM_PIECE_BYTES; // a multiple of 16
    const total = data.length;
    if (total <= piece) {
      this.#heap.set(data, arena);
      return core.xxhash32(arena, total, seed) >>> 0;
    }
    core.xxh32Reset(seed);
    let p = 0;
    while (total - p >= 16) {
      const take = Math.min(piece, total - p - ((total - p) % 16));
      this.#heap.set(data.subarray(p, p + take), arena);
      core.xxh32Stripes(arena, take);
      p += take;
    }
    this.#heap.set(data.subarray(p), arena);
    return core.xxh32Digest(arena, total - p, total >>> 0) >>> 0;
  }

  float32ToFloat16(src: Float32Array, dst: Uint16Array): void {
    checkOutputLength("float32ToFloat16", src.length, dst.length, "elements");
    this.#convert("float32ToFloat16", bytesOf(src), bytesOf(dst), 4, 2);
  }

  float16ToFloat32(src: Uint16Array, dst: Float32Array): void {
    checkOutputLength("float16ToFloat32", src.length, dst.length, "elements");
    this.#convert("float16ToFloat32", bytesOf(src), bytesOf(dst), 2, 4);
  }

  float32ToBfloat16(src: Float32Array, dst: Uint16Array): void {
    checkOutputLength("float32ToBfloat16", src.length, dst.length, "elements");
    this.#convert("float32ToBfloat16", bytesOf(src), bytesOf(dst), 4, 2);
  }

  bfloat16ToFloat32(src: Uint16Array, dst: Float32Array): void {
    checkOutputLength("bfloat16ToFloat32", src.length, dst.length, "elements");
    this.#convert("bfloat16ToFloat32", bytesOf(src), bytesOf(dst), 2, 4);
  }
}

/**
 * Instantiates the WebAssembly core and returns a {@link Kernels} implementation over it
 * (`name` "wasm"), or null when `WebAssembly` is missing or compiling or instantiating fails.
 * Each call makes a new instance with its own memory (arena limits in the module comment);
 * the compiled module is cached. Synchronous compile: fine in Node and workers; browsers'
 * main threads may refuse large synchronous compiles (this module is a few KiB).
 * @returns the wasm kernels, or null
 * @example const kernels = createWasmKernels() ?? jsKernels
 */
export function createWasmKernels(): WasmKernels | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (typeof api !== "object" || api === null) return null;
  try {
    const instance = new api.Instance(compileCore(api), {});
    return new CoreKernels(instance.exports as unknown as CoreExports);
  } catch {
    return null;
  }
}
