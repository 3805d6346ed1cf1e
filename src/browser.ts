/**
 * ndpack for browsers and other runtimes without `fs`: the in-memory API only.
 */
export { decode, encode, type DecodeOptions, type EncodeOptions } from "./api.js";
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
export { ClassRegistry, registerClass, type ClassCodec, type Constructor } from "./graph/classes.js";
export { DEFAULT_DECODE_LIMITS } from "./graph/decode.js";
export type { FilterName } from "./segment/pipeline.js";
export type { Progress } from "./segment/container.js";
