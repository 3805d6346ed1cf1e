/**
 * word2vec (text and binary) and GloVe (text) embedding files, as gensim writes and reads them.
 *
 * Formats (gensim 4.x `KeyedVectors.save_word2vec_format` / `load_word2vec_format`, and the
 * original C word2vec):
 * - word2vec text: a header line `count dim`, then `count` lines `word v1 v2 ... vdim`.
 * - word2vec binary: the same header line, then `count` records `word` + `' '` + `dim`
 *   little-endian float32 (4 x dim bytes), each optionally followed by `"\n"` (the C tool writes
 *   it, gensim 4.2 does not; readers strip newlines before a word, as gensim does).
 * - GloVe text: no header; lines `word v1 ... vdim`; `dim` is taken from the first line.
 * - Like gensim, readers stop after the `count` vectors the header declares (lines after them
 *   are ignored) and fail with `ERR_TRUNCATED` when fewer follow.
 * - In both text forms every line ends with `"\n"` (`"\r\n"` is accepted); a last line without
 *   it is refused as truncated, since a cut inside its last number would otherwise go unseen. A line
 *   with more fields (GloVe 840B has words containing spaces) keeps its last `dim` fields as
 *   the vector and the rest, joined by single spaces, as the word.
 *
 * Files are read in chunks ({@link WORD2VEC_CHUNK_BYTES}), never as one string. Words are
 * decoded as strict UTF-8 (gensim's default `unicode_errors="strict"`): invalid bytes are an
 * `ERR_CORRUPT` error. Text numbers are parsed to the same float32 as `Math.fround(parseFloat)`;
 * `nan`, `inf`, `-inf` (Python's spellings) are accepted.
 */
import * as fs from "node:fs";
import { checkOptions, NdpackError, TruncatedError, CorruptError, LimitError, ioError, type OptionNames } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { assertNDArray } from "./common.js";
import { atomicWriteSync, fileSize, openRead, openReadAsync, writeAll } from "../io/fsutil.js";
import { mapRange } from "../io/mmap.js";

/** Word vectors: `words[i]` is the word of row `i` of `vectors`. */
export interface WordVectors {
  /** The words, in file order (duplicates kept as found). */
  words: string[];
  /** float32, shape `[words.length, dim]`, C order. */
  vectors: NDArray<Float32Array>;
}

/** Options of {@link readWord2vec}; {@link parseWord2vec} takes `binary` only. */
export interface ReadWord2vecOptions {
  /**
   * Binary or text format. When omitted it is detected from the first record: it is text when
   * the bytes after the header line up to the next `"\n"` are a word followed by exactly `dim`
   * space-separated numbers, binary otherwise.
   */
  binary?: boolean;
  /**
   * File readers only: map the file into memory when it can be mapped (default true: under
   * 2 GiB with the mmap addon, up to 4 GiB with koffi; see `LoadOptions.mmap`), parsing the
   * mapped pages in place; otherwise, or
   * when false, the file is read in {@link WORD2VEC_CHUNK_BYTES} chunks. Either way the file
   * never becomes one string.
   */
  mmap?: boolean;
  /** File readers only: bytes per chunked read (default {@link WORD2VEC_CHUNK_BYTES}). */
  chunkBytes?: number;
}

/** Options of {@link writeWord2vec} and {@link encodeWord2vec}. */
export interface WriteWord2vecOptions {
  /** Binary (default) or text. */
  binary?: boolean;
}

const READ_WORD2VEC_OPTIONS = { binary: true, mmap: true, chunkBytes: true } as const satisfies OptionNames<ReadWord2vecOptions>;
// In memory, only the format is an option (mmap and chunkBytes are the file readers').
const PARSE_WORD2VEC_OPTIONS = { binary: true } as const satisfies OptionNames<Pick<ReadWord2vecOptions, "binary">>;
const READ_GLOVE_OPTIONS = { mmap: true, chunkBytes: true } as const satisfies OptionNames<Omit<ReadWord2vecOptions, "binary">>;
const WRITE_WORD2VEC_OPTIONS = { binary: true } as const satisfies OptionNames<WriteWord2vecOptions>;

/** Bytes read from a file at a time (16 MiB); a record longer than that grows the window. */
export const WORD2VEC_CHUNK_BYTES = 16 << 20;
/** Longest word accepted, in UTF-8 bytes. */
export const WORD2VEC_MAX_WORD_BYTES = 1 << 20;
/** Longest header line accepted, in bytes. */
const MAX_HEADER_LINE = 1024;

// ---------------------------------------------------------------------------------------------
// Input window and a resumable parser: the parser is a generator that yields when it needs
// more bytes; the driver refills the window from memory (never: it is all there) or a file.

interface Window {
  bytes: Uint8Array;
  /** First unconsumed byte. */
  pos: number;
  /** End of valid bytes. */
  end: number;
  /** No more bytes will come. */
  eof: boolean;
  /** Offset in the input of `bytes[0]`. */
  base: number;
  /** Total input size in bytes (known for files and buffers). */
  total: number;
}

type Kind = "word2vec" | "glove";

// ignoreBOM: a word (the first of a batch too) may start with U+FEFF; it is kept, as gensim does.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** A UTF-16 surrogate not part of a pair: such a string has no UTF-8 form. */
const LONE_SURROGATE = /\p{Cs}/u;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
  return out;
}

/** Parses one whole number token `b[s, e)` (no whitespace inside); undefined when it is not a number. */
function parseNumber(b: Uint8Array, s: number, e: number): number | undefined {
  const v = parseNumberAt(b, s, e);
  return numEnd === e ? v : undefined;
}

/** End of the token read by the last {@link parseNumberAt} call. */
let numEnd = 0;

/** A longer token is not taken as a number (the longest exact decimal of a float64 has 767 significant digits). */
const MAX_NUMBER_CHARS = 1100;

/**
 * Parses the number token starting at `b[s]` and ending at the next whitespace or `e`; sets
 * {@link numEnd}. Returns undefined when the token is not a number. One pass over the bytes.
 */
function parseNumberAt(b: Uint8Array, s: number, e: number): number | undefined {
  let i = s;
  let neg = false;
  let c = b[i]!;
  if (c === 0x2d || c === 0x2b) {
    neg = c === 0x2d;
    i++;
  }
  let m = 0;
  let digits = 0;
  let exp = 0;
  let any = false;
  for (; i < e; i++) {
    c = b[i]! - 0x30;
    if (c < 0 || c > 9) break;
    any = true;
    if (digits < 15) {
      m = m * 10 + c;
      if (m !== 0) digits++;
    } else exp++;
  }
  if (i < e && b[i] === 0x2e) {
    for (i++; i < e; i++) {
      c = b[i]! - 0x30;
      if (c < 0 || c > 9) break;
      any = true;
      if (digits < 15) {
        m = m * 10 + c;
        if (m !== 0) digits++;
        exp--;
      }
    }
  }
  let ok = any;
  if (any && i < e && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let eneg = false;
    if (i < e && (b[i] === 0x2d || b[i] === 0x2b)) {
      eneg = b[i] === 0x2d;
      i++;
    }
    let ev = 0;
    const es = i;
    for (; i < e; i++) {
      c = b[i]! - 0x30;
      if (c < 0 || c > 9) break;
      if (ev < 100000) ev = ev * 10 + c;
    }
    if (i === es) ok = false;
    exp += eneg ? -ev : ev;
  }
  if (!ok || (i < e && !isSpace(b[i]!)) || (digits >= 15 && exp !== 0) || exp > 22 || exp < -22) {
    let te = i;
    while (te < e && !isSpace(b[te]!)) te++;
    numEnd = te;
    return slowNumber(b, s, te);
  }
  numEnd = i;
  // Clinger's fast path: m < 2^53 and 10^|exp| exact, so one correctly rounded operation.
  const v = exp === 0 ? m : exp > 0 ? m * POW10[exp]! : m / POW10[-exp]!;
  return neg ? -v : v;
}

function slowNumber(b: Uint8Array, s: number, e: number): number | undefined {
  // Binary data read as text can be one "token" of gigabytes: never make it a string.
  if (e - s > MAX_NUMBER_CHARS) return undefined;
  const t = latin1(b, s, e);
  if (NUMBER_RE.test(t)) return Number(t);
  switch (t.toLowerCase()) {
    case "nan": case "+nan": case "-nan": return NaN;
    case "inf": case "+inf": case "infinity": case "+infinity": return Infinity;
    case "-inf": case "-infinity": return -Infinity;
    default: return undefined;
  }
}

/** Collects word bytes and decodes them in batches (one TextDecoder call per batch). */
class WordBatch {
  private scratch = new Uint8Array(1 << 16);
  private len = 0;
  private count = 0;
  private newline = false;
  private spans = new Int32Array(64);
  constructor(private readonly out: string[], private readonly where: () => string) {}

  add(b: Uint8Array, s: number, e: number): void {
    const n = e - s;
    if (this.len + n + 1 > this.scratch.length) {
      const bigger = new Uint8Array(Math.max(this.scratch.length * 2, this.len + n + 1));
      bigger.set(this.scratch.subarray(0, this.len));
      this.scratch = bigger;
    }
    const sc = this.scratch;
    let j = this.len;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 0x0a) this.newline = true;
      sc[j++] = c;
    }
    if (this.spans.length < 2 * this.count + 2) {
      const bigger = new Int32Array(Math.max(64, this.spans.length * 2));
      bigger.set(this.spans);
      this.spans = bigger;
    }
    this.spans[2 * this.count] = this.len;
    this.spans[2 * this.count + 1] = j;
    sc[j++] = 0x0a;
    this.len = j;
    this.count++;
  }

  flush(): void {
    if (this.count === 0) return;
    const sc = this.scratch;
    if (!this.newline) {
      let text: string | undefined;
      try {
        text = decoder.decode(sc.subarray(0, this.len - 1));
      } catch {
        text = undefined;
      }
      if (text !== undefined) {
        const parts = text.split("\n");
        for (let i = 0; i < parts.length; i++) this.out.push(parts[i]!);
        this.reset();
        return;
      }
    }
    // Slow path: a word holds "\n" or invalid UTF-8; decode one by one to keep or locate it.
    for (let k = 0; k < 2 * this.count; k += 2) {
      try {
        this.out.push(decoder.decode(sc.subarray(this.spans[k]!, this.spans[k + 1]!)));
      } catch (err) {
        throw new CorruptError(`${this.where()}: word ${this.out.length} is not valid UTF-8`, { cause: err });
      }
    }
    this.reset();
  }

  private reset(): void {
    this.len = 0;
    this.count = 0;
    this.newline = false;
  }
}

/** Growable float32 row storage. */
class Rows {
  data: Float32Array;
  rows = 0;
  constructor(readonly dim: number, capacity: number) {
    this.data = allocF32(Math.max(capacity, 1) * dim);
  }
  ensure(rows: number): void {
    if (rows * this.dim <= this.data.length) return;
    const next = allocF32(Math.max(rows, this.data.length / Math.max(this.dim, 1) * 2) * this.dim);
    next.set(this.data.subarray(0, this.rows * this.dim));
    this.data = next;
  }
  finish(): Float32Array {
    const n = this.rows * this.dim;
    if (n === this.data.length) return this.data;
    // Little slack: keep the buffer (no second copy); much: copy to release it.
    return n >= this.data.length * 0.9 ? this.data.subarray(0, n) : this.data.slice(0, n);
  }
}

function allocF32(n: number): Float32Array {
  try {
    return new Float32Array(n);
  } catch (err) {
    throw new LimitError(`word vectors: cannot allocate ${n} float32 (${n * 4} bytes)`, { cause: err });
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * The parser. Yields when it needs more bytes than the window holds; throws TruncatedError when
 * it needs more at end of input.
 */
function* parse(w: Window, kind: Kind, binaryOpt: boolean | undefined, name: string): Generator<void, WordVectors, void> {
  const words: string[] = [];
  let lineNo = 1;
  const where = () => `${name} line ${lineNo}`;
  const batch = new WordBatch(words, () => name);
  function* more(what: string): Generator<void, void, void> {
    if (w.eof) throw new TruncatedError(`${name}: input ends at byte ${w.base + w.end} inside ${what}`, { offset: w.base + w.end });
    batch.flush(); // decode words before the window is compacted
    yield;
  }

  let count = -1;
  let dim = -1;
  if (kind === "word2vec") {
    let nl: number;
    while ((nl = w.bytes.subarray(w.pos, w.end).indexOf(0x0a)) < 0) {
      if (w.end - w.pos > MAX_HEADER_LINE) throw new CorruptError(`${name}: no header line "count dim" in the first ${MAX_HEADER_LINE} bytes`, { offset: 0 });
      yield* more("the header line");
    }
    const header = latin1(w.bytes, w.pos, w.pos + nl).trim();
    const m = /^(\d{1,15})\s+(\d{1,9})$/.exec(header);
    if (!m) throw new CorruptError(`${name}: header line is ${JSON.stringify(header.slice(0, 80))}, expected "count dim"`, { offset: 0 });
    count = Number(m[1]);
    dim = Number(m[2]);
    w.pos += nl + 1;
    lineNo++;
  }
  const remaining = w.total - (w.base + w.pos);

  let binary = kind === "word2vec" ? binaryOpt : false;
  if (binary === undefined) {
    // Detect from the first records: text iff each of the first few is a line of a word and
    // `dim` numbers. One record is not enough: with dim 1, a binary float can read as "0\n".
    binary = false;
    if (count > 0) {
      const lines = Math.min(count, DETECT_RECORDS);
      const limit = lines * (64 * dim + MAX_HEADER_LINE);
      for (;;) {
        const view = w.bytes.subarray(w.pos, w.end);
        const text = looksLikeText(view, dim, lines, w.eof || view.length >= limit);
        if (text === undefined) {
          yield* more("the first records");
          continue;
        }
        binary = !text;
        break;
      }
    }
  }

  // Bound the allocation by what the input can hold: a record takes at least a 1-byte word, a
  // separator and, per value, 4 bytes (binary) or 2 bytes (text: a digit and a separator).
  if (count >= 0) {
    const minRecord = binary ? 2 + 4 * dim : 2 + 2 * dim;
    if (count * minRecord > remaining + 1) {
      throw new TruncatedError(
        `${name}: header declares ${count} vectors of dim ${dim} (at least ${count * minRecord} bytes), ${remaining} bytes follow the header`,
        { offset: w.base + w.pos },
      );
    }
  }

  if (binary) {
    const rows = new Rows(dim, count);
    const vecBytes = 4 * dim;
    // Byte views of whole rows, each under 2 GiB (one Uint8Array holds at most 4 GiB).
    const rowsPerView = Math.max(1, Math.floor(2 ** 31 / Math.max(vecBytes, 1)));
    let r = 0;
    while (r < count) {
      const first = r - (r % rowsPerView);
      const limit = Math.min(count, first + rowsPerView);
      const out8 = new Uint8Array(rows.data.buffer, rows.data.byteOffset + first * vecBytes, (limit - first) * vecBytes);
      r = scanBinary(w, out8, r, limit, first, vecBytes, batch);
      if (r === count) break;
      if (r === limit) continue; // next view
      // The window holds no complete record: check the word's length, then read more.
      let sp = w.pos;
      while (sp < w.end && w.bytes[sp] !== 0x20) sp++;
      if (sp === w.pos && sp < w.end) throw new CorruptError(`${name}: record ${r} has an empty word at offset ${w.base + w.pos}`, { offset: w.base + w.pos });
      if (sp - w.pos > WORD2VEC_MAX_WORD_BYTES) {
        throw new CorruptError(`${name}: record ${r}: no space ending a word within ${WORD2VEC_MAX_WORD_BYTES} bytes at offset ${w.base + w.pos}`, { offset: w.base + w.pos });
      }
      yield* more(`record ${r} (a word and ${vecBytes} bytes of vector)`);
    }
    rows.rows = count;
    batch.flush();
    return { words, vectors: new NDArray(rows.finish(), [count, dim], "float32") };
  }

  // Text: the hot loop is a plain function; the generator only waits for more input.
  const st: TextState = {
    rows: count >= 0 ? new Rows(dim, count) : null, r: 0, count, dim, kind, lineNo, name, remaining, batch,
  };
  while (!scanText(w, st)) yield* more(`line ${st.lineNo}`);
  batch.flush();
  const rows = st.rows ?? new Rows(Math.max(st.dim, 0), 0);
  return { words, vectors: new NDArray(rows.finish(), [st.r, Math.max(st.dim, 0)], "float32") };
}

interface TextState {
  rows: Rows | null;
  /** Rows parsed. */
  r: number;
  /** Declared count (word2vec) or -1 (GloVe). */
  count: number;
  dim: number;
  kind: Kind;
  lineNo: number;
  name: string;
  remaining: number;
  batch: WordBatch;
}

/**
 * Parses every complete line in the window. Returns true when done, false when the window
 * ends inside a line and more input may come.
 */
function scanText(w: Window, st: TextState): boolean {
  const b = w.bytes;
  const end = w.end;
  for (;;) {
    if (st.count >= 0 && st.r === st.count) return true;
    const lineStart = w.pos;
    let nl = b.indexOf(0x0a, lineStart);
    if (nl < 0 || nl > end) nl = end;
    if (nl >= end && !w.eof) return false;
    let e = nl;
    while (e > lineStart && isSpace(b[e - 1]!)) e--;
    if (e === lineStart) {
      // Blank line, or the end of input.
      if (nl >= end) {
        if (st.count >= 0) throw new TruncatedError(`${st.name}: input ends after ${st.r} of ${st.count} vectors`, { offset: w.base + end });
        return true;
      }
      w.pos = nl + 1;
      st.lineNo++;
      continue;
    }
    if (nl >= end) {
      // A cut inside the last number would still parse: insist on the final newline.
      throw new TruncatedError(`${st.name} line ${st.lineNo}: the input ends inside a line (no final newline), so the file may be cut short: a cut inside the last number would go unseen. If the file is complete, add a final newline`, { offset: w.base + end });
    }
    textLine(b, lineStart, e, w.base, st);
    st.r++;
    w.pos = nl + 1;
    st.lineNo++;
  }
}

/** Parses the line `b[lineStart, e)` (trailing whitespace already cut) into row `st.r`. */
function textLine(b: Uint8Array, lineStart: number, e: number, base: number, st: TextState): void {
  let s = lineStart;
  while (s < e && isSpace(b[s]!)) s++;
  let we = s;
  while (we < e && !isSpace(b[we]!)) we++;
  if (st.rows === null) {
    // GloVe: the first line sets dim.
    let fields = 0;
    for (let i = s; i < e; ) {
      while (i < e && isSpace(b[i]!)) i++;
      if (i >= e) break;
      fields++;
      while (i < e && !isSpace(b[i]!)) i++;
    }
    st.dim = fields - 1;
    if (st.dim < 1) throw new CorruptError(`${st.name} line ${st.lineNo}: a GloVe line needs a word and at least one number`, { offset: base + lineStart });
    // Estimate the row count from the first line's length; Rows grows if it falls short.
    const firstLine = Math.max(e + 1 - lineStart, 2 * st.dim + 2);
    st.rows = new Rows(st.dim, Math.ceil((st.remaining / firstLine) * 1.05) + 16);
  }
  const dim = st.dim;
  const rows = st.rows;
  rows.ensure(st.r + 1);
  const data = rows.data;
  const o = st.r * dim;
  let k = 0;
  let i = we;
  for (;;) {
    while (i < e && isSpace(b[i]!)) i++;
    if (i >= e) break;
    if (k >= dim) {
      if (st.kind === "glove") return gloveLineWithSpaces(b, s, e, base, st);
      throw fieldCountError(b, s, e, base, st);
    }
    const v = parseNumberAt(b, i, e);
    if (v === undefined) {
      if (st.kind === "glove") return gloveLineWithSpaces(b, s, e, base, st);
      throw new CorruptError(`${st.name} line ${st.lineNo}: field ${k + 1} ${JSON.stringify(latin1(b, i, Math.min(numEnd, i + 40)))} is not a number`, { offset: base + i });
    }
    data[o + k] = v;
    k++;
    i = numEnd;
  }
  if (k !== dim) throw fieldCountError(b, s, e, base, st);
  st.batch.add(b, s, we);
  rows.rows = st.r + 1;
}

function fieldCountError(b: Uint8Array, s: number, e: number, base: number, st: TextState): CorruptError {
  let fields = 0;
  for (let j = s; j < e; ) {
    while (j < e && isSpace(b[j]!)) j++;
    if (j >= e) break;
    fields++;
    while (j < e && !isSpace(b[j]!)) j++;
  }
  return new CorruptError(`${st.name} line ${st.lineNo}: expected a word and ${st.dim} numbers, found ${fields} fields`, { offset: base + s });
}

/** A GloVe line whose word holds spaces: the last `dim` fields are numbers, the rest the word. */
function gloveLineWithSpaces(b: Uint8Array, s: number, e: number, base: number, st: TextState): void {
  const fields: number[] = [];
  for (let i = s; i < e; ) {
    const j0 = i;
    while (i < e && !isSpace(b[i]!)) i++;
    fields.push(j0, i);
    while (i < e && isSpace(b[i]!)) i++;
  }
  const nf = fields.length / 2;
  const dim = st.dim;
  if (nf <= dim) {
    throw new CorruptError(`${st.name} line ${st.lineNo}: expected a word and ${dim} numbers, found ${nf} fields`, { offset: base + s });
  }
  const firstNum = nf - dim;
  const data = st.rows!.data;
  const o = st.r * dim;
  for (let k = 0; k < dim; k++) {
    const fs0 = fields[2 * (firstNum + k)]!;
    const fe0 = fields[2 * (firstNum + k) + 1]!;
    const v = parseNumber(b, fs0, fe0);
    if (v === undefined) {
      throw new CorruptError(`${st.name} line ${st.lineNo}: field ${firstNum + k + 1} ${JSON.stringify(latin1(b, fs0, Math.min(fe0, fs0 + 40)))} is not a number`, { offset: base + fs0 });
    }
    data[o + k] = v;
  }
  const parts: Uint8Array[] = [];
  for (let k = 0; k < firstNum; k++) parts.push(b.subarray(fields[2 * k]!, fields[2 * k + 1]!));
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, -1));
  let at = 0;
  for (const p of parts) {
    if (at > 0) joined[at++] = 0x20;
    joined.set(p, at);
    at += p.length;
  }
  st.batch.add(joined, 0, joined.length);
  st.rows!.rows = st.r + 1;
}

/**
 * Copies every complete binary record in the window into `out8` (rows `first`.. of the matrix,
 * up to row `count`); returns the next record index. Kept out
 * of the generator so that the hot loop optimizes well.
 */
function scanBinary(w: Window, out8: Uint8Array, r: number, count: number, first: number, vecBytes: number, batch: WordBatch): number {
  const b = w.bytes;
  const end = w.end;
  let pos = w.pos;
  while (r < count) {
    let p = pos;
    while (p < end && b[p] === 0x0a) p++; // newlines before a word (the C tool writes them)
    let sp = p;
    while (sp < end && b[sp] !== 0x20) sp++;
    if (sp === p || sp + 1 + vecBytes > end) {
      pos = p;
      break;
    }
    batch.add(b, p, sp);
    const v = sp + 1;
    out8.set(b.subarray(v, v + vecBytes), (r - first) * vecBytes);
    pos = v + vecBytes;
    r++;
  }
  w.pos = pos;
  return r;
}

/** Records that must read as text lines before a file without a `binary` option counts as text. */
const DETECT_RECORDS = 8;

/**
 * Whether the first `lines` lines of `view` are text records: true, false as soon as one is not,
 * or undefined when `view` ends inside them and more input may come (`final` false).
 */
function looksLikeText(view: Uint8Array, dim: number, lines: number, final: boolean): boolean | undefined {
  let at = 0;
  for (let n = 0; n < lines; n++) {
    const nl = view.indexOf(0x0a, at);
    if (nl < 0) {
      if (!final) return undefined;
      // The input ends inside this line: judge what there is (at least one line was a record).
      return at >= view.length ? n > 0 : looksLikeTextRecord(view.subarray(at), dim);
    }
    if (!looksLikeTextRecord(view.subarray(at, nl), dim)) return false;
    at = nl + 1;
  }
  return true;
}

function looksLikeTextRecord(line: Uint8Array, dim: number): boolean {
  let e = line.length;
  while (e > 0 && isSpace(line[e - 1]!)) e--;
  let i = 0;
  let fields = 0;
  while (i < e) {
    let j = i;
    while (j < e && !isSpace(line[j]!)) j++;
    if (fields > 0 && parseNumber(line, i, j) === undefined) return false;
    fields++;
    i = j;
    while (i < e && isSpace(line[i]!)) i++;
  }
  return fields === dim + 1;
}

function runInMemory(bytes: Uint8Array, kind: Kind, binary: boolean | undefined): WordVectors {
  if (!(bytes instanceof Uint8Array)) throw new NdpackError("ERR_INVALID_ARGUMENT", `${kind}: expected a Uint8Array`);
  const w: Window = { bytes, pos: 0, end: bytes.length, eof: true, base: 0, total: bytes.length };
  const it = parse(w, kind, binary, kind);
  const r = it.next();
  if (!r.done) throw new Error("unreachable: an in-memory parse asked for more input");
  return r.value;
}

async function runFile(path: string, kind: Kind, binary: boolean | undefined, mmap: boolean, chunkBytes = WORD2VEC_CHUNK_BYTES): Promise<WordVectors> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new NdpackError("ERR_INVALID_ARGUMENT", `chunkBytes must be a positive integer, got ${chunkBytes}`);
  if (mmap) {
    const fd = openRead(path);
    try {
      const total = fileSize(fd, path);
      const mapped = total > 0 ? mapRange(fd, 0, total) : null;
      if (mapped) {
        const w: Window = { bytes: mapped.bytes, pos: 0, end: total, eof: true, base: 0, total };
        const r = parse(w, kind, binary, path).next();
        if (!r.done) throw new Error("unreachable: a mapped parse asked for more input");
        return r.value;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  const fh = await openReadAsync(path);
  try {
    const total = (await fh.stat()).size;
    const w: Window = { bytes: new Uint8Array(Math.min(chunkBytes, Math.max(total, 1))), pos: 0, end: 0, eof: false, base: 0, total };
    const fill = async () => {
      // Compact, grow when more than half the window is an unfinished record, then read.
      const keep = w.end - w.pos;
      if (keep > w.bytes.length / 2) {
        const bigger = new Uint8Array(w.bytes.length * 2);
        bigger.set(w.bytes.subarray(w.pos, w.end));
        w.bytes = bigger;
      } else if (w.pos > 0) {
        w.bytes.copyWithin(0, w.pos, w.end);
      }
      w.base += w.pos;
      w.pos = 0;
      w.end = keep;
      while (w.end < w.bytes.length) {
        let n: number;
        try {
          ({ bytesRead: n } = await fh.read(w.bytes, w.end, w.bytes.length - w.end, w.base + w.end));
        } catch (err) {
          throw ioError("cannot read", path, err);
        }
        if (n === 0) {
          w.eof = true;
          break;
        }
        w.end += n;
      }
    };
    await fill();
    const it = parse(w, kind, binary, path);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
      await fill();
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads a word2vec file (text or binary), from a memory map of the file or in chunks.
 *
 * @param path the file
 * @param options `binary`: the format, detected from the first record when omitted; `mmap`
 *   (default true)
 * @returns words and a float32 `[count, dim]` matrix that owns its memory
 * @throws TruncatedError (`ERR_TRUNCATED`) when the file holds fewer vectors than its header says
 * @throws NdpackError `ERR_CORRUPT` for a bad header, a bad number, a wrong field count or a
 *   word that is not UTF-8; `ERR_IO` when the file cannot be read; `ERR_LIMIT` when the matrix
 *   cannot be allocated
 * @example
 * const { words, vectors } = await readWord2vec("GoogleNews.bin", { binary: true });
 */
export async function readWord2vec(path: string, options: ReadWord2vecOptions = {}): Promise<WordVectors> {
  checkOptions(options, "readWord2vec", READ_WORD2VEC_OPTIONS, ["chunkBytes"]);
  return runFile(path, "word2vec", options.binary, options.mmap ?? true, options.chunkBytes);
}

/**
 * Reads a GloVe text file (no header line), from a memory map of the file or in chunks.
 * @param path the file
 * @param options `mmap` (default true) and `chunkBytes`, as in {@link ReadWord2vecOptions}
 * @returns words and a float32 `[count, dim]` matrix, `dim` from the first line
 * @throws NdpackError `ERR_CORRUPT` for a bad number or a line with too few fields; `ERR_IO`
 * @example
 * const { words, vectors } = await readGlove("glove.6B.100d.txt");
 */
export async function readGlove(path: string, options: Omit<ReadWord2vecOptions, "binary"> = {}): Promise<WordVectors> {
  checkOptions(options, "readGlove", READ_GLOVE_OPTIONS, ["chunkBytes"]);
  return runFile(path, "glove", false, options.mmap ?? true, options.chunkBytes);
}

/**
 * Parses a word2vec file held in memory (see {@link readWord2vec}).
 * @param bytes the whole file
 * @param options `binary`, detected when omitted
 * @returns words and vectors (a new array, not aliasing `bytes`)
 * @throws NdpackError as {@link readWord2vec}
 * @example
 * const wv = parseWord2vec(fs.readFileSync("vectors.txt"), { binary: false });
 */
export function parseWord2vec(bytes: Uint8Array, options: Pick<ReadWord2vecOptions, "binary"> = {}): WordVectors {
  checkOptions(options, "parseWord2vec", PARSE_WORD2VEC_OPTIONS);
  return runInMemory(bytes, "word2vec", options.binary);
}

/**
 * Parses a GloVe text file held in memory (see {@link readGlove}).
 * @param bytes the whole file
 * @returns words and vectors
 * @throws NdpackError as {@link readGlove}
 * @example
 * const wv = parseGlove(new TextEncoder().encode("the 0.1 0.2\nof 0.3 0.4\n"));
 */
export function parseGlove(bytes: Uint8Array): WordVectors {
  return runInMemory(bytes, "glove", false);
}

// ---------------------------------------------------------------------------------------------
// Writing.

/**
 * Formats a float32 value as the shortest decimal that reads back (through a double, then
 * float32, as `Math.fround(parseFloat(s))` or numpy's `float32(float(s))`) as exactly `v`;
 * `nan`, `inf`, `-inf` and `-0.0` are spelled as Python does.
 * @param v a float32 value (any double is first rounded to float32 by the caller)
 * @returns the decimal text, at most 9 significant digits
 * @throws nothing
 * @example
 * formatFloat32(Math.fround(0.1)); // "0.1"
 */
export function formatFloat32(v: number): string {
  if (v !== v) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  for (let p = 6; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9)));
}

function checkData(data: WordVectors, kind: string, text: boolean): { count: number; dim: number; words: Uint8Array[] } {
  if (typeof data !== "object" || data === null || !Array.isArray(data.words)) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kind}: expected { words: string[], vectors: NDArray }`);
  }
  assertNDArray(data.vectors, `${kind} vectors`);
  const v = data.vectors;
  if (v.dtype !== "float32" || v.shape.length !== 2) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kind}: vectors must be float32 [count, dim], got ${v.dtype} [${v.shape.join(", ")}]`);
  }
  const [count, dim] = v.shape as [number, number];
  if (count !== data.words.length) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kind}: ${data.words.length} words for ${count} vectors`);
  }
  const enc = new TextEncoder();
  const bad = text ? /[ \t\n\r\v\f]/ : /[ \n]/;
  const words = data.words.map((word, i) => {
    if (typeof word !== "string" || word.length === 0 || bad.test(word) || LONE_SURROGATE.test(word)) {
      throw new NdpackError(
        "ERR_INVALID_ARGUMENT",
        `${kind}: word ${i} ${JSON.stringify(word)} is empty, holds ${text ? "ASCII whitespace" : "a space or newline"} or a lone surrogate (not UTF-8)`,
      );
    }
    return enc.encode(word);
  });
  return { count, dim, words };
}

/** Encodes into chunks handed to `sink` (at most about `chunkBytes` each). */
function encode(data: WordVectors, kind: Kind, binary: boolean, sink: (chunk: Uint8Array) => void): void {
  const { count, dim, words } = checkData(data, kind, !binary);
  const vec = data.vectors.data;
  const vecBytes = new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength);
  const CHUNK = 8 << 20;
  let buf = new Uint8Array(CHUNK);
  let at = 0;
  const flush = () => {
    if (at > 0) sink(buf.subarray(0, at));
    buf = new Uint8Array(CHUNK);
    at = 0;
  };
  const put = (bytes: Uint8Array) => {
    if (at + bytes.length > buf.length) {
      flush();
      if (bytes.length > buf.length) {
        sink(bytes);
        return;
      }
    }
    buf.set(bytes, at);
    at += bytes.length;
  };
  const enc = new TextEncoder();
  if (kind === "word2vec") put(enc.encode(`${count} ${dim}\n`));
  for (let r = 0; r < count; r++) {
    put(words[r]!);
    if (binary) {
      put(Uint8Array.of(0x20));
      put(vecBytes.subarray(r * dim * 4, (r + 1) * dim * 4));
    } else {
      let line = "";
      for (let k = 0; k < dim; k++) line += " " + formatFloat32(vec[r * dim + k]!);
      put(enc.encode(line + "\n"));
    }
  }
  flush();
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Encodes word vectors as a word2vec file in memory (binary records without a trailing
 * newline, as gensim 4 writes them; text numbers as the shortest decimal that reads back as
 * the same float32).
 * @param data words and float32 `[count, dim]` vectors
 * @param options `binary` (default true)
 * @returns the file's bytes
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for mismatched counts, a non-float32 matrix, or
 *   words that are empty, hold a separator (space or newline; any ASCII whitespace in text) or a
 *   lone UTF-16 surrogate
 * @example
 * const bytes = encodeWord2vec({ words: ["a"], vectors: new NDArray(Float32Array.of(1, 2), [1, 2]) });
 */
export function encodeWord2vec(data: WordVectors, options: WriteWord2vecOptions = {}): Uint8Array {
  checkOptions(options, "encodeWord2vec", WRITE_WORD2VEC_OPTIONS);
  const chunks: Uint8Array[] = [];
  encode(data, "word2vec", options.binary ?? true, (c) => chunks.push(c.slice()));
  return concat(chunks);
}

/**
 * Encodes word vectors as a GloVe text file in memory (no header).
 * @param data words and float32 `[count, dim]` vectors
 * @returns the file's bytes
 * @throws NdpackError as {@link encodeWord2vec}
 * @example
 * const bytes = encodeGlove(wv);
 */
export function encodeGlove(data: WordVectors): Uint8Array {
  const chunks: Uint8Array[] = [];
  encode(data, "glove", false, (c) => chunks.push(c.slice()));
  return concat(chunks);
}

function writeFileAtomic(path: string, data: WordVectors, kind: Kind, binary: boolean): void {
  checkData(data, kind, !binary);
  atomicWriteSync(path, (fd) => encode(data, kind, binary, (c) => writeAll(fd, c, path)));
}

/**
 * Writes a word2vec file (binary by default), in 8 MiB chunks, atomically (temp file renamed
 * over `path`, removed on error).
 * @param path destination
 * @param data words and float32 `[count, dim]` vectors
 * @param options `binary` (default true)
 * @throws NdpackError `ERR_IO` when the system refuses; otherwise as {@link encodeWord2vec}
 * @example
 * await writeWord2vec("vectors.bin", { words, vectors }, { binary: true });
 */
export async function writeWord2vec(path: string, data: WordVectors, options: WriteWord2vecOptions = {}): Promise<void> {
  checkOptions(options, "writeWord2vec", WRITE_WORD2VEC_OPTIONS);
  writeFileAtomic(path, data, "word2vec", options.binary ?? true);
}

/**
 * Writes a GloVe text file (no header), atomically.
 * @param path destination
 * @param data words and float32 `[count, dim]` vectors
 * @throws NdpackError as {@link writeWord2vec}
 * @example
 * await writeGlove("glove.txt", { words, vectors });
 */
export async function writeGlove(path: string, data: WordVectors): Promise<void> {
  writeFileAtomic(path, data, "glove", false);
}

