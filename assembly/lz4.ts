// LZ4 block compression and decompression, written for ndpack from the block format spec
// (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md). The TypeScript twin,
// src/kernels/js/lz4.ts, runs the same algorithm and writes the same bytes.
//
// Compressor: greedy, one hash table, like the reference's LZ4_compress_fast, with the same
// `acceleration` (1: smallest output, each step up skips ahead faster after a miss) but
// skipping ahead sooner after misses (below).
// - `planes` says the input is bit planes (the chunk kernels set it after a bitshuffle): the
//   hash then covers 5 bytes.
// - The table has 2^LZ4_HASH_LOG u32 entries. The hash of position p covers 4 bytes,
//   (u32 LE at p) * 2654435761 >>> (32 - LZ4_HASH_LOG), or with `planes` 5 bytes,
//   ((u32 LE at p) * 2654435761 ^ (byte p + 4) * 2246822519) >>> (32 - LZ4_HASH_LOG), products
//   mod 2^32 (the reference hashes 5 bytes on 64-bit machines). On bit planes matches run
//   longer, which takes GloVe + bitshuffle
//   (lz4-split, 512 KiB chunks) from 85.74 to 85.66 % at the same speed. After a byte shuffle it
//   would shrink GloVe from 93.0 to 91.5 % but compress 1.5x slower: on the sign-and-exponent
//   bytes many candidates of a 5-byte hash turn out not to match (6.0 M of 14.2 M lookups,
//   against 0.7 M of 10.8 M), each a mispredicted branch. An entry holds `base + p`; entries
//   below the current `base` belong to earlier calls and count as empty, so the table is
//   never cleared between calls and the output depends on the input only.
// - Search from p = 0 (position 0 is only entered in the table): at each position look up the
//   entry, replace it with the position, and take the candidate when it is from this call, at
//   most 65535 back and its 4 bytes equal. After each miss the step is `misses >> 4` with
//   `misses` starting at `acceleration << 4` (at acceleration 1: step 1 for 16 misses, then
//   2, ...); a match resets it. Acceleration is clamped to 1..65537, as in the reference. (The
//   reference skips after 64 misses: 16 costs GloVe+shuffle 0.3 points of ratio and
//   bitshuffle 0.04, and compresses them ~10 % and ~25 % faster, 10M sorted ids ~35 %.)
// - A match is extended backwards over equal bytes (not before the last sequence's end nor
//   before the block start), then forwards up to `len - 5`.
// - End of block rules: a match starts at most at `len - 12`; the last 5 bytes are literals;
//   inputs under 13 bytes are all literals. After a match, position `end - 2` enters the table.
// Decompressor: strictly bounds-checked; never reads past src or writes past dst, rejects
// offsets 0 and offsets before the output start, and returns the exact bytes written.
import { ERR_CORRUPT, ERR_LENGTH, ERR_OUTPUT, ERR_TYPESIZE } from "./status";
import { xxh32Digest, xxh32Lanes, xxh32Resume, xxh32Round, xxh32Stripes } from "./xxhash32";

/**
 * log2 of the hash table's entry count; the twin uses the same. 13 (32 KiB, fits a 32 KiB L1d)
 * by benchmark, 256 KiB chunks streamed: against 16 (256 KiB) GloVe+shuffle compresses about as
 * fast, 10M sorted ids+shuffle ~1.4x faster (ratio 26.8 % vs 25.3 %), GloVe+bitshuffle ~8 % slower.
 */
export const LZ4_HASH_LOG: u32 = 13;
const TABLE_ENTRIES: usize = 1 << LZ4_HASH_LOG;
const TABLE: usize = memory.data(<i32>(TABLE_ENTRIES << 2), 64);
const MIN_MATCH: usize = 4;
const LAST_LITERALS: usize = 5;
const MF_LIMIT: usize = 12;
const MAX_DISTANCE: usize = 65535;
const SKIP_TRIGGER: u32 = 4;
/** Largest input accepted (the reference's LZ4_MAX_INPUT_SIZE). */
const MAX_INPUT: usize = 0x7e000000;
/** Largest acceleration (the reference's LZ4_ACCELERATION_MAX); larger values are clamped. */
const MAX_ACCELERATION: u32 = 65537;

let tableBase: u32 = 1;
let checksum: u32 = 0;
// The running xxHash32 of the functions that compute one: lanes after the stripes before
// `hashFrom`, and the end of the stripes the decompressor may hash (its whole input's).
let hashLanes: v128 = i32x4.splat(0);
let hashFrom: usize = 0;
let hashEnd: usize = 0;
/** Stored lengths of the streams of lz4SplitCompress, until they are written after the streams. */
const SPLIT_LENGTHS: usize = memory.data(16 * 4, 16);

/** The xxHash32 computed by the last successful lz4CompressChecksum or lz4DecompressChecksum. */
export function lz4Checksum(): u32 {
  return checksum;
}

/** The table slot of position `p`: its 4 bytes hashed, or 5 with `planes`. */
// @ts-ignore: decorator
@inline function hashAt(p: usize, planes: bool): usize {
  const h = load<u32>(p) * 2654435761;
  return <usize>((planes ? h ^ (<u32>load<u8>(p + 4) * 2246822519) : h) >> (32 - LZ4_HASH_LOG));
}

/** Bytes the length extension of `n` (>= 15 in the token) takes: (n - 15) / 255 + 1. */
// @ts-ignore: decorator
@inline function extBytes(n: usize): usize {
  return n >= 15 ? (n - 15) / 255 + 1 : 0;
}

/** Writes the length extension of `n` (n >= 15) at `op`; returns the new `op`. */
// @ts-ignore: decorator
@inline function writeExt(op: usize, n: usize): usize {
  let r = n - 15;
  for (; r >= 255; r -= 255) store<u8>(op++, 255);
  store<u8>(op++, <u8>r);
  return op;
}

/**
 * Copies `n` bytes from `s` to `d`, forwards, in 16-byte vectors (the last one overlapping the
 * one before), without touching bytes outside [s, s + n) and [d, d + n). The ranges must not
 * overlap, or `d - s` must be at least 16 (each vector then reads bytes already written).
 */
// @ts-ignore: decorator
@inline function copyForward(d: usize, s: usize, n: usize): void {
  if (n >= 16) {
    let i: usize = 0;
    for (; i + 16 <= n; i += 16) v128.store(d + i, v128.load(s + i));
    if (i < n) v128.store(d + n - 16, v128.load(s + n - 16));
  } else if (n >= 8) {
    const head = load<u64>(s);
    const tail = load<u64>(s + n - 8);
    store<u64>(d, head);
    store<u64>(d + n - 8, tail);
  } else if (n >= 4) {
    const head = load<u32>(s);
    const tail = load<u32>(s + n - 4);
    store<u32>(d, head);
    store<u32>(d + n - 4, tail);
  } else {
    for (let i: usize = 0; i < n; i++) store<u8>(d + i, load<u8>(s + i));
  }
}

/**
 * Compresses `len` bytes at `src` into one LZ4 block at `dst`, writing at most `cap` bytes,
 * hashing 5 bytes per position when `planes`, at `acceleration` (see the top of this file).
 * Returns the block's length, ERR_OUTPUT when it does not fit in `cap`, ERR_LENGTH when `len`
 * is over 0x7E000000. `src` and `dst` must not overlap.
 */
export function lz4Compress(src: usize, len: usize, dst: usize, cap: usize, planes: bool, acceleration: u32): i32 {
  return compress(src, len, dst, cap, false, planes, acceleration);
}

/**
 * lz4Compress that also computes the xxHash32 (seed 0) of the block it writes, which
 * lz4Checksum() then returns (only after a successful call). As in lz4DecompressChecksum, one
 * 16-byte stripe of the output already written is hashed per sequence emitted.
 */
export function lz4CompressChecksum(src: usize, len: usize, dst: usize, cap: usize, planes: bool, acceleration: u32): i32 {
  hashFrom = dst;
  hashLanes = xxh32Lanes(0);
  const n = compress(src, len, dst, cap, true, planes, acceleration);
  if (n >= 0) finishHash(dst, <usize>n);
  return n;
}

// @ts-ignore: decorator
@inline function compress(src: usize, len: usize, dst: usize, cap: usize, hashed: bool, planes: bool, acceleration: u32): i32 {
  if (len > MAX_INPUT) return ERR_LENGTH;
  const firstMisses: u32 = (acceleration < 1 ? 1 : acceleration > MAX_ACCELERATION ? MAX_ACCELERATION : acceleration) << SKIP_TRIGGER;
  if (<u64>tableBase + <u64>len + 1 > <u64>u32.MAX_VALUE) {
    memory.fill(TABLE, 0, TABLE_ENTRIES << 2);
    tableBase = 1;
  }
  const base = tableBase;
  tableBase += <u32>len + 1;
  const iend = src + len;
  const oend = dst + cap;
  let op = dst;
  let anchor = src;
  let hp = hashFrom; // next stripe of the output to hash
  let lanes = hashLanes;
  if (len >= MF_LIMIT + 1) {
    const ilimit = iend - MF_LIMIT; // last position a match may start at
    const matchlimit = iend - LAST_LITERALS;
    store<u32>(TABLE + (hashAt(src, planes) << 2), base);
    let ip = src + 1;
    while (true) {
      // Bytes before op are final: hash a stripe of them.
      if (hashed && hp + 16 <= op) {
        lanes = xxh32Round(lanes, hp);
        hp += 16;
      }
      // Find a match at or after ip.
      let misses = firstMisses;
      let ref: usize = 0;
      while (ip <= ilimit) {
        const slot = TABLE + (hashAt(ip, planes) << 2);
        const entry = load<u32>(slot);
        const pos = <u32>(ip - src);
        store<u32>(slot, base + pos);
        if (entry >= base) {
          const cand = entry - base;
          if (pos - cand <= <u32>MAX_DISTANCE && load<u32>(src + cand) == load<u32>(ip)) {
            ref = src + cand;
            break;
          }
        }
        ip += misses++ >> SKIP_TRIGGER;
      }
      if (ref == 0) break; // no match before ilimit
      // Extend backwards, then forwards.
      while (ip > anchor && ref > src && load<u8>(ip - 1) == load<u8>(ref - 1)) {
        ip--;
        ref--;
      }
      let p = ip + MIN_MATCH;
      let r = ref + MIN_MATCH;
      let open = true; // no differing byte found yet
      while (p + 8 <= matchlimit) {
        const diff = load<u64>(p) ^ load<u64>(r);
        if (diff != 0) {
          p += <usize>(ctz(diff) >> 3);
          open = false;
          break;
        }
        p += 8;
        r += 8;
      }
      if (open) {
        while (p < matchlimit && load<u8>(p) == load<u8>(r)) {
          p++;
          r++;
        }
      }
      const matchLen = p - ip;
      // Emit the sequence: token, literal length, literals, offset, match length.
      const litLen = ip - anchor;
      const ml = matchLen - MIN_MATCH;
      if (op + 1 + extBytes(litLen) + litLen + 2 + extBytes(ml) > oend) return ERR_OUTPUT;
      const token = op++;
      if (litLen >= 15) op = writeExt(op, litLen);
      // Up to 16 literals as one vector (no branch on the length) when the output has room: the
      // bytes past the literals are overwritten by what follows them.
      if (litLen <= 16 && op + 16 <= oend) v128.store(op, v128.load(anchor));
      else copyForward(op, anchor, litLen);
      op += litLen;
      store<u16>(op, <u16>(ip - ref));
      op += 2;
      if (ml >= 15) op = writeExt(op, ml);
      store<u8>(token, <u8>(((litLen < 15 ? litLen : 15) << 4) | (ml < 15 ? ml : 15)));
      ip = p;
      anchor = ip;
      if (ip > ilimit) break;
      store<u32>(TABLE + (hashAt(ip - 2, planes) << 2), base + <u32>(ip - 2 - src));
    }
  }
  // Last literals.
  const litLen = iend - anchor;
  if (op + 1 + extBytes(litLen) + litLen > oend) return ERR_OUTPUT;
  store<u8>(op++, <u8>((litLen < 15 ? litLen : 15) << 4));
  if (litLen >= 15) op = writeExt(op, litLen);
  copyForward(op, anchor, litLen);
  op += litLen;
  if (hashed) {
    hashFrom = hp;
    hashLanes = lanes;
  }
  return <i32>(op - dst);
}

/** Sets `checksum` to the xxHash32 of the `n` bytes at `start`, whose stripes before `hashFrom` are in `hashLanes`. */
// @ts-ignore: decorator
@inline function finishHash(start: usize, n: usize): void {
  const stripes = start + (n & ~<usize>15);
  xxh32Resume(hashLanes, n >= 16);
  xxh32Stripes(hashFrom, stripes - hashFrom);
  checksum = xxh32Digest(stripes, n & 15, <u32>n);
}

/**
 * Decompresses the LZ4 block of `srcLen` bytes at `src` into `dst`, writing at most `cap`
 * bytes. Returns the bytes written, ERR_CORRUPT for a malformed block (empty, truncated, a
 * length past the input or the output, an offset of 0 or before the output start) or
 * ERR_LENGTH for lengths over 2^31 - 1. Never reads outside [src, src + srcLen) nor writes
 * outside [dst, dst + cap). `src` and `dst` must not overlap.
 */
export function lz4Decompress(src: usize, srcLen: usize, dst: usize, cap: usize): i32 {
  return decompress(src, srcLen, dst, cap, false);
}

/**
 * lz4Decompress that also computes the xxHash32 (seed 0) of the `srcLen` input bytes, which
 * lz4Checksum() then returns (only after a successful call: on a negative status it is not
 * computed). One 16-byte stripe is hashed per sequence decoded, so the hash's multiply chain
 * runs alongside the decoder's branchy loop instead of in a pass of its own; the stripes left
 * when the sequences run out are hashed after.
 */
export function lz4DecompressChecksum(src: usize, srcLen: usize, dst: usize, cap: usize): i32 {
  hashFrom = src;
  hashEnd = src + (srcLen & ~<usize>15);
  hashLanes = xxh32Lanes(0);
  const n = decompress(src, srcLen, dst, cap, true);
  if (n >= 0) finishHash(src, srcLen);
  return n;
}


// @ts-ignore: decorator
@inline function decompress(src: usize, srcLen: usize, dst: usize, cap: usize, hashed: bool): i32 {
  if (srcLen > <usize>i32.MAX_VALUE || cap > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const iend = src + srcLen;
  const oend = dst + cap;
  let ip = src;
  let op = dst;
  let hp = hashFrom; // next stripe to hash
  const hend = hashEnd;
  let lanes = hashLanes;
  while (true) {
    if (hashed && hp < hend) {
      lanes = xxh32Round(lanes, hp);
      hp += 16;
    }
    if (ip >= iend) return ERR_CORRUPT;
    const token = <usize>load<u8>(ip++);
    let lit = token >> 4;
    // Fast path far from both ends (the reference decoder's shortcut): up to 14 literals and a
    // match of up to 18 bytes at an offset of 16 or more, each moved as whole vectors.
    if (lit < 15 && (token & 15) < 15 && ip + 32 <= iend && op + 48 <= oend) {
      v128.store(op, v128.load(ip));
      op += lit;
      ip += lit;
      const offset = <usize>load<u16>(ip);
      if (offset >= 16 && offset <= op - dst) {
        ip += 2;
        const ref = op - offset;
        v128.store(op, v128.load(ref));
        v128.store(op, v128.load(ref, 16), 16);
        op += (token & 15) + MIN_MATCH;
        continue;
      }
      // Otherwise finish this sequence on the general path with the literals done.
      lit = 0;
    } else if (lit == 15) {
      let b: usize = 255;
      while (b == 255) {
        if (ip >= iend) return ERR_CORRUPT;
        b = <usize>load<u8>(ip++);
        lit += b;
        if (lit > srcLen) return ERR_CORRUPT;
      }
    }
    if (lit > iend - ip || lit > oend - op) return ERR_CORRUPT;
    copyForward(op, ip, lit);
    op += lit;
    ip += lit;
    if (ip == iend) break; // the last sequence has literals only
    if (iend - ip < 2) return ERR_CORRUPT;
    const offset = <usize>load<u16>(ip);
    ip += 2;
    if (offset == 0 || offset > op - dst) return ERR_CORRUPT;
    let ml = token & 15;
    if (ml == 15) {
      let b: usize = 255;
      while (b == 255) {
        if (ip >= iend) return ERR_CORRUPT;
        b = <usize>load<u8>(ip++);
        ml += b;
        if (ml > cap) return ERR_CORRUPT;
      }
    }
    ml += MIN_MATCH;
    if (ml > oend - op) return ERR_CORRUPT;
    const ref = op - offset;
    if (offset >= 16 || offset >= ml) {
      copyForward(op, ref, ml);
    } else if (offset == 1) {
      memory.fill(op, load<u8>(ref), ml);
    } else if (ml <= 32) {
      for (let i: usize = 0; i < ml; i++) store<u8>(op + i, load<u8>(ref + i));
    } else {
      // Overlapping: [ref, op) repeats with period offset; copy it in growing non-overlapping runs.
      let rem = ml;
      let run = offset;
      let d = op;
      while (rem > 0) {
        const n = rem < run ? rem : run;
        memory.copy(d, ref, n);
        d += n;
        rem -= n;
        run += n;
      }
    }
    op += ml;
  }
  if (hashed) {
    hashFrom = hp;
    hashLanes = lanes;
  }
  return <i32>(op - dst);
}

/**
 * Stores `len` filtered bytes at `src` in the lz4-split layout (docs/FORMAT.md, "Codecs";
 * the TypeScript twin is src/kernels/split.ts): `typesize` streams of s = len / typesize bytes,
 * each an LZ4 block when that is smaller than s, else the stream as it is; then the streams'
 * stored lengths (u32 LE each); then the last len - typesize * s bytes. Writes at most `cap`
 * bytes and computes the xxHash32 of what it writes, which lz4Checksum() then returns; the
 * hash runs inside the compressor as in lz4CompressChecksum.
 * Returns the stored length, ERR_OUTPUT when it does not fit in `cap`, ERR_TYPESIZE for a
 * typesize outside 2..16, ERR_LENGTH when `len` is over 0x7E000000. `planes` and `acceleration`
 * as in lz4Compress.
 */
export function lz4SplitCompress(src: usize, len: usize, typesize: usize, dst: usize, cap: usize, planes: bool, acceleration: u32): i32 {
  if (typesize < 2 || typesize > 16) return ERR_TYPESIZE;
  if (len > MAX_INPUT) return ERR_LENGTH;
  const s = len / typesize;
  const tail = len - typesize * s;
  const end = dst + cap;
  hashFrom = dst;
  hashLanes = xxh32Lanes(0);
  let op = dst;
  for (let j: usize = 0; j < typesize; j++) {
    const from = hashFrom;
    const lanes = hashLanes;
    const room = end - op;
    // Only a strictly smaller block is kept.
    const blockCap = s - 1 < room ? s - 1 : room;
    // `planes` as a constant in each inlined copy keeps its test out of the search loop (~3 % faster).
    let l: i32 = s == 0 ? ERR_OUTPUT : planes ? compress(src + j * s, s, op, blockCap, true, true, acceleration) : compress(src + j * s, s, op, blockCap, true, false, acceleration);
    if (l < 0) {
      if (s > room) return ERR_OUTPUT;
      hashFrom = from; // the failed block's bytes are overwritten
      hashLanes = lanes;
      memory.copy(op, src + j * s, s);
      l = <i32>s;
    }
    store<u32>(SPLIT_LENGTHS + (j << 2), <u32>l);
    op += <usize>l;
  }
  if ((typesize << 2) + tail > end - op) return ERR_OUTPUT;
  memory.copy(op, SPLIT_LENGTHS, typesize << 2);
  op += typesize << 2;
  memory.copy(op, src + typesize * s, tail);
  op += tail;
  finishHash(dst, op - dst);
  return <i32>(op - dst);
}

/**
 * Reverses lz4SplitCompress: decodes the `srcLen` stored bytes at `src` into exactly `len`
 * bytes at `dst`, and computes the xxHash32 of the stored bytes (lz4Checksum(), after a
 * successful call), hashed inside the decompressor as in lz4DecompressChecksum.
 * Returns `len`, ERR_CORRUPT when a stored length is over its stream or the lengths do not add
 * up to the bytes before the table, or a block does not decode to exactly its stream;
 * ERR_TYPESIZE for a typesize outside 2..16; ERR_LENGTH for lengths over 2^31 - 1. Never reads
 * outside [src, src + srcLen) nor writes outside [dst, dst + len).
 */
export function lz4SplitDecompress(src: usize, srcLen: usize, typesize: usize, dst: usize, len: usize): i32 {
  if (typesize < 2 || typesize > 16) return ERR_TYPESIZE;
  if (srcLen > <usize>i32.MAX_VALUE || len > <usize>i32.MAX_VALUE) return ERR_LENGTH;
  const s = len / typesize;
  const tail = len - typesize * s;
  if (srcLen < (typesize << 2) + tail) return ERR_CORRUPT;
  const table = src + srcLen - tail - (typesize << 2);
  hashFrom = src;
  hashEnd = src + (srcLen & ~<usize>15);
  hashLanes = xxh32Lanes(0);
  let ip = src;
  for (let j: usize = 0; j < typesize; j++) {
    const l = <usize>load<u32>(table + (j << 2));
    if (l > s || l > table - ip) return ERR_CORRUPT;
    if (l == s) memory.copy(dst + j * s, ip, s);
    else if (<usize>decompress(ip, l, dst + j * s, s, true) != s) return ERR_CORRUPT;
    ip += l;
  }
  if (ip != table) return ERR_CORRUPT;
  memory.copy(dst + typesize * s, table + (typesize << 2), tail);
  finishHash(src, srcLen);
  return <i32>len;
}
