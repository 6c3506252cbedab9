#!/usr/bin/env python3
"""Start-up cost of the catalog: `cloudcost quote examples/plan.toml` and a few `prices`
lookups, timed for two or more release binaries, interleaved (one run of each binary per round).

    python3 bench/catalog_load.py NAME=PATH [NAME=PATH ...] [--rounds 21]

e.g. `python3 bench/catalog_load.py before=/tmp/cloudcost-a1cfc1b after=target/release/cloudcost`
(run from the repository root; the user catalog directory is ignored). Commands a binary does
not know (a region it lacks) are skipped for it. Prints the median, min and max wall time.
"""
import argparse
import os
import statistics
import subprocess
import time

CASES = [
    ("--help (process start, no catalog)", ["--help"]),
    ("quote examples/plan.toml", ["quote", "examples/plan.toml"]),
    ("prices m5.large --region ap-northeast-2", ["prices", "m5.large", "--region", "ap-northeast-2"]),
    ("prices m7i.large --region eu-west-1", ["prices", "m7i.large", "--region", "eu-west-1"]),
    ("prices (coverage: every region)", ["prices"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bins", nargs="+", help="NAME=PATH")
    ap.add_argument("--rounds", type=int, default=21)
    a = ap.parse_args()
    bins = dict(b.split("=", 1) for b in a.bins)
    env = dict(os.environ, CLOUDCOST_CATALOG_DIR="/nonexistent")
    env.pop("CLOUDCOST_PRICING_DATA", None)
    ok = {}
    for name, args in CASES:
        for b, path in bins.items():
            r = subprocess.run([path] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            ok[(name, b)] = r.returncode == 0
    times = {}
    for _ in range(a.rounds):
        for name, args in CASES:
            for b, path in bins.items():
                if not ok[(name, b)]:
                    continue
                t = time.perf_counter()
                subprocess.run([path] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                times.setdefault((name, b), []).append(time.perf_counter() - t)
    for name, _ in CASES:
        for b in bins:
            v = times.get((name, b))
            if not v:
                print(f"{name:42s} {b:10s} (not available)")
                continue
            print(f"{name:42s} {b:10s} median {statistics.median(v) * 1000:6.1f} ms  "
                  f"min {min(v) * 1000:6.1f}  max {max(v) * 1000:6.1f}  (n={len(v)})")
    for b, path in bins.items():
        print(f"{b}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
