/**
 * ndpack itself, in the variants the table compares: raw (in memory), raw through a file with
 * and without memory mapping, LZ4, LZ4 + shuffle, LZ4 + bitshuffle, each compressed variant with
 * the WebAssembly and the JavaScript kernels.
 */
import { decode, dumpSync, encode, loadInfo, loadSync, type EncodeOptions } from "../../src/index.js";
import { getKernels } from "../../src/kernels/index.js";
import type { Contestant } from "../types.js";
import { deepEqual } from "../verify.js";
import { pkgVersion } from "./common.js";

const version = (() => {
  const v = pkgVersion("ndpack");
  return v === "?" ? "0.1.0 (this checkout)" : v;
})();

/** Why `backend` cannot be used, or true. */
function backendReady(backend: "wasm" | "js"): true | string {
  try {
    const k = getKernels(backend);
    if (k.name !== backend) return `${backend} kernels not in this build (getKernels("${backend}") gave ${k.name})`;
    return true;
  } catch (e) {
    return `${backend} kernels unavailable: ${(e as Error).message}`;
  }
}

function bytesVariant(name: string, o: EncodeOptions, note: string): Contestant {
  return {
    name,
    group: "ndpack",
    mode: "bytes",
    version,
    note,
    async init() {},
    supports() {
      return o.backend && o.backend !== "auto" ? backendReady(o.backend) : true;
    },
    encode(ds) {
      return encode(ds.value, o);
    },
    decode(bytes) {
      return decode(bytes, { backend: o.backend });
    },
    verify(ds, out) {
      return deepEqual(ds.value, out);
    },
  };
}

function fileVariant(name: string, mmap: boolean, note: string): Contestant {
  return {
    name,
    group: "ndpack",
    mode: "file",
    version,
    note,
    async init() {},
    supports() {
      return true;
    },
    dump(ds, path) {
      dumpSync(ds.value, path);
    },
    load(path) {
      return loadSync(path, { mmap });
    },
    verify(ds, out) {
      const r = deepEqual(ds.value, out);
      if (r !== true || !mmap) return r;
      const info = loadInfo(out);
      if (info?.mmapFallbackReason) return `not mapped: ${info.mmapFallbackReason}`;
      return true;
    },
  };
}

export const ndpackContestants: Contestant[] = [
  bytesVariant("ndpack raw", {}, "encode / decode; decode returns views of the encoded buffer (no copy)"),
  fileVariant("ndpack raw file", false, "dumpSync / loadSync (positioned reads into new buffers); file hot in the page cache"),
  fileVariant("ndpack raw mmap", true, "dumpSync / loadSync({ mmap: true }); load maps pages lazily: first touch is not timed"),
  bytesVariant("ndpack lz4 wasm", { compress: "lz4", backend: "wasm" }, "encode / decode; 512 KiB chunks and level 9 (the defaults: LZ4 acceleration 1), xxHash32 per chunk"),
  bytesVariant("ndpack lz4 js", { compress: "lz4", backend: "js" }, "the same with the TypeScript kernels (LZ4 and xxHash32 in src/kernels/js)"),
  bytesVariant("ndpack lz4+shuffle wasm", { compress: "lz4", filters: ["shuffle"], backend: "wasm" }, "stored as lz4-split: each byte of the element an LZ4 stream of its own, as blosc splits"),
  bytesVariant("ndpack lz4+shuffle js", { compress: "lz4", filters: ["shuffle"], backend: "js" }, ""),
  bytesVariant("ndpack lz4+bitshuffle wasm", { compress: "lz4", filters: ["bitshuffle"], backend: "wasm" }, ""),
  bytesVariant("ndpack lz4+bitshuffle js", { compress: "lz4", filters: ["bitshuffle"], backend: "js" }, ""),
  bytesVariant("ndpack lz4+shuffle level 5", { compress: "lz4", filters: ["shuffle"], level: 5, backend: "wasm" }, "wasm, level 5: LZ4 at acceleration 5, the setting of the py blosc rows (clevel 5)"),
  bytesVariant("ndpack lz4+bitshuffle level 5", { compress: "lz4", filters: ["bitshuffle"], level: 5, backend: "wasm" }, "wasm, level 5, as above"),
];
