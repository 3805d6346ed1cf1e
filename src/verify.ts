/**
 * `verify`: checks every checksum of a file and decodes every chunk, one chunk at a time into a
 * reused scratch buffer, so memory stays at about two chunks whatever the file's size.
 */
import { checkOptions, isNdpackError, type ErrorCode, type OptionNames } from "./errors.js";
import { withFileSource } from "./io/file.js";
import { getKernels } from "./kernels/index.js";
import type { Kernels } from "./kernels/types.js";
import type { SegmentDescriptor } from "./segment/descriptor.js";
import { readContainer, type ByteSource, type Progress } from "./segment/container.js";
import { decodeChunks } from "./segment/pipeline.js";
import { walkManifest } from "./walk.js";

/** A chunk that failed its checksum or did not decode. */
export interface ChunkFailure {
  /** Chunk index inside its segment. */
  chunk: number;
  /** `ERR_CHECKSUM` or `ERR_CORRUPT`. */
  code: ErrorCode;
  /** What is wrong, e.g. `checksum 0x1b2c3d4e does not match the stored 0x9f8e7d6c`. */
  message: string;
}

/** The state of one segment. */
export interface SegmentCheck {
  /** Segment number. */
  segment: number;
  /** Graph path of the array, when the manifest names it. */
  path?: string;
  /** Bytes once decoded. */
  rawBytes: number;
  /** Number of chunks; 0 for an unchunked segment. */
  chunks: number;
  /**
   * `"ok"`: every chunk matched its checksum and decoded; `"bad"`: see `failures`;
   * `"not checksummed"`: stored raw without checksums (written with `compress: "none"` and
   * `checksum: false`), so there is nothing to verify.
   */
  status: "ok" | "bad" | "not checksummed";
  /** Each bad chunk, in order. */
  failures: ChunkFailure[];
}

/** What {@link verify} found. */
export interface VerifyReport {
  /** The file verified. */
  file: string;
  /**
   * True when no segment is bad (segments without checksums do not count against it) and the
   * whole manifest could be read.
   */
  ok: boolean;
  /**
   * Set when the manifest uses a tag this version does not define (a file from a newer ndpack,
   * or damage the checksum did not catch): the graph cannot be loaded by this version.
   */
  manifestProblem?: string;
  /** Every segment, in file order. */
  segments: SegmentCheck[];
  /** Raw bytes of the chunks whose checksums matched (bad chunks are not counted). */
  verifiedBytes: number;
  /** Raw bytes stored without checksums. */
  uncheckedBytes: number;
}

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** Called after each chunk (and each unchecked segment) with raw bytes done, in all, and the array's graph path. */
  onProgress?: (p: Progress) => void;
  /** Kernel implementation: `"auto"` (default), `"wasm"` or `"js"`. */
  backend?: "auto" | "wasm" | "js";
}

const VERIFY_OPTIONS = { onProgress: true, backend: true } as const satisfies OptionNames<VerifyOptions>;

/**
 * Verifies a file: the header, footer, manifest and index checksums, then every chunk of every
 * segment (checksum and decode). Decoded bytes are discarded.
 *
 * @param path the file
 * @param options progress callback and backend
 * @returns a report; bad chunks are reported in it, not thrown
 * @throws NdpackError when the file cannot be read as ndpack at all: `ERR_IO`, `ERR_BAD_MAGIC`,
 *   `ERR_TRUNCATED`, `ERR_UNSUPPORTED_VERSION`, `ERR_CORRUPT`, `ERR_CHECKSUM` (manifest or index)
 * @example
 * const report = verify("glove.ndpack");
 * if (!report.ok) console.error(report.segments.filter((s) => s.status === "bad"));
 */
export function verify(path: string, options: VerifyOptions = {}): VerifyReport {
  checkOptions(options, "verify", VERIFY_OPTIONS);
  return withFileSource(path, (src) => {
    const c = readContainer(src);
    const { segmentPaths, stopped } = walkManifest(c.manifest, c.segments.map((d) => d.rawBytes), { tree: false });
    const kernels = getKernels(options.backend ?? "auto");
    const totalBytes = c.segments.reduce((n, d) => n + d.rawBytes, 0);
    let doneBytes = 0;
    const progress = (bytes: number, path: string | undefined) => {
      doneBytes += bytes;
      options.onProgress?.({ doneBytes, totalBytes, path });
    };
    // Sized by the largest chunk present, which the index bounds by the file's size (a small
    // file declaring 64 MiB chunks holds no chunk that large).
    const scratch = new Uint8Array(c.segments.reduce((n, d) => Math.max(n, Math.min(d.chunkBytes, d.rawBytes)), 0));
    const report: VerifyReport = { file: path, ok: true, segments: [], verifiedBytes: 0, uncheckedBytes: 0 };
    c.segments.forEach((d, i) => {
      const check: SegmentCheck = {
        segment: i,
        ...(segmentPaths[i] === undefined ? {} : { path: segmentPaths[i] }),
        rawBytes: d.rawBytes,
        chunks: d.chunks.length,
        status: d.chunkBytes ? "ok" : "not checksummed",
        failures: [],
      };
      if (d.chunkBytes) {
        report.verifiedBytes += checkChunks(d, i, src, scratch, kernels, check.failures, (bytes) => progress(bytes, segmentPaths[i]));
        if (check.failures.length) check.status = "bad";
      } else {
        report.uncheckedBytes += d.rawBytes;
        progress(d.rawBytes, segmentPaths[i]);
      }
      report.segments.push(check);
    });
    if (stopped) report.manifestProblem = `${stopped}: this version cannot load the graph`;
    report.ok = !stopped && report.segments.every((s) => s.status !== "bad");
    return report;
  });
}

/**
 * Decodes each chunk of `d` on its own into `scratch`, recording failures instead of stopping.
 * @returns the raw bytes of the chunks that passed
 */
function checkChunks(
  d: SegmentDescriptor,
  segment: number,
  src: ByteSource,
  scratch: Uint8Array,
  kernels: Kernels,
  failures: ChunkFailure[],
  onChunk: (rawBytes: number) => void,
): number {
  let at = d.offset;
  let passed = 0;
  d.chunks.forEach((entry, c) => {
    const rawBytes = Math.min(d.chunkBytes, d.rawBytes - c * d.chunkBytes);
    // A one-chunk view of the segment, so decodeChunks checks and decodes this chunk alone.
    const one: SegmentDescriptor = { ...d, offset: at, storedBytes: entry.storedBytes, rawBytes, chunks: [entry] };
    const start = at;
    try {
      decodeChunks(one, (rel, length, into) => src.read(start + rel, length, into), scratch, kernels, true, segment);
      passed += rawBytes;
    } catch (e) {
      if (!isNdpackError(e)) throw e;
      failures.push({ chunk: c, code: e.code, message: e.message.replace(/^segment \d+ chunk \d+: /, "") });
    }
    at += entry.storedBytes;
    onChunk(rawBytes);
  });
  return passed;
}
