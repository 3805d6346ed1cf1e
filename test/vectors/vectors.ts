/**
 * The test vectors of docs/FORMAT.md: each value with the options that encode it. The files
 * `test/vectors/NAME.bin` hold the exact bytes and `test/vectors.test.ts` asserts them. Only when
 * the format changes on purpose: `NDPACK_WRITE_VECTORS=1 npx vitest run test/vectors.test.ts`.
 */
import type { EncodeOptions } from "../../src/index.js";
import { NDArray } from "../../src/ndarray.js";

export interface Vector {
  name: string;
  value: () => unknown;
  options: EncodeOptions;
  /** Compressed output may differ between LZ4 implementations: only decoding is asserted. */
  decodeOnly?: boolean;
}

export const VECTORS: Vector[] = [
  { name: "empty-object", value: () => ({}), options: {} },
  {
    name: "scalars",
    value: () => [null, true, false, 0, 127, 128, -1, 0.5, -0, "hé", undefined, "", 2 ** 40],
    options: {},
  },
  {
    name: "strings",
    value: () => ({ list: ["a", "bb", "é", "😀", "the", "of", "and", "to"], lone: "\ud800x", key: { "☃": 1 } }),
    options: {},
  },
  {
    name: "float32-segment",
    value: () => ({ m: new NDArray(new Float32Array(2048).map((_, i) => i * 0.5), [2, 1024]), small: Int16Array.of(-1, 2) }),
    options: {},
  },
  {
    name: "chunked-checksum",
    value: () => new Uint16Array(3000).map((_, i) => i * 7),
    options: { checksum: true, chunkBytes: 4096 },
  },
  {
    name: "lz4-chunks",
    value: () => new Int32Array(5000).map((_, i) => i % 100),
    options: { compress: "lz4", chunkBytes: 8192 },
    decodeOnly: true,
  },
  {
    // lz4 after a shuffle of 4-byte elements: codec 2, lz4-split (docs/FORMAT.md, "Codecs").
    // Chunks of 8192 and 1808 bytes; in each, the streams of the two low bytes of the floats
    // do not shrink and are stored as they are, the two high ones as LZ4 blocks.
    name: "lz4-split-chunks",
    value: () => new Float32Array(2500).map((_, i) => Math.sin(i / 50) * 3),
    options: { compress: "lz4", filters: ["shuffle"], chunkBytes: 8192 },
    decodeOnly: true,
  },
];
