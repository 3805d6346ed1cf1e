/**
 * Helpers shared by the interop formats: turning foreign bytes into typed arrays without ever
 * touching the caller's (or a mapped file's) bytes in place.
 * @internal
 */
import { NdpackError, LimitError } from "../errors.js";
import { DTYPES, NDArray, type DType, type TypedArray } from "../ndarray.js";

/**
 * Number of elements of a shape read from a file, overflow-safe. Extents must already be
 * non-negative safe integers.
 * @throws LimitError when the product exceeds 2^53 - 1
 */
export function checkedProduct(shape: readonly number[], what: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) {
      throw new LimitError(`${what}: shape [${shape.join(", ")}] holds more than 2^53 - 1 elements`);
    }
  }
  return n;
}

/** Allocates a typed array for `dtype`, turning V8's RangeError into `ERR_LIMIT`. */
export function allocate(dtype: DType, length: number): TypedArray {
  try {
    return new DTYPES[dtype].array(length);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new LimitError(`cannot allocate ${length} elements of ${dtype} (${length * DTYPES[dtype].itemsize} bytes): ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Typed array over `src` (exactly `length * itemsize` bytes, little-endian): a view when
 * `view` is true and `src` is aligned for the dtype, else a fresh copy.
 */
export function fromLittleEndian(src: Uint8Array, dtype: DType, length: number, view: boolean): TypedArray {
  const info = DTYPES[dtype];
  if (view && src.byteOffset % info.itemsize === 0) {
    return new info.array(src.buffer, src.byteOffset, length);
  }
  const out = allocate(dtype, length);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(src.subarray(0, length * info.itemsize));
  return out;
}

/** A fresh typed array holding `src`'s big-endian elements in host (little-endian) order. */
export function fromBigEndian(src: Uint8Array, dtype: DType, length: number): TypedArray {
  const info = DTYPES[dtype];
  const out = allocate(dtype, length);
  const o = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const n = length * info.itemsize;
  switch (info.itemsize) {
    case 1:
      o.set(src.subarray(0, n));
      break;
    case 2:
      for (let i = 0; i < n; i += 2) {
        o[i] = src[i + 1]!;
        o[i + 1] = src[i]!;
      }
      break;
    case 4:
      for (let i = 0; i < n; i += 4) {
        o[i] = src[i + 3]!;
        o[i + 1] = src[i + 2]!;
        o[i + 2] = src[i + 1]!;
        o[i + 3] = src[i]!;
      }
      break;
    case 8:
      for (let i = 0; i < n; i += 8) {
        for (let k = 0; k < 8; k++) o[i + k] = src[i + 7 - k]!;
      }
      break;
    default:
      throw new NdpackError("ERR_INVALID_ARGUMENT", `itemsize ${info.itemsize} cannot be byte-swapped`);
  }
  return out;
}

/**
 * Reorders elements stored in Fortran order (first axis fastest) into C order. Returns a new
 * array; `src` is not modified.
 */
export function fortranToC(src: TypedArray, shape: readonly number[], dtype: DType): TypedArray {
  const size = src.length;
  const out = allocate(dtype, size);
  const nd = shape.length;
  if (size === 0 || nd <= 1) {
    (out as Uint8Array).set(src as Uint8Array);
    return out;
  }
  // Fortran strides, in elements.
  const fstride = new Array<number>(nd);
  let s = 1;
  for (let k = 0; k < nd; k++) {
    fstride[k] = s;
    s *= shape[k]!;
  }
  const o = out as unknown as { [i: number]: number | bigint };
  const sv = src as unknown as { [i: number]: number | bigint };
  if (nd === 2) {
    const rows = shape[0]!;
    const cols = shape[1]!;
    let i = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[i++] = sv[r + c * rows]!;
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  let from = 0;
  for (let i = 0; i < size; i++) {
    o[i] = sv[from]!;
    // Increment the C-order counter (last axis fastest), keeping `from` in step.
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]!++;
      from += fstride[k]!;
      if (idx[k]! < shape[k]!) break;
      from -= fstride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** The bytes of an array's data (a view, no copy). */
export function dataBytes(arr: NDArray): Uint8Array {
  return new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
}

/** Checks that `value` is an NDArray (by shape, so duplicate package copies pass too). */
export function assertNDArray(value: unknown, what: string): asserts value is NDArray {
  if (value instanceof NDArray) return;
  const v = value as NDArray | null;
  if (
    typeof v !== "object" || v === null || !ArrayBuffer.isView(v.data) || !Array.isArray(v.shape) ||
    typeof v.dtype !== "string" || !Object.hasOwn(DTYPES, v.dtype)
  ) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${what}: expected an NDArray`);
  }
}

/**
 * The bytes of a typed array as views of at most `maxBytes` each (a multiple of 8), since one
 * Uint8Array holds at most 2^32 bytes in Node 20 while a Float64Array may hold 32 GiB.
 */
export function byteChunks(data: TypedArray, maxBytes = 1 << 30): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.byteLength; at += maxBytes) {
    out.push(new Uint8Array(data.buffer, data.byteOffset + at, Math.min(maxBytes, data.byteLength - at)));
  }
  return out;
}

/** Reverses the bytes of every element of `data` in place (only for memory ndpack owns). */
export function swapInPlace(data: TypedArray, itemsize: number): void {
  if (itemsize === 1) return;
  for (const b of byteChunks(data)) {
    for (let i = 0; i < b.length; i += itemsize) {
      for (let lo = i, hi = i + itemsize - 1; lo < hi; lo++, hi--) {
        const t = b[lo]!;
        b[lo] = b[hi]!;
        b[hi] = t;
      }
    }
  }
}

/**
 * Sets `obj[key] = value` as an own data property, also for a key named `__proto__` (which an
 * assignment would turn into a prototype change): names in foreign files are data.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
