/**
 * Manifest tags: the first byte of every encoded value (docs/FORMAT.md, "Manifest").
 * Tags 0x80-0xFF are small non-negative integers 0-127 stored in the tag byte itself.
 */
export const Tag = {
  NULL: 0x00,
  UNDEFINED: 0x01,
  FALSE: 0x02,
  TRUE: 0x03,
  /** int32, 4 bytes. */
  INT32: 0x04,
  /** float64, 8 bytes. */
  FLOAT64: 0x05,
  /** u8 sign (0 non-negative, 1 negative), varint byte count, magnitude bytes little-endian. */
  BIGINT: 0x06,
  /** varint byte length, UTF-8 bytes. */
  STRING: 0x08,
  /** varint code-unit count, UTF-16LE code units (strings with lone surrogates). */
  STRING_UTF16: 0x09,
  /** varint count, count varint UTF-16 lengths, varint byte length, the strings' UTF-8 concatenated (written by earlier versions; still read). */
  STRING_LIST: 0x0a,
  /** Only as the manifest's first byte: varint byte length, the string heap: Latin-1, one byte a UTF-16 code unit (the text of every HEAP_STRING, in stream order). */
  STRING_HEAP: 0x0b,
  /** varint UTF-16 length n: the next n code units of the string heap. */
  HEAP_STRING: 0x0c,
  /** varint count n, n varint (units << 1 | own), then varint byte length and UTF-8: an array of strings; a word with own = 0 is the next run of the string heap, with own = 1 the next run of the list's UTF-8 text. */
  HEAP_STRING_LIST: 0x0d,
  /** An array slot that holds nothing (a hole in a sparse array). */
  HOLE: 0x0f,
  /** varint length, then that many values. */
  ARRAY: 0x10,
  /** varint count, then count (key, value) pairs; keys are STRING or STRING_UTF16 values. */
  OBJECT: 0x11,
  /** u8 class code, varint byte length, the bytes. */
  TYPED_INLINE: 0x12,
  /** u8 class code, varint segment number. */
  TYPED_SEGMENT: 0x13,
  /** varint byte length, the bytes. */
  ARRAYBUFFER_INLINE: 0x14,
  /** varint segment number. */
  ARRAYBUFFER_SEGMENT: 0x15,
  /** varint byte length, the bytes. */
  DATAVIEW_INLINE: 0x16,
  /** varint segment number. */
  DATAVIEW_SEGMENT: 0x17,
  /** u8 dtype code, varint rank, rank varint extents, then a TYPED_INLINE or TYPED_SEGMENT payload without its class byte. */
  NDARRAY: 0x18,
  /** varint reference number: the same object as the one that followed the n-th SHARE mark (0-based). */
  REF: 0x19,
  /** varint shape number (shapes are defined by OBJECTs of 1 to 64 keys, in the order they end), then one value per key of that shape. */
  RECORD: 0x1b,
  /** Marks the next value, an object, as referred to again by REF; it gets the next reference number. */
  SHARE: 0x1f,
  /** An object with a null prototype: as OBJECT. */
  NULL_PROTO_OBJECT: 0x1c,
  /** varint length, varint count, count (varint index, value) pairs with strictly increasing indices. */
  SPARSE_ARRAY: 0x1d,
  /** An ARRAY, SPARSE_ARRAY or STRING_LIST value, then varint count, count (key, value) pairs: named properties. */
  ARRAY_PROPS: 0x1e,
  /** float64 time value, 8 bytes (NaN for an invalid date). */
  DATE: 0x20,
  /** source (string value), flags (string value), then the lastIndex value. */
  REGEXP: 0x21,
  /** u8 kind, varint count, count (u8 attributes, key, value) properties; attribute bit 0 = enumerable. */
  ERROR: 0x22,
  /** varint count, count (key, value) pairs of values. */
  MAP: 0x23,
  /** varint count, count values. */
  SET: 0x24,
  /** Registered class instance: name (string value), then the payload value. */
  CLASS: 0x25,
  /** View of a shared buffer: u8 class (0 DataView), a buffer, varint byteOffset, varint length (elements). */
  VIEW: 0x26,
  /** Inside VIEW or SHARED_ARRAYBUFFER: varint buffer number of a buffer defined earlier. */
  BUFFER_REF: 0x27,
  /** An ArrayBuffer that views also use: a buffer (ARRAYBUFFER_INLINE, ARRAYBUFFER_SEGMENT or BUFFER_REF). */
  SHARED_ARRAYBUFFER: 0x28,
  /** Inside VIEW or SHARED_ARRAYBUFFER: varint segment number; the buffer is exactly the segment's bytes (a fresh ArrayBuffer). */
  BUFFER_WHOLE_SEGMENT: 0x29,
  /** Values 0x80-0xFF: the integer (tag - 0x80). */
  FIXINT: 0x80,
} as const;

/** Typed array class codes (docs/FORMAT.md, "Typed array classes"). Index = code. */
export const TYPED_CLASSES = [
  undefined,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
] as const;

/** Class code of a typed array, from its Symbol.toStringTag (subclasses such as Buffer count as their base). */
export const TYPED_CLASS_CODE: Readonly<Record<string, number>> = {
  Int8Array: 1,
  Uint8Array: 2,
  Uint8ClampedArray: 3,
  Int16Array: 4,
  Uint16Array: 5,
  Int32Array: 6,
  Uint32Array: 7,
  BigInt64Array: 8,
  BigUint64Array: 9,
  Float32Array: 10,
  Float64Array: 11,
};

/** Error kinds of the ERROR tag (docs/FORMAT.md, "Error kinds"). Index = kind. */
export const ERROR_CLASSES = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError] as const;
