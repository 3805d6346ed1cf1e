// Status codes returned by the kernels. Every kernel returns bytes written (>= 0) or one of
// these negative values; the TypeScript side turns them into NdpackError (src/kernels/wasm).

/** The typesize is outside what the kernel supports (shuffle, bitshuffle: 1..255; delta: 1, 2, 4, 8). */
export const ERR_TYPESIZE: i32 = -1;
/** `memory.grow` failed: the arena could not be made as large as asked. */
export const ERR_MEMORY: i32 = -2;
/** A length is larger than a kernel accepts (bytes must fit in an i32 result). */
export const ERR_LENGTH: i32 = -3;
/** The output does not fit in the space given (LZ4 compression: the block would not shrink). */
export const ERR_OUTPUT: i32 = -4;
/** The input is malformed (an LZ4 block that is truncated, overlong, or refers before the output). */
export const ERR_CORRUPT: i32 = -5;
