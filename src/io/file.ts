/**
 * Files: `dump`/`dumpSync` write atomically (a temporary file in the same folder, renamed over
 * the target), `load`/`loadSync` read with positioned reads or memory-map uncompressed segments.
 */
import { closeSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import {
  decodeChunked,
  decodeFrom,
  decodeLazily,
  DECODE_LIMITS,
  DECODE_OPTIONS,
  ENCODE_LIMITS,
  ENCODE_OPTIONS,
  segmentOptions,
  segmentProgress,
  withSegmentPath,
  type DecodeOptions,
  type EncodeOptions,
  type PreparedSegment,
} from "../api.js";
import { checkOptions, CorruptError, ioError, markNamesFile, namingFile, TruncatedError, type OptionNames } from "../errors.js";
import { FOOTER_BYTES, HEADER_BYTES, readFooter, readHeader } from "../format.js";
import { encodeGraph } from "../graph/encode.js";
import { getKernels } from "../kernels/index.js";
import type { Kernels } from "../kernels/types.js";
import { isMappable, type SegmentDescriptor } from "../segment/descriptor.js";
import { knownPrefixBytes, readContainer, writeContainer, type ByteSource, type ContainerInfo } from "../segment/container.js";
import { detachedError, verifyStoredChunks, WINDOW_BYTES } from "../segment/pipeline.js";
import { preallocate } from "./preallocate.js";
import { atomicWriteSync, checkPath, fileSize, openRead, openReadAsync, readExactSync, replaceTarget, tempPathFor, writeAll } from "./fsutil.js";
import { mapRange, mmapUnavailableReason, unmappableReason } from "./mmap.js";

/** What `dump` wrote. */
export interface DumpInfo {
  /** The file written. */
  path: string;
  /** File size in bytes. */
  bytes: number;
  /** Number of array segments. */
  segments: number;
  /** Manifest size in bytes. */
  manifestBytes: number;
  /** Raw bytes of array data. */
  rawBytes: number;
  /** Bytes the array data takes in the file. */
  storedBytes: number;
}

/** Options of `dump` and `dumpSync`. */
export interface DumpOptions extends EncodeOptions {
  /** Flush the data to disk before the rename (slower; survives a power loss). Default false. */
  fsync?: boolean;
}

/** Options of `load` and `loadSync` (`copy` is `decode`'s: a load's arrays never view its input). */
export interface LoadOptions extends Omit<DecodeOptions, "copy"> {
  /**
   * Memory-map uncompressed segments copy-on-write (private, writable): the returned arrays'
   * memory is the file's pages, and writing to them never changes the file. Compressed segments
   * are decoded into memory. The mmap addon maps segments under 2 GiB that start in the file's
   * first 2 GiB (its sizes and offsets are 32-bit); the optional dependency koffi maps the others
   * up to 4 GiB. Without either, or for a segment over 4 GiB, the segment is read instead:
   * `loadInfo(value)` says what happened. Default false.
   */
  mmap?: boolean;
}

/** The names of {@link DumpOptions}. */
const DUMP_OPTIONS = { ...ENCODE_OPTIONS, fsync: true } as const satisfies OptionNames<DumpOptions>;
/** The names of {@link LoadOptions}. */
const { copy: _decodeOnly, ...DECODE_OPTIONS_BUT_COPY } = DECODE_OPTIONS;
const LOAD_OPTIONS = { ...DECODE_OPTIONS_BUT_COPY, mmap: true } as const satisfies OptionNames<LoadOptions>;

/** How `load` obtained a value's arrays; see {@link loadInfo}. */
export interface LoadInfo {
  /** Segments memory-mapped (an empty one counts here: it needs no read). */
  mappedSegments: number;
  /** Segments read into memory (compressed ones, or uncompressed ones not mapped). */
  readSegments: number;
  /** When `mmap` was asked for but a segment was read instead: why. */
  mmapFallbackReason?: string;
}

const infos = new WeakMap<object, LoadInfo>();

/** The fallback reason for a compressed or filtered segment (its stored bytes are not the array's). */
function compressedReason(i: number): string {
  return `segment ${i} is compressed or filtered: it is decoded into memory, not mapped`;
}

/**
 * How `load`/`loadSync` produced `value`'s arrays (mapped or read), or undefined for a value
 * that did not come from them or is not an object.
 */
export function loadInfo(value: unknown): LoadInfo | undefined {
  return typeof value === "object" && value !== null ? infos.get(value) : undefined;
}

function summarize(path: string, info: ContainerInfo): DumpInfo {
  let rawBytes = 0;
  let storedBytes = 0;
  for (const s of info.segments) {
    rawBytes += s.rawBytes;
    storedBytes += s.storedBytes;
  }
  return { path, bytes: info.bytes, segments: info.segments.length, manifestBytes: info.manifestBytes, rawBytes, storedBytes };
}

/**
 * Writes `value` to the file `path`, atomically: on any error the previous file (if any) is
 * intact and no temporary file is left.
 *
 * @param value as for `encode`; arrays may exceed 4 GiB
 * @throws NdpackError `ERR_UNSUPPORTED_VALUE` (before any file is touched), `ERR_IO`, `ERR_LIMIT`
 * @example
 * dumpSync({ words, vectors: new NDArray(matrix, [n, 100]) }, "glove.ndpack");
 */
export function dumpSync(value: unknown, path: string, options: DumpOptions = {}): DumpInfo {
  checkOptions(options, "dumpSync", DUMP_OPTIONS, ENCODE_LIMITS);
  checkPath(path);
  const seg = segmentOptions(options);
  const graph = encodeGraph(value, options);
  const info: ContainerInfo = { bytes: 0, segments: [], manifestBytes: 0 };
  atomicWriteSync(
    path,
    (fd) => {
      for (const piece of writeContainer(graph, seg, info, options.onProgress)) writeAll(fd, piece, path);
    },
    { fsync: options.fsync, preallocate: knownPrefixBytes(graph, seg) },
  );
  return summarize(path, info);
}

/**
 * Async `dumpSync`: same file, same guarantees; the encoding itself runs on this thread.
 * Like `fs.promises.writeFile` with a buffer, it reads the value's arrays while the promise is
 * pending: change or transfer none of them until it settles (the graph and arrays under the
 * segment threshold are taken at the call; larger arrays as they are written).
 * @throws NdpackError as `dumpSync`, and `ERR_INVALID_ARGUMENT` when an array's buffer was
 *   detached (transferred) or shrunk before it was written
 */
export async function dump(value: unknown, path: string, options: DumpOptions = {}): Promise<DumpInfo> {
  checkOptions(options, "dump", DUMP_OPTIONS, ENCODE_LIMITS);
  checkPath(path);
  const seg = segmentOptions(options);
  const graph = encodeGraph(value, options);
  const { path: target, mode } = replaceTarget(path);
  const tmp = tempPathFor(target);
  let handle;
  try {
    handle = await open(tmp, "wx", 0o666);
  } catch (e) {
    throw ioError("cannot create the temporary file for", path, e);
  }
  const info: ContainerInfo = { bytes: 0, segments: [], manifestBytes: 0 };
  // File-system failures become ERR_IO; anything else (an onProgress callback that throws, an
  // ndpack error from the encoder) passes through as it is, as in dumpSync.
  const io = async <T>(action: string, file: string, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      throw ioError(action, file, e);
    }
  };
  try {
    if (mode !== undefined) await io("cannot set the mode of", tmp, () => handle!.chmod(mode));
    preallocate(handle.fd, knownPrefixBytes(graph, seg), tmp, path);
    const userBuffers = new Set<ArrayBufferLike>(graph.segments.map((s) => s.buffer));
    let total = 0;
    for (const made of writeContainer(graph, seg, info, options.onProgress)) {
      // A chunk the kernels made lives in their scratch memory, which any kernel call during
      // the awaits below (another dump, a decode) overwrites: write a copy of it. The value's
      // own arrays are written as they are, and checked after every write: a buffer that was
      // transferred or shrunk meanwhile reads as empty, and may have been freed mid-write.
      const piece = userBuffers.has(made.buffer) ? made : made.slice();
      const length = piece.length;
      for (let at = 0; at < length; ) {
        if (piece.length !== length) throw detachedError();
        const { bytesWritten } = await io<{ bytesWritten: number }>("cannot write", path, () => handle!.write(piece, at, Math.min(length - at, WINDOW_BYTES)));
        if (piece.length !== length) throw detachedError();
        if (bytesWritten <= 0) throw ioError("cannot write", path, new Error("write returned 0 bytes"));
        at += bytesWritten;
      }
      total += length;
    }
    if (total !== info.bytes) throw ioError("cannot write", path, new Error(`wrote ${total} bytes; the file needs ${info.bytes}`));
    if (options.fsync) await io("cannot fsync", tmp, () => handle!.sync());
    await io("cannot close", tmp, () => handle!.close());
    handle = undefined;
    await io("cannot rename over", target, () => rename(tmp, target));
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return summarize(path, info);
}

/** Positioned reads from an open file, into a new buffer or the one given. */
function fileSource(fd: number, size: number, path: string): ByteSource {
  return {
    size,
    read(offset, length, into) {
      const out = into ?? new Uint8Array(length);
      readExactSync(fd, out, 0, length, offset, path);
      return out;
    },
  };
}

/**
 * Opens `path` for positioned reads, calls `fn` with a {@link ByteSource} over it, and closes
 * the file. The source's reads return new buffers the caller owns.
 *
 * @param path the file
 * @param fn works with the source; must not keep it past its return
 * @returns what `fn` returns
 * @throws NdpackError `ERR_IO` when the file cannot be opened or read, `ERR_TRUNCATED` when it
 *   shrinks while read, and whatever `fn` throws
 * @example
 * const container = withFileSource("glove.ndpack", readContainer);
 */
export function withFileSource<T>(path: string, fn: (src: ByteSource) => T): T {
  const fd = openRead(path);
  try {
    return fn(fileSource(fd, fileSize(fd, path), path));
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    closeSync(fd);
  }
}

/** Maps a load's uncompressed segments; `map(i)` gives segment `i`'s view, or null (the reason is in `info`). */
interface SegmentMapper {
  map(i: number): PreparedSegment | null;
}

/** Segments under this size share mappings (see {@link segmentMapper}): 64 KiB. */
const SMALL_SEGMENT_BYTES = 64 * 1024;
/** The most bytes one shared mapping of small segments spans: 1 MiB. */
const SHARED_MAPPING_BYTES = 1024 * 1024;

/**
 * Maps a file's uncompressed segments copy-on-write for one load, each when the graph first
 * reaches it. A segment of 64 KiB or more gets a mapping of its own. Smaller ones share
 * mappings of up to 1 MiB: one mapping per segment reached the kernel's limit of 65,530 with a
 * file of 70,000 small arrays, and the process aborted. The cap bounds what sharing costs: two
 * small arrays of one load are views of one buffer, so saving them again, or cloning one, takes
 * the bytes between them too (at most 1 MiB). Every view starts at its own segment's offset, so
 * it is aligned (segments sit on 64-byte boundaries, mappings on pages).
 */
function segmentMapper(fd: number, segments: SegmentDescriptor[], info: LoadInfo): SegmentMapper {
  const groupOf = new Int32Array(segments.length).fill(-1);
  const groups: { start: number; end: number; shared: boolean; bytes?: Uint8Array | null }[] = [];
  for (const [i, d] of segments.entries()) {
    if (!isMappable(d) || d.storedBytes === 0) continue;
    const last = groups[groups.length - 1];
    const end = d.offset + d.storedBytes;
    const small = d.storedBytes < SMALL_SEGMENT_BYTES;
    if (small && last?.shared && end - last.start <= SHARED_MAPPING_BYTES) last.end = end;
    else groups.push({ start: d.offset, end, shared: small });
    groupOf[i] = groups.length - 1;
  }
  return {
    map(i) {
      const d = segments[i]!;
      // An empty segment has no pages: nothing to map and nothing to read, so no reason to give.
      if (d.storedBytes === 0) {
        info.mappedSegments++;
        return { buffer: new ArrayBuffer(0), byteOffset: 0, byteLength: 0 };
      }
      const g = groups[groupOf[i]!]!;
      if (g.bytes === undefined) {
        const why: { reason?: string } = {};
        g.bytes = mapRange(fd, g.start, g.end - g.start, why)?.bytes ?? null;
        if (!g.bytes) info.mmapFallbackReason ??= mmapUnavailableReason() ?? `segment ${i} cannot be mapped: ${why.reason ?? "unknown reason"}`;
      }
      if (!g.bytes) return null;
      info.mappedSegments++;
      return { buffer: g.bytes.buffer, byteOffset: g.bytes.byteOffset + (d.offset - g.start), byteLength: d.storedBytes };
    },
  };
}

/**
 * Loads a file written by `dump`.
 *
 * @returns the value; with `mmap: true` uncompressed arrays view the file's pages (copy-on-write)
 * @throws NdpackError `ERR_IO` (missing file...), `ERR_BAD_MAGIC`, `ERR_TRUNCATED`,
 *   `ERR_UNSUPPORTED_VERSION`, `ERR_CORRUPT`, `ERR_CHECKSUM`, `ERR_LIMIT`
 * @example
 * const { words, vectors } = loadSync("glove.ndpack", { mmap: true }) as Glove;
 */
export function loadSync(path: string, options: LoadOptions = {}): unknown {
  checkOptions(options, "loadSync", LOAD_OPTIONS, DECODE_LIMITS);
  checkPath(path);
  const fd = openRead(path);
  try {
    const src = fileSource(fd, fileSize(fd, path), path);
    const info: LoadInfo = { mappedSegments: 0, readSegments: 0 };
    let mapper: SegmentMapper | null = null;
    const value = decodeFrom(src, options, (d, i, kernels, verify, segments): PreparedSegment => {
      if (isMappable(d)) {
        if (options.mmap) mapper ??= segmentMapper(fd, segments, info);
        return loadMappable(fd, d, i, info, mapper, kernels, verify, path);
      }
      info.readSegments++;
      if (options.mmap) info.mmapFallbackReason ??= compressedReason(i);
      return decodeChunked(d, i, src, kernels, verify);
    });
    if (typeof value === "object" && value !== null) infos.set(value, info);
    return value;
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * Segment `i`, stored as it is (no codec, no filter): mapped when there is a `mapper` (`mmap` was
 * asked for) and the mapping works, else read into a new buffer (its chunk checksums, if any,
 * checked with `verify`).
 */
function loadMappable(fd: number, d: SegmentDescriptor, i: number, info: LoadInfo, mapper: SegmentMapper | null, kernels: Kernels, verify: boolean, path: string): PreparedSegment {
  const mapped = mapper?.map(i);
  if (mapped) return mapped;
  info.readSegments++;
  const out = new ArrayBuffer(d.storedBytes);
  for (let at = 0; at < d.storedBytes; at += WINDOW_BYTES) {
    const n = Math.min(WINDOW_BYTES, d.storedBytes - at);
    readExactSync(fd, new Uint8Array(out, at, n), 0, n, d.offset + at, path);
  }
  if (verify) verifyStoredChunks(d, (rel, len) => new Uint8Array(out, rel, len), kernels, i);
  return { buffer: out, byteOffset: 0, byteLength: d.storedBytes };
}

/**
 * Async `loadSync`: the file is read with non-blocking reads (maps are made synchronously, they
 * are instant); decoding runs on this thread. Same options, result and errors.
 */
export async function load(path: string, options: LoadOptions = {}): Promise<unknown> {
  checkOptions(options, "load", LOAD_OPTIONS, DECODE_LIMITS);
  checkPath(path);
  const handle = await openReadAsync(path);
  try {
    const size = (await handle.stat()).size;
    const readAt = async (into: Uint8Array, position: number) => {
      for (let at = 0; at < into.length; ) {
        let n: number;
        try {
          ({ bytesRead: n } = await handle.read(into, at, Math.min(into.length - at, WINDOW_BYTES), position + at));
        } catch (e) {
          throw ioError("cannot read", path, e);
        }
        if (n === 0) throw markNamesFile(new TruncatedError(`${path}: file ended at ${position + at} bytes while reading ${into.length} bytes at ${position}`));
        at += n;
      }
    };
    const readNew = async (offset: number, length: number) => {
      const out = new Uint8Array(length);
      await readAt(out, offset);
      return out;
    };
    // Read the frame's four regions, then parse them with the same checks as loadSync. Keyed by
    // offset and length: an empty index (a file without segments) starts where the footer does.
    const regions = new Map<string, Uint8Array>();
    const key = (offset: number, length: number) => `${offset}:${length}`;
    const head = await readNew(0, Math.min(size, HEADER_BYTES));
    regions.set(key(0, head.length), head);
    if (size >= HEADER_BYTES + FOOTER_BYTES) {
      readHeader(head, size);
      const tail = await readNew(size - FOOTER_BYTES, FOOTER_BYTES);
      regions.set(key(size - FOOTER_BYTES, FOOTER_BYTES), tail);
      const f = readFooter(tail, size);
      regions.set(key(f.manifestOffset, f.manifestBytes), await readNew(f.manifestOffset, f.manifestBytes));
      regions.set(key(f.indexOffset, f.indexBytes), await readNew(f.indexOffset, f.indexBytes));
    }
    const container = readContainer({
      size,
      read: (offset, length) => {
        const r = regions.get(key(offset, length));
        if (!r) throw markNamesFile(new CorruptError(`${path}: unexpected read of ${length} bytes at offset ${offset}`, { offset }));
        return r;
      },
    });
    const kernels = getKernels(options.backend ?? "auto");
    const verify = options.verify ?? true;
    const info: LoadInfo = { mappedSegments: 0, readSegments: 0 };
    const prepared: (PreparedSegment | undefined)[] = [];
    const done = segmentProgress(container, options.onProgress);
    // Segments the addon can map are mapped when the graph reaches them, as in loadSync (see
    // decodeLazily): maps are synchronous and instant. The rest are read now, without blocking.
    const mapper = options.mmap ? segmentMapper(handle.fd, container.segments, info) : null;
    const mapLater = mapper !== null && mmapUnavailableReason() === null;
    for (const [i, d] of container.segments.entries()) {
      if (mapLater && isMappable(d) && unmappableReason(d.offset, d.storedBytes) === null) continue;
      if (options.mmap && !isMappable(d)) info.mmapFallbackReason ??= compressedReason(i);
      if (mapper && isMappable(d)) {
        const mapped = mapper.map(i); // records why it cannot be mapped
        if (mapped) {
          prepared[i] = mapped;
          done(i);
          continue;
        }
      }
      info.readSegments++;
      const stored = new ArrayBuffer(d.storedBytes);
      for (let at = 0; at < d.storedBytes; at += WINDOW_BYTES) {
        await readAt(new Uint8Array(stored, at, Math.min(WINDOW_BYTES, d.storedBytes - at)), d.offset + at);
      }
      try {
        if (isMappable(d)) {
          if (verify) verifyStoredChunks(d, (rel, len) => new Uint8Array(stored, rel, len), kernels, i);
          prepared[i] = { buffer: stored, byteOffset: 0, byteLength: d.storedBytes };
        } else {
          const storedSource: ByteSource = { size: d.offset + d.storedBytes, read: (o, n) => new Uint8Array(stored, o - d.offset, n) };
          prepared[i] = decodeChunked(d, i, storedSource, kernels, verify);
        }
      } catch (e) {
        throw withSegmentPath(e, container, i);
      }
      done(i);
    }
    // A deferred map the operating system refuses is read instead, synchronously: a rare path.
    const value = decodeLazily(container, prepared, (d, i) => loadMappable(handle.fd, d, i, info, mapper, kernels, verify, path), done, options);
    if (typeof value === "object" && value !== null) infos.set(value, info);
    return value;
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    await handle.close();
  }
}

