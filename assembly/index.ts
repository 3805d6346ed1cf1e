// The ndpack WebAssembly core: every export takes pointers and lengths into the arena and
// returns bytes written or a negative status (status.ts). Nothing here throws.
export { arenaPtr, ensureArena } from "./arena";
export { shuffle, unshuffle } from "./shuffle";
export { bitshuffle, bitunshuffle } from "./bitshuffle";
export { deltaEncode, deltaDecode } from "./delta";
export { xxh32Reset, xxh32Stripes, xxh32Digest, xxhash32 } from "./xxhash32";
export { float32ToFloat16, float16ToFloat32, float32ToBfloat16, bfloat16ToFloat32 } from "./float16";
export { lz4Compress, lz4CompressChecksum, lz4Decompress, lz4DecompressChecksum, lz4Checksum, lz4SplitCompress, lz4SplitDecompress } from "./lz4";
