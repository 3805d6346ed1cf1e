/**
 * Kernel selection: the WebAssembly core when it can run, the TypeScript twins otherwise.
 * Browser-safe: `process` is only read behind a `typeof` guard.
 */
import { NdpackError, shownValue } from "../errors.js";
import { jsKernels } from "./js/index.js";
import type { Kernels } from "./types.js";
import { createWasmKernels } from "./wasm/index.js";

export type { EncodedChunk, Kernels } from "./types.js";
export { jsKernels } from "./js/index.js";
export { WASM_PIECE_BYTES } from "./wasm/index.js";

/** Which kernels to use: "auto" picks wasm unless disabled or unavailable. */
export type KernelPreference = "wasm" | "js" | "auto";

// undefined: not tried yet; null: tried and unavailable.
let wasmKernels: Kernels | null | undefined;

function wasmDisabledByEnv(): boolean {
  return typeof process === "object" && process !== null && process.env?.NDPACK_DISABLE_WASM === "1";
}

function loadWasm(): Kernels | null {
  if (wasmKernels === undefined) wasmKernels = createWasmKernels();
  return wasmKernels;
}

/**
 * Returns a kernel implementation. The wasm one is instantiated on first use and shared.
 * @param prefer "auto" (default): wasm, unless `NDPACK_DISABLE_WASM=1` is set in the
 *   environment, `globalThis.WebAssembly` is missing or the module fails to instantiate, in
 *   which case the js kernels, silently. "wasm": the wasm kernels, ignoring the environment
 *   switch. "js": the TypeScript kernels.
 * @returns the kernels; `name` says which
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `prefer` is "wasm" and WebAssembly cannot
 *   run here, or `prefer` is not one of the three values
 * @example getKernels().shuffle(chunk, out, 4)
 */
export function getKernels(prefer: KernelPreference = "auto"): Kernels {
  switch (prefer) {
    case "js":
      return jsKernels;
    case "auto":
      return wasmDisabledByEnv() ? jsKernels : (loadWasm() ?? jsKernels);
    case "wasm": {
      const kernels = loadWasm();
      if (kernels === null) throw new NdpackError("ERR_INVALID_ARGUMENT", "wasm kernels requested, but WebAssembly is missing or the module failed to instantiate");
      return kernels;
    }
    default:
      throw new NdpackError("ERR_INVALID_ARGUMENT", `backend must be "auto", "wasm" or "js", got ${shownValue(prefer)}`);
  }
}

/**
 * The backend "auto" selects here and now.
 * @returns "wasm" or "js"
 * @example if (backend() === "js") console.warn("ndpack: running without WebAssembly")
 */
export function backend(): "wasm" | "js" {
  return getKernels("auto").name;
}
