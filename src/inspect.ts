/**
 * `inspect`: what a file holds and how it is stored, from its footer, manifest and segment
 * index only. Segment bytes are never read, so it takes the same time on a 10 GB file as on a
 * small one.
 */
import { checkOptions, type OptionNames } from "./errors.js";
import { CODEC_IDS, FILTER_IDS } from "./format.js";
import { withFileSource } from "./io/file.js";
import { isMappable, type SegmentDescriptor } from "./segment/descriptor.js";
import { readContainer } from "./segment/container.js";
import { walkManifest, type ManifestNode } from "./walk.js";

/** How one segment (one array's bytes) is stored. */
export interface SegmentInfo {
  /** Segment number. */
  segment: number;
  /** Graph path of the array, when the manifest walk reached it. */
  path?: string;
  /** File offset of the first stored byte. */
  offset: number;
  /** Bytes once decoded. */
  rawBytes: number;
  /** Bytes in the file. */
  storedBytes: number;
  /** rawBytes / storedBytes (1 for empty segments). */
  ratio: number;
  /** `"none"` or the codec name, e.g. `"lz4"`. */
  codec: string;
  /** Filter names in the order they were applied. */
  filters: string[];
  /** Element size the filters work with, in bytes. */
  typesize: number;
  /** Raw bytes per chunk; 0 for an unchunked segment. */
  chunkBytes: number;
  /** Number of chunks; 0 for an unchunked segment. */
  chunks: number;
  /** True when `load(..., { mmap: true })` can map it (stored raw). */
  mappable: boolean;
  /** True when its chunks carry checksums (every chunked segment does). */
  checksummed: boolean;
}

/** What {@link inspect} found. */
export interface InspectReport {
  /** The file inspected. */
  file: string;
  /** Its size in bytes. */
  fileBytes: number;
  /** Format version, `major.minor`. */
  version: string;
  /** Manifest size in bytes. */
  manifestBytes: number;
  /** Segment index size in bytes. */
  indexBytes: number;
  /** Raw bytes of all segments. */
  rawBytes: number;
  /** Stored bytes of all segments. */
  storedBytes: number;
  /**
   * Checksums: the manifest's and the index's were verified (inspect fails with `ERR_CHECKSUM`
   * otherwise); segment checksums are counted, not verified (see `verify`).
   */
  checksums: { manifest: "ok"; index: "ok"; checksummedSegments: number; uncheckedSegments: number };
  /** The graph, with at most `maxChildren` children per array or object. */
  root?: ManifestNode;
  /** Every segment, in file order. */
  segments: SegmentInfo[];
  /** Set when the manifest walk stopped at a value this version does not know. */
  stopped?: string;
}

/** Options of {@link inspect}. */
export interface InspectOptions {
  /** Children listed per array or object; the rest are counted. Default 20. */
  maxChildren?: number;
}

const INSPECT_OPTIONS = { maxChildren: true } as const satisfies OptionNames<InspectOptions>;

const CODEC_NAMES = invert(CODEC_IDS);
const FILTER_NAMES = invert(FILTER_IDS);

/**
 * Describes a file: its graph as a tree, and for every array its dtype, shape and storage.
 * Reads the header, footer, manifest and index only.
 *
 * @param path the file
 * @param options how much of the tree to list
 * @returns a report of plain data (JSON-serializable but for NaN and Infinity values)
 * @throws NdpackError `ERR_IO`, `ERR_BAD_MAGIC`, `ERR_TRUNCATED`, `ERR_UNSUPPORTED_VERSION`,
 *   `ERR_CORRUPT`, `ERR_CHECKSUM` (manifest or index), `ERR_LIMIT`
 * @example
 * const { root, segments } = inspect("glove.ndpack");
 */
export function inspect(path: string, options: InspectOptions = {}): InspectReport {
  checkOptions(options, "inspect", INSPECT_OPTIONS, ["maxChildren"]);
  return withFileSource(path, (src) => {
    const c = readContainer(src);
    const walk = walkManifest(
      c.manifest,
      c.segments.map((d) => d.rawBytes),
      { maxChildren: options.maxChildren ?? 20 },
    );
    const segments = c.segments.map((d, i) => segmentInfo(d, i, walk.segmentPaths[i]));
    const checksummed = segments.filter((s) => s.checksummed).length;
    const report: InspectReport = {
      file: path,
      fileBytes: c.footer.fileBytes,
      version: `${c.version.major}.${c.version.minor}`,
      manifestBytes: c.footer.manifestBytes,
      indexBytes: c.footer.indexBytes,
      rawBytes: sum(segments.map((s) => s.rawBytes)),
      storedBytes: sum(segments.map((s) => s.storedBytes)),
      checksums: { manifest: "ok", index: "ok", checksummedSegments: checksummed, uncheckedSegments: segments.length - checksummed },
      ...(walk.root ? { root: walk.root } : {}),
      segments,
    };
    if (walk.stopped) report.stopped = walk.stopped;
    return report;
  });
}

function segmentInfo(d: SegmentDescriptor, segment: number, path: string | undefined): SegmentInfo {
  return {
    segment,
    ...(path === undefined ? {} : { path }),
    offset: d.offset,
    rawBytes: d.rawBytes,
    storedBytes: d.storedBytes,
    ratio: d.storedBytes ? d.rawBytes / d.storedBytes : 1,
    codec: CODEC_NAMES[d.codec] ?? `codec ${d.codec}`,
    filters: d.filters.map((f) => FILTER_NAMES[f] ?? `filter ${f}`),
    typesize: d.typesize,
    chunkBytes: d.chunkBytes,
    chunks: d.chunks.length,
    mappable: isMappable(d),
    checksummed: d.chunkBytes > 0,
  };
}

function invert(ids: Readonly<Record<string, number>>): Record<number, string> {
  return Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
