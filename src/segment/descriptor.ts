/**
 * Segment descriptors and the segment index (docs/FORMAT.md, "Segment index"): where each
 * array's bytes are, how they are encoded, and the chunk table of chunked segments.
 */
import { CorruptError } from "../errors.js";
import {
  CHUNK_ENTRY_BYTES,
  CHUNK_FLAG_RAW,
  CODEC_IDS,
  CODEC_MAX_EXPANSION,
  DESCRIPTOR_BYTES,
  FILTER_IDS,
  MAX_CHUNK_BYTES,
  MAX_FILTERS,
  readU64,
  SEGMENT_ALIGN,
  writeU64,
} from "../format.js";
import { SPLIT_MAX_TYPESIZE, SPLIT_MIN_TYPESIZE } from "../kernels/split.js";

/** One chunk of a chunked segment. Chunks are stored back to back from the segment's offset. */
export interface ChunkEntry {
  /** Bytes the chunk takes in the file. */
  storedBytes: number;
  /** xxHash32 (seed 0) of the chunk's stored bytes. */
  checksum: number;
  /** CHUNK_FLAG_RAW when the chunk is stored unfiltered and uncompressed. */
  flags: number;
}

/** Where one segment is and how it is encoded. */
export interface SegmentDescriptor {
  /** Absolute file offset of the first stored byte; a multiple of 64. */
  offset: number;
  /** Bytes the segment takes in the file. */
  storedBytes: number;
  /** Bytes once decoded. */
  rawBytes: number;
  /** Codec id (CODEC_IDS). */
  codec: number;
  /** Element size in bytes the filters work with. */
  typesize: number;
  /** Filter ids (FILTER_IDS) in the order they were applied. */
  filters: number[];
  /** Raw bytes per chunk (the last may be shorter); 0 for an unchunked segment. */
  chunkBytes: number;
  /** The chunk table; empty for an unchunked segment. */
  chunks: ChunkEntry[];
}

/** Serialized size of a descriptor with its chunk table. */
export function descriptorBytes(d: SegmentDescriptor): number {
  return DESCRIPTOR_BYTES + d.chunks.length * CHUNK_ENTRY_BYTES;
}

/** Serializes the segment index. */
export function writeIndex(descriptors: readonly SegmentDescriptor[]): Uint8Array {
  let size = 0;
  for (const d of descriptors) size += descriptorBytes(d);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const d of descriptors) {
    writeU64(view, at, d.offset);
    writeU64(view, at + 8, d.storedBytes);
    writeU64(view, at + 16, d.rawBytes);
    out[at + 24] = d.codec;
    out[at + 25] = d.typesize;
    out[at + 26] = d.filters.length;
    out.set(d.filters, at + 28);
    view.setUint32(at + 36, d.chunkBytes, true);
    writeU64(view, at + 40, d.chunks.length);
    at += DESCRIPTOR_BYTES;
    for (const c of d.chunks) {
      view.setUint32(at, c.storedBytes, true);
      view.setUint32(at + 4, c.checksum, true);
      out[at + 8] = c.flags;
      at += CHUNK_ENTRY_BYTES;
    }
  }
  return out;
}

const KNOWN_CODECS = new Set<number>(Object.values(CODEC_IDS));
const KNOWN_FILTERS = new Set<number>(Object.values(FILTER_IDS));

/**
 * Parses and validates the segment index: every segment aligned, inside
 * `[dataStart, dataEnd)`, in file order without overlap; chunk tables consistent with the sizes.
 * Nothing is allocated beyond what the index bytes themselves justify.
 *
 * @param bytes the index bytes
 * @param count number of descriptors the footer declares
 * @param base file offset of the index, for messages
 * @param dataStart first byte segments may use (the end of the header)
 * @param dataEnd first byte past the segment area (the start of the manifest or index)
 * @throws NdpackError `ERR_CORRUPT`
 */
export function readIndex(bytes: Uint8Array, count: number, base: number, dataStart: number, dataEnd: number): SegmentDescriptor[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SegmentDescriptor[] = [];
  let at = 0;
  let prevEnd = dataStart;
  for (let i = 0; i < count; i++) {
    const fail = (msg: string): never => {
      throw new CorruptError(`segment ${i}: ${msg}`, { offset: base + at, segment: i });
    };
    if (at + DESCRIPTOR_BYTES > bytes.length) fail(`descriptor at index offset ${at} runs past the index (${bytes.length} bytes)`);
    const d: SegmentDescriptor = {
      offset: readU64(view, at, "segment offset"),
      storedBytes: readU64(view, at + 8, "segment stored size"),
      rawBytes: readU64(view, at + 16, "segment raw size"),
      codec: bytes[at + 24]!,
      typesize: bytes[at + 25]!,
      filters: [],
      chunkBytes: view.getUint32(at + 36, true),
      chunks: [],
    };
    const filterCount = bytes[at + 26]!;
    const chunkCount = readU64(view, at + 40, "chunk count");
    if (filterCount > MAX_FILTERS) fail(`${filterCount} filters; at most ${MAX_FILTERS}`);
    for (let f = 0; f < filterCount; f++) {
      const id = bytes[at + 28 + f]!;
      if (!KNOWN_FILTERS.has(id)) fail(`unknown filter id ${id}`);
      d.filters.push(id);
    }
    if (!KNOWN_CODECS.has(d.codec)) fail(`unknown codec id ${d.codec}`);
    if (d.filters.includes(FILTER_IDS.delta) && ![1, 2, 4, 8].includes(d.typesize)) fail(`delta needs typesize 1, 2, 4 or 8, not ${d.typesize}`);
    if (d.typesize < 1) fail("typesize 0");
    if (d.codec === CODEC_IDS["lz4-split"] && (d.typesize < SPLIT_MIN_TYPESIZE || d.typesize > SPLIT_MAX_TYPESIZE)) {
      fail(`lz4-split needs typesize ${SPLIT_MIN_TYPESIZE} to ${SPLIT_MAX_TYPESIZE}, not ${d.typesize}`);
    }
    if (d.offset % SEGMENT_ALIGN !== 0) fail(`offset ${d.offset} is not a multiple of ${SEGMENT_ALIGN}`);
    if (d.offset < prevEnd) fail(`offset ${d.offset} overlaps the previous segment or the header (ends at ${prevEnd})`);
    if (d.offset + d.storedBytes > dataEnd) fail(`[${d.offset}, +${d.storedBytes}) runs past the segment area, which ends at ${dataEnd}`);
    at += DESCRIPTOR_BYTES;
    if (d.chunkBytes === 0) {
      if (chunkCount !== 0) fail(`${chunkCount} chunks but chunkBytes 0`);
      if (d.codec !== CODEC_IDS.none || d.filters.length) fail("an unchunked segment must have codec none and no filters");
      if (d.storedBytes !== d.rawBytes) fail(`unchunked: stored ${d.storedBytes} bytes but raw ${d.rawBytes}`);
    } else {
      if (d.chunkBytes > MAX_CHUNK_BYTES) fail(`chunk size ${d.chunkBytes} bytes exceeds ${MAX_CHUNK_BYTES}`);
      const expected = Math.ceil(d.rawBytes / d.chunkBytes);
      if (chunkCount !== expected) fail(`${chunkCount} chunks; ${d.rawBytes} raw bytes in chunks of ${d.chunkBytes} make ${expected}`);
      if (at + chunkCount * CHUNK_ENTRY_BYTES > bytes.length) fail(`chunk table of ${chunkCount} entries runs past the index`);
      let stored = 0;
      for (let c = 0; c < chunkCount; c++) {
        const rawChunk = Math.min(d.chunkBytes, d.rawBytes - c * d.chunkBytes);
        const e: ChunkEntry = { storedBytes: view.getUint32(at, true), checksum: view.getUint32(at + 4, true), flags: bytes[at + 8]! };
        const isRaw = (e.flags & CHUNK_FLAG_RAW) !== 0 || d.codec === CODEC_IDS.none;
        // A compressed chunk must be smaller than its raw bytes, and not so small that it claims
        // more than its codec can expand to: a tiny hostile file cannot make us allocate gigabytes.
        const expansion = CODEC_MAX_EXPANSION[d.codec] ?? 1;
        if (isRaw ? e.storedBytes !== rawChunk : e.storedBytes >= rawChunk || rawChunk > e.storedBytes * expansion + 64) {
          throw new CorruptError(`segment ${i} chunk ${c}: stored ${e.storedBytes} bytes for ${rawChunk} raw bytes`, { offset: base + at, segment: i, chunk: c });
        }
        stored += e.storedBytes;
        d.chunks.push(e);
        at += CHUNK_ENTRY_BYTES;
      }
      if (stored !== d.storedBytes) fail(`chunks store ${stored} bytes; the descriptor says ${d.storedBytes}`);
    }
    prevEnd = d.offset + d.storedBytes;
    out.push(d);
  }
  if (at !== bytes.length) throw new CorruptError(`segment index: ${bytes.length - at} bytes follow the last descriptor`, { offset: base + at });
  return out;
}

/** True when a segment's stored bytes are its raw bytes, so it can be viewed or memory-mapped. */
export function isMappable(d: SegmentDescriptor): boolean {
  return d.codec === CODEC_IDS.none && d.filters.length === 0;
}
