import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClassRegistry, decode, dumpSync, encode, isNdpackError } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "ndpack-refused-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `encode(value)` throws, checked to be an NdpackError. */
function failure(value: unknown, options: Parameters<typeof encode>[1] = {}): { code: string; path?: string; message: string } {
  try {
    encode(value, options);
  } catch (e) {
    expect(isNdpackError(e)).toBe(true);
    return e as { code: string; path?: string; message: string };
  }
  throw new Error("encode did not throw");
}

function detached(size = 16): ArrayBuffer {
  const b = new ArrayBuffer(size);
  structuredClone(b, { transfer: [b] });
  return b;
}

/** A view created over a buffer that is detached afterwards. */
function detachedView(dataView = false): ArrayBufferView {
  const b = new ArrayBuffer(16);
  const v = dataView ? new DataView(b) : new Float32Array(b);
  structuredClone(b, { transfer: [b] });
  return v;
}

describe("refused values name their path", () => {
  class Layer {
    w = 1;
  }
  it.each([
    ["a function", { a: [1, { f: () => 1 }] }, "$.a[1].f"],
    ["a symbol", { s: Symbol("x") }, "$.s"],
    ["a WeakMap", [new WeakMap()], "$[0]"],
    ["a WeakSet", { "odd key": new WeakSet() }, '$["odd key"]'],
    ["a Promise", { p: Promise.resolve(1) }, "$.p"],
    ["a WeakRef", { r: new WeakRef({}) }, "$.r"],
    ["a detached ArrayBuffer", { b: detached() }, "$.b"],
    ["a typed array over a detached buffer", { t: detachedView() }, "$.t"],
    ["a DataView over a detached buffer", { t: new Map([[1, detachedView(true)]]) }, "$.t<entry 0 value>"],
    ["an unregistered class", { model: { layers: [1, 2, 3, new Layer()] } }, "$.model.layers[3]"],
    ["a subclass of Map", { m: new (class M extends Map {})() }, "$.m"],
    ["a function in a Set", { s: new Set([1, () => 1]) }, "$.s<entry 1 key>"],
    ["a function in an error's property", { e: Object.assign(new Error("x"), { f: () => 1 }) }, "$.e.f"],
  ])("%s", (_, value, path) => {
    const e = failure(value);
    expect(e.code).toBe("ERR_UNSUPPORTED_VALUE");
    expect(e.path).toBe(path);
    expect(e.message.startsWith(path)).toBe(true);
  });

  it("a buffer detached by a getter during the walk", () => {
    const buffer = new ArrayBuffer(8192);
    const value = {
      t: new Float32Array(buffer),
      get later() {
        structuredClone(buffer, { transfer: [buffer] });
        return 1;
      },
    };
    const e = failure(value);
    expect(e.code).toBe("ERR_UNSUPPORTED_VALUE");
    expect(e.path).toBe("$.t");
  });

  it("a registered class whose encode throws", () => {
    class Bad {}
    const classes = new ClassRegistry().register(Bad, { name: "Bad", encode: () => { throw new Error("nope"); }, decode: () => new Bad() });
    const e = failure({ x: [new Bad()] }, { classes });
    expect(e.code).toBe("ERR_UNSUPPORTED_VALUE");
    expect(e.path).toBe("$.x[0]<Bad payload>");
  });

  it("a registered class whose payload refers back to its instance", () => {
    class Node {
      self = this;
    }
    const classes = new ClassRegistry().register(Node, { name: "Node", encode: (n) => ({ self: n.self }), decode: () => new Node() });
    expect(failure(new Node(), { classes }).code).toBe("ERR_UNSUPPORTED_VALUE");
  });

  it("nothing is written, no partial file is left", () => {
    const path = join(dir, "refused.ndpack");
    expect(() => dumpSync({ big: new Float32Array(1 << 20), f: () => 1 }, path)).toThrow(/\$\.f/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("depth", () => {
  it("100,000 nested arrays: ERR_LIMIT on encode, not a stack overflow", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const e = failure(deep);
    expect(e.code).toBe("ERR_LIMIT");
    // The message shortens the 1,001-level path; details keep it whole.
    const path = "$" + "[0]".repeat(1000);
    expect(e.path).toBe(path);
    expect(e.message).toBe(`${path.slice(0, 80)}…(${path.length - 160} characters)…${path.slice(-80)}: nesting deeper than maxDepth 1000`);
  });

  it("100,000 nested objects, Maps and Sets", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = i % 3 === 0 ? { d: deep } : i % 3 === 1 ? new Map([[1, deep]]) : new Set([deep]);
    expect(failure(deep).code).toBe("ERR_LIMIT");
  });

  it("maxDepth is configurable on both sides", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1500; i++) deep = [deep];
    expect(failure(deep).code).toBe("ERR_LIMIT");
    const bytes = encode(deep, { maxDepth: 2000 });
    expect(() => decode(bytes)).toThrow(expect.objectContaining({ code: "ERR_LIMIT" }));
    expect(decode(bytes, { maxDepth: 2000 })).toEqual(deep);
  });

  it("a cycle without reference tracking fails at maxDepth", () => {
    const o: Record<string, unknown> = {};
    o.o = o;
    expect(failure(o, { references: false }).code).toBe("ERR_LIMIT");
  });

  it("bad options", () => {
    expect(failure(1, { unregisteredClass: "maybe" as "plain" }).code).toBe("ERR_INVALID_ARGUMENT");
    expect(failure(1, { maxDepth: -1 }).code).toBe("ERR_INVALID_ARGUMENT");
  });
});
