/**
 * Memory mapping through the optional native addon `@riaskov/mmap-io`, and for what it cannot
 * map (ranges past its 32-bit sizes and offsets, or every range when it did not build) through
 * the C library's `mmap` called by the optional dependency `koffi` (io/libc.ts), up to 4 GiB.
 *
 * Mappings are private and writable (MAP_PRIVATE, PROT_READ | PROT_WRITE): copy-on-write, so a
 * caller may write to the returned memory without ever changing the file, and without the
 * SIGSEGV a read-only mapping would raise on a stray write. A mapping lives as long as the
 * returned buffer: the addon unmaps it when the buffer is garbage-collected, and so does a
 * FinalizationRegistry for the koffi path.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { libc, MAP_FAILED, MAP_PRIVATE, MAX_VIEW_BYTES, OUT_OF_FILES, PROT_READ, PROT_WRITE } from "./libc.js";

interface MmapAddon {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_PRIVATE: number;
  readonly MADV_NORMAL: number;
  readonly PAGESIZE: number;
}

/**
 * The largest mapping the addon is asked for, and the first file offset it cannot map from, in
 * bytes. mmap-io 1.4.3 converts both its size and its offset to 32-bit signed integers: a size of
 * 2 GiB or more fails (asked for 5 GiB, it returned 1 GiB without error), an offset from 2 to
 * 4 GiB fails, and an offset of 4 GiB or more silently maps the wrong bytes (offset minus 4 GiB).
 * Ranges outside these limits are never passed to it: they go to the C library's mmap (when
 * koffi is installed) or are read.
 */
export const MAX_MAP_BYTES = 2 ** 31 - 65536;
/** Ranges the addon maps start below this file offset, in bytes (see {@link MAX_MAP_BYTES}). */
export const MAX_MAP_OFFSET = 2 ** 31;

/** Whether the addon can map `length` bytes at `offset` (its 32-bit limits). */
function addonCanMap(offset: number, length: number): boolean {
  return length <= MAX_MAP_BYTES && offset < MAX_MAP_OFFSET;
}

/**
 * Why `length` bytes at file offset `offset` cannot be mapped whatever the operating system says,
 * or null when they can be (by the addon, or by the C library's mmap through koffi).
 */
export function unmappableReason(offset: number, length: number): string | null {
  if (addonCanMap(offset, length) && loadAddon()) return null;
  const c = libc();
  if (c) return length + (offset % pageSize()) > MAX_VIEW_BYTES ? `${length} bytes is more than one mapping can be (4 GiB with the rounding to whole pages: the largest buffer koffi makes)` : null;
  if (length > MAX_MAP_BYTES) return `${length} bytes is more than one mapping can be (${MAX_MAP_BYTES} bytes: the mmap addon takes 32-bit sizes; the optional dependency koffi maps up to 4 GiB)`;
  if (offset >= MAX_MAP_OFFSET) return `it starts at byte ${offset}, past the file's first ${MAX_MAP_OFFSET} bytes (the mmap addon takes 32-bit offsets; the optional dependency koffi maps any offset)`;
  return null;
}

/** The system's page size, from the addon or the C library; 4096 when neither says. */
function pageSize(): number {
  return loadAddon()?.PAGESIZE ?? libc()?.pageSize() ?? 4096;
}

let addon: MmapAddon | null | undefined;
let unavailableReason = "";
/** Where the addon came from: its binary directly, or the package entry (slow). @internal for tests. */
export let mmapAddonSource: "binary" | "package" | undefined;

function loadAddon(): MmapAddon | null {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  let first: unknown;
  try {
    addon = requireBinary(require);
    if (addon) {
      mmapAddonSource = "binary";
      return addon;
    }
  } catch (err) {
    first = err; // a binary that does not load: the package entry says why
  }
  try {
    addon = require("@riaskov/mmap-io") as MmapAddon;
    mmapAddonSource = "package";
  } catch (err) {
    const why = [first, err].map((e) => (e instanceof Error ? e.message.split("\n")[0]! : "")).find((m) => OUT_OF_FILES.test(m));
    // Out of file descriptors: say so, and try again next time rather than never map again.
    addon = why ? undefined : null;
    unavailableReason = why
      ? `the optional native addon @riaskov/mmap-io could not be loaded: the process has no file descriptor left (${why})`
      : `the optional native addon @riaskov/mmap-io is not installed or did not build (${(err as Error).message.split("\n")[0]})`;
    return null;
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

/** Why memory mapping is unavailable, or null when it is available (through either binding). */
export function mmapUnavailableReason(): string | null {
  return loadAddon() || libc() ? null : `${unavailableReason}, and the optional dependency koffi is not installed`;
}

/** A mapped byte range of a file. */
export interface MappedRange {
  /** Exactly the requested bytes; the memory is the file's pages, copy-on-write. */
  bytes: Uint8Array;
}

/**
 * Maps `length` bytes of the open file `fd` starting at byte `offset`, copy-on-write.
 * The mapping starts at `offset` rounded down to the page size; `bytes` views just the range.
 * Never throws: when the range cannot be mapped, it returns null and, given `why`, says why.
 *
 * @param why receives the reason when the result is null
 * @returns the mapped range, or null when mapping is impossible or refused: no binding, a zero
 *   length, a range {@link unmappableReason} names, too many live mappings (half of the
 *   kernel's vm.max_map_count), or the operating system's refusal; the caller then reads the bytes.
 */
export function mapRange(fd: number, offset: number, length: number, why: { reason?: string } = {}): MappedRange | null {
  if (length === 0) return null;
  const unmappable = mmapUnavailableReason() ?? unmappableReason(offset, length);
  if (unmappable !== null) {
    why.reason = unmappable;
    return null;
  }
  if (liveMappings >= mappingBudget()) {
    why.reason = `${liveMappings} mappings made by ndpack are still alive (not yet garbage-collected); past ${mappingBudget()}, half the kernel's vm.max_map_count, arrays are read instead, as running out of mappings would abort the process`;
    return null;
  }
  try {
    const bytes = mapNow(fd, offset, length);
    if (bytes === null) {
      why.reason = `the mmap addon returned a shorter mapping than the ${length} bytes asked for`;
      return null;
    }
    liveMappings++;
    countedMappings.register(bytes.buffer, undefined);
    return { bytes };
  } catch (e) {
    why.reason = `the operating system refused the mapping (${(e as Error).message})`;
    return null;
  }
}

function mapNow(fd: number, offset: number, length: number): Uint8Array | null {
  const mm = loadAddon();
  if (mm && addonCanMap(offset, length)) {
    const pageStart = offset - (offset % mm.PAGESIZE);
    const size = offset - pageStart + length;
    // The page-size margin below MAX_MAP_BYTES keeps `size` a positive 32-bit integer too.
    const buf = mm.map(size, mm.PROT_READ | mm.PROT_WRITE, mm.MAP_PRIVATE, fd, pageStart, mm.MADV_NORMAL);
    if (buf.length !== size) return null; // never hand out a truncated view
    return new Uint8Array(buf.buffer, buf.byteOffset + (offset - pageStart), length);
  }
  const c = libc()!; // unmappableReason said one of the two can map this range
  const pageStart = offset - (offset % pageSize());
  const size = offset - pageStart + length;
  const address = c.mmap(size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pageStart);
  if (address === MAP_FAILED) throw new Error(`mmap of ${size} bytes at offset ${pageStart} failed with errno ${c.errno()}`);
  let buffer: ArrayBuffer;
  try {
    buffer = c.view(address, size);
  } catch (e) {
    c.munmap(address, size);
    throw e;
  }
  unmapWhenCollected.register(buffer, { address, size });
  return new Uint8Array(buffer, offset - pageStart, length);
}

/** Unmaps a koffi mapping once its buffer, and so every view of it, has been collected. */
const unmapWhenCollected = new FinalizationRegistry<{ address: bigint; size: number }>(({ address, size }) => {
  libc()?.munmap(address, size);
});

/**
 * Mappings ndpack made whose buffers have not been collected yet, by either binding. Both unmap
 * only after a garbage collection and a turn of the event loop, so a synchronous loop of loads
 * piles them up; at the kernel's vm.max_map_count (65,530 by default) the next allocation of
 * any kind fails, and V8 aborts the process (a fresh-user trial saw it at 65,200 segments).
 */
let liveMappings = 0;
const countedMappings = new FinalizationRegistry<undefined>(() => {
  liveMappings--;
});

/** @internal tests lower the budget. */
export const mapTuning = {
  /** Live mappings allowed; undefined until first needed (half of vm.max_map_count). */
  budget: undefined as number | undefined,
};

/** How many live mappings ndpack makes at most: half of vm.max_map_count, leaving the rest to the process. */
function mappingBudget(): number {
  if (mapTuning.budget === undefined) {
    let max = 65530;
    try {
      max = Number(readFileSync("/proc/sys/vm/max_map_count", "utf8")) || max;
    } catch {
      /* not Linux: keep the Linux default */
    }
    mapTuning.budget = Math.floor(max / 2);
  }
  return mapTuning.budget;
}

/** Mappings ndpack made that are still alive, as far as it knows. @internal for tests. */
export function liveMappingCount(): number {
  return liveMappings;
}
