/**
 * The n-d array type and the dtype table.
 *
 * An {@link NDArray} is a typed array plus a shape, in C order (row-major: the last axis varies
 * fastest), like a C-contiguous numpy array. ndpack never copies `data` when wrapping it.
 */
import { NdpackError } from "./errors.js";

/** Element types ndpack stores. float16 and bfloat16 keep their raw bits in a `Uint16Array`. */
export type DType =
  | "bool" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64"
  | "float16" | "bfloat16" | "float32" | "float64";

/** Any typed array class ndpack can hold (all of them). */
export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A typed array constructor. */
export type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

/** One row of the dtype table. */
export interface DTypeInfo {
  /** The dtype's name. */
  readonly name: DType;
  /** Its one-byte code in the file format (docs/FORMAT.md, "dtype codes"). */
  readonly code: number;
  /** Bytes per element. */
  readonly itemsize: number;
  /** The typed array class that holds its elements. */
  readonly array: TypedArrayConstructor;
  /** numpy's little-endian type string, e.g. `<f4` (bfloat16 has none in numpy; `<V2` is not used). */
  readonly numpy: string | null;
}

const table: DTypeInfo[] = [
  { name: "bool", code: 1, itemsize: 1, array: Uint8Array, numpy: "|b1" },
  { name: "int8", code: 2, itemsize: 1, array: Int8Array, numpy: "|i1" },
  { name: "uint8", code: 3, itemsize: 1, array: Uint8Array, numpy: "|u1" },
  { name: "int16", code: 4, itemsize: 2, array: Int16Array, numpy: "<i2" },
  { name: "uint16", code: 5, itemsize: 2, array: Uint16Array, numpy: "<u2" },
  { name: "int32", code: 6, itemsize: 4, array: Int32Array, numpy: "<i4" },
  { name: "uint32", code: 7, itemsize: 4, array: Uint32Array, numpy: "<u4" },
  { name: "int64", code: 8, itemsize: 8, array: BigInt64Array, numpy: "<i8" },
  { name: "uint64", code: 9, itemsize: 8, array: BigUint64Array, numpy: "<u8" },
  { name: "float16", code: 10, itemsize: 2, array: Uint16Array, numpy: "<f2" },
  { name: "bfloat16", code: 11, itemsize: 2, array: Uint16Array, numpy: null },
  { name: "float32", code: 12, itemsize: 4, array: Float32Array, numpy: "<f4" },
  { name: "float64", code: 13, itemsize: 8, array: Float64Array, numpy: "<f8" },
] as DTypeInfo[];

/** The dtype table, by name. */
export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.fromEntries(table.map((d) => [d.name, d])) as Record<
  DType,
  DTypeInfo
>;

const byCode: (DTypeInfo | undefined)[] = [];
for (const d of table) byCode[d.code] = d;

/** The dtype with format code `code`, or undefined. */
export function dtypeFromCode(code: number): DTypeInfo | undefined {
  return byCode[code];
}

/** True when `name` is a dtype ndpack knows. */
export function isDType(name: unknown): name is DType {
  return typeof name === "string" && Object.hasOwn(DTYPES, name);
}

/** True for every typed array (not DataView). */
export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** The dtype a typed array holds by default (Uint8ClampedArray counts as uint8). */
export function defaultDType(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return "uint8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof BigUint64Array) return "uint64";
  throw new NdpackError("ERR_INVALID_ARGUMENT", `not a typed array: ${Object.prototype.toString.call(data)}`);
}

/**
 * Number of elements of `shape`, checked: every extent a non-negative safe integer and the
 * product at most 2^53 - 1.
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for a bad shape (`ERR_LIMIT` if the product overflows)
 */
export function shapeSize(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new NdpackError("ERR_INVALID_ARGUMENT", "shape must be an array of integers");
  let size = 1;
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new NdpackError("ERR_INVALID_ARGUMENT", `shape [${shape.join(", ")}]: extent ${String(n)} is not a non-negative integer`);
    }
    size *= n;
  }
  if (!Number.isSafeInteger(size)) throw new NdpackError("ERR_LIMIT", `shape [${shape.join(", ")}] holds more than 2^53 - 1 elements`);
  // A zero extent makes the product exact (0) even if another factor was huge.
  return shape.includes(0) ? 0 : size;
}

/**
 * An n-dimensional array in C order: `data` holds `product(shape)` elements of `dtype`.
 *
 * `data` is kept, not copied: the NDArray aliases the typed array you pass (and, after a
 * memory-mapped load, the file's pages).
 *
 * @example
 * const m = new NDArray(new Float32Array(6), [2, 3]);          // float32, 2 x 3
 * const h = new NDArray(new Uint16Array(4), [4], "float16");   // float16 bits
 */
export class NDArray<T extends TypedArray = TypedArray> {
  /** The elements, in C order. */
  readonly data: T;
  /** Extent of each axis, in elements; `[]` for a rank-0 (scalar) array. */
  readonly shape: number[];
  /** Element type. */
  readonly dtype: DType;

  /**
   * @param data elements in C order; its class must match `dtype` (Uint16Array for float16 and
   *   bfloat16, Uint8Array for bool)
   * @param shape extents; defaults to `[data.length]`
   * @param dtype defaults from `data`'s class (Float32Array -> float32...)
   * @throws NdpackError `ERR_INVALID_ARGUMENT` when `data` does not match `shape` or `dtype`
   */
  constructor(data: T, shape: readonly number[] = [data?.length], dtype?: DType) {
    if (!isTypedArray(data)) throw new NdpackError("ERR_INVALID_ARGUMENT", "NDArray data must be a typed array");
    const dt = dtype ?? defaultDType(data);
    if (!isDType(dt)) throw new NdpackError("ERR_INVALID_ARGUMENT", `unknown dtype ${JSON.stringify(dt)}`);
    const expected = DTYPES[dt].array;
    const ok = data instanceof expected || (dt === "uint8" && data instanceof Uint8ClampedArray);
    if (!ok) {
      throw new NdpackError("ERR_INVALID_ARGUMENT", `dtype ${dt} needs a ${expected.name}, got a ${data.constructor.name}`);
    }
    const size = shapeSize(shape);
    if (size !== data.length) {
      throw new NdpackError(
        "ERR_INVALID_ARGUMENT",
        `shape [${shape.join(", ")}] holds ${size} elements but data has ${data.length}`,
      );
    }
    this.data = data;
    this.shape = [...shape];
    this.dtype = dt;
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Bytes of `data`. */
  get nbytes(): number {
    return this.data.byteLength;
  }
}
