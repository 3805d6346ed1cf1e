import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClassRegistry, dumpSync, inspect, NDArray } from "../src/index.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "dist/src/cli/main.js");
let dir: string;

/** Runs the built `ndpack` command. */
function ndpack(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const graph = () => ({
  name: "demo",
  weights: new NDArray(new Float32Array(2048).map((_, i) => i), [32, 64]),
  ids: new Int32Array(2000),
  small: new Uint8Array(3),
  list: Array.from({ length: 30 }, (_, i) => i),
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ndpack-cli-"));
  dumpSync(graph(), join(dir, "checked.ndpack"), { checksum: true, chunkBytes: 4096 });
  dumpSync(graph(), join(dir, "raw.ndpack"));
  writeFileSync(join(dir, "text.txt"), "hello, this is not an ndpack file at all, but it is long enough to have a footer; ".repeat(3));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ndpack --help and --version", () => {
  it("prints the version from package.json", () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const r = ndpack("--version");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it("lists the commands with an example", () => {
    const r = ndpack("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/inspect \[options\] <file>/);
    expect(r.stdout).toMatch(/verify \[options\] <file>/);
    expect(r.stdout).toMatch(/Example:/);
  });

  it.each(["inspect", "verify"])("%s --help shows an example", (cmd) => {
    const r = ndpack(cmd, "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: ndpack ${cmd} [options] <file>`);
    expect(r.stdout).toContain(`$ ndpack ${cmd} `);
  });
});

describe("ndpack inspect", () => {
  it("prints the tree with each array's dtype, shape and storage", () => {
    const r = ndpack("inspect", join(dir, "checked.ndpack"));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/checked\.ndpack: ndpack format 1\.0, \d+ B/);
    expect(lines).toContain("$  object, 5 keys");
    expect(lines).toContain('  $.name  string "demo"');
    expect(lines).toContain(
      "  $.weights  ndarray float32 [32, 64]  segment 0: stored 8192 B, raw 8192 B, ratio 1.00, codec none, filters none, 2 chunks, mappable",
    );
    expect(lines).toContain(
      "  $.ids  Int32Array [2000]  segment 1: stored 8000 B, raw 8000 B, ratio 1.00, codec none, filters none, 2 chunks, mappable",
    );
    expect(lines).toContain("  $.small  Uint8Array [3]  inline 3 B (in the manifest)");
    expect(lines).toContain("  $.list  array, 30 items");
    expect(lines).toContain("    $.list[19]  19");
    expect(lines).not.toContain("    $.list[20]  20");
    expect(lines).toContain("    ... 10 more");
    expect(r.stdout).toContain("2 segments: raw 16192 B (16.2 kB), stored 16192 B (16.2 kB), ratio 1.00");
    expect(r.stdout).toMatch(/checksums: manifest ok \(\d+ B\), index ok \(\d+ B\); 2 segments checksummed/);
  });

  it("prints a file name with a line break on one line, in inspect and verify", () => {
    const odd = join(dir, "two\nlines.ndpack");
    dumpSync({ a: 1 }, odd);
    const escaped = join(dir, "two\\u000alines.ndpack");
    expect(ndpack("inspect", odd).stdout.split("\n")[0]).toMatch(new RegExp(`^${escaped.replace(/[\\.]/g, "\\$&")}: ndpack format 1\\.0, \\d+ B$`));
    expect(ndpack("verify", odd).stdout.split("\n")[0]).toBe(`${escaped}: intact: 0 segments verified (0 B), manifest and index checksums ok`);
  });

  it("--max-children limits the children listed", () => {
    const r = ndpack("inspect", "--max-children", "2", join(dir, "checked.ndpack"));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("  $.name  string");
    expect(r.stdout).not.toContain("$.ids");
    expect(r.stdout).toContain("  ... 3 more\n");
  });

  it("escapes characters a terminal would act on or hide (C1 controls, bidi overrides), in text and JSON", () => {
    const file = join(dir, "controls.ndpack");
    dumpSync({ ["k\u202e"]: "csi\u009b31m red", plain: "Zürich", re: new RegExp("a\x1bb"), tag: "x\u{E0041}\u3164" }, file);
    const text = ndpack("inspect", file);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('string "csi\\u009b31m red"');
    expect(text.stdout).toContain('["k\\u202e"]');
    expect(text.stdout).toContain("RegExp /a\\u001bb/");
    expect(text.stdout).toContain('string "x\\udb40\\udc41\\u3164"');
    expect(text.stdout).toContain('"Zürich"');
    expect(text.stdout).not.toMatch(/[\u001b\u009b\u202e\u3164]|\udb40/);
    const json = ndpack("inspect", "--json", file);
    expect(json.stdout).not.toMatch(/[\u001b\u009b\u202e\u3164]|\udb40/);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain("csi\u009b31m red");
    // A registered class name is printed unquoted: a line break in it must not start a new line.
    class C {}
    const classes = new ClassRegistry().register(C, { name: "C\nFAKE LINE", encode: () => 0, decode: () => new C() });
    const classFile = join(dir, "class-name.ndpack");
    dumpSync({ c: new C() }, classFile, { classes });
    const listing = ndpack("inspect", classFile);
    expect(listing.stdout).toContain("class C\\u000aFAKE LINE");
    expect(listing.stdout.split("\n").some((l) => l.startsWith("FAKE"))).toBe(false);
    // Error lines too: a file name with a bidi override, on one line.
    const named = join(dir, "evil\u202e.ndpack");
    const err = ndpack("verify", named);
    expect(err.status).not.toBe(0);
    expect(err.stderr).toContain("evil\\u202e.ndpack");
    expect(err.stderr).not.toMatch(/\u202e/);
  });

  it("--json prints the same report as JSON", () => {
    const file = join(dir, "checked.ndpack");
    const r = ndpack("inspect", "--json", file);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toEqual(JSON.parse(JSON.stringify(inspect(file))));
    expect(report.version).toBe("1.0");
    expect(report.rawBytes).toBe(16192);
    expect(report.storedBytes).toBe(16192);
    expect(report.checksums).toEqual({ manifest: "ok", index: "ok", checksummedSegments: 2, uncheckedSegments: 0 });
    const weights = report.root.children.find((n: { path: string }) => n.path === "$.weights");
    expect(weights).toEqual({ path: "$.weights", kind: "ndarray", dtype: "float32", shape: [32, 64], segment: 0 });
    expect(report.segments[0]).toMatchObject({
      segment: 0,
      path: "$.weights",
      rawBytes: 8192,
      storedBytes: 8192,
      ratio: 1,
      codec: "none",
      filters: [],
      typesize: 4,
      chunkBytes: 4096,
      chunks: 2,
      mappable: true,
      checksummed: true,
    });
    expect(report.segments[0].offset % 64).toBe(0);
    expect(report.segments[1]).toMatchObject({ path: "$.ids", rawBytes: 8000, chunks: 2, typesize: 4 });
  });

  it("says when segments are not checksummed", () => {
    const r = ndpack("inspect", "--json", join(dir, "raw.ndpack"));
    const report = JSON.parse(r.stdout);
    expect(report.checksums).toEqual({ manifest: "ok", index: "ok", checksummedSegments: 0, uncheckedSegments: 2 });
    expect(report.segments[0]).toMatchObject({ chunkBytes: 0, chunks: 0, mappable: true, checksummed: false });
  });
});

describe("ndpack verify", () => {
  it("exits 0 on an intact file", () => {
    const r = ndpack("verify", join(dir, "checked.ndpack"));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/checked\.ndpack: intact: 2 segments verified \(16\.2 kB\)/);
  });

  it("says 'not checksummed' instead of claiming a raw file intact", () => {
    const r = ndpack("verify", join(dir, "raw.ndpack"));
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("intact");
    expect(r.stdout).toContain("no errors found");
    expect(r.stdout).toContain("2 segments (16.2 kB) not checksummed");
  });

  it("exits non-zero naming the path, segment and chunk of a flipped byte", () => {
    const file = join(dir, "flipped.ndpack");
    dumpSync(graph(), file, { checksum: true, chunkBytes: 4096 });
    const at = inspect(file).segments[1]!.offset + 4096 + 10; // $.ids, chunk 1
    const bytes = readFileSync(file);
    bytes[at] ^= 0x40;
    writeFileSync(file, bytes);
    const r = ndpack("verify", file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ndpack: ERR_CHECKSUM: \$\.ids \(segment 1\) chunk 1: checksum 0x[0-9a-f]{8} does not match the stored 0x[0-9a-f]{8}\n$/);
    expect(r.stdout).toContain("CORRUPT: 1 of 2 segments have bad chunks");
    const json = JSON.parse(ndpack("verify", "--json", file).stdout);
    expect(json.ok).toBe(false);
    expect(json.segments.map((s: { status: string }) => s.status)).toEqual(["ok", "bad"]);
  });

  it("--json gives a JSON verdict for a file it cannot read as ndpack at all", () => {
    const file = join(dir, "not-ndpack.bin");
    writeFileSync(file, "hello, this is not ndpack at all, but it is long enough to have a header");
    const r = ndpack("verify", "--json", file);
    expect(r.status).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ file, ok: false, error: { code: "ERR_BAD_MAGIC" } });
    expect(r.stderr).toMatch(/^ndpack: ERR_BAD_MAGIC: /);
  });
});

describe("errors", () => {
  it.each([
    ["a missing file", "missing.ndpack", "ERR_IO"],
    ["a file that is not ndpack", "text.txt", "ERR_BAD_MAGIC"],
  ])("%s: one line, no stack, non-zero exit", (_, name, code) => {
    for (const cmd of ["inspect", "verify"]) {
      const r = ndpack(cmd, join(dir, name));
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(new RegExp(`^ndpack: ${code}: [^\\n]+\\n$`));
    }
  });

  it("--debug adds the stack trace", () => {
    const r = ndpack("--debug", "inspect", join(dir, "missing.ndpack"));
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^ndpack: ERR_IO: cannot open /);
    expect(r.stderr).toMatch(/\n {4}at /);
  });

  it("a FIFO is refused at once, not waited on for a writer", () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    for (const cmd of ["inspect", "verify"]) {
      const r = ndpack(cmd, fifo);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`ndpack: ERR_IO: cannot read ${fifo}: it is a FIFO, not a regular file\n`);
    }
  });

  it("output cut short by a closed pipe ends quietly with status 0", () => {
    // 3,000 segments: verify --json prints far more than a pipe buffer before `head` closes it.
    const many = join(dir, "many.ndpack");
    dumpSync(Array.from({ length: 3000 }, () => new Float32Array(1024)), many);
    for (const cmd of [["verify", "--json"], ["inspect", "--max-children", "100000"]]) {
      const r = spawnSync("bash", ["-c", `"${process.execPath}" "${bin}" ${cmd.join(" ")} "${many}" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe("0");
    }
  });

  it("bench on a file it cannot read gives the same one-line error with a code", () => {
    writeFileSync(join(dir, "bad.json"), "{bad");
    const r = ndpack("bench", "--quick", "--no-python", join(dir, "bad.json"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ndpack: ERR_CORRUPT: .*bad\.json: not valid JSON \([^\n]+\)\n$/);
    expect(ndpack("bench", "--quick", join(dir, "text.txt")).stderr).toMatch(/^ndpack: ERR_INVALID_ARGUMENT: .*text\.txt: expected a \.ndpack, \.npy or \.json file\n$/);
  });

  it("usage errors use the same one-line form", () => {
    const r = ndpack("inspect", "--max-children", "many", join(dir, "checked.ndpack"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ndpack: ERR_INVALID_ARGUMENT: option '--max-children <n>' argument 'many' is invalid/);
  });
});
