/**
 * LZ4 block compression and decompression in TypeScript, the twin of `assembly/lz4.ts`: the
 * same algorithm with the same parameters, so both write the same bytes for the same input.
 * Written from the LZ4 block format spec
 * (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md); the algorithm (a greedy
 * single-hash-table compressor like the reference's LZ4_compress_fast, with its acceleration
 * and an earlier skip) is described step by step at the top of `assembly/lz4.ts`.
 */

/** log2 of the compressor's hash table entry count; equal to `LZ4_HASH_LOG` in assembly/lz4.ts. */
export const LZ4_HASH_LOG = 13;
/** Status: the compressed block does not fit in the output (`ERR_OUTPUT` of assembly/status.ts). */
export const LZ4_ERR_OUTPUT = -4;
/** Status: the block is malformed (`ERR_CORRUPT` of assembly/status.ts). */
export const LZ4_ERR_CORRUPT = -5;
/** Status: a length is over what the functions take (`ERR_LENGTH` of assembly/status.ts). */
export const LZ4_ERR_LENGTH = -3;
/** Largest input the compressor takes, in bytes (the reference's LZ4_MAX_INPUT_SIZE). */
export const LZ4_MAX_INPUT_BYTES = 0x7e000000;

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_DISTANCE = 65535;
const SKIP_TRIGGER = 4; // as in assembly/lz4.ts
/** Largest acceleration; larger values are clamped (the reference's LZ4_ACCELERATION_MAX). */
const MAX_ACCELERATION = 65537;

/**
 * An acceleration as both compressors use it: truncated to an integer and clamped to
 * 1..65537 (NaN gives 1). The wasm kernels apply it before the call, since their u32
 * parameter would wrap a negative value.
 */
export function lz4Acceleration(a: number): number {
  return Math.min(Math.max(Math.trunc(a) || 1, 1), MAX_ACCELERATION);
}
const HASH_SHIFT = 32 - LZ4_HASH_LOG;
const PRIME = 2654435761 | 0;
const PRIME5 = 2246822519 | 0; // for the fifth byte (assembly/lz4.ts, hashAt)

/**
 * The compressor's hash of the bytes at `p` (as `hashAt` in assembly/lz4.ts): 4 bytes, or 5
 * when `mix` is PRIME5 (`planes`); with `mix` 0 the fifth byte drops out.
 */
function hashAt(src: Uint8Array, words: DataView, p: number, mix: number): number {
  return (Math.imul(words.getInt32(p, true), PRIME) ^ Math.imul(src[p + 4]!, mix)) >>> HASH_SHIFT;
}

/**
 * Worst-case LZ4 block size for `n` input bytes (all literals), in bytes.
 * @param n input length in bytes
 * @returns n + floor(n / 255) + 16
 * @example new Uint8Array(lz4CompressBound(chunk.length))
 */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * An LZ4 block compressor with its own hash table (2^{@link LZ4_HASH_LOG} u32 entries, reused
 * across calls without clearing: entries carry a base that advances every call). Holds no
 * other state; the output depends on the input only.
 */
export class Lz4Compressor {
  readonly #table = new Uint32Array(1 << LZ4_HASH_LOG);
  #base = 1;

  /**
   * Compresses `src` into one LZ4 block at the start of `dst`.
   * @param src input bytes (at most {@link LZ4_MAX_INPUT_BYTES})
   * @param dst output; at most `dst.length` bytes are written; must not overlap `src`
   * @param planes the input is bit planes (after a bitshuffle): hash 5 bytes per position
   *   instead of 4 (assembly/lz4.ts says why)
   * @param acceleration 1 (the default, smallest output) or more: each step up skips ahead
   *   faster after a miss, as the reference's; clamped to 1..65537
   * @returns the block's length in bytes, or {@link LZ4_ERR_OUTPUT} when it does not fit in
   *   `dst` (so `dst = new Uint8Array(src.length - 1)` asks "does it shrink?"), or
   *   {@link LZ4_ERR_LENGTH}; never throws
   * @example const n = new Lz4Compressor().compress(chunk, out); if (n > 0) write(out.subarray(0, n))
   */
  compress(src: Uint8Array, dst: Uint8Array, planes = false, acceleration = 1): number {
    const len = src.length;
    const firstMisses = lz4Acceleration(acceleration) << SKIP_TRIGGER;
    const mix = planes ? PRIME5 : 0;
    if (len > LZ4_MAX_INPUT_BYTES) return LZ4_ERR_LENGTH;
    const table = this.#table;
    if (this.#base + len + 1 > 0xffffffff) {
      table.fill(0);
      this.#base = 1;
    }
    const base = this.#base;
    this.#base += len + 1;
    const cap = dst.length;
    const words = new DataView(src.buffer, src.byteOffset, src.length); // 4-byte reads
    let op = 0;
    let anchor = 0;
    if (len >= MF_LIMIT + 1) {
      const ilimit = len - MF_LIMIT;
      const matchlimit = len - LAST_LITERALS;
      table[hashAt(src, words, 0, mix)] = base;
      let ip = 1;
      for (;;) {
        let misses = firstMisses;
        let ref = -1;
        while (ip <= ilimit) {
          const seq = words.getInt32(ip, true);
          const h = (Math.imul(seq, PRIME) ^ Math.imul(src[ip + 4]!, mix)) >>> HASH_SHIFT;
          const entry = table[h]!;
          table[h] = base + ip;
          if (entry >= base) {
            const cand = entry - base;
            if (ip - cand <= MAX_DISTANCE && words.getInt32(cand, true) === seq) {
              ref = cand;
              break;
            }
          }
          ip += misses++ >> SKIP_TRIGGER;
        }
        if (ref < 0) break;
        while (ip > anchor && ref > 0 && src[ip - 1] === src[ref - 1]) {
          ip--;
          ref--;
        }
        let p = ip + MIN_MATCH;
        let r = ref + MIN_MATCH;
        while (p + 4 <= matchlimit && words.getInt32(p) === words.getInt32(r)) {
          p += 4;
          r += 4;
        }
        while (p < matchlimit && src[p] === src[r]) {
          p++;
          r++;
        }
        const litLen = ip - anchor;
        const ml = p - ip - MIN_MATCH;
        if (op + 1 + extBytes(litLen) + litLen + 2 + extBytes(ml) > cap) return LZ4_ERR_OUTPUT;
        const token = op++;
        if (litLen >= 15) op = writeExt(dst, op, litLen);
        copyBytes(dst, op, src, anchor, litLen);
        op += litLen;
        const offset = ip - ref;
        dst[op] = offset;
        dst[op + 1] = offset >>> 8;
        op += 2;
        if (ml >= 15) op = writeExt(dst, op, ml);
        dst[token] = ((litLen < 15 ? litLen : 15) << 4) | (ml < 15 ? ml : 15);
        ip = p;
        anchor = ip;
        if (ip > ilimit) break;
        const q = ip - 2;
        table[hashAt(src, words, q, mix)] = base + q;
      }
    }
    const litLen = len - anchor;
    if (op + 1 + extBytes(litLen) + litLen > cap) return LZ4_ERR_OUTPUT;
    dst[op++] = (litLen < 15 ? litLen : 15) << 4;
    if (litLen >= 15) op = writeExt(dst, op, litLen);
    copyBytes(dst, op, src, anchor, litLen);
    return op + litLen;
  }
}

function extBytes(n: number): number {
  return n >= 15 ? Math.floor((n - 15) / 255) + 1 : 0;
}

function writeExt(dst: Uint8Array, op: number, n: number): number {
  let r = n - 15;
  for (; r >= 255; r -= 255) dst[op++] = 255;
  dst[op++] = r;
  return op;
}

/** Copies `n` bytes of `src` from `s` to `dst` at `d` (different buffers or non-overlapping ranges). */
function copyBytes(dst: Uint8Array, d: number, src: Uint8Array, s: number, n: number): void {
  if (n < 32) for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
  else dst.set(src.subarray(s, s + n), d);
}

/**
 * Decompresses one LZ4 block, strictly bounds-checked: never reads past `src` nor writes past
 * `dst`; rejects offsets of 0 and offsets before the start of the output.
 * @param src the block
 * @param dst output; at most `dst.length` bytes are written; must not overlap `src`
 * @returns the bytes written, or {@link LZ4_ERR_CORRUPT} for a malformed block (empty,
 *   truncated, a length past the input or the output, a bad offset); never throws
 * @example if (lz4Decompress(block, out) !== out.length) throw new CorruptError("bad block")
 */
export function lz4Decompress(src: Uint8Array, dst: Uint8Array): number {
  const iend = src.length;
  const cap = dst.length;
  const sv = new DataView(src.buffer, src.byteOffset, src.length);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.length);
  let ip = 0;
  let op = 0;
  for (;;) {
    if (ip >= iend) return LZ4_ERR_CORRUPT;
    const token = src[ip++]!;
    let lit = token >>> 4;
    // Fast path far from both ends (as in assembly/lz4.ts): up to 14 literals as four 32-bit
    // words, then a match of up to 18 bytes at an offset of 4 or more as words (each word reads
    // bytes already written); the bytes written past the sequence are overwritten later.
    if (lit < 15 && (token & 15) < 15 && iend - ip >= 16 && cap - op >= 36) {
      dv.setInt32(op, sv.getInt32(ip, true), true);
      dv.setInt32(op + 4, sv.getInt32(ip + 4, true), true);
      dv.setInt32(op + 8, sv.getInt32(ip + 8, true), true);
      dv.setInt32(op + 12, sv.getInt32(ip + 12, true), true);
      op += lit;
      ip += lit;
      const offset = src[ip]! | (src[ip + 1]! << 8);
      if (offset >= 4 && offset <= op) {
        ip += 2;
        const ref = op - offset;
        const ml = (token & 15) + MIN_MATCH;
        for (let i = 0; i < ml; i += 4) dv.setInt32(op + i, dv.getInt32(ref + i, true), true);
        op += ml;
        continue;
      }
      // Otherwise finish this sequence on the general path with the literals done.
      lit = 0;
    } else if (lit === 15) {
      let b = 255;
      while (b === 255) {
        if (ip >= iend) return LZ4_ERR_CORRUPT;
        b = src[ip++]!;
        lit += b;
        if (lit > iend) return LZ4_ERR_CORRUPT;
      }
    }
    if (lit > iend - ip || lit > cap - op) return LZ4_ERR_CORRUPT;
    copyBytes(dst, op, src, ip, lit);
    op += lit;
    ip += lit;
    if (ip === iend) break;
    if (iend - ip < 2) return LZ4_ERR_CORRUPT;
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) return LZ4_ERR_CORRUPT;
    let ml = token & 15;
    if (ml === 15) {
      let b = 255;
      while (b === 255) {
        if (ip >= iend) return LZ4_ERR_CORRUPT;
        b = src[ip++]!;
        ml += b;
        if (ml > cap) return LZ4_ERR_CORRUPT;
      }
    }
    ml += MIN_MATCH;
    if (ml > cap - op) return LZ4_ERR_CORRUPT;
    let ref = op - offset;
    if (ml < 32) {
      const end = op + ml;
      while (op < end) dst[op++] = dst[ref++]!;
    } else if (offset >= ml) {
      dst.copyWithin(op, ref, ref + ml);
      op += ml;
    } else if (offset === 1) {
      dst.fill(dst[ref]!, op, op + ml);
      op += ml;
    } else {
      // Overlapping: [ref, op) repeats with period offset; copy it in growing non-overlapping runs.
      for (let rem = ml, run = offset; rem > 0; ) {
        const n = rem < run ? rem : run;
        dst.copyWithin(op, ref, ref + n);
        op += n;
        rem -= n;
        run += n;
      }
    }
  }
  return op;
}
