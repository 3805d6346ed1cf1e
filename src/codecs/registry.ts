/**
 * The codec registry: compressors the chunk pipeline can use, by name and by format id
 * (docs/FORMAT.md, "Codecs"). A new codec (zstd, deflate) registers here; the pipeline does
 * not change.
 */
import { NdpackError, shownValue } from "../errors.js";
import { CODEC_IDS } from "../format.js";
import { getKernels, jsKernels } from "../kernels/index.js";
import { lz4AccelerationOf, lz4Codec } from "./lz4.js";

/** A block compressor. Each call handles one chunk, independent of every other. */
export interface Codec {
  /** Format id stored in segment descriptors. */
  readonly id: number;
  /** Name used in options, e.g. "lz4". */
  readonly name: string;
  /**
   * Compresses `src`. May return a buffer reused by the next call: consume it first.
   * @returns the compressed block, or null if it would not be smaller than `src`
   */
  compress(src: Uint8Array): Uint8Array | null;
  /**
   * Decompresses `src` into exactly `dst.length` bytes.
   * @throws NdpackError `ERR_CORRUPT` when the block is malformed or decodes to another size
   */
  decompress(src: Uint8Array, dst: Uint8Array): void;
}

/** A registered codec: its id and name, and how to make an instance for a kernel backend. */
export interface CodecEntry {
  readonly id: number;
  readonly name: string;
  /**
   * A codec instance (instances keep scratch buffers; use one per pipeline run).
   * @param level compression level, 1 (fastest) to 9 (smallest); decoding ignores it
   */
  create(backend: "wasm" | "js", level: number): Codec;
}

const byName = new Map<string, CodecEntry>();
const byId = new Map<number, CodecEntry>();

/** Adds a codec; its name and id must be new. */
export function registerCodec(codec: CodecEntry): void {
  if (byName.has(codec.name) || byId.has(codec.id)) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `codec ${codec.name} (id ${codec.id}) is already registered`);
  }
  byName.set(codec.name, codec);
  byId.set(codec.id, codec);
}

/** The codec named `name`. @throws NdpackError `ERR_INVALID_ARGUMENT` for an unknown name */
export function codecByName(name: string): CodecEntry {
  const c = byName.get(name);
  if (!c) throw new NdpackError("ERR_INVALID_ARGUMENT", `unknown codec ${shownValue(name)}; known: none, ${[...byName.keys()].join(", ")}`);
  return c;
}

/** The codec with format id `id`, or undefined. */
export function codecById(id: number): CodecEntry | undefined {
  return byId.get(id);
}

registerCodec({ id: CODEC_IDS.lz4, name: "lz4", create: (backend, level) => lz4Codec(backend === "wasm" ? getKernels("wasm") : jsKernels, lz4AccelerationOf(level)) });
