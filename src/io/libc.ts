/**
 * The few C library calls Node's `fs` lacks, through the optional dependency `koffi` (a C
 * foreign-function interface that ships prebuilt binaries): `fallocate` (io/preallocate.ts) and
 * `mmap` / `munmap` with 64-bit sizes and offsets (io/mmap.ts, where the mmap addon takes 32-bit
 * ones). Linux only. Loading koffi costs about 10 ms, once per process, on first use.
 * @internal
 */
import { createRequire } from "node:module";

/** What the callers use: each call returns as the C function does; `errno()` after a failure. */
export interface Libc {
  fallocate(fd: number, mode: number, offset: number, length: number): number;
  /** The mapping's address, or MAP_FAILED (all bits set) with the error in `errno()`. */
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(address: bigint, length: number): number;
  errno(): number;
  /** The system's page size in bytes (sysconf(_SC_PAGESIZE)). */
  pageSize(): number;
  /** An ArrayBuffer over `length` bytes at `address` (at most 2^32 bytes: koffi aborts the process beyond). */
  view(address: bigint, length: number): ArrayBuffer;
}

/** Linux's values on every architecture Node runs on. */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_PRIVATE = 2;
export const MAP_FAILED = 2n ** 64n - 1n;
/** The largest buffer `view` may make: koffi 3.3 aborts the process (not an exception) past it. */
export const MAX_VIEW_BYTES = 2 ** 32;

/** A failure to load a native binary that says nothing about the binary: the process is out of file descriptors. */
export const OUT_OF_FILES = /EMFILE|ENFILE|[Tt]oo many open files/;

/** @internal tests replace the binding. */
export const libcTuning = {
  /** undefined until first needed, null when it cannot be had here. */
  binding: undefined as Libc | null | undefined,
};

/** The C library's calls, or null off Linux or without koffi. */
export function libc(): Libc | null {
  if (libcTuning.binding !== undefined) return libcTuning.binding;
  libcTuning.binding = null;
  if (process.platform !== "linux") return null;
  try {
    type Fn = (...args: unknown[]) => unknown;
    const koffi = createRequire(import.meta.url)("koffi") as {
      load(path: string | null): { func(signature: string): Fn };
      errno(): number;
      view(address: bigint, length: number): ArrayBuffer;
    };
    // The process's own symbols include the C library's, glibc or musl.
    const c = koffi.load(null);
    const fallocate = c.func("int fallocate(int fd, int mode, int64_t offset, int64_t len)");
    const mmap = c.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t offset)");
    const munmap = c.func("int munmap(void *addr, size_t len)");
    const sysconf = c.func("long sysconf(int name)");
    const page = Number(sysconf(30 /* _SC_PAGESIZE on Linux */));
    libcTuning.binding = {
      fallocate: (fd, mode, offset, length) => fallocate(fd, mode, offset, length) as number,
      mmap: (length, prot, flags, fd, offset) => toAddress(mmap(null, length, prot, flags, fd, offset)),
      munmap: (address, length) => munmap(address, length) as number,
      errno: () => koffi.errno(),
      pageSize: () => page,
      view: (address, length) => koffi.view(address, length),
    };
  } catch (err) {
    // koffi not installed, or no binary for this platform; out of file descriptors, try again later
    if (OUT_OF_FILES.test(err instanceof Error ? err.message : "")) libcTuning.binding = undefined;
    return null;
  }
  return libcTuning.binding;
}

/** koffi 3 returns pointers as BigInt; an older or future one might not. */
function toAddress(p: unknown): bigint {
  if (typeof p === "bigint") return p;
  throw new Error(`koffi returned a ${typeof p} for a pointer`);
}
