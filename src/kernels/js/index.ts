/**
 * The pure TypeScript kernels, the fallback when WebAssembly is missing or disabled. Each file
 * here mirrors one in `assembly/`.
 */
import type { Kernels } from "../types.js";
import { bitshuffle, bitunshuffle } from "./bitshuffle.js";
import { chunkInput, decodeChunk, encodeChunk, lz4Compress } from "./chunk.js";
import { deltaDecode, deltaEncode } from "./delta.js";
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from "./float16.js";
import { lz4Decompress } from "./lz4.js";
import { shuffle, unshuffle } from "./shuffle.js";
import { xxhash32 } from "./xxhash32.js";

/**
 * The TypeScript implementation of {@link Kernels} (`name` "js"). Stateless apart from
 * reused scratch buffers (bitshuffle, the fused chunk path) and the LZ4 hash table; results equal the wasm kernels' to the byte.
 * @example jsKernels.shuffle(src, dst, 4)
 */
export const jsKernels: Kernels = {
  name: "js",
  shuffle,
  unshuffle,
  bitshuffle,
  bitunshuffle,
  deltaEncode,
  deltaDecode,
  xxhash32,
  lz4Compress,
  lz4Decompress,
  encodeChunk,
  decodeChunk,
  chunkInput,
  float32ToFloat16,
  float16ToFloat32,
  float32ToBfloat16,
  bfloat16ToFloat32,
};
