// The arena: one block of linear memory after the static data, 64-byte aligned, that the
// TypeScript side fills with input and reads results from. It only grows, on request.
import { ERR_LENGTH, ERR_MEMORY } from "./status";

const ARENA_BASE: usize = (__heap_base + 63) & ~<usize>63;

/** Address of the first arena byte (64-byte aligned). */
export function arenaPtr(): usize {
  return ARENA_BASE;
}

/**
 * Makes the arena at least `bytes` long, growing memory by whole 64 KiB pages.
 * Returns 0, or ERR_MEMORY when memory.grow fails, ERR_LENGTH when the request overflows.
 */
export function ensureArena(bytes: usize): i32 {
  const end = ARENA_BASE + bytes;
  if (end < ARENA_BASE) return ERR_LENGTH;
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return 0;
  const pages = ((end - have + 0xffff) >> 16) as i32;
  return memory.grow(pages) < 0 ? ERR_MEMORY : 0;
}
