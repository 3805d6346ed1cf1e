/**
 * `ndpack bench FILE`: runs the benchmark contestants on the user's own `.ndpack`, `.npy` or
 * `.json` file and prints the same table as `npm run bench`.
 *
 * The harness lives in `dist/bench/` and every peer library (msgpackr, cbor-x, apache-arrow...)
 * is imported on demand: a peer that is not installed gets a note in its row instead of a number,
 * and without the harness the command says how to get it.
 */
import type { Command } from "commander";
import { terminalSafe } from "./common.js";

/** Options of the `bench` command. */
interface BenchCommandOptions {
  contestant: string[];
  quick: boolean;
  python: boolean;
  memory: boolean;
  json?: string;
}

/**
 * Adds the `bench FILE` command to `program`.
 *
 * @param program the `ndpack` commander program
 * @example
 * registerBench(program); // ndpack bench vectors.npy --contestant ndpack,msgpackr
 */
export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("time ndpack and other serializers (JSON, v8, msgpackr, cbor-x, Arrow, .npy, Python peers) on FILE (.ndpack, .npy or .json)")
    .argument("<file>", "a .ndpack, .npy or .json file")
    .option("-c, --contestant <name...>", "only contestants whose name contains NAME (repeatable)", [])
    .option("--quick", "fewer runs per contestant", false)
    .option("--no-python", "skip the Python peers (numpy, joblib, blosc, gensim)")
    .option("--memory", "measure the peak memory of each operation in a child process", false)
    .option("--json <out>", "also write the results as JSON")
    .action(async (file: string, o: BenchCommandOptions) => {
      await runBench(file, o);
    });
}

async function runBench(file: string, o: BenchCommandOptions): Promise<void> {
  type Suite = typeof import("../../bench/suite.js");
  type UserData = typeof import("../../bench/userdata.js");
  let suite: Suite;
  let userdata: UserData;
  try {
    // Relative to dist/src/cli/: dist/bench/ (built from the repository's bench/ folder).
    suite = (await import("../../bench/suite.js")) as Suite;
    userdata = (await import("../../bench/userdata.js")) as UserData;
  } catch (e) {
    process.exitCode = 1;
    console.error(`ndpack bench: the benchmark harness is not in this installation (${(e as Error).message.split("\n")[0]}).`);
    console.error("Run it from a checkout of the ndpack repository: npm install && npm run build:ts && node dist/src/cli/main.js bench FILE");
    return;
  }
  const { writeFileSync } = await import("node:fs");
  const ds = userdata.datasetFromFile(file);
  // The file's name and contents reach the table: escaped like inspect's output.
  const log = (s: string) => console.error(terminalSafe(s));
  const result = await suite.runSuite([() => ds], {
    quick: o.quick,
    contestants: o.contestant.flatMap((c) => c.split(",")).filter(Boolean),
    python: o.python,
    memory: o.memory,
    timing: o.quick ? suite.TIMING.quick : suite.TIMING.full,
    log,
    file,
  });
  console.log(terminalSafe(suite.markdown(result, o.memory)));
  if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 1));
}
