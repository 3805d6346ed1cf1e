import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  readSafetensors, writeSafetensors, loadSafetensors, saveSafetensors, SAFETENSORS_MAX_HEADER_BYTES,
} from "../../src/interop/safetensors.js";
import { NDArray, DTYPES, type DType } from "../../src/ndarray.js";
import { sha256, python, tmpDir, codeOf, mutations, onlyNdpackErrors } from "./helpers.js";

function sample(dtype: DType, shape: number[], seed: number): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new DTYPES[dtype].array(n);
  const bytes = new Uint8Array(data.buffer);
  let x = seed;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  if (dtype === "bool") for (let i = 0; i < n; i++) bytes[i] = bytes[i]! & 1;
  return new NDArray(data, shape, dtype);
}

const ALL = Object.keys(DTYPES) as DType[];
function allTensors(): Record<string, NDArray> {
  const t: Record<string, NDArray> = {};
  ALL.forEach((d, i) => {
    t[`layer.${d}`] = sample(d, [3, i + 1], i + 1);
  });
  t["scalar"] = sample("float32", [], 99);
  t["empty"] = sample("int64", [0, 4], 98);
  t["odd"] = sample("uint8", [5], 97);
  return t;
}

/** Builds a file from a raw header object and data. */
function raw(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad) json = new TextEncoder().encode(JSON.stringify(header).padEnd(Math.ceil(json.length / 8) * 8, " "));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors round trip", () => {
  it("every dtype, 0-d and empty tensors, metadata", () => {
    const t = allTensors();
    const bytes = writeSafetensors(t, { format: "pt", note: "naïve 日本" });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: "pt", note: "naïve 日本" });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(t).sort());
    for (const [k, a] of Object.entries(t)) {
      expect(back.tensors[k]!.dtype).toBe(a.dtype);
      expect(back.tensors[k]!.shape).toEqual(a.shape);
      expect(sha256(back.tensors[k]!)).toBe(sha256(a));
    }
  });
  it("loadSafetensors with and without mmap gives aligned views", () => {
    const dir = tmpDir();
    const f = path.join(dir, "m.safetensors");
    const t = allTensors();
    saveSafetensors(f, t, { a: "b" });
    expect(fs.readdirSync(dir)).toEqual(["m.safetensors"]);
    for (const mmap of [false, true]) {
      const back = loadSafetensors(f, { mmap });
      expect(back.metadata).toEqual({ a: "b" });
      for (const [k, a] of Object.entries(t)) {
        const b = back.tensors[k]!;
        expect(sha256(b)).toBe(sha256(a));
        expect(b.data.byteOffset % DTYPES[b.dtype].itemsize).toBe(0);
      }
    }
  });
  it("copies tensors whose offsets are unaligned (files from other writers)", () => {
    const data = new Uint8Array(1 + 8);
    new DataView(data.buffer).setFloat64(1, 2.5, true);
    const f = path.join(tmpDir(), "u.safetensors");
    fs.writeFileSync(f, raw({ a: { dtype: "U8", shape: [1], data_offsets: [0, 1] }, b: { dtype: "F64", shape: [], data_offsets: [1, 9] } }, data));
    for (const mmap of [false, true]) expect(loadSafetensors(f, { mmap }).tensors["b"]!.data[0]).toBe(2.5);
  });
  it("refuses __metadata__ as a tensor name and non-string metadata", () => {
    expect(codeOf(() => writeSafetensors({ __metadata__: sample("uint8", [1], 1) }))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => writeSafetensors({}, { a: 1 as unknown as string }))).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("hostile safetensors input", () => {
  const f32 = (n: number) => new Uint8Array(4 * n);
  it.each([
    ["overlap", { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32(3), "ERR_CORRUPT"],
    ["hole", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, f32(3), "ERR_CORRUPT"],
    ["out of range", { a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32(2), "ERR_TRUNCATED"],
    ["trailing bytes", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(2), "ERR_CORRUPT"],
    ["length vs shape", { a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32(2), "ERR_CORRUPT"],
    ["end before begin", { a: { dtype: "F32", shape: [0], data_offsets: [8, 0] } }, f32(2), "ERR_CORRUPT"],
    ["huge shape", { a: { dtype: "F64", shape: [4294967296, 4294967296], data_offsets: [0, 8] } }, f32(2), "ERR_LIMIT"],
    ["negative offset", { a: { dtype: "F32", shape: [1], data_offsets: [-4, 0] } }, f32(1), "ERR_CORRUPT"],
    ["unknown dtype", { a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, f32(1), "ERR_UNSUPPORTED_FORMAT"],
    ["metadata not strings", { __metadata__: { a: 1 } }, f32(0), "ERR_CORRUPT"],
    ["not an object", [1, 2], f32(0), "ERR_CORRUPT"],
  ])("%s", (_n, header, data, code) => {
    expect(codeOf(() => readSafetensors(raw(header, data)))).toBe(code);
    const f = path.join(tmpDir(), "h.safetensors");
    fs.writeFileSync(f, raw(header, data));
    expect(codeOf(() => loadSafetensors(f, { mmap: true }))).toBe(code);
  });
  it("huge header sizes fail fast", () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setUint32(4, 0xffffffff, true);
    expect(codeOf(() => readSafetensors(b))).toBe("ERR_LIMIT");
    new DataView(b.buffer).setUint32(0, SAFETENSORS_MAX_HEADER_BYTES + 1, true);
    new DataView(b.buffer).setUint32(4, 0, true);
    expect(codeOf(() => readSafetensors(b))).toBe("ERR_LIMIT");
    new DataView(b.buffer).setUint32(0, 1000, true);
    expect(codeOf(() => readSafetensors(b))).toBe("ERR_TRUNCATED");
  });
  it("every prefix throws ERR_TRUNCATED or ERR_CORRUPT", () => {
    const bytes = writeSafetensors({ a: sample("float32", [2, 3], 1), b: sample("int16", [3], 2) }, { k: "v" });
    for (let n = 0; n < bytes.length; n++) {
      expect(["ERR_TRUNCATED", "ERR_CORRUPT"], `cut at ${n}`).toContain(codeOf(() => readSafetensors(bytes.subarray(0, n))));
    }
  });
  it("random mutations decode or throw an NdpackError", () => {
    const bytes = writeSafetensors({ a: sample("float32", [2, 3], 1), b: sample("int16", [3], 2) });
    for (const { bytes: m } of mutations(bytes, 3000, 7)) onlyNdpackErrors(() => readSafetensors(m));
  });
});

describe("safetensors layout through the real numpy", () => {
  const NP = { F64: "<f8", F32: "<f4", F16: "<f2", I64: "<i8", I32: "<i4", I16: "<i2", I8: "|i1", U64: "<u8", U32: "<u4", U16: "<u2", U8: "|u1", BOOL: "|b1", BF16: "<u2" };
  it("a python reader of the layout reads what ndpack writes", () => {
    const f = path.join(tmpDir(), "w.safetensors");
    const t = allTensors();
    saveSafetensors(f, t, { format: "np" });
    const out = python(`
import sys, json, struct, hashlib, numpy as np
NP = json.loads(sys.argv[2])
b = open(sys.argv[1], 'rb').read()
n, = struct.unpack('<Q', b[:8])
assert n % 8 == 0
h = json.loads(b[8:8 + n])
meta = h.pop('__metadata__')
print(json.dumps(meta))
end = 0
for k, v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets']):
    s, e = v['data_offsets']
    assert s == end; end = e
    a = np.frombuffer(b[8 + n + s: 8 + n + e], dtype=NP[v['dtype']]).reshape(v['shape'])
    print(k, v['dtype'], hashlib.sha256(a.tobytes()).hexdigest())
assert 8 + n + end == len(b)
`, [f, JSON.stringify(NP)]).trim().split("\n");
    expect(JSON.parse(out[0]!)).toEqual({ format: "np" });
    expect(out.length - 1).toBe(Object.keys(t).length);
    for (const line of out.slice(1)) {
      const [k, , sha] = line.split(" ");
      expect(sha, k).toBe(sha256(t[k!]!));
    }
  });
  it("ndpack reads a file numpy lays out (unpadded header, arbitrary order)", () => {
    const f = path.join(tmpDir(), "p.safetensors");
    const out = python(`
import sys, json, struct, hashlib, numpy as np
rng = np.random.default_rng(3)
arrs = {'z.f64': rng.standard_normal((4, 3)), 'a.i8': rng.integers(-9, 9, (5,), dtype=np.int8),
        'm.u64': rng.integers(0, 2**63, (2, 2), dtype=np.uint64), 'b.f16': rng.standard_normal(3).astype('<f2'),
        'e.bool': rng.integers(0, 2, (7,)).astype(bool)}
ST = {'float64': 'F64', 'int8': 'I8', 'uint64': 'U64', 'float16': 'F16', 'bool': 'BOOL'}
h, data = {'__metadata__': {'who': 'numpy'}}, b''
for k, a in arrs.items():
    h[k] = {'dtype': ST[a.dtype.name], 'shape': list(a.shape), 'data_offsets': [len(data), len(data) + a.nbytes]}
    data += a.tobytes()
j = json.dumps(h).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(j)) + j + data)
for k, a in arrs.items(): print(k, hashlib.sha256(a.tobytes()).hexdigest())
`, [f]).trim().split("\n");
    for (const mmap of [false, true]) {
      const back = loadSafetensors(f, { mmap });
      expect(back.metadata).toEqual({ who: "numpy" });
      for (const line of out) {
        const [k, sha] = line.split(" ");
        expect(sha256(back.tensors[k!]!), k).toBe(sha);
      }
    }
  });
});
