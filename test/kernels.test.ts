// Backend selection and the wasm arena: the suite's kernels through getKernels() with WebAssembly
// available, disabled by NDPACK_DISABLE_WASM=1, deleted, and failing to compile.
import { afterEach, describe, expect, it, vi } from "vitest";
import { isNdpackError } from "../src/errors.js";
import type { Kernels } from "../src/kernels/index.js";
import { jsKernels } from "../src/kernels/js/index.js";
import { createWasmKernels, WASM_PIECE_BYTES } from "../src/kernels/wasm/index.js";
import { expectSameBytes, randomBytes } from "./helpers/kernels.js";

type KernelsModule = typeof import("../src/kernels/index.js");

/** A fresh copy of the kernel modules, so that the wasm instance cache starts empty. */
async function freshKernels(): Promise<KernelsModule> {
  vi.resetModules();
  return import("../src/kernels/index.js");
}

/** Every kernel once, checked against the js kernels' output (a small version of the suite). */
function checkAllKernels(kernels: Kernels, js: Kernels): void {
  const src = randomBytes(4096 + 13, 77);
  for (const [forward, inverse, typesize] of [
    ["shuffle", "unshuffle", 4],
    ["bitshuffle", "bitunshuffle", 8],
    ["deltaEncode", "deltaDecode", 2],
  ] as const) {
    const out = new Uint8Array(src.length);
    const expected = new Uint8Array(src.length);
    kernels[forward](src, out, typesize);
    js[forward](src, expected, typesize);
    expectSameBytes(out, expected, forward);
    const back = new Uint8Array(src.length);
    kernels[inverse](out, back, typesize);
    expectSameBytes(back, src, inverse);
  }
  expect(kernels.xxhash32(new TextEncoder().encode("abc"))).toBe(0x32d153ff);
  const half = new Uint16Array(2);
  kernels.float32ToFloat16(new Float32Array([1, 65520]), half);
  expect([...half]).toEqual([0x3c00, 0x7c00]);
  const brain = new Uint16Array(1);
  kernels.float32ToBfloat16(new Float32Array([1]), brain);
  const wide = new Float32Array(2);
  kernels.float16ToFloat32(half, wide);
  kernels.bfloat16ToFloat32(brain, wide.subarray(1));
  expect([...wide]).toEqual([1, 1]);
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

const hasWebAssembly = typeof globalThis.WebAssembly === "object";

describe.skipIf(!hasWebAssembly)("getKernels and backend", () => {
  it("auto selects wasm where WebAssembly runs", async () => {
    vi.stubEnv("NDPACK_DISABLE_WASM", ""); // the suite may run with the switch set
    const { getKernels, backend, jsKernels } = await freshKernels();
    expect(backend()).toBe("wasm");
    expect(getKernels().name).toBe("wasm");
    expect(getKernels("auto")).toBe(getKernels("wasm")); // one shared instance
    expect(getKernels("js")).toBe(jsKernels);
    checkAllKernels(getKernels(), jsKernels);
  });

  it("NDPACK_DISABLE_WASM=1 makes auto select js; an explicit wasm request still gets wasm", async () => {
    vi.stubEnv("NDPACK_DISABLE_WASM", "1");
    const { getKernels, backend, jsKernels } = await freshKernels();
    expect(backend()).toBe("js");
    expect(getKernels()).toBe(jsKernels);
    expect(getKernels("wasm").name).toBe("wasm");
    checkAllKernels(getKernels(), jsKernels);
  });

  it("NDPACK_DISABLE_WASM other than 1 leaves wasm on", async () => {
    vi.stubEnv("NDPACK_DISABLE_WASM", "0");
    const { backend } = await freshKernels();
    expect(backend()).toBe("wasm");
  });

  it("falls back to js silently when globalThis.WebAssembly is deleted", async () => {
    const saved = globalThis.WebAssembly;
    delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
    try {
      const { getKernels, backend, jsKernels } = await freshKernels(); // imported without WebAssembly
      expect("WebAssembly" in globalThis).toBe(false);
      expect(backend()).toBe("js");
      checkAllKernels(getKernels(), jsKernels);
      let caught: unknown;
      try {
        getKernels("wasm");
      } catch (e) {
        caught = e;
      }
      expect(isNdpackError(caught, "ERR_INVALID_ARGUMENT")).toBe(true);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });

  it("falls back to js silently when the module fails to compile", async () => {
    const { getKernels, backend } = await freshKernels();
    vi.stubGlobal("WebAssembly", {
      Module: class {
        constructor() {
          throw new Error("CompileError: refused");
        }
      },
      Instance: class {},
    });
    expect(backend()).toBe("js");
    expect(() => getKernels("wasm")).toThrow("WebAssembly is missing or the module failed to instantiate");
  });

  it("rejects an unknown preference", async () => {
    const { getKernels } = await freshKernels();
    expect(() => getKernels("gpu" as "js")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: 'backend must be "auto", "wasm" or "js", got "gpu"' }));
  });
});

describe.skipIf(!hasWebAssembly)("wasm arena", () => {
  it("never grows memory: 300 MiB through every kernel leaves it at the initial arena", () => {
    const kernels = createWasmKernels()!;
    const initial = kernels.memoryBytes;
    // The piece arena, the LZ4 hash table (2^13 u32 entries, static data) and the rest of the static data.
    expect(initial).toBeLessThanOrEqual(3 * WASM_PIECE_BYTES + 32 * 1024 + 128 * 1024);
    const src = randomBytes(300 * 1024 * 1024 + 5, 21);
    const dst = new Uint8Array(src.length);
    const back = new Uint8Array(src.length);
    const hash = kernels.xxhash32(src);
    for (const [forward, inverse] of [["shuffle", "unshuffle"], ["bitshuffle", "bitunshuffle"], ["deltaEncode", "deltaDecode"]] as const) {
      kernels[forward](src, dst, 8);
      kernels[inverse](dst, back, 8);
      expectSameBytes(back, src, forward);
    }
    const f32 = new Float32Array(src.buffer, 0, 40 * 1024 * 1024);
    kernels.float32ToBfloat16(f32, new Uint16Array(f32.length));
    expect(kernels.memoryBytes).toBe(initial);
    expect(hash).toBe(jsKernels.xxhash32(src));
    jsKernels.bitshuffle(src.subarray(0, 64 * 1024 * 1024 + 3), back, 8); // spot-check one against js
    kernels.bitshuffle(src.subarray(0, 64 * 1024 * 1024 + 3), dst, 8);
    expectSameBytes(dst.subarray(0, 64 * 1024 * 1024 + 3), back.subarray(0, 64 * 1024 * 1024 + 3), "bitshuffle 64 MiB");
  });
});
