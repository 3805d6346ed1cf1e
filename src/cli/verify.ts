/**
 * `ndpack verify FILE`: checks every checksum and decodes every chunk; exits non-zero naming
 * each bad chunk by graph path, segment and chunk index.
 */
import type { Command } from "commander";
import { isNdpackError } from "../errors.js";
import { verify, type VerifyReport } from "../verify.js";
import { EXIT_FAILURE, formatBytes, plural, progressBar, terminalSafe } from "./common.js";

/**
 * Adds the `verify` command to `program`.
 * @param program the root command
 * @returns the `verify` command
 * @example
 * addVerify(program);
 */
export function addVerify(program: Command): Command {
  return program
    .command("verify")
    .description("check every checksum and decode every chunk; exit status 1 when anything is bad")
    .argument("<file>", "an .ndpack file")
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExample:\n  $ ndpack verify glove.ndpack && echo intact\n")
    .action((file: string, opts: { json?: boolean }) => {
      let report: VerifyReport;
      try {
        report = verify(file, { onProgress: progressBar("verify") });
      } catch (e) {
        // With --json, a file that cannot be read as ndpack at all still gets a JSON verdict
        // on stdout (and the usual error line on stderr).
        if (opts.json && isNdpackError(e)) process.stdout.write(terminalSafe(JSON.stringify({ file, ok: false, error: { code: e.code, message: e.message } }, null, 2) + "\n"));
        throw e;
      }
      if (opts.json) process.stdout.write(terminalSafe(JSON.stringify(report, null, 2) + "\n"));
      else {
        process.stderr.write(terminalSafe(renderFailures(report)));
        process.stdout.write(terminalSafe(renderSummary(report)));
      }
      if (!report.ok) process.exitCode = EXIT_FAILURE;
    });
}

/**
 * One line per bad chunk, in the `ndpack: ERR_CODE: message` form of errors.
 * @param report from `verify`
 * @returns lines ending in a newline, or `""` when nothing is bad
 * @example
 * process.stderr.write(renderFailures(verify("a.ndpack")));
 */
export function renderFailures(report: VerifyReport): string {
  let out = report.manifestProblem ? `ndpack: ERR_CORRUPT: manifest: ${report.manifestProblem}\n` : "";
  for (const s of report.segments) {
    const where = s.path ? `${s.path} (segment ${s.segment})` : `segment ${s.segment}`;
    for (const f of s.failures) out += `ndpack: ${f.code}: ${where} chunk ${f.chunk}: ${f.message}\n`;
  }
  return out;
}

/**
 * The verdict: intact or not, what was checked and what could not be.
 * @param report from `verify`
 * @returns lines ending in a newline
 * @example
 * process.stdout.write(renderSummary(verify("a.ndpack")));
 */
export function renderSummary(report: VerifyReport): string {
  const count = (status: string) => report.segments.filter((s) => s.status === status).length;
  const bad = count("bad");
  const unchecked = count("not checksummed");
  const file = terminalSafe(report.file, true); // one line, whatever the name holds
  const lines = [
    report.manifestProblem
      ? `${file}: NOT LOADABLE: the manifest uses a tag this version does not know${bad ? `; ${bad} of ${report.segments.length} segments have bad chunks` : ""}`
      : bad
      ? `${file}: CORRUPT: ${bad} of ${report.segments.length} segments have bad chunks`
      : `${file}: ${unchecked ? "no errors found" : "intact"}: ${plural(count("ok"), "segment")} verified (${formatBytes(report.verifiedBytes)}), manifest and index checksums ok`,
  ];
  if (unchecked) {
    lines.push(
      `${plural(unchecked, "segment")} (${formatBytes(report.uncheckedBytes)}) not checksummed: stored raw without checksums (write with checksum: true or compress: "lz4" to have them checked)`,
    );
  }
  return lines.join("\n") + "\n";
}
