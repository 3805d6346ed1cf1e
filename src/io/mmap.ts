/**
 * Memory mapping through the optional native addon `@riaskov/mmap-io`.
 *
 * Mappings are private and writable (MAP_PRIVATE, PROT_READ | PROT_WRITE): copy-on-write, so a
 * caller may write to the returned memory without ever changing the file, and without the
 * SIGSEGV a read-only mapping would raise on a stray write. A mapping lives as long as the
 * returned buffer; the addon unmaps it when the buffer is garbage-collected.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

interface MmapAddon {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_PRIVATE: number;
  readonly MADV_NORMAL: number;
  readonly PAGESIZE: number;
}

/**
 * The largest mapping handed out, and the first file offset a mapping cannot start at, in bytes.
 * mmap-io 1.4.3 converts both its size and its offset to 32-bit signed integers: a size of
 * 2 GiB or more fails (asked for 5 GiB, it returned 1 GiB without error), an offset from 2 to
 * 4 GiB fails, and an offset of 4 GiB or more silently maps the wrong bytes (offset minus 4 GiB).
 * Ranges outside these limits are never passed to it; they are read instead.
 */
export const MAX_MAP_BYTES = 2 ** 31 - 65536;
/** Mapped ranges start below this file offset, in bytes (see {@link MAX_MAP_BYTES}). */
export const MAX_MAP_OFFSET = 2 ** 31;

/**
 * Why `length` bytes at file offset `offset` cannot be mapped by the addon whatever the
 * operating system says, or null when they can be.
 */
export function unmappableReason(offset: number, length: number): string | null {
  if (length > MAX_MAP_BYTES) return `${length} bytes is more than one mapping can be (${MAX_MAP_BYTES} bytes: the mmap addon takes 32-bit sizes)`;
  if (offset >= MAX_MAP_OFFSET) return `it starts at byte ${offset}, past the file's first ${MAX_MAP_OFFSET} bytes (the mmap addon takes 32-bit offsets)`;
  return null;
}

let addon: MmapAddon | null | undefined;
let unavailableReason = "";
/** Where the addon came from: its binary directly, or the package entry (slow). @internal for tests. */
export let mmapAddonSource: "binary" | "package" | undefined;

function loadAddon(): MmapAddon | null {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  try {
    addon = requireBinary(require);
    if (addon) {
      mmapAddonSource = "binary";
      return addon;
    }
  } catch {
    /* a binary that does not load: the package entry says why */
  }
  try {
    addon = require("@riaskov/mmap-io") as MmapAddon;
    mmapAddonSource = "package";
  } catch (err) {
    addon = null;
    unavailableReason = `the optional native addon @riaskov/mmap-io is not installed or did not build (${(err as Error).message.split("\n")[0]})`;
  }
  return addon;
}

/**
 * The addon's compiled binary, loaded directly. The package's own entry finds it through
 * `@mapbox/node-pre-gyp`, whose require costs about 65 ms in a fresh process: more than a whole
 * memory-mapped load. The paths are those node-pre-gyp computes from the package's `binary`
 * field (`build/binding/{configuration}/{node_abi}-{platform}-{arch}/`) and node-gyp's own
 * output; when neither exists, the caller falls back to the package entry.
 */
function requireBinary(require: NodeJS.Require): MmapAddon | undefined {
  let root: string;
  try {
    root = dirname(require.resolve("@riaskov/mmap-io/package.json"));
  } catch {
    return undefined;
  }
  const abi = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
  for (const rel of [`build/binding/Release/${abi}/mmap_io.node`, "build/Release/mmap_io.node"]) {
    const file = join(root, rel);
    if (existsSync(file)) return require(file) as MmapAddon;
  }
  return undefined;
}

/** Why memory mapping is unavailable, or null when it is available. */
export function mmapUnavailableReason(): string | null {
  return loadAddon() ? null : unavailableReason;
}

/** A mapped byte range of a file. */
export interface MappedRange {
  /** Exactly the requested bytes; the memory is the file's pages, copy-on-write. */
  bytes: Uint8Array;
}

/**
 * Maps `length` bytes of the open file `fd` starting at byte `offset`, copy-on-write.
 * The mapping starts at `offset` rounded down to the page size; `bytes` views just the range.
 *
 * @returns the mapped range, or null when mapping is impossible (no addon, a zero length, or a
 *   range {@link unmappableReason} names); the caller then reads the bytes instead.
 * @throws Error from the addon if the operating system refuses the mapping
 */
export function mapRange(fd: number, offset: number, length: number): MappedRange | null {
  const mm = loadAddon();
  if (!mm || length === 0) return null;
  const pageStart = offset - (offset % mm.PAGESIZE);
  const size = offset - pageStart + length;
  // The page-size margin below MAX_MAP_BYTES keeps `size` a positive 32-bit integer too.
  if (unmappableReason(offset, length) !== null) return null;
  const buf = mm.map(size, mm.PROT_READ | mm.PROT_WRITE, mm.MAP_PRIVATE, fd, pageStart, mm.MADV_NORMAL);
  if (buf.length !== size) return null; // never hand out a truncated view
  return { bytes: new Uint8Array(buf.buffer, buf.byteOffset + (offset - pageStart), length) };
}
