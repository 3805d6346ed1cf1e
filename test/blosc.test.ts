// Our shuffle and bitshuffle against real blosc's filter output (c-blosc 1.21 through Debian's
// python3-blosc), recorded by scripts/blosc-golden.py as seeds and SHA-256 digests.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backends, randomBytes } from "./helpers/kernels.js";

interface GoldenCase {
  filter: "shuffle" | "bitshuffle";
  typesize: number;
  blockBytes: number;
  seed: number;
  sha256: string;
}

const golden = JSON.parse(readFileSync(new URL("./fixtures/blosc-filters.json", import.meta.url), "utf8")) as { cases: GoldenCase[] };

describe.each(backends)("blosc filters (%s)", (_name, kernels) => {
  it("the fixture covers both filters", () => {
    expect(golden.cases.filter((c) => c.filter === "shuffle").length).toBeGreaterThanOrEqual(5);
    expect(golden.cases.filter((c) => c.filter === "bitshuffle").length).toBeGreaterThanOrEqual(4);
  });

  it.each(golden.cases.map((c) => [`${c.filter} typesize ${c.typesize}`, c] as const))("%s equals blosc's output", (_label, c) => {
    const block = randomBytes(c.blockBytes, c.seed);
    const out = new Uint8Array(block.length);
    kernels[c.filter](block, out, c.typesize);
    expect(createHash("sha256").update(out).digest("hex")).toBe(c.sha256);
  });
});
