/**
 * Decoding a manifest back into a value graph (docs/FORMAT.md, "Manifest"). Segment references
 * are resolved through a callback, so the same decoder serves bytes in memory, positioned file
 * reads and memory maps.
 *
 * Decoding never runs code named by the input: tags map to a fixed set of constructors, a class
 * instance is built only by a `decode` function registered under its name, keys such as
 * `__proto__` become own data properties (never a prototype change), nesting is bounded by
 * `maxDepth` (an error, never a stack overflow), and every count and length is checked against
 * the bytes that remain before anything is allocated for it.
 */
import { CorruptError, LimitError, NdpackError, TruncatedError, type OptionNames } from "../errors.js";
import { dtypeFromCode, NDArray, shapeSize, type TypedArray, type TypedArrayConstructor } from "../ndarray.js";
import { classForName, registryOption, type ClassRegistry } from "./classes.js";
import { ERROR_CLASSES, Tag, TYPED_CLASSES } from "./tags.js";

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

/**
 * Describe mode's stand-in for bytes stored in a segment: what the value is and where its bytes
 * are, without reading or allocating them.
 */
export class SegmentStub {
  constructor(
    /** What the value is. */
    readonly kind: "typedarray" | "arraybuffer" | "dataview",
    /** The typed array class name (`Float32Array`), `ArrayBuffer` or `DataView`. */
    readonly type: string,
    /** Segment number. */
    readonly segment: number,
    /** Elements (bytes for ArrayBuffer and DataView). */
    readonly length: number,
    /** Views of a shared buffer: the view's byte offset in the segment; undefined otherwise. */
    readonly byteOffset?: number,
    /** Views of a shared buffer: the view's byte length; undefined otherwise. */
    readonly byteLength?: number,
  ) {}
}

/** Describe mode's stand-in for an n-d array whose data is in a segment. */
export class NDArrayStub {
  constructor(
    /** The dtype name. */
    readonly dtype: string,
    /** The shape. */
    readonly shape: number[],
    /** The data's stand-in. */
    readonly data: SegmentStub,
  ) {}
}

/** Describe mode's stand-in for a registered class instance: its decode function is not run. */
export class ClassStub {
  constructor(
    /** The registered name. */
    readonly name: string,
    /** The decoded payload. */
    readonly payload: unknown,
  ) {}
}

/** Thrown in describe mode at a tag this version does not know (its value's length is unknown). */
export class UnknownTagStop {
  constructor(
    /** The tag byte. */
    readonly tag: number,
    /** Its manifest offset. */
    readonly offset: number,
  ) {}
}

/** Limits of the graph decoder; each exceeded limit is an `ERR_LIMIT` error. */
export interface GraphDecodeOptions {
  /** Deepest nesting of arrays, objects, Maps, Sets, errors and class payloads accepted. Default 1000. */
  maxDepth?: number;
  /** Longest string, in bytes as stored (UTF-8, or 2 per UTF-16 unit). Default 2^30 (1 GiB). */
  maxStringBytes?: number;
  /** Longest array (dense or sparse), string list, Map or Set, and most keys of an object. Default 2^32 - 1. */
  maxArrayLength?: number;
  /** Most objects (arrays, objects, Maps, Sets, dates, typed arrays...) created. Default 2^26. */
  maxObjects?: number;
  /** Registered classes consulted before the global registry (see `registerClass`). */
  classes?: ClassRegistry;
}

/** The names of {@link GraphDecodeOptions}, for the decoding functions' option checks. */
export const GRAPH_DECODE_OPTIONS = {
  maxDepth: true,
  maxStringBytes: true,
  maxArrayLength: true,
  maxObjects: true,
  classes: true,
} as const satisfies OptionNames<GraphDecodeOptions>;

/**
 * Default limits of the decoder. Every count and length is also checked against the bytes that
 * remain, so a small file can never make the decoder allocate much more than its size.
 */
export const DEFAULT_DECODE_LIMITS = {
  maxDepth: 1000,
  maxStringBytes: 2 ** 30,
  maxArrayLength: 2 ** 32 - 1,
  maxObjects: 2 ** 26,
} as const;

// ignoreBOM: a string may start with U+FEFF, which is data here, not a byte-order mark.
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SHORT_STRING_MAX = 64;

/** Every tag this version defines. */
const KNOWN_TAGS: ReadonlySet<number> = new Set(Object.values(Tag));
/** The longest string heap decoded: V8's longest string (2^29 - 24 units). */
const MAX_HEAP_UNITS = 2 ** 29 - 24;

/**
 * Latin-1 text: each byte is the UTF-16 code unit of the same value. (TextDecoder cannot do it:
 * its "latin1" is windows-1252, which maps 0x80-0x9F elsewhere.)
 * @param bytes any bytes
 * @returns a string of `bytes.length` code units
 */
export function latin1String(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]));
  return parts.join("");
}
/** Node's Buffer, when present: its latin1Slice makes short ASCII strings fastest. */
const NodeBuffer = (globalThis as unknown as { Buffer?: { from(b: ArrayBufferLike, o: number, n: number): { latin1Slice(s: number, e: number): string } } }).Buffer;
/** OBJECTs with 1 to this many keys define record shapes (docs/FORMAT.md, "Records"). */
const RECORD_MAX_KEYS = 64;
/** At most this many record shapes per manifest. */
const MAX_SHAPES = 8192;
/** Marks an id whose object is not built yet (a class instance, an NDArray, a RegExp). */
const PENDING = Symbol("pending");

class Decoder {
  private pos = 0;
  private depth = 0;
  private readonly view: DataView;
  private readonly end: number;
  private readonly refs: unknown[] = [];
  private readonly shapes: string[][] = [];
  private readonly buffers: SegmentBytes[] = [];
  private objects = 0;
  /** Scratch code units for short strings. */
  private readonly codes: number[] = [];
  /** The string heap, decoded, and how many of its units HEAP_STRINGs have taken. */
  private heap = "";
  private heapAt = 0;
  /** The manifest as a Node Buffer, for latin1Slice; undefined elsewhere. */
  private readonly latin1: { latin1Slice(s: number, e: number): string } | undefined;
  /** Per record shape, an object with its keys (made once, then cloned). */
  private readonly templates: (Record<string, unknown> | undefined)[] = [];
  /** A SHARE mark was read: the next object created gets the next reference number. */
  private share = false;
  private readonly maxDepth: number;
  private readonly maxStringBytes: number;
  private readonly maxArrayLength: number;
  private readonly maxObjects: number;
  private readonly classes: ClassRegistry | undefined;

  constructor(
    private readonly buf: Uint8Array,
    private readonly segments: SegmentResolver,
    private readonly segmentCount: number,
    options: GraphDecodeOptions,
    /** Offset of the manifest in the file, for messages. */
    private readonly base: number,
    /**
     * Describe mode: segment-backed values become stubs, string lists are collected, class
     * instances are not built. Checked only where a segment or class is met, never per value.
     */
    private readonly describe?: { stringLists: WeakSet<object> },
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = buf.length;
    this.maxDepth = options.maxDepth ?? DEFAULT_DECODE_LIMITS.maxDepth;
    this.maxStringBytes = options.maxStringBytes ?? DEFAULT_DECODE_LIMITS.maxStringBytes;
    this.maxArrayLength = options.maxArrayLength ?? DEFAULT_DECODE_LIMITS.maxArrayLength;
    this.maxObjects = options.maxObjects ?? DEFAULT_DECODE_LIMITS.maxObjects;
    this.classes = registryOption(options.classes);
    this.latin1 = typeof NodeBuffer?.from === "function" ? NodeBuffer.from(buf.buffer, buf.byteOffset, buf.byteLength) : undefined;
    if (this.latin1 !== undefined && typeof this.latin1.latin1Slice !== "function") this.latin1 = undefined;
  }

  /** The root value, after the string heap if the manifest starts with one. */
  root(): unknown {
    if (this.end > 0 && this.buf[0] === Tag.STRING_HEAP) {
      this.pos = 1;
      const n = this.varint();
      this.need(n, "the string heap");
      if (n > MAX_HEAP_UNITS) this.limit(`a string heap of ${n} bytes; this engine's strings hold at most ${MAX_HEAP_UNITS} units`);
      const end = this.pos + n;
      this.heap = this.latin1 !== undefined ? this.latin1.latin1Slice(this.pos, end) : latin1String(this.buf.subarray(this.pos, end));
      this.pos = end;
    }
    return this.value();
  }

  done(): void {
    if (this.pos !== this.end) this.corrupt(`${this.end - this.pos} bytes follow the root value`);
    if (this.heapAt !== this.heap.length) this.corrupt(`${this.heap.length - this.heapAt} UTF-16 units of the string heap are not used`);
  }

  /** HEAP_STRING: the next `n` units of the string heap. */
  private heapString(): string {
    const n = this.varint();
    const at = this.heapAt;
    if (n > this.maxStringBytes) {
      this.pos--;
      this.limit(`heap string of ${n} bytes exceeds maxStringBytes ${this.maxStringBytes}`);
    }
    if (n > this.heap.length - at) {
      this.pos--;
      this.corrupt(`a heap string of ${n} UTF-16 units; ${this.heap.length - at} remain in the string heap`);
    }
    this.heapAt = at + n;
    return this.heap.slice(at, at + n);
  }

  private corrupt(message: string): never {
    throw new CorruptError(`manifest offset ${this.pos}: ${message}`, { offset: this.base + this.pos });
  }

  private limit(message: string): never {
    throw new LimitError(`manifest offset ${this.pos}: ${message}`, { offset: this.base + this.pos });
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
    const b0 = this.pos < this.end ? this.buf[this.pos]! : 0x80;
    if (b0 < 0x80) {
      this.pos++;
      return b0;
    }
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

  /** A count of items that each take at least `bytesEach` bytes: bounded by the bytes that remain. */
  private count(what: string, bytesEach: number): number {
    const n = this.varint();
    if (n > this.maxArrayLength) this.limit(`${what} of ${n} items exceeds maxArrayLength ${this.maxArrayLength}`);
    this.need(n * bytesEach, what);
    return n;
  }

  /** Counts a new object, and registers it for back-references if a SHARE mark precedes it. */
  private add(o: unknown): void {
    if (++this.objects > this.maxObjects) this.limit(`more than maxObjects ${this.maxObjects} objects`);
    if (this.share) {
      this.share = false;
      this.refs.push(o);
    }
  }

  /** As `add`, for an object built after its children: returns its reference number or -1. */
  private reserve(): number {
    const shared = this.share;
    this.add(PENDING);
    return shared ? this.refs.length - 1 : -1;
  }

  /** Fills a reserved reference number. */
  private fill<T>(id: number, o: T): T {
    if (id >= 0) this.refs[id] = o;
    return o;
  }

  /** A SHARE mark: the next value must be an object. */
  private shareNext(): unknown {
    if (this.share) this.corrupt("two SHARE marks in a row");
    this.share = true;
    const v = this.value();
    if (this.share) {
      this.pos--;
      this.corrupt("a SHARE mark before a value that is not an object");
    }
    return v;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) this.limit(`nesting deeper than maxDepth ${this.maxDepth}`);
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
      case Tag.BIGINT:
        return this.bigint();
      case Tag.HEAP_STRING:
        return this.heapString();
      case Tag.STRING:
        return this.utf8(this.stringBytes(1));
      case Tag.STRING_UTF16:
        return this.utf16();
      case Tag.STRING_LIST:
      case Tag.HEAP_STRING_LIST: {
        const id = this.reserve();
        const list = this.fill(id, this.stringList(tag === Tag.HEAP_STRING_LIST));
        if (this.describe !== undefined) this.describe.stringLists.add(list);
        return list;
      }
      case Tag.ARRAY:
        return this.array();
      case Tag.SPARSE_ARRAY:
        return this.sparseArray();
      case Tag.ARRAY_PROPS:
        return this.arrayProps();
      case Tag.OBJECT:
        return this.object({}, true);
      case Tag.NULL_PROTO_OBJECT:
        return this.object(Object.create(null) as Record<string, unknown>, false);
      case Tag.RECORD:
        return this.record();
      case Tag.REF:
        return this.ref();
      case Tag.SHARE:
        return this.shareNext();
      case Tag.MAP:
        return this.map();
      case Tag.SET:
        return this.set();
      case Tag.DATE: {
        this.need(8, "a date");
        const d = new Date(this.view.getFloat64(this.pos, true));
        this.pos += 8;
        this.add(d);
        return d;
      }
      case Tag.REGEXP:
        return this.regexp();
      case Tag.ERROR:
        return this.error();
      case Tag.CLASS:
        return this.classInstance();
      case Tag.TYPED_INLINE:
      case Tag.TYPED_SEGMENT: {
        const t = this.typed(tag, this.typedClass());
        this.add(t);
        return t;
      }
      case Tag.ARRAYBUFFER_INLINE: {
        const b = this.inlineBytes().buffer;
        this.add(b);
        return b;
      }
      case Tag.ARRAYBUFFER_SEGMENT: {
        const s = this.segment(1);
        if (this.describe !== undefined) return this.stub("arraybuffer", "ArrayBuffer", s, 1);
        const b = s.byteOffset === 0 && s.byteLength === s.buffer.byteLength ? s.buffer : s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength);
        this.add(b);
        return b;
      }
      case Tag.DATAVIEW_INLINE: {
        const v = new DataView(this.inlineBytes().buffer);
        this.add(v);
        return v;
      }
      case Tag.DATAVIEW_SEGMENT: {
        const s = this.segment(1);
        if (this.describe !== undefined) return this.stub("dataview", "DataView", s, 1);
        const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
        this.add(v);
        return v;
      }
      case Tag.VIEW:
        return this.sharedView(this.u8());
      case Tag.SHARED_ARRAYBUFFER: {
        const b = this.bufferDef();
        if (this.describe !== undefined && b.buffer === NO_BYTES) return this.stub("arraybuffer", "ArrayBuffer", b, 1);
        const ab = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        this.add(ab);
        return ab;
      }
      case Tag.NDARRAY:
        return this.ndarray();
      case Tag.HOLE:
        return this.corrupt("a hole outside an array");
      default:
        this.pos--;
        // Describe mode stops at a tag a newer version may have added; a known tag out of its
        // place (a string heap inside an array...) is corruption either way.
        if (this.describe !== undefined && !KNOWN_TAGS.has(tag)) throw new UnknownTagStop(tag, this.pos);
        return this.corrupt(`unknown tag 0x${tag.toString(16).padStart(2, "0")}`);
    }
  }

  /** Describe mode: the stand-in for segment bytes `s` (from the describe resolver). */
  private stub(kind: SegmentStub["kind"], type: string, s: SegmentBytes, size: number, add = true): SegmentStub {
    if (s.byteLength % size !== 0) this.corrupt(`${type} segment of ${s.byteLength} bytes is not a whole number of ${size}-byte elements`);
    const stub = new SegmentStub(kind, type, (s as StubBytes).segment, s.byteLength / size);
    if (add) this.add(stub);
    return stub;
  }

  // ---- scalars and strings ------------------------------------------------------------------

  private bigint(): bigint {
    const sign = this.u8();
    if (sign > 1) this.corrupt(`BigInt sign byte ${sign} is neither 0 nor 1`);
    const n = this.varint();
    if (n * 2 > this.maxStringBytes) this.limit(`BigInt of ${n} bytes exceeds maxStringBytes ${this.maxStringBytes} as hex`);
    this.need(n, "a BigInt");
    if (n === 0) return 0n;
    const buf = this.buf;
    let hex = "";
    for (let i = this.pos + n - 1; i >= this.pos; i--) hex += HEX[buf[i]!];
    this.pos += n;
    let v: bigint;
    try {
      v = BigInt("0x" + hex);
    } catch (e) {
      return this.limit(`BigInt of ${n} bytes is too large for this engine (${(e as Error).message})`);
    }
    return sign ? -v : v;
  }

  /** A string's declared byte length, checked against maxStringBytes. */
  private stringBytes(unitBytes: number): number {
    const n = this.varint();
    if (n * unitBytes > this.maxStringBytes) this.limit(`string of ${n * unitBytes} bytes exceeds maxStringBytes ${this.maxStringBytes}`);
    return n;
  }

  private utf8(n: number): string {
    this.need(n, "a string");
    const start = this.pos;
    this.pos += n;
    if (n > SHORT_STRING_MAX) return this.decodeUtf8(start, n);
    // Short strings: JavaScript beats TextDecoder's call overhead.
    const buf = this.buf;
    const end = start + n;
    let i = start;
    while (i < end && buf[i]! < 0x80) i++;
    if (i !== end) return this.shortUtf8(start, end);
    switch (n) {
      case 0: return "";
      case 1: return String.fromCharCode(buf[start]!);
      case 2: return String.fromCharCode(buf[start]!, buf[start + 1]!);
      case 3: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!);
      case 4: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!);
    }
    if (this.latin1 !== undefined) return this.latin1.latin1Slice(start, end);
    const codes = this.codes;
    codes.length = n;
    for (let j = 0; j < n; j++) codes[j] = buf[start + j]!;
    return String.fromCharCode.apply(null, codes);
  }

  /** Validating UTF-8 decoding of a short string into UTF-16 code units. */
  private shortUtf8(start: number, end: number): string {
    const buf = this.buf;
    const codes = this.codes;
    let k = 0;
    // Invalid input goes to the fatal decoder, which reports it.
    let i = start;
    while (i < end) {
      const c = buf[i++]!;
      if (c < 0x80) codes[k++] = c;
      else if (c >= 0xc2 && c < 0xe0) {
        const c1 = i < end ? buf[i]! : 0;
        if ((c1 & 0xc0) !== 0x80) return this.decodeUtf8(start, end - start);
        codes[k++] = ((c & 0x1f) << 6) | (c1 & 0x3f);
        i += 1;
      } else if (c >= 0xe0 && c < 0xf0) {
        const c1 = i + 1 < end ? buf[i]! : 0;
        const c2 = i + 1 < end ? buf[i + 1]! : 0;
        if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) return this.decodeUtf8(start, end - start);
        const cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return this.decodeUtf8(start, end - start);
        codes[k++] = cp;
        i += 2;
      } else if (c >= 0xf0 && c < 0xf5) {
        const c1 = i + 2 < end ? buf[i]! : 0;
        const c2 = i + 2 < end ? buf[i + 1]! : 0;
        const c3 = i + 2 < end ? buf[i + 2]! : 0;
        if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) return this.decodeUtf8(start, end - start);
        const cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
        if (cp < 0x10000 || cp > 0x10ffff) return this.decodeUtf8(start, end - start);
        codes[k++] = 0xd800 + ((cp - 0x10000) >> 10);
        codes[k++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
        i += 3;
      } else return this.decodeUtf8(start, end - start);
    }
    codes.length = k;
    return String.fromCharCode.apply(null, codes);
  }

  private decodeUtf8(start: number, n: number): string {
    try {
      return fatalUtf8.decode(this.buf.subarray(start, start + n));
    } catch (e) {
      this.pos = start;
      if (e instanceof RangeError) return this.limit(`a ${n}-byte string is too long for this engine`);
      return this.corrupt(`invalid UTF-8 in a ${n}-byte string`);
    }
  }

  private utf16(): string {
    const units = this.stringBytes(2);
    this.need(units * 2, "a UTF-16 string");
    const buf = this.buf;
    const parts: string[] = [];
    const CHUNK = 4096;
    const codes = new Array<number>(Math.min(CHUNK, units));
    for (let i = 0; i < units; i += CHUNK) {
      const m = Math.min(CHUNK, units - i);
      if (m < codes.length) codes.length = m;
      for (let j = 0; j < m; j++) {
        const p = this.pos + 2 * (i + j);
        codes[j] = buf[p]! | (buf[p + 1]! << 8);
      }
      parts.push(String.fromCharCode(...codes));
    }
    this.pos += units * 2;
    try {
      return parts.join("");
    } catch {
      return this.limit(`a string of ${units} UTF-16 units is too long for this engine`);
    }
  }

  /** A key or other string-only position: STRING or STRING_UTF16. */
  private key(what: string): string {
    const tag = this.u8();
    if (tag === Tag.HEAP_STRING) return this.heapString();
    if (tag === Tag.STRING) return this.utf8(this.stringBytes(1));
    if (tag === Tag.STRING_UTF16) return this.utf16();
    this.pos--;
    return this.corrupt(`${what} has tag 0x${tag.toString(16).padStart(2, "0")}, not a string`);
  }

  /**
   * STRING_LIST, or with `heapWords` HEAP_STRING_LIST: each length's low bit then says whether
   * the word is the next run of the string heap (0) or of the list's own UTF-8 text (1).
   */
  private stringList(heapWords: boolean): string[] {
    const n = this.count("a string list", 1);
    // The lengths are read twice (skipped now, sliced by below) rather than kept in an array:
    // for a vocabulary of 341,479 words, that array is megabytes of young garbage to collect.
    const lengthsAt = this.pos;
    const buf = this.buf;
    const end = this.end;
    let p = lengthsAt;
    for (let k = 0; k < n; p++) {
      if (p >= end) {
        this.pos = end;
        this.need(1, "a string list's lengths");
      }
      if (buf[p]! < 0x80) k++;
    }
    this.pos = p;
    const own = this.utf8(this.stringBytes(1));
    const after = this.pos;
    const out = new Array<string>(n);
    const heap = this.heap;
    let h = this.heapAt;
    let at = 0;
    // One-byte lengths inline: this loop often runs once per process, before the JIT has
    // optimized anything, so each call it saves counts.
    p = lengthsAt;
    for (let i = 0; i < n; i++) {
      let v = buf[p]!;
      if (v < 0x80) p++;
      else {
        this.pos = p;
        v = this.varint();
        p = this.pos;
      }
      if (!heapWords) {
        out[i] = own.slice(at, at + v);
        at += v;
        continue;
      }
      const len = Math.floor(v / 2);
      if (v % 2 === 1) {
        out[i] = own.slice(at, at + len);
        at += len;
        continue;
      }
      if (len > this.maxStringBytes) this.limit(`heap string of ${len} bytes exceeds maxStringBytes ${this.maxStringBytes}`);
      if (len > heap.length - h) this.corrupt(`a string list word of ${len} UTF-16 units; ${heap.length - h} remain in the string heap`);
      out[i] = heap.slice(h, h + len);
      h += len;
    }
    this.heapAt = h;
    this.pos = after;
    if (at !== own.length) this.corrupt(`string list declares ${at} UTF-16 units of its own text, which has ${own.length}`);
    return out;
  }

  // ---- containers ---------------------------------------------------------------------------

  private array(): unknown[] {
    this.enter();
    const n = this.count("an array", 1);
    const out = new Array<unknown>(n);
    this.add(out);
    for (let i = 0; i < n; i++) {
      if (this.buf[this.pos] === Tag.HOLE) this.pos++;
      else out[i] = this.value();
    }
    this.depth--;
    return out;
  }

  private sparseArray(): unknown[] {
    this.enter();
    const length = this.varint();
    if (length > this.maxArrayLength) this.limit(`sparse array of length ${length} exceeds maxArrayLength ${this.maxArrayLength}`);
    if (length > 2 ** 32 - 1) this.corrupt(`array length ${length} exceeds 2^32 - 1`);
    const count = this.count("a sparse array", 2);
    if (count > length) this.corrupt(`sparse array of length ${length} declares ${count} elements`);
    const out = new Array<unknown>(length);
    this.add(out);
    let last = -1;
    for (let i = 0; i < count; i++) {
      const index = this.varint();
      if (index <= last || index >= length) this.corrupt(`sparse array index ${index} is not in (${last}, ${length})`);
      last = index;
      out[index] = this.value();
    }
    this.depth--;
    return out;
  }

  private arrayProps(): unknown[] {
    const tag = this.buf[this.pos];
    if (tag !== Tag.ARRAY && tag !== Tag.SPARSE_ARRAY && tag !== Tag.STRING_LIST && tag !== Tag.HEAP_STRING_LIST) {
      return this.corrupt(`array properties follow tag 0x${(tag ?? 0).toString(16)}, not an array`);
    }
    const a = this.value() as unknown[];
    this.enter();
    const n = this.count("array properties", 3);
    for (let i = 0; i < n; i++) {
      const k = this.key("an array property key");
      const v = this.value();
      if (k === "length" || isArrayIndex(k)) this.corrupt(`array property ${JSON.stringify(k)} is an index or length`);
      defineData(a, k, v);
    }
    this.depth--;
    return a;
  }

  private object(out: Record<string, unknown>, defines: boolean): Record<string, unknown> {
    this.enter();
    const n = this.count("an object", 3);
    this.add(out);
    // An OBJECT of 1 to 64 keys defines the next record shape once its pairs are read.
    const keys = defines && n > 0 && n <= RECORD_MAX_KEYS && this.shapes.length < MAX_SHAPES ? new Array<string>(n) : undefined;
    for (let i = 0; i < n; i++) {
      const key = this.key("an object key");
      if (keys !== undefined) keys[i] = key;
      const v = this.value();
      // "__proto__" must become an own property, never a prototype change.
      if (key === "__proto__") defineData(out, key, v);
      else out[key] = v;
    }
    if (keys !== undefined) this.shapes.push(keys);
    this.depth--;
    return out;
  }

  private record(): Record<string, unknown> {
    const at = this.pos;
    const id = this.varint();
    const keys = this.shapes[id];
    if (keys === undefined) {
      this.pos = at;
      return this.corrupt(`record shape ${id} used; ${this.shapes.length} defined`);
    }
    this.enter();
    const n = keys.length;
    this.need(n, "a record");
    // Cloning a template made by JSON.parse gives every record its final hidden class at once
    // (all properties in-object), instead of growing each object key by key.
    let template = this.templates[id];
    if (template === undefined) template = this.templates[id] = recordTemplate(keys);
    const out: Record<string, unknown> = { ...template };
    this.add(out);
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const v = this.value();
      if (key === "__proto__") defineData(out, key, v);
      else out[key] = v;
    }
    this.depth--;
    return out;
  }

  private ref(): unknown {
    const at = this.pos;
    const id = this.varint();
    if (id >= this.refs.length) {
      this.pos = at;
      return this.corrupt(`reference ${id}; ${this.refs.length} shared objects decoded so far`);
    }
    const v = this.refs[id];
    if (v === PENDING) {
      this.pos = at;
      return this.corrupt(`reference ${id} to an object that is not complete yet`);
    }
    return v;
  }

  private map(): Map<unknown, unknown> {
    this.enter();
    const n = this.count("a Map", 2);
    const m = new Map<unknown, unknown>();
    this.add(m);
    for (let i = 0; i < n; i++) {
      const k = this.value();
      m.set(k, this.value());
    }
    this.depth--;
    return m;
  }

  private set(): Set<unknown> {
    this.enter();
    const n = this.count("a Set", 1);
    const s = new Set<unknown>();
    this.add(s);
    for (let i = 0; i < n; i++) s.add(this.value());
    this.depth--;
    return s;
  }

  private regexp(): RegExp {
    const id = this.reserve();
    const source = this.key("a RegExp source");
    const flags = this.key("a RegExp's flags");
    let r: RegExp;
    try {
      r = new RegExp(source, flags);
    } catch {
      return this.corrupt(`invalid RegExp /${source.slice(0, 100)}/${flags.slice(0, 20)}`);
    }
    this.fill(id, r);
    this.enter();
    r.lastIndex = this.value() as number;
    this.depth--;
    return r;
  }

  private error(): Error {
    const kind = this.u8();
    const ctor = ERROR_CLASSES[kind];
    if (ctor === undefined) return this.corrupt(`unknown error kind ${kind}`);
    const e = (kind === 7 ? new AggregateError([]) : new (ctor as ErrorConstructor)()) as Error;
    // The decoder's own stack trace is not the error's: drop it (the file's, if any, follows).
    delete (e as { stack?: string }).stack;
    if (kind === 7) delete (e as { errors?: unknown }).errors;
    this.add(e);
    this.enter();
    const n = this.count("error properties", 3);
    for (let i = 0; i < n; i++) {
      const attrs = this.u8();
      if (attrs > 1) this.corrupt(`error property attributes ${attrs} are not 0 or 1`);
      const k = this.key("an error property key");
      const v = this.value();
      Object.defineProperty(e, k, { value: v, writable: true, enumerable: attrs === 1, configurable: true });
    }
    this.depth--;
    return e;
  }

  private classInstance(): object {
    const id = this.reserve();
    const name = this.key("a class name");
    if (this.describe !== undefined) {
      this.enter();
      const payload = this.value();
      this.depth--;
      return this.fill(id, new ClassStub(name, payload));
    }
    const entry = classForName(this.classes, name);
    if (entry === undefined) return this.corrupt(`class ${JSON.stringify(name.slice(0, 100))} is not registered (registerClass)`);
    this.enter();
    const payload = this.value();
    this.depth--;
    let instance: object;
    try {
      instance = entry.decode(payload);
    } catch (e) {
      if (e instanceof NdpackError) throw e;
      throw new CorruptError(`manifest offset ${this.pos}: the decode function of class ${name} threw: ${e instanceof Error ? e.message : String(e)}`, {
        offset: this.base + this.pos,
        cause: e,
      });
    }
    return this.fill(id, instance);
  }

  // ---- arrays of bytes ----------------------------------------------------------------------

  private typedClass(): TypedArrayConstructor {
    const code = this.u8();
    const ctor = TYPED_CLASSES[code];
    if (ctor === undefined) {
      this.pos--;
      return this.corrupt(`unknown typed array class ${code}`);
    }
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
    if (this.describe !== undefined) return this.stub("typedarray", ctor.name, s, size, false) as unknown as TypedArray;
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

  /** The buffer of a VIEW or SHARED_ARRAYBUFFER: a new definition or a BUFFER_REF. */
  private bufferDef(): SegmentBytes {
    const tag = this.u8();
    let b: SegmentBytes;
    switch (tag) {
      case Tag.BUFFER_REF: {
        const at = this.pos;
        const n = this.varint();
        const found = this.buffers[n];
        if (found === undefined) {
          this.pos = at;
          return this.corrupt(`buffer ${n} referenced; ${this.buffers.length} defined`);
        }
        return found;
      }
      case Tag.ARRAYBUFFER_INLINE: {
        const bytes = this.inlineBytes();
        b = { buffer: bytes.buffer, byteOffset: 0, byteLength: bytes.length };
        break;
      }
      case Tag.ARRAYBUFFER_SEGMENT:
        b = this.segment(8);
        break;
      case Tag.BUFFER_WHOLE_SEGMENT: {
        const s = this.segment(8);
        if (s.buffer === NO_BYTES) {
          b = s;
          break;
        }
        const whole = s.byteOffset === 0 && s.byteLength === s.buffer.byteLength ? s.buffer : s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength);
        b = { buffer: whole, byteOffset: 0, byteLength: s.byteLength };
        break;
      }
      default:
        this.pos--;
        return this.corrupt(`expected a buffer, found tag 0x${tag.toString(16).padStart(2, "0")}`);
    }
    this.buffers.push(b);
    return b;
  }

  private sharedView(code: number): ArrayBufferView {
    const ctor = code === 0 ? undefined : (TYPED_CLASSES[code] as unknown as TypedArrayConstructor | undefined);
    if (code !== 0 && ctor === undefined) return this.corrupt(`unknown typed array class ${code}`);
    const b = this.bufferDef();
    const offset = this.varint();
    const length = this.varint();
    const size = ctor?.BYTES_PER_ELEMENT ?? 1;
    if (offset + length * size > b.byteLength) this.corrupt(`view of ${length * size} bytes at ${offset} exceeds its ${b.byteLength}-byte buffer`);
    if ((b.byteOffset + offset) % size !== 0) this.corrupt(`view at byte ${offset} is not aligned to its ${size}-byte elements`);
    if (b.buffer === NO_BYTES) {
      const stub = new SegmentStub(ctor ? "typedarray" : "dataview", ctor?.name ?? "DataView", (b as StubBytes).segment, length, offset, length * size);
      this.add(stub);
      return stub as unknown as ArrayBufferView;
    }
    const v = ctor ? new ctor(b.buffer, b.byteOffset + offset, length) : new DataView(b.buffer, b.byteOffset + offset, length);
    this.add(v);
    return v;
  }

  private ndarray(): NDArray {
    const id = this.reserve();
    const code = this.u8();
    const dt = dtypeFromCode(code);
    if (!dt) return this.corrupt(`unknown dtype code ${code}`);
    const rank = this.count("an n-d array shape", 1);
    const shape = new Array<number>(rank);
    for (let i = 0; i < rank; i++) shape[i] = this.varint();
    let size: number;
    try {
      size = shapeSize(shape);
    } catch {
      return this.corrupt(`shape [${shape.join(", ")}] is too large`);
    }
    let tag = this.u8();
    if (tag === Tag.SHARE) {
      this.share = true;
      tag = this.u8();
      if (tag === Tag.REF) this.corrupt("a SHARE mark before a REF");
    }
    let data: unknown;
    if (tag === Tag.TYPED_INLINE || tag === Tag.TYPED_SEGMENT) {
      data = this.typed(tag, dt.array);
      this.add(data);
    } else if (tag === Tag.VIEW) data = this.sharedView(this.u8());
    else if (tag === Tag.REF) data = this.ref();
    else return this.corrupt(`n-d array payload has tag 0x${tag.toString(16)}`);
    if (this.describe !== undefined && data instanceof SegmentStub) {
      if (data.type !== dt.array.name && !(dt.name === "uint8" && data.type === "Uint8ClampedArray")) this.corrupt(`${dt.name} array data is not a ${dt.array.name}`);
      if (data.length !== size) this.corrupt(`${dt.name} array of shape [${shape.join(", ")}] needs ${size} elements, its data has ${data.length}`);
      return this.fill(id, new NDArrayStub(dt.name, shape, data)) as unknown as NDArray;
    }
    const ctor = (data as TypedArray | undefined)?.constructor;
    if (ctor !== dt.array && !(dt.name === "uint8" && ctor === Uint8ClampedArray)) this.corrupt(`${dt.name} array data is not a ${dt.array.name}`);
    const t = data as TypedArray;
    if (t.length !== size) this.corrupt(`${dt.name} array of shape [${shape.join(", ")}] needs ${size} elements, its data has ${t.length}`);
    return this.fill(id, new NDArray(t, shape, dt.name));
  }
}

/** Describe mode's segment buffer: zero bytes, never viewed. */
const NO_BYTES = new ArrayBuffer(0);

/** Describe mode's segment bytes: no bytes, the segment's number and raw length. */
interface StubBytes extends SegmentBytes {
  segment: number;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function isArrayIndex(k: string): boolean {
  const n = Number(k);
  return Number.isInteger(n) && n >= 0 && n < 4294967295 && String(n) === k;
}

/** An object with `keys` as own data properties (null values), in order; no prototype change for "__proto__". */
function recordTemplate(keys: string[]): Record<string, unknown> {
  let json = "{";
  for (let i = 0; i < keys.length; i++) json += (i ? "," : "") + JSON.stringify(keys[i]) + ":null";
  return JSON.parse(json + "}") as Record<string, unknown>;
}

function defineData(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Decodes a manifest.
 * @param manifest the manifest bytes (not mutated)
 * @param segments resolves segment references to bytes
 * @param segmentCount number of segments in the file
 * @param options limits and registered classes
 * @param base offset of the manifest in its file, added to error offsets
 * @returns the root value
 * @throws NdpackError `ERR_TRUNCATED`, `ERR_CORRUPT`, `ERR_LIMIT`
 * @example
 * const value = decodeGraph(manifest, () => { throw new Error("no segments") }, 0);
 */
export function decodeGraph(
  manifest: Uint8Array,
  segments: SegmentResolver,
  segmentCount: number,
  options: GraphDecodeOptions = {},
  base = 0,
): unknown {
  const dec = new Decoder(manifest, segments, segmentCount, options, base);
  try {
    const value = dec.root();
    dec.done();
    return value;
  } catch (e) {
    if (e instanceof NdpackError) throw e;
    if (e instanceof RangeError) throw new LimitError(`manifest too large for this engine: ${e.message}; lower the limits (maxDepth...)`, { cause: e });
    throw e;
  }
}

/** What {@link describeGraph} returns. */
export interface DescribedGraph {
  /**
   * The root value, as `decodeGraph` would return it except that segment-backed values are
   * {@link SegmentStub}s and {@link NDArrayStub}s and class instances are {@link ClassStub}s.
   */
  root?: unknown;
  /** Arrays that were stored as string lists. */
  stringLists: WeakSet<object>;
  /** Set when decoding stopped at a tag this version does not know: the tag and its offset. */
  stopped?: UnknownTagStop;
}

/**
 * Decodes a manifest in describe mode: the same grammar as {@link decodeGraph}, but segment
 * bytes are never asked for nor allocated (segment-backed values come back as stubs naming the
 * segment), registered classes are not needed (instances come back as {@link ClassStub}s), and
 * an unknown tag ends decoding without an error (`stopped`; no root then).
 * @param manifest the manifest bytes (not mutated)
 * @param segmentRawBytes raw byte length of each segment, by segment number
 * @param options limits (`classes` is ignored)
 * @returns the root value with stubs, and which arrays were string lists
 * @throws NdpackError `ERR_TRUNCATED`, `ERR_CORRUPT`, `ERR_LIMIT`
 * @example
 * const { root } = describeGraph(container.manifest, container.segments.map((d) => d.rawBytes));
 */
export function describeGraph(manifest: Uint8Array, segmentRawBytes: readonly number[], options: GraphDecodeOptions = {}): DescribedGraph {
  const stringLists = new WeakSet<object>();
  const resolve: SegmentResolver = (segment) => ({ buffer: NO_BYTES, byteOffset: 0, byteLength: segmentRawBytes[segment]!, segment }) as StubBytes;
  const dec = new Decoder(manifest, resolve, segmentRawBytes.length, options, 0, { stringLists });
  try {
    const root = dec.root();
    dec.done();
    return { root, stringLists };
  } catch (e) {
    if (e instanceof UnknownTagStop) return { stringLists, stopped: e };
    if (e instanceof NdpackError) throw e;
    if (e instanceof RangeError) throw new LimitError(`manifest too large for this engine: ${e.message}; lower the limits (maxDepth...)`, { cause: e });
    throw e;
  }
}
