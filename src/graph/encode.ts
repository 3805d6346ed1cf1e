/**
 * Encoding a value graph into a manifest (docs/FORMAT.md, "Manifest"). Large typed arrays are
 * not copied into it: they become segment references, and their bytes are written by the
 * segment layer.
 */
import { LimitError, NdpackError, UnsupportedValueError } from "../errors.js";
import { DTYPES, NDArray, type TypedArray } from "../ndarray.js";
import { Tag, TYPED_CLASS_CODE } from "./tags.js";

/** The bytes of one array that goes out of line, as a range of its buffer (may exceed 4 GiB). */
export interface SegmentSource {
  buffer: ArrayBufferLike;
  /** Offset of the first byte in `buffer`. */
  byteOffset: number;
  /** Number of bytes. */
  byteLength: number;
  /** Element size in bytes, for filters (1 for ArrayBuffer and DataView). */
  typesize: number;
}

/** Options of the graph encoder. */
export interface GraphEncodeOptions {
  /** Arrays of at least this many bytes go to segments; smaller ones are inlined. Default 4096. */
  segmentThresholdBytes?: number;
  /** Deepest nesting of arrays and objects accepted. Default 1000. */
  maxDepth?: number;
}

/** An encoded graph: the manifest bytes and the arrays its segment references point to, in order. */
export interface EncodedGraph {
  manifest: Uint8Array;
  segments: SegmentSource[];
}

export const DEFAULT_SEGMENT_THRESHOLD_BYTES = 4096;
export const DEFAULT_MAX_DEPTH = 1000;
/** Arrays of at least this many strings, all well-formed, are stored as one STRING_LIST. */
const STRING_LIST_MIN = 8;

const utf8 = new TextEncoder();

/** Thrown inside the walk; carries the path parts collected while unwinding. */
class PathError extends Error {
  parts: (string | number)[] = [];
  constructor(readonly reason: string, readonly limit: boolean) {
    super(reason);
  }
}

function formatPath(parts: (string | number)[]): string {
  let out = "$";
  for (const p of parts) out += typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return out;
}

class Encoder {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  readonly segments: SegmentSource[] = [];
  private depth = 0;
  private readonly threshold: number;
  private readonly maxDepth: number;

  constructor(options: GraphEncodeOptions) {
    this.threshold = options.segmentThresholdBytes ?? DEFAULT_SEGMENT_THRESHOLD_BYTES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!(this.threshold >= 0)) throw new NdpackError("ERR_INVALID_ARGUMENT", `segmentThresholdBytes must be >= 0, got ${this.threshold}`);
    this.buf = new Uint8Array(8192);
    this.view = new DataView(this.buf.buffer);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    if (size > 2 ** 32) {
      if (this.pos + n > 2 ** 32) throw new PathError(`the manifest would exceed 4 GiB (${this.pos + n} bytes)`, true);
      size = 2 ** 32;
    }
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private varint(n: number): void {
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  private bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Writes a string as STRING (UTF-8) or, if it holds a lone surrogate, STRING_UTF16. */
  string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING_MAX) {
      // Short strings: a hand loop beats TextEncoder's call overhead, and n * 3 < 128 bytes
      // always fits a one-byte varint length.
      this.ensure(2 + n * 3);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 2;
      for (let i = 0; i < n; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) buf[p++] = c;
        else if (c < 0x800) {
          buf[p++] = 0xc0 | (c >> 6);
          buf[p++] = 0x80 | (c & 0x3f);
        } else if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return this.stringUtf16(s);
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        } else {
          buf[p++] = 0xe0 | (c >> 12);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        }
      }
      buf[start] = Tag.STRING;
      buf[start + 1] = p - start - 2;
      this.pos = p;
      return;
    }
    if (!s.isWellFormed()) return this.stringUtf16(s);
    this.byte(Tag.STRING);
    this.utf8Body(s);
  }

  /** Varint UTF-8 byte length, then the bytes, of a well-formed string. */
  private utf8Body(s: string): void {
    // Reserve the worst case (3 bytes per UTF-16 unit), encode, then fix the varint length.
    const max = s.length * 3;
    this.ensure(max + 10);
    const lenAt = this.pos;
    const reserved = varintSize(max);
    const { written } = utf8.encodeInto(s, this.buf.subarray(lenAt + reserved, lenAt + reserved + max));
    const needed = varintSize(written);
    if (needed !== reserved) this.buf.copyWithin(lenAt + needed, lenAt + reserved, lenAt + reserved + written);
    this.varint(written);
    this.pos += written;
  }

  private stringUtf16(s: string): void {
    this.byte(Tag.STRING_UTF16);
    this.varint(s.length);
    this.ensure(s.length * 2);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      buf[p++] = c & 0xff;
      buf[p++] = c >> 8;
    }
    this.pos = p;
  }

  /** STRING_LIST: the lengths, then all strings as one UTF-8 run (one decode on the way back). */
  private stringList(list: string[]): void {
    this.byte(Tag.STRING_LIST);
    this.varint(list.length);
    let units = 0;
    for (const s of list) {
      this.varint(s.length);
      units += s.length;
    }
    // Reserve the worst case (3 bytes per UTF-16 unit), write, then fix the varint byte length.
    const max = units * 3;
    this.ensure(max + 10);
    const lenAt = this.pos;
    const reserved = varintSize(max);
    const buf = this.buf;
    let p = lenAt + reserved;
    for (const s of list) {
      const n = s.length;
      if (n > SHORT_STRING_MAX) {
        p += utf8.encodeInto(s, buf.subarray(p, p + n * 3)).written;
        continue;
      }
      // Well-formed (checked by isStringList), so surrogates come in pairs.
      for (let i = 0; i < n; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) buf[p++] = c;
        else if (c < 0x800) {
          buf[p++] = 0xc0 | (c >> 6);
          buf[p++] = 0x80 | (c & 0x3f);
        } else if (c >= 0xd800 && c <= 0xdbff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        } else {
          buf[p++] = 0xe0 | (c >> 12);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        }
      }
    }
    const written = p - lenAt - reserved;
    const needed = varintSize(written);
    if (needed !== reserved) buf.copyWithin(lenAt + needed, lenAt + reserved, p);
    this.varint(written);
    this.pos += written;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        return this.number(v);
      case "string":
        return this.string(v);
      case "boolean":
        return this.byte(v ? Tag.TRUE : Tag.FALSE);
      case "undefined":
        return this.byte(Tag.UNDEFINED);
      case "object":
        if (v === null) return this.byte(Tag.NULL);
        return this.object(v);
      case "bigint":
        throw new PathError("BigInt is not supported yet", false);
      case "function":
        throw new PathError("a function cannot be stored", false);
      case "symbol":
        throw new PathError("a symbol cannot be stored", false);
    }
  }

  private number(v: number): void {
    if ((v | 0) === v && !(v === 0 && 1 / v < 0)) {
      if (v >= 0 && v < 0x80) return this.byte(Tag.FIXINT + v);
      this.ensure(5);
      this.buf[this.pos] = Tag.INT32;
      this.view.setInt32(this.pos + 1, v, true);
      this.pos += 5;
      return;
    }
    this.ensure(9);
    this.buf[this.pos] = Tag.FLOAT64;
    this.view.setFloat64(this.pos + 1, v, true);
    this.pos += 9;
  }

  private object(v: object): void {
    if (Array.isArray(v)) return this.nested(v, () => this.array(v));
    if (ArrayBuffer.isView(v)) return this.view_(v);
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return this.nested(v, () => this.plainObject(v as Record<string, unknown>));
    if (v instanceof NDArray) return this.ndarray(v);
    if (v instanceof ArrayBuffer) return this.arrayBuffer(v);
    const name = typeof proto?.constructor === "function" && proto.constructor.name ? proto.constructor.name : "object";
    throw new PathError(`${name} is not supported yet (only plain objects, arrays, typed arrays, ArrayBuffer, DataView and NDArray)`, false);
  }

  private nested(_v: object, body: () => void): void {
    if (++this.depth > this.maxDepth) throw new PathError(`nesting deeper than maxDepth ${this.maxDepth}`, true);
    body();
    this.depth--;
  }

  private array(a: unknown[]): void {
    const n = a.length;
    if (n >= STRING_LIST_MIN && typeof a[0] === "string" && this.isStringList(a)) return this.stringList(a as string[]);
    this.byte(Tag.ARRAY);
    this.varint(n);
    for (let i = 0; i < n; i++) {
      const item = a[i];
      try {
        if (item === undefined && !(i in a)) this.byte(Tag.HOLE);
        else this.value(item);
      } catch (e) {
        throw withPart(e, i);
      }
    }
  }

  private isStringList(a: unknown[]): boolean {
    for (let i = 0; i < a.length; i++) {
      const s = a[i];
      if (typeof s !== "string" || !(i in a) || !s.isWellFormed()) return false;
    }
    return true;
  }

  private plainObject(o: Record<string, unknown>): void {
    const keys = Object.keys(o);
    this.byte(Tag.OBJECT);
    this.varint(keys.length);
    for (const key of keys) {
      this.string(key);
      try {
        this.value(o[key]);
      } catch (e) {
        throw withPart(e, key);
      }
    }
  }

  private view_(v: ArrayBufferView): void {
    if (v instanceof DataView) {
      if (v.byteLength >= this.threshold) {
        this.byte(Tag.DATAVIEW_SEGMENT);
        this.varint(this.segment(v.buffer, v.byteOffset, v.byteLength, 1));
      } else {
        this.byte(Tag.DATAVIEW_INLINE);
        this.inlineBytes(v.buffer, v.byteOffset, v.byteLength);
      }
      return;
    }
    const t = v as TypedArray;
    const code = TYPED_CLASS_CODE[t[Symbol.toStringTag]];
    if (code === undefined) throw new PathError(`${t[Symbol.toStringTag]} is not supported`, false);
    this.typedPayload(t, code, true);
  }

  /** TYPED_INLINE / TYPED_SEGMENT, with or without the leading tag and class byte. */
  private typedPayload(t: TypedArray, classCode: number, withTag: boolean): void {
    const big = t.byteLength >= this.threshold;
    this.byte(big ? Tag.TYPED_SEGMENT : Tag.TYPED_INLINE);
    if (withTag) this.byte(classCode);
    if (big) this.varint(this.segment(t.buffer, t.byteOffset, t.byteLength, t.BYTES_PER_ELEMENT));
    else this.inlineBytes(t.buffer, t.byteOffset, t.byteLength);
  }

  private ndarray(a: NDArray): void {
    this.byte(Tag.NDARRAY);
    this.byte(DTYPES[a.dtype].code);
    this.varint(a.shape.length);
    for (const n of a.shape) this.varint(n);
    this.typedPayload(a.data, 0, false);
  }

  private arrayBuffer(b: ArrayBuffer): void {
    if (b.byteLength >= this.threshold) {
      this.byte(Tag.ARRAYBUFFER_SEGMENT);
      this.varint(this.segment(b, 0, b.byteLength, 1));
    } else {
      this.byte(Tag.ARRAYBUFFER_INLINE);
      this.inlineBytes(b, 0, b.byteLength);
    }
  }

  private inlineBytes(buffer: ArrayBufferLike, byteOffset: number, byteLength: number): void {
    this.varint(byteLength);
    this.bytes(new Uint8Array(buffer, byteOffset, byteLength));
  }

  private segment(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, typesize: number): number {
    this.segments.push({ buffer, byteOffset, byteLength, typesize });
    return this.segments.length - 1;
  }
}

const SHORT_STRING_MAX = 42;

/** A stack overflow becomes a limit error; anything else passes through. */
function asPathError(e: unknown): unknown {
  return e instanceof RangeError && /call stack/i.test(e.message) ? new PathError("nesting too deep for the JavaScript stack; lower maxDepth", true) : e;
}

/** Adds one path part (parts are collected innermost first, while unwinding). */
function withPart(e: unknown, part: string | number): unknown {
  const err = asPathError(e);
  if (err instanceof PathError) err.parts.push(part);
  return err;
}

/**
 * Encodes `value` into a manifest plus the list of arrays that go out of line.
 * @throws NdpackError `ERR_UNSUPPORTED_VALUE` naming the path of a value that cannot be stored;
 *   `ERR_LIMIT` for nesting deeper than `maxDepth`
 */
export function encodeGraph(value: unknown, options: GraphEncodeOptions = {}): EncodedGraph {
  const enc = new Encoder(options);
  try {
    enc.value(value);
  } catch (e) {
    const err = asPathError(e);
    if (!(err instanceof PathError)) throw err;
    const path = formatPath(err.parts.reverse());
    if (err.limit) throw new LimitError(`${path}: ${err.reason}`, { path });
    throw new UnsupportedValueError(err.reason, path);
  }
  return { manifest: enc.finish(), segments: enc.segments };
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}
