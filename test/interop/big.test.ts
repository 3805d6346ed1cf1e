/**
 * Arrays over 4 GiB (opt-in: NDPACK_BIG_TESTS=1; about 13 GB of memory and 13 GB of disk).
 * Proves the 64-bit paths: npy data over 2^32 bytes, a ZIP64 npz member numpy and ndpack read,
 * and a safetensors tensor over 2^32 bytes.
 */
import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { saveNpy, loadNpy } from "../../src/interop/npy.js";
import { saveNpz, loadNpz } from "../../src/interop/npz.js";
import { saveSafetensors, loadSafetensors } from "../../src/interop/safetensors.js";
import { NDArray } from "../../src/ndarray.js";
import { python, tmpDir } from "./helpers.js";

const BIG = process.env["NDPACK_BIG_TESTS"] === "1";
const N = 2 ** 30 + 16; // float32: 4 GiB + 64 bytes

describe.runIf(BIG)("arrays over 4 GiB", () => {
  const dir = BIG ? tmpDir() : "";
  function big(): NDArray<Float32Array> {
    const a = new Float32Array(N);
    a[0] = 1.5;
    a[2 ** 30] = 2.5;
    a[N - 1] = -3.25;
    return new NDArray(a, [N]);
  }
  function check(a: NDArray): void {
    expect(a.shape).toEqual([N]);
    expect([a.data[0], a.data[2 ** 30], a.data[N - 1], a.data[12345]]).toEqual([1.5, 2.5, -3.25, 0]);
  }
  it("npy: saveNpy, loadNpy, numpy", () => {
    const f = path.join(dir, "big.npy");
    saveNpy(f, big());
    check(loadNpy(f));
    check(loadNpy(f, { mmap: true })); // over the map limit: falls back to a read
    const out = python(`import sys, numpy as np; a = np.load(sys.argv[1], mmap_mode='r'); print(a.shape[0], a[0], a[2**30], a[-1])`, [f]);
    expect(out.trim()).toBe(`${N} 1.5 2.5 -3.25`);
    fs.unlinkSync(f);
  });
  it("npz: a stored ZIP64 member numpy and loadNpz read, CRC checked", () => {
    const f = path.join(dir, "big.npz");
    saveNpz(f, { a: big() });
    const out = python(`
import sys, zipfile, numpy as np
z = zipfile.ZipFile(sys.argv[1]); i = z.getinfo('a.npy')
with z.open('a.npy') as fh:
    a = np.lib.format.read_array(fh)   # zipfile checks the CRC at the end of the read
print(i.file_size > 2**32, a.shape[0], a[0], a[2**30], a[-1])`, [f]);
    expect(out.trim()).toBe(`True ${N} 1.5 2.5 -3.25`);
    check(loadNpz(f, { maxMemberBytes: 2 ** 33 })["a"]!); // streamed into the array, CRC checked
    fs.unlinkSync(f);
  });
  it("npz: a deflated ZIP64 member numpy and loadNpz read", () => {
    const f = path.join(dir, "bigc.npz");
    saveNpz(f, { a: big() }, { compress: true });
    const out = python(`
import sys, numpy as np
with np.load(sys.argv[1]) as z:
    a = z['a']
print(a.shape[0], a[0], a[2**30], a[-1])`, [f]);
    expect(out.trim()).toBe(`${N} 1.5 2.5 -3.25`);
    check(loadNpz(f, { maxMemberBytes: 2 ** 33 })["a"]!);
    fs.unlinkSync(f);
  });
  it("safetensors: save and load a tensor over 4 GiB", () => {
    const f = path.join(dir, "big.safetensors");
    saveSafetensors(f, { a: big() });
    check(loadSafetensors(f).tensors["a"]!);
    check(loadSafetensors(f, { mmap: true }).tensors["a"]!);
    fs.unlinkSync(f);
  });
});

describe.runIf(!BIG)("arrays over 4 GiB", () => {
  it("are tested with NDPACK_BIG_TESTS=1 (13 GB of memory and disk)", () => expect(BIG).toBe(false));
});
