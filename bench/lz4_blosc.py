"""python-blosc (1 thread, LZ4) on the bytes of a file, timed on request, for bench/lz4.ts.

Usage: python3 bench/lz4_blosc.py FILE TYPESIZE SHUFFLE [CLEVEL]
SHUFFLE: shuffle | bitshuffle. CLEVEL: 1 to 9, default 5. Compresses once and checks the round trip, then prints one JSON
line: {"stored": bytes, "raw": bytes, "blosc": version}. Then, for each line read from stdin,
"enc" (compress) or "dec" (decompress the last compressed bytes) runs once and prints its
seconds (time.perf_counter), so that the caller can interleave these runs with its own on a
shared machine.
"""
import json
import sys
import time

import blosc

path, typesize, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
clevel = int(sys.argv[4]) if len(sys.argv) > 4 else 5
data = open(path, "rb").read()
blosc.set_nthreads(1)
shuffle = {"shuffle": blosc.SHUFFLE, "bitshuffle": blosc.BITSHUFFLE}[mode]
# python-blosc takes at most 2^31 - 1 - 16 bytes per call; the datasets here are smaller.
packed = blosc.compress(data, typesize=typesize, clevel=clevel, shuffle=shuffle, cname="lz4")
assert blosc.decompress(packed) == data
print(json.dumps({"stored": len(packed), "raw": len(data), "blosc": blosc.blosclib_version}), flush=True)
for line in sys.stdin:
    op = line.strip()
    t = time.perf_counter()
    if op == "enc":
        packed = blosc.compress(data, typesize=typesize, clevel=clevel, shuffle=shuffle, cname="lz4")
    elif op == "dec":
        blosc.decompress(packed)
    else:
        raise SystemExit(f"unknown request {op!r}")
    print(time.perf_counter() - t, flush=True)
