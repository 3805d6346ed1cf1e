/**
 * Encoding a value graph into a manifest (docs/FORMAT.md, "Manifest"). Large typed arrays are
 * not copied into it: they become segment references, and their bytes are written by the
 * segment layer.
 *
 * What is kept, and what is left out (as the structured clone algorithm does):
 * - kept: `undefined`, `null`, booleans, numbers (-0, NaN, Infinity), BigInt of any size,
 *   strings (lone surrogates too), plain objects and `Object.create(null)` objects (own
 *   enumerable string-keyed properties, read once each: a getter runs once and its value is
 *   stored), arrays (holes, sparse arrays, extra named properties), `Map`, `Set` (insertion
 *   order), `Date`, `RegExp` (source, flags, lastIndex), `Error` and its standard subclasses
 *   (name, message, stack, cause, errors, own enumerable properties), typed arrays, `DataView`,
 *   `ArrayBuffer`, `NDArray`, instances of registered classes, shared references and cycles;
 *   views over one buffer keep sharing one buffer.
 * - left out: symbol-keyed, non-enumerable and inherited properties; a `Map`'s or `Set`'s or
 *   array's own extra properties other than an array's named ones; an object's prototype other
 *   than `Object.prototype` or `null` unless its class is registered.
 * - refused (`ERR_UNSUPPORTED_VALUE`, naming the path): functions, symbols, `WeakMap`, `WeakSet`,
 *   `WeakRef`, `Promise`, detached buffers (also one detached by a getter during the walk),
 *   boxed primitives and every other class instance that is not registered (unless
 *   `unregisteredClass: "plain"`), including subclasses of Array, Map, Set and Error and
 *   objects from another realm.
 * - changed: a `SharedArrayBuffer` is stored as its bytes and comes back as an `ArrayBuffer`; a
 *   Node `Buffer` or other typed-array subclass comes back as its base class; a typed array
 *   that no other value shares a buffer with keeps only its own bytes (its `byteOffset` and
 *   the rest of its buffer are not kept).
 */
import { LimitError, messagePath, NdpackError, shownValue, UnsupportedValueError, type OptionNames } from "../errors.js";
import { DTYPES, NDArray, type TypedArray } from "../ndarray.js";
import { classForPrototype, registryOption, type ClassRegistry } from "./classes.js";
import { ERROR_CLASSES, Tag, TYPED_CLASS_CODE } from "./tags.js";

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
  /** Deepest nesting of arrays, objects, Maps, Sets, errors and class payloads accepted. Default 1000. */
  maxDepth?: number;
  /** Registered classes consulted before the global registry (see `registerClass`). */
  classes?: ClassRegistry;
  /**
   * What to do with an instance of a class that is not registered: `"error"` (default) throws
   * `ERR_UNSUPPORTED_VALUE` naming its path; `"plain"` stores its own enumerable properties as a
   * plain object (it decodes as a plain object).
   */
  unregisteredClass?: "error" | "plain";
  /**
   * Keep shared references and cycles (default true). `false` skips identity tracking, which
   * is a little faster: a shared object is then stored once per reference, and a cycle fails
   * with `ERR_LIMIT` at `maxDepth`.
   */
  references?: boolean;
}

/** The names of {@link GraphEncodeOptions}, for the encoding functions' option checks. */
export const GRAPH_ENCODE_OPTIONS = {
  segmentThresholdBytes: true,
  maxDepth: true,
  classes: true,
  unregisteredClass: true,
  references: true,
} as const satisfies OptionNames<GraphEncodeOptions>;

/** An encoded graph: the manifest bytes and the arrays its segment references point to, in order. */
export interface EncodedGraph {
  manifest: Uint8Array;
  segments: SegmentSource[];
}

/** Default `segmentThresholdBytes`: arrays of 4096 bytes or more become segments. */
export const DEFAULT_SEGMENT_THRESHOLD_BYTES = 4096;
/** Default `maxDepth` of the encoder (the decoder's is the same). */
export const DEFAULT_MAX_DEPTH = 1000;
/** Arrays of at least this many strings, all well-formed, are stored as one HEAP_STRING_LIST. */
const STRING_LIST_MIN = 8;
/** OBJECTs with 1 to this many keys define record shapes (docs/FORMAT.md, "Records"). */
const RECORD_MAX_KEYS = 64;
/** At most this many record shapes per manifest (docs/FORMAT.md, "Records"). */
const MAX_SHAPES = 8192;
/** Arrays this long or longer are sampled for holes to choose the sparse encoding. */
const SPARSE_SAMPLE = 1024;

const utf8 = new TextEncoder();

type PathPart = string | number | { entry: number; key: boolean } | { prop: string };

/** Thrown inside the walk, with the path at the point of failure. */
class PathError extends Error {
  constructor(
    readonly reason: string,
    readonly limit: boolean,
    readonly path: string,
  ) {
    super(reason);
  }
}

/** `$.a.b[3]`-style path of a list of parts. */
function formatPath(parts: readonly PathPart[]): string {
  let out = "$";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string") out += /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
    else if ("entry" in p) out += `<entry ${p.entry} ${p.key ? "key" : "value"}>`;
    else out += `<${p.prop}>`;
  }
  return out;
}

interface ShapeNode {
  id: number;
  next: Map<string, ShapeNode> | undefined;
}

/** A back-reference whose number is known only at the end (numbers follow SHARE marks in stream order). */
interface PendingRef {
  pos: number;
  seq: number;
  /** Id of the object referred to. */
  target: number;
}

/** A typed array, DataView or ArrayBuffer whose encoding waits until every view of its buffer is known. */
interface Pending {
  /** Where in the main stream its encoding goes. */
  pos: number;
  /** Order among insertions at the same position (the object's id). */
  seq: number;
  /** 0 typed array or DataView, 1 ArrayBuffer value, 2 NDArray payload (no class byte). */
  kind: 0 | 1 | 2;
  /** Class code (0 DataView) for views. */
  code: number;
  byteOffset: number;
  byteLength: number;
  elementBytes: number;
  group: BufferGroup;
  /** Path parts where it sits, for an error if its buffer is detached later. */
  path: PathPart[];
}

interface BufferGroup {
  buffer: ArrayBufferLike;
  members: number;
  whole: boolean;
  min: number;
  max: number;
  /** Buffer number once defined in the output, else -1. */
  number: number;
  elementBytes: number;
}

class Encoder {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  /** The string heap (docs/FORMAT.md, "String heap"): the short Latin-1 strings, one byte a code unit, in stream order. */
  private heap: Uint8Array = new Uint8Array(4096);
  private hpos = 0;
  readonly segments: SegmentSource[] = [];
  private depth = 0;
  private readonly threshold: number;
  private readonly maxDepth: number;
  private readonly classes: ClassRegistry | undefined;
  private readonly plainClasses: boolean;
  /**
   * Objects met so far, in the order met (an object's id is its position). A Set until the
   * first object is met twice, which is cheaper than a Map; then a Map from object to id.
   */
  private met: Set<object> | undefined;
  private ids: Map<object, number> | undefined;
  private readonly track: boolean;
  private nextId = 0;
  /** Manifest position where object `id` starts. */
  private readonly starts: number[] = [];
  /** Ids of objects referred to more than once: they get a SHARE mark. */
  private readonly shared = new Set<number>();
  private readonly refs: PendingRef[] = [];
  /** Keys of the current path; entry d is the key under which the value at depth d + 1 sits. */
  private readonly path: PathPart[] = [];
  private readonly shapes: ShapeNode = { id: -1, next: undefined };
  private shapeCount = 0;
  /** Per depth, the key list and shape of the last record written there. */
  private readonly lastKeys: (string[] | undefined)[] = [];
  private readonly lastShape: number[] = [];
  private readonly pending: Pending[] = [];
  private readonly groups = new Map<ArrayBufferLike, BufferGroup>();
  /** Class instances whose payload is being encoded (a reference back to one is refused). */
  private readonly inProgress = new Set<object>();

  constructor(options: GraphEncodeOptions) {
    this.threshold = options.segmentThresholdBytes ?? DEFAULT_SEGMENT_THRESHOLD_BYTES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.classes = registryOption(options.classes);
    this.plainClasses = options.unregisteredClass === "plain";
    if (options.unregisteredClass !== undefined && options.unregisteredClass !== "plain" && options.unregisteredClass !== "error") {
      throw new NdpackError("ERR_INVALID_ARGUMENT", `unregisteredClass must be "error" or "plain", got ${shownValue(options.unregisteredClass)}`);
    }
    this.track = options.references !== false;
    this.met = this.track ? new Set() : undefined;
    if (!(this.threshold >= 0)) throw new NdpackError("ERR_INVALID_ARGUMENT", `segmentThresholdBytes must be >= 0, got ${this.threshold}`);
    if (!(this.maxDepth >= 0)) throw new NdpackError("ERR_INVALID_ARGUMENT", `maxDepth must be >= 0, got ${this.maxDepth}`);
    // Reuse the last call's buffer (the manifest is copied out of it at the end), unless a
    // registered class's encode function is encoding from inside another encode.
    const scratch = spare;
    spare = undefined;
    this.heap = spareHeap ?? this.heap;
    spareHeap = undefined;
    this.buf = scratch ?? new Uint8Array(65536);
    this.view = new DataView(this.buf.buffer);
  }

  /** Gives the buffer back for the next call (only moderately sized ones are kept). */
  release(): void {
    if (this.buf.length <= SPARE_MAX_BYTES && (spare === undefined || spare.length < this.buf.length)) spare = this.buf;
    if (this.heap.length <= SPARE_MAX_BYTES && (spareHeap === undefined || spareHeap.length < this.heap.length)) spareHeap = this.heap;
  }

  // ---- errors -------------------------------------------------------------------------------

  private fail(reason: string, limit = false): never {
    throw new PathError(reason, limit, formatPath(this.path.slice(0, this.depth)));
  }

  // ---- bytes --------------------------------------------------------------------------------

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    if (size > 2 ** 32) {
      if (this.pos + n > 2 ** 32) this.fail(`the manifest would exceed 4 GiB (${this.pos + n} bytes)`, true);
      size = 2 ** 32;
    }
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private growHeap(n: number): void {
    let size = this.heap.length * 2;
    while (size < this.hpos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.heap.subarray(0, this.hpos));
    this.heap = next;
  }

  private byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  private varint(n: number): void {
    this.ensure(8);
    if (n < 0x80) {
      this.buf[this.pos++] = n;
      return;
    }
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

  // ---- strings ------------------------------------------------------------------------------

  /** Writes a string as STRING (UTF-8) or, if it holds a lone surrogate, STRING_UTF16. */
  string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING_MAX) {
      if (this.heapString(s, n)) return;
      // Short strings: a hand loop beats TextEncoder's call overhead, and n * 3 < 128 bytes
      // always fits a one-byte varint length.
      if (this.pos + 2 + n * 3 > this.buf.length) this.grow(2 + n * 3);
      const buf = this.buf;
      const start = this.pos;
      const p = writeShortUtf8(s, buf, start + 2);
      if (p < 0) return this.stringUtf16(s);
      buf[start] = Tag.STRING;
      buf[start + 1] = p - start - 2;
      this.pos = p;
      return;
    }
    if (!s.isWellFormed()) return this.stringUtf16(s);
    this.byte(Tag.STRING);
    this.utf8Body(s);
  }

  /**
   * Writes a short string whose code units are all below 0x100 to the string heap (one byte
   * each: the reader decodes the heap once, as Latin-1, and slices it) and a HEAP_STRING in
   * place. Returns false, having written nothing, for any other string.
   */
  private heapString(s: string, n: number): boolean {
    if (!this.toHeap(s, n)) return false;
    if (this.pos + 2 > this.buf.length) this.grow(2);
    this.buf[this.pos] = Tag.HEAP_STRING;
    this.buf[this.pos + 1] = n;
    this.pos += 2;
    return true;
  }

  /**
   * Appends `s` (`n` code units) to the string heap, one byte a unit, when every unit is below
   * 0x100 and the heap stays under its cap; returns false, the heap unchanged, otherwise.
   */
  private toHeap(s: string, n: number): boolean {
    let p = this.hpos;
    if (p + n > HEAP_MAX_BYTES) return false;
    if (p + n > this.heap.length) this.growHeap(n);
    const heap = this.heap;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) return false;
      heap[p++] = c;
    }
    this.hpos = p;
    return true;
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

  /**
   * HEAP_STRING_LIST: the lengths, each with a flag; words whose code units are all below 0x100
   * go to the string heap (decoded once into a compact one-byte string and sliced), the others
   * to the list's own UTF-8 run. Written optimistically: returns false, having written nothing,
   * when `a` is not a list of well-formed strings without holes.
   */
  private stringList(a: unknown[]): boolean {
    const n = a.length;
    const start = this.pos;
    const heapStart = this.hpos;
    const refuse = () => {
      this.pos = start;
      this.hpos = heapStart;
      return false;
    };
    this.byte(Tag.HEAP_STRING_LIST);
    this.varint(n);
    // One pass reads each element once (a getter runs once). Heap words cannot hold
    // surrogates. For the others, joined at the end, it checks what joining could hide: a word
    // ending in a high surrogate or starting with a low one would pair up with its neighbour;
    // with those excluded, the joined text is well-formed exactly when every word is.
    const own: string[] = [];
    let ownUnits = 0;
    for (let i = 0; i < n; i++) {
      const s = a[i];
      if (typeof s !== "string") return refuse();
      const len = s.length;
      if (this.toHeap(s, len)) {
        this.varint(len * 2);
        continue;
      }
      if (len > 0 && (isLowSurrogate(s.charCodeAt(0)) || isHighSurrogate(s.charCodeAt(len - 1)))) return refuse();
      own.push(s);
      ownUnits += len;
      this.varint(len * 2 + 1);
    }
    if (ownUnits > JOIN_MAX_UNITS) {
      // Too long to join into one string: check and write word by word.
      for (const s of own) if (!s.isWellFormed()) return refuse();
      this.utf8Run(own, ownUnits);
      return true;
    }
    const text = own.join("");
    if (!text.isWellFormed()) return refuse();
    this.utf8Body(text);
    return true;
  }

  /** Varint byte length, then the UTF-8 of the well-formed `parts` one after another. */
  private utf8Run(parts: string[], units: number): void {
    // Reserve the worst case (3 bytes per UTF-16 unit), write, then fix the varint byte length.
    const max = units * 3;
    this.ensure(max + 10);
    const lenAt = this.pos;
    const reserved = varintSize(max);
    const buf = this.buf;
    let p = lenAt + reserved;
    for (const s of parts) p += utf8.encodeInto(s, buf.subarray(p, p + s.length * 3)).written;
    const written = p - lenAt - reserved;
    const needed = varintSize(written);
    if (needed !== reserved) buf.copyWithin(lenAt + needed, lenAt + reserved, p);
    this.varint(written);
    this.pos += written;
  }

  // ---- values -------------------------------------------------------------------------------

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
        return this.bigint(v);
      case "function":
        return this.fail("a function cannot be stored");
      case "symbol":
        return this.fail("a symbol cannot be stored");
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

  private bigint(v: bigint): void {
    const negative = v < 0n;
    let hex = (negative ? -v : v).toString(16);
    if (hex.length % 2) hex = "0" + hex;
    const n = hex === "00" ? 0 : hex.length / 2;
    this.byte(Tag.BIGINT);
    this.byte(negative ? 1 : 0);
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    // Little-endian: the last hex pair is the lowest byte.
    for (let i = 0; i < n; i++) buf[this.pos + i] = parseInt(hex.substr(hex.length - 2 * (i + 1), 2), 16);
    this.pos += n;
  }

  /**
   * Registers `o` for back-references; returns true (after recording a REF) if it was seen
   * before. A REF's number and its target's SHARE mark are written by `finish`.
   */
  private seen(o: object): boolean {
    const met = this.met;
    if (met !== undefined) {
      const n = met.size;
      met.add(o);
      if (met.size !== n) {
        this.nextId++;
        this.starts.push(this.pos);
        return false;
      }
      // The first object met twice: from now on, a Map gives ids.
      const ids = (this.ids = new Map());
      let i = 0;
      for (const x of met) ids.set(x, i++);
      this.met = undefined;
    }
    const ids = this.ids;
    if (ids === undefined) return false;
    const id = ids.get(o);
    if (id === undefined) {
      ids.set(o, this.nextId++);
      this.starts.push(this.pos);
      return false;
    }
    if (this.inProgress.has(o)) this.fail("a registered class instance refers back to itself through its payload; payloads cannot hold cycles through their own instance");
    this.shared.add(id);
    this.refs.push({ pos: this.pos, seq: this.nextId - 0.5, target: id });
    return true;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      this.depth--;
      this.fail(`nesting deeper than maxDepth ${this.maxDepth}`, true);
    }
  }

  private object(v: object): void {
    if (this.seen(v)) return;
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype) return this.plainObject(v as Record<string, unknown>);
    if (proto === Array.prototype) return this.array(v as unknown[]);
    if (ArrayBuffer.isView(v)) return this.arrayView(v);
    if (proto === null) return this.keyedObject(v as Record<string, unknown>, Tag.NULL_PROTO_OBJECT);
    if (proto === Map.prototype) return this.map(v as Map<unknown, unknown>);
    if (proto === Set.prototype) return this.set(v as Set<unknown>);
    if (proto === Date.prototype) return this.date(v as Date);
    if (proto === RegExp.prototype) return this.regexp(v as RegExp);
    if (proto === NDArray.prototype) return this.ndarray(v as NDArray);
    if (proto === ArrayBuffer.prototype || proto === SharedArrayBuffer.prototype) return this.arrayBuffer(v as ArrayBuffer);
    const errorKind = ERROR_CLASSES.findIndex((c) => c.prototype === proto);
    if (errorKind >= 0) return this.error(v as Error, errorKind);
    const entry = classForPrototype(this.classes, proto);
    if (entry !== undefined) return this.classInstance(v, entry.name, entry.encode);
    if (v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise || (typeof WeakRef === "function" && v instanceof WeakRef)) {
      return this.fail(`${Object.prototype.toString.call(v).slice(8, -1)} cannot be stored`);
    }
    const name = typeof proto?.constructor === "function" && proto.constructor.name ? proto.constructor.name : "object";
    if (this.plainClasses && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set)) return this.plainObject(v as Record<string, unknown>);
    return this.fail(`an instance of unregistered class ${name}; register it with registerClass(), or pass unregisteredClass: "plain"`);
  }

  private array(a: unknown[]): void {
    const n = a.length;
    // Named (non-index) own properties: rare, but they must survive.
    const props = namedKeys(a);
    if (props !== undefined) {
      this.byte(Tag.ARRAY_PROPS);
      this.arrayBody(a, n);
      this.props(a as unknown as Record<string, unknown>, props);
      return;
    }
    this.arrayBody(a, n);
  }

  private arrayBody(a: unknown[], n: number): void {
    if (n >= SPARSE_SAMPLE && looksSparse(a, n)) return this.sparseArray(a, n);
    if (n >= STRING_LIST_MIN && typeof a[0] === "string" && this.stringList(a)) return;
    this.enter();
    this.byte(Tag.ARRAY);
    this.varint(n);
    const d = this.depth - 1;
    const path = this.path;
    for (let i = 0; i < n; i++) {
      const item = a[i];
      path[d] = i;
      if (item === undefined && !(i in a)) this.byte(Tag.HOLE);
      else this.value(item);
    }
    this.depth--;
  }

  private sparseArray(a: unknown[], n: number): void {
    this.enter();
    const indices: number[] = [];
    for (const k of Object.keys(a)) {
      const i = arrayIndex(k);
      if (i >= 0) indices.push(i);
    }
    indices.sort((x, y) => x - y);
    this.byte(Tag.SPARSE_ARRAY);
    this.varint(n);
    this.varint(indices.length);
    const d = this.depth - 1;
    for (const i of indices) {
      this.path[d] = i;
      this.varint(i);
      this.value(a[i]);
    }
    this.depth--;
  }

  /** varint count, then (key, value) pairs of named properties. */
  private props(o: Record<string, unknown>, keys: string[]): void {
    this.enter();
    const d = this.depth - 1;
    this.varint(keys.length);
    for (const key of keys) {
      this.path[d] = key;
      this.string(key);
      this.value(o[key]);
    }
    this.depth--;
  }

  private plainObject(o: Record<string, unknown>): void {
    // Objects at one depth often share a shape (rows of a table): try the last one first,
    // with a for-in loop, which allocates nothing (Object.keys makes a new array). for-in lists
    // own keys first, then inherited enumerable ones: if the last key matched is own, all are.
    const depth = this.depth;
    const lastKeys = this.lastKeys[depth];
    if (lastKeys !== undefined) {
      let i = 0;
      let same = true;
      for (const k in o) {
        if (lastKeys[i++] !== k) {
          same = false;
          break;
        }
      }
      if (same && i === lastKeys.length && Object.hasOwn(o, lastKeys[i - 1]!)) return this.record(o, lastKeys, this.lastShape[depth]!);
    }
    const keys = Object.keys(o);
    const n = keys.length;
    if (n > RECORD_MAX_KEYS || n === 0) return this.keyedObjectWith(o, keys, Tag.OBJECT);
    // Find the record shape of this key list in the trie of shapes (adding nodes only while
    // new shapes can still be defined).
    const grow = this.shapeCount < MAX_SHAPES;
    let node: ShapeNode | undefined = this.shapes;
    for (let i = 0; i < n && node !== undefined; i++) {
      let next: Map<string, ShapeNode> | undefined = node.next;
      if (next === undefined) {
        if (!grow) {
          node = undefined;
          break;
        }
        next = node.next = new Map();
      }
      let child = next.get(keys[i]!);
      if (child === undefined && grow) {
        child = { id: -1, next: undefined };
        next.set(keys[i]!, child);
      }
      node = child;
    }
    if (node === undefined || node.id < 0) {
      // First object of its shape: an OBJECT, which defines the shape once its pairs are written.
      this.keyedObjectWith(o, keys, Tag.OBJECT);
      if (node !== undefined && this.shapeCount < MAX_SHAPES) node.id = this.shapeCount++;
      return;
    }
    this.lastKeys[depth] = keys;
    this.lastShape[depth] = node.id;
    this.record(o, keys, node.id);
  }

  private record(o: Record<string, unknown>, keys: string[], shape: number): void {
    const n = keys.length;
    this.byte(Tag.RECORD);
    this.varint(shape);
    this.enter();
    const d = this.depth - 1;
    const path = this.path;
    // Inside for-in, V8 reads o[k] by the enum cache's field index (no keyed lookup). If a
    // getter changes the object meanwhile, the keys stop matching and the rest are read by name.
    let i = 0;
    for (const k in o) {
      if (i === n || k !== keys[i]) break;
      path[d] = k;
      this.value(o[k]);
      i++;
    }
    for (; i < n; i++) {
      const key = keys[i]!;
      path[d] = key;
      this.value(o[key]);
    }
    this.depth--;
  }

  private keyedObject(o: Record<string, unknown>, tag: number): void {
    this.keyedObjectWith(o, Object.keys(o), tag);
  }

  private keyedObjectWith(o: Record<string, unknown>, keys: string[], tag: number): void {
    this.byte(tag);
    this.props(o, keys);
  }

  private map(m: Map<unknown, unknown>): void {
    this.byte(Tag.MAP);
    this.enter();
    const d = this.depth - 1;
    this.varint(m.size);
    let i = 0;
    let written = 0;
    for (const [k, v] of m) {
      this.path[d] = { entry: i, key: true };
      this.value(k);
      this.path[d] = { entry: i++, key: false };
      this.value(v);
      written++;
    }
    if (written !== m.size) this.fail("the Map changed size while it was being stored");
    this.depth--;
  }

  private set(s: Set<unknown>): void {
    this.byte(Tag.SET);
    this.enter();
    const d = this.depth - 1;
    this.varint(s.size);
    let i = 0;
    for (const v of s) {
      this.path[d] = { entry: i++, key: true };
      this.value(v);
    }
    if (i !== s.size) this.fail("the Set changed size while it was being stored");
    this.depth--;
  }

  private date(v: Date): void {
    this.ensure(9);
    this.buf[this.pos] = Tag.DATE;
    this.view.setFloat64(this.pos + 1, v.getTime(), true);
    this.pos += 9;
  }

  private regexp(r: RegExp): void {
    this.byte(Tag.REGEXP);
    this.string(r.source);
    this.string(r.flags);
    this.enter();
    this.path[this.depth - 1] = "lastIndex";
    this.value(r.lastIndex);
    this.depth--;
  }

  private error(e: Error, kind: number): void {
    const keys: string[] = [];
    const attrs: number[] = [];
    for (const k of Object.getOwnPropertyNames(e)) {
      const desc = Object.getOwnPropertyDescriptor(e, k)!;
      if (desc.enumerable) {
        keys.push(k);
        attrs.push(1);
      } else if ((k === "message" || k === "stack" || k === "cause" || k === "name" || k === "errors") && "value" in desc) {
        keys.push(k);
        attrs.push(0);
      }
    }
    this.byte(Tag.ERROR);
    this.byte(kind);
    this.enter();
    const d = this.depth - 1;
    this.varint(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      this.path[d] = k;
      this.byte(attrs[i]!);
      this.string(k);
      this.value((e as unknown as Record<string, unknown>)[k]);
    }
    this.depth--;
  }

  private classInstance(v: object, name: string, encode: (i: object) => unknown): void {
    this.byte(Tag.CLASS);
    this.string(name);
    this.enter();
    this.path[this.depth - 1] = { prop: `${name} payload` };
    this.inProgress.add(v);
    let payload: unknown;
    try {
      payload = encode(v);
    } catch (e) {
      if (e instanceof PathError) throw e;
      this.fail(`the encode function of class ${name} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.value(payload);
    this.inProgress.delete(v);
    this.depth--;
  }

  // ---- arrays of bytes ----------------------------------------------------------------------

  /** Fails when `buffer` is detached (Node 20 has no `ArrayBuffer.prototype.detached`). */
  private checkAttached(buffer: ArrayBufferLike, what: string): void {
    if (isDetached(buffer)) this.fail(`${what} over a detached ArrayBuffer cannot be stored`);
  }

  private group(buffer: ArrayBufferLike, elementBytes: number): BufferGroup {
    let g = this.groups.get(buffer);
    if (g === undefined) {
      g = { buffer, members: 0, whole: false, min: Infinity, max: 0, number: -1, elementBytes };
      this.groups.set(buffer, g);
    }
    return g;
  }

  private addPending(kind: 0 | 1 | 2, code: number, buffer: ArrayBufferLike, byteOffset: number, byteLength: number, elementBytes: number): void {
    const g = this.group(buffer, elementBytes);
    g.members++;
    if (kind === 1) g.whole = true;
    g.min = Math.min(g.min, byteOffset);
    g.max = Math.max(g.max, byteOffset + byteLength);
    this.pending.push({ pos: this.pos, seq: this.nextId - 1, kind, code, byteOffset, byteLength, elementBytes, group: g, path: this.path.slice(0, this.depth) });
  }

  private arrayView(v: ArrayBufferView): void {
    if (v instanceof DataView) {
      this.checkAttached(v.buffer, "a DataView");
      this.addPending(0, 0, v.buffer, v.byteOffset, v.byteLength, 1);
      return;
    }
    const t = v as TypedArray;
    const code = TYPED_CLASS_CODE[t[Symbol.toStringTag]];
    if (code === undefined) return this.fail(`${t[Symbol.toStringTag]} is not supported`);
    this.checkAttached(t.buffer, `a ${t[Symbol.toStringTag]}`);
    this.addPending(0, code, t.buffer, t.byteOffset, t.byteLength, t.BYTES_PER_ELEMENT);
  }

  private ndarray(a: NDArray): void {
    // Its fields are plain properties: check them again, so no file is written that cannot be read.
    try {
      new NDArray(a.data, a.shape, a.dtype);
    } catch (e) {
      this.fail(`inconsistent NDArray: ${(e as Error).message}`);
    }
    this.byte(Tag.NDARRAY);
    this.byte(DTYPES[a.dtype].code);
    this.varint(a.shape.length);
    for (const n of a.shape) this.varint(n);
    const t = a.data;
    if (this.seen(t)) return;
    this.checkAttached(t.buffer, "an NDArray's data");
    this.addPending(2, TYPED_CLASS_CODE[t[Symbol.toStringTag]]!, t.buffer, t.byteOffset, t.byteLength, t.BYTES_PER_ELEMENT);
  }

  private arrayBuffer(b: ArrayBuffer): void {
    this.checkAttached(b, "an ArrayBuffer");
    this.addPending(1, 0, b, 0, b.byteLength, 1);
  }

  private inlineBytes(buffer: ArrayBufferLike, byteOffset: number, byteLength: number): void {
    this.varint(byteLength);
    this.bytes(new Uint8Array(buffer, byteOffset, byteLength));
  }

  private segment(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, typesize: number): number {
    this.segments.push({ buffer, byteOffset, byteLength, typesize });
    return this.segments.length - 1;
  }

  /** Writes a pending array at the current position of the final output. */
  private writePending(p: Pending): void {
    const g = p.group;
    if (g.members === 1) {
      // The only user of its buffer: the classic tags, own bytes only.
      const big = p.byteLength >= this.threshold;
      if (p.kind === 1) {
        this.byte(big ? Tag.ARRAYBUFFER_SEGMENT : Tag.ARRAYBUFFER_INLINE);
      } else if (p.code === 0) {
        this.byte(big ? Tag.DATAVIEW_SEGMENT : Tag.DATAVIEW_INLINE);
      } else {
        this.byte(big ? Tag.TYPED_SEGMENT : Tag.TYPED_INLINE);
        if (p.kind === 0) this.byte(p.code);
      }
      if (big) this.varint(this.segment(g.buffer, p.byteOffset, p.byteLength, p.elementBytes));
      else this.inlineBytes(g.buffer, p.byteOffset, p.byteLength);
      return;
    }
    // Shared buffer: stored once, with the bytes its views span (all of it if it is itself in
    // the graph), starting at a multiple of 8 so every view stays aligned.
    const start = g.whole ? 0 : g.min - (g.min % 8);
    const end = g.whole ? g.buffer.byteLength : g.max;
    if (p.kind === 1) this.byte(Tag.SHARED_ARRAYBUFFER);
    else {
      this.byte(Tag.VIEW);
      this.byte(p.code);
    }
    if (g.number >= 0) {
      this.byte(Tag.BUFFER_REF);
      this.varint(g.number);
    } else {
      g.number = this.bufferCount++;
      if (end - start >= this.threshold) {
        this.byte(g.whole ? Tag.BUFFER_WHOLE_SEGMENT : Tag.ARRAYBUFFER_SEGMENT);
        this.varint(this.segment(g.buffer, start, end - start, g.elementBytes));
      } else {
        this.byte(Tag.ARRAYBUFFER_INLINE);
        this.inlineBytes(g.buffer, start, end - start);
      }
    }
    if (p.kind !== 1) {
      this.varint(p.byteOffset - start);
      this.varint(p.byteLength / p.elementBytes);
    }
  }

  private bufferCount = 0;

  finish(): Uint8Array {
    const pending = this.pending;
    if (pending.length === 0 && this.refs.length === 0 && this.hpos === 0) return this.buf.slice(0, this.pos);
    // A getter may have detached a buffer after its view was met.
    for (const p of pending) {
      if (isDetached(p.group.buffer)) throw new PathError("its ArrayBuffer was detached (by a getter?) while the graph was being stored", false, formatPath(p.path));
    }
    // Everything inserted into the main stream, in stream order: SHARE marks before the objects
    // referred to again, arrays, and REFs. Ties at one position go by object id, then kind.
    type Insert = { pos: number; seq: number; sub: number; item: Pending | PendingRef | number };
    const inserts: Insert[] = [];
    for (const id of this.shared) inserts.push({ pos: this.starts[id]!, seq: id, sub: 0, item: id });
    for (const p of pending) inserts.push({ pos: p.pos, seq: p.seq, sub: 1, item: p });
    for (const r of this.refs) inserts.push({ pos: r.pos, seq: r.seq, sub: 1, item: r });
    inserts.sort((x, y) => x.pos - y.pos || x.seq - y.seq || x.sub - y.sub);
    const main = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(Math.max(65536, main.length + this.hpos + 1024));
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    if (this.hpos > 0) {
      this.byte(Tag.STRING_HEAP);
      this.varint(this.hpos);
      this.bytes(this.heap.subarray(0, this.hpos));
    }
    const numbers = new Map<number, number>();
    let at = 0;
    for (const ins of inserts) {
      this.bytes(main.subarray(at, ins.pos));
      at = ins.pos;
      const item = ins.item;
      if (typeof item === "number") {
        this.byte(Tag.SHARE);
        numbers.set(item, numbers.size);
      } else if ("target" in item) {
        this.byte(Tag.REF);
        this.varint(numbers.get(item.target)!);
      } else this.writePending(item);
    }
    this.bytes(main.subarray(at));
    return this.buf.slice(0, this.pos);
  }
}

const SHORT_STRING_MAX = 42;
/** A string list longer than this (UTF-16 units) is not joined into one string to encode (V8's limit is 2^29 - 24). */
const JOIN_MAX_UNITS = 2 ** 28;

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
/** The string heap stays well below the longest string V8 makes (2^29 - 24 units); later short strings are stored in place. */
const HEAP_MAX_BYTES = 2 ** 28;

/**
 * Writes `s` as UTF-8 into `buf` at `p` (room for 3 bytes per UTF-16 unit is the caller's
 * business): a hand loop, faster than TextEncoder's call for short strings.
 * @returns the position after the bytes, or -1 when `s` holds a lone surrogate
 */
function writeShortUtf8(s: string, buf: Uint8Array, p: number): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) buf[p++] = c;
    else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return -1;
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
  return p;
}
/** Scratch buffers up to this size are kept between calls. */
const SPARE_MAX_BYTES = 64 * 1024 * 1024;
let spare: Uint8Array | undefined;
let spareHeap: Uint8Array | undefined;

/** True when `buffer` is detached. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  const d = (buffer as { detached?: boolean }).detached;
  if (typeof d === "boolean") return d;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** Index of a canonical array-index key ("0", "17"; not "01" or "4294967295"), else -1. */
function arrayIndex(k: string): number {
  const c = k.charCodeAt(0);
  if (c < 48 || c > 57) return -1;
  const n = Number(k);
  return Number.isInteger(n) && n < 4294967295 && String(n) === k ? n : -1;
}

/** The array's own enumerable named (non-index) keys, or undefined when it has none. */
function namedKeys(a: unknown[]): string[] | undefined {
  // V8 lists index keys first, in ascending order, then named keys: if the last key is an
  // index, there are no named ones.
  const keys = Object.keys(a);
  if (keys.length === 0 || arrayIndex(keys[keys.length - 1]!) >= 0) return undefined;
  return keys.filter((k) => arrayIndex(k) < 0);
}

/** Samples up to SPARSE_SAMPLE evenly spaced slots: more than half empty means sparse. */
function looksSparse(a: unknown[], n: number): boolean {
  const step = n / SPARSE_SAMPLE;
  let holes = 0;
  for (let j = 0; j < SPARSE_SAMPLE; j++) {
    if (!(Math.floor(j * step) in a)) holes++;
  }
  return holes * 2 > SPARSE_SAMPLE;
}

/**
 * Encodes `value` into a manifest plus the list of arrays that go out of line.
 * @param value any value the module doc lists as kept
 * @param options threshold, depth limit, classes, references
 * @returns the manifest and the segment sources (they alias `value`'s buffers)
 * @throws NdpackError `ERR_UNSUPPORTED_VALUE` naming the path of a value that cannot be stored;
 *   `ERR_LIMIT` for nesting deeper than `maxDepth`
 * @example
 * const { manifest, segments } = encodeGraph({ a: [1, 2n, new Date(0)] });
 */
export function encodeGraph(value: unknown, options: GraphEncodeOptions = {}): EncodedGraph {
  const enc = new Encoder(options);
  let manifest: Uint8Array;
  try {
    enc.value(value);
    manifest = enc.finish();
    enc.release();
  } catch (e) {
    if (e instanceof PathError) {
      if (e.limit) throw new LimitError(`${messagePath(e.path)}: ${e.reason}`, { path: e.path });
      throw new UnsupportedValueError(e.reason, e.path);
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new LimitError(`nesting too deep for the JavaScript stack; lower maxDepth (${e.message})`, { cause: e });
    }
    throw e;
  }
  return { manifest, segments: enc.segments };
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}
