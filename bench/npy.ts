/**
 * Minimal `.npy` (NPY format 1.0/2.0/3.0, C order, little-endian) writer and reader for the
 * benchmarks: the dataset cache shared with child processes and Python peers, and the `.npy`
 * contestant. The interop module (`src/interop/`) is the full implementation; this one is a
 * few lines so the benchmarks do not depend on its branch.
 */
import { DTYPES, NDArray, type DType } from "../src/index.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Bytes of the header (magic, version, length, dict, padding) for `a`: total a multiple of 64. */
export function npyHeader(a: NDArray): Uint8Array {
  const descr = DTYPES[a.dtype].numpy;
  if (!descr) throw new Error(`.npy has no dtype for ${a.dtype}`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(Buffer.from(dict, "latin1"), 10);
  return out;
}

/** The whole `.npy` file for `a`, in one new buffer. */
export function npyEncode(a: NDArray, into?: Uint8Array): Uint8Array {
  const header = npyHeader(a);
  const size = header.length + a.data.byteLength;
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  out.set(header, 0);
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), header.length);
  return out;
}

const byNumpy = new Map<string, DType>();
for (const d of Object.values(DTYPES)) if (d.numpy) byNumpy.set(d.numpy, d.name);
byNumpy.set("<b1", "bool");
byNumpy.set("|i1", "int8");

/** Parses a `.npy` file; the array views `bytes` when aligned, else is a copy. */
export function npyDecode(bytes: Uint8Array): NDArray {
  for (let i = 0; i < 6; i++) if (bytes[i] !== MAGIC[i]) throw new Error("not a .npy file (bad magic)");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + hlen;
  const dict = Buffer.from(bytes.buffer, bytes.byteOffset + (major === 1 ? 10 : 12), hlen).toString("latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1];
  const fortran = /'fortran_order':\s*True/.test(dict);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`.npy header not understood: ${dict.trim()}`);
  if (fortran) throw new Error(".npy in Fortran order is not supported here");
  const dtype = byNumpy.get(descr);
  if (!dtype) throw new Error(`.npy dtype ${descr} is not supported here`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const info = DTYPES[dtype];
  const n = shape.reduce((a, b) => a * b, 1);
  const byteLength = n * info.itemsize;
  if (start + byteLength > bytes.length) throw new Error(`.npy truncated: needs ${start + byteLength} bytes, has ${bytes.length}`);
  let buf = bytes.buffer as ArrayBuffer;
  let off = bytes.byteOffset + start;
  if (off % info.itemsize !== 0) {
    buf = bytes.slice(start, start + byteLength).buffer as ArrayBuffer;
    off = 0;
  }
  return new NDArray(new info.array(buf, off, n), shape, dtype);
}
