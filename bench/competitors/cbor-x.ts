/** cbor-x: CBOR with typed-array tags. */
import type { Contestant } from "../types.js";
import { importPeer, pkgVersion, verifyPlain } from "./common.js";

interface EncoderLike {
  encode(v: unknown): Uint8Array;
  decode(b: Uint8Array): unknown;
}

let enc: EncoderLike;
export const cborX: Contestant = {
  name: "cbor-x",
  group: "generic",
  mode: "bytes",
  version: "?",
  note: "Encoder({ mapsAsObjects: false })",
  async init() {
    const m = await importPeer<{ Encoder: new (o: object) => EncoderLike }>("cbor-x");
    enc = new m.Encoder({ mapsAsObjects: false });
    this.version = pkgVersion("cbor-x");
  },
  supports() {
    return true;
  },
  encode(ds) {
    return enc.encode(ds.plain);
  },
  decode(bytes) {
    return enc.decode(bytes);
  },
  verify(ds, out) {
    return verifyPlain(ds, out);
  },
};
