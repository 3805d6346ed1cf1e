/**
 * numpy's `.npz` archives: a ZIP file of `.npy` members, as written by `np.savez` (stored) and
 * `np.savez_compressed` (deflate), read and written.
 *
 * Spec: numpy/lib/npyio.py (`savez`, `NpzFile`) and PKWARE's APPNOTE.TXT (ZIP, including the
 * ZIP64 extensions of section 4.5.3 and the end-of-central-directory records of 4.3.14-4.3.16).
 *
 * The ZIP structure is parsed here, with every offset and size checked against the input, and
 * only the deflate streams go to fflate (`Inflate`/`Deflate`). Zip bombs are stopped before any
 * large allocation: a member's declared size must be within {@link ReadNpzOptions.maxMemberBytes},
 * the sum within `maxTotalBytes`, and no more than 1032 times its compressed size (deflate's
 * largest ratio); inflation stops as soon as the output passes the declared size, and every
 * member's CRC-32 is checked. ZIP64 archives are read, and written when a member, an offset or
 * the member count needs it (or always, with `{ zip64: true }`).
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { Deflate, Inflate } from "fflate";
import { checkOptions, NdpackError, shownValue, TruncatedError, CorruptError, LimitError, isNdpackError, namingFile, type OptionNames } from "../errors.js";
import { DTYPES, NDArray, type TypedArray } from "../ndarray.js";
import { readNpy, encodeNpyHeader, parseNpyHeader, NPY_MAGIC, NPY_MAX_HEADER_BYTES, type NpyHeader } from "./npy.js";
import { allocate, assertNDArray, byteChunks, fortranToC, setOwn, swapInPlace } from "./common.js";
import { atomicWriteSync, fileSize, openRead, readExactSync, writeAll } from "../io/fsutil.js";

/** Options of {@link readNpz} and {@link loadNpz}. */
export interface ReadNpzOptions {
  /**
   * Largest declared uncompressed size of one member, in bytes. Default 4 GiB (2^32); raise it
   * to load larger members with {@link loadNpz} (readNpz cannot: one buffer holds at most 4 GiB).
   */
  maxMemberBytes?: number;
  /** Largest sum of declared uncompressed sizes, in bytes. Default 8 GiB. */
  maxTotalBytes?: number;
}

/** Options of {@link writeNpz} and {@link saveNpz}. */
export interface WriteNpzOptions {
  /** Deflate the members (like `np.savez_compressed`, zlib level 6). Default false (stored, like `np.savez`). */
  compress?: boolean;
  /** Write ZIP64 records even when nothing needs them. Default false (only when needed). */
  zip64?: boolean;
}

const READ_NPZ_OPTIONS = { maxMemberBytes: true, maxTotalBytes: true } as const satisfies OptionNames<ReadNpzOptions>;
const WRITE_NPZ_OPTIONS = { compress: true, zip64: true } as const satisfies OptionNames<WriteNpzOptions>;

/** Checks the options of writeNpz and saveNpz (`compress` is a flag here, a codec name for encode). */
function checkWriteOptions(options: WriteNpzOptions, fn: string): void {
  checkOptions(options, fn, WRITE_NPZ_OPTIONS);
  if (options.compress !== undefined && typeof options.compress !== "boolean") {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: compress must be true or false, got ${shownValue(options.compress)}`);
  }
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const U32 = 0xffffffff;
const MAX_DEFLATE_RATIO = 1032;

// ---------------------------------------------------------------------------------------------
// CRC-32 (zlib.crc32 where Node has it, a table otherwise).

let table: Int32Array | null = null;
function crc32(chunks: Uint8Array[]): number {
  let c = 0;
  for (const d of chunks) c = crc32Update(c, d);
  return c >>> 0;
}

/** CRC-32 of the bytes so far (`crc`) extended by `d`. */
function crc32Update(crc: number, d: Uint8Array): number {
  // Empty chunks change nothing (and Node 20's zlib.crc32 returns 0 for an empty view of an
  // empty buffer).
  if (d.length === 0) return crc >>> 0;
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (typeof native === "function") return native(d, crc >>> 0) >>> 0;
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < d.length; i++) c = table[(c ^ d[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Reading.

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}
function u64(b: Uint8Array, o: number): number {
  const v = u32(b, o) + u32(b, o + 4) * 2 ** 32;
  if (!Number.isSafeInteger(v)) throw new LimitError(`npz: a 64-bit field at offset ${o} exceeds 2^53 - 1`, { offset: o });
  return v;
}

function need(b: Uint8Array, o: number, n: number, what: string): void {
  if (o < 0 || o + n > b.length) {
    throw new CorruptError(`npz: ${what} needs ${n} bytes at offset ${o}, the archive holds ${b.length}`, { offset: o });
  }
}

interface Member {
  name: string;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
}

/** Random access to the archive's bytes: a buffer in memory or a file. */
interface Source {
  /** Total bytes. */
  size: number;
  /** `length` bytes at `offset`, or ERR_CORRUPT when they are not all inside the archive. */
  read(offset: number, length: number, what: string): Uint8Array;
}

function memorySource(b: Uint8Array): Source {
  return {
    size: b.length,
    read(offset, length, what) {
      need(b, offset, length, what);
      return b.subarray(offset, offset + length);
    },
  };
}

function fileSource(fd: number, size: number, path: string): Source {
  return {
    size,
    read(offset, length, what) {
      if (offset < 0 || offset + length > size) {
        throw new CorruptError(`npz: ${what} needs ${length} bytes at offset ${offset}, the archive holds ${size}`, { offset });
      }
      const out = new Uint8Array(length);
      readExactSync(fd, out, 0, length, offset, path);
      return out;
    },
  };
}

/** Largest central directory accepted, in bytes (about 1.4 million members). */
const MAX_CENTRAL_DIRECTORY = 64 << 20;

/** Locates and decodes the central directory. */
function centralDirectory(src: Source): Member[] {
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes.
  const tailLen = Math.min(src.size, 22 + 0xffff);
  const tailStart = src.size - tailLen;
  const tail = src.read(tailStart, tailLen, "the end of the archive");
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === SIG_EOCD && i + 22 + u16(tail, i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const head = src.read(0, Math.min(4, src.size), "the signature");
    const prefixOf = (sig: number[]) => head.every((x, i) => x === sig[i]);
    if (prefixOf([0x50, 0x4b, 0x03, 0x04]) || prefixOf([0x50, 0x4b, 0x05, 0x06])) {
      throw new TruncatedError(`npz: no end-of-central-directory record in the last ${tailLen} bytes; the archive is cut short`, { offset: src.size });
    }
    throw new NdpackError("ERR_BAD_MAGIC", "npz: not a ZIP archive (no PK signature)", { offset: 0 });
  }
  const eocd = tailStart + at;
  if (u16(tail, at + 4) !== 0 || u16(tail, at + 6) !== 0) {
    throw new NdpackError("ERR_UNSUPPORTED_FORMAT", "npz: multi-disk ZIP archives are not supported", { offset: eocd });
  }
  let count = u16(tail, at + 10);
  let cdSize = u32(tail, at + 12);
  let cdOffset = u32(tail, at + 16);
  let cdEnd = eocd;
  if (count === 0xffff || cdSize === U32 || cdOffset === U32) {
    const loc = src.read(eocd - 20, 20, "the ZIP64 end-of-central-directory locator");
    if (u32(loc, 0) !== SIG_LOC64) throw new CorruptError("npz: ZIP64 sizes without a ZIP64 locator", { offset: eocd - 20 });
    const recAt = u64(loc, 8);
    if (recAt + 56 > eocd - 20) throw new CorruptError(`npz: ZIP64 end-of-central-directory record at ${recAt} overruns its locator`, { offset: recAt });
    const rec = src.read(recAt, 56, "the ZIP64 end-of-central-directory record");
    if (u32(rec, 0) !== SIG_EOCD64) throw new CorruptError(`npz: no ZIP64 end-of-central-directory record at offset ${recAt}`, { offset: recAt });
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
    cdEnd = recAt;
  }
  if (cdOffset + cdSize > cdEnd) {
    throw new CorruptError(`npz: central directory at ${cdOffset} of ${cdSize} bytes overruns its end record at ${cdEnd}`, { offset: cdOffset });
  }
  if (count * 46 > cdSize) throw new CorruptError(`npz: ${count} entries cannot fit in a central directory of ${cdSize} bytes`, { offset: cdOffset });
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw new LimitError(`npz: central directory of ${cdSize} bytes, the limit is ${MAX_CENTRAL_DIRECTORY}`, { offset: cdOffset });
  const b = src.read(cdOffset, cdSize, "the central directory");
  const base = cdOffset;
  const members: Member[] = [];
  let p = 0;
  const end = cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end) throw new CorruptError(`npz: central directory entry ${i} at ${base + p} overruns the directory`, { offset: base + p });
    if (u32(b, p) !== SIG_CENTRAL) throw new CorruptError(`npz: bad central directory signature at offset ${base + p}`, { offset: base + p });
    const flags = u16(b, p + 8);
    const method = u16(b, p + 10);
    const crc = u32(b, p + 16);
    let csize = u32(b, p + 20);
    let usize = u32(b, p + 24);
    const nameLen = u16(b, p + 28);
    const extraLen = u16(b, p + 30);
    const commentLen = u16(b, p + 32);
    const disk = u16(b, p + 34);
    let offset = u32(b, p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) throw new CorruptError(`npz: central directory entry ${i} at ${base + p} overruns the directory`, { offset: base + p });
    const nameBytes = b.subarray(p + 46, p + 46 + nameLen);
    let name: string;
    try {
      name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1", { fatal: true, ignoreBOM: true }).decode(nameBytes);
    } catch (err) {
      throw new CorruptError(`npz: member name at offset ${base + p + 46} is not valid UTF-8`, { offset: base + p + 46, cause: err });
    }
    if (flags & 0x1) throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `npz: member ${JSON.stringify(name)} is encrypted`, { offset: base + p });
    if (usize === U32 || csize === U32 || offset === U32 || disk === 0xffff) {
      // ZIP64 extended information: the 64-bit values of the fields set to all ones, in order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      let found = false;
      while (e + 4 <= eEnd) {
        const id = u16(b, e);
        const len = u16(b, e + 2);
        if (e + 4 + len > eEnd) break;
        if (id === 0x0001) {
          let q = e + 4;
          const take = (): number => {
            if (q + 8 > e + 4 + len) throw new CorruptError(`npz: member ${JSON.stringify(name)}: ZIP64 extra field too short`, { offset: base + e });
            const v = u64(b, q);
            q += 8;
            return v;
          };
          if (usize === U32) usize = take();
          if (csize === U32) csize = take();
          if (offset === U32) offset = take();
          found = true;
          break;
        }
        e += 4 + len;
      }
      if (!found) throw new CorruptError(`npz: member ${JSON.stringify(name)} has 32-bit sizes set to all ones but no ZIP64 extra field`, { offset: base + p });
    }
    members.push({ name, method, crc, csize, usize, offset });
    p = next;
  }
  return members;
}

/** Inflates `src` into exactly `usize` bytes, stopping as soon as the output would pass it. */
function inflateBounded(src: Uint8Array, usize: number, name: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = new Uint8Array(usize);
  } catch (err) {
    throw new LimitError(`npz: member ${JSON.stringify(name)}: cannot allocate ${usize} bytes`, { cause: err });
  }
  let at = 0;
  let done = false;
  const inf = new Inflate((chunk, final) => {
    if (at + chunk.length > usize) {
      throw new CorruptError(`npz: member ${JSON.stringify(name)} inflates past its declared ${usize} bytes`);
    }
    out.set(chunk, at);
    at += chunk.length;
    if (final) done = true;
  });
  try {
    // Push slices small enough that one push cannot produce much more than the bytes still
    // expected (deflate expands at most 1032 times), so a lying size is caught early.
    let i = 0;
    while (i < src.length) {
      const step = Math.min(1 << 20, Math.max(1024, Math.floor((usize - at) / MAX_DEFLATE_RATIO)));
      const j = Math.min(i + step, src.length);
      inf.push(src.subarray(i, j), j === src.length);
      i = j;
    }
    if (src.length === 0) inf.push(new Uint8Array(0), true);
  } catch (err) {
    if (isNdpackError(err)) throw err;
    throw new CorruptError(`npz: member ${JSON.stringify(name)}: bad deflate data (${(err as Error).message})`, { cause: err });
  }
  if (!done || at !== usize) {
    throw new CorruptError(`npz: member ${JSON.stringify(name)} inflates to ${at} bytes, its header declares ${usize}`);
  }
  return out;
}

/** Options of readNpz and loadNpz that are byte limits (non-negative integers or Infinity). */
const NPZ_LIMITS = ["maxMemberBytes", "maxTotalBytes"] as const;

/**
 * Reads a `.npz` archive held in memory.
 *
 * @param bytes the whole archive
 * @param options size limits against zip bombs
 * @returns arrays by name; a member `x.npy` is named `x` (as numpy's `NpzFile` keys), other
 *   names (including those with `/`) are kept whole. Each array owns its memory.
 * @throws TruncatedError (`ERR_TRUNCATED`) when the archive is cut short
 * @throws NdpackError `ERR_BAD_MAGIC` for a non-ZIP input; `ERR_CORRUPT` for inconsistent
 *   offsets, sizes or deflate data; `ERR_CHECKSUM` for a CRC-32 mismatch; `ERR_LIMIT` when a
 *   declared size passes a limit; `ERR_UNSUPPORTED_FORMAT` for encryption, multi-disk archives,
 *   methods other than stored and deflate, or a member that is not a `.npy`; and the errors of
 *   {@link readNpy} for a member, its message prefixed with the member's name
 * @example
 * const { weights, bias } = readNpz(fs.readFileSync("model.npz"));
 */
export function readNpz(bytes: Uint8Array, options: ReadNpzOptions = {}): Record<string, NDArray> {
  checkOptions(options, "readNpz", READ_NPZ_OPTIONS, NPZ_LIMITS);
  const src = memorySource(bytes);
  const out: Record<string, NDArray> = {};
  for (const { m, start } of planMembers(src, options)) {
    const data = bytes.subarray(start, start + m.csize);
    const raw = m.method === 0 ? data : inflateBounded(data, m.usize, m.name);
    const crc = crc32([raw]);
    if (crc !== m.crc) throw crcError(m, crc, start);
    addMember(out, m, () => readNpy(raw));
  }
  return out;
}

/** Checks every member against the limits and locates its data. */
function planMembers(src: Source, options: ReadNpzOptions): { m: Member; start: number }[] {
  const maxMember = options.maxMemberBytes ?? 2 ** 32;
  const maxTotal = options.maxTotalBytes ?? 2 ** 33;
  const members = centralDirectory(src);
  let total = 0;
  const plan: { m: Member; start: number }[] = [];
  for (const m of members) {
    if (m.name.endsWith("/")) continue; // a folder entry
    if (m.method !== 0 && m.method !== 8) {
      throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `npz: member ${JSON.stringify(m.name)} uses compression method ${m.method}, only stored (0) and deflate (8) are supported`);
    }
    if (m.usize > maxMember) throw new LimitError(`npz: member ${JSON.stringify(m.name)} declares ${m.usize} bytes, the limit is ${maxMember}`);
    total += m.usize;
    if (total > maxTotal) throw new LimitError(`npz: members declare ${total} bytes in all, the limit is ${maxTotal}`);
    if (m.method === 0 && m.csize !== m.usize) {
      throw new CorruptError(`npz: stored member ${JSON.stringify(m.name)} declares ${m.csize} compressed and ${m.usize} uncompressed bytes`);
    }
    if (m.method === 8 && m.usize > m.csize * MAX_DEFLATE_RATIO + 64) {
      throw new CorruptError(`npz: member ${JSON.stringify(m.name)} declares ${m.usize} bytes from ${m.csize} compressed bytes, more than deflate can produce`);
    }
    const local = src.read(m.offset, 30, `the local header of ${JSON.stringify(m.name)}`);
    if (u32(local, 0) !== SIG_LOCAL) throw new CorruptError(`npz: bad local header signature for ${JSON.stringify(m.name)} at offset ${m.offset}`, { offset: m.offset });
    const start = m.offset + 30 + u16(local, 26) + u16(local, 28);
    if (start + m.csize > src.size) {
      throw new CorruptError(`npz: the data of ${JSON.stringify(m.name)} needs ${m.csize} bytes at offset ${start}, the archive holds ${src.size}`, { offset: start });
    }
    plan.push({ m, start });
  }
  return plan;
}

function crcError(m: Member, crc: number, start: number): CorruptError {
  return new CorruptError(
    `npz: member ${JSON.stringify(m.name)}: CRC-32 is 0x${crc.toString(16)}, the directory says 0x${m.crc.toString(16)}`,
    { offset: start },
    "ERR_CHECKSUM",
  );
}

/** Decodes one member under its key (the name without `.npy`), prefixing errors with its name. */
function addMember(out: Record<string, NDArray>, m: Member, decode: () => NDArray): void {
  const key = m.name.endsWith(".npy") ? m.name.slice(0, -4) : m.name;
  if (Object.hasOwn(out, key)) throw new CorruptError(`npz: two members are named ${JSON.stringify(key)}`);
  try {
    setOwn(out, key, decode());
  } catch (err) {
    if (!isNdpackError(err)) throw err;
    if (err.code === "ERR_BAD_MAGIC") {
      throw new NdpackError("ERR_UNSUPPORTED_FORMAT", `npz: member ${JSON.stringify(m.name)} is not a .npy file`, { cause: err });
    }
    if (err.code === "ERR_CHECKSUM" || err.message.startsWith("npz")) throw err;
    // The member's size is known, so a short .npy inside it is corrupt, not a cut-short archive.
    const code = err.code === "ERR_TRUNCATED" ? "ERR_CORRUPT" : err.code;
    throw new NdpackError(code, `npz member ${JSON.stringify(m.name)}: ${err.message}`, { cause: err });
  }
}

/**
 * Receives a member's `.npy` bytes in pieces and writes the elements straight into the array:
 * no buffer of the whole member, so members over 4 GiB load (up to the typed-array limits).
 */
class NpyStream {
  private head = new Uint8Array(0);
  private header: NpyHeader | undefined;
  private arr: TypedArray | undefined;
  private pieces: Uint8Array[] = [];
  private piece = 0;
  private pieceAt = 0;
  private written = 0;
  crc = 0;
  /** The first decoding error; later bytes still go into the CRC, which is checked first. */
  failure: unknown;

  /** @param usize the member's declared size: the data must fit in it before allocation. */
  constructor(private readonly name: string, private readonly usize: number) {}

  write(chunk: Uint8Array): void {
    this.crc = crc32Update(this.crc, chunk);
    if (this.failure !== undefined) return;
    try {
      this.decode(chunk);
    } catch (err) {
      this.failure = err;
    }
  }

  private decode(chunk: Uint8Array): void {
    if (!this.header) {
      const head = new Uint8Array(this.head.length + chunk.length);
      head.set(this.head);
      head.set(chunk, this.head.length);
      this.head = head;
      let h: NpyHeader;
      try {
        h = parseNpyHeader(head);
      } catch (err) {
        if (isNdpackError(err, "ERR_TRUNCATED") && head.length < 12 + NPY_MAX_HEADER_BYTES) return;
        throw err;
      }
      if (h.dataOffset + h.dataBytes > this.usize) {
        throw new CorruptError(
          `npz member ${JSON.stringify(this.name)}: shape [${h.shape.join(", ")}] of ${h.descr} needs ${h.dataBytes} bytes of data at offset ${h.dataOffset}, the member holds ${this.usize}`,
        );
      }
      this.header = h;
      this.arr = allocate(h.dtype, h.size);
      this.pieces = byteChunks(this.arr);
      this.head = new Uint8Array(0);
      this.data(head.subarray(this.header.dataOffset));
      return;
    }
    this.data(chunk);
  }

  private data(chunk: Uint8Array): void {
    const h = this.header!;
    let at = 0;
    while (at < chunk.length && this.written < h.dataBytes) {
      const dst = this.pieces[this.piece]!;
      const n = Math.min(chunk.length - at, dst.length - this.pieceAt, h.dataBytes - this.written);
      dst.set(chunk.subarray(at, at + n), this.pieceAt);
      at += n;
      this.pieceAt += n;
      this.written += n;
      if (this.pieceAt === dst.length) {
        this.piece++;
        this.pieceAt = 0;
      }
    }
    // Bytes after the data are ignored, as numpy ignores them (they still count in the CRC).
  }

  end(): NDArray {
    if (this.failure !== undefined) throw this.failure;
    if (!this.header) {
      if (this.head.length < 6 || NPY_MAGIC.some((x, i) => this.head[i] !== x)) parseNpyHeader(this.head); // throws the precise error
      throw new CorruptError(`npz member ${JSON.stringify(this.name)}: ends inside its .npy header`);
    }
    const h = this.header;
    if (this.written < h.dataBytes) {
      throw new CorruptError(`npz member ${JSON.stringify(this.name)}: shape [${h.shape.join(", ")}] of ${h.descr} needs ${h.dataBytes} bytes of data, the member holds ${this.written}`);
    }
    let arr = this.arr!;
    if (h.bigEndian) swapInPlace(arr, DTYPES[h.dtype].itemsize);
    if (h.fortranOrder) arr = fortranToC(arr, h.shape, h.dtype);
    return new NDArray(arr, h.shape, h.dtype);
  }
}

/**
 * Loads a `.npz` archive from a file with positioned reads: the central directory, then each
 * member in 16 MiB pieces (inflated on the fly when compressed) straight into its array, so
 * neither the archive nor a member is ever held whole. Archives and members over 4 GiB load
 * (ZIP64), within the limits of `options` and of typed arrays (2^32 elements).
 * @param path the archive
 * @param options size limits
 * @returns arrays by name, owning their memory
 * @throws NdpackError `ERR_IO` when the file cannot be read; otherwise as {@link readNpz}
 * @example
 * const arrays = loadNpz("bundle.npz");
 */
export function loadNpz(path: string, options: ReadNpzOptions = {}): Record<string, NDArray> {
  checkOptions(options, "loadNpz", READ_NPZ_OPTIONS, NPZ_LIMITS);
  const fd = openRead(path);
  try {
    const src = fileSource(fd, fileSize(fd, path), path);
    const out: Record<string, NDArray> = {};
    const STEP = 16 << 20;
    let buf: Uint8Array | undefined;
    for (const { m, start } of planMembers(src, options)) {
      addMember(out, m, () => {
        const sink = new NpyStream(m.name, m.usize);
        let produced = 0;
        let done = m.method === 0;
        const inf = m.method === 8
          ? new Inflate((chunk, final) => {
            produced += chunk.length;
            if (produced > m.usize) throw new CorruptError(`npz: member ${JSON.stringify(m.name)} inflates past its declared ${m.usize} bytes`);
            sink.write(chunk);
            if (final) done = true;
          })
          : undefined;
        buf ??= new Uint8Array(Math.min(STEP, Math.max(1, m.csize)));
        for (let at = 0; at < m.csize || (inf && at === 0 && m.csize === 0); ) {
          const n = Math.min(buf.length, m.csize - at);
          const piece = buf.subarray(0, n);
          readExactSync(fd, piece, 0, n, start + at, path);
          at += n;
          if (!inf) {
            sink.write(piece);
            continue;
          }
          try {
            // Small pushes: one push cannot produce much more than the bytes still expected.
            for (let i = 0; i < n; ) {
              const step = Math.min(1 << 20, Math.max(1024, Math.floor((m.usize - produced) / MAX_DEFLATE_RATIO)));
              const j = Math.min(i + step, n);
              inf.push(piece.subarray(i, j), at === m.csize && j === n);
              i = j;
            }
            if (n === 0) inf.push(piece, true);
          } catch (err) {
            if (isNdpackError(err)) throw err;
            throw new CorruptError(`npz: member ${JSON.stringify(m.name)}: bad deflate data (${(err as Error).message})`, { cause: err });
          }
        }
        if (!done || (inf && produced !== m.usize)) {
          throw new CorruptError(`npz: member ${JSON.stringify(m.name)} inflates to ${produced} bytes, its header declares ${m.usize}`);
        }
        if ((sink.crc >>> 0) !== m.crc) throw crcError(m, sink.crc >>> 0, start);
        return sink.end();
      });
    }
    return out;
  } catch (e) {
    throw namingFile(e, path);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing.

/** Calls `sink` with every part of the archive, in order. */
function build(arrays: Record<string, NDArray>, options: WriteNpzOptions, sink: (part: Uint8Array) => void): void {
  if (typeof arrays !== "object" || arrays === null) throw new NdpackError("ERR_INVALID_ARGUMENT", "npz: arrays must be an object of NDArrays");
  const force = options.zip64 === true;
  const enc = new TextEncoder();
  const central: Uint8Array[] = [];
  let offset = 0;
  const emit = (part: Uint8Array) => {
    sink(part);
    offset += part.length;
  };
  const names = Object.keys(arrays);
  for (const key of names) {
    const arr = arrays[key]!;
    assertNDArray(arr, `npz member ${JSON.stringify(key)}`);
    if (key.length === 0) throw new NdpackError("ERR_INVALID_ARGUMENT", "npz: member names cannot be empty");
    if (/\p{Cs}/u.test(key)) throw new NdpackError("ERR_INVALID_ARGUMENT", `npz: member name ${JSON.stringify(key)} holds a lone UTF-16 surrogate (no UTF-8 form)`);
    const name = enc.encode(key + ".npy");
    if (name.length > 0xffff) throw new NdpackError("ERR_INVALID_ARGUMENT", `npz: member name of ${name.length} bytes exceeds 65535`);
    // The npy bytes as pieces (one Uint8Array holds at most 4 GiB; a member may be larger).
    const raw = [encodeNpyHeader(arr), ...byteChunks(arr.data)];
    const usize = raw.reduce((n, c) => n + c.length, 0);
    const crc = crc32(raw);
    let data: Uint8Array[];
    if (options.compress) {
      data = [];
      const d = new Deflate({ level: 6 }, (chunk) => data.push(chunk));
      const STEP = 64 << 20;
      const steps: Uint8Array[] = [];
      for (const c of raw) for (let i = 0; i < c.length; i += STEP) steps.push(c.subarray(i, Math.min(i + STEP, c.length)));
      steps.forEach((c, i) => d.push(c, i === steps.length - 1));
    } else {
      data = raw;
    }
    const csize = data.reduce((n, c) => n + c.length, 0);
    const big = force || usize >= U32 || csize >= U32;
    const bigOffset = force || offset >= U32;
    const method = options.compress ? 8 : 0;
    const flags = name.some((c) => c >= 0x80) ? 0x800 : 0;
    // Local header: with ZIP64, both sizes go to the extra field.
    const local = new Uint8Array(30 + name.length + (big ? 20 : 0));
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, big ? 45 : 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, method, true);
    lv.setUint16(10, 0, true); // time 00:00
    lv.setUint16(12, 0x21, true); // date 1980-01-01: archives are reproducible
    lv.setUint32(14, crc, true);
    lv.setUint32(18, big ? U32 : csize, true);
    lv.setUint32(22, big ? U32 : usize, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, big ? 20 : 0, true);
    local.set(name, 30);
    if (big) {
      lv.setUint16(30 + name.length, 1, true);
      lv.setUint16(32 + name.length, 16, true);
      lv.setBigUint64(34 + name.length, BigInt(usize), true);
      lv.setBigUint64(42 + name.length, BigInt(csize), true);
    }
    const localOffset = offset;
    emit(local);
    for (const c of data) emit(c);
    // Central directory entry: only the overflowing (or forced) fields go to the extra field.
    const extra: number[] = [];
    if (big) extra.push(usize, csize);
    if (bigOffset) extra.push(localOffset);
    const extraLen = extra.length ? 4 + 8 * extra.length : 0;
    const cd = new Uint8Array(46 + name.length + extraLen);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, (3 << 8) | 45, true); // made by: Unix, 4.5
    cv.setUint16(6, big || bigOffset ? 45 : 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, big ? U32 : csize, true);
    cv.setUint32(24, big ? U32 : usize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extraLen, true);
    cv.setUint32(38, (0o100644 << 16) >>> 0, true); // external attributes: a regular file, rw-r--r--
    cv.setUint32(42, bigOffset ? U32 : localOffset, true);
    cd.set(name, 46);
    if (extraLen) {
      cv.setUint16(46 + name.length, 1, true);
      cv.setUint16(48 + name.length, 8 * extra.length, true);
      extra.forEach((v, i) => cv.setBigUint64(50 + name.length + 8 * i, BigInt(v), true));
    }
    central.push(cd);
  }
  const cdOffset = offset;
  for (const c of central) emit(c);
  const cdSize = offset - cdOffset;
  const zip64 = force || names.length >= 0xffff || cdOffset >= U32 || cdSize >= U32;
  if (zip64) {
    const rec = new Uint8Array(56 + 20);
    const v = new DataView(rec.buffer);
    v.setUint32(0, SIG_EOCD64, true);
    v.setBigUint64(4, 44n, true);
    v.setUint16(12, (3 << 8) | 45, true);
    v.setUint16(14, 45, true);
    v.setBigUint64(24, BigInt(names.length), true);
    v.setBigUint64(32, BigInt(names.length), true);
    v.setBigUint64(40, BigInt(cdSize), true);
    v.setBigUint64(48, BigInt(cdOffset), true);
    v.setUint32(56, SIG_LOC64, true);
    v.setBigUint64(64, BigInt(offset), true);
    v.setUint32(72, 1, true);
    emit(rec);
  }
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, zip64 ? 0xffff : names.length, true);
  ev.setUint16(10, zip64 ? 0xffff : names.length, true);
  ev.setUint32(12, zip64 ? U32 : cdSize, true);
  ev.setUint32(16, zip64 ? U32 : cdOffset, true);
  emit(eocd);
}

/**
 * Encodes arrays as a `.npz` archive in memory: member `name.npy` per array (names may hold
 * `/`), stored or deflated, ZIP64 records where needed.
 * @param arrays NDArrays by name (not bfloat16: npy has no such dtype)
 * @param options `compress` (default false), `zip64` (default false: only when needed)
 * @returns the archive's bytes
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for a non-NDArray, an empty name or one with a
 *   lone UTF-16 surrogate;
 *   `ERR_UNSUPPORTED_FORMAT` for bfloat16; `ERR_LIMIT` when the archive exceeds the largest buffer
 * @example
 * fs.writeFileSync("m.npz", writeNpz({ w: weights, b: bias }, { compress: true }));
 */
export function writeNpz(arrays: Record<string, NDArray>, options: WriteNpzOptions = {}): Uint8Array {
  checkWriteOptions(options, "writeNpz");
  const parts: Uint8Array[] = [];
  build(arrays, options, (p) => parts.push(p));
  const total = parts.reduce((n, p) => n + p.length, 0);
  let out: Uint8Array;
  try {
    out = new Uint8Array(total);
  } catch (err) {
    throw new LimitError(`npz: cannot allocate ${total} bytes; use saveNpz to stream to a file`, { cause: err });
  }
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Saves arrays as a `.npz` archive, atomically (temp file in the same folder renamed over
 * `path`, removed on error). Stored members stream straight from the arrays' memory; compressed
 * members are held compressed in memory one at a time.
 * @param path destination
 * @param arrays NDArrays by name
 * @param options `compress`, `zip64`
 * @throws NdpackError `ERR_IO` when the system refuses; otherwise as {@link writeNpz}
 * @example
 * saveNpz("bundle.npz", { weights, bias }, { compress: true });
 */
export function saveNpz(path: string, arrays: Record<string, NDArray>, options: WriteNpzOptions = {}): void {
  checkWriteOptions(options, "saveNpz");
  atomicWriteSync(path, (fd) => build(arrays, options, (p) => writeAll(fd, p, path)));
}
