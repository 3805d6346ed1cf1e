/**
 * @msgpack/msgpack, the reference MessagePack for JavaScript. By itself it writes typed arrays as
 * `bin` and reads Uint8Array back, and reads maps as objects; this adapter registers extension
 * types the way its README shows (Map, Set, and one per typed-array class), so values round-trip.
 * Encoding a typed array costs one copy into the ext payload; decoding one, one aligned copy.
 */
import type { Contestant } from "../types.js";
import { importPeer, pkgVersion, verifyPlain } from "./common.js";

interface Codec {
  register(e: { type: number; encode(o: unknown): Uint8Array | null; decode(d: Uint8Array): unknown }): void;
}
type Mod = {
  encode(v: unknown, o?: object): Uint8Array;
  decode(b: Uint8Array, o?: object): unknown;
  ExtensionCodec: new () => Codec;
};

const VIEWS = [Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array] as const;

let m: Mod;
let options: object;

export const msgpack: Contestant = {
  name: "@msgpack/msgpack",
  group: "generic",
  mode: "bytes",
  version: "?",
  note: "encode/decode with an ExtensionCodec for Map, Set and typed arrays (as in its README), useBigInt64",
  async init() {
    m = await importPeer<Mod>("@msgpack/msgpack");
    this.version = pkgVersion("@msgpack/msgpack");
    const extensionCodec = new m.ExtensionCodec();
    options = { extensionCodec, useBigInt64: true };
    extensionCodec.register({
      type: 0,
      encode: (o) => (o instanceof Set ? m.encode([...o], options) : null),
      decode: (d) => new Set(m.decode(d, options) as unknown[]),
    });
    extensionCodec.register({
      type: 1,
      encode: (o) => (o instanceof Map ? m.encode([...o], options) : null),
      decode: (d) => new Map(m.decode(d, options) as [unknown, unknown][]),
    });
    VIEWS.forEach((C, i) => {
      extensionCodec.register({
        type: 2 + i,
        encode: (o) => (o instanceof C ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : null),
        // The payload is a view into the input at any offset: copy so the typed array is aligned.
        decode: (d) => new C(d.slice().buffer),
      });
    });
  },
  supports() {
    return true;
  },
  encode(ds) {
    return m.encode(ds.plain, options);
  },
  decode(bytes) {
    return m.decode(bytes, options);
  },
  verify(ds, out) {
    return verifyPlain(ds, out);
  },
};
