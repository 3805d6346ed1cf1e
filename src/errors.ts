/**
 * One tagged error family for everything ndpack throws on purpose.
 *
 * Every error carries a stable string `code` (listed in {@link ErrorCode}); messages say what
 * was expected versus what was found, in units. Tell errors apart with {@link isNdpackError},
 * which works across realms and duplicate package copies because it checks a registered symbol,
 * not `instanceof` (the approach of js-bson and zarrita.js).
 */

/** Stable error codes. Never renamed once released; new ones may be added. */
export type ErrorCode =
  /** The input ends before a declared structure does (`incomplete` is true). */
  | "ERR_TRUNCATED"
  /** The input is not an ndpack file (wrong magic bytes). */
  | "ERR_BAD_MAGIC"
  /** The file's major version is newer than this reader understands. */
  | "ERR_UNSUPPORTED_VERSION"
  /** A structure inside the file contradicts itself or the file (bad offsets, unknown tags). */
  | "ERR_CORRUPT"
  /** A stored checksum does not match the bytes. */
  | "ERR_CHECKSUM"
  /** A declared size, depth or count exceeds a configured limit. */
  | "ERR_LIMIT"
  /** A value cannot be encoded (function, symbol, unregistered class...). */
  | "ERR_UNSUPPORTED_VALUE"
  /** A function was called with arguments it cannot accept. */
  | "ERR_INVALID_ARGUMENT"
  /** A foreign file (npy, npz, safetensors, word2vec) uses a feature ndpack refuses or lacks. */
  | "ERR_UNSUPPORTED_FORMAT"
  /** The operating system refused a read, write, rename or map. */
  | "ERR_IO";

const BRAND = Symbol.for("ndpack.error");

/** Extra context an error may carry. */
export interface NdpackErrorDetails {
  /** Byte offset in the input where the problem was found. */
  offset?: number;
  /** Graph path of the value concerned, e.g. `$.model.layers[3]`. */
  path?: string;
  /** Index of the chunk concerned inside its segment. */
  chunk?: number;
  /** Index of the segment concerned. */
  segment?: number;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * Base class of every error ndpack throws on purpose.
 *
 * @example
 * try { decode(bytes) } catch (e) { if (isNdpackError(e, "ERR_TRUNCATED")) retryLater() }
 */
export class NdpackError extends Error {
  readonly code: ErrorCode;
  /** True when more input could make the data valid (it was cut short). */
  readonly incomplete: boolean;
  readonly offset?: number;
  readonly path?: string;
  readonly chunk?: number;
  readonly segment?: number;

  constructor(code: ErrorCode, message: string, details: NdpackErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.incomplete = code === "ERR_TRUNCATED";
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.path !== undefined) this.path = details.path;
    if (details.chunk !== undefined) this.chunk = details.chunk;
    if (details.segment !== undefined) this.segment = details.segment;
  }

  override get name(): string {
    return "NdpackError";
  }

  get [BRAND](): true {
    return true;
  }
}

/** Input ended early: `incomplete` is true and `code` is `ERR_TRUNCATED`. */
export class TruncatedError extends NdpackError {
  constructor(message: string, details?: NdpackErrorDetails) {
    super("ERR_TRUNCATED", message, details);
  }
}

/** Corrupt data (`ERR_CORRUPT`, or `ERR_CHECKSUM` when a checksum disagrees). */
export class CorruptError extends NdpackError {
  constructor(message: string, details?: NdpackErrorDetails, code: "ERR_CORRUPT" | "ERR_CHECKSUM" = "ERR_CORRUPT") {
    super(code, message, details);
  }
}

/** A declared size or depth is over a limit (`ERR_LIMIT`). */
export class LimitError extends NdpackError {
  constructor(message: string, details?: NdpackErrorDetails) {
    super("ERR_LIMIT", message, details);
  }
}

/** A value that cannot be stored (`ERR_UNSUPPORTED_VALUE`); `path` names where it sits. */
export class UnsupportedValueError extends NdpackError {
  constructor(message: string, path: string) {
    super("ERR_UNSUPPORTED_VALUE", `${messagePath(path)}: ${message}`, { path });
  }
}

/** Paths longer than this many characters are shortened in messages (`details.path` keeps all). */
const MESSAGE_PATH_MAX = 160;

/**
 * A path as messages show it: whole when short; else its start and end around the number of
 * characters left out, so 1,000 levels of nesting do not make a 3 KB message.
 * @param path a `$.a.b[3]`-style path
 */
export function messagePath(path: string): string {
  if (path.length <= MESSAGE_PATH_MAX) return path;
  const keep = MESSAGE_PATH_MAX / 2;
  return `${path.slice(0, keep)}…(${path.length - 2 * keep} characters)…${path.slice(-keep)}`;
}

/**
 * True when `err` is an ndpack error (of the given `code`, if one is passed).
 * @param err anything caught
 * @param code optional code to match
 */
export function isNdpackError(err: unknown, code?: ErrorCode): err is NdpackError {
  if (typeof err !== "object" || err === null || (err as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (err as NdpackError).code === code;
}

const NAMES_FILE = Symbol("ndpack.namesFile");

/** Marks `e` as one whose message names its file already, so file readers add no prefix. @internal */
export function markNamesFile<E extends NdpackError>(e: E): E {
  Object.defineProperty(e, NAMES_FILE, { value: true });
  return e;
}

/**
 * `e`, when it is an NdpackError whose message does not name the file yet, with `path` at the
 * start of its message ("glove.ndpack: $.vectors: segment 0 chunk 2: checksum ..."): a program
 * loading many files can tell which one is bad. Anything else passes through as it is.
 */
export function namingFile(e: unknown, path: string): unknown {
  if (e instanceof NdpackError && !(NAMES_FILE in e)) {
    e.message = `${path}: ${e.message}`;
    markNamesFile(e);
  }
  return e;
}

/**
 * Wraps an operating-system error (from `fs`) as `ERR_IO`, keeping it as `cause`; its message
 * names `path` once. Node's own message ends with the system call and its paths ("ENOENT: no
 * such file or directory, open 'x'"): that tail is dropped, as it repeats the path or names a
 * hidden temporary file (`cause` keeps it).
 */
export function ioError(action: string, path: string, cause: unknown): NdpackError {
  let reason = cause instanceof Error ? cause.message : String(cause);
  const syscall = (cause as { syscall?: unknown } | null)?.syscall;
  if (typeof syscall === "string") {
    const tail = reason.lastIndexOf(`, ${syscall} '`);
    if (tail > 0) reason = reason.slice(0, tail);
  }
  return markNamesFile(new NdpackError("ERR_IO", `${action} ${path}: ${reason}`, { cause }));
}

/**
 * `v` as an error message shows a wrong argument: strings quoted, at most about 80 characters,
 * and never a throw of its own (a BigInt, a Symbol or a cycle would make JSON.stringify or a
 * template literal throw).
 * @param v any value a caller passed
 * @returns a short description, e.g. `"yes"`, `10n`, `[1,2]`, `Symbol(x)`, `new Number(5)`
 */
export function shownValue(v: unknown): string {
  let text: string;
  switch (typeof v) {
    case "bigint":
      text = `${v}n`;
      break;
    case "symbol":
      text = v.toString();
      break;
    case "function":
      return "a function";
    case "string":
      text = JSON.stringify(v);
      break;
    case "object":
      // A boxed primitive (new Number(5)) would show as {} through JSON.
      if (v instanceof Number || v instanceof String || v instanceof Boolean) {
        text = `new ${v.constructor.name}(${shownValue(v.valueOf())})`;
        break;
      }
      try {
        text = JSON.stringify(v) ?? String(v);
      } catch {
        return Array.isArray(v) ? "an array" : "an object";
      }
      break;
    default:
      text = String(v);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The option names a function takes, as `{ name: true, ... } satisfies OptionNames<T>`: the
 * compiler then checks the list against the options type `T`, so a name missing from it or not
 * in `T` is a type error.
 */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Checks that `options` is an options object (or undefined) whose property names are all among
 * `names` (a misspelt option would otherwise be ignored without a word, as Python refuses an
 * unexpected keyword argument), that each named limit in it is a non-negative number (integer
 * or Infinity) and each flag (`mmap`, `copy`, ...) a boolean when given.
 *
 * Options are read as properties, so the names checked are every name a read can reach:
 * own keys, enumerable or not, and those of every prototype (a class instance's getters) up to
 * `Object.prototype`. An array, Map, Date or other built-in object is refused: its
 * entries or contents would not be read as options.
 * @param names the options `fn` takes (see {@link OptionNames})
 * @throws NdpackError `ERR_INVALID_ARGUMENT`, naming an unknown option and the known ones
 */
export function checkOptions(options: unknown, fn: string, names: Readonly<Record<string, true>>, limits: readonly string[] = []): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: options must be an object, got ${options === null ? "null" : typeof options}`);
  }
  let kind: string;
  try {
    kind = Object.prototype.toString.call(options).slice(8, -1);
  } catch (e) {
    // A revoked Proxy: it has no properties to read.
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: options cannot be read (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  if (kind !== "Object") throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: options must be a plain object, got ${/^[AEIOU]/.test(kind) ? "an" : "a"} ${kind}`);
  let depth = 0;
  for (let o: object | null = options; o !== null && !isObjectPrototype(o); o = Object.getPrototypeOf(o) as object | null) {
    // A Proxy can make the chain endless; real options objects sit a few prototypes deep.
    if (++depth > MAX_OPTIONS_PROTOTYPES) throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: options have a prototype chain over ${MAX_OPTIONS_PROTOTYPES} deep`);
    for (const key of Object.getOwnPropertyNames(o)) {
      if (Object.hasOwn(names, key) || (key === "constructor" && o !== options)) continue;
      const known = Object.keys(names);
      const takes = known.length ? `it takes ${known.join(", ")}` : "it takes none";
      throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: unknown option ${shownValue(key)}; ${takes}`);
    }
  }
  for (const name of limits) {
    const v = (options as Record<string, unknown>)[name];
    if (v !== undefined && !(typeof v === "number" && v >= 0 && (Number.isInteger(v) || v === Infinity))) {
      throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: ${name} must be a non-negative integer, got ${shownValue(v)}`);
    }
  }
  for (const name of BOOLEAN_OPTIONS) {
    const v = (options as Record<string, unknown>)[name];
    if (v !== undefined && typeof v !== "boolean") throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: ${name} must be true or false, got ${shownValue(v)}`);
  }
  const cb = (options as Record<string, unknown>).onProgress;
  if (cb !== undefined && typeof cb !== "function") throw new NdpackError("ERR_INVALID_ARGUMENT", `${fn}: onProgress must be a function`);
}

/** How many objects of an options object's prototype chain checkOptions reads before refusing it. */
const MAX_OPTIONS_PROTOTYPES = 32;

/**
 * Whether `o` is `Object.prototype`, of this realm or another (a `vm` context's): the end of a
 * plain object's chain, whose own names (`toString`, ...) are not options. Another realm's is
 * known by its `constructor`: a built-in function named Object whose `prototype` (which no
 * code can reassign) is `o`. An object made to look like it otherwise is still checked.
 */
function isObjectPrototype(o: object): boolean {
  if (o === Object.prototype) return true;
  const ctor: unknown = Object.getOwnPropertyDescriptor(o, "constructor")?.value;
  return typeof ctor === "function" && ctor.name === "Object" && ctor.prototype === o && NATIVE_CODE.test(Function.prototype.toString.call(ctor));
}
const NATIVE_CODE = /\{\s*\[native code\]\s*\}$/;

/** The options of encode, decode, dump and load that are flags: a string such as "yes" is a mistake, not true. */
const BOOLEAN_OPTIONS = ["checksum", "verify", "copy", "fsync", "mmap", "references", "binary", "zip64"] as const;
