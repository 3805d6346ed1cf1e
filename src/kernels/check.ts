/**
 * Argument checks shared by both kernel implementations, so that they throw the same errors.
 */
import { CorruptError, NdpackError } from "../errors.js";
import { CODEC_IDS, FILTER_IDS } from "../format.js";
import { SPLIT_MAX_TYPESIZE, SPLIT_MIN_TYPESIZE } from "./split.js";

/**
 * Checks the arguments of a filter kernel (shuffle, bitshuffle, delta).
 * @param kernel name of the kernel, for the message
 * @param src input bytes
 * @param dst output bytes; must hold at least `src.length` bytes
 * @param typesize element size in bytes; an integer in 1..255, and one of `allowed` if given
 * @param allowed the only typesizes the kernel accepts, or undefined for any 1..255
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when the typesize or the output length is wrong
 */
export function checkFilterArgs(
  kernel: string,
  src: Uint8Array,
  dst: Uint8Array,
  typesize: number,
  allowed?: readonly number[],
): void {
  const ok = Number.isInteger(typesize) && typesize >= 1 && typesize <= 255 && (allowed === undefined || allowed.includes(typesize));
  if (!ok) {
    const expected = allowed === undefined ? "an integer in 1..255" : allowed.join(", ");
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: typesize must be ${expected}, got ${typesize}`);
  }
  checkOutputLength(kernel, src.length, dst.length, "bytes");
}

/**
 * Checks that an output can hold as many items as the input has.
 * @param kernel name of the kernel, for the message
 * @param srcLength input length (in `unit`)
 * @param dstLength output length (in `unit`)
 * @param unit "bytes" or "elements"
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `dstLength < srcLength`
 */
export function checkOutputLength(kernel: string, srcLength: number, dstLength: number, unit: "bytes" | "elements"): void {
  if (dstLength < srcLength) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: output holds ${dstLength} ${unit}, input has ${srcLength}`);
  }
}

/** Typesizes the delta filter accepts. */
export const DELTA_TYPESIZES: readonly number[] = [1, 2, 4, 8];

/** Filter ids (FILTER_IDS in src/format.ts) the fused chunk kernels know: shuffle, bitshuffle, delta. */
const CHUNK_FILTERS: readonly number[] = [1, 2, 3];
/** Codec ids the fused chunk kernels implement: all of them (none, lz4, lz4-split). */
export const FUSED_CODECS: readonly number[] = Object.values(CODEC_IDS);
/**
 * Whether a chunk with these filters holds bit planes (its last filter is a bitshuffle), which
 * the chunk kernels tell their LZ4 compressor (`planes`: a 5-byte hash; assembly/lz4.ts says
 * why).
 * @param filters filter ids in the order they apply
 */
export function holdsBitPlanes(filters: readonly number[]): boolean {
  return filters[filters.length - 1] === FILTER_IDS.bitshuffle;
}

/** Largest chunk the fused chunk kernels take, in bytes (MAX_CHUNK_BYTES, 64 MiB). */
export const MAX_FUSED_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Checks the arguments of `encodeChunk` / `decodeChunk`.
 * @param kernel name of the kernel, for the message
 * @param rawLength the chunk's raw length in bytes
 * @param filters filter ids
 * @param typesize element size in bytes
 * @param codec codec id
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` for unknown ids, a typesize a filter does not
 *   take, or a chunk over {@link MAX_FUSED_CHUNK_BYTES}
 */
export function checkChunkArgs(kernel: string, rawLength: number, filters: readonly number[], typesize: number, codec: number): void {
  if (!FUSED_CODECS.includes(codec)) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: codec id must be 0 (none), 1 (lz4) or 2 (lz4-split), got ${codec}`);
  if (codec === CODEC_IDS["lz4-split"] && !(Number.isInteger(typesize) && typesize >= SPLIT_MIN_TYPESIZE && typesize <= SPLIT_MAX_TYPESIZE)) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: lz4-split needs typesize ${SPLIT_MIN_TYPESIZE} to ${SPLIT_MAX_TYPESIZE}, got ${typesize}`);
  }
  if (rawLength > MAX_FUSED_CHUNK_BYTES) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: chunk of ${rawLength} bytes; at most ${MAX_FUSED_CHUNK_BYTES}`);
  for (const f of filters) {
    if (!CHUNK_FILTERS.includes(f)) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: unknown filter id ${f}`);
    const ok = Number.isInteger(typesize) && typesize >= 1 && typesize <= 255 && (f !== 3 || DELTA_TYPESIZES.includes(typesize));
    if (!ok) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: typesize ${typesize} not taken by filter ${f}`);
  }
}

/**
 * The error for a chunk whose checksum differs from the chunk table's.
 * @param actual the checksum computed over the stored bytes
 * @param expected the checksum in the chunk table
 * @returns a CorruptError with code `ERR_CHECKSUM`
 */
export function checksumError(actual: number, expected: number): CorruptError {
  return new CorruptError(`checksum ${hex32(actual)} does not match the stored ${hex32(expected)}`, {}, "ERR_CHECKSUM");
}

/**
 * The error for an LZ4 block that is malformed or decodes to another length.
 * @param status the decompressor's result: bytes written, or a negative status
 * @param expected the chunk's raw length in bytes
 * @returns a CorruptError with code `ERR_CORRUPT`
 */
export function blockError(status: number, expected: number): CorruptError {
  return new CorruptError(
    status < 0 ? `LZ4 block is malformed (status ${status}); ${expected} bytes expected` : `LZ4 block decodes to ${status} bytes; ${expected} expected`,
  );
}

function hex32(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}
