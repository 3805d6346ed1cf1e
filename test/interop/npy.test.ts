import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { readNpy, writeNpy, loadNpy, saveNpy, parseNpyHeader, NPY_MAX_HEADER_BYTES } from "../../src/interop/npy.js";
import { NDArray, DTYPES, type DType } from "../../src/ndarray.js";
import { mmapUnavailableReason } from "../../src/io/mmap.js";
import { FIXTURES, sha256, readManifest, element, python, tmpDir, codeOf, mutations, onlyNdpackErrors } from "./helpers.js";

const NUMPY = path.join(FIXTURES, "numpy");
const manifest = readManifest(path.join(NUMPY, "manifest.json"));
const DESCR_DTYPE: Record<string, DType> = {
  b1: "bool", i1: "int8", u1: "uint8", i2: "int16", u2: "uint16", i4: "int32", u4: "uint32",
  i8: "int64", u8: "uint64", f2: "float16", f4: "float32", f8: "float64",
};

function expectMatches(arr: NDArray, m: (typeof manifest)[string]): void {
  expect(arr.dtype).toBe(DESCR_DTYPE[m.dtype.slice(1)]);
  expect(arr.shape).toEqual(m.shape);
  expect(sha256(arr)).toBe(m.c_order_le_sha256);
  m.first.forEach((v, i) => expect(element(arr, i)).toEqual(v));
}

const npyFixtures = Object.entries(manifest).filter(([k]) => k.endsWith(".npy"));

describe("npy fixtures written by numpy 1.24", () => {
  it("lists every fixture", () => expect(npyFixtures.length).toBe(18));
  it.each(npyFixtures)("readNpy %s", (name, m) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(NUMPY, name)));
    const before = Buffer.from(bytes);
    expectMatches(readNpy(bytes), m);
    expect(Buffer.from(bytes).equals(before)).toBe(true); // never swapped in place
    const h = parseNpyHeader(bytes);
    expect(h.fortranOrder).toBe(m.fortran_order);
    expect(h.descr).toBe(m.dtype);
    expect(h.bigEndian).toBe(m.dtype.startsWith(">"));
  });
  it.each(npyFixtures)("loadNpy %s, read and mmap", (name, m) => {
    const file = path.join(NUMPY, name);
    expectMatches(loadNpy(file), m);
    const before = fs.readFileSync(file);
    const mapped = loadNpy(file, { mmap: true });
    expectMatches(mapped, m);
    expect(mapped.data.byteOffset % DTYPES[mapped.dtype].itemsize).toBe(0);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
  it("special values: nan, inf, -0, denormal", () => {
    const a = readNpy(fs.readFileSync(path.join(NUMPY, "special_f4.npy")));
    expect(Object.is(a.data[1], -0)).toBe(true);
    expect(a.data[2]).toBe(Infinity);
    expect(Array.from(a.data as Float32Array).some(Number.isNaN)).toBe(true);
  });
});

describe("mmap", () => {
  it("maps little-endian C-order data as a view, copy-on-write", () => {
    if (mmapUnavailableReason()) throw new Error(`mmap addon expected here: ${mmapUnavailableReason()}`);
    const dir = tmpDir();
    const file = path.join(dir, "m.npy");
    const src = new NDArray(Float32Array.from({ length: 4096 }, (_, i) => i), [64, 64]);
    saveNpy(file, src);
    const a = loadNpy(file, { mmap: true });
    // A view of a mapping: its buffer is the mapping (page-rounded), not a fresh exact buffer.
    expect(a.data.byteOffset % 64).toBe(0);
    expect(a.data.buffer.byteLength).toBeGreaterThanOrEqual(a.data.byteLength + 128);
    expect(sha256(a)).toBe(sha256(src));
    (a.data as Float32Array)[0] = 42;
    expect(readNpy(fs.readFileSync(file)).data[0]).toBe(0); // the file is unchanged
  });
});

function sample(dtype: DType, n: number): NDArray {
  const info = DTYPES[dtype];
  const data = new info.array(n);
  const bytes = new Uint8Array(data.buffer);
  let x = 12345 + n;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  if (dtype === "bool") for (let i = 0; i < n; i++) bytes[i] = bytes[i]! & 1;
  return new NDArray(data, [n], dtype);
}
function reshape(a: NDArray, shape: number[]): NDArray {
  return new NDArray(a.data, shape, a.dtype);
}

const dtypes = (Object.keys(DTYPES) as DType[]).filter((d) => d !== "bfloat16");
const shapes: number[][] = [[], [0], [7], [3, 5], [0, 5], [2, 3, 4], [1, 1, 1, 1]];

describe("writeNpy / readNpy round trip", () => {
  for (const dtype of dtypes) {
    it.each(shapes.map((s) => [JSON.stringify(s), s] as const))(`${dtype} shape %s`, (_n, shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const a = reshape(sample(dtype, size), shape);
      const bytes = writeNpy(a);
      const h = parseNpyHeader(bytes);
      expect(h.dataOffset % 64).toBe(0);
      expect(h.version).toEqual([1, 0]);
      expect(bytes[h.dataOffset - 1]).toBe(0x0a);
      const b = readNpy(bytes);
      expect(b.dtype).toBe(dtype);
      expect(b.shape).toEqual(shape);
      expect(sha256(b)).toBe(sha256(a));
    });
  }
  it("refuses bfloat16 with a clear error", () => {
    const a = new NDArray(new Uint16Array(2), [2], "bfloat16");
    expect(codeOf(() => writeNpy(a))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(() => writeNpy(a)).toThrow(/numpy has no bfloat16/);
  });
  it("transposes Fortran-order 3-d data into C order", () => {
    // shape (2,3,4) stored F order: element (i,j,k) at i + 2j + 6k
    const f = new Float64Array(24);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) f[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
    const c = writeNpy(new NDArray(f, [24]));
    const text = new TextDecoder().decode(c.subarray(10, 74)).replace("False", "True ").replace("(24,)", "(2,3,4)");
    c.set(new TextEncoder().encode(text), 10);
    const a = readNpy(c);
    expect(a.shape).toEqual([2, 3, 4]);
    const expected = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expected.push(100 * i + 10 * j + k);
    expect(Array.from(a.data as Float64Array)).toEqual(expected);
  });
});

describe("saveNpy", () => {
  it("writes atomically and leaves no temp file", () => {
    const dir = tmpDir();
    const file = path.join(dir, "a.npy");
    fs.writeFileSync(file, "old");
    saveNpy(file, new NDArray(Int32Array.of(1, 2, 3)));
    expect(fs.readdirSync(dir)).toEqual(["a.npy"]);
    expect(Array.from(loadNpy(file).data as Int32Array)).toEqual([1, 2, 3]);
  });
  it("leaves the target untouched when the array is refused", () => {
    const dir = tmpDir();
    const file = path.join(dir, "a.npy");
    fs.writeFileSync(file, "old");
    expect(codeOf(() => saveNpy(file, new NDArray(new Uint16Array(1), [1], "bfloat16")))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(fs.readFileSync(file, "utf8")).toBe("old");
    expect(fs.readdirSync(dir)).toEqual(["a.npy"]);
  });
  it("reports ERR_IO for a missing folder", () => {
    expect(codeOf(() => saveNpy(path.join(tmpDir(), "no", "a.npy"), new NDArray(new Uint8Array(1))))).toBe("ERR_IO");
  });
});

function npyWithHeader(dict: string, dataBytes = 0, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  new DataView(out.buffer).setUint32(8, total - pre, true);
  out.set(new TextEncoder().encode(dict.padEnd(total - pre - 1, " ") + "\n"), pre);
  return out;
}

describe("hostile npy input", () => {
  it("every prefix of every fixture throws ERR_TRUNCATED (or ERR_CORRUPT), never RangeError", () => {
    for (const [name] of npyFixtures) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(NUMPY, name)));
      const h = parseNpyHeader(bytes);
      for (let n = 0; n < h.dataOffset + h.dataBytes; n++) {
        const code = codeOf(() => readNpy(bytes.subarray(0, n)));
        expect(["ERR_TRUNCATED", "ERR_CORRUPT"], `${name} cut at ${n}`).toContain(code);
      }
    }
  });
  it("huge declared shapes fail fast without allocating", () => {
    const t = performance.now();
    expect(codeOf(() => readNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000), }")))).toBe("ERR_TRUNCATED");
    expect(codeOf(() => readNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")))).toBe("ERR_LIMIT");
    expect(codeOf(() => readNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }")))).toBe("ERR_LIMIT");
    expect(performance.now() - t).toBeLessThan(100);
  });
  it("a zero extent makes a huge product exact", () => {
    const a = readNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }"));
    expect(a.size).toBe(0);
    expect(a.shape).toEqual([0, 4294967296, 4294967296]);
  });
  it("loadNpy reads headers longer than its first 4 KiB read", () => {
    const f = path.join(tmpDir(), "long.npy");
    const dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }" + " ".repeat(6000);
    const b = npyWithHeader(dict, 4);
    b.set([7, 0, 9, 0], b.length - 4);
    fs.writeFileSync(f, b);
    for (const mmap of [false, true]) expect(Array.from(loadNpy(f, { mmap }).data as Int16Array)).toEqual([7, 9]);
  });
  it("caps the header length", () => {
    const big = new Uint8Array(12 + NPY_MAX_HEADER_BYTES + 100);
    big.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(big.buffer).setUint32(8, 0xffffffff, true);
    expect(codeOf(() => readNpy(big))).toBe("ERR_LIMIT");
  });
  it.each([
    ["object arrays", "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", "ERR_UNSUPPORTED_FORMAT"],
    ["structured dtypes", "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,), }", "ERR_UNSUPPORTED_FORMAT"],
    ["complex", "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", "ERR_UNSUPPORTED_FORMAT"],
    ["a call instead of a literal", "{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (3,), }", "ERR_CORRUPT"],
    ["missing key", "{'descr': '<f4', 'shape': (3,), }", "ERR_CORRUPT"],
    ["extra key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1, }", "ERR_CORRUPT"],
    ["negative extent", "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", "ERR_CORRUPT"],
    ["float extent", "{'descr': '<f4', 'fortran_order': False, 'shape': (3.5,), }", "ERR_CORRUPT"],
    ["not a dict", "[1, 2]", "ERR_CORRUPT"],
    ["deep nesting", "{'descr': " + "(".repeat(100) + ")".repeat(100) + "}", "ERR_CORRUPT"],
    ["fortran_order not a bool", "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", "ERR_CORRUPT"],
  ])("refuses %s", (_n, dict, code) => {
    expect(codeOf(() => readNpy(npyWithHeader(dict, 64)))).toBe(code);
  });
  it("refuses bad magic and unknown versions", () => {
    expect(codeOf(() => readNpy(new TextEncoder().encode("PK\x03\x04 not npy at all")))).toBe("ERR_BAD_MAGIC");
    const v = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4);
    v[6] = 4;
    expect(codeOf(() => readNpy(v))).toBe("ERR_UNSUPPORTED_FORMAT");
  });
  it("reads versions 2.0 and 3.0 (UTF-8 header)", () => {
    const v2 = npyWithHeader("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", 4, 2);
    v2.set([1, 0, 2, 0], v2.length - 4);
    expect(Array.from(readNpy(v2).data as Int16Array)).toEqual([1, 2]);
    const v3 = npyWithHeader("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", 4, 3);
    v3.set([0, 1, 0, 2], v3.length - 4);
    expect(Array.from(readNpy(v3).data as Int16Array)).toEqual([1, 2]);
  });
  it("random mutations of fixtures decode or throw an NdpackError", () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(NUMPY, "fortran_f8.npy")));
    for (const { bytes: m } of mutations(bytes, 3000, 1, 3, 128)) onlyNdpackErrors(() => readNpy(m));
  });
});

describe("round trips through the real numpy", () => {
  const check = `
import sys, hashlib, numpy as np
for f in sys.argv[1:]:
    a = np.load(f, allow_pickle=False)
    c = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<'))
    print(f, a.dtype.str, str(list(a.shape)).replace(' ', ''), hashlib.sha256(c.tobytes()).hexdigest())
`;
  it("numpy reads every dtype and shape ndpack writes", () => {
    const dir = tmpDir();
    const files: [string, NDArray][] = [];
    for (const dtype of dtypes) {
      for (const shape of shapes) {
        const a = reshape(sample(dtype, shape.reduce((p, q) => p * q, 1)), shape);
        const f = path.join(dir, `${dtype}_${shape.join("x") || "0d"}.npy`);
        saveNpy(f, a);
        files.push([f, a]);
      }
    }
    const lines = python(check, files.map(([f]) => f)).trim().split("\n");
    expect(lines.length).toBe(files.length);
    lines.forEach((line, i) => {
      const [f, a] = files[i]!;
      const [name, descr, shape, sha] = line.split(" ");
      expect(name).toBe(f);
      expect(descr).toBe(DTYPES[a.dtype].numpy);
      expect(JSON.parse(shape!)).toEqual(a.shape);
      expect(sha).toBe(sha256(a));
    });
  });
  it("ndpack reads what numpy writes: both byte orders, Fortran order, versions 1, 2, 3", () => {
    const dir = tmpDir();
    const out = python(`
import sys, hashlib, numpy as np, numpy.lib.format as fmt
d = sys.argv[1]
rng = np.random.default_rng(7)
i = 0
for t in ['<f2','>f2','<f4','>f4','<f8','>f8','|i1','<i2','>i2','<i4','>i4','<i8','>i8','|u1','<u2','>u2','<u4','>u4','<u8','>u8','|b1']:
    for shape in [(), (0,), (5,), (3, 4), (2, 3, 4)]:
        for order in 'CF':
            for version in [(1, 0), (2, 0), (3, 0)]:
                a = (rng.standard_normal(shape) * 1000).astype(t)
                if order == 'F': a = np.asfortranarray(a)
                f = '%s/%d.npy' % (d, i); i += 1
                with open(f, 'wb') as fh: fmt.write_array(fh, a, version=version)
                c = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<'))
                print(f, a.dtype.str, str(list(a.shape)).replace(' ', ''), hashlib.sha256(c.tobytes()).hexdigest())
`, [dir]).trim().split("\n");
    expect(out.length).toBe(21 * 5 * 2 * 3);
    for (const line of out) {
      const [f, descr, shape, sha] = line.split(" ");
      for (const a of [loadNpy(f!), loadNpy(f!, { mmap: true })]) {
        expect(a.dtype, f).toBe(DESCR_DTYPE[descr!.slice(1)]);
        expect(a.shape).toEqual(JSON.parse(shape!));
        expect(sha256(a), line).toBe(sha);
      }
    }
  });
});
