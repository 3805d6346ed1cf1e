/**
 * Micro benchmark of the object-graph codec (issue 4): a JSON-like records workload (50,000
 * seeded records, about 10 MB as JSON) encoded and decoded by ndpack and its peers, interleaved
 * in one process, with warm-up, reporting medians and ratios measured in the same run.
 *
 *   npx tsc -p tsconfig.json && node --expose-gc dist/bench/graph.js [--rounds 15] [--records 50000] [--arrays [--glove]]
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { Encoder as CborEncoder } from "cbor-x";
import { decode as mpDecode, encode as mpEncode } from "@msgpack/msgpack";
import { Packr } from "msgpackr";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, dumpSync, encode, loadSync, NDArray } from "../src/index.js";
import { rng } from "./datasets.js";
import { loadGlove } from "../scripts/glove.js";

const { values: args } = parseArgs({
  strict: false,
  options: {
    rounds: { type: "string", default: "15" },
    records: { type: "string", default: "50000" },
    arrays: { type: "boolean", default: false },
    glove: { type: "boolean", default: false },
  },
});


const WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split(" ");
const CITIES = ["Berlin", "Paris", "Lisbon", "Tokyo", "Nairobi", "Lima", "Oslo", "Zürich", "São Paulo", "Kraków"];

/** The records workload: 50,000 records of strings, numbers, booleans, nested objects and short arrays. */
export function recordsWorkload(count: number, seed = 42): unknown[] {
  const r = rng(seed);
  const word = () => WORDS[Math.floor(r() * WORDS.length)]!;
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      id: i,
      name: `${word()} ${word()}`,
      email: `${word()}${i}@example.com`,
      active: r() < 0.5,
      score: Math.round(r() * 1e6) / 100,
      age: 18 + Math.floor(r() * 60),
      tags: [word(), word(), word()],
      address: { street: `${Math.floor(r() * 999)} ${word()} st`, city: CITIES[Math.floor(r() * CITIES.length)]!, zip: String(10000 + Math.floor(r() * 89999)) },
      history: [Math.floor(r() * 1000), Math.floor(r() * 1000), Math.round(r() * 1000) / 100],
      note: r() < 0.3 ? null : `${word()} ${word()}`,
    });
  }
  return out;
}

interface Codec {
  name: string;
  encode(v: unknown): Uint8Array;
  decode(b: Uint8Array): unknown;
}

function codecs(): Codec[] {
  const plain = new Packr({ useRecords: false });
  const records = new Packr({ useRecords: true });
  // structuredClone keeps shared references and cycles, as ndpack does by default.
  const clone = new Packr({ useRecords: true, structuredClone: true });
  const cbor = new CborEncoder();
  return [
    { name: "ndpack", encode: (v) => encode(v), decode: (b) => decode(b) },
    { name: "ndpack (references: false)", encode: (v) => encode(v, { references: false }), decode: (b) => decode(b) },
    { name: "msgpackr", encode: (v) => plain.pack(v), decode: (b) => plain.unpack(b) },
    { name: "msgpackr (records)", encode: (v) => records.pack(v), decode: (b) => records.unpack(b) },
    { name: "msgpackr (records, structuredClone)", encode: (v) => clone.pack(v), decode: (b) => clone.unpack(b) },
    { name: "v8.serialize", encode: (v) => v8.serialize(v), decode: (b) => v8.deserialize(b) },
    { name: "cbor-x", encode: (v) => cbor.encode(v), decode: (b) => cbor.decode(b) },
    { name: "@msgpack/msgpack", encode: (v) => mpEncode(v), decode: (b) => mpDecode(b) },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown): number {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Runs every codec on `value`, interleaved; returns median ms per codec. */
function run(value: unknown, rounds: number, check: (back: unknown) => boolean): Map<string, { enc: number; dec: number; bytes: number }> {
  const list = codecs();
  const encs = new Map<string, number[]>();
  const decs = new Map<string, number[]>();
  const sizes = new Map<string, number>();
  for (const c of list) {
    const bytes = c.encode(value);
    if (!check(c.decode(bytes))) throw new Error(`${c.name}: decoded value differs`);
    sizes.set(c.name, bytes.length);
    encs.set(c.name, []);
    decs.set(c.name, []);
  }
  const warm = 3;
  for (let r = 0; r < warm + rounds; r++) {
    for (const c of list) {
      let bytes!: Uint8Array;
      const te = time(() => (bytes = c.encode(value)));
      const td = time(() => c.decode(bytes));
      if (r >= warm) {
        encs.get(c.name)!.push(te);
        decs.get(c.name)!.push(td);
      }
    }
  }
  const out = new Map<string, { enc: number; dec: number; bytes: number }>();
  for (const c of list) out.set(c.name, { enc: median(encs.get(c.name)!), dec: median(decs.get(c.name)!), bytes: sizes.get(c.name)! });
  return out;
}

function table(title: string, res: Map<string, { enc: number; dec: number; bytes: number }>): void {
  const nd = res.get("ndpack")!;
  console.log(`\n### ${title}\n`);
  console.log("| codec | bytes | encode ms | decode ms | ndpack encode / this | ndpack decode / this |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [name, r] of res) {
    console.log(`| ${name} | ${r.bytes.toLocaleString("en")} | ${r.enc.toFixed(1)} | ${r.dec.toFixed(1)} | ${(nd.enc / r.enc).toFixed(2)} | ${(nd.dec / r.dec).toFixed(2)} |`);
  }
}

/**
 * The GloVe demo graph (words, a 341,479 x 100 float32 matrix, metadata): in memory and through
 * files. Synthetic values unless `--glove` loads the real vectors. Peers get the same words and
 * the matrix as a Float32Array (a Uint8Array over it for @msgpack/msgpack, which has no typed
 * arrays); ndpack stores an NDArray.
 */
function arraysBench(rounds: number): void {
  let graph: { words: string[]; vectors: NDArray<Float32Array>; meta: Record<string, unknown> };
  if (args.glove) graph = loadGlove().glove as typeof graph;
  else {
    const rows = 341_479;
    const dim = 100;
    const data = new Float32Array(rows * dim);
    const r = rng(7);
    for (let i = 0; i < data.length; i++) data[i] = r() * 2 - 1;
    graph = { words: Array.from({ length: rows }, (_, i) => `w${i.toString(36)}`), vectors: new NDArray(data, [rows, dim]), meta: { source: "synthetic", dimensions: dim, count: rows } };
  }
  const data = graph.vectors.data;
  const dir = mkdtempSync(join(tmpdir(), "ndpack-graph-bench-"));
  const file = join(dir, "g.bin");
  type Row = { enc: number; dec: number; dump: number; load: number; bytes: number };
  const rows = new Map<string, Row>();
  const list = codecs().filter((c) => !c.name.includes("references"));
  const samples = new Map<string, number[][]>();
  for (const c of list) samples.set(c.name, [[], [], [], []]);
  const input = (c: Codec) =>
    c.name === "ndpack" ? graph : { words: graph.words, vectors: c.name === "@msgpack/msgpack" ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data, shape: graph.vectors.shape, meta: graph.meta };
  for (let r = 0; r < rounds + 1; r++) {
    for (const c of list) {
      const v = input(c);
      let bytes!: Uint8Array;
      const te = time(() => (bytes = c.encode(v)));
      const td = time(() => c.decode(bytes));
      bytes = undefined as unknown as Uint8Array;
      let tw: number;
      let tr: number;
      if (c.name === "ndpack") {
        tw = time(() => dumpSync(v, file));
        tr = time(() => loadSync(file, { mmap: true }));
      } else {
        tw = time(() => writeFileSync(file, c.encode(v)));
        tr = time(() => c.decode(readFileSync(file)));
      }
      if (r === 0) {
        rows.set(c.name, { enc: 0, dec: 0, dump: 0, load: 0, bytes: statSync(file).size });
        continue;
      }
      const s = samples.get(c.name)!;
      s[0]!.push(te);
      s[1]!.push(td);
      s[2]!.push(tw);
      s[3]!.push(tr);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  for (const c of list) {
    const s = samples.get(c.name)!;
    const row = rows.get(c.name)!;
    [row.enc, row.dec, row.dump, row.load] = s.map(median) as [number, number, number, number];
  }
  const nd = rows.get("ndpack")!;
  console.log(`\n### GloVe-shaped graph (${graph.words.length.toLocaleString("en")} words, ${graph.vectors.shape.join(" x ")} float32${args.glove ? "" : ", synthetic"}), medians of ${rounds}\n`);
  console.log("| codec | file bytes | encode ms | decode ms | dump ms (ndpack: dumpSync; peers: encode + writeFileSync) | load ms (ndpack: loadSync mmap; peers: readFileSync + decode) | peer / ndpack: decode | dump | load |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${r.bytes.toLocaleString("en")} | ${r.enc.toFixed(1)} | ${r.dec.toFixed(2)} | ${r.dump.toFixed(1)} | ${r.load.toFixed(2)} | ${(r.dec / nd.dec).toFixed(1)} | ${(r.dump / nd.dump).toFixed(2)} | ${(r.load / nd.load).toFixed(1)} |`);
  }
}

function main(): void {
  const rounds = Number(args.rounds);
  const n = Number(args.records);
  const records = recordsWorkload(n);
  const json = JSON.stringify(records);
  console.log(`Node ${process.version}, ${n} records, ${(json.length / 1e6).toFixed(1)} MB as JSON, ${rounds} rounds (medians)`);
  table("records", run(records, rounds, (b) => JSON.stringify(b) === json));

  if (args.arrays) arraysBench(Math.max(3, Math.min(rounds, 5)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
