"""Writes test/fixtures/blosc-filters.json: digests of blocks filtered by real blosc.

Needs Debian's python3-blosc (c-blosc 1.x): /usr/bin/python3 scripts/blosc-golden.py

blosc has no filter-only API, so this compresses [one random block, then zeros] with LZ4 and
reads the random block back out of the chunk: blosc stores each stream it cannot compress raw,
after filtering, so those bytes are exactly blosc's shuffle or bitshuffle output. The random
bytes come from the xorshift32 generator of test/helpers/kernels.ts (`randomBytes`), so the
fixture holds a seed and a SHA-256 instead of the bytes.
"""
import hashlib
import json
import os
import struct

import blosc

FLAG_MEMCPYED = 0x02
FLAG_DONT_SPLIT = 0x10


def random_bytes(length, seed):
    """Same bytes as randomBytes(length, seed) in test/helpers/kernels.ts."""
    out = bytearray(length)
    x = seed & 0xFFFFFFFF or 1
    for i in range(length):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


def first_block_filtered(data, typesize, filter_code):
    chunk = blosc.compress(data, typesize=typesize, clevel=5, shuffle=filter_code, cname="lz4")
    flags = chunk[2]
    _nbytes, bsize, _cbytes = struct.unpack_from("<III", chunk, 4)
    assert chunk[3] == typesize and not flags & FLAG_MEMCPYED, flags
    pos = struct.unpack_from("<I", chunk, 16)[0]
    splits = 1 if flags & FLAG_DONT_SPLIT else typesize
    parts = []
    for _ in range(splits):
        (csize,) = struct.unpack_from("<i", chunk, pos)
        assert csize == bsize // splits, "a stream of the random block was compressed"
        parts.append(chunk[pos + 4:pos + 4 + csize])
        pos += 4 + csize
    return b"".join(parts)


def block_bytes(typesize, filter_code):
    chunk = blosc.compress(bytes(262144 * typesize), typesize=typesize, clevel=5, shuffle=filter_code, cname="lz4")
    return struct.unpack_from("<I", chunk, 8)[0]


def main():
    cases = []
    for name, code, typesizes in (("shuffle", blosc.SHUFFLE, (2, 3, 4, 5, 8, 16)), ("bitshuffle", blosc.BITSHUFFLE, (1, 2, 3, 4, 8))):
        for typesize in typesizes:
            bsize = block_bytes(typesize, code)
            if name == "bitshuffle" and (bsize // typesize) % 8:
                continue  # c-blosc 1.x copies such blocks unfiltered; c-blosc2 filters 8-element groups
            seed = 1000 * typesize + code
            data = random_bytes(bsize, seed) + bytes(262144 * typesize - bsize)
            filtered = first_block_filtered(data, typesize, code)
            cases.append({"filter": name, "typesize": typesize, "blockBytes": bsize, "seed": seed,
                          "sha256": hashlib.sha256(filtered).hexdigest()})
    out = {"generator": "scripts/blosc-golden.py", "blosc": blosc.blosclib_version, "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "blosc-filters.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", len(cases), "cases to", path)


main()
