/**
 * Registered class codecs: how instances of user classes are stored without a file ever naming
 * code to run. A file holds only a registered name and a payload (an ordinary graph value);
 * decoding looks the name up in a registry and calls the `decode` function registered under it,
 * or fails with `ERR_CORRUPT` when there is none.
 */
import { NdpackError, shownValue } from "../errors.js";

/** How one class is stored: a name that goes into the file, and a pair of functions. */
export interface ClassCodec<T extends object = object, P = unknown> {
  /** Name written into the file; unique within a registry. 1 to 255 bytes of UTF-8. */
  name: string;
  /**
   * Turns an instance into a payload: any value ndpack can store (it may refer to other values
   * of the graph; shared references and cycles among them are kept, but a payload cannot refer
   * back to the instance it describes).
   */
  encode(instance: T): P;
  /** Builds an instance from the decoded payload. */
  decode(payload: P): T;
}

/** A constructor function (any class). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T extends object = object> = abstract new (...args: any[]) => T;

interface Entry {
  readonly name: string;
  readonly encode: (instance: object) => unknown;
  readonly decode: (payload: unknown) => object;
}

/**
 * A set of class codecs, looked up by exact prototype when encoding (a subclass of a registered
 * class is not registered by that) and by name when decoding.
 *
 * Pass one as the `classes` option of `encode`/`decode`/`dump`/`load`; the global registry
 * (see {@link registerClass}) is consulted after it.
 *
 * @example
 * const classes = new ClassRegistry();
 * classes.register(Point, { name: "Point", encode: (p) => [p.x, p.y], decode: ([x, y]) => new Point(x, y) });
 * const back = decode(encode(new Point(1, 2), { classes }), { classes });
 */
export class ClassRegistry {
  private readonly byProto = new Map<object, Entry>();
  private readonly byName = new Map<string, Entry>();

  /**
   * Registers `ctor`'s instances under `codec.name`.
   * @param ctor the class; its instances are recognised by `Object.getPrototypeOf(x) === ctor.prototype`
   * @param codec name, encode and decode
   * @returns this registry
   * @throws NdpackError `ERR_INVALID_ARGUMENT` for a bad name, or a name or class already registered here
   */
  register<T extends object, P>(ctor: Constructor<T>, codec: ClassCodec<T, P>): this {
    if (typeof ctor !== "function" || typeof ctor.prototype !== "object" || ctor.prototype === null) {
      throw new NdpackError("ERR_INVALID_ARGUMENT", "registerClass needs a class (a constructor with a prototype object)");
    }
    const { name } = codec;
    if (typeof name !== "string" || name.length === 0 || new TextEncoder().encode(name).length > 255) {
      throw new NdpackError("ERR_INVALID_ARGUMENT", `class name must be 1 to 255 bytes of UTF-8, got ${JSON.stringify(name)}`);
    }
    if (typeof codec.encode !== "function" || typeof codec.decode !== "function") {
      throw new NdpackError("ERR_INVALID_ARGUMENT", `class ${name}: encode and decode must be functions`);
    }
    if (this.byName.has(name)) throw new NdpackError("ERR_INVALID_ARGUMENT", `class name ${JSON.stringify(name)} is already registered`);
    if (this.byProto.has(ctor.prototype)) throw new NdpackError("ERR_INVALID_ARGUMENT", `class ${ctor.name} is already registered`);
    const entry: Entry = {
      name,
      encode: codec.encode as (i: object) => unknown,
      decode: codec.decode as (p: unknown) => object,
    };
    this.byProto.set(ctor.prototype, entry);
    this.byName.set(name, entry);
    return this;
  }

  /** Removes the registration of `ctor` (and its name). Returns whether there was one. */
  unregister(ctor: Constructor): boolean {
    const e = this.byProto.get(ctor.prototype);
    if (!e) return false;
    this.byProto.delete(ctor.prototype);
    this.byName.delete(e.name);
    return true;
  }

  /** @internal the entry for instances whose prototype is `proto`. */
  forPrototype(proto: object): Entry | undefined {
    return this.byProto.get(proto);
  }

  /** @internal the entry registered under `name`. */
  forName(name: string): Entry | undefined {
    return this.byName.get(name);
  }
}

/** The global registry, consulted after the `classes` option. */
export const globalClasses = new ClassRegistry();

/**
 * Registers a class in the global registry, for every `encode`/`decode`/`dump`/`load` call.
 * @param ctor the class
 * @param codec name written into files, encode (instance to payload), decode (payload to instance)
 * @returns nothing
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for a bad or duplicate name or class
 * @example
 * registerClass(Vec2, { name: "app.Vec2", encode: (v) => [v.x, v.y], decode: ([x, y]) => new Vec2(x, y) });
 */
export function registerClass<T extends object, P>(ctor: Constructor<T>, codec: ClassCodec<T, P>): void {
  globalClasses.register(ctor, codec);
}

/** Looks up by prototype in `local` then the global registry. */
export function classForPrototype(local: ClassRegistry | undefined, proto: object): Entry | undefined {
  return local?.forPrototype(proto) ?? globalClasses.forPrototype(proto);
}

/** Looks up by name in `local` then the global registry. */
export function classForName(local: ClassRegistry | undefined, name: string): Entry | undefined {
  return local?.forName(name) ?? globalClasses.forName(name);
}

/**
 * The `classes` option, checked: a {@link ClassRegistry} or undefined.
 * @throws NdpackError `ERR_INVALID_ARGUMENT` for anything else (it would fail only once a
 *   class instance is met, as a TypeError)
 */
export function registryOption(classes: unknown): ClassRegistry | undefined {
  if (classes === undefined || classes instanceof ClassRegistry) return classes;
  throw new NdpackError("ERR_INVALID_ARGUMENT", `classes must be a ClassRegistry (new ClassRegistry()), got ${shownValue(classes)}`);
}
