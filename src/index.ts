/**
 * ndpack for Node.js: `encode`/`decode` in memory, `dump`/`load` (and their Sync twins) for
 * files with memory-mapped reload. The browser entry (`browser.ts`) has the same API minus files.
 */
export { decode, encode, type DecodeOptions, type EncodeOptions } from "./api.js";
export { dump, dumpSync, load, loadInfo, loadSync, type DumpInfo, type DumpOptions, type LoadInfo, type LoadOptions } from "./io/file.js";
export * from "./interop/index.js";
export {
  CorruptError,
  isNdpackError,
  LimitError,
  NdpackError,
  TruncatedError,
  UnsupportedValueError,
  type ErrorCode,
} from "./errors.js";
export { DTYPES, NDArray, type DType, type DTypeInfo, type TypedArray } from "./ndarray.js";
export { backend } from "./kernels/index.js";
export { inspect, type InspectOptions, type InspectReport, type SegmentInfo } from "./inspect.js";
export { verify, type ChunkFailure, type SegmentCheck, type VerifyOptions, type VerifyReport } from "./verify.js";
export type { ManifestNode, NodeKind } from "./walk.js";
export { ClassRegistry, registerClass, type ClassCodec, type Constructor } from "./graph/classes.js";
export { DEFAULT_DECODE_LIMITS } from "./graph/decode.js";
export type { FilterName } from "./segment/pipeline.js";
export type { Progress } from "./segment/container.js";
