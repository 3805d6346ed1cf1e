// Backend selection and the wasm arena: the suite's kernels through getKernels() with WebAssembly
// available, disabled by NDPACK_DISABLE_WASM=1, deleted, and failing to compile.
import { afterEach, describe, expect, it, vi } from "vitest";
import { isNdpackError } from "../src/errors.js";
import type { Kernels } from "../src/kernels/index.js";
import { createWasmKernels, WASM_MAX_CALL_BYTES, WASM_PIECE_BYTES } from "../src/kernels/wasm/index.js";
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

describe("getKernels and backend", () => {
  it("auto selects wasm where WebAssembly runs", async () => {
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
    expect(() => getKernels("gpu" as "js")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
  });
});

describe("wasm arena limits", () => {
  it("hashes 300 MiB without growing memory past the initial arena", () => {
    const kernels = createWasmKernels()!;
    const initial = kernels.memoryBytes;
    expect(initial).toBeLessThan(3 * WASM_PIECE_BYTES + 256 * 1024);
    const data = new Uint8Array(300 * 1024 * 1024);
    data[data.length - 1] = 1;
    const hash = kernels.xxhash32(data);
    expect(kernels.memoryBytes).toBe(initial);
    const f32 = new Float32Array(data.buffer, 0, 40 * 1024 * 1024);
    kernels.float32ToBfloat16(f32, new Uint16Array(f32.length));
    expect(kernels.memoryBytes).toBe(initial);
    expect(hash).toBe(createWasmKernels()!.xxhash32(data)); // deterministic across instances
  });

  it("grows for one 64 MiB filter call, no further, and refuses a larger call with ERR_LIMIT", () => {
    const kernels = createWasmKernels()!;
    const src = new Uint8Array(WASM_MAX_CALL_BYTES + 1);
    const dst = new Uint8Array(src.length);
    let caught: unknown;
    try {
      kernels.shuffle(src, dst, 4);
    } catch (e) {
      caught = e;
    }
    expect(isNdpackError(caught, "ERR_LIMIT")).toBe(true);
    expect((caught as Error).message).toBe(`shuffle: ${WASM_MAX_CALL_BYTES + 1} bytes in one call, the wasm kernels take at most ${WASM_MAX_CALL_BYTES}; pass chunks`);
    const before = kernels.memoryBytes;
    expect(before).toBeLessThan(3 * WASM_PIECE_BYTES + 256 * 1024);
    kernels.bitshuffle(src.subarray(0, WASM_MAX_CALL_BYTES), dst, 4);
    expect(kernels.memoryBytes).toBeGreaterThan(3 * WASM_MAX_CALL_BYTES);
    expect(kernels.memoryBytes).toBeLessThanOrEqual(3 * WASM_MAX_CALL_BYTES + 256 * 1024);
    const grown = kernels.memoryBytes;
    kernels.shuffle(src.subarray(0, 1000), dst, 4); // views re-created after growth keep working
    expect(kernels.memoryBytes).toBe(grown);
  });
});
