import { describe, expect, it } from "vitest";
import { ClassRegistry, decode, encode, isNdpackError, type DecodeOptions } from "../../src/index.js";
import { latin1String } from "../../src/graph/decode.js";
import { Tag } from "../../src/graph/tags.js";
import { fileWith, str, varint } from "./craft.js";

/** Decodes a file made around `manifest`; returns the error code, or "ok". */
function code(manifest: number[], options: DecodeOptions = {}): string {
  try {
    decode(fileWith(manifest), options);
    return "ok";
  } catch (e) {
    if (!isNdpackError(e)) throw e;
    return e.code;
  }
}

describe("limits on hostile manifests", () => {
  it("a crafted 100,000-deep manifest: ERR_LIMIT, not a stack overflow", () => {
    const m: number[] = [];
    for (let i = 0; i < 100_000; i++) m.push(Tag.ARRAY, 1);
    m.push(Tag.NULL);
    expect(code(m)).toBe("ERR_LIMIT");
    // Also through objects, Maps, Sets, records, errors and array properties.
    const mixed: number[] = [];
    for (let i = 0; i < 30_000; i++) {
      const k = i % 5;
      if (k === 0) mixed.push(Tag.OBJECT, 1, ...str("a"));
      else if (k === 1) mixed.push(Tag.MAP, 1, Tag.NULL);
      else if (k === 2) mixed.push(Tag.SET, 1);
      else if (k === 3) mixed.push(Tag.ERROR, 0, 1, 1, ...str("x"));
      else mixed.push(Tag.ARRAY_PROPS, Tag.ARRAY, 0, 1, ...str("p"));
    }
    mixed.push(Tag.NULL);
    expect(code(mixed)).toBe("ERR_LIMIT");
  });

  it("a deep manifest even with maxDepth: Infinity never overflows the stack", () => {
    const m: number[] = [];
    for (let i = 0; i < 200_000; i++) m.push(Tag.ARRAY, 1);
    m.push(Tag.NULL);
    expect(code(m, { maxDepth: Infinity })).toBe("ERR_LIMIT");
  });

  it("maxStringBytes", () => {
    expect(code([...str("x".repeat(100))], { maxStringBytes: 99 })).toBe("ERR_LIMIT");
    expect(code([...str("x".repeat(100))], { maxStringBytes: 100 })).toBe("ok");
    expect(code([Tag.STRING, ...varint(2 ** 31)])).toBe("ERR_LIMIT");
    expect(code([Tag.STRING_UTF16, ...varint(2 ** 30)])).toBe("ERR_LIMIT");
    expect(code([Tag.BIGINT, 0, ...varint(2 ** 30)])).toBe("ERR_LIMIT");
  });

  it("maxArrayLength", () => {
    expect(code([Tag.ARRAY, ...varint(5e9)])).toBe("ERR_LIMIT");
    expect(code([Tag.ARRAY, 3, 1, 1, 1], { maxArrayLength: 2 })).toBe("ERR_LIMIT");
    expect(code([Tag.SPARSE_ARRAY, ...varint(1e6), 0], { maxArrayLength: 1000 })).toBe("ERR_LIMIT");
    expect(code([Tag.MAP, 3, 1, 1, 1, 1, 1, 1], { maxArrayLength: 2 })).toBe("ERR_LIMIT");
  });

  it("maxObjects", () => {
    const m = [Tag.ARRAY, 20, ...Array.from({ length: 20 }, () => [Tag.OBJECT, 0]).flat()];
    expect(code(m, { maxObjects: 10 })).toBe("ERR_LIMIT");
    expect(code(m, { maxObjects: 21 })).toBe("ok");
  });

  it("a tiny file that declares 4e9 elements is rejected before any allocation", () => {
    for (const tag of [Tag.ARRAY, Tag.OBJECT, Tag.MAP, Tag.SET, Tag.STRING_LIST]) expect(code([tag, ...varint(4e9)])).toBe("ERR_TRUNCATED");
    expect(code([Tag.STRING, ...varint(1e9)])).toBe("ERR_TRUNCATED");
    expect(code([Tag.BIGINT, 0, ...varint(1e8)])).toBe("ERR_TRUNCATED");
    expect(code([Tag.TYPED_INLINE, 10, ...varint(4e9)])).toBe("ERR_TRUNCATED");
    expect(code([Tag.SPARSE_ARRAY, ...varint(4e9), ...varint(4e9)])).toBe("ERR_TRUNCATED");
    expect(code([Tag.ERROR, 0, ...varint(1e9)])).toBe("ERR_TRUNCATED");
    expect(code([Tag.NDARRAY, 12, ...varint(1e9)])).toBe("ERR_TRUNCATED");
  });

  it("the string heap: taken in order, never overrun, fully used, only first", () => {
    const heap = [Tag.STRING_HEAP, 5, ...Buffer.from("abcde")];
    expect(decode(fileWith([...heap, Tag.ARRAY, 2, Tag.HEAP_STRING, 2, Tag.HEAP_STRING, 3]))).toEqual(["ab", "cde"]);
    expect(decode(fileWith([Tag.STRING_HEAP, 3, 0x68, 0xe9, 0x85, Tag.HEAP_STRING, 3]))).toBe("hé\u0085"); // Latin-1, not windows-1252
    expect(code([...heap, Tag.ARRAY, 2, Tag.HEAP_STRING, 2, Tag.HEAP_STRING, 4])).toBe("ERR_CORRUPT"); // past the heap's end
    expect(code([...heap, Tag.ARRAY, 2, Tag.HEAP_STRING, 2, Tag.HEAP_STRING, 2])).toBe("ERR_CORRUPT"); // a unit left over
    expect(code([Tag.HEAP_STRING, 1])).toBe("ERR_CORRUPT"); // no heap
    expect(decode(fileWith([Tag.HEAP_STRING, 0]))).toBe("");
    expect(code([Tag.ARRAY, 1, ...heap, Tag.HEAP_STRING, 5])).toBe("ERR_CORRUPT"); // a heap not first
    expect(code([Tag.STRING_HEAP, ...varint(1e9), 0x61])).toBe("ERR_TRUNCATED");
    expect(code([Tag.STRING_HEAP, 5, ...Buffer.from("abcde")])).toBe("ERR_TRUNCATED"); // no root value
  });

  it("a heap string list: words from the heap (even lengths) and from its own UTF-8 (odd), checked", () => {
    const heap = (t: string) => [Tag.STRING_HEAP, t.length, ...Buffer.from(t, "latin1")];
    // lengths 2<<1 and 1<<1 from the heap "abc"; no own text.
    expect(decode(fileWith([...heap("abc"), Tag.HEAP_STRING_LIST, 2, 4, 2, 0]))).toEqual(["ab", "c"]);
    // "ab" from the heap, "é" (1 unit, own: 1<<1|1) from the list's own UTF-8.
    expect(decode(fileWith([...heap("ab"), Tag.HEAP_STRING_LIST, 2, 4, 3, 2, 0xc3, 0xa9]))).toEqual(["ab", "é"]);
    expect(code([...heap("ab"), Tag.HEAP_STRING_LIST, 1, 6, 0])).toBe("ERR_CORRUPT"); // 3 units, the heap has 2
    expect(code([...heap("ab"), Tag.HEAP_STRING_LIST, 2, 4, 5, 2, 0xc3, 0xa9])).toBe("ERR_CORRUPT"); // 2 own units declared, 1 there
    expect(code([...heap("ab"), Tag.HEAP_STRING_LIST, 1, 2, 0])).toBe("ERR_CORRUPT"); // a heap unit left over
    expect(code([...heap("abcdef"), Tag.HEAP_STRING_LIST, 1, 12, 0], { maxStringBytes: 5 })).toBe("ERR_LIMIT");
    expect(code([Tag.HEAP_STRING_LIST, 2, 0x82, 0x80])).toBe("ERR_TRUNCATED");
  });

  it("a string list whose lengths and text disagree is corrupt; one cut short is truncated", () => {
    // count 2, lengths 2 and 3, then the text "abcde" (5 bytes): the list ["ab", "cde"].
    expect(decode(fileWith([Tag.STRING_LIST, 2, 2, 3, 5, ...Buffer.from("abcde")]))).toEqual(["ab", "cde"]);
    expect(code([Tag.STRING_LIST, 2, 2, 4, 5, ...Buffer.from("abcde")])).toBe("ERR_CORRUPT"); // 6 units declared
    expect(code([Tag.STRING_LIST, 2, 1, 3, 5, ...Buffer.from("abcde")])).toBe("ERR_CORRUPT"); // 4 units declared
    expect(code([Tag.STRING_LIST, 2, 0x82, 0x80])).toBe("ERR_TRUNCATED"); // lengths run off the end
    expect(code([Tag.STRING_LIST, 2, 2, 3, 6, ...Buffer.from("abcde")])).toBe("ERR_TRUNCATED");
  });

  it("a sparse array of length 2^32 - 1 with one element is fine; inconsistent ones are corrupt", () => {
    const back = decode(fileWith([Tag.SPARSE_ARRAY, ...varint(2 ** 32 - 1), 1, ...varint(2 ** 32 - 2), Tag.TRUE])) as unknown[];
    expect(back.length).toBe(2 ** 32 - 1);
    expect(back[2 ** 32 - 2]).toBe(true);
    expect(code([Tag.SPARSE_ARRAY, ...varint(2 ** 32), 0])).not.toBe("ok");
    expect(code([Tag.SPARSE_ARRAY, 5, 2, 3, Tag.NULL, 2, Tag.NULL])).toBe("ERR_CORRUPT"); // decreasing
    expect(code([Tag.SPARSE_ARRAY, 5, 1, 5, Tag.NULL])).toBe("ERR_CORRUPT"); // out of range
    expect(code([Tag.SPARSE_ARRAY, 1, 2, 0, Tag.NULL, 1, Tag.NULL])).toBe("ERR_CORRUPT"); // count > length
  });
});

describe("no prototype pollution", () => {
  const evil = [Tag.OBJECT, 1, ...str("polluted"), Tag.TRUE];
  const manifests: [string, number[]][] = [
    ["OBJECT", [Tag.OBJECT, 2, ...str("__proto__"), ...evil, ...str("constructor"), Tag.OBJECT, 1, ...str("prototype"), ...evil]],
    // The inner object ends first: shape 0 is ["polluted"], shape 1 is ["__proto__"].
    ["RECORD", [Tag.ARRAY, 2, Tag.OBJECT, 1, ...str("__proto__"), ...evil, Tag.RECORD, 1, ...evil]],
    ["NULL_PROTO_OBJECT", [Tag.NULL_PROTO_OBJECT, 1, ...str("__proto__"), ...evil]],
    ["ARRAY_PROPS", [Tag.ARRAY_PROPS, Tag.ARRAY, 0, 1, ...str("__proto__"), ...evil]],
    ["ERROR", [Tag.ERROR, 0, 1, 1, ...str("__proto__"), ...evil]],
    ["MAP", [Tag.MAP, 1, ...str("__proto__"), ...evil]],
  ];
  it.each(manifests)("%s with __proto__ keys leaves Object.prototype untouched", (_, m) => {
    const before = Object.getOwnPropertyNames(Object.prototype).join();
    const v = decode(fileWith(m)) as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(Object.prototype).join()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    const root = Array.isArray(v) && !(_ === "ARRAY_PROPS") ? (v[1] as object) : v;
    if (!(root instanceof Map)) {
      expect(Object.hasOwn(root, "__proto__")).toBe(true);
      expect([Object.prototype, Array.prototype, Error.prototype, null]).toContain(Object.getPrototypeOf(root));
    }
  });

  it("a file encoded from an object with an own __proto__ key decodes it as an own key", () => {
    const o = JSON.parse('{"__proto__": {"polluted": 1}, "a": {"__proto__": []}}') as Record<string, unknown>;
    const back = decode(encode([o, o, JSON.parse('{"__proto__": {"polluted": 2}, "a": 3}')])) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(back[0])).toBe(Object.prototype);
    expect(Object.hasOwn(back[0]!, "__proto__")).toBe(true);
    expect(Object.hasOwn(back[2]!, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("corrupt references, shapes, classes", () => {
  it.each([
    ["REF before any SHARE", [Tag.REF, 0]],
    ["REF out of range", [Tag.ARRAY, 2, Tag.SHARE, Tag.ARRAY, 0, Tag.REF, 1]],
    ["SHARE before a number", [Tag.SHARE, 0x81]],
    ["SHARE before a REF", [Tag.ARRAY, 2, Tag.SHARE, Tag.ARRAY, 0, Tag.SHARE, Tag.REF, 0]],
    ["two SHAREs", [Tag.SHARE, Tag.SHARE, Tag.ARRAY, 0]],
    ["RECORD without a shape", [Tag.RECORD, 0]],
    ["unknown tag", [0x7e]],
    ["reserved tag 0x1a", [0x1a]],
    ["hole outside an array", [Tag.HOLE]],
    ["unknown error kind", [Tag.ERROR, 99, 0]],
    ["error attributes", [Tag.ERROR, 0, 1, 7, ...str("a"), Tag.NULL]],
    ["bad RegExp", [Tag.REGEXP, ...str("("), ...str(""), 0x80]],
    ["bad RegExp flags", [Tag.REGEXP, ...str("a"), ...str("gg"), 0x80]],
    ["BigInt sign", [Tag.BIGINT, 2, 0]],
    ["object key not a string", [Tag.OBJECT, 1, 0x81, Tag.NULL, Tag.NULL]],
    ["array property named by an index", [Tag.ARRAY_PROPS, Tag.ARRAY, 0, 1, ...str("0"), Tag.NULL]],
    ["array properties of a non-array", [Tag.ARRAY_PROPS, Tag.OBJECT, 0, 0]],
    ["VIEW of an undefined buffer", [Tag.VIEW, 2, Tag.BUFFER_REF, 0, 0, 0]],
    ["VIEW past its buffer", [Tag.VIEW, 2, Tag.ARRAYBUFFER_INLINE, 4, 1, 2, 3, 4, 2, 3]],
    ["misaligned VIEW", [Tag.VIEW, 10, Tag.ARRAYBUFFER_INLINE, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]],
    ["VIEW class", [Tag.VIEW, 12, Tag.ARRAYBUFFER_INLINE, 0, 0, 0]],
    ["segment that does not exist", [Tag.TYPED_SEGMENT, 10, 0]],
    ["NDArray data of the wrong class", [Tag.NDARRAY, 12, 1, 1, Tag.VIEW, 2, Tag.ARRAYBUFFER_INLINE, 4, 0, 0, 0, 0, 0, 4]],
    ["NDArray data REF to a non-typed-array", [Tag.ARRAY, 2, Tag.SHARE, Tag.ARRAY, 0, Tag.NDARRAY, 12, 1, 0, Tag.REF, 0]],
    ["trailing bytes", [Tag.NULL, Tag.NULL]],
    ["invalid UTF-8", [Tag.STRING, 2, 0xc3, 0x28]],
    ["invalid UTF-8 at the end of a short string", [Tag.STRING, 2, 0x41, 0xff]],
    ["overlong UTF-8", [Tag.STRING, 2, 0xc0, 0x80]],
    ["UTF-8 of a surrogate", [Tag.STRING, 3, 0xed, 0xa0, 0x80]],
    ["cut UTF-8 sequence", [Tag.STRING, 3, 0x41, 0xe2, 0x82]],
    ["UTF-8 past U+10FFFF", [Tag.STRING, 4, 0xf4, 0x90, 0x80, 0x80]],
    ["invalid UTF-8 in a long string", [Tag.STRING, 100, ...new Array(99).fill(0x41), 0xff]],
    ["invalid UTF-8 in a record key", [Tag.OBJECT, 1, Tag.STRING, 1, 0xff, Tag.NULL]],
  ])("%s", (_, m) => {
    expect(code(m as number[])).toBe("ERR_CORRUPT");
  });

  it("a class name that is not registered: ERR_CORRUPT, no code runs", () => {
    expect(code([Tag.CLASS, ...str("child_process.exec"), ...str("rm -rf /")])).toBe("ERR_CORRUPT");
  });

  it("a class decode function that throws: ERR_CORRUPT with the cause", () => {
    class C {}
    const classes = new ClassRegistry().register(C, { name: "C", encode: () => 1, decode: () => { throw new Error("bad payload"); } });
    expect(code([Tag.CLASS, ...str("C"), 0x81], { classes })).toBe("ERR_CORRUPT");
  });

  it("a REF into a class instance being decoded: ERR_CORRUPT", () => {
    class C {}
    const classes = new ClassRegistry().register(C, { name: "C", encode: () => 1, decode: () => new C() });
    expect(code([Tag.SHARE, Tag.CLASS, ...str("C"), Tag.REF, 0], { classes })).toBe("ERR_CORRUPT");
  });
});

describe("latin1String, the string heap's decoder where Node's Buffer is missing", () => {
  it("maps every byte to the code unit of the same value, as Buffer's latin1Slice does", () => {
    const bytes = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff);
    const s = latin1String(bytes);
    expect(s).toBe(Buffer.from(bytes).latin1Slice(0, bytes.length));
    expect([...s.slice(0, 256)].map((c) => c.charCodeAt(0))).toEqual([...bytes.subarray(0, 256)]);
    expect(latin1String(new Uint8Array(0))).toBe("");
  });
});
