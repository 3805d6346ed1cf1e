/**
 * File helpers shared by `dump`/`load` and the interop readers and writers: atomic writes and
 * exact positioned reads, in pieces of at most 1 GiB (one fs call takes at most 2 GiB).
 * @internal
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { TruncatedError, ioError } from "../errors.js";

/** Name of the temporary file a write to `target` goes through (same folder, so rename is atomic). */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Writes a file atomically: the parts go to a temp file in the target's folder
 * (`.<name>.tmp-<pid>-<random>`), which is renamed over `target`. On any error the temp file is
 * removed and the target is left as it was. With `fsync`, the data reaches the disk before the
 * rename, so a power loss cannot leave an empty target either (slower; `np.save` does not).
 * @param target destination path
 * @param write called with an open fd; writes everything through {@link writeAll}
 * @throws NdpackError `ERR_IO` when the system refuses; whatever `write` throws
 */
export function atomicWriteSync(target: string, write: (fd: number) => void, options: { fsync?: boolean } = {}): void {
  const tmp = tempPathFor(target);
  let fd: number;
  try {
    fd = fs.openSync(tmp, "wx", 0o644);
  } catch (err) {
    throw ioError("cannot create", tmp, err);
  }
  let ok = false;
  try {
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
    try {
      fs.renameSync(tmp, target);
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
    }
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
      throw new TruncatedError(
        `${pathForErrors}: needed ${length} bytes at offset ${position}, the file ends after ${done}`,
        { offset: position + done },
      );
    }
    done += n;
  }
}

/** Opens `file` for reading, wrapping failures as `ERR_IO`. */
export function openRead(file: string): number {
  try {
    return fs.openSync(file, "r");
  } catch (err) {
    throw ioError("cannot open", file, err);
  }
}

/** Size of an open file in bytes. */
export function fileSize(fd: number, file: string): number {
  try {
    return fs.fstatSync(fd).size;
  } catch (err) {
    throw ioError("cannot stat", file, err);
  }
}
