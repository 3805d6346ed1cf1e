/**
 * The WebAssembly kernels: the AssemblyScript core (`assembly/`), embedded as base64, compiled
 * synchronously once and driven through a fixed arena in its linear memory.
 *
 * Arena: three regions of `capacity` bytes (input, output, scratch). `capacity` starts at
 * {@link WASM_PIECE_BYTES} and grows, only when a filter call needs it, to at most
 * {@link WASM_MAX_CALL_BYTES}; wasm memory therefore never exceeds about 3 x 64 MiB, whatever
 * the input. Filters (shuffle, bitshuffle, delta) act on one call's bytes as a whole, so a
 * call larger than {@link WASM_MAX_CALL_BYTES} throws `ERR_LIMIT` (the segment layer passes
 * chunks of a few MiB). xxhash32 and the float16/bfloat16 conversions take any length: they
 * stream through the arena piece by piece.
 */
import { NdpackError } from "../../errors.js";
import { checkFilterArgs, checkOutputLength, DELTA_TYPESIZES } from "../check.js";
import type { Kernels } from "../types.js";
import { WASM_BASE64 } from "./binary.js";

/** Largest input of one filter call (shuffle, bitshuffle, delta) on the wasm kernels: 64 MiB. */
export const WASM_MAX_CALL_BYTES = 64 * 1024 * 1024;
/** Initial arena region size, and the piece size of streaming kernels: 1 MiB. */
export const WASM_PIECE_BYTES = 1024 * 1024;

/** Status codes of `assembly/status.ts`. */
const STATUS_MESSAGES: Record<number, string> = {
  [-1]: "typesize not supported",
  [-2]: "wasm memory could not grow",
  [-3]: "length too large",
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
  float32ToFloat16: ConvertExport;
  float16ToFloat32: ConvertExport;
  float32ToBfloat16: ConvertExport;
  bfloat16ToFloat32: ConvertExport;
}

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
  #capacity = 0;
  #heap = new Uint8Array(0);

  constructor(core: CoreExports) {
    this.#core = core;
    core._initialize();
    this.#base = core.arenaPtr();
    this.#reserve(WASM_PIECE_BYTES);
  }

  /** Makes each arena region at least `bytes` long (bytes <= WASM_MAX_CALL_BYTES). */
  #reserve(bytes: number): void {
    if (bytes <= this.#capacity) return;
    const capacity = Math.min(WASM_MAX_CALL_BYTES, Math.max(2 * this.#capacity, Math.ceil(bytes / 65536) * 65536));
    const status = this.#core.ensureArena(3 * capacity);
    if (status < 0) {
      throw new NdpackError("ERR_LIMIT", `wasm kernels: could not grow the arena to ${3 * capacity} bytes (${STATUS_MESSAGES[status]})`);
    }
    this.#capacity = capacity;
    this.#heap = new Uint8Array(this.#core.memory.buffer); // memory.grow detached the old view
  }

  get memoryBytes(): number {
    return this.#core.memory.buffer.byteLength;
  }

  #filter(kernel: keyof Kernels & keyof CoreExports, src: Uint8Array, dst: Uint8Array, typesize: number, allowed?: readonly number[]): void {
    checkFilterArgs(kernel, src, dst, typesize, allowed);
    const len = src.length;
    if (len > WASM_MAX_CALL_BYTES) {
      throw new NdpackError("ERR_LIMIT", `${kernel}: ${len} bytes in one call, the wasm kernels take at most ${WASM_MAX_CALL_BYTES}; pass chunks`);
    }
    this.#reserve(len);
    const input = this.#base;
    const output = input + this.#capacity;
    this.#heap.set(src, input);
    const status = (this.#core[kernel] as FilterExport)(input, output, len, typesize, output + this.#capacity);
    if (status < 0) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: ${STATUS_MESSAGES[status]} (status ${status})`);
    dst.set(this.#heap.subarray(output, output + len));
  }

  /** Streams `src` through an elementwise conversion, `srcSize` -> `dstSize` bytes per element. */
  #convert(kernel: keyof Kernels & keyof CoreExports, src: Uint8Array, dst: Uint8Array, srcSize: number, dstSize: number): void {
    const input = this.#base;
    const output = input + this.#capacity;
    const perPiece = this.#capacity / 4; // elements; fits both 2- and 4-byte sides
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
    this.#filter("shuffle", src, dst, typesize);
  }

  unshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#filter("unshuffle", src, dst, typesize);
  }

  bitshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#filter("bitshuffle", src, dst, typesize);
  }

  bitunshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#filter("bitunshuffle", src, dst, typesize);
  }

  deltaEncode(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#filter("deltaEncode", src, dst, typesize, DELTA_TYPESIZES);
  }

  deltaDecode(src: Uint8Array, dst: Uint8Array, typesize: number): void {
    this.#filter("deltaDecode", src, dst, typesize, DELTA_TYPESIZES);
  }

  xxhash32(data: Uint8Array, seed = 0): number {
    const core = this.#core;
    const arena = this.#base;
    const piece = this.#capacity; // a multiple of 16
    const total = data.length;
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
