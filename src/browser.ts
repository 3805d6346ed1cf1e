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
export type { FilterName } from "./segment/pipeline.js";
