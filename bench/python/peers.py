"""Python peers of the ndpack benchmarks, run by bench/python.ts through /usr/bin/python3.

Reads one array from a .npy file (written by the harness, the same bytes the JS contestants
get), optionally a JSON word list, runs the requested peers and prints one JSON object on
stdout. Each operation is run once and verified, then timed with time.perf_counter: the run
count adapts to a time budget (like the JS side), and medians are reported in milliseconds.
"""
import argparse
import gc
import json
import os
import platform
import sys
import time


def stats(samples):
    s = sorted(samples)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    dev = sorted(abs(x - med) for x in s)
    mad = dev[n // 2] if n % 2 else (dev[n // 2 - 1] + dev[n // 2]) / 2
    return {"medianMs": med, "minMs": s[0], "maxMs": s[-1], "madMs": mad, "runs": n}


def timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1000


def bench(fn, first_ms, args):
    # Same rule as the JS harness: slow operations get fewer runs so one peer does not own the run.
    least = args.min_runs if first_ms <= 1000 else min(3, args.min_runs) if first_ms <= 5000 else 2
    runs = max(least, min(args.max_runs, int(args.budget_ms / max(first_ms, 0.001))))
    samples = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return stats(samples)


def same(a, b):
    import numpy as np
    b = np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def file_size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    total = os.path.getsize(path)
    # gensim and joblib may write companion files next to the main one
    d, base = os.path.split(path)
    for f in os.listdir(d):
        if f.startswith(base + ".") or (f.startswith(base + "_") and f.endswith(".npy")):
            total += os.path.getsize(os.path.join(d, f))
    return total


def run_file(name, dump, load, check, path, args, note=""):
    r = {"name": name, "mode": "file", "note": note}
    try:
        _, first_dump = timed(dump)
        r["bytes"] = file_size(path)
        out, first_load = timed(load)
        ok = check(out)
        r["verified"] = True if ok is True else (ok or "loaded value differs")
        del out
        r["encode"] = bench(dump, first_dump, args)
        r["decode"] = bench(load, first_load, args)
    except Exception as e:  # noqa: BLE001 - every failure becomes the cell's reason
        r["reason"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
    return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--npy", required=True)
    p.add_argument("--words")
    p.add_argument("--tmp", required=True)
    p.add_argument("--peers", required=True)
    p.add_argument("--budget-ms", type=float, default=1500)
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--max-runs", type=int, default=30)
    args = p.parse_args()
    versions = {"python": platform.python_version()}
    try:
        import numpy as np
        versions["numpy"] = np.__version__
    except ImportError as e:
        print(json.dumps({"error": f"numpy not importable ({e}); apt-get install python3-numpy", "versions": versions}))
        return
    from importlib import metadata, util
    for mod in ("joblib", "blosc", "gensim", "lz4"):
        # Versions without importing: gensim alone takes about a second to import.
        try:
            versions[mod] = metadata.version(mod) if util.find_spec(mod) else None
        except Exception:  # noqa: BLE001
            versions[mod] = None

    a = np.load(args.npy)
    words = None
    if args.words:
        with open(args.words, encoding="utf-8") as f:
            words = json.load(f)
    results = []
    tmp = args.tmp
    for peer in args.peers.split(","):
        started = time.perf_counter()
        path = os.path.join(tmp, f"py-{peer}")
        if peer in ("np.save", "np.load mmap"):
            if words is not None:
                results.append({"name": peer, "reason": "arrays only: the graph also holds a word list"})
                continue
            mm = "r" if peer == "np.load mmap" else None
            results.append(run_file(peer, lambda: np.save(path + ".npy", a), lambda mm=mm: np.load(path + ".npy", mmap_mode=mm),
                                    lambda out: same(a, out), path + ".npy", args,
                                    "np.save / np.load" + ("(mmap_mode='r'): pages mapped lazily, first touch not timed" if mm else "")))
        elif peer in ("joblib", "joblib lz4"):
            if versions["joblib"] is None:
                results.append({"name": peer, "reason": "joblib not importable: apt-get install python3-joblib"})
                continue
            if peer == "joblib lz4" and versions["lz4"] is None:
                results.append({"name": peer, "reason": "joblib's lz4 needs the lz4 module: apt-get install python3-lz4"})
                continue
            import joblib
            value = a if words is None else {"words": words, "vectors": a}
            comp = ("lz4", 3) if peer == "joblib lz4" else 0

            def check(out):
                if words is None:
                    return same(a, out)
                return same(a, out["vectors"]) and out["words"] == words

            results.append(run_file(peer, lambda comp=comp, value=value: joblib.dump(value, path + ".joblib", compress=comp),
                                    lambda: joblib.load(path + ".joblib"), check, path + ".joblib", args,
                                    "joblib.dump(compress=('lz4', 3)) / joblib.load" if comp else "joblib.dump / joblib.load (pickle + raw array)"))
        elif peer.startswith("blosc"):
            if words is not None:
                results.append({"name": peer, "reason": "arrays only: the graph also holds a word list"})
                continue
            if versions["blosc"] is None:
                results.append({"name": peer, "reason": "blosc not importable: apt-get install python3-blosc"})
                continue
            import blosc
            threads = 2 if peer.endswith("2t") else 1
            shuffle = blosc.BITSHUFFLE if "bitshuffle" in peer else blosc.SHUFFLE
            r = {"name": peer, "mode": "bytes",
                 "note": f"blosc.compress_ptr(clevel=5, cname='lz4', {threads} thread{'s' if threads > 1 else ''}) / decompress_ptr into a reused buffer"}
            try:
                blosc.set_nthreads(threads)
                if a.nbytes > blosc.MAX_BUFFERSIZE:
                    raise ValueError(f"{a.nbytes} bytes is over blosc's {blosc.MAX_BUFFERSIZE}-byte buffer limit")
                comp = lambda: blosc.compress_ptr(a.ctypes.data, a.size, a.itemsize, clevel=5, shuffle=shuffle, cname="lz4")  # noqa: E731
                c, first_c = timed(comp)
                r["bytes"] = len(c)
                out = np.empty_like(a)
                _, first_d = timed(lambda: blosc.decompress_ptr(c, out.ctypes.data))
                r["verified"] = True if same(a, out) else "decompressed bytes differ"
                r["encode"] = bench(comp, first_c, args)
                r["decode"] = bench(lambda: blosc.decompress_ptr(c, out.ctypes.data), first_d, args)
            except Exception as e:  # noqa: BLE001
                r["reason"] = f"{type(e).__name__}: {e}"
            results.append(r)
        elif peer == "gensim mmap":
            if words is None:
                results.append({"name": peer, "reason": "KeyedVectors need a word per row (see the -graph dataset)"})
                continue
            if versions["gensim"] is None:
                results.append({"name": peer, "reason": "gensim not importable: apt-get install python3-gensim"})
                continue
            from gensim.models import KeyedVectors
            kv = KeyedVectors(vector_size=a.shape[1], count=0, dtype=a.dtype)
            kv.add_vectors(words, a)

            def check(out):
                return same(a, out.vectors) and out.index_to_key == words

            results.append(run_file(peer, lambda: kv.save(path + ".kv"), lambda: KeyedVectors.load(path + ".kv", mmap="r"), check,
                                    path + ".kv", args, "KeyedVectors.save / load(mmap='r'): the vocabulary is unpickled, vectors mapped"))
        else:
            results.append({"name": peer, "reason": f"unknown peer {peer}"})
        for f in os.listdir(tmp):
            if f.startswith("py-"):
                os.remove(os.path.join(tmp, f))
        results[-1]["seconds"] = time.perf_counter() - started
    print(json.dumps({"versions": versions, "results": results}))


if __name__ == "__main__":
    sys.exit(main())
