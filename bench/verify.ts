/**
 * Structural equality for decoded values: typed arrays by class and bytes, Maps, Sets, Dates,
 * BigInts, NDArrays. Returns true or the path of the first difference.
 */
import { NDArray } from "../src/index.js";

/** Options of {@link deepEqual}. */
export interface EqualOptions {
  /** Accept a plain number/bigint array where a typed array was expected (JSON), comparing values. */
  looseArrays?: boolean;
  /** Accept an object with the same entries where a Map was expected. */
  looseMaps?: boolean;
}

const isView = (v: unknown): v is ArrayBufferView => ArrayBuffer.isView(v) && !(v instanceof DataView);

function bytesOf(v: ArrayBufferView): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return (v as object).constructor?.name ?? "Object";
}

/** True when `actual` equals `expected`, or a string naming the first difference. */
export function deepEqual(expected: unknown, actual: unknown, o: EqualOptions = {}, path = "$"): true | string {
  if (Object.is(expected, actual)) return true;
  if (typeof expected !== "object" || expected === null) {
    return `${path}: expected ${String(expected).slice(0, 40)} (${typeof expected}), got ${String(actual).slice(0, 40)} (${typeName(actual)})`;
  }
  if (expected instanceof NDArray) {
    if (!(actual instanceof NDArray)) return `${path}: expected NDArray, got ${typeName(actual)}`;
    if (actual.dtype !== expected.dtype) return `${path}.dtype: expected ${expected.dtype}, got ${actual.dtype}`;
    if (actual.shape.join() !== expected.shape.join()) return `${path}.shape: expected [${expected.shape}], got [${actual.shape}]`;
    return deepEqual(expected.data, actual.data, o, `${path}.data`);
  }
  if (isView(expected)) {
    const e = expected as unknown as ArrayLike<number | bigint>;
    if (o.looseArrays && Array.isArray(actual)) {
      if (actual.length !== e.length) return `${path}: expected ${e.length} elements, got ${actual.length}`;
      for (let i = 0; i < e.length; i++) if (!Object.is(e[i], actual[i])) return `${path}[${i}]: expected ${e[i]}, got ${actual[i]}`;
      return true;
    }
    if (!isView(actual)) return `${path}: expected ${typeName(expected)}, got ${typeName(actual)}`;
    if (actual.constructor !== expected.constructor) return `${path}: ${typeName(expected)} came back as ${typeName(actual)}`;
    if (actual.byteLength !== expected.byteLength) return `${path}: expected ${expected.byteLength} bytes, got ${actual.byteLength}`;
    if (bytesOf(expected).compare(bytesOf(actual)) !== 0) {
      const a = bytesOf(expected), b = bytesOf(actual);
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      return `${path}: bytes differ from byte ${i}`;
    }
    return true;
  }
  if (expected instanceof Date) {
    if (!(actual instanceof Date)) return `${path}: Date came back as ${typeName(actual)}`;
    return expected.getTime() === actual.getTime() ? true : `${path}: expected ${expected.toISOString()}, got ${actual.toISOString()}`;
  }
  if (expected instanceof Map) {
    if (!(actual instanceof Map)) {
      if (o.looseMaps && typeof actual === "object" && actual !== null) return deepEqual(Object.fromEntries(expected), actual, o, path);
      return `${path}: Map came back as ${typeName(actual)}`;
    }
    if (actual.size !== expected.size) return `${path}: expected ${expected.size} entries, got ${actual.size}`;
    for (const [k, v] of expected) {
      if (!actual.has(k)) return `${path}: missing key ${String(k)}`;
      const r = deepEqual(v, actual.get(k), o, `${path}.get(${JSON.stringify(String(k))})`);
      if (r !== true) return r;
    }
    return true;
  }
  if (expected instanceof Set) {
    if (!(actual instanceof Set)) return `${path}: Set came back as ${typeName(actual)}`;
    if (actual.size !== expected.size) return `${path}: expected ${expected.size} members, got ${actual.size}`;
    for (const v of expected) if (!actual.has(v)) return `${path}: missing member ${String(v)}`;
    return true;
  }
  if (typeof actual !== "object" || actual === null) return `${path}: expected ${typeName(expected)}, got ${typeName(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected Array, got ${typeName(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} elements, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const r = deepEqual(expected[i], actual[i], o, `${path}[${i}]`);
      if (r !== true) return r;
    }
    return true;
  }
  const ek = Object.keys(expected);
  const ak = Object.keys(actual);
  if (ek.length !== ak.length) return `${path}: expected keys [${ek.slice(0, 8)}], got [${ak.slice(0, 8)}]`;
  for (const k of ek) {
    if (!Object.hasOwn(actual, k)) return `${path}: missing key ${k}`;
    const r = deepEqual((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], o, `${path}.${k}`);
    if (r !== true) return r;
  }
  return true;
}

/** Replaces every NDArray by `{ dtype, shape, data }` (the data is shared, not copied). */
export function toPlain(v: unknown): unknown {
  if (v instanceof NDArray) return { dtype: v.dtype, shape: [...v.shape], data: v.data };
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || v instanceof Date) return v;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
}
