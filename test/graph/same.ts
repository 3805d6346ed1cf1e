/**
 * Deep equality with Object.is semantics for the graph round-trip tests: prototypes, holes
 * versus undefined, Map/Set order, own property attributes of errors, typed array classes and
 * bytes, and the identity structure (a shared object or cycle in one graph is shared at the
 * same places in the other). Returns the path of the first difference, or undefined.
 */
import { NDArray } from "../../src/index.js";

export function difference(a: unknown, b: unknown): string | undefined {
  return diff(a, b, "$", new Map(), new Map());
}

function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer)
    ? new Uint8Array(v as ArrayBuffer)
    : new Uint8Array((v as ArrayBufferView).buffer, (v as ArrayBufferView).byteOffset, (v as ArrayBufferView).byteLength);
}

function diff(a: unknown, b: unknown, path: string, ab: Map<object, object>, ba: Map<object, object>): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (typeof a !== "object" || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  const x = a as object;
  const y = b as object;
  const seenX = ab.get(x);
  const seenY = ba.get(y);
  if (seenX !== undefined || seenY !== undefined) return seenX === y && seenY === x ? undefined : `${path}: identity structure differs`;
  ab.set(x, y);
  ba.set(y, x);
  const px = Object.getPrototypeOf(x);
  const py = Object.getPrototypeOf(y);
  if (px !== py) {
    // Node's Buffer decodes as a plain Uint8Array.
    if (!(typeof Buffer === "function" && x instanceof Buffer && py === Uint8Array.prototype)) return `${path}: prototype ${px?.constructor?.name} vs ${py?.constructor?.name}`;
  }
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) {
    const bx = bytesOf(x as ArrayBuffer);
    const by = bytesOf(y as ArrayBuffer);
    if (bx.length !== by.length) return `${path}: ${bx.length} vs ${by.length} bytes`;
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return `${path}: byte ${i} differs`;
    return undefined;
  }
  if (x instanceof NDArray) {
    const z = y as NDArray;
    if (x.dtype !== z.dtype || x.shape.join() !== z.shape.join()) return `${path}: dtype or shape differs`;
    return diff(x.data, z.data, `${path}.data`, ab, ba);
  }
  if (x instanceof Date) return Object.is(x.getTime(), (y as Date).getTime()) ? undefined : `${path}: dates differ`;
  if (x instanceof RegExp) {
    const r = y as RegExp;
    if (x.source !== r.source || x.flags !== r.flags) return `${path}: regexps differ`;
    return diff(x.lastIndex, r.lastIndex, `${path}.lastIndex`, ab, ba);
  }
  if (x instanceof Map) {
    const m = y as Map<unknown, unknown>;
    if (x.size !== m.size) return `${path}: Map size ${x.size} vs ${m.size}`;
    const ex = [...x];
    const ey = [...m];
    for (let i = 0; i < ex.length; i++) {
      const d = diff(ex[i]![0], ey[i]![0], `${path}<key ${i}>`, ab, ba) ?? diff(ex[i]![1], ey[i]![1], `${path}<value ${i}>`, ab, ba);
      if (d) return d;
    }
    return undefined;
  }
  if (x instanceof Set) {
    const s = y as Set<unknown>;
    if (x.size !== s.size) return `${path}: Set size differs`;
    const ex = [...x];
    const ey = [...s];
    for (let i = 0; i < ex.length; i++) {
      const d = diff(ex[i], ey[i], `${path}<${i}>`, ab, ba);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(x) && (x as unknown[]).length !== (y as unknown[]).length) return `${path}: length ${(x as unknown[]).length} vs ${(y as unknown[]).length}`;
  // Own string keys: enumerable ones everywhere; errors also keep message, stack, cause, name, errors.
  const keys = (o: object) =>
    Object.getOwnPropertyNames(o).filter((k) => {
      if (Array.isArray(o) && k === "length") return false;
      const d = Object.getOwnPropertyDescriptor(o, k)!;
      return d.enumerable || (o instanceof Error && ["message", "stack", "cause", "name", "errors"].includes(k));
    });
  const kx = keys(x);
  const ky = keys(y);
  if (kx.join("\u0000") !== ky.join("\u0000")) return `${path}: keys [${kx.slice(0, 10).join(",")}] vs [${ky.slice(0, 10).join(",")}]`;
  for (const k of kx) {
    const dx = Object.getOwnPropertyDescriptor(x, k)!;
    const dy = Object.getOwnPropertyDescriptor(y, k)!;
    if (dx.enumerable !== dy.enumerable) return `${path}.${k}: enumerable differs`;
    if (!("value" in dy)) return `${path}.${k}: decoded as an accessor`;
    const d = diff("value" in dx ? dx.value : (x as Record<string, unknown>)[k], dy.value, `${path}.${k}`, ab, ba);
    if (d) return d;
  }
  return undefined;
}
