import { spawnSync } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dump, dumpSync, loadNpy, loadSync, NDArray, saveNpy } from "../src/index.js";
import { replaceTuning } from "../src/io/fsutil.js";
import { tempDir } from "./helpers.js";

const dir = tempDir();
const saved = { ...replaceTuning };
afterEach(() => Object.assign(replaceTuning, saved));

/** The names in `dir` that start with `name` or its hidden temp and link names. */
function namesOf(name: string): string[] {
  return readdirSync(dir)
    .filter((f) => f === name || f.startsWith(`.${name}.`))
    .sort();
}

/** Waits (up to 5 s) until only `name` is left of its names: the background unlink has run. */
async function settled(name: string): Promise<string[]> {
  for (let i = 0; i < 500 && namesOf(name).length > 1; i++) await new Promise((r) => setTimeout(r, 10));
  return namesOf(name);
}

describe("replacing a large file (the old one is linked aside and unlinked in the background)", () => {
  it("leaves the new content under the name and no hidden file once the unlink has run", async () => {
    Object.assign(replaceTuning, { anyFilesystem: true, backgroundUnlinkBytes: 0 });
    const path = join(dir, "big.ndpack");
    dumpSync({ v: new Float64Array(1000).fill(1) }, path);
    dumpSync({ v: new Float64Array(1000).fill(2) }, path);
    dumpSync({ v: new Float64Array(10).fill(3) }, path);
    expect([...(loadSync(path) as { v: Float64Array }).v]).toEqual(new Array(10).fill(3));
    expect(await settled("big.ndpack")).toEqual(["big.ndpack"]);
  });

  it("keeps the old file, and leaves neither temp file nor hidden link, when the rename fails", () => {
    Object.assign(replaceTuning, { anyFilesystem: true, backgroundUnlinkBytes: 0 });
    const path = join(dir, "kept.ndpack");
    dumpSync({ v: 1 }, path);
    replaceTuning.rename = () => {
      throw Object.assign(new Error("EACCES: permission denied (simulated)"), { code: "EACCES" });
    };
    expect(() => dumpSync({ v: 2 }, path)).toThrow(/cannot rename over .*kept\.ndpack/);
    expect(loadSync(path)).toEqual({ v: 1 });
    expect(namesOf("kept.ndpack")).toEqual(["kept.ndpack"]);
  });

  it("does not link small old files aside", () => {
    Object.assign(replaceTuning, { anyFilesystem: true, backgroundUnlinkBytes: 1 << 20 });
    const path = join(dir, "small.ndpack");
    dumpSync({ v: 1 }, path);
    dumpSync({ v: 2 }, path);
    // Nothing pending: the old file was freed by the rename itself.
    expect(namesOf("small.ndpack")).toEqual(["small.ndpack"]);
    expect(loadSync(path)).toEqual({ v: 2 });
  });

  it("leaves no hidden link when the process exits right after the dump", () => {
    const fsutil = resolve("dist/src/io/fsutil.js");
    const index = resolve("dist/src/index.js");
    const path = join(dir, "exit.ndpack");
    const code = `
      const { replaceTuning } = await import(${JSON.stringify(fsutil)});
      const { dumpSync } = await import(${JSON.stringify(index)});
      Object.assign(replaceTuning, { anyFilesystem: true, backgroundUnlinkBytes: 0 });
      dumpSync({ v: 1 }, ${JSON.stringify(path)});
      dumpSync({ v: 2 }, ${JSON.stringify(path)});
      process.exit(0);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(namesOf("exit.ndpack")).toEqual(["exit.ndpack"]);
    expect(loadSync(path)).toEqual({ v: 2 });
  });
});

describe("what a dump replaces", () => {
  const both = [
    ["dumpSync", async (v: unknown, p: string, o?: object) => dumpSync(v, p, o)],
    ["dump", (v: unknown, p: string, o?: object) => dump(v, p, o)],
  ] as const;

  it.each(both)("%s writes through a symlink: the link stays and names the new file", async (_, write) => {
    const real = join(dir, "real-" + _ + ".ndpack");
    const link = join(dir, "link-" + _ + ".ndpack");
    dumpSync({ v: 1 }, real);
    symlinkSync(real, link);
    await write({ v: 2 }, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(loadSync(real)).toEqual({ v: 2 });
  });

  it.each(both)("%s through a dangling symlink creates the file it names, and keeps the link", async (_, write) => {
    const link = join(dir, "dangling-" + _ + ".ndpack");
    symlinkSync("made-" + _ + ".ndpack", link);
    await write({ v: 3 }, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(loadSync(join(dir, "made-" + _ + ".ndpack"))).toEqual({ v: 3 });
    const loop = join(dir, "loop-" + _);
    symlinkSync(loop, loop);
    await expect(write({ v: 1 }, loop)).rejects.toMatchObject({ code: "ERR_IO" });
    // The folder part resolves as the system does: through a symlinked folder, ".." is its real parent.
    const deep = join(dir, "real-" + _, "deep");
    mkdirSync(deep, { recursive: true });
    const links = join(dir, "links-" + _);
    mkdirSync(links);
    symlinkSync(deep, join(links, "sub"));
    symlinkSync("sub/../x.ndpack", join(links, "link"));
    await write({ v: 4 }, join(links, "link"));
    expect(loadSync(join(links, "link"))).toEqual({ v: 4 });
    expect(loadSync(join(dir, "real-" + _, "x.ndpack"))).toEqual({ v: 4 });
    symlinkSync("nosuch/../y.ndpack", join(links, "missing"));
    await expect(write({ v: 1 }, join(links, "missing"))).rejects.toMatchObject({ code: "ERR_IO" });
    symlinkSync("folder/", join(links, "slash"));
    await expect(write({ v: 1 }, join(links, "slash"))).rejects.toMatchObject({ code: "ERR_IO" });
  });

  it.each(both)("%s writes a new file named through a symlinked folder and '..' where the system puts it, temp file included", async (_, write) => {
    // The target's folder is on another filesystem (tmpfs): a temp file made in the folder the
    // text names (".." taken literally) could not be renamed there (EXDEV).
    const other = mkdtempSync(join("/dev/shm", "ndpack-"));
    try {
      mkdirSync(join(other, "deep"));
      const link = join(dir, "to-shm-" + _);
      symlinkSync(join(other, "deep"), link);
      await write({ v: 5 }, `${link}/../z.ndpack`); // not path.join, which would drop the ".."
      expect(loadSync(join(other, "z.ndpack"))).toEqual({ v: 5 });
      expect(readdirSync(other).sort()).toEqual(["deep", "z.ndpack"]);
      // Replacing it goes through the link too, and leaves a decoy named by the text alone.
      writeFileSync(join(dir, "z.ndpack"), "decoy");
      await write({ v: 6 }, `${link}/../z.ndpack`);
      expect(loadSync(join(other, "z.ndpack"))).toEqual({ v: 6 });
      expect(readFileSync(join(dir, "z.ndpack"), "utf8")).toBe("decoy");
      expect(readdirSync(other).sort()).toEqual(["deep", "z.ndpack"]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it.each(both)("%s refuses a FIFO or a directory with ERR_IO and leaves it as it was", async (_, write) => {
    const fifo = join(dir, "fifo-" + _);
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    await expect(write({ v: 1 }, fifo)).rejects.toMatchObject({ code: "ERR_IO", message: expect.stringContaining("a FIFO, not a regular file") });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const sub = join(dir, "sub-" + _);
    mkdirSync(sub);
    await expect(write({ v: 1 }, sub)).rejects.toMatchObject({ code: "ERR_IO", message: expect.stringContaining("a directory") });
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it.each(both)("%s keeps an existing file's permission bits; a new file gets 0666 less the umask", async (_, write) => {
    const path = join(dir, "private-" + _ + ".ndpack");
    dumpSync({ v: 1 }, path);
    chmodSync(path, 0o600);
    await write({ v: 2 }, path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const fresh = join(dir, "fresh-" + _ + ".ndpack");
    await write({ v: 3 }, fresh);
    const umask = process.umask();
    expect(statSync(fresh).mode & 0o777).toBe(0o666 & ~umask);
  });

  it.each(both)("%s passes an error thrown by onProgress through as it is, and keeps the old file", async (_, write) => {
    const path = join(dir, "progress-" + _ + ".ndpack");
    dumpSync({ v: 1 }, path);
    const boom = new Error("progress boom");
    await expect(write({ v: new Float64Array(1000) }, path, { onProgress: () => { throw boom; } })).rejects.toBe(boom);
    expect(loadSync(path)).toEqual({ v: 1 });
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});

describe("a target whose name is as long as a file name can be", () => {
  // 255 bytes (NAME_MAX): the hidden temp and linked-aside names shorten the name part to fit.
  const names = [`${"n".repeat(248)}.ndpack`, `${"漢".repeat(83)}é.npy`];

  it.each(names)("dump, dumpSync, saveNpy and a replace of a large old file write %#", async (name) => {
    expect(Buffer.byteLength(name)).toBeGreaterThanOrEqual(254);
    Object.assign(replaceTuning, { anyFilesystem: true, backgroundUnlinkBytes: 0 });
    const path = join(dir, name);
    dumpSync({ v: new Float64Array(100).fill(1) }, path);
    dumpSync({ v: new Float64Array(100).fill(2) }, path); // links the old file aside under a hidden name
    expect([...(loadSync(path) as { v: Float64Array }).v]).toEqual(new Array(100).fill(2));
    await dump({ v: 3 }, path);
    expect(loadSync(path)).toEqual({ v: 3 });
    saveNpy(path, new NDArray(Float32Array.of(1, 2, 3), [3]));
    expect([...loadNpy(path).data]).toEqual([1, 2, 3]);
    expect(await settled(name)).toEqual([name]);
  });
});
