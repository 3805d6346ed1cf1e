import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ndpack-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The error thrown by `fn`, or a failure if it returns. */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}

export { randomBytes } from "./helpers/kernels.js";

/** Backend names to test: both, or "js" alone when the suite runs without WebAssembly. */
export const backendNames: ("wasm" | "js")[] = typeof globalThis.WebAssembly === "object" ? ["wasm", "js"] : ["js"];
