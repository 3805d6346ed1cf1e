/**
 * LZ4 block codec (format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md).
 * Chunks store the raw LZ4 block, without a size prefix: the chunk table knows the raw size.
 *
 * Two implementations write and read the same blocks: `lz4-wasm-nodejs` (Rust lz4_flex in
 * WebAssembly; its API adds a 4-byte little-endian size prefix, which we strip and re-add) and
 * `lz4js`'s block functions in pure JavaScript, used when WebAssembly is unavailable or disabled.
 */
import lz4jsModule from "lz4js";
import { CorruptError } from "../errors.js";
import { CODEC_IDS } from "../format.js";
import type { Codec } from "./registry.js";

interface Lz4Wasm {
  compress(input: Uint8Array): Uint8Array;
  decompress(input: Uint8Array): Uint8Array;
}

interface Lz4Js {
  compressBound(n: number): number;
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}

const lz4js = lz4jsModule as Lz4Js;

let wasm: Lz4Wasm | null | undefined;

/**
 * lz4-wasm-nodejs, loaded on first use through Node's require (it compiles its WebAssembly when
 * loaded, so a static import would fail where WebAssembly is missing). Elsewhere: null.
 */
function loadWasm(): Lz4Wasm | null {
  if (wasm !== undefined) return wasm;
  wasm = null;
  try {
    const nodeModule = globalThis.process?.getBuiltinModule?.("node:module") as typeof import("node:module") | undefined;
    if (typeof WebAssembly === "object" && nodeModule) wasm = nodeModule.createRequire(import.meta.url)("lz4-wasm-nodejs") as Lz4Wasm;
  } catch {
    // not installed or WebAssembly refused: the JavaScript codec serves
  }
  return wasm;
}

/** LZ4 in pure JavaScript (lz4js). */
export function lz4Js(): Codec {
  const hashTable = new Uint32Array(1 << 16);
  let scratch = new Uint8Array(0);
  return {
    id: CODEC_IDS.lz4,
    name: "lz4",
    compress(src) {
      const bound = lz4js.compressBound(src.length);
      if (scratch.length < bound) scratch = new Uint8Array(bound);
      hashTable.fill(0);
      const n = lz4js.compressBlock(src, scratch, 0, src.length, hashTable);
      return n > 0 && n < src.length ? scratch.subarray(0, n) : null;
    },
    decompress(src, dst) {
      // lz4js does not bounds-check: out-of-range reads give undefined, writes past dst are
      // dropped, and it always advances, so a malformed block ends; its size tells us.
      const n = lz4js.decompressBlock(src, dst, 0, src.length, 0);
      if (n !== dst.length) throw new CorruptError(`LZ4 block decodes to ${n} bytes; ${dst.length} expected`);
    },
  };
}

/** LZ4 through lz4-wasm-nodejs, or null when WebAssembly is unavailable. */
export function lz4Wasm(): Codec | null {
  const lib = loadWasm();
  if (!lib) return null;
  let framed = new Uint8Array(0);
  return {
    id: CODEC_IDS.lz4,
    name: "lz4",
    compress(src) {
      const out = lib.compress(src);
      return out.length - 4 < src.length ? out.subarray(4) : null;
    },
    decompress(src, dst) {
      if (framed.length < src.length + 4) framed = new Uint8Array(src.length + 4);
      new DataView(framed.buffer).setUint32(0, dst.length, true);
      framed.set(src, 4);
      let out: Uint8Array;
      try {
        out = lib.decompress(framed.subarray(0, src.length + 4));
      } catch (e) {
        throw new CorruptError(`LZ4 block is malformed: ${String(e)}`, { cause: e });
      }
      if (out.length !== dst.length) throw new CorruptError(`LZ4 block decodes to ${out.length} bytes; ${dst.length} expected`);
      dst.set(out);
    },
  };
}
