/**
 * Fuzzing the decoder with a seeded, bounded number of cases (NDPACK_FUZZ_CASES, default 300
 * per kind): random bytes, flipped bytes, every-prefix truncation and spliced sections of the
 * seed corpus in test/corpus/ (made by scripts/make-corpus.ts), at two levels: whole files
 * through `decode`, and manifests straight into the graph decoder (past the checksum). Every
 * case must decode or throw an NdpackError: never another error, a hang or a crash.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decode, isNdpackError, load, loadSync } from "../../src/index.js";
import { decodeGraph, type SegmentResolver } from "../../src/graph/decode.js";
import { memorySource, readContainer } from "../../src/segment/container.js";
import { corpusClasses, corpusValues } from "../../scripts/make-corpus.js";
import { difference } from "./same.js";
import { rng } from "../../bench/datasets.js";

const CASES = Number(process.env.NDPACK_FUZZ_CASES ?? 300);
const dir = new URL("../corpus/", import.meta.url);
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith(".seed"))
  .sort()
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) }));


const hex = (b: Uint8Array) => Buffer.from(b.subarray(0, 400)).toString("hex");

/** Runs `fn`; anything thrown must be an NdpackError, and it must not take long. */
function survives(what: string, input: Uint8Array, fn: () => unknown): void {
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    if (!isNdpackError(e)) throw new Error(`${what}: ${String(e)}\ninput: ${hex(input)}`, { cause: e });
  }
  const ms = performance.now() - t0;
  if (ms > 3000) throw new Error(`${what}: took ${ms.toFixed(0)} ms\ninput: ${hex(input)}`);
}

interface Parsed {
  manifest: Uint8Array;
  resolve: SegmentResolver;
  count: number;
}

function parse(bytes: Uint8Array): Parsed {
  const c = readContainer(memorySource(bytes));
  const resolve: SegmentResolver = (i) => {
    const d = c.segments[i]!;
    const copy = bytes.slice(d.offset, d.offset + d.storedBytes);
    return { buffer: copy.buffer, byteOffset: 0, byteLength: copy.length };
  };
  return { manifest: c.manifest, resolve, count: c.segments.length };
}

function mutations(seed: number, base: Uint8Array, others: Uint8Array[]): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let k = 0; k < CASES; k++) {
    const m = base.slice();
    const kind = k % 4;
    if (kind === 0 || kind === 1) {
      // Flip 1 to 4 bytes (bits or whole bytes).
      const flips = 1 + Math.floor(r() * 4);
      for (let f = 0; f < flips && m.length; f++) {
        const at = Math.floor(r() * m.length);
        m[at] = kind === 0 ? m[at]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
      }
      out.push(m);
    } else if (kind === 2) {
      // Splice a section of another input into this one.
      const o = others[Math.floor(r() * others.length)]!;
      const from = Math.floor(r() * o.length);
      const len = Math.floor(r() * Math.min(64, o.length - from));
      const at = Math.floor(r() * base.length);
      const cut = Math.floor(r() * 16);
      const spliced = new Uint8Array(at + len + Math.max(0, base.length - at - cut));
      spliced.set(base.subarray(0, at));
      spliced.set(o.subarray(from, from + len), at);
      spliced.set(base.subarray(Math.min(base.length, at + cut)), at + len);
      out.push(spliced);
    } else {
      // Duplicate or drop a section.
      const at = Math.floor(r() * base.length);
      const len = Math.floor(r() * 32);
      out.push(r() < 0.5 ? Uint8Array.from([...base.subarray(0, at), ...base.subarray(at, at + len), ...base.subarray(at)]) : Uint8Array.from([...base.subarray(0, at), ...base.subarray(at + len)]));
    }
  }
  return out;
}

describe("fuzz: seed corpus", () => {
  it("holds the files make-corpus writes, and they decode to their values", () => {
    const values = corpusValues();
    expect(corpus.map((c) => c.name)).toEqual([...Object.keys(values).map((k) => `${k}.seed`), "all.seed"].sort());
    for (const { name, bytes } of corpus) {
      const key = name.replace(".seed", "");
      const expected = key === "all" ? values : values[key];
      expect(difference(expected, decode(bytes, { classes: corpusClasses })), name).toBeUndefined();
    }
  });
});

describe("fuzz: whole files through decode", () => {
  it("random bytes", () => {
    const r = rng(1);
    for (let k = 0; k < CASES; k++) {
      const b = Uint8Array.from({ length: Math.floor(r() * 512) }, () => Math.floor(r() * 256));
      // Half of them with a real header and footer magic, to get past the first check.
      if (k % 2 && b.length >= 128) {
        b.set(corpus[0]!.bytes.subarray(0, 16));
        b.set(corpus[0]!.bytes.subarray(-8), b.length - 8);
      }
      survives("random bytes", b, () => decode(b, { classes: corpusClasses }));
    }
  });

  it("truncation at every prefix", () => {
    for (const { name, bytes } of corpus) {
      if (bytes.length > 2000) continue;
      for (let n = 0; n < bytes.length; n++) {
        const b = bytes.subarray(0, n);
        try {
          decode(b, { classes: corpusClasses });
          throw new Error(`${name} cut to ${n} bytes decoded`);
        } catch (e) {
          expect(isNdpackError(e), `${name} cut to ${n}: ${String(e)}`).toBe(true);
        }
      }
    }
  });

  it("flipped bytes, spliced and duplicated sections", () => {
    corpus.forEach(({ name, bytes }, i) => {
      for (const m of mutations(100 + i, bytes, corpus.map((c) => c.bytes))) survives(name, m, () => decode(m, { classes: corpusClasses }));
    });
  });
});

describe("fuzz: manifests straight into the graph decoder", () => {
  const parsed = corpus.map((c) => ({ name: c.name, ...parse(c.bytes) }));

  it("truncation at every prefix", () => {
    for (const { name, manifest, resolve, count } of parsed) {
      for (let n = 0; n < manifest.length; n++) {
        const m = manifest.subarray(0, n);
        try {
          decodeGraph(m, resolve, count, { classes: corpusClasses });
          throw new Error(`${name}: manifest cut to ${n} bytes decoded`);
        } catch (e) {
          expect(isNdpackError(e), `${name} cut to ${n}: ${String(e)}`).toBe(true);
        }
      }
    }
  });

  it("flipped bytes, spliced and duplicated sections", () => {
    parsed.forEach(({ name, manifest, resolve, count }, i) => {
      for (const m of mutations(200 + i, manifest, parsed.map((p) => p.manifest))) survives(name, m, () => decodeGraph(m, resolve, count, { classes: corpusClasses }));
    });
  });

  it("random bytes, and random tags with small payloads", () => {
    const r = rng(3);
    const { resolve, count } = parsed.find((p) => p.count > 0)!;
    for (let k = 0; k < CASES * 4; k++) {
      const len = 1 + Math.floor(r() * 64);
      // Bias towards small bytes: tags live below 0x30, counts are small.
      const b = Uint8Array.from({ length: len }, () => (r() < 0.7 ? Math.floor(r() * 0x30) : Math.floor(r() * 256)));
      survives("random manifest", b, () => decodeGraph(b, resolve, count, { classes: corpusClasses }));
    }
  });
});

describe("fuzz: files through load, loadSync and loadSync({ mmap: true }) agree with decode", () => {
  const dir = mkdtempSync(join(tmpdir(), "ndpack-fuzz-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** "ok" and the value's type, or the error code. */
  const outcome = async (fn: () => unknown): Promise<string> => {
    try {
      const v = await fn();
      return "ok " + typeof v;
    } catch (e) {
      if (!isNdpackError(e)) throw e;
      return e.code;
    }
  };

  it("each whole, truncated and mutated corpus file gives the same outcome every way", async () => {
    const file = join(dir, "case.ndpack");
    const options = { classes: corpusClasses };
    for (const [i, { name, bytes }] of corpus.entries()) {
      const cases = [bytes, bytes.subarray(0, bytes.length >> 1), bytes.subarray(0, bytes.length - 1), ...mutations(300 + i, bytes, corpus.map((c) => c.bytes))].slice(0, 1 + Math.max(3, CASES >> 4));
      for (const b of cases) {
        writeFileSync(file, b);
        const expected = await outcome(() => decode(b, options));
        for (const [how, fn] of [
          ["load", () => load(file, options)],
          ["loadSync", () => loadSync(file, options)],
          ["loadSync mmap", () => loadSync(file, { ...options, mmap: true })],
        ] as const) {
          expect(await outcome(fn), `${name} via ${how}: ${hex(b)}`).toBe(expected);
        }
      }
    }
  });
});
