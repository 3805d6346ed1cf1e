/**
 * Writes the fuzz seed corpus: small ndpack files (`.seed`, so that `*.ndpack` outputs stay ignored), each exercising some manifest tags, to
 * `test/corpus/`. Run after a format change: `npx tsc -p tsconfig.json && node dist/scripts/make-corpus.js`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClassRegistry, encode, NDArray } from "../src/index.js";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}
/** The registry the fuzz test decodes with. */
export const corpusClasses = new ClassRegistry().register(Point, { name: "corpus.Point", encode: (p) => [p.x, p.y], decode: ([x, y]: number[]) => new Point(x!, y!) });

export function corpusValues(): Record<string, unknown> {
  const cyc: Record<string, unknown> = { name: "cycle" };
  cyc.self = cyc;
  const shared = { s: [1, 2] };
  const buffer = new ArrayBuffer(64);
  new Uint8Array(buffer).forEach((_, i, a) => (a[i] = i));
  const sparse: unknown[] & { extra?: string } = new Array(1e6);
  sparse[7] = "seven";
  sparse[999_999] = -1;
  sparse.extra = "x";
  const e = new TypeError("bad", { cause: shared });
  (e as TypeError & { code?: string }).code = "E";
  e.stack = "TypeError: bad\n    at corpus (corpus.ts:1:1)";
  // eslint-disable-next-line no-sparse-arrays
  const holes = [1, , undefined, "s"];
  return {
    scalars: [null, undefined, true, false, 0, -0, NaN, -Infinity, 127, 128, -1, 0.5, 2 ** 40, 1n, -(2n ** 100n), "", "héllo", "\ud800"],
    records: Array.from({ length: 6 }, (_, i) => ({ id: i, name: `n${i}`, tags: ["a", "b"], inner: { x: i, y: -i } })),
    containers: { m: new Map<unknown, unknown>([[shared, "v"], ["k", shared]]), s: new Set([1, "a", shared]), holes, sparse, nul: Object.assign(Object.create(null), { a: 1 }) },
    special: { d: new Date(0), bad: new Date(NaN), r: Object.assign(/a+b/gi, { lastIndex: 2 }), e, agg: Object.assign(new AggregateError([Object.assign(new Error("x"), { stack: "Error: x" })], "agg"), { stack: "AggregateError: agg" }) },
    cycle: cyc,
    arrays: { u8: new Uint8Array(buffer, 4, 8), f32: new Float32Array(buffer, 16, 4), dv: new DataView(buffer, 0, 4), buffer, nd: new NDArray(new Int16Array([1, 2, 3, 4, 5, 6]), [2, 3]), big: new Float64Array(600).map((_, i) => i / 3), strings: ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"] },
    classes: [new Point(1, 2), new Point(3, 4)],
  };
}

function main(): void {
  const dir = join(process.cwd(), "test", "corpus");
  mkdirSync(dir, { recursive: true });
  const values = corpusValues();
  for (const [name, v] of Object.entries(values)) writeFileSync(join(dir, `${name}.seed`), encode(v, { classes: corpusClasses }));
  writeFileSync(join(dir, "all.seed"), encode(values, { classes: corpusClasses, segmentThresholdBytes: 1024 }));
  console.log(`wrote ${Object.keys(values).length + 1} files to ${dir}`);
}

if (process.argv[1]?.endsWith("make-corpus.js")) main();
