"""Times python-blosc (1 thread, LZ4, clevel 5) on the bytes of a file, for bench/lz4.ts.

Usage: python3 bench/lz4_blosc.py FILE TYPESIZE SHUFFLE REPS [DELTA]
SHUFFLE: shuffle | bitshuffle. DELTA: 1 to apply blosc's DELTA filter too (not used by default).
Prints one JSON line: {"encode_s": median, "decode_s": median, "stored": bytes, "raw": bytes}.
Each figure is the median of REPS timed runs (time.perf_counter) after one warm-up; the decoded
bytes are checked once against the input.
"""
import json
import statistics
import sys
import time

import blosc

path, typesize, mode, reps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
data = open(path, "rb").read()
blosc.set_nthreads(1)
shuffle = {"shuffle": blosc.SHUFFLE, "bitshuffle": blosc.BITSHUFFLE, "none": blosc.NOSHUFFLE}[mode]
# python-blosc takes at most 2^31 - 1 - 16 bytes per call; the datasets here are smaller.
packed = blosc.compress(data, typesize=typesize, clevel=5, shuffle=shuffle, cname="lz4")
assert blosc.decompress(packed) == data
enc, dec = [], []
for _ in range(reps):
    t = time.perf_counter()
    packed = blosc.compress(data, typesize=typesize, clevel=5, shuffle=shuffle, cname="lz4")
    enc.append(time.perf_counter() - t)
    t = time.perf_counter()
    out = blosc.decompress(packed)
    dec.append(time.perf_counter() - t)
print(json.dumps({"encode_s": statistics.median(enc), "decode_s": statistics.median(dec), "stored": len(packed), "raw": len(data), "blosc": blosc.blosclib_version}))
