/**
 * ndpack for Node.js: everything in the browser entry (`encode`/`decode` in memory, NDArray,
 * errors), plus files: `dump`/`load` (and their Sync twins) with memory-mapped reload, `inspect`,
 * `verify`, and the Python formats (.npy, .npz, safetensors, word2vec, GloVe).
 */
export * from "./browser.js";
export { dump, dumpSync, load, loadInfo, loadSync, type DumpInfo, type DumpOptions, type LoadInfo, type LoadOptions } from "./io/file.js";
export * from "./interop/index.js";
export { inspect, type InspectOptions, type InspectReport, type SegmentInfo } from "./inspect.js";
export { verify, type ChunkFailure, type SegmentCheck, type VerifyOptions, type VerifyReport } from "./verify.js";
export type { ManifestNode, NodeKind } from "./walk.js";
