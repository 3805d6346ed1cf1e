/**
 * Decoding a manifest back into a value graph (docs/FORMAT.md, "Manifest"). Segment references
 * are resolved through a callback, so the same decoder serves bytes in memory, positioned file
 * reads and memory maps. Decoding never runs code from the input: tags map to a fixed set of
 * constructors, and `__proto__` keys become own data properties.
 */
import { CorruptError, LimitError, NdpackError, TruncatedError } from "../errors.js";
import { dtypeFromCode, NDArray, shapeSize, type TypedArray, type TypedArrayConstructor } from "../ndarray.js";
import { Tag, TYPED_CLASSES } from "./tags.js";

/** Bytes of one segment, decoded (decompressed) and ready to view. */
export interface SegmentBytes {
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
}

/**
 * Returns segment `index`'s bytes such that `byteOffset` is a multiple of `align` (the element
 * size), copying if it must.
 */
export type SegmentResolver = (index: number, align: number) => SegmentBytes;

/** Limits of the graph decoder. */
export interface GraphDecodeOptions {
  /** Deepest nesting of arrays and objects accepted. Default 1000. */
  maxDepth?: number;
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });
const SHORT_STRING_MAX = 32;

class Decoder {
  private pos = 0;
  private depth = 0;
  private readonly view: DataView;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly segments: SegmentResolver,
    private readonly segmentCount: number,
    private readonly maxDepth: number,
    /** Offset of the manifest in the file, for messages. */
    private readonly base: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = buf.length;
  }

  done(): void {
    if (this.pos !== this.end) this.corrupt(`${this.end - this.pos} bytes follow the root value`);
  }

  private corrupt(message: string): never {
    throw new CorruptError(`manifest offset ${this.pos}: ${message}`, { offset: this.base + this.pos });
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new TruncatedError(`manifest offset ${this.pos}: ${what} declares ${n} bytes, ${this.end - this.pos} remain`, {
        offset: this.base + this.pos,
      });
    }
  }

  private u8(): number {
    if (this.pos >= this.end) this.need(1, "a value");
    return this.buf[this.pos++]!;
  }

  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) this.corrupt(`varint ${result} exceeds 2^53 - 1`);
        return result;
      }
      scale *= 0x80;
    }
    return this.corrupt("varint longer than 8 bytes");
  }

  /** A count of items that each take at least one byte: bounded by the bytes that remain. */
  private count(what: string): number {
    const n = this.varint();
    this.need(n, what);
    return n;
  }

  value(): unknown {
    const tag = this.u8();
    if (tag >= Tag.FIXINT) return tag - Tag.FIXINT;
    switch (tag) {
      case Tag.NULL:
        return null;
      case Tag.UNDEFINED:
        return undefined;
      case Tag.FALSE:
        return false;
      case Tag.TRUE:
        return true;
      case Tag.INT32: {
        this.need(4, "an int32");
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case Tag.FLOAT64: {
        this.need(8, "a float64");
        const v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case Tag.STRING:
        return this.utf8(this.varint());
      case Tag.STRING_UTF16:
        return this.utf16();
      case Tag.STRING_LIST:
        return this.stringList();
      case Tag.ARRAY:
        return this.array();
      case Tag.OBJECT:
        return this.object();
      case Tag.TYPED_INLINE:
      case Tag.TYPED_SEGMENT:
        return this.typed(tag, this.typedClass());
      case Tag.ARRAYBUFFER_INLINE:
        return this.inlineBytes().buffer;
      case Tag.ARRAYBUFFER_SEGMENT: {
        const s = this.segment(1);
        return s.byteOffset === 0 && s.byteLength === s.buffer.byteLength ? s.buffer : s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength);
      }
      case Tag.DATAVIEW_INLINE:
        return new DataView(this.inlineBytes().buffer);
      case Tag.DATAVIEW_SEGMENT: {
        const s = this.segment(1);
        return new DataView(s.buffer, s.byteOffset, s.byteLength);
      }
      case Tag.NDARRAY:
        return this.ndarray();
      case Tag.HOLE:
        return this.corrupt("a hole outside an array");
      default:
        return this.corrupt(`unknown tag 0x${tag.toString(16).padStart(2, "0")}`);
    }
  }

  private utf8(n: number): string {
    this.need(n, "a string");
    const start = this.pos;
    this.pos += n;
    if (n > SHORT_STRING_MAX) return this.decodeUtf8(start, n);
    // Short strings: an ASCII loop avoids TextDecoder's call overhead.
    const buf = this.buf;
    let out = "";
    for (let i = start; i < start + n; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return this.decodeUtf8(start, n);
      out += String.fromCharCode(c);
    }
    return out;
  }

  private decodeUtf8(start: number, n: number): string {
    try {
      return fatalUtf8.decode(this.buf.subarray(start, start + n));
    } catch {
      this.pos = start;
      return this.corrupt(`invalid UTF-8 in a ${n}-byte string`);
    }
  }

  private utf16(): string {
    const units = this.varint();
    this.need(units * 2, "a UTF-16 string");
    const buf = this.buf;
    let out = "";
    const CHUNK = 4096;
    for (let i = 0; i < units; i += CHUNK) {
      const m = Math.min(CHUNK, units - i);
      const codes = new Array<number>(m);
      for (let j = 0; j < m; j++) {
        const p = this.pos + 2 * (i + j);
        codes[j] = buf[p]! | (buf[p + 1]! << 8);
      }
      out += String.fromCharCode(...codes);
    }
    this.pos += units * 2;
    return out;
  }

  private stringList(): string[] {
    const n = this.count("a string list");
    const lengths = new Array<number>(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const len = this.varint();
      lengths[i] = len;
      total += len;
    }
    const all = this.utf8(this.varint());
    if (all.length !== total) this.corrupt(`string list declares ${total} UTF-16 units, its text has ${all.length}`);
    const out = new Array<string>(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const len = lengths[i]!;
      out[i] = all.slice(at, at + len);
      at += len;
    }
    return out;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) throw new LimitError(`manifest offset ${this.pos}: nesting deeper than maxDepth ${this.maxDepth}`, { offset: this.base + this.pos });
  }

  private array(): unknown[] {
    this.enter();
    const n = this.count("an array");
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if (this.buf[this.pos] === Tag.HOLE) this.pos++;
      else out[i] = this.value();
    }
    this.depth--;
    return out;
  }

  private object(): Record<string, unknown> {
    this.enter();
    const n = this.count("an object");
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const tag = this.u8();
      let key: string;
      if (tag === Tag.STRING) key = this.utf8(this.varint());
      else if (tag === Tag.STRING_UTF16) key = this.utf16();
      else return this.corrupt(`object key has tag 0x${tag.toString(16)}, not a string`);
      const v = this.value();
      // "__proto__" must become an own property, never a prototype change.
      if (key === "__proto__") Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      else out[key] = v;
    }
    this.depth--;
    return out;
  }

  private typedClass(): TypedArrayConstructor {
    const code = this.u8();
    const ctor = TYPED_CLASSES[code];
    if (ctor === undefined) return this.corrupt(`unknown typed array class ${code}`);
    return ctor as unknown as TypedArrayConstructor;
  }

  private typed(tag: number, ctor: TypedArrayConstructor): TypedArray {
    const size = ctor.BYTES_PER_ELEMENT;
    if (tag === Tag.TYPED_INLINE) {
      const bytes = this.inlineBytes();
      if (bytes.length % size !== 0) this.corrupt(`${ctor.name} of ${bytes.length} bytes is not a whole number of ${size}-byte elements`);
      return new ctor(bytes.buffer, 0, bytes.length / size);
    }
    if (tag !== Tag.TYPED_SEGMENT) return this.corrupt(`expected a typed array payload, found tag 0x${tag.toString(16)}`);
    const s = this.segment(size);
    if (s.byteLength % size !== 0) this.corrupt(`${ctor.name} segment of ${s.byteLength} bytes is not a whole number of ${size}-byte elements`);
    return new ctor(s.buffer, s.byteOffset, s.byteLength / size);
  }

  /** Copies inline bytes into a fresh, exactly sized buffer (so views of any dtype are aligned). */
  private inlineBytes(): Uint8Array {
    const n = this.varint();
    this.need(n, "inline bytes");
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private segment(align: number): SegmentBytes {
    const at = this.pos;
    const index = this.varint();
    if (index >= this.segmentCount) {
      this.pos = at;
      this.corrupt(`segment ${index} referenced; the file has ${this.segmentCount}`);
    }
    return this.segments(index, align);
  }

  private ndarray(): NDArray {
    const code = this.u8();
    const dt = dtypeFromCode(code);
    if (!dt) return this.corrupt(`unknown dtype code ${code}`);
    const rank = this.count("an n-d array shape");
    const shape = new Array<number>(rank);
    for (let i = 0; i < rank; i++) shape[i] = this.varint();
    let size: number;
    try {
      size = shapeSize(shape);
    } catch {
      return this.corrupt(`shape [${shape.join(", ")}] is too large`);
    }
    const data = this.typed(this.u8(), dt.array);
    if (data.length !== size) this.corrupt(`${dt.name} array of shape [${shape.join(", ")}] needs ${size} elements, its data has ${data.length}`);
    return new NDArray(data, shape, dt.name);
  }
}

/**
 * Decodes a manifest.
 * @param manifest the manifest bytes (not mutated)
 * @param segments resolves segment references to bytes
 * @param segmentCount number of segments in the file
 * @param base offset of the manifest in its file, added to error offsets
 * @throws NdpackError `ERR_TRUNCATED`, `ERR_CORRUPT`, `ERR_LIMIT`
 */
export function decodeGraph(
  manifest: Uint8Array,
  segments: SegmentResolver,
  segmentCount: number,
  options: GraphDecodeOptions = {},
  base = 0,
): unknown {
  const dec = new Decoder(manifest, segments, segmentCount, options.maxDepth ?? 1000, base);
  try {
    const value = dec.value();
    dec.done();
    return value;
  } catch (e) {
    if (e instanceof NdpackError) throw e;
    if (e instanceof RangeError) throw new LimitError(`manifest nests too deeply for the JavaScript stack: ${e.message}; lower maxDepth`, { cause: e });
    throw e;
  }
}
