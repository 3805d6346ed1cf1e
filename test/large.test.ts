import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { dumpSync, loadInfo, loadSync } from "../src/index.js";
import { tempDir } from "./helpers.js";

const dir = tempDir();

// A Float64Array of 2^29 + 1 elements is 4 GiB + 8 bytes: past what one Uint8Array (2^32 bytes),
// one fs write (2 GiB), one mmap-io mapping (32-bit size and offset) and one koffi buffer (4 GiB)
// can hold. The small array after it starts past 4 GiB, where mmap-io would map the wrong bytes
// and the C library's mmap (through koffi) maps the right ones.
it("dumps and loads an array of 4 GiB + 8 bytes, and an array after it, with and without mmap", () => {
  const n = 2 ** 29 + 1;
  const path = join(dir, "huge.ndpack");
  const marks: [number, number][] = [
    [0, 1.5],
    [2 ** 28 + 3, -2.25],
    [2 ** 29 - 1, Math.PI],
    [n - 1, 42],
  ];
  {
    const big = new Float64Array(n);
    for (const [i, v] of marks) big[i] = v;
    const info = dumpSync({ big, small: Float64Array.from({ length: 1000 }, (_, i) => i + 0.5) }, path);
    expect(info.rawBytes).toBe(n * 8 + 8000);
  }
  expect(statSync(path).size).toBeGreaterThan(n * 8);
  for (const mmap of [false, true]) {
    const back = loadSync(path, { mmap }) as { big: Float64Array; small: Float64Array };
    expect(back.small[0]).toBe(0.5);
    expect(back.small[999]).toBe(999.5);
    expect(back.big.length).toBe(n);
    for (const [i, v] of marks) expect(back.big[i]).toBe(v);
    expect(back.big[12345]).toBe(0);
    if (mmap) {
      // Never a truncated mapping: the big segment is read, and loadInfo says why.
      expect(loadInfo(back)).toMatchObject({ mappedSegments: process.platform === "linux" ? 1 : 0, readSegments: process.platform === "linux" ? 1 : 2 });
      expect(loadInfo(back)?.mmapFallbackReason).toMatch(/more than one mapping can be/);
    }
  }
  rmSync(path);
}, 600_000);
