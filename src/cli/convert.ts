/**
 * `ndpack convert IN OUT`: one file format to another (`.ndpack`, `.npy`, `.npz`,
 * `.safetensors`, word2vec, GloVe), by {@link convert}; formats come from the extensions or
 * `--format-in`/`--format-out`. Prints one summary line on stdout.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { CONVERT_FORMATS, convert } from "../interop/convert.js";
import { MAX_CHUNK_BYTES } from "../format.js";
import type { FilterName } from "../segment/pipeline.js";
import { bytesText, progressBar } from "./common.js";

/** A parser for `--chunk-bytes` and `--level`: an integer in the range the encoder takes, so the usage error says which. */
function integerFrom(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}

const HELP = `
Formats (by extension, or --format-in / --format-out):
  ndpack         .ndpack       any value
  npy            .npy          one array: the .ndpack root is the NDArray (or a typed array)
  npz            .npz          the .ndpack root is a plain object of NDArrays (key = member name)
  safetensors    .safetensors  the same, plus "__metadata__": { string: string } when present
  word2vec       .bin          binary word2vec: the .ndpack root is { words, vectors }
  word2vec-text  .vec, .txt    text word2vec (a "count dim" header line); other keys are ignored
  glove          .glove.txt    GloVe text (no header line)
An input .txt is word2vec text when its first line is "count dim", GloVe otherwise; an output
.txt is word2vec text. Two foreign formats convert when they hold the same kind of data.

Example:
  $ ndpack convert vectors.bin vectors.ndpack --compress lz4 --filters shuffle
  $ ndpack convert model.safetensors model.npz
  $ ndpack convert words.txt words.ndpack --format-in glove
`;

/** Commander parser for a comma-separated list. */
function parseList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Adds the `convert` command to `program`.
 * @param program the root command
 * @returns the `convert` command
 * @example
 * addConvert(program);
 */
export function addConvert(program: Command): Command {
  return program
    .command("convert")
    .description("convert between .ndpack, .npy, .npz, .safetensors, word2vec and GloVe files (written atomically)")
    .argument("<in>", "file to read")
    .argument("<out>", "file to write (replaced if it exists)")
    .option("--compress <codec>", ".ndpack output: none or lz4; .npz output: none or deflate")
    .option("--filters <list>", ".ndpack output: comma-separated filters before the codec (shuffle, bitshuffle, delta)", parseList)
    .option("--chunk-bytes <n>", ".ndpack output: raw bytes per chunk, 64 to 67108864 (default 524288)", integerFrom(64, MAX_CHUNK_BYTES))
    .option("--level <n>", ".ndpack output with --compress: compression level, 1 (fastest) to 9 (smallest; default), as blosc's clevel", integerFrom(1, 9))
    .addOption(new Option("--format-in <format>", "format of <in>, instead of its extension's").choices(CONVERT_FORMATS))
    .addOption(new Option("--format-out <format>", "format of <out>, instead of its extension's").choices(CONVERT_FORMATS))
    .addHelpText("after", HELP)
    .action(
      async (
        input: string,
        output: string,
        opts: { compress?: string; filters?: string[]; chunkBytes?: number; level?: number; formatIn?: (typeof CONVERT_FORMATS)[number]; formatOut?: (typeof CONVERT_FORMATS)[number] },
      ) => {
        const info = await convert(input, output, {
          ...opts,
          filters: opts.filters as FilterName[] | undefined,
          onProgress: progressBar("convert"),
        });
        process.stdout.write(`${input} (${info.formatIn}) -> ${output} (${info.formatOut}): ${bytesText(info.bytes)}\n`);
      },
    );
}
