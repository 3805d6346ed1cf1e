/**
 * @msgpack/msgpack, the reference MessagePack for JavaScript. It writes typed arrays as `bin`
 * (bytes) and reads them back as Uint8Array, as its documentation says; the check reports that.
 */
import type { Contestant } from "../types.js";
import { importPeer, pkgVersion, verifyPlain } from "./common.js";

type Mod = { encode(v: unknown, o?: object): Uint8Array; decode(b: Uint8Array, o?: object): unknown };
let m: Mod;
export const msgpack: Contestant = {
  name: "@msgpack/msgpack",
  group: "generic",
  mode: "bytes",
  version: "?",
  note: "encode/decode with default options (useBigInt64 on)",
  async init() {
    m = await importPeer<Mod>("@msgpack/msgpack");
    this.version = pkgVersion("@msgpack/msgpack");
  },
  supports() {
    return true;
  },
  encode(ds) {
    return m.encode(ds.plain, { useBigInt64: true });
  },
  decode(bytes) {
    return m.decode(bytes, { useBigInt64: true });
  },
  verify(ds, out) {
    return verifyPlain(ds, out);
  },
};
