// xxHash32 (XXH32), Yann Collet's algorithm
// (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md), streaming: the four lane
// accumulators live in one v128 global so that input can arrive in pieces through the arena.
// Usage: xxh32Reset(seed); xxh32Stripes(...) any number of times with lengths that are
// multiples of 16; xxh32Digest(tail, tailLen, totalLen) once with the last bytes.

const P1: u32 = 0x9e3779b1;
const P2: u32 = 0x85ebca77;
const P3: u32 = 0xc2b2ae3d;
const P4: u32 = 0x27d4eb2f;
const P5: u32 = 0x165667b1;

let lanes: v128 = i32x4.splat(0);
let seedValue: u32 = 0;
let anyStripe = false;

/** Starts a new hash with `seed`. */
export function xxh32Reset(seed: u32): void {
  seedValue = seed;
  anyStripe = false;
  lanes = xxh32Lanes(seed);
}

/** The four lanes `v` after one 16-byte stripe at `p`. */
// @ts-ignore: decorator
@inline export function xxh32Round(v: v128, p: usize): v128 {
  v = i32x4.add(v, i32x4.mul(v128.load(p), i32x4.splat(P2)));
  v = v128.or(i32x4.shl(v, 13), i32x4.shr_u(v, 19));
  return i32x4.mul(v, i32x4.splat(P1));
}

/** The lanes as xxh32Reset(seed) sets them. */
// @ts-ignore: decorator
@inline export function xxh32Lanes(seed: u32): v128 {
  return i32x4(seed + P1 + P2, seed + P2, seed, seed - P1);
}

/** Resumes a seed-0 hash whose lanes are `v`, after `any` stripes (true if at least one). */
// @ts-ignore: decorator
@inline export function xxh32Resume(v: v128, any: bool): void {
  seedValue = 0;
  lanes = v;
  anyStripe = any;
}

/**
 * Consumes the whole 16-byte stripes of `len` bytes at `ptr`. Returns the bytes consumed
 * (`len` rounded down to a multiple of 16).
 */
export function xxh32Stripes(ptr: usize, len: usize): usize {
  const end = ptr + (len & ~<usize>15);
  let v = lanes;
  for (let p = ptr; p < end; p += 16) v = xxh32Round(v, p);
  lanes = v;
  if (end > ptr) anyStripe = true;
  return len & ~<usize>15;
}

/**
 * Finishes the hash: `tailLen` (< 16) last bytes at `tail`, `totalLen` bytes hashed in all
 * (only its low 32 bits matter, as in the spec). Returns the hash.
 */
export function xxh32Digest(tail: usize, tailLen: usize, totalLen: u32): u32 {
  let h: u32;
  if (anyStripe) {
    h = rotl<u32>(i32x4.extract_lane(lanes, 0), 1) + rotl<u32>(i32x4.extract_lane(lanes, 1), 7) +
      rotl<u32>(i32x4.extract_lane(lanes, 2), 12) + rotl<u32>(i32x4.extract_lane(lanes, 3), 18);
  } else {
    h = seedValue + P5;
  }
  h += totalLen;
  let p = tail;
  const end = tail + tailLen;
  for (; p + 4 <= end; p += 4) h = rotl<u32>(h + load<u32>(p) * P3, 17) * P4;
  for (; p < end; p++) h = rotl<u32>(h + <u32>load<u8>(p) * P5, 11) * P1;
  h ^= h >> 15;
  h *= P2;
  h ^= h >> 13;
  h *= P3;
  h ^= h >> 16;
  return h;
}

/** XXH32 of `len` bytes at `ptr` with `seed`, in one call. */
export function xxhash32(ptr: usize, len: usize, seed: u32): u32 {
  xxh32Reset(seed);
  const done = xxh32Stripes(ptr, len);
  return xxh32Digest(ptr + done, len - done, <u32>len);
}
