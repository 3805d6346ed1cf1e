/**
 * In-memory encoding: `encode` and `decode`, shared by the Node and browser entries.
 */
import { checkOptions, messagePath, NdpackError, type OptionNames } from "./errors.js";
import { decodeGraph, GRAPH_DECODE_OPTIONS, type GraphDecodeOptions, type SegmentBytes, type SegmentResolver } from "./graph/decode.js";
import { encodeGraph, GRAPH_ENCODE_OPTIONS, type GraphEncodeOptions } from "./graph/encode.js";
import { getKernels } from "./kernels/index.js";
import type { Kernels } from "./kernels/types.js";
import { isMappable, type SegmentDescriptor } from "./segment/descriptor.js";
import {
  memorySource,
  readContainer,
  writeContainer,
  type ByteSource,
  type Container,
  type ContainerInfo,
  type Progress,
} from "./segment/container.js";
import {
  chunkCount,
  decodeChunks,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_LEVEL,
  validateSegmentOptions,
  verifyStoredChunks,
  type FilterName,
  type SegmentEncodeOptions,
} from "./segment/pipeline.js";
import { walkManifest } from "./walk.js";

/** Options of `encode`, `dump` and `dumpSync`. */
export interface EncodeOptions extends GraphEncodeOptions {
  /** Codec for array segments: `"none"` (default; memory-mappable) or `"lz4"`. */
  compress?: "none" | "lz4" | (string & {});
  /** Filters applied to each chunk before the codec, in order. Default none. */
  filters?: FilterName[];
  /** Raw bytes per chunk. Default 524288 (512 KiB). */
  chunkBytes?: number;
  /**
   * Compression level, an integer from 1 (fastest) to 9 (smallest, the default), as blosc's
   * `clevel`: LZ4 runs at acceleration 10 - level, as in c-blosc. Refused without a codec
   * (`compress: "none"`), where it would do nothing.
   */
  level?: number;
  /**
   * Checksum uncompressed segments as well (compressed chunks always are). Default false:
   * like `np.save`, raw arrays are written as they are; the manifest is always checksummed.
   */
  checksum?: boolean;
  /** Kernel implementation: `"auto"` (default: WebAssembly when available), `"wasm"` or `"js"`. */
  backend?: "auto" | "wasm" | "js";
  /** Called after each segment with bytes of array data done and in all. */
  onProgress?: (p: Progress) => void;
}

/** Options of `decode`, `load` and `loadSync`. */
export interface DecodeOptions extends GraphDecodeOptions {
  /** Kernel implementation, as for encoding. */
  backend?: "auto" | "wasm" | "js";
  /**
   * Verify chunk checksums while decoding: of compressed segments, and of uncompressed ones
   * written with `checksum: true` unless they are memory-mapped (checking a mapping would read
   * every page of it; `verify(path)` checks a file whole). Default true.
   */
  verify?: boolean;
  /**
   * Called after each segment is loaded (read, mapped or decoded) with raw bytes of array data
   * done and in all, and the array's graph path.
   */
  onProgress?: (p: Progress) => void;
  /**
   * `decode` only: copy uncompressed arrays out of the input instead of returning views of it.
   * Default false (views when the input's alignment allows; copies when it does not).
   */
  copy?: boolean;
}

/** The names of {@link EncodeOptions}. */
export const ENCODE_OPTIONS = {
  ...GRAPH_ENCODE_OPTIONS,
  compress: true,
  filters: true,
  chunkBytes: true,
  level: true,
  checksum: true,
  backend: true,
  onProgress: true,
} as const satisfies OptionNames<EncodeOptions>;
/** The names of {@link DecodeOptions}. */
export const DECODE_OPTIONS = {
  ...GRAPH_DECODE_OPTIONS,
  backend: true,
  verify: true,
  onProgress: true,
  copy: true,
} as const satisfies OptionNames<DecodeOptions>;

/** Numeric options of encoding and decoding that must be non-negative integers. */
export const ENCODE_LIMITS = ["maxDepth", "segmentThresholdBytes"] as const;
export const DECODE_LIMITS = ["maxDepth", "maxStringBytes", "maxArrayLength", "maxObjects"] as const;

/**
 * Resolved options for the segment pipeline.
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for a bad codec, filter, chunk size, level or
 *   backend, or a `level` without a codec
 */
export function segmentOptions(o: EncodeOptions): SegmentEncodeOptions {
  const resolved: SegmentEncodeOptions = {
    compress: o.compress ?? "none",
    filters: o.filters ?? [],
    chunkBytes: o.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    level: o.level ?? DEFAULT_LEVEL,
    checksum: o.checksum ?? false,
    kernels: getKernels(o.backend ?? "auto"),
  };
  validateSegmentOptions(resolved);
  if (o.level !== undefined && resolved.compress === "none") {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `level applies with a codec: add compress: "lz4" (compress is "none")`);
  }
  return resolved;
}

/**
 * Encodes a value to bytes in memory.
 *
 * @param value null, undefined, booleans, numbers, BigInt, strings, arrays (holes, sparse, named
 *   properties), plain and null-prototype objects, Map, Set, Date, RegExp, Error, typed arrays,
 *   ArrayBuffer, DataView, NDArray, registered class instances, nested in any way, with shared
 *   references and cycles (docs/FORMAT.md, "What a writer keeps and leaves out"). Arrays of at
 *   least `segmentThresholdBytes` (4096) bytes are stored as aligned segments.
 * @returns a new buffer (it does not alias `value`'s arrays)
 * @throws NdpackError `ERR_UNSUPPORTED_VALUE` naming the path of a value that cannot be stored;
 *   `ERR_LIMIT` past `maxDepth` or past 4 GiB (use `dump` for larger data); `ERR_INVALID_ARGUMENT`
 * @example
 * const bytes = encode({ vectors: new NDArray(new Float32Array(1000), [10, 100]) });
 */
export function encode(value: unknown, options: EncodeOptions = {}): Uint8Array {
  checkOptions(options, "encode", ENCODE_OPTIONS, ENCODE_LIMITS);
  const seg = segmentOptions(options);
  const graph = encodeGraph(value, options);
  // Stored bytes never exceed raw bytes (a chunk that does not shrink is stored raw), so this bound holds.
  let bound = 64 + graph.manifest.length + 64;
  for (const s of graph.segments) {
    bound += s.byteLength + 64 + 64 + chunkCount(s, seg) * 16;
  }
  if (bound > 2 ** 32) throw new NdpackError("ERR_LIMIT", `encoded value would take up to ${bound} bytes; a Uint8Array holds at most 2^32: use dump() to write a file`);
  const out = new Uint8Array(bound);
  let pos = 0;
  const info: ContainerInfo = { bytes: 0, segments: [], manifestBytes: 0 };
  for (const piece of writeContainer(graph, seg, info, options.onProgress)) {
    out.set(piece, pos);
    pos += piece.length;
  }
  return pos * 2 < out.length ? out.slice(0, pos) : out.subarray(0, pos);
}

/**
 * Decodes bytes made by `encode` (or a whole `.ndpack` file's bytes).
 *
 * @param bytes any Uint8Array view, including a pooled Buffer at a non-zero byteOffset; never mutated
 * @returns the value. Uncompressed arrays are views of `bytes` when aligned for their element
 *   size (they alias your buffer: pass `copy: true` to get independent copies)
 * @throws NdpackError `ERR_BAD_MAGIC`, `ERR_TRUNCATED`, `ERR_UNSUPPORTED_VERSION`, `ERR_CORRUPT`,
 *   `ERR_CHECKSUM`, `ERR_LIMIT`
 * @example
 * const value = decode(encode({ a: 1 }));
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  checkOptions(options, "decode", DECODE_OPTIONS, DECODE_LIMITS);
  const src = memorySource(bytes);
  const copy = options.copy ?? false;
  return decodeFrom(src, options, (d, i, k, verify) => {
    if (isMappable(d)) {
      const view = src.read(d.offset, d.storedBytes);
      if (verify) verifyStoredChunks(d, (rel, len) => view.subarray(rel, rel + len), k, i);
      return copy ? fresh(view) : { buffer: view.buffer, byteOffset: view.byteOffset, byteLength: view.byteLength, maybeUnaligned: true };
    }
    return decodeChunked(d, i, src, k, verify);
  });
}

/** Decoded segment bytes; `maybeUnaligned` ones are copied when a view would be misaligned. */
export type PreparedSegment = SegmentBytes & { maybeUnaligned?: boolean };

/** Produces segment `i`'s decoded bytes (`segments`: all of the file's descriptors). */
export type SegmentLoader = (d: SegmentDescriptor, i: number, kernels: Kernels, verify: boolean, segments: SegmentDescriptor[]) => PreparedSegment;

/** Reads the container from `src` and decodes it, loading each segment with `load` (see {@link decodeLazily}). */
export function decodeFrom(src: ByteSource, options: DecodeOptions, load: SegmentLoader): unknown {
  const container = readContainer(src);
  const kernels = getKernels(options.backend ?? "auto");
  const verify = options.verify ?? true;
  return decodeLazily(container, [], (d, i) => load(d, i, kernels, verify, container.segments), segmentProgress(container, options.onProgress), options);
}

/**
 * Decodes a container's manifest, loading each segment not already in `prepared` with `load`
 * when the graph reaches it; segments the graph never names are loaded (and so checked) after
 * it. `done(i)` is called as segment `i` is loaded here.
 *
 * Why in graph order: a large new ArrayBuffer (a read or a memory map) makes V8 start marking
 * its heap, which slows every allocation made while marking runs. Made before the GloVe demo's
 * 341,479 word strings, the matrix's buffer took their construction from 10 to 40 ms; made
 * after them, it costs about 1 ms (bench/RESULTS.md, session 5). A graph that holds its words
 * before its arrays, as most do, gets its strings made first.
 * @throws whatever `load` or the graph decoder throws; a segment's NdpackError gets its graph path
 */
export function decodeLazily(
  container: Container,
  prepared: (PreparedSegment | undefined)[],
  load: (d: SegmentDescriptor, i: number) => PreparedSegment,
  done: (i: number) => void,
  options: DecodeOptions,
): unknown {
  const get = (i: number): PreparedSegment => {
    let s = prepared[i];
    if (s !== undefined) return s;
    try {
      s = load(container.segments[i]!, i);
    } catch (e) {
      throw withSegmentPath(e, container, i);
    }
    prepared[i] = s;
    done(i);
    return s;
  };
  const value = decodeContainer(container, get, options);
  for (let i = 0; i < container.segments.length; i++) get(i);
  return value;
}

/**
 * `e`, when it is an NdpackError about segment `i`, with the graph path of the array stored
 * there as its `path` and at the start of its message ("$.vectors: segment 0 chunk 2: ...").
 * The manifest is walked only here, on the error path.
 */
export function withSegmentPath(e: unknown, container: Container, i: number): unknown {
  if (!(e instanceof NdpackError) || e.path !== undefined) return e;
  let path: string | undefined;
  try {
    path = walkManifest(container.manifest, container.segments.map((d) => d.rawBytes), { tree: false }).segmentPaths[i];
  } catch {
    return e; // the manifest's own fault is reported when it is decoded
  }
  if (path === undefined) return e;
  Object.defineProperty(e, "path", { value: path, enumerable: true });
  e.message = `${messagePath(path)}: ${e.message}`;
  return e;
}

/**
 * A callback to call after segment `i` is loaded: reports progress with the segment's graph
 * path (found by walking the manifest, only when someone listens).
 */
export function segmentProgress(container: Container, onProgress: DecodeOptions["onProgress"]): (i: number) => void {
  if (!onProgress) return () => undefined;
  const rawBytes = container.segments.map((d) => d.rawBytes);
  const paths = walkManifest(container.manifest, rawBytes, { tree: false }).segmentPaths;
  const totalBytes = rawBytes.reduce((a, b) => a + b, 0);
  let doneBytes = 0;
  return (i) => {
    doneBytes += rawBytes[i]!;
    onProgress({ doneBytes, totalBytes, path: paths[i] });
  };
}

/** Decodes a container's manifest; `segment(i)` gives segment `i`'s bytes when the graph reaches it. */
export function decodeContainer(container: Container, segment: (i: number) => PreparedSegment, options: DecodeOptions): unknown {
  const resolve: SegmentResolver = (i, align) => {
    const s = segment(i);
    return s.maybeUnaligned && s.byteOffset % align !== 0 ? fresh(new Uint8Array(s.buffer, s.byteOffset, s.byteLength)) : s;
  };
  return decodeGraph(container.manifest, resolve, container.segments.length, options, container.footer.manifestOffset);
}

/** Decodes a chunked segment from `src` into a new buffer. */
export function decodeChunked(d: SegmentDescriptor, i: number, src: ByteSource, kernels: Kernels, verify: boolean): SegmentBytes {
  const out = new ArrayBuffer(d.rawBytes);
  decodeChunks(d, (rel, len, into) => src.read(d.offset + rel, len, into), { buffer: out, byteOffset: 0 }, kernels, verify, i);
  return { buffer: out, byteOffset: 0, byteLength: d.rawBytes };
}

function fresh(view: Uint8Array): SegmentBytes {
  const copy = new Uint8Array(view); // a copy for any Uint8Array, Buffers included
  return { buffer: copy.buffer, byteOffset: 0, byteLength: copy.length };
}
