/** `.npy` (NPY 1.0): one array per file; a 64-byte-aligned header, then the raw bytes. */
import type { Contestant } from "../types.js";
import { npyDecode, npyEncode } from "../npy.js";
import { tensorsOnly, verifyTensors } from "./common.js";

export const npy: Contestant = {
  name: ".npy",
  group: "array",
  mode: "bytes",
  version: "NPY 1.0, in-bench TS writer/reader",
  note: "header + one copy into a new buffer / a view of the input",
  async init() {},
  supports(ds) {
    const t = tensorsOnly(ds, false);
    if (t !== true) return t;
    return Object.keys(ds.tensors!).length === 1 ? true : "one array per .npy file";
  },
  encode(ds) {
    return npyEncode(Object.values(ds.tensors!)[0]!);
  },
  decode(bytes) {
    return npyDecode(bytes);
  },
  verify(ds, out) {
    const [k] = Object.keys(ds.tensors!);
    return verifyTensors(ds, { [k!]: out as never });
  },
};
