/**
 * xxHash32 (XXH32) in TypeScript, the twin of `assembly/xxhash32.ts`.
 * Algorithm: Yann Collet, https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md
 */
const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/**
 * XXH32 of `data` with `seed`.
 * @param data the bytes to hash (any length; not modified)
 * @param seed 32-bit seed, default 0 (taken modulo 2^32)
 * @returns the hash as an unsigned 32-bit integer
 * @example xxhash32(new TextEncoder().encode("abc")) // 0x32d153ff
 */
export function xxhash32(data: Uint8Array, seed = 0): number {
  const n = data.length;
  // Read lanes through an aligned Int32Array where possible: 3-4x faster than DataView.
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  let h: number;
  if (n >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = n - 16;
    if ((data.byteOffset & 3) === 0) {
      const words = new Int32Array(data.buffer, data.byteOffset, n >>> 2);
      let w = 0;
      for (; p <= limit; p += 16, w += 4) {
        v1 = round(v1, words[w]!);
        v2 = round(v2, words[w + 1]!);
        v3 = round(v3, words[w + 2]!);
        v4 = round(v4, words[w + 3]!);
      }
    } else {
      for (; p <= limit; p += 16) {
        v1 = round(v1, dv.getInt32(p, true));
        v2 = round(v2, dv.getInt32(p + 4, true));
        v3 = round(v3, dv.getInt32(p + 8, true));
        v4 = round(v4, dv.getInt32(p + 12, true));
      }
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + n) | 0;
  for (; p + 4 <= n; p += 4) {
    h = Math.imul(rotl((h + Math.imul(dv.getInt32(p, true), P3)) | 0, 17), P4);
  }
  for (; p < n; p++) {
    h = Math.imul(rotl((h + Math.imul(data[p]!, P5)) | 0, 11), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
