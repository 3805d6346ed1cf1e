/**
 * The lz4-split layout (codec 2, docs/FORMAT.md, "Codecs") in TypeScript: the js backend's
 * twin of `lz4SplitCompress` / `lz4SplitDecompress` in assembly/lz4.ts, writing the same bytes.
 *
 * After the filters, a chunk of n bytes with typesize t (2 to 16) is cut into t streams of
 * s = floor(n / t) bytes; after a shuffle, stream j holds byte j of every element. The stored
 * chunk is: each stream, as an LZ4 block when that is smaller than s bytes, else as it is;
 * then the t stored lengths, u32 LE each (a length of s means "as it is"); then the last
 * n - t * s bytes as they are. This is blosc's "split blocks" (c-blosc, blosc.c): the exponent
 * bytes of floats compress on their own, and the mantissa bytes, which do not, cost a copy.
 * The lengths follow the streams so that a writer can hash its output as it writes it.
 */
import { CorruptError } from "../errors.js";

/** Typesizes codec 2 takes (blosc splits into at most 16 streams). */
export const SPLIT_MIN_TYPESIZE = 2;
export const SPLIT_MAX_TYPESIZE = 16;

/** An LZ4 block function: writes into `dst` (at most its length) and returns bytes written or a negative status. */
export type BlockFn = (src: Uint8Array, dst: Uint8Array) => number;

/**
 * Stores the filtered chunk `src` in the lz4-split layout.
 * @param src the filtered chunk, n bytes
 * @param dst where the stored bytes go; at most `dst.length` bytes are written (pass n - 1
 *   bytes to keep only a result that shrinks); must not overlap `src`
 * @param typesize streams, 2 to 16
 * @param compress the backend's LZ4 block compressor
 * @returns the stored length in bytes, or -1 when it does not fit in `dst`
 */
export function encodeSplit(src: Uint8Array, dst: Uint8Array, typesize: number, compress: BlockFn): number {
  const n = src.length;
  const s = Math.floor(n / typesize);
  const tail = n - typesize * s;
  const lengths = new Array<number>(typesize);
  let pos = 0;
  for (let j = 0; j < typesize; j++) {
    const stream = src.subarray(j * s, (j + 1) * s);
    const room = dst.length - pos;
    // Only a strictly smaller block is kept.
    let l = s > 0 ? compress(stream, dst.subarray(pos, pos + Math.min(s - 1, room))) : -1;
    if (l < 0) {
      if (s > room) return -1;
      dst.set(stream, pos);
      l = s;
    }
    lengths[j] = l;
    pos += l;
  }
  if (4 * typesize + tail > dst.length - pos) return -1;
  for (const l of lengths) {
    writeU32(dst, pos, l);
    pos += 4;
  }
  dst.set(src.subarray(typesize * s), pos);
  return pos + tail;
}

/**
 * Reverses {@link encodeSplit}: decodes `stored` into exactly `dst.length` bytes.
 * @param stored the chunk's stored bytes
 * @param dst receives the filtered chunk; its length is the chunk's raw length; must not overlap `stored`
 * @param typesize streams, 2 to 16
 * @param decompress the backend's bounds-checked LZ4 block decompressor
 * @throws {CorruptError} `ERR_CORRUPT` when the stored bytes cannot hold the lengths and the
 *   tail, a length is over its stream, the lengths do not add up to the bytes before them, or
 *   a block does not decode to exactly its stream
 */
export function decodeSplit(stored: Uint8Array, dst: Uint8Array, typesize: number, decompress: BlockFn): void {
  const n = dst.length;
  const s = Math.floor(n / typesize);
  const tail = n - typesize * s;
  const table = stored.length - tail - 4 * typesize;
  if (table < 0) throw splitError(`${stored.length} stored bytes cannot hold ${typesize} lengths and ${tail} tail bytes`);
  let pos = 0;
  for (let j = 0; j < typesize; j++) {
    const l = readU32(stored, table + 4 * j);
    if (l > s || l > table - pos) throw splitError(`stream ${j} claims ${l} stored bytes; the stream has ${s}, ${table - pos} are left`);
    const out = dst.subarray(j * s, (j + 1) * s);
    if (l === s) out.set(stored.subarray(pos, pos + l));
    else {
      const got = decompress(stored.subarray(pos, pos + l), out);
      if (got !== s) throw splitError(got < 0 ? `stream ${j} is malformed` : `stream ${j} decodes to ${got} bytes; ${s} expected`, got);
    }
    pos += l;
  }
  if (pos !== table) throw splitError(`the streams take ${pos} bytes; the lengths start at ${table}`);
  dst.set(stored.subarray(table + 4 * typesize), typesize * s);
}

/**
 * The error for an lz4-split chunk that does not decode.
 * @param message what is wrong
 * @param status the decompressor's negative status, if one caused it
 * @returns a CorruptError with code `ERR_CORRUPT`
 */
export function splitError(message: string, status?: number): CorruptError {
  return new CorruptError(`lz4-split chunk: ${message}${status !== undefined && status < 0 ? ` (status ${status})` : ""}`);
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
