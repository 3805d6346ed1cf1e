/**
 * A manifest walker: reads the tagged graph encoding (docs/FORMAT.md, "Manifest") without
 * building values or touching segment bytes, to describe a file (`inspect`) and to name the graph
 * path of each segment (progress, `verify`). A tag it does not know (from a newer minor version)
 * ends the walk gracefully: the node shows the tag and the walk reports where it stopped, since
 * the length of an unknown value cannot be known.
 */
import { CorruptError, LimitError, TruncatedError } from "./errors.js";
import { Tag, TYPED_CLASSES } from "./graph/tags.js";
import { dtypeFromCode } from "./ndarray.js";

/** What a manifest node holds. */
export type NodeKind =
  | "null" | "undefined" | "boolean" | "number" | "string" | "string[]" | "array" | "object"
  | "ndarray" | "typedarray" | "arraybuffer" | "dataview" | "hole" | "unknown";

/** One value of the graph, as the manifest describes it. */
export interface ManifestNode {
  /** Graph path, e.g. `$.model.layers[2].weight`. */
  path: string;
  kind: NodeKind;
  /** Scalars: the value; strings: at most {@link STRING_PREVIEW} UTF-16 units of it. */
  value?: string | number | boolean | null;
  /** Strings: UTF-16 length; arrays and string lists: element count; objects: key count. */
  length?: number;
  /** n-d arrays: the dtype; typed arrays: the class name (`Float32Array`). */
  dtype?: string;
  /** n-d arrays: the shape; typed arrays, ArrayBuffer and DataView: `[length]`. */
  shape?: number[];
  /** Arrays stored out of line: the segment number. */
  segment?: number;
  /** Arrays stored inside the manifest: their byte length. */
  inlineBytes?: number;
  /** Unknown values: the tag byte. */
  tag?: number;
  /** Arrays and objects: the first `maxChildren` children. */
  children?: ManifestNode[];
  /** Arrays and objects: how many children are not listed. */
  more?: number;
}

/** Options of {@link walkManifest}. */
export interface WalkOptions {
  /** Build the tree (otherwise only segment paths are collected). Default true. */
  tree?: boolean;
  /** Children listed per array or object; the rest are counted in `more`. Default 20. */
  maxChildren?: number;
  /** Deepest nesting accepted. Default 1000. */
  maxDepth?: number;
}

/** What a walk found. */
export interface ManifestWalk {
  /** The root value; undefined when not building the tree. */
  root?: ManifestNode;
  /** Graph path of each segment, by segment number; undefined for segments the walk did not reach. */
  segmentPaths: (string | undefined)[];
  /** Set when the walk stopped early at a value it does not know: where and why. */
  stopped?: string;
}

/** Longest string value a node keeps, in UTF-16 units. */
export const STRING_PREVIEW = 60;

/** Ends a walk at an unknown tag, carrying the partial node of each level it unwinds through. */
class Stop {
  constructor(
    readonly reason: string,
    public node?: ManifestNode,
  ) {}
}

const utf8 = new TextDecoder();

class Walker {
  private pos = 0;
  private depth = 0;
  readonly segmentPaths: (string | undefined)[];

  constructor(
    private readonly buf: Uint8Array,
    private readonly segmentRawBytes: readonly number[],
    private readonly tree: boolean,
    private readonly maxChildren: number,
    private readonly maxDepth: number,
  ) {
    this.segmentPaths = new Array<string | undefined>(segmentRawBytes.length).fill(undefined);
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.buf.length - this.pos) {
      throw new TruncatedError(`manifest offset ${this.pos}: ${what} declares ${n} bytes, ${this.buf.length - this.pos} remain`);
    }
  }

  private u8(): number {
    this.need(1, "a value");
    return this.buf[this.pos++]!;
  }

  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new CorruptError(`manifest offset ${this.pos}: varint longer than 8 bytes`);
  }

  private skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  private utf8(n: number): string {
    this.need(n, "a string");
    const s = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  /** Skips a UTF-16LE string of `units` code units and returns its first `keep` units. */
  private utf16(units: number, keep: number): string {
    this.need(units * 2, "a UTF-16 string");
    let s = "";
    for (let i = 0; i < Math.min(units, keep); i++) s += String.fromCharCode(this.buf[this.pos + 2 * i]! | (this.buf[this.pos + 2 * i + 1]! << 8));
    this.pos += units * 2;
    return s;
  }

  /** Walks one value at `path`; returns its node (a throwaway one when not building the tree). */
  value(path: string): ManifestNode {
    const at = this.pos;
    const tag = this.u8();
    if (tag >= Tag.FIXINT) return { path, kind: "number", value: tag - Tag.FIXINT };
    switch (tag) {
      case Tag.NULL:
        return { path, kind: "null", value: null };
      case Tag.UNDEFINED:
        return { path, kind: "undefined" };
      case Tag.FALSE:
      case Tag.TRUE:
        return { path, kind: "boolean", value: tag === Tag.TRUE };
      case Tag.INT32: {
        this.need(4, "an int32");
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getInt32(0, true);
        this.pos += 4;
        return { path, kind: "number", value: v };
      }
      case Tag.FLOAT64: {
        this.need(8, "a float64");
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return { path, kind: "number", value: v };
      }
      case Tag.STRING: {
        const s = this.utf8(this.varint());
        return { path, kind: "string", value: s.slice(0, STRING_PREVIEW), length: s.length };
      }
      case Tag.STRING_UTF16: {
        const units = this.varint();
        return { path, kind: "string", value: this.utf16(units, STRING_PREVIEW), length: units };
      }
      case Tag.STRING_LIST: {
        const n = this.varint();
        this.need(n, "a string list");
        for (let i = 0; i < n; i++) this.varint();
        this.skip(this.varint(), "a string list's text");
        return { path, kind: "string[]", length: n };
      }
      case Tag.ARRAY:
        return this.children(path, "array", (i) => `${path}[${i}]`, () => undefined);
      case Tag.OBJECT:
        return this.children(path, "object", (_, key) => path + formatKey(key!), () => this.key());
      case Tag.TYPED_INLINE:
      case Tag.TYPED_SEGMENT: {
        const code = this.u8();
        const ctor = TYPED_CLASSES[code];
        if (!ctor) throw new CorruptError(`manifest offset ${this.pos - 1}: unknown typed array class ${code}`);
        const { byteLength, where } = this.bytes(path, tag === Tag.TYPED_SEGMENT);
        return { path, kind: "typedarray", dtype: ctor.name, shape: [byteLength / ctor.BYTES_PER_ELEMENT], ...where };
      }
      case Tag.ARRAYBUFFER_INLINE:
      case Tag.ARRAYBUFFER_SEGMENT: {
        const { byteLength, where } = this.bytes(path, tag === Tag.ARRAYBUFFER_SEGMENT);
        return { path, kind: "arraybuffer", shape: [byteLength], ...where };
      }
      case Tag.DATAVIEW_INLINE:
      case Tag.DATAVIEW_SEGMENT: {
        const { byteLength, where } = this.bytes(path, tag === Tag.DATAVIEW_SEGMENT);
        return { path, kind: "dataview", shape: [byteLength], ...where };
      }
      case Tag.NDARRAY: {
        const code = this.u8();
        const dt = dtypeFromCode(code);
        if (!dt) throw new CorruptError(`manifest offset ${this.pos - 1}: unknown dtype code ${code}`);
        const rank = this.varint();
        this.need(rank, "an n-d array shape");
        const shape: number[] = [];
        for (let i = 0; i < rank; i++) shape.push(this.varint());
        const payload = this.u8();
        if (payload !== Tag.TYPED_INLINE && payload !== Tag.TYPED_SEGMENT) {
          throw new CorruptError(`manifest offset ${this.pos - 1}: n-d array payload has tag 0x${hex2(payload)}`);
        }
        return { path, kind: "ndarray", dtype: dt.name, shape, ...this.bytes(path, payload === Tag.TYPED_SEGMENT).where };
      }
      default: {
        throw new Stop(`unknown tag 0x${hex2(tag)} at manifest offset ${at} (${path})`, { path, kind: "unknown", tag });
      }
    }
  }

  private key(): string {
    const tag = this.u8();
    if (tag === Tag.STRING) return this.utf8(this.varint());
    if (tag === Tag.STRING_UTF16) {
      const units = this.varint();
      return this.utf16(units, units);
    }
    this.pos--;
    throw new Stop(`object key with tag 0x${hex2(tag)} at manifest offset ${this.pos}`);
  }

  private children(
    path: string,
    kind: "array" | "object",
    childPath: (i: number, key?: string) => string,
    readKey: () => string | undefined,
  ): ManifestNode {
    if (++this.depth > this.maxDepth) throw new LimitError(`manifest offset ${this.pos}: nesting deeper than maxDepth ${this.maxDepth}`);
    const n = this.varint();
    this.need(n, `an ${kind}`);
    const node: ManifestNode = { path, kind, length: n, children: [] };
    const children = node.children!;
    try {
      for (let i = 0; i < n; i++) {
        const key = readKey();
        let child: ManifestNode;
        if (kind === "array" && this.buf[this.pos] === Tag.HOLE) {
          this.pos++;
          child = { path: childPath(i), kind: "hole" };
        } else child = this.value(childPath(i, key));
        if (this.tree && children.length < this.maxChildren) children.push(child);
      }
    } catch (e) {
      // Keep the partial tree: this node, with the child being walked when the walk stopped.
      if (e instanceof Stop) {
        if (this.tree && e.node && children.length < this.maxChildren) children.push(e.node);
        if (n > children.length) node.more = n - children.length;
        e.node = node;
      }
      throw e;
    }
    if (n > children.length) node.more = n - children.length;
    this.depth--;
    return node;
  }

  /** Inline bytes or a segment reference: the byte length, and where the bytes are. */
  private bytes(path: string, inSegment: boolean): { byteLength: number; where: { inlineBytes: number } | { segment: number } } {
    if (!inSegment) {
      const n = this.varint();
      this.skip(n, "inline bytes");
      return { byteLength: n, where: { inlineBytes: n } };
    }
    const at = this.pos;
    const segment = this.varint();
    if (segment >= this.segmentRawBytes.length) {
      throw new CorruptError(`manifest offset ${at}: segment ${segment} referenced; the file has ${this.segmentRawBytes.length}`);
    }
    this.segmentPaths[segment] = path;
    return { byteLength: this.segmentRawBytes[segment]!, where: { segment } };
  }
}

/**
 * Walks a manifest without decoding arrays or reading segments.
 *
 * @param manifest the manifest bytes (not mutated)
 * @param segmentRawBytes raw byte size of each segment, by segment number
 * @param options what to collect
 * @returns the tree (unless `tree: false`), each segment's graph path, and where the walk
 *   stopped if it met a tag it does not know (the tree then ends with a node of kind `"unknown"`)
 * @throws NdpackError `ERR_TRUNCATED`, `ERR_CORRUPT`, `ERR_LIMIT` on a malformed manifest
 * @example
 * const { segmentPaths } = walkManifest(container.manifest, container.segments.map((d) => d.rawBytes), { tree: false });
 */
export function walkManifest(manifest: Uint8Array, segmentRawBytes: readonly number[], options: WalkOptions = {}): ManifestWalk {
  const tree = options.tree ?? true;
  const w = new Walker(manifest, segmentRawBytes, tree, options.maxChildren ?? 20, options.maxDepth ?? 1000);
  try {
    const root = w.value("$");
    if (w.offset !== manifest.length) throw new CorruptError(`manifest offset ${w.offset}: ${manifest.length - w.offset} bytes follow the root value`);
    return tree ? { root, segmentPaths: w.segmentPaths } : { segmentPaths: w.segmentPaths };
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { ...(tree ? { root: e.node } : {}), segmentPaths: w.segmentPaths, stopped: e.reason };
  }
}

/** A path step for an object key: `.name` for identifiers, `["a key"]` otherwise. */
function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
