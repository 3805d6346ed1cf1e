// TEMPORARY until the kernels branch lands: JS xxhash32 only.
import { NdpackError } from "../errors.js";
import { xxhash32 } from "./js/xxhash32.js";
import type { Kernels } from "./types.js";
const missing = () => {
  throw new NdpackError("ERR_INVALID_ARGUMENT", "filters are not available yet");
};
const k: Kernels = {
  name: "js",
  xxhash32,
  shuffle: missing,
  unshuffle: missing,
  bitshuffle: missing,
  bitunshuffle: missing,
  deltaEncode: missing,
  deltaDecode: missing,
  float32ToFloat16: missing,
  float16ToFloat32: missing,
  float32ToBfloat16: missing,
  bfloat16ToFloat32: missing,
};
export function getKernels(_prefer?: "wasm" | "js" | "auto"): Kernels {
  return k;
}
export function backend(): "wasm" | "js" {
  return "js";
}
