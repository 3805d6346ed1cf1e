/**
 * A safetensors-layout writer and reader (https://github.com/huggingface/safetensors): u64 LE
 * header length, JSON header (padded to 8 bytes) with dtype, shape, data_offsets, then the raw
 * bytes. Words, when present, go into `__metadata__.words` as a JSON string (metadata is
 * string-to-string). Decode returns views when aligned, as the Rust crate does.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { DTYPES, NDArray, type DType } from "../../src/index.js";
import type { Contestant } from "../types.js";
import { tensorsOnly, verifyTensors } from "./common.js";

const ST: Partial<Record<DType, string>> = {
  bool: "BOOL", int8: "I8", uint8: "U8", int16: "I16", uint16: "U16", int32: "I32", uint32: "U32",
  int64: "I64", uint64: "U64", float16: "F16", bfloat16: "BF16", float32: "F32", float64: "F64",
};
const FROM_ST = Object.fromEntries(Object.entries(ST).map(([k, v]) => [v, k])) as Record<string, DType>;

export const safetensors: Contestant = {
  name: "safetensors layout",
  group: "array",
  mode: "bytes",
  version: "in-bench TS writer/reader",
  note: "header JSON + one copy of the data into a new buffer / views of the input; words as __metadata__ JSON",
  async init() {},
  supports(ds) {
    return tensorsOnly(ds, true);
  },
  encode(ds) {
    const header: Record<string, unknown> = {};
    if (ds.words) header.__metadata__ = { words: JSON.stringify(ds.words) };
    let at = 0;
    for (const [k, a] of Object.entries(ds.tensors!)) {
      header[k] = { dtype: ST[a.dtype], shape: a.shape, data_offsets: [at, at + a.data.byteLength] };
      at += a.data.byteLength;
    }
    let h = Buffer.from(JSON.stringify(header), "utf8");
    const padded = Math.ceil(h.length / 8) * 8;
    if (padded !== h.length) h = Buffer.concat([h, Buffer.alloc(padded - h.length, 0x20)]);
    const out = new Uint8Array(8 + h.length + at);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    let pos = 8 + h.length;
    for (const a of Object.values(ds.tensors!)) {
      out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), pos);
      pos += a.data.byteLength;
    }
    return out;
  },
  decode(bytes) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hlen = Number(dv.getBigUint64(0, true));
    if (hlen > 100_000_000 || 8 + hlen > bytes.length) throw new Error(`header of ${hlen} bytes does not fit`);
    const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, hlen).toString("utf8")) as Record<string, any>;
    const base = bytes.byteOffset + 8 + hlen;
    const tensors: Record<string, NDArray> = {};
    let words: string[] | undefined;
    for (const [k, t] of Object.entries(header)) {
      if (k === "__metadata__") {
        if (t.words) words = JSON.parse(t.words) as string[];
        continue;
      }
      const dtype = FROM_ST[t.dtype];
      if (!dtype) throw new Error(`dtype ${t.dtype}`);
      const [b, e] = t.data_offsets as [number, number];
      const C = DTYPES[dtype].array as any;
      const size = C.BYTES_PER_ELEMENT as number;
      const data = (base + b) % size === 0 ? new C(bytes.buffer, base + b, (e - b) / size) : new C(bytes.slice(base + b - bytes.byteOffset, base + e - bytes.byteOffset).buffer);
      tensors[k] = new NDArray(data, t.shape as number[], dtype);
    }
    return { tensors, words };
  },
  verify(ds, out) {
    const o = out as { tensors: Record<string, NDArray>; words?: string[] };
    return verifyTensors(ds, o.tensors, o.words);
  },
};
