import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../src/index.js";
import { backendNames } from "./helpers.js";
import { VECTORS } from "./vectors/vectors.js";

const file = (name: string) => new URL(`./vectors/${name}.bin`, import.meta.url);

if (process.env.NDPACK_WRITE_VECTORS === "1") {
  for (const v of VECTORS) writeFileSync(file(v.name), encode(v.value(), v.options));
}

/** Hex of a byte range, for readable diffs. */
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("test vectors (docs/FORMAT.md)", () => {
  it("the smallest file, {} , byte for byte", () => {
    const bytes = readFileSync(file("empty-object"));
    expect(bytes.length).toBe(64 + 2 + 64);
    // Header: magic, version 1.0, header size 64, zero padding.
    expect(hex(bytes.subarray(0, 16))).toBe("894e445041434b0a0100000040000000");
    expect(bytes.subarray(16, 64).every((b) => b === 0)).toBe(true);
    // Manifest: OBJECT tag, zero entries. No segments, so the index is empty.
    expect(hex(bytes.subarray(64, 66))).toBe("1100");
    const footer = Buffer.from(bytes.subarray(66));
    expect(footer.readBigUInt64LE(0)).toBe(64n); // manifest offset
    expect(footer.readBigUInt64LE(8)).toBe(2n); // manifest bytes
    expect(footer.readBigUInt64LE(16)).toBe(66n); // index offset
    expect(footer.readBigUInt64LE(24)).toBe(0n); // index bytes
    expect(footer.readUInt32LE(32)).toBe(0); // segments
    expect(footer.readBigUInt64LE(48)).toBe(130n); // file size
    expect(footer.subarray(56).toString("latin1")).toBe("NDPKFOOT");
  });

  it("scalars: the manifest's tags and payloads", () => {
    const bytes = readFileSync(file("scalars"));
    const manifest = bytes.subarray(64, bytes.length - 64);
    expect(hex(manifest)).toBe(
      [
        "0b" + "02" + "68e9", // STRING_HEAP of 2 bytes, Latin-1: "hé" (and "", which takes none)
        "10" + "0d", // ARRAY of 13
        "00", "03", "02", // null true false
        "80", "ff", // fixint 0, 127
        "04" + "80000000", // int32 128
        "04" + "ffffffff", // int32 -1
        "05" + "000000000000e03f", // float64 0.5
        "05" + "0000000000000080", // float64 -0
        "0c" + "02", // HEAP_STRING of 2 units: "hé"
        "01", // undefined
        "0c" + "00", // HEAP_STRING of 0 units: ""
        "05" + "0000000000007042", // float64 2^40
      ].join(""),
    );
  });

  it("float32-segment: the segment sits at offset 64, raw, described in the index", () => {
    const bytes = readFileSync(file("float32-segment"));
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 64, bytes.byteOffset + 64 + 8192));
    expect(data[0]).toBe(0);
    expect(data[2047]).toBe(1023.5);
    const footer = Buffer.from(bytes.subarray(bytes.length - 64));
    const index = Buffer.from(bytes.subarray(Number(footer.readBigUInt64LE(16))));
    expect(index.readBigUInt64LE(0)).toBe(64n); // offset
    expect(index.readBigUInt64LE(8)).toBe(8192n); // stored
    expect(index.readBigUInt64LE(16)).toBe(8192n); // raw
    expect([index[24], index[25], index[26]]).toEqual([0, 4, 0]); // codec none, typesize 4, no filters
    expect(index.readUInt32LE(36)).toBe(0); // unchunked
  });

  it.each(VECTORS.map((v) => [v.name, v] as const))("%s: encode gives the committed bytes, decode gives the value", (_, v) => {
    const bytes = new Uint8Array(readFileSync(file(v.name)));
    if (!v.decodeOnly) expect(hex(encode(v.value(), v.options))).toBe(hex(bytes));
    for (const backend of backendNames) expect(decode(bytes, { backend })).toEqual(v.value());
  });
});
