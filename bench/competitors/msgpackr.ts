/** msgpackr: plain MessagePack, and with its record extension (structures shared across objects). */
import type { Contestant } from "../types.js";
import { importPeer, pkgVersion, verifyPlain } from "./common.js";

interface PackrLike {
  pack(v: unknown): Uint8Array;
  unpack(b: Uint8Array): unknown;
}
type Mod = { Packr: new (o: object) => PackrLike };

function make(name: string, options: object, note: string): Contestant {
  let p: PackrLike;
  return {
    name,
    group: "generic",
    mode: "bytes",
    version: "?",
    note,
    async init() {
      const m = await importPeer<Mod>("msgpackr");
      p = new m.Packr(options);
      this.version = pkgVersion("msgpackr");
    },
    supports() {
      return true;
    },
    // msgpackr returns a view of its reusable buffer; the harness copies the one it keeps.
    encode(ds) {
      return p.pack(ds.plain);
    },
    decode(bytes) {
      return p.unpack(bytes);
    },
    verify(ds, out) {
      return verifyPlain(ds, out);
    },
  };
}

export const msgpackr = make("msgpackr", { useRecords: false, moreTypes: true }, "Packr({ useRecords: false, moreTypes: true }) (moreTypes keeps typed arrays); reuses its output buffer");
export const msgpackrRecords = make("msgpackr records", { useRecords: true, moreTypes: true }, "Packr({ useRecords: true, moreTypes: true }); reuses its output buffer");
