/**
 * Apache Arrow IPC (file format): a matrix as one FixedSizeList<float32> column, 1-d arrays as
 * one column, words as a Utf8 column. Encode builds the table (no copy of the arrays) and writes
 * IPC; decode reads IPC and takes the columns back as typed arrays (views when in one batch)
 * and the words as strings.
 */
import { NDArray } from "../../src/index.js";
import type { Contestant, Dataset } from "../types.js";
import { importPeer, pkgVersion, tensorsOnly, verifyTensors } from "./common.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
let A: any;

function table(ds: Dataset): unknown {
  const cols: Record<string, unknown> = {};
  if (ds.words) cols.word = A.vectorFromArray(ds.words, new A.Utf8());
  for (const [k, a] of Object.entries(ds.tensors!)) {
    if (a.shape.length === 2) {
      const [n, d] = a.shape as [number, number];
      const child = A.makeData({ type: new A.Float32(), data: a.data, length: n * d });
      const list = A.makeData({ type: new A.FixedSizeList(d, new A.Field("item", new A.Float32(), false)), length: n, nullCount: 0, child });
      cols[k] = A.makeVector(list);
    } else cols[k] = A.makeVector(a.data);
  }
  return new A.Table(cols);
}

function column(t: any, k: string, proto: NDArray): NDArray {
  const v = t.getChild(k);
  const parts: ArrayLike<number | bigint>[] = [];
  for (const d of v.data) {
    if (proto.shape.length === 2) {
      const w = proto.shape[1]!;
      const c = d.children[0];
      parts.push(c.values.subarray((d.offset + c.offset) * w, (d.offset + c.offset + d.length) * w));
    } else parts.push(d.values.subarray(d.offset, d.offset + d.length));
  }
  const Ctor = proto.data.constructor as any;
  let data: any;
  if (parts.length === 1) data = parts[0];
  else {
    data = new Ctor(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
  }
  return new NDArray(data, proto.shape, proto.dtype);
}

export const arrow: Contestant = {
  name: "arrow IPC",
  group: "array",
  mode: "bytes",
  version: "?",
  note: "tableToIPC(file) of a table built over the arrays / tableFromIPC + column views; words as Utf8 toArray()",
  async init() {
    A = await importPeer("apache-arrow");
    this.version = pkgVersion("apache-arrow");
  },
  supports(ds) {
    const t = tensorsOnly(ds, true);
    if (t !== true) return t;
    for (const a of Object.values(ds.tensors!)) if (a.shape.length > 2) return "rank > 2";
    return true;
  },
  encode(ds) {
    return A.tableToIPC(table(ds), "file");
  },
  decode(bytes, ds) {
    const t = A.tableFromIPC(bytes);
    const tensors: Record<string, NDArray> = {};
    for (const [k, a] of Object.entries(ds.tensors!)) tensors[k] = column(t, k, a);
    const words = ds.words ? (t.getChild("word").toArray() as string[]) : undefined;
    return { tensors, words };
  },
  verify(ds, out) {
    const o = out as { tensors: Record<string, NDArray>; words?: string[] };
    return verifyTensors(ds, o.tensors, o.words ? [...o.words] : undefined);
  },
};
