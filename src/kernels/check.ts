/**
 * Argument checks shared by both kernel implementations, so that they throw the same errors.
 */
import { NdpackError } from "../errors.js";

/**
 * Checks the arguments of a filter kernel (shuffle, bitshuffle, delta).
 * @param kernel name of the kernel, for the message
 * @param src input bytes
 * @param dst output bytes; must hold at least `src.length` bytes
 * @param typesize element size in bytes; an integer in 1..255, and one of `allowed` if given
 * @param allowed the only typesizes the kernel accepts, or undefined for any 1..255
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when the typesize or the output length is wrong
 */
export function checkFilterArgs(
  kernel: string,
  src: Uint8Array,
  dst: Uint8Array,
  typesize: number,
  allowed?: readonly number[],
): void {
  const ok = Number.isInteger(typesize) && typesize >= 1 && typesize <= 255 && (allowed === undefined || allowed.includes(typesize));
  if (!ok) {
    const expected = allowed === undefined ? "an integer in 1..255" : allowed.join(", ");
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: typesize must be ${expected}, got ${typesize}`);
  }
  checkOutputLength(kernel, src.length, dst.length, "bytes");
}

/**
 * Checks that an output can hold as many items as the input has.
 * @param kernel name of the kernel, for the message
 * @param srcLength input length (in `unit`)
 * @param dstLength output length (in `unit`)
 * @param unit "bytes" or "elements"
 * @throws {NdpackError} `ERR_INVALID_ARGUMENT` when `dstLength < srcLength`
 */
export function checkOutputLength(kernel: string, srcLength: number, dstLength: number, unit: "bytes" | "elements"): void {
  if (dstLength < srcLength) {
    throw new NdpackError("ERR_INVALID_ARGUMENT", `${kernel}: output holds ${dstLength} ${unit}, input has ${srcLength}`);
  }
}

/** Typesizes the delta filter accepts. */
export const DELTA_TYPESIZES: readonly number[] = [1, 2, 4, 8];
