/**
 * The pure TypeScript kernels, the fallback when WebAssembly is missing or disabled. Each file
 * here mirrors one in `assembly/`.
 */
import type { Kernels } from "../types.js";
import { bitshuffle, bitunshuffle } from "./bitshuffle.js";
import { deltaDecode, deltaEncode } from "./delta.js";
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from "./float16.js";
import { shuffle, unshuffle } from "./shuffle.js";
import { xxhash32 } from "./xxhash32.js";

/**
 * The TypeScript implementation of {@link Kernels} (`name` "js"). Stateless apart from a
 * reused scratch buffer in bitshuffle; results equal the wasm kernels' to the byte.
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
  float32ToFloat16,
  float16ToFloat32,
  float32ToBfloat16,
  bfloat16ToFloat32,
};
