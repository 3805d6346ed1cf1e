import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClassRegistry, dumpSync, inspect, loadSync, NDArray, verify } from "../src/index.js";
import type { Progress } from "../src/index.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "dist/src/cli/main.js");
let dir: string;
let file: string;

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}
/** Only the writer knows Point: inspect must not need it. */
const classes = new ClassRegistry().register(Point, { name: "Point", encode: (p) => [p.x, p.y], decode: ([x, y]: number[]) => new Point(x!, y!) });

/** A deterministic, incompressible Float64Array (so chunk 1 of its segment is where we expect). */
function noise(n: number): Float64Array {
  let s = 12345;
  return Float64Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32));
}

/** One value of every kind. */
function everything() {
  const buf = new ArrayBuffer(8192);
  const cyc: Record<string, unknown> = { name: "loop" };
  cyc.self = cyc;
  const key = { id: 7 };
  const sparse: string[] = [];
  sparse[2] = "x";
  sparse[1000] = "y";
  const np = Object.create(null) as Record<string, unknown>;
  np.k = 1;
  const named = Object.assign([1, 2], { tag: "t" });
  const err = Object.assign(new TypeError("bad"), { code: 42 });
  err.stack = "TypeError: bad";
  return {
    map: new Map<unknown, unknown>([["w", noise(1024)], [key, "object key"], [1n, true]]),
    set: new Set([1, "two", key]),
    when: new Date(0),
    re: /ab+c/gi,
    err,
    big: -12345678901234567890n,
    sparse,
    np,
    named,
    rows: [{ a: 1, b: 2 }, { a: 3, b: 4 }],
    cyc,
    p: new Point(1, 2),
    v1: new Float32Array(buf, 0, 1024),
    v2: new Uint8Array(buf, 4096, 4096),
    nd: new NDArray(new Float32Array(2048), [32, 64]),
    words: ["a", "b", "c", "d", "e", "f", "g", "h"],
    small: new Int16Array(3),
  };
}

function ndpack(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ndpack-inspect-"));
  file = join(dir, "all.ndpack");
  dumpSync(everything(), file, { compress: "lz4", chunkBytes: 4096, classes });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEGMENT_PATHS = ['$.map.get("w")', "$.v1", "$.nd"];

describe("inspect: every kind of value", () => {
  it("prints the tree", () => {
    const r = ndpack("inspect", file);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    const tree = lines.slice(1, lines.findIndex((l) => / segments: raw /.test(l)));
    const segments = inspect(file).segments;
    const seg = (n: number) => {
      const s = segments[n]!;
      return `segment ${n}: stored ${s.storedBytes} B, raw ${s.rawBytes} B, ratio ${(s.rawBytes / s.storedBytes).toFixed(2)}, codec lz4, filters none, 2 chunks, not mappable`;
    };
    expect(tree).toEqual([
      "$  object, 17 keys",
      "  $.map  Map, 3 entries",
      `    $.map.get("w")  Float64Array [1024]  ${seg(0)}`,
      "    $.map.keys()[1]  object, 1 key",
      "      $.map.keys()[1].id  7",
      '    $.map.values()[1]  string "object key"',
      "    $.map.get(1n)  true",
      "  $.set  Set, 3 members",
      "    $.set.values()[0]  1",
      '    $.set.values()[1]  string "two"',
      "    $.set.values()[2]  -> $.map.keys()[1]",
      "  $.when  Date 1970-01-01T00:00:00.000Z",
      "  $.re  RegExp /ab+c/gi",
      "  $.err  TypeError, 3 keys",
      '    $.err.stack  string "TypeError: bad"',
      '    $.err.message  string "bad"',
      "    $.err.code  42",
      "  $.big  -12345678901234567890n",
      "  $.sparse  array, 1001 items",
      "    $.sparse[0]  <2 holes>",
      '    $.sparse[2]  string "x"',
      "    $.sparse[3]  <997 holes>",
      '    $.sparse[1000]  string "y"',
      "  $.np  object (null prototype), 1 key",
      "    $.np.k  1",
      "  $.named  array, 2 items + 1 named property",
      "    $.named[0]  1",
      "    $.named[1]  2",
      '    $.named.tag  string "t"',
      "  $.rows  array, 2 items",
      "    $.rows[0]  object, 2 keys",
      "      $.rows[0].a  1",
      "      $.rows[0].b  2",
      "    $.rows[1]  object, 2 keys",
      "      $.rows[1].a  3",
      "      $.rows[1].b  4",
      "  $.cyc  object, 2 keys",
      '    $.cyc.name  string "loop"',
      "    $.cyc.self  -> $.cyc",
      "  $.p  class Point",
      "    $.p<payload>  array, 2 items",
      "      $.p<payload>[0]  1",
      "      $.p<payload>[1]  2",
      `  $.v1  Float32Array [1024]  bytes 0-4096 of ${seg(1)}`,
      `  $.v2  Uint8Array [4096]  bytes 4096-8192 of ${seg(1)}`,
      `  $.nd  ndarray float32 [32, 64]  ${seg(2)}`,
      "  $.words  string[8]",
      "  $.small  Int16Array [3]  inline 6 B (in the manifest)",
    ]);
    expect(r.stdout).toContain("3 segments: raw 24576 B");
  });

  it("returns the nodes as JSON, and each segment's graph path", () => {
    const r = ndpack("inspect", "--json", "--max-children", "3", file);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toEqual(JSON.parse(JSON.stringify(inspect(file, { maxChildren: 3 }))));
    expect(report.segments.map((s: { path: string }) => s.path)).toEqual(SEGMENT_PATHS);
    const [map, set, when] = report.root.children;
    expect(report.root).toMatchObject({ path: "$", kind: "object", length: 17, more: 14 });
    expect(map).toEqual({
      path: "$.map",
      kind: "map",
      length: 3,
      more: 1,
      children: [
        { path: '$.map.get("w")', kind: "typedarray", dtype: "Float64Array", shape: [1024], segment: 0 },
        { path: "$.map.keys()[1]", kind: "object", length: 1, children: [{ path: "$.map.keys()[1].id", kind: "number", value: 7 }] },
        { path: "$.map.values()[1]", kind: "string", value: "object key", length: 10 },
      ],
    });
    expect(set.children[2]).toEqual({ path: "$.set.values()[2]", kind: "ref", value: "$.map.keys()[1]" });
    expect(when).toEqual({ path: "$.when", kind: "date", value: "1970-01-01T00:00:00.000Z" });

    const all = inspect(file).root!.children!;
    const byPath = Object.fromEntries(all.map((n) => [n.path, n]));
    expect(byPath["$.re"]).toEqual({ path: "$.re", kind: "regexp", value: "/ab+c/gi" });
    expect(byPath["$.big"]).toEqual({ path: "$.big", kind: "bigint", value: "-12345678901234567890" });
    expect(byPath["$.err"]).toMatchObject({ kind: "error", value: "TypeError", length: 3 });
    expect(byPath["$.sparse"]!.children).toEqual([
      { path: "$.sparse[0]", kind: "hole", length: 2 },
      { path: "$.sparse[2]", kind: "string", value: "x", length: 1 },
      { path: "$.sparse[3]", kind: "hole", length: 997 },
      { path: "$.sparse[1000]", kind: "string", value: "y", length: 1 },
    ]);
    expect(byPath["$.np"]).toEqual({ path: "$.np", kind: "object", length: 1, nullPrototype: true, children: [{ path: "$.np.k", kind: "number", value: 1 }] });
    expect(byPath["$.named"]).toMatchObject({ kind: "array", length: 2, properties: 1 });
    expect(byPath["$.cyc"]!.children![1]).toEqual({ path: "$.cyc.self", kind: "ref", value: "$.cyc" });
    expect(byPath["$.p"]).toMatchObject({ kind: "class", value: "Point", children: [{ path: "$.p<payload>", kind: "array", length: 2 }] });
    expect(byPath["$.v1"]).toEqual({ path: "$.v1", kind: "typedarray", dtype: "Float32Array", shape: [1024], segment: 1, byteOffset: 0, byteLength: 4096 });
    expect(byPath["$.v2"]).toEqual({ path: "$.v2", kind: "typedarray", dtype: "Uint8Array", shape: [4096], segment: 1, byteOffset: 4096, byteLength: 4096 });
    expect(byPath["$.nd"]).toEqual({ path: "$.nd", kind: "ndarray", dtype: "float32", shape: [32, 64], segment: 2 });
    expect(byPath["$.words"]).toEqual({ path: "$.words", kind: "string[]", length: 8 });
    expect(byPath["$.small"]).toEqual({ path: "$.small", kind: "typedarray", dtype: "Int16Array", shape: [3], inlineBytes: 6 });
  });

  it("reads no segment bytes and needs no registered class", () => {
    const bytes = readFileSync(file);
    const copy = join(dir, "zeroed.ndpack");
    const zeroed = Buffer.from(bytes);
    for (const s of inspect(file).segments) zeroed.fill(0, s.offset, s.offset + s.storedBytes);
    writeFileSync(copy, zeroed);
    expect(inspect(copy).root).toEqual(inspect(file).root);
  });

  it("reports progress with each segment's graph path", () => {
    const dumped: Progress[] = [];
    dumpSync(everything(), join(dir, "progress.ndpack"), { compress: "lz4", chunkBytes: 4096, classes, onProgress: (p) => dumped.push(p) });
    expect(dumped.map((p) => p.path)).toEqual(SEGMENT_PATHS);
    const loaded: Progress[] = [];
    const value = loadSync(file, { classes, onProgress: (p) => loaded.push(p) }) as ReturnType<typeof everything>;
    expect(loaded.map((p) => p.path)).toEqual(SEGMENT_PATHS);
    expect(loaded.at(-1)).toMatchObject({ doneBytes: 24576, totalBytes: 24576 });
    expect(value.p).toBeInstanceOf(Point);
    const verified: (string | undefined)[] = [];
    verify(file, { onProgress: (p) => verified.push(p.path) });
    expect([...new Set(verified)]).toEqual(SEGMENT_PATHS);
  });

  it("verify names a bad chunk by its graph path inside a Map value", () => {
    const bad = join(dir, "bad.ndpack");
    const bytes = readFileSync(file);
    const s0 = inspect(file).segments[0]!;
    bytes[s0.offset + s0.storedBytes - 20] ^= 0x40; // inside chunk 1 of $.map.get("w")
    writeFileSync(bad, bytes);
    const report = verify(bad);
    expect(report.ok).toBe(false);
    expect(report.segments[0]).toMatchObject({ segment: 0, path: '$.map.get("w")', status: "bad" });
    expect(report.segments[0]!.failures.map((f) => f.chunk)).toEqual([1]);
    const r = ndpack("verify", bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ndpack: ERR_\w+: \$\.map\.get\("w"\) \(segment 0\) chunk 1: /);
  });
});
