/** JSON: typed arrays written as number arrays (what `Array.from` gives); they come back as number[]. */
import type { Contestant, Dataset } from "../types.js";
import { verifyPlain } from "./common.js";

const MAX_STRING = 2 ** 29 - 24; // V8's maximum string length in characters

function replacer(_k: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** Estimated JSON length: a 4096-element sample of each typed array, scaled. */
function estimate(v: unknown, seen = new Set<unknown>()): number {
  if (typeof v !== "object" || v === null || seen.has(v)) return 8;
  seen.add(v);
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number | bigint> & { length: number };
    const n = Math.min(a.length, 4096);
    let chars = 0;
    for (let i = 0; i < n; i++) chars += String(a[i]).length + 1;
    return n ? (chars / n) * a.length : 2;
  }
  let s = 0;
  for (const x of v instanceof Map ? v.values() : Array.isArray(v) ? v : Object.values(v)) s += estimate(x, seen) + 4;
  return s;
}

export const json: Contestant = {
  name: "JSON",
  group: "generic",
  mode: "bytes",
  version: `node ${process.versions.node}`,
  note: "JSON.stringify + UTF-8 encode / UTF-8 decode + JSON.parse; typed arrays become number[] (checked by value), Maps objects",
  async init() {},
  supports(ds: Dataset) {
    const n = estimate(ds.plain);
    if (n > MAX_STRING) return `JSON text would be about ${(n / 1e6).toFixed(0)} MB, over V8's string limit of ${(MAX_STRING / 1e6).toFixed(0)} M characters`;
    return true;
  },
  encode(ds) {
    return Buffer.from(JSON.stringify(ds.plain, replacer), "utf8");
  },
  decode(bytes) {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  },
  verify(ds, out) {
    return verifyPlain(ds, out, { looseArrays: true, looseMaps: true });
  },
};
