/**
 * Shared shapes of the benchmark harness: datasets, contestants (one adapter each, same
 * signature) and the cells of the result table.
 */
import type { NDArray } from "../src/index.js";

/** A named, seeded input. */
export interface Dataset {
  /** Stable name, e.g. `glove-100d`. */
  name: string;
  /** One line for the table heading. */
  description: string;
  /** The value ndpack gets (NDArray, typed arrays, Map... as a user would hold them). */
  value: unknown;
  /** The same value with every NDArray replaced by `{ dtype, shape, data }`, for generic codecs. */
  plain: unknown;
  /** When the dataset is arrays (plus an optional word list): its arrays by name, in order. */
  tensors?: Record<string, NDArray>;
  /** Row labels of a matrix dataset (the GloVe vocabulary). */
  words?: string[];
  /** Bytes of typed-array data plus the UTF-8 JSON length of everything else: the MB/s base. */
  rawBytes: number;
}

/** What one contestant does with one dataset: in memory (bytes) or through a file. */
export type Mode = "bytes" | "file";

/**
 * One adapter per competitor. Either `encode`/`decode` (bytes) or `dump`/`load` (file).
 * Adapters import their library in `init()` so that a missing peer is a reason, not a crash.
 */
export interface Contestant {
  /** Unique name, used by `--contestant`. */
  name: string;
  /** Family, for ordering and colours: generic codecs, array formats, ndpack, Python peers. */
  group: "generic" | "array" | "ndpack" | "python";
  mode: Mode;
  /** Library version ("node 20.x" for built-ins). Filled by `init()`. */
  version: string;
  /** Loads the library; throws (with a readable message) when it is not installed. */
  init(): Promise<void>;
  /** True, or why this contestant cannot handle `ds` (shown in its cell). */
  supports(ds: Dataset): true | string;
  encode?(ds: Dataset): Uint8Array;
  decode?(bytes: Uint8Array, ds: Dataset): unknown;
  dump?(ds: Dataset, path: string): void;
  load?(path: string, ds: Dataset): unknown;
  /** True, or the first difference between `out` and the input. */
  verify(ds: Dataset, out: unknown): true | string;
  /** What the timing includes, for the table notes. */
  note?: string;
}

/** Statistics of one timed operation, in milliseconds. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median absolute deviation. */
  madMs: number;
  runs: number;
}

/** One row of a dataset's table. */
export interface Cell {
  dataset: string;
  contestant: string;
  group: Contestant["group"];
  version: string;
  mode: Mode;
  /** When set, the contestant did not run (or failed) on this dataset: why. */
  reason?: string;
  encode?: Timing;
  decode?: Timing;
  /** Encoded size in bytes. */
  bytes?: number;
  rawBytes: number;
  /** True, or the first difference found (the timings are then of a wrong result). */
  verified?: true | string;
  /** Peak resident memory added by encode / decode, bytes (with `--memory`). */
  peakEncodeBytes?: number;
  peakDecodeBytes?: number;
  /** True when the peak did not rise above what the child had already touched. */
  peakIsBound?: boolean;
  note?: string;
}
