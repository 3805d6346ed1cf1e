/** Every JavaScript contestant, in table order. Python peers are in `../python.ts`. */
import type { Contestant } from "../types.js";
import { arrow } from "./arrow.js";
import { cborX } from "./cbor-x.js";
import { json } from "./json.js";
import { msgpack } from "./msgpack.js";
import { msgpackr, msgpackrRecords } from "./msgpackr.js";
import { ndpackContestants } from "./ndpack.js";
import { npy } from "./npy.js";
import { safetensors } from "./safetensors.js";
import { v8 } from "./v8.js";

export const CONTESTANTS: Contestant[] = [json, v8, msgpackr, msgpackrRecords, cborX, msgpack, arrow, safetensors, npy, ...ndpackContestants];
