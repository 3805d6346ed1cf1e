#!/usr/bin/env node
/**
 * The `ndpack` command. Each subcommand lives in its own module and registers itself on the
 * root program; errors thrown by any of them are printed by `fail` as one line.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { fail } from "./common.js";
import { registerBench } from "./bench.js";
import { addConvert } from "./convert.js";
import { addInspect } from "./inspect.js";
import { addVerify } from "./verify.js";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("ndpack")
  .description("inspect, verify, convert and benchmark .ndpack files")
  .version(version)
  .option("--debug", "print stack traces with errors")
  .configureOutput({ outputError: (text, write) => write(`ndpack: ERR_INVALID_ARGUMENT: ${text.replace(/^error: /, "")}`) })
  .addHelpText("after", "\nExample:\n  $ ndpack inspect model.ndpack\n  $ ndpack verify model.ndpack\n  $ ndpack convert model.safetensors model.ndpack --compress lz4\n  $ ndpack bench model.ndpack\n");
// `ndpack inspect big.ndpack | head`: a reader that stops early ends the output, not in an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" ? process.exit(0) : fail(e)));

addInspect(program);
addVerify(program);
addConvert(program);
registerBench(program);

program.parseAsync().catch((e: unknown) => fail(e, program.opts().debug === true));
