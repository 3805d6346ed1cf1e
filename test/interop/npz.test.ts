import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { zipSync, deflateSync } from "fflate";
import { readNpz, writeNpz, loadNpz, saveNpz } from "../../src/interop/npz.js";
import { writeNpy } from "../../src/interop/npy.js";
import { NDArray, DTYPES, type DType } from "../../src/ndarray.js";
import { FIXTURES, sha256, readManifest, element, firstValues, python, tmpDir, codeOf, mutations, onlyNdpackErrors } from "./helpers.js";

const NUMPY = path.join(FIXTURES, "numpy");
const manifest = readManifest(path.join(NUMPY, "manifest.json"));

function sample(dtype: DType, shape: number[], seed: number): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new DTYPES[dtype].array(n);
  const bytes = new Uint8Array(data.buffer);
  let x = seed;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = dtype === "float64" ? (i % 8 < 4 ? 0 : x >>> 30) : x >>> 24; // compressible floats
  }
  if (dtype === "bool") for (let i = 0; i < n; i++) bytes[i] = bytes[i]! & 1;
  return new NDArray(data, shape, dtype);
}
function bundle(): Record<string, NDArray> {
  return {
    weights: sample("float32", [4, 6], 1),
    "layer/0/bias": sample("float64", [6], 2),
    ids: sample("int64", [10], 3),
    "naïve 日本": sample("uint16", [2, 2], 4),
    scalar: sample("int8", [], 5),
    empty: sample("bool", [0, 3], 6),
  };
}
function same(a: Record<string, NDArray>, b: Record<string, NDArray>): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    expect(a[k]!.dtype, k).toBe(b[k]!.dtype);
    expect(a[k]!.shape, k).toEqual(b[k]!.shape);
    expect(sha256(a[k]!), k).toBe(sha256(b[k]!));
  }
}

describe("npz fixtures written by numpy 1.24", () => {
  it.each(["bundle.npz", "bundle_compressed.npz"])("%s", (file) => {
    const arrays = loadNpz(path.join(NUMPY, file));
    expect(Object.keys(arrays).sort()).toEqual(["bias", "ids", "weights"]);
    for (const [k, a] of Object.entries(arrays)) {
      const m = manifest[`${file}:${k}`]!;
      expect(a.shape).toEqual(m.shape);
      expect(sha256(a)).toBe(m.c_order_le_sha256);
      firstValues(a, m.first).forEach((v, i) => expect(element(a, i)).toEqual(v));
    }
  });
});

describe("npz round trips", () => {
  for (const compress of [false, true]) {
    for (const zip64 of [false, true]) {
      it(`compress ${compress}, zip64 ${zip64}`, () => {
        const b = bundle();
        const bytes = writeNpz(b, { compress, zip64 });
        same(readNpz(bytes), b);
        const f = path.join(tmpDir(), "b.npz");
        saveNpz(f, b, { compress, zip64 });
        expect(fs.readdirSync(path.dirname(f))).toEqual(["b.npz"]);
        same(loadNpz(f), b);
      });
    }
  }
  it("is reproducible", () => {
    expect(Buffer.from(writeNpz(bundle(), { compress: true })).equals(Buffer.from(writeNpz(bundle(), { compress: true })))).toBe(true);
  });
  it("reads archives written by fflate's zipSync, with folder entries", () => {
    const b = bundle();
    const files: Record<string, Uint8Array> = { "dir/": new Uint8Array(0) };
    for (const [k, a] of Object.entries(b)) files[k + ".npy"] = writeNpy(a);
    same(readNpz(zipSync(files, { level: 6 })), b);
    same(readNpz(zipSync(files, { level: 0 })), b);
  });
  it("refuses bfloat16 and leaves no temp file", () => {
    const dir = tmpDir();
    expect(codeOf(() => saveNpz(path.join(dir, "x.npz"), { a: sample("float32", [2], 1), b: new NDArray(new Uint16Array(1), [1], "bfloat16") }))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

/** A one-member zip with hand-set sizes. */
function handZip(name: string, data: Uint8Array, opts: { method?: number; usize?: number; csize?: number; crc?: number } = {}): Uint8Array {
  const n = new TextEncoder().encode(name);
  const method = opts.method ?? 0;
  const local = new Uint8Array(30 + n.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(8, method, true);
  lv.setUint16(26, n.length, true);
  local.set(n, 30);
  const cd = new Uint8Array(46 + n.length);
  const cv = new DataView(cd.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(10, method, true);
  cv.setUint32(16, opts.crc ?? (method === 0 && data.length > 0 ? crc32(data) : 0), true);
  cv.setUint32(20, opts.csize ?? data.length, true);
  cv.setUint32(24, opts.usize ?? data.length, true);
  cv.setUint16(28, n.length, true);
  cd.set(n, 46);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, local.length + data.length, true);
  const out = new Uint8Array(local.length + data.length + cd.length + 22);
  out.set(local);
  out.set(data, local.length);
  out.set(cd, local.length + data.length);
  out.set(eocd, out.length - 22);
  return out;
}

describe("hostile npz input", () => {
  it("every prefix throws ERR_TRUNCATED or ERR_CORRUPT", () => {
    for (const file of ["bundle.npz", "bundle_compressed.npz"]) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(NUMPY, file)));
      for (let n = 0; n < bytes.length; n++) {
        expect(["ERR_TRUNCATED", "ERR_CORRUPT"], `${file} cut at ${n}`).toContain(codeOf(() => readNpz(bytes.subarray(0, n))));
      }
    }
  });
  it("zip bombs: declared sizes over the limits fail before inflating", () => {
    const bomb = deflateSync(new Uint8Array(50 << 20)); // 50 MiB of zeros in ~50 KB
    const t = performance.now();
    expect(codeOf(() => readNpz(handZip("a.npy", bomb, { method: 8, usize: 50 << 20 }), { maxMemberBytes: 1 << 20 }))).toBe("ERR_LIMIT");
    expect(codeOf(() => readNpz(handZip("a.npy", bomb, { method: 8, usize: 50 << 20 }), { maxTotalBytes: 1 << 20 }))).toBe("ERR_LIMIT");
    // A lying small declared size: inflation stops as soon as it passes it.
    expect(codeOf(() => readNpz(handZip("a.npy", bomb, { method: 8, usize: 1000 })))).toBe("ERR_CORRUPT");
    // A declared size deflate cannot reach from so few bytes.
    expect(codeOf(() => readNpz(handZip("a.npy", new Uint8Array(10), { method: 8, usize: 0xfffffff0 })))).toBe("ERR_CORRUPT");
    expect(performance.now() - t).toBeLessThan(1000);
  });
  it("loadNpz: missing and cut-short files", () => {
    const dir = tmpDir();
    expect(codeOf(() => loadNpz(path.join(dir, "missing.npz")))).toBe("ERR_IO");
    const bytes = fs.readFileSync(path.join(NUMPY, "bundle.npz"));
    fs.writeFileSync(path.join(dir, "cut.npz"), bytes.subarray(0, 500));
    expect(codeOf(() => loadNpz(path.join(dir, "cut.npz")))).toBe("ERR_TRUNCATED");
  });
  it("loadNpz (streaming from the file) agrees with readNpz on every prefix and on mutations", () => {
    const dir = tmpDir();
    const f = path.join(dir, "m.npz");
    const outcome = (fn: () => Record<string, NDArray>): string => {
      try {
        return JSON.stringify(Object.entries(fn()).map(([k, a]) => [k, a.dtype, a.shape, sha256(a)]));
      } catch (err) {
        return (err as { code?: string }).code ?? `not an NdpackError: ${String(err)}`;
      }
    };
    for (const file of ["bundle.npz", "bundle_compressed.npz"]) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(NUMPY, file)));
      for (let n = 0; n < bytes.length; n += 7) {
        fs.writeFileSync(f, bytes.subarray(0, n));
        expect(["ERR_TRUNCATED", "ERR_CORRUPT"], `${file} cut at ${n}`).toContain(outcome(() => loadNpz(f)));
      }
      for (const { bytes: m, at } of mutations(bytes, 300, 11)) {
        fs.writeFileSync(f, m);
        const fromFile = outcome(() => loadNpz(f));
        expect(fromFile).not.toMatch(/^not an NdpackError/);
        expect(fromFile, `${file} mutated at ${at}`).toBe(outcome(() => readNpz(m)));
      }
    }
  });
  it("CRC mismatches are ERR_CHECKSUM", () => {
    expect(codeOf(() => readNpz(handZip("a.npy", writeNpy(sample("uint8", [3], 1)), { crc: 1234 })))).toBe("ERR_CHECKSUM");
  });
  it("sizes and offsets beyond the archive are ERR_CORRUPT", () => {
    const npy = writeNpy(sample("uint8", [3], 1));
    expect(codeOf(() => readNpz(handZip("a.npy", npy, { csize: 1 << 30, usize: 1 << 30 })))).toBe("ERR_CORRUPT");
    const z = handZip("a.npy", npy);
    new DataView(z.buffer).setUint32(z.length - 6, 5, true); // central directory offset
    expect(codeOf(() => readNpz(z))).toBe("ERR_CORRUPT");
  });
  it("unsupported members and methods", () => {
    expect(codeOf(() => readNpz(handZip("a.txt", new TextEncoder().encode("hello"))))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(codeOf(() => readNpz(handZip("a.npy", new Uint8Array(4), { method: 12 })))).toBe("ERR_UNSUPPORTED_FORMAT");
    expect(codeOf(() => readNpz(new TextEncoder().encode("not a zip file at all, really not")))).toBe("ERR_BAD_MAGIC");
  });
  it("random mutations decode or throw an NdpackError", () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(NUMPY, "bundle_compressed.npz")));
    for (const { bytes: m } of mutations(bytes, 3000, 3)) onlyNdpackErrors(() => readNpz(m));
  });
});

describe("npz round trips through the real numpy", () => {
  it("numpy reads what ndpack writes (stored, deflate, zip64), names with '/' kept", () => {
    const dir = tmpDir();
    const b = bundle();
    const files: string[] = [];
    for (const compress of [false, true]) {
      for (const zip64 of [false, true]) {
        const f = path.join(dir, `${compress}-${zip64}.npz`);
        saveNpz(f, b, { compress, zip64 });
        files.push(f);
      }
    }
    const out = python(`
import sys, json, hashlib, numpy as np
for f in sys.argv[1:]:
    with np.load(f, allow_pickle=False) as z:
        print(json.dumps({k: [z[k].dtype.str, list(z[k].shape), hashlib.sha256(np.ascontiguousarray(z[k]).tobytes()).hexdigest()] for k in z.files}))
`, files).trim().split("\n");
    expect(out.length).toBe(4);
    for (const line of out) {
      const got = JSON.parse(line) as Record<string, [string, number[], string]>;
      expect(Object.keys(got).sort()).toEqual(Object.keys(b).sort());
      for (const [k, [descr, shape, sha]] of Object.entries(got)) {
        expect(descr).toBe(DTYPES[b[k]!.dtype].numpy);
        expect(shape).toEqual(b[k]!.shape);
        expect(sha).toBe(sha256(b[k]!));
      }
    }
  });
  it("ndpack reads what numpy writes (savez, savez_compressed, zip64 forced by Python's zipfile)", () => {
    const dir = tmpDir();
    const out = python(`
import sys, json, hashlib, zipfile, io, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
arrs = {'w': rng.standard_normal((30, 7)).astype('<f4'), 'a/b/c': rng.integers(-5, 5, (4, 4)).astype('>i8'),
        'flag': rng.integers(0, 2, (9,)).astype(bool), 'f': np.asfortranarray(rng.standard_normal((3, 5)))}
np.savez(d + '/s.npz', **arrs)
np.savez_compressed(d + '/c.npz', **arrs)
with zipfile.ZipFile(d + '/z.npz', 'w', compression=zipfile.ZIP_DEFLATED) as z:
    for k, a in arrs.items():
        with z.open(k + '.npy', 'w', force_zip64=True) as fh:
            np.lib.format.write_array(fh, a)
print(json.dumps({k: hashlib.sha256(np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes()).hexdigest() for k, a in arrs.items()}))
`, [dir]);
    const expected = JSON.parse(out) as Record<string, string>;
    for (const f of ["s.npz", "c.npz", "z.npz"]) {
      const got = loadNpz(path.join(dir, f));
      expect(Object.keys(got).sort(), f).toEqual(Object.keys(expected).sort());
      for (const [k, sha] of Object.entries(expected)) expect(sha256(got[k]!), `${f}:${k}`).toBe(sha);
    }
  });
});
