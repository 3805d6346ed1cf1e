/**
 * Describes a file's graph without touching segment bytes, to show a file (`inspect`) and to
 * name the graph path of each segment (progress, `verify`). The manifest grammar is not repeated
 * here: the manifest is decoded by the graph decoder in describe mode (`describeGraph`), where
 * segment-backed values come back as small stubs, and this module walks the resulting values.
 *
 * Paths (also in docs/FORMAT.md, "Graph paths"):
 * - `$` is the root; `.name` an object key that is an identifier, `["a key"]` any other key;
 * - `[3]` an array element (also a run of holes, starting at that index);
 * - `.get("a")` the value of a Map entry whose key is a primitive (`.get(1)`, `.get(2n)`,
 *   `.get(null)`...); for a key that is an object, `.keys()[i]` is the key and `.values()[i]` the
 *   value of the i-th entry;
 * - `.values()[i]` the i-th member of a Set;
 * - `<payload>` the payload of a registered class instance.
 *
 * An object met again (a shared reference, or a cycle) is listed once, at its first path; later
 * occurrences are nodes of kind `"ref"` whose `value` is that first path.
 */
import { ClassStub, describeGraph, NDArrayStub, SegmentStub } from "./graph/decode.js";
import { NDArray } from "./ndarray.js";

/** What a manifest node holds. */
export type NodeKind =
  | "null" | "undefined" | "boolean" | "number" | "bigint" | "string" | "string[]" | "array" | "object"
  | "map" | "set" | "date" | "regexp" | "error" | "class" | "ref"
  | "ndarray" | "typedarray" | "arraybuffer" | "dataview" | "hole" | "unknown";

/** One value of the graph, as the manifest describes it. */
export interface ManifestNode {
  /** Graph path, e.g. `$.model.layers[2].weight` (notation: see the module comment of `walk.ts`). */
  path: string;
  kind: NodeKind;
  /**
   * Scalars: the value; strings: at most {@link STRING_PREVIEW} UTF-16 units of it; bigints: the
   * decimal digits; dates: the ISO string (or `"Invalid Date"`); regexps: `/source/flags`;
   * errors: the class name; class instances: the registered name; refs: the first path.
   */
  value?: string | number | boolean | null;
  /**
   * Strings: UTF-16 length; arrays and string lists: element count; objects and errors: key count;
   * Maps and Sets: size; holes: the run's length when more than 1.
   */
  length?: number;
  /** Arrays with named properties: how many (they are listed after the elements). */
  properties?: number;
  /** Objects with a null prototype. */
  nullPrototype?: true;
  /** n-d arrays: the dtype; typed arrays: the class name (`Float32Array`). */
  dtype?: string;
  /** n-d arrays: the shape; typed arrays, ArrayBuffer and DataView: `[length]`. */
  shape?: number[];
  /** Arrays stored out of line: the segment number. */
  segment?: number;
  /** Views of a shared buffer stored out of line: the view's first byte in the segment. */
  byteOffset?: number;
  /** Views of a shared buffer stored out of line: the view's byte length. */
  byteLength?: number;
  /** Arrays stored inside the manifest: their byte length. */
  inlineBytes?: number;
  /** Unknown values: the tag byte. */
  tag?: number;
  /** Containers: the first `maxChildren` children. */
  children?: ManifestNode[];
  /** Containers: how many children are not listed. */
  more?: number;
}

/** Options of {@link walkManifest}. */
export interface WalkOptions {
  /** Build the tree (otherwise only segment paths are collected). Default true. */
  tree?: boolean;
  /** Children listed per container; the rest are counted in `more`. Default 20. */
  maxChildren?: number;
  /** Deepest nesting accepted. Default 1000. */
  maxDepth?: number;
}

/** What a walk found. */
export interface ManifestWalk {
  /** The root value; undefined when not building the tree, or when the walk stopped. */
  root?: ManifestNode;
  /**
   * Graph path of each segment, by segment number (for a buffer shared by views, the first
   * view's path); undefined for segments the walk did not reach.
   */
  segmentPaths: (string | undefined)[];
  /** Set when the manifest holds a tag this version does not know: where. */
  stopped?: string;
}

/** Longest string value a node keeps, in UTF-16 units. */
export const STRING_PREVIEW = 60;

type Emit = (node: ManifestNode) => void;

class GraphWalker {
  /** First path of every object met. */
  private readonly seen = new Map<object, string>();
  readonly segmentPaths: (string | undefined)[];

  constructor(
    segmentCount: number,
    private readonly stringLists: WeakSet<object>,
    private readonly tree: boolean,
    private readonly maxChildren: number,
  ) {
    this.segmentPaths = new Array<string | undefined>(segmentCount).fill(undefined);
  }

  node(v: unknown, path: string): ManifestNode {
    switch (typeof v) {
      case "undefined":
        return { path, kind: "undefined" };
      case "boolean":
        return { path, kind: "boolean", value: v };
      case "number":
        return { path, kind: "number", value: v };
      case "bigint":
        return { path, kind: "bigint", value: v.toString() };
      case "string":
        return { path, kind: "string", value: v.slice(0, STRING_PREVIEW), length: v.length };
      case "object":
        if (v === null) return { path, kind: "null", value: null };
        break;
      default:
        return { path, kind: "unknown" };
    }
    const first = this.seen.get(v);
    if (first !== undefined) return { path, kind: "ref", value: first };
    this.seen.set(v, path);
    return this.object(v, path);
  }

  private object(v: object, path: string): ManifestNode {
    if (v instanceof SegmentStub) return { path, ...this.stub(v, path) };
    if (v instanceof NDArrayStub) {
      if (!this.seen.has(v.data)) this.seen.set(v.data, `${path}.data`);
      const { kind: _, dtype: __, shape: ___, ...where } = this.stub(v.data, path);
      return { path, kind: "ndarray", dtype: v.dtype, shape: v.shape, ...where };
    }
    if (v instanceof NDArray) {
      if (!this.seen.has(v.data)) this.seen.set(v.data, `${path}.data`);
      return { path, kind: "ndarray", dtype: v.dtype, shape: [...v.shape], inlineBytes: v.data.byteLength };
    }
    if (ArrayBuffer.isView(v)) {
      const isDataView = v instanceof DataView;
      const dtype = isDataView ? undefined : (v as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
      const length = isDataView ? v.byteLength : (v as unknown as { length: number }).length;
      return { path, kind: isDataView ? "dataview" : "typedarray", ...(dtype ? { dtype } : {}), shape: [length], inlineBytes: v.byteLength };
    }
    if (v instanceof ArrayBuffer) return { path, kind: "arraybuffer", shape: [v.byteLength], inlineBytes: v.byteLength };
    if (v instanceof ClassStub) {
      return this.container({ path, kind: "class", value: v.name }, 1, (emit) => emit(this.node(v.payload, `${path}<payload>`)));
    }
    if (v instanceof Date) return { path, kind: "date", value: Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString() };
    if (v instanceof RegExp) return { path, kind: "regexp", value: String(v) };
    if (v instanceof Map) return this.map(v, path);
    if (v instanceof Set) {
      return this.container({ path, kind: "set", length: v.size }, v.size, (emit) => {
        let i = 0;
        for (const m of v) emit(this.node(m, `${path}.values()[${i++}]`));
      });
    }
    if (Array.isArray(v)) return this.array(v, path);
    if (v instanceof Error) {
      const keys = Object.getOwnPropertyNames(v);
      const rec = v as unknown as Record<string, unknown>;
      const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name ?? "Error";
      return this.container({ path, kind: "error", value: name, length: keys.length }, keys.length, (emit) => {
        for (const k of keys) emit(this.node(rec[k], path + formatKey(k)));
      });
    }
    const keys = Object.keys(v);
    const rec = v as Record<string, unknown>;
    const node: ManifestNode = { path, kind: "object", length: keys.length };
    if (Object.getPrototypeOf(v) === null) node.nullPrototype = true;
    return this.container(node, keys.length, (emit) => {
      for (const k of keys) emit(this.node(rec[k], path + formatKey(k)));
    });
  }

  /** A segment stub's node fields; records the segment's path. */
  private stub(s: SegmentStub, path: string): Omit<ManifestNode, "path"> {
    this.segmentPaths[s.segment] ??= path;
    return {
      kind: s.kind,
      ...(s.kind === "typedarray" ? { dtype: s.type } : {}),
      shape: [s.length],
      segment: s.segment,
      ...(s.byteOffset === undefined ? {} : { byteOffset: s.byteOffset, byteLength: s.byteLength }),
    };
  }

  private map(m: Map<unknown, unknown>, path: string): ManifestNode {
    let count = 0;
    for (const k of m.keys()) count += isPrimitive(k) ? 1 : 2;
    return this.container({ path, kind: "map", length: m.size }, count, (emit) => {
      let i = 0;
      for (const [k, val] of m) {
        if (isPrimitive(k)) emit(this.node(val, `${path}.get(${literal(k)})`));
        else {
          emit(this.node(k, `${path}.keys()[${i}]`));
          emit(this.node(val, `${path}.values()[${i}]`));
        }
        i++;
      }
    });
  }

  private array(a: unknown[], path: string): ManifestNode {
    const keys = Object.keys(a);
    let indices = 0;
    while (indices < keys.length && isIndex(keys[indices]!)) indices++;
    const properties = keys.length - indices;
    if (this.stringLists.has(a)) {
      const node: ManifestNode = { path, kind: "string[]", length: a.length };
      if (!properties) return node;
      node.properties = properties;
      return this.container(node, properties, (emit) => {
        for (let j = indices; j < keys.length; j++) emit(this.node((a as unknown as Record<string, unknown>)[keys[j]!], path + formatKey(keys[j]!)));
      });
    }
    // Children: each element, each run of holes, each named property.
    let items = properties;
    let next = 0;
    for (let j = 0; j < indices; j++) {
      const at = Number(keys[j]);
      if (at > next) items++;
      items++;
      next = at + 1;
    }
    if (a.length > next) items++;
    const node: ManifestNode = { path, kind: "array", length: a.length };
    if (properties) node.properties = properties;
    return this.container(node, items, (emit) => {
      const hole = (from: number, to: number) => emit(to - from > 1 ? { path: `${path}[${from}]`, kind: "hole", length: to - from } : { path: `${path}[${from}]`, kind: "hole" });
      let next = 0;
      for (let j = 0; j < indices; j++) {
        const at = Number(keys[j]);
        if (at > next) hole(next, at);
        emit(this.node(a[at], `${path}[${at}]`));
        next = at + 1;
      }
      if (a.length > next) hole(next, a.length);
      for (let j = indices; j < keys.length; j++) emit(this.node((a as unknown as Record<string, unknown>)[keys[j]!], path + formatKey(keys[j]!)));
    });
  }

  /** Fills `node`'s children (all are walked, for segment paths; the first `maxChildren` kept). */
  private container(node: ManifestNode, count: number, each: (emit: Emit) => void): ManifestNode {
    const children: ManifestNode[] = [];
    each((child) => {
      if (this.tree && children.length < this.maxChildren) children.push(child);
    });
    if (this.tree) node.children = children;
    if (count > children.length) node.more = count - children.length;
    return node;
  }
}

/**
 * Walks a manifest without reading segments: decodes it in describe mode (segment-backed arrays
 * are stubs, nothing sized by a segment is allocated) and walks the values.
 *
 * @param manifest the manifest bytes (not mutated)
 * @param segmentRawBytes raw byte size of each segment, by segment number
 * @param options what to collect
 * @returns the tree (unless `tree: false`), each segment's graph path, and, if the manifest holds
 *   a tag this version does not know, where (there is no tree nor segment path then)
 * @throws NdpackError `ERR_TRUNCATED`, `ERR_CORRUPT`, `ERR_LIMIT` on a malformed manifest
 * @example
 * const { segmentPaths } = walkManifest(container.manifest, container.segments.map((d) => d.rawBytes), { tree: false });
 */
export function walkManifest(manifest: Uint8Array, segmentRawBytes: readonly number[], options: WalkOptions = {}): ManifestWalk {
  const tree = options.tree ?? true;
  const described = describeGraph(manifest, segmentRawBytes, options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth });
  const w = new GraphWalker(segmentRawBytes.length, described.stringLists, tree, options.maxChildren ?? 20);
  if (described.stopped) {
    const { tag, offset } = described.stopped;
    return { segmentPaths: w.segmentPaths, stopped: `unknown tag 0x${hex2(tag)} at manifest offset ${offset}` };
  }
  const root = w.node(described.root, "$");
  return tree ? { root, segmentPaths: w.segmentPaths } : { segmentPaths: w.segmentPaths };
}

/** A path step for an object key: `.name` for identifiers, `["a key"]` otherwise. */
function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function isPrimitive(v: unknown): boolean {
  return v === null || (typeof v !== "object" && typeof v !== "function");
}

/** A primitive Map key as a JavaScript literal. */
function literal(k: unknown): string {
  if (typeof k === "string") return JSON.stringify(k);
  if (typeof k === "bigint") return `${k}n`;
  return String(k);
}

function isIndex(k: string): boolean {
  const n = Number(k);
  return Number.isInteger(n) && n >= 0 && n < 4294967295 && String(n) === k;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
