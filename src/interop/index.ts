/**
 * Interop with Python formats: `.npy`, `.npz`, safetensors, word2vec and GloVe.
 *
 * Everything here is safe to load from untrusted files: nothing is evaluated or unpickled,
 * every declared size is checked against the input and against limits before allocation, and
 * every failure is an `NdpackError` with a stable `code`.
 */
export {
  readNpy, writeNpy, loadNpy, saveNpy, parseNpyHeader, NPY_MAGIC, NPY_MAX_HEADER_BYTES,
  type NpyHeader, type LoadNpyOptions,
} from "./npy.js";
export { readNpz, writeNpz, loadNpz, saveNpz, type ReadNpzOptions, type WriteNpzOptions } from "./npz.js";
export {
  readSafetensors, writeSafetensors, loadSafetensors, saveSafetensors, SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES, type Safetensors, type LoadSafetensorsOptions,
} from "./safetensors.js";
export {
  readWord2vec, writeWord2vec, readGlove, writeGlove, parseWord2vec, parseGlove, encodeWord2vec, encodeGlove,
  formatFloat32, WORD2VEC_CHUNK_BYTES, WORD2VEC_MAX_WORD_BYTES, type WordVectors, type ReadWord2vecOptions,
  type WriteWord2vecOptions,
} from "./word2vec.js";
export {
  convert, formatFromPath, CONVERT_FORMATS, SAFETENSORS_METADATA_KEY, type ConvertFormat, type ConvertOptions,
  type ConvertInfo,
} from "./convert.js";
