/** Node's structured-clone serializer, `v8.serialize` / `v8.deserialize`. */
import { deserialize, serialize } from "node:v8";
import type { Contestant } from "../types.js";
import { verifyPlain } from "./common.js";

export const v8: Contestant = {
  name: "v8.serialize",
  group: "generic",
  mode: "bytes",
  version: `node ${process.versions.node} (V8 ${process.versions.v8})`,
  async init() {},
  supports() {
    return true;
  },
  encode(ds) {
    return serialize(ds.plain);
  },
  decode(bytes) {
    return deserialize(bytes) as unknown;
  },
  verify(ds, out) {
    return verifyPlain(ds, out);
  },
};
