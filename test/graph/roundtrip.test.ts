import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClassRegistry, decode, dumpSync, encode, loadSync, NDArray, registerClass } from "../../src/index.js";
import { encodeGraph } from "../../src/graph/encode.js";
import { Tag } from "../../src/graph/tags.js";
import { difference } from "./same.js";

// decode takes the options both sides share (classes); encode-only ones such as `references` it refuses.
const rt = <T>(v: T, o: Parameters<typeof encode>[1] = {}): T => decode(encode(v, o), o.classes ? { classes: o.classes } : {}) as T;
const expectSame = (v: unknown, o?: Parameters<typeof encode>[1]) => {
  const back = rt(v, o);
  expect(difference(v, back)).toBeUndefined();
  return back;
};

const dir = mkdtempSync(join(tmpdir(), "ndpack-graph-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scalars", () => {
  it.each([
    ["undefined", undefined],
    ["null", null],
    ["true", true],
    ["false", false],
    ["0", 0],
    ["-0", -0],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["1.5", 1.5],
    ["2^53", 2 ** 53],
    ["-2^31", -(2 ** 31)],
    ["2^31", 2 ** 31],
    ["Number.MIN_VALUE", Number.MIN_VALUE],
    ["127", 127],
    ["128", 128],
  ])("%s", (_, v) => {
    expect(Object.is(rt(v), v)).toBe(true);
  });

  it.each([0n, 1n, -1n, 127n, 255n, 256n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n, -(2n ** 200n) + 12345n, 3n ** 1000n])("BigInt %s", (v) => {
    const back = rt(v);
    expect(typeof back).toBe("bigint");
    expect(back).toBe(v);
  });

  it("keeps BigInt and number distinct", () => {
    const back = rt([1, 1n, -0, 0n]);
    expect(back.map((x) => typeof x)).toEqual(["number", "bigint", "number", "bigint"]);
  });

  it.each([
    ["empty", ""],
    ["ASCII", "hello"],
    ["two-byte", "héllo wörld"],
    ["astral", "😀 𝒳"],
    ["lone high surrogate", "\ud800"],
    ["lone low surrogate inside", "a\udc00b"],
    ["reversed pair", "\udc00\ud800"],
    ["long lone surrogate", "x".repeat(100) + "\ud83d"],
    ["long ASCII", "abc".repeat(10_000)],
    ["long mixed", "é😀a".repeat(10_000)],
    ["leading U+FEFF, short", "\ufeffx"],
    ["leading U+FEFF, long", "\ufeff" + "€".repeat(100)],
    ["only U+FEFF, long", "\ufeff".repeat(50)],
  ])("string: %s", (_, s) => {
    expect(rt(s)).toBe(s);
  });

  it("strings at the string heap's 42-unit limit, in and out of it, keep their order", () => {
    const list = [41, 42, 43].flatMap((n) => ["a".repeat(n), "é".repeat(n), "😀".repeat(n >> 1) + "x".repeat(n & 1), "x".repeat(n - 1) + "\ud800"]);
    // An object, so they are not a string list: each is its own value, in the heap or in place.
    const back = rt(Object.fromEntries(list.map((s, i) => [s, i])));
    expect(Object.keys(back)).toEqual(list);
    expect(Object.values(back)).toEqual(list.map((_, i) => i));
  });

  it("string lists: surrogate halves at word boundaries never pair up; holes and other values are not lists", () => {
    const words = ["the", "of", "and", "to", "in", "a", "is", "it"];
    const cases: unknown[][] = [
      [...words, "x\ud800", "\udc00y"], // would make one pair if joined
      [...words, "\ud83d", "\ude00"],
      [...words, "mid\udc00dle"],
      [...words, "😀", "é", ""],
      [...words, "Zürich", "東京", "ÿ", "\u0100", "x".repeat(200), "Ā".repeat(200), "\u0085\u009b"],
      ["\ufeff" + "€".repeat(100), ...words, "\ufeff"],
      [...words, 1],
    ];
    const holey = [...words];
    holey[12] = "z";
    cases.push(holey);
    for (const list of cases) {
      const back = rt(list);
      expect(back).toEqual(list);
      expect(back.length).toBe(list.length);
      expect(Object.keys(back)).toEqual(Object.keys(list));
    }
    // A proper list is stored as one HEAP_STRING_LIST; the others as arrays, after their string heap.
    const rootTag = (m: Uint8Array) => (m[0] === Tag.STRING_HEAP ? m[2 + m[1]!] : m[0]); // heaps here are < 128 bytes
    expect(rootTag(encodeGraph(cases[3]).manifest)).toBe(Tag.HEAP_STRING_LIST);
    for (const i of [0, 1, 2, 6]) expect(rootTag(encodeGraph(cases[i]).manifest)).toBe(Tag.ARRAY);
  });

  it("a string of 200 MB round-trips", () => {
    const s = "ab\u00e9".repeat(70_000_000);
    const back = rt(s);
    expect(back.length).toBe(s.length);
    expect(back === s).toBe(true);
  });
});

describe("objects and arrays", () => {
  it("Date, including an invalid one", () => {
    const back = rt([new Date(0), new Date(-8.64e15), new Date(NaN), new Date(1700000000123)]);
    expect(back.every((d) => d instanceof Date)).toBe(true);
    expect(back.map((d) => d.getTime())).toEqual([0, -8.64e15, NaN, 1700000000123]);
  });

  it("RegExp: source, flags, lastIndex", () => {
    const r = /a(b+)c\/[x-z]/dgimsuy;
    r.lastIndex = 7;
    const back = expectSame([r, /./v, new RegExp("")]) as RegExp[];
    expect(back[0]!.lastIndex).toBe(7);
    expect(back[0]!.flags).toBe("dgimsuy");
    expect(back[1]!.flags).toBe("v");
  });

  it("Error and its standard subclasses: name, message, cause, stack, extra properties", () => {
    const errors = [new Error("e"), new EvalError("ev"), new RangeError("r"), new ReferenceError("rf"), new SyntaxError("s"), new TypeError("t", { cause: { why: 1 } }), new URIError("u"), new AggregateError([new Error("inner")], "agg")];
    (errors[0] as Error & { code: string }).code = "E_X";
    errors[2]!.name = "CustomName";
    const noStack = new Error("no stack");
    delete (noStack as { stack?: string }).stack;
    const back = expectSame([...errors, noStack, new Error()]) as Error[];
    expect(back[5]!.cause).toEqual({ why: 1 });
    expect(back[0]!.stack).toBe(errors[0]!.stack);
    expect(back[2]!.name).toBe("CustomName");
    expect(back[7]).toBeInstanceOf(AggregateError);
    expect((back[7] as AggregateError).errors[0].message).toBe("inner");
    expect(Object.hasOwn(back[8]!, "stack")).toBe(false);
    expect(Object.prototype.toString.call(back[1])).toBe("[object Error]");
  });

  it("Map (object keys) and Set keep insertion order", () => {
    const k1 = { k: 1 };
    const m = new Map<unknown, unknown>([["z", 1], [k1, "obj"], [NaN, -0], [2n, [1]], [undefined, null]]);
    const s = new Set<unknown>([3, "a", k1, -0, NaN]);
    const back = expectSame({ m, s }) as { m: Map<unknown, unknown>; s: Set<unknown> };
    expect([...back.m.keys()][0]).toBe("z");
    expect([...back.m.keys()][1]).toBe([...back.s][2]); // one object, shared by the Map and the Set
  });

  it("holes stay holes, explicit undefined stays undefined", () => {
    // eslint-disable-next-line no-sparse-arrays
    const a = [1, , undefined, , "x", undefined];
    const back = expectSame(a) as unknown[];
    expect(1 in back).toBe(false);
    expect(2 in back).toBe(true);
    expect(back.length).toBe(6);
  });

  it("a sparse array of length 1e9 with two elements is small and fast", () => {
    const a: unknown[] = new Array(1e9);
    a[3] = "three";
    a[999_999_999] = { last: true };
    const t0 = performance.now();
    const bytes = encode(a);
    const back = decode(bytes) as unknown[];
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(bytes.length).toBeLessThan(200);
    expect(back.length).toBe(1e9);
    expect(Object.keys(back)).toEqual(["3", "999999999"]);
    expect(back[999_999_999]).toEqual({ last: true });
  });

  it("arrays keep extra named properties (dense, sparse, string lists)", () => {
    const dense: unknown[] & { extra?: unknown; "-1"?: unknown } = [1, 2, 3];
    dense.extra = { x: 1 };
    dense["-1"] = "minus one";
    const sparse: unknown[] & { name?: string } = new Array(5000);
    sparse[4999] = 1;
    sparse.name = "s";
    const strings: string[] & { tag?: string } = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    strings.tag = "t";
    const back = expectSame({ dense, sparse, strings });
    expect((back.dense as typeof dense).extra).toEqual({ x: 1 });
  });

  it("Object.create(null) objects and __proto__, constructor, prototype keys", () => {
    const n = Object.create(null) as Record<string, unknown>;
    n.a = 1;
    n["__proto__"] = { evil: true };
    const o: Record<string, unknown> = {};
    Object.defineProperty(o, "__proto__", { value: { evil: true }, enumerable: true, writable: true, configurable: true });
    o.constructor = "c";
    o.prototype = { p: 1 };
    const back = expectSame([n, o, o, { constructor: 1 }]) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(back[0])).toBe(null);
    expect(Object.getPrototypeOf(back[1])).toBe(Object.prototype);
    expect(Object.hasOwn(back[1]!, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
  });

  it("records: repeated shapes, nested same shape, more than 64 keys, more than 8192 shapes", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `n${i}`, child: { id: i, name: "c", child: null } }));
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    const many = Array.from({ length: 9000 }, (_, i) => ({ [`unique${i}`]: i, b: 1 }));
    const again = Array.from({ length: 9000 }, (_, i) => ({ [`unique${i}`]: i, b: 2 }));
    expectSame({ rows, wide, wides: [wide, { ...wide }], many, again, nested: { a: { a: { a: 1 } } } });
  });

  it("a record of 10,000 rows is much smaller than with repeated keys", () => {
    const rows = Array.from({ length: 10000 }, (_, i) => ({ identifier: i, description: "x" }));
    const size = encodeGraph(rows).manifest.length;
    expect(size).toBeLessThan(10000 * 11); // RECORD, shape, int32, "x": 10 bytes a row; with keys it would be 35
  });
});

describe("shared references and cycles", () => {
  it("the same object twice comes back as one object", () => {
    const shared = { s: 1 };
    const back = expectSame({ a: shared, b: [shared, shared] }) as { a: object; b: object[] };
    expect(back.a).toBe(back.b[0]);
    expect(back.b[1]).toBe(back.a);
  });

  it("cycles through objects, arrays, Map keys and values, Sets", () => {
    const o: Record<string, unknown> = { name: "root" };
    o.self = o;
    const arr: unknown[] = [o];
    arr.push(arr);
    o.arr = arr;
    const m = new Map<unknown, unknown>();
    m.set(m, m);
    m.set(o, arr);
    o.m = m;
    const s = new Set<unknown>();
    s.add(s);
    s.add(o);
    o.s = s;
    const back = expectSame(o) as Record<string, unknown>;
    expect(back.self).toBe(back);
    const bm = back.m as Map<unknown, unknown>;
    expect(bm.get(bm)).toBe(bm);
    const bs = back.s as Set<unknown>;
    expect(bs.has(bs)).toBe(true);
    expect(bs.has(back)).toBe(true);
  });

  it("shared Date, RegExp, Error, NDArray, typed array, class instance", () => {
    class P {
      constructor(readonly x: number) {}
    }
    const classes = new ClassRegistry().register(P, { name: "P", encode: (p) => p.x, decode: (x) => new P(x as number) });
    const d = new Date(5);
    const r = /x/g;
    const e = new Error("e");
    const nd = new NDArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const t = new Int16Array([1, 2]);
    const p = new P(3);
    const v = { a: [d, r, e, nd, t, p, nd.data], b: [d, r, e, nd, t, p, nd.data] };
    const back = expectSame(v, { classes }) as typeof v;
    for (let i = 0; i < 7; i++) expect(back.a[i]).toBe(back.b[i]);
    expect((back.a[3] as NDArray).data).toBe(back.a[6]);
  });

  it("an error whose cause is itself", () => {
    const e = new Error("loop");
    (e as { cause?: unknown }).cause = e;
    const back = rt(e);
    expect(back.cause).toBe(back);
  });

  it("references: false stores shared objects once per reference", () => {
    const s = { s: 1 };
    const back = rt({ a: s, b: s }, { references: false }) as { a: object; b: object };
    expect(back.a).toEqual(back.b);
    expect(back.a).not.toBe(back.b);
  });
});

describe("typed arrays, buffers, NDArray", () => {
  it("NaN bit patterns in Float32Array and Float64Array survive, inline and in segments", () => {
    for (const n of [4, 4096]) {
      const f32 = new Float32Array(n);
      new Uint32Array(f32.buffer).fill(0x7fc00001);
      new Uint32Array(f32.buffer)[1] = 0xffa00000;
      const f64 = new Float64Array(n);
      new BigUint64Array(f64.buffer).fill(0x7ff8000000000abcn);
      const back = expectSame({ f32, f64 }) as { f32: Float32Array; f64: Float64Array };
      expect(new Uint32Array(back.f32.buffer, back.f32.byteOffset, 2)[1]).toBe(0xffa00000);
      expect(new BigUint64Array(back.f64.buffer, back.f64.byteOffset, 1)[0]).toBe(0x7ff8000000000abcn);
    }
  });

  it("every typed array class, DataView, ArrayBuffer, empty ones, at any depth", () => {
    const all = [
      Int8Array.of(-1, 2), Uint8Array.of(1, 255), Uint8ClampedArray.of(9), Int16Array.of(-300), Uint16Array.of(65535),
      Int32Array.of(-7), Uint32Array.of(2 ** 32 - 1), BigInt64Array.of(-(2n ** 63n)), BigUint64Array.of(2n ** 64n - 1n),
      Float32Array.of(1.5), Float64Array.of(-0), new DataView(new ArrayBuffer(3)), new ArrayBuffer(5), new Float64Array(0), new Float32Array(5000),
    ];
    let deep: unknown = all;
    for (let i = 0; i < 300; i++) deep = [{ deep }];
    expectSame(deep);
  });

  it("several views over one ArrayBuffer keep sharing one buffer, stored once", () => {
    for (const size of [64, 1 << 16]) {
      const buffer = new ArrayBuffer(size);
      const u8 = new Uint8Array(buffer);
      for (let i = 0; i < size; i++) u8[i] = i * 7;
      const f32 = new Float32Array(buffer, 8, 4);
      const dv = new DataView(buffer, 4, 16);
      const tail = new Uint16Array(buffer, size / 2);
      const v = { u8, nested: { f32, dv }, list: [tail, buffer] };
      const bytes = encode(v);
      expect(bytes.length).toBeLessThan(size + 1024); // stored once
      const back = decode(bytes) as typeof v;
      expect(difference(v, back)).toBeUndefined();
      expect(back.nested.f32.buffer).toBe(back.u8.buffer);
      expect(back.nested.dv.buffer).toBe(back.u8.buffer);
      expect(back.list[1]).toBe(back.u8.buffer);
      expect(back.nested.f32.byteOffset - back.u8.byteOffset).toBe(8);
      back.u8[8] = 0xff;
      expect(new Uint8Array(back.nested.f32.buffer, back.nested.f32.byteOffset, 1)[0]).toBe(0xff);
    }
  });

  it("views of one buffer without the buffer store only the bytes they span", () => {
    const buffer = new ArrayBuffer(1 << 20);
    const a = new Float32Array(buffer, 4096 * 4, 2048);
    const b = new Float32Array(buffer, 4096 * 4 + 4096, 1024);
    const bytes = encode([a, b]);
    expect(bytes.length).toBeLessThan(8192 + 1024);
    const back = decode(bytes) as Float32Array[];
    expect(back[0]!.buffer).toBe(back[1]!.buffer);
    expect(back[1]!.byteOffset - back[0]!.byteOffset).toBe(4096);
  });

  it("shared buffers survive dumpSync / loadSync with and without mmap", () => {
    const buffer = new ArrayBuffer(1 << 16);
    new Uint8Array(buffer).fill(3);
    const v = { a: new Float64Array(buffer, 0, 1024), b: new Uint8Array(buffer, 8192), nd: new NDArray(new Float32Array(buffer, 16384, 100), [10, 10]) };
    const path = join(dir, "shared.ndpack");
    dumpSync(v, path);
    for (const mmap of [false, true]) {
      const back = loadSync(path, { mmap }) as typeof v;
      expect(difference(v, back)).toBeUndefined();
      expect(back.a.buffer).toBe(back.b.buffer);
      expect(back.nd.data.buffer).toBe(back.a.buffer);
    }
  });

  it("an NDArray whose data is shared with a typed array elsewhere", () => {
    const t = new Float32Array(6).map((_, i) => i);
    const v = { t, m: new NDArray(t, [2, 3]), m2: new NDArray(t, [3, 2]) };
    const back = expectSame(v) as typeof v;
    expect(back.m.data).toBe(back.t);
    expect(back.m2.data).toBe(back.t);
  });
});

describe("registered classes", () => {
  class Vec {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }
  class Layer {
    constructor(
      public w: NDArray,
      public next: Layer | null,
    ) {}
  }

  it("a per-call registry", () => {
    const classes = new ClassRegistry()
      .register(Vec, { name: "test.Vec", encode: (v) => [v.x, v.y], decode: ([x, y]: number[]) => new Vec(x!, y!) })
      .register(Layer, { name: "test.Layer", encode: (l) => ({ w: l.w, next: l.next }), decode: (p: { w: NDArray; next: Layer | null }) => new Layer(p.w, p.next) });
    const w = new NDArray(new Float32Array(10000), [100, 100]);
    const l2 = new Layer(w, null);
    const model = { layers: [new Layer(w, l2), l2], origin: new Vec(1, 2) };
    const back = expectSame(model, { classes }) as typeof model;
    expect(back.layers[0]).toBeInstanceOf(Layer);
    expect(back.layers[0]!.next).toBe(back.layers[1]);
    expect(back.layers[1]!.w).toBe(back.layers[0]!.w);
    expect(() => decode(encode(model, { classes }))).toThrow(/not registered/);
  });

  it("the global registry", () => {
    class G {
      v = 1;
    }
    registerClass(G, { name: "test.global.G", encode: (g) => g.v, decode: (v) => Object.assign(new G(), { v }) });
    const back = rt({ g: new G() });
    expect(back.g).toBeInstanceOf(G);
  });

  it("an unregistered class instance can be stored as a plain object on request", () => {
    class Q {
      a = 1;
      b = [2];
    }
    const back = rt({ q: new Q() }, { unregisteredClass: "plain" }) as { q: object };
    expect(Object.getPrototypeOf(back.q)).toBe(Object.prototype);
    expect(back.q).toEqual({ a: 1, b: [2] });
  });
});

describe("what is left out, like the structured clone algorithm", () => {
  it("symbol-keyed, non-enumerable and inherited properties are left out; getters run once", () => {
    let calls = 0;
    const proto = { inherited: 1 };
    const o = Object.create(null) as Record<string | symbol, unknown>;
    Object.setPrototypeOf(o, null);
    const plain: Record<string | symbol, unknown> = { kept: 1, [Symbol("s")]: 2 };
    Object.defineProperty(plain, "hidden", { value: 3, enumerable: false });
    Object.defineProperty(plain, "getter", { get: () => ++calls, enumerable: true });
    const child = Object.create(proto) as Record<string, unknown>;
    void child;
    const back = rt(plain) as Record<string, unknown>;
    expect(back).toEqual({ kept: 1, getter: 1 });
    expect(calls).toBe(1);
    expect(Object.getOwnPropertyDescriptor(back, "getter")!.value).toBe(1);
  });
});

describe("format", () => {
  it("an object with a new shape is still an OBJECT; the same shape again is a RECORD", () => {
    const m = encodeGraph([{ a: 1 }, { a: 2 }]).manifest;
    // The key "a" goes to the string heap, which comes first.
    expect([...m]).toEqual([Tag.STRING_HEAP, 1, 0x61, Tag.ARRAY, 2, Tag.OBJECT, 1, Tag.HEAP_STRING, 1, 0x81, Tag.RECORD, 0, 0x82]);
  });

  it("SHARE marks only objects referred to again", () => {
    const s = {};
    const m = encodeGraph([s, [], s]).manifest;
    expect([...m]).toEqual([Tag.ARRAY, 3, Tag.SHARE, Tag.OBJECT, 0, Tag.ARRAY, 0, Tag.REF, 0]);
  });
});

describe("inherited enumerable properties", () => {
  it("are left out even when Object.prototype is polluted during the walk", () => {
    const rows: Record<string, unknown>[] = [{ a: 1, x: 2 }, { a: 3, x: 4 }];
    const victim: Record<string, unknown> = { a: 5 };
    const v = {
      rows,
      get pollute() {
        (Object.prototype as Record<string, unknown>).x = "inherited";
        return 0;
      },
      victim: [victim],
      later: [{ a: 6 }],
    };
    try {
      const back = decode(encode(v)) as typeof v;
      expect(Object.hasOwn(back.victim[0]!, "x")).toBe(false);
      expect(Object.keys(back.later[0]!)).toEqual(["a"]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).x;
    }
  });
});

describe("NDArray over a Uint8ClampedArray", () => {
  it("shared with another view, and referred to twice", () => {
    const buffer = new ArrayBuffer(16);
    const c = new Uint8ClampedArray(buffer, 0, 8);
    const v = { nd: new NDArray(c, [2, 4], "uint8"), other: new Uint8Array(buffer, 8), again: c, nd2: new NDArray(c, [8], "uint8") };
    const back = expectSame(v) as typeof v;
    expect(back.nd.data).toBe(back.again);
    expect(back.nd.data.buffer).toBe(back.other.buffer);
  });
});

describe("getters that change their object during the walk", () => {
  it("a record whose getter deletes and adds keys still writes one value per key", () => {
    const rows: Record<string, unknown>[] = [{ a: 1, b: 2, c: 3 }];
    const tricky: Record<string, unknown> = { a: 4 };
    Object.defineProperty(tricky, "b", {
      enumerable: true,
      configurable: true,
      get() {
        delete tricky.c;
        tricky.d = "added";
        return 5;
      },
    });
    tricky.c = 6;
    rows.push(tricky);
    const back = decode(encode(rows)) as Record<string, unknown>[];
    expect(back[1]).toEqual({ a: 4, b: 5, c: undefined });
  });
});
