import { describe, it, expect } from "vitest";
import * as api from "../../src/interop/index.js";

describe("interop public API", () => {
  it("exports exactly these names", () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "CONVERT_FORMATS",
        "NPY_MAGIC",
        "NPY_MAX_HEADER_BYTES",
        "SAFETENSORS_DTYPES",
        "SAFETENSORS_MAX_HEADER_BYTES",
        "SAFETENSORS_METADATA_KEY",
        "WORD2VEC_CHUNK_BYTES",
        "WORD2VEC_MAX_WORD_BYTES",
        "convert",
        "encodeGlove",
        "encodeWord2vec",
        "formatFloat32",
        "formatFromPath",
        "loadNpy",
        "loadNpz",
        "loadSafetensors",
        "parseGlove",
        "parseNpyHeader",
        "parseWord2vec",
        "readGlove",
        "readNpy",
        "readNpz",
        "readSafetensors",
        "readWord2vec",
        "saveNpy",
        "saveNpz",
        "saveSafetensors",
        "writeGlove",
        "writeNpy",
        "writeNpz",
        "writeSafetensors",
        "writeWord2vec",
      ]
    `);
  });
});
