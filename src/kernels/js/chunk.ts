/**
 * The fused chunk pipeline in TypeScript (the js side of `Kernels.encodeChunk` and
 * `decodeChunk`; the wasm side is in src/kernels/wasm/index.ts): filters, LZ4 (one block, or
 * one per byte stream: src/kernels/split.ts), xxHash32 over scratch buffers that are kept and
 * grown to the largest chunk seen, so a chunk allocates nothing but views.
 */
import { CHUNK_FLAG_RAW, CODEC_IDS, FILTER_IDS } from "../../format.js";
import { blockError, checkChunkArgs, checksumError, holdsBitPlanes } from "../check.js";
import { decodeSplit, encodeSplit } from "../split.js";
import type { EncodedChunk } from "../types.js";
import { bitshuffle, bitunshuffle } from "./bitshuffle.js";
import { deltaDecode, deltaEncode } from "./delta.js";
import { Lz4Compressor, lz4Decompress } from "./lz4.js";
import { shuffle, unshuffle } from "./shuffle.js";
import { xxhash32 } from "./xxhash32.js";

type Filter = (src: Uint8Array, dst: Uint8Array, typesize: number) => void;
const FORWARD: Record<number, Filter> = { [FILTER_IDS.shuffle]: shuffle, [FILTER_IDS.bitshuffle]: bitshuffle, [FILTER_IDS.delta]: deltaEncode };
const INVERSE: Record<number, Filter> = { [FILTER_IDS.shuffle]: unshuffle, [FILTER_IDS.bitshuffle]: bitunshuffle, [FILTER_IDS.delta]: deltaDecode };

const compressor = new Lz4Compressor();
let scratchA = new Uint8Array(0);
let scratchB = new Uint8Array(0);

let scratchIn = new Uint8Array(0);

/**
 * `Kernels.chunkInput` in TypeScript: a reused buffer, apart from the two scratch buffers
 * decodeChunk works in, so that reading into it costs no allocation per chunk.
 * @param storedBytes bytes wanted
 * @returns a view of exactly `storedBytes` bytes, valid until the next call
 */
export function chunkInput(storedBytes: number): Uint8Array {
  if (scratchIn.length < storedBytes) scratchIn = new Uint8Array(storedBytes);
  return scratchIn.subarray(0, storedBytes);
}

/** Grows the two scratch buffers to at least `bytes` each. */
function reserve(bytes: number): void {
  if (scratchA.length < bytes) {
    scratchA = new Uint8Array(bytes);
    scratchB = new Uint8Array(bytes);
  }
}

/**
 * LZ4-compresses `src` into `dst` with the module's compressor (see {@link Lz4Compressor}).
 * @returns block length in bytes, or a negative status; never throws
 * @example const n = lz4Compress(src, out)
 */
export function lz4Compress(src: Uint8Array, dst: Uint8Array, planes = false, acceleration = 1): number {
  return compressor.compress(src, dst, planes, acceleration);
}

/**
 * `Kernels.encodeChunk` in TypeScript (contract in src/kernels/types.ts).
 * @param raw the chunk's raw bytes
 * @param filters filter ids in order
 * @param typesize element size in bytes
 * @param codec a CODEC_IDS value: none, lz4 or lz4-split
 * @param acceleration the LZ4 compressor's (1: smallest output)
 * @returns stored bytes (a view of a module scratch buffer, valid until the next call, or `raw`), flags, checksum
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for bad ids or typesize
 * @example const { stored, flags, checksum } = encodeChunk(raw, [1], 4, 1)
 */
export function encodeChunk(raw: Uint8Array, filters: readonly number[], typesize: number, codec: number, acceleration = 1): EncodedChunk {
  checkChunkArgs("encodeChunk", raw.length, filters, typesize, codec);
  const len = raw.length;
  reserve(len);
  let cur = raw;
  for (let i = 0; i < filters.length; i++) {
    const out = (cur.buffer === scratchA.buffer ? scratchB : scratchA).subarray(0, len);
    FORWARD[filters[i]!]!(cur, out, typesize);
    cur = out;
  }
  let stored = cur;
  let flags = filters.length ? 0 : CHUNK_FLAG_RAW;
  if (codec !== CODEC_IDS.none) {
    // Only a strictly smaller result is kept: the output holds len - 1 bytes.
    const out = (cur.buffer === scratchA.buffer ? scratchB : scratchA).subarray(0, Math.max(0, len - 1));
    const planes = holdsBitPlanes(filters);
    const n =
      len === 0
        ? -1
        : codec === CODEC_IDS["lz4-split"]
          ? encodeSplit(cur, out, typesize, (s, d) => compressor.compress(s, d, planes, acceleration))
          : compressor.compress(cur, out, planes, acceleration);
    if (n >= 0) {
      stored = out.subarray(0, n);
      flags = 0;
    } else {
      stored = raw;
      flags = CHUNK_FLAG_RAW;
    }
  }
  return { stored, flags, checksum: xxhash32(stored) };
}

/**
 * `Kernels.decodeChunk` in TypeScript (contract in src/kernels/types.ts).
 * @param stored the chunk's stored bytes
 * @param dst receives exactly `dst.length` raw bytes
 * @param filters filter ids in the order they were applied
 * @param typesize element size in bytes
 * @param codec a CODEC_IDS value: none, lz4 or lz4-split
 * @param flags the chunk's flags
 * @param expectedChecksum checked when given
 * @throws {CorruptError} `ERR_CHECKSUM` or `ERR_CORRUPT`; {@link NdpackError} `ERR_INVALID_ARGUMENT`
 * @example decodeChunk(stored, out, [1], 4, 1, 0, entry.checksum)
 */
export function decodeChunk(
  stored: Uint8Array,
  dst: Uint8Array,
  filters: readonly number[],
  typesize: number,
  codec: number,
  flags: number,
  expectedChecksum: number | undefined,
): void {
  const len = dst.length;
  checkChunkArgs("decodeChunk", len, filters, typesize, codec);
  if (expectedChecksum !== undefined) {
    const sum = xxhash32(stored);
    if (sum !== expectedChecksum >>> 0) throw checksumError(sum, expectedChecksum);
  }
  if (flags & CHUNK_FLAG_RAW || (codec === CODEC_IDS.none && filters.length === 0)) {
    if (stored.length !== len) throw blockError(stored.length, len);
    dst.set(stored);
    return;
  }
  reserve(len);
  let cur = stored;
  if (codec === CODEC_IDS["lz4-split"]) {
    const out = filters.length ? scratchA.subarray(0, len) : dst;
    decodeSplit(stored, out, typesize, lz4Decompress);
    cur = out;
  } else if (codec === CODEC_IDS.lz4) {
    const out = filters.length ? scratchA.subarray(0, len) : dst;
    const n = lz4Decompress(stored, out);
    if (n !== len) throw blockError(n, len);
    cur = out;
  } else if (stored.length !== len) throw blockError(stored.length, len);
  for (let f = filters.length - 1; f >= 0; f--) {
    const out = f === 0 ? dst : (cur.buffer === scratchA.buffer ? scratchB : scratchA).subarray(0, len);
    INVERSE[filters[f]!]!(cur, out, typesize);
    cur = out;
  }
}
