/**
 * LZ4 block codec (format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md).
 * Chunks store the raw LZ4 block, without a size prefix: the chunk table knows the raw size.
 *
 * ndpack's own LZ4 (assembly/lz4.ts and its TypeScript twin src/kernels/js/lz4.ts, same bytes),
 * reached through the {@link Kernels} of a backend. The chunk pipeline does not use this
 * wrapper for lz4: it calls the fused `Kernels.encodeChunk` / `decodeChunk`. This is the
 * generic {@link Codec} face of the same compressor, for callers of the registry.
 */
import { CorruptError } from "../errors.js";
import { CODEC_IDS } from "../format.js";
import { lz4CompressBound } from "../kernels/js/lz4.js";
import type { Kernels } from "../kernels/types.js";
import type { Codec } from "./registry.js";

/**
 * The LZ4 acceleration of a compression level: 10 - level, as c-blosc's `get_accel`, so that
 * level 9 is acceleration 1 (the smallest output) and level 5 is blosc's clevel 5.
 * @param level an integer from 1 to 9
 * @returns the acceleration, 1 to 9
 */
export function lz4AccelerationOf(level: number): number {
  return 10 - level;
}

/**
 * An LZ4 {@link Codec} over the given kernels. Keeps one scratch buffer, grown to the largest
 * block seen; `compress` returns a view of it, valid until the next call.
 * @param kernels the backend that runs the compressor and decompressor
 * @param acceleration the compressor's, 1 (default: smallest output) or more
 * @returns the codec (id 1, name "lz4")
 * @example const block = lz4Codec(getKernels()).compress(chunk) // null: it would not shrink
 */
export function lz4Codec(kernels: Kernels, acceleration = 1): Codec {
  let scratch = new Uint8Array(0);
  return {
    id: CODEC_IDS.lz4,
    name: "lz4",
    compress(src) {
      if (src.length === 0) return null;
      if (scratch.length < src.length - 1) scratch = new Uint8Array(Math.min(lz4CompressBound(src.length), 2 * src.length));
      // Only a strictly smaller block is kept: the output holds src.length - 1 bytes.
      const n = kernels.lz4Compress(src, scratch.subarray(0, src.length - 1), false, acceleration);
      return n >= 0 ? scratch.subarray(0, n) : null;
    },
    decompress(src, dst) {
      const n = kernels.lz4Decompress(src, dst);
      if (n !== dst.length) {
        throw new CorruptError(n < 0 ? `LZ4 block is malformed (status ${n}); ${dst.length} bytes expected` : `LZ4 block decodes to ${n} bytes; ${dst.length} expected`);
      }
    },
  };
}
