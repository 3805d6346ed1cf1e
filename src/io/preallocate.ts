/**
 * Block preallocation before a large write: `fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, bytes)`, as
 * numpy's `ndarray.tofile` (and so `np.save`) does before it writes an array. Node's `fs` has no
 * fallocate; io/libc.ts calls the C library's through the optional dependency `koffi`.
 *
 * Why, on ext4 (bench/RESULTS.md, session 5; GloVe matrix, 136.6 MB, medians of 12):
 * - A write into preallocated blocks skips delayed allocation: a new file takes 28 ms instead
 *   of 37 (`np.save`: 28-32 ms in the same runs).
 * - A rename over an existing file no longer writes the new file back in the renaming thread
 *   (ext4's `auto_da_alloc` has no delayed blocks to allocate): 38 ms instead of 121.
 * - A disk without room for the file fails before anything is written.
 *
 * Without koffi, on a filesystem without fallocate (it then says EOPNOTSUPP) or off Linux, the
 * write goes on as before. Not on tmpfs or ramfs: there the blocks are memory pages, which
 * fallocate zeroes in the calling thread (a 1 GiB async dump to tmpfs stalled the event loop
 * for 212-306 ms) for no gain. Loading koffi costs about 10 ms once per process, so only writes
 * of at least {@link preallocateTuning}`.minBytes` load it.
 * @internal
 */
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { NdpackError } from "../errors.js";
import { libc } from "./libc.js";

/** FALLOC_FL_KEEP_SIZE: allocate blocks, leave the file's size to the writes. */
const KEEP_SIZE = 1;
/** statfs magic numbers of the memory filesystems, where preallocating only zeroes pages early. */
const MEMORY_FILESYSTEMS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);
/** errno values that mean the file cannot fit (Linux): ENOSPC, EFBIG, EDQUOT. */
const NO_ROOM: Record<number, string> = { 28: "no space left on the device", 27: "the file would be too large", 122: "disk quota exceeded" };

/** @internal tests lower the size (and replace the binding through io/libc.ts's libcTuning). */
export const preallocateTuning = {
  /** Preallocate (and load koffi) only for writes of at least this many bytes: 32 MiB. */
  minBytes: 32 * 2 ** 20,
};

/**
 * Reserves `bytes` bytes of disk blocks for the file open as `fd`, from its start, without
 * changing its size. Does nothing for smaller writes, off Linux, without koffi, on tmpfs or
 * ramfs, or where the filesystem cannot preallocate.
 * @param fd a file open for writing
 * @param bytes how many bytes the write is known to put there
 * @param file the open file's path (a temporary file: its folder's filesystem is looked up)
 * @param shown the path the caller asked to write, for the error message
 * @throws NdpackError `ERR_IO` when the disk or quota has no room for `bytes` bytes
 */
export function preallocate(fd: number, bytes: number, file: string, shown: string): void {
  if (bytes < preallocateTuning.minBytes) return;
  const f = libc();
  if (!f || onMemoryFilesystem(file)) return;
  if (f.fallocate(fd, KEEP_SIZE, 0, bytes) === 0) return;
  const errno = f.errno();
  if (NO_ROOM[errno]) throw new NdpackError("ERR_IO", `cannot write ${shown}: ${NO_ROOM[errno]} for its ${bytes} bytes (fallocate errno ${errno})`);
}

function onMemoryFilesystem(file: string): boolean {
  try {
    return MEMORY_FILESYSTEMS.has(statfsSync(dirname(file)).type);
  } catch {
    return false;
  }
}
