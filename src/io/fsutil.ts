/**
 * File helpers shared by `dump`/`load` and the interop readers and writers: atomic writes and
 * exact positioned reads, in pieces of at most 1 GiB (one fs call takes at most 2 GiB).
 * @internal
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { NdpackError, TruncatedError, ioError, markNamesFile } from "../errors.js";
import { preallocate } from "./preallocate.js";

/** What a write replaces: the file's real path and the permission bits to give the new file. */
export interface ReplaceTarget {
  /** `target` with symlinks resolved, so a link keeps pointing at the new file. */
  path: string;
  /** The old file's permission bits, or undefined when there is no old file (the umask applies). */
  mode: number | undefined;
}

/**
 * Resolves where an atomic write to `target` goes. A symlink is followed, so the link survives
 * and the file it names is replaced. A directory, device, FIFO or socket is refused: a rename
 * would silently put a regular file in its place (as root, even over `/dev/null`). An existing
 * file's permission bits are kept, as writing into it in place would.
 * @throws NdpackError `ERR_IO` when `target` exists and is not a regular file,
 *   `ERR_INVALID_ARGUMENT` when it is not a non-empty string
 */
export function replaceTarget(target: string): ReplaceTarget {
  checkPath(target);
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    return { path: linkEnd(target), mode: undefined }; // nothing there: create it
  }
  if (!st.isFile()) {
    throw new NdpackError("ERR_IO", `cannot write ${target}: it is ${fileKind(st)}, not a regular file; ndpack replaces files atomically and will not put a file in its place`);
  }
  let real = target;
  try {
    // .native: the system resolves `link/../x` through the link; the JavaScript version
    // drops `link/..` as text first and would replace another file.
    real = fs.realpathSync.native(target);
  } catch {
    /* raced away: write to the path as given */
  }
  return { path: real, mode: st.mode & 0o7777 };
}

/**
 * Where a path that does not exist leads: itself, or for a dangling symlink (a chain of them)
 * the missing file it names, which is created there as fs.writeFileSync would. The link's
 * folder part is resolved by the operating system (realpath), not as text: `sub/../x` through
 * a symlinked `sub` is not `x`.
 * @throws NdpackError `ERR_IO` for a loop of symlinks, a link to a folder path (`a/`), or a
 *   link whose folder does not exist
 */
function linkEnd(p: string): string {
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!fs.lstatSync(p).isSymbolicLink()) return p;
      link = fs.readlinkSync(p);
    } catch {
      return inRealFolder(p);
    }
    const joined = path.isAbsolute(link) ? link : path.dirname(p) + path.sep + link;
    const cut = joined.lastIndexOf(path.sep);
    const base = joined.slice(cut + 1);
    if (base === "" || base === "." || base === "..") throw new NdpackError("ERR_IO", `cannot write ${p}: it is a symbolic link to a folder path (${link})`);
    let dir: string;
    try {
      dir = fs.realpathSync.native(joined.slice(0, cut) || path.sep);
    } catch (err) {
      throw ioError("cannot write through the symbolic link", p, err);
    }
    p = path.join(dir, base);
  }
  throw new NdpackError("ERR_IO", `cannot write ${p}: too many levels of symbolic links`);
}

/**
 * `p` with its folder part resolved by the operating system: `link/../x` through a symlinked
 * `link` names `x` in the folder above the link's target, not in the current one, and the temp
 * file must go where the rename will put the file (another filesystem gave EXDEV). Unchanged
 * when the folder does not exist (the create then fails with ENOENT).
 */
function inRealFolder(p: string): string {
  try {
    return path.join(fs.realpathSync.native(path.dirname(p)), path.basename(p));
  } catch {
    return p;
  }
}

/** Name of the temporary file a write to `target` goes through (same folder, so rename is atomic). */
export function tempPathFor(target: string): string {
  return hiddenSibling(target, "tmp");
}

/** The longest file name Linux filesystems take, in bytes (NAME_MAX). */
const NAME_MAX_BYTES = 255;

/**
 * A hidden file beside `target`: `.<name>.<kind>-<pid>-<random>`. `<name>` is only there to
 * tell people whose file it is, so it is cut short (by whole characters) when the whole would
 * pass NAME_MAX: a target with a legal long name must still be writable.
 */
function hiddenSibling(target: string, kind: "tmp" | "old"): string {
  const suffix = `.${kind}-${process.pid}-${randomBytes(4).toString("hex")}`;
  const room = NAME_MAX_BYTES - 1 - suffix.length;
  const chars = Array.from(path.basename(target));
  while (Buffer.byteLength(chars.join("")) > room) chars.pop();
  return path.join(path.dirname(target), `.${chars.join("")}${suffix}`);
}

/**
 * Why a large old target is unlinked in the background. Renaming a 136.6 MB temp file over a
 * 136.6 MB old file on ext4 took 60-80 ms in the renaming thread (GloVe matrix, bench/RESULTS.md):
 * a little of it is ext4's `auto_da_alloc` (a rename over an existing file starts the writeback
 * of the new file's delayed-allocation blocks), most of it is freeing the old file: its page
 * cache, its blocks, and with the `discard` mount option a synchronous discard of them. So on
 * ext4 the old file is hard-linked to a hidden name before the rename and that name is unlinked
 * on the thread pool after it: the rename stays the single atomic step, and the freeing moves
 * off the calling thread (the rename then takes 2-9 ms).
 * @internal exported so tests can lower the size and force the path on any filesystem.
 */
export const replaceTuning = {
  /** Unlink an old target in the background only from this size (small ones are cheap to free). */
  backgroundUnlinkBytes: 16 * 2 ** 20,
  /** Use the ext4 path on any Linux filesystem (tests). */
  anyFilesystem: false,
  /** The final rename; tests replace it to make it fail. */
  rename: (from: string, to: string): void => fs.renameSync(from, to),
};

/** ext2/3/4's statfs magic number. */
const EXT_SUPER_MAGIC = 0xef53;
/** Old targets linked aside whose background unlink has not finished: removed at exit at the latest. */
const linkedAside = new Set<string>();
let exitHook = false;

/** Whether `dir` is on ext2/3/4 under Linux, where {@link replaceTuning} applies. */
function onExt4(dir: string): boolean {
  if (process.platform !== "linux") return false;
  if (replaceTuning.anyFilesystem) return true;
  try {
    return fs.statfsSync(dir).type === EXT_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Hard-links a large old `target` on ext4 to a hidden name, or returns undefined (no old file, a
 * small one, another filesystem, or no hard links there).
 */
function linkAside(target: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.size < replaceTuning.backgroundUnlinkBytes || !onExt4(path.dirname(target))) return undefined;
  const aside = hiddenSibling(target, "old");
  try {
    fs.linkSync(target, aside);
  } catch {
    return undefined;
  }
  if (!exitHook) {
    exitHook = true;
    // A pending unlink does keep Node alive, but process.exit() does not wait for it.
    process.on("exit", () => {
      for (const p of linkedAside) removeQuietly(p);
    });
  }
  linkedAside.add(aside);
  return aside;
}

function removeQuietly(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    /* nothing to remove */
  }
  linkedAside.delete(p);
}

/**
 * Writes a file atomically: the parts go to a temp file in the target's folder
 * (`.<name>.tmp-<pid>-<random>`), which is renamed over `target`. On any error the temp file is
 * removed and the target is left as it was. With `fsync`, the data reaches the disk before the
 * rename, so a power loss cannot leave an empty target either (slower; `np.save` does not).
 * On ext4 a large old target is first hard-linked to `.<name>.old-<pid>-<random>`, which is
 * unlinked in the background once the rename is done (see {@link replaceTuning}).
 * @param target destination path
 * @param write called with an open fd; writes everything through {@link writeAll}
 * @param options `fsync`; `preallocate`: bytes from the start that `write` will write, reserved
 *   on disk first as `np.save` does (io/preallocate.ts)
 * @throws NdpackError `ERR_IO` when the system refuses or the disk has no room for
 *   `preallocate` bytes; whatever `write` throws
 */
export function atomicWriteSync(target: string, write: (fd: number) => void, options: { fsync?: boolean; preallocate?: number } = {}): void {
  const shown = target;
  const { path: real, mode } = replaceTarget(target);
  target = real;
  const tmp = tempPathFor(target);
  let fd: number;
  try {
    fd = fs.openSync(tmp, "wx", 0o666);
  } catch (err) {
    throw ioError("cannot create the temporary file for", shown, err);
  }
  let ok = false;
  let aside: string | undefined;
  try {
    if (mode !== undefined) {
      try {
        fs.fchmodSync(fd, mode);
      } catch (err) {
        throw ioError("cannot set the mode of", tmp, err);
      }
    }
    preallocate(fd, options.preallocate ?? 0, tmp, shown);
    write(fd);
    if (options.fsync) {
      try {
        fs.fsyncSync(fd);
      } catch (err) {
        throw ioError("cannot fsync", tmp, err);
      }
    }
    fs.closeSync(fd);
    fd = -1;
    aside = linkAside(target);
    try {
      replaceTuning.rename(tmp, target);
    } catch (err) {
      throw ioError("cannot rename over", target, err);
    }
    ok = true;
  } finally {
    if (!ok) {
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already failing */
        }
      }
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing to remove */
      }
      if (aside) removeQuietly(aside);
    }
  }
  if (aside) {
    const p = aside;
    fs.unlink(p, () => linkedAside.delete(p));
  }
}

/** Writes all of `bytes` to `fd` at the current position (loops over short writes). */
export function writeAll(fd: number, bytes: Uint8Array, pathForErrors: string): void {
  let done = 0;
  while (done < bytes.length) {
    let n: number;
    try {
      // Node's writeSync takes at most 2 GiB at a time.
      n = fs.writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    } catch (err) {
      throw ioError("cannot write", pathForErrors, err);
    }
    if (n <= 0) throw ioError("cannot write", pathForErrors, new Error("write returned 0 bytes"));
    done += n;
  }
}

/**
 * Reads exactly `length` bytes at `position` into `into` (from `intoOffset`).
 * @throws TruncatedError when the file ends first; NdpackError `ERR_IO` when the read fails
 */
export function readExactSync(
  fd: number,
  into: Uint8Array,
  intoOffset: number,
  length: number,
  position: number,
  pathForErrors: string,
): void {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = fs.readSync(fd, into, intoOffset + done, Math.min(length - done, 1 << 30), position + done);
    } catch (err) {
      throw ioError("cannot read", pathForErrors, err);
    }
    if (n === 0) {
      throw markNamesFile(new TruncatedError(
        `${pathForErrors}: needed ${length} bytes at offset ${position}, the file ends after ${done}`,
        { offset: position + done },
      ));
    }
    done += n;
  }
}

/**
 * Opens `file` for reading; returns its descriptor.
 * @throws NdpackError `ERR_IO` when it cannot be opened or is not a regular file (a FIFO,
 *   which would block a read forever, a directory, socket or device); `ERR_INVALID_ARGUMENT`
 *   when `file` is not a non-empty string
 */
export function openRead(file: string): number {
  checkPath(file);
  let fd: number;
  try {
    fd = fs.openSync(file, READ_FLAGS);
  } catch (err) {
    throw ioError("cannot open", file, err);
  }
  try {
    checkRegular(fs.fstatSync(fd), file);
  } catch (err) {
    fs.closeSync(fd);
    throw err instanceof NdpackError ? err : ioError("cannot stat", file, err);
  }
  return fd;
}

/**
 * Async {@link openRead}: opens `file` for reading, refusing anything but a regular file.
 * @throws NdpackError `ERR_IO`
 */
export async function openReadAsync(file: string): Promise<fs.promises.FileHandle> {
  checkPath(file);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, READ_FLAGS);
  } catch (err) {
    throw ioError("cannot open", file, err);
  }
  try {
    checkRegular(await handle.stat(), file);
  } catch (err) {
    await handle.close();
    throw err instanceof NdpackError ? err : ioError("cannot stat", file, err);
  }
  return handle;
}

/**
 * A file path is a non-empty string (not a Buffer, URL or number: the API documents strings).
 * @throws NdpackError `ERR_INVALID_ARGUMENT`
 */
export function checkPath(file: unknown): asserts file is string {
  if (typeof file !== "string" || file === "") {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `a file path must be a non-empty string, got ${typeof file === "string" ? '""' : file === null ? "null" : typeof file}`);
  }
  if (file.includes("\0")) throw new NdpackError("ERR_INVALID_ARGUMENT", `a file path cannot hold a NUL character, got ${JSON.stringify(file)}`);
}

// Non-blocking, so that opening a FIFO returns at once instead of waiting for a writer; reads
// of a regular file ignore the flag. (Windows has no O_NONBLOCK and no FIFOs to open.)
const READ_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** Refuses a directory, FIFO, socket or device: only a regular file has the bytes and size a reader needs. */
function checkRegular(st: fs.Stats, file: string): void {
  if (!st.isFile()) throw markNamesFile(new NdpackError("ERR_IO", `cannot read ${file}: it is ${fileKind(st)}, not a regular file`));
}

function fileKind(st: fs.Stats): string {
  return st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : "a device";
}

/** Size of an open file in bytes. */
export function fileSize(fd: number, file: string): number {
  try {
    return fs.fstatSync(fd).size;
  } catch (err) {
    throw ioError("cannot stat", file, err);
  }
}
