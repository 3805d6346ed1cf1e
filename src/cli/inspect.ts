/**
 * `ndpack inspect FILE`: the graph as an indented tree with every array's dtype, shape and
 * storage, and a summary; `--json` prints the {@link InspectReport} itself.
 */
import type { Command } from "commander";
import { inspect, type InspectReport, type SegmentInfo } from "../inspect.js";
import type { ManifestNode } from "../walk.js";
import { bytesText, parseCount, plural, terminalSafe } from "./common.js";

/**
 * Adds the `inspect` command to `program`.
 * @param program the root command
 * @returns the `inspect` command
 * @example
 * addInspect(program);
 */
export function addInspect(program: Command): Command {
  return program
    .command("inspect")
    .description("show a file's graph, and each array's dtype, shape and storage, without reading array bytes")
    .argument("<file>", "an .ndpack file")
    .option("--json", "print the report as JSON")
    .option("--max-children <n>", "children listed per array or object", parseCount, 20)
    .addHelpText("after", "\nExample:\n  $ ndpack inspect glove.ndpack --max-children 5\n  $ ndpack inspect glove.ndpack --json | jq '.segments[0]'\n")
    .action((file: string, opts: { json?: boolean; maxChildren: number }) => {
      const report = inspect(file, { maxChildren: opts.maxChildren });
      process.stdout.write(terminalSafe(opts.json ? JSON.stringify(report, null, 2) + "\n" : renderInspect(report)));
    });
}


/**
 * The text form of an inspect report: a header line, the tree, a summary.
 * @param report from `inspect`
 * @returns lines ending in a newline
 * @example
 * process.stdout.write(renderInspect(inspect("a.ndpack")));
 */
export function renderInspect(report: InspectReport): string {
  // The file name on one line: a name may hold a line break.
  const lines = [`${terminalSafe(report.file, true)}: ndpack format ${report.version}, ${bytesText(report.fileBytes)}`];
  const walk = (node: ManifestNode, depth: number) => {
    const indent = "  ".repeat(depth);
    lines.push(`${indent}${node.path}  ${describe(node, report.segments)}`);
    for (const child of node.children ?? []) walk(child, depth + 1);
    if (node.more) lines.push(`${indent}  ... ${node.more} more`);
  };
  if (report.root) walk(report.root, 0);
  if (report.stopped) lines.push(`walk stopped: ${report.stopped}; this file may come from a newer ndpack`);
  const { checksums: c } = report;
  lines.push(
    `${plural(report.segments.length, "segment")}: raw ${bytesText(report.rawBytes)}, stored ${bytesText(report.storedBytes)}, ratio ${ratio(report.rawBytes, report.storedBytes)}`,
    `checksums: manifest ${c.manifest} (${report.manifestBytes} B), index ${c.index} (${report.indexBytes} B); ` +
      `${plural(c.checksummedSegments, "segment")} checksummed (run ndpack verify to check them), ${c.uncheckedSegments} not checksummed`,
  );
  return lines.join("\n") + "\n";
}

function describe(node: ManifestNode, segments: SegmentInfo[]): string {
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  switch (node.kind) {
    case "object":
      return `object${node.nullPrototype ? " (null prototype)" : ""}, ${n(node.length!, "key", "keys")}`;
    case "array":
      return `array, ${n(node.length!, "item", "items")}${node.properties ? ` + ${n(node.properties, "named property", "named properties")}` : ""}`;
    case "string[]":
      return `string[${node.length}]${node.properties ? ` + ${n(node.properties, "named property", "named properties")}` : ""}`;
    case "string":
      return `string ${JSON.stringify(node.value)}${node.length! > (node.value as string).length ? `... (${node.length} chars)` : ""}`;
    case "number":
    case "boolean":
    case "null":
    case "undefined":
      return String(node.value);
    case "bigint":
      return `${node.value}n`;
    case "map":
      return `Map, ${n(node.length!, "entry", "entries")}`;
    case "set":
      return `Set, ${n(node.length!, "member", "members")}`;
    case "date":
      return `Date ${node.value}`;
    // Unquoted text from the file: line breaks escaped too, so it cannot start a fake line.
    case "regexp":
      return `RegExp ${terminalSafe(String(node.value), true)}`;
    case "error":
      return `${terminalSafe(String(node.value), true)}, ${n(node.length!, "key", "keys")}`;
    case "class":
      return `class ${terminalSafe(String(node.value), true)}`;
    case "ref":
      return `-> ${node.value}`;
    case "hole":
      return node.length === undefined ? "<hole>" : `<${node.length} holes>`;
    case "unknown":
      return node.tag === undefined ? "<unknown>" : `<tag 0x${node.tag.toString(16).padStart(2, "0")}>`;
    default: {
      const name = node.kind === "ndarray" ? `ndarray ${node.dtype}` : (node.dtype ?? (node.kind === "dataview" ? "DataView" : "ArrayBuffer"));
      const type = `${name} [${node.shape!.join(", ")}]`;
      if (node.segment === undefined) return `${type}  inline ${node.inlineBytes} B (in the manifest)`;
      const s = segments[node.segment]!;
      const view = node.byteOffset === undefined ? "" : `bytes ${node.byteOffset}-${node.byteOffset + node.byteLength!} of `;
      return (
        `${type}  ${view}segment ${s.segment}: stored ${s.storedBytes} B, raw ${s.rawBytes} B, ratio ${ratio(s.rawBytes, s.storedBytes)}, ` +
        `codec ${s.codec}, filters ${s.filters.join("+") || "none"}, ${plural(s.chunks, "chunk")}, ${s.mappable ? "mappable" : "not mappable"}`
      );
    }
  }
}

function ratio(raw: number, stored: number): string {
  return stored ? (raw / stored).toFixed(2) : "-";
}
