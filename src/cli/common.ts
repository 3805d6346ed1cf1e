/**
 * What every `ndpack` command shares: the error line, the progress bar, byte formatting and
 * option parsers. A command throws; `main` catches once and calls {@link fail}. A command that
 * reports on data (`inspect`, `verify`) prints to stdout, with `--json` for the same content as
 * JSON; errors and progress go to stderr.
 */
import { InvalidArgumentError } from "commander";
import cliProgress, { type SingleBar } from "cli-progress";
import { isNdpackError } from "../errors.js";
import type { Progress } from "../segment/container.js";

/** Exit status of a failed command or of a file that did not verify. */
export const EXIT_FAILURE = 1;

/** How long work runs before a progress bar appears, in milliseconds. */
export const PROGRESS_DELAY_MS = 1000;

let activeBar: SingleBar | null = null;

/**
 * Text from a file made safe for a terminal: characters a terminal would act on or hide rather
 * than show become `\uXXXX` escapes. That is C0 and C1 controls (ESC starts colour and cursor
 * sequences; U+009B is the 8-bit sequence introducer), bidirectional overrides, and zero-width,
 * filler and tag characters that could disguise a name. Line breaks are kept unless `oneLine`.
 * JSON stays valid: JSON.stringify already escapes C0, and the escapes are JSON's.
 * @param text output that may hold text from a file (strings, keys, names, file names)
 * @param oneLine escape line breaks too (error lines)
 * @returns the text with those characters escaped
 */
export function terminalSafe(text: string, oneLine = false): string {
  return text.replace(oneLine ? UNSAFE_ONE_LINE : UNSAFE, (c) => c.split("").map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""));
}

const UNSAFE_CLASS = "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff9-\\ufffb";
/** One unsafe character, or a tag character (U+E0000-E007F, a surrogate pair). */
const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]|\\udb40[\\udc00-\\udc7f]`, "g");
const UNSAFE_ONE_LINE = new RegExp(`[\\n${UNSAFE_CLASS}]|\\udb40[\\udc00-\\udc7f]`, "g");

/**
 * Prints `err` as one line, `ndpack: ERR_CODE: message`, to stderr and exits with
 * {@link EXIT_FAILURE}. Errors that are not ndpack errors print their class name in place of a
 * code. Clears a progress bar first.
 *
 * @param err anything thrown
 * @param debug also print the stack trace (and causes)
 * @returns never: the process exits
 * @example
 * program.parseAsync().catch((e) => fail(e, program.opts().debug));
 */
export function fail(err: unknown, debug = false): never {
  activeBar?.stop();
  activeBar = null;
  const code = isNdpackError(err) ? err.code : err instanceof Error ? err.name : "Error";
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`ndpack: ${code}: ${terminalSafe(message, true)}\n`);
  if (debug && err instanceof Error) process.stderr.write(terminalSafe(`${err.stack}\n${err.cause ? `cause: ${(err.cause as Error).stack ?? err.cause}\n` : ""}`));
  process.exit(EXIT_FAILURE);
}

/**
 * A progress callback for `dump`, `load` and `verify` that draws a bar on stderr, only when
 * stderr is a terminal and only once the work has run for {@link PROGRESS_DELAY_MS}: quick
 * work and piped output show nothing. The bar clears itself when `doneBytes` reaches
 * `totalBytes`.
 *
 * @param label what is happening, e.g. `"verify"`
 * @returns the `onProgress` callback
 * @example
 * verify(file, { onProgress: progressBar("verify") });
 */
export function progressBar(label: string): (p: Progress) => void {
  const started = Date.now();
  const enabled = process.stderr.isTTY === true;
  let bar: SingleBar | null = null;
  return ({ doneBytes, totalBytes, path }) => {
    if (!enabled) return;
    const payload = { done: formatBytes(doneBytes), size: formatBytes(totalBytes), path: path ?? "" };
    if (!bar && doneBytes < totalBytes && Date.now() - started >= PROGRESS_DELAY_MS) {
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${label} {bar} {percentage}% | {done} / {size} | {path}`, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(totalBytes, doneBytes, payload);
      activeBar = bar;
    } else bar?.update(doneBytes, payload);
    if (bar && doneBytes >= totalBytes) {
      bar.stop();
      bar = activeBar = null;
    }
  };
}

/**
 * A byte count for people: `512 B`, `20.7 kB`, `136.6 MB` (powers of 1000, like `ls --si`).
 * @param n bytes
 * @returns the count with one decimal and a unit
 * @example
 * formatBytes(136_591_600); // "136.6 MB"
 */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `n` bytes spelled out, with the rounded size after it when that says something new: `"1536 B (1.5 kB)"`, `"533 B"`. */
export function bytesText(n: number): string {
  const short = formatBytes(n);
  return short === `${n} B` ? short : `${n} B (${short})`;
}

/**
 * Commander option parser for a non-negative integer.
 * @param value the option's text
 * @returns the integer
 * @throws InvalidArgumentError (commander prints it as a usage error)
 * @example
 * cmd.option("--max-children <n>", "children listed per array or object", parseCount, 20);
 */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/** `1 segment`, `2 segments`: a count with its noun. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
