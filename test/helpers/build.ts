/**
 * Vitest global setup: compiles the package once per run, before any test file starts, so that
 * the suites spawning the built `ndpack` bin (cli, convert) never see `dist/` half rewritten by
 * another file's build running in parallel.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: join(import.meta.dirname, "../.."), stdio: "inherit" });
}
