#!/usr/bin/env python3
"""Times several commands in interleaved rounds: round 1 runs each command once, in turn, then
round 2, and so on. On this benchmark's small virtual machine the speed of the machine drifts by
20-30% over minutes; repeats of one command run back to back (as hyperfine runs them) can land
one command in a fast spell and the next in a slow one, so the comparison says more about the
machine than the commands. Interleaved, every command sees the same spells.

For each command it writes OUT_DIR/NAME.hf.json in hyperfine's layout ("results"[0] with
"median", "mean", "min", "max", "times", and "user" and "system": mean CPU seconds per run), so
bench/compare.py reads either.

Usage: python3 bench/interleave.py OUT_DIR RUNS TIMEOUT NAME=COMMAND...
  COMMAND is run by the shell, its output thrown away. A command that fails or runs longer than
  TIMEOUT seconds is dropped from the rounds and gets no .hf.json; the exit code is then 1.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run_once(command: str, timeout: float) -> tuple[float, float, float] | None:
    """Wall, user and system seconds of one run, or None when it failed or timed out."""
    t0 = time.perf_counter()
    p = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            wall = time.perf_counter() - t0
            break
        if time.perf_counter() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            return None
        time.sleep(0.002)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return wall, usage.ru_utime, usage.ru_stime


def main() -> int:
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    out, runs, timeout = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    commands = dict(arg.split("=", 1) for arg in sys.argv[4:])
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    failed: set[str] = set()
    for r in range(runs):
        for name, command in commands.items():
            if name in failed:
                continue
            s = run_once(command, timeout)
            if s is None:
                print(f"interleave: {name} failed or timed out in round {r + 1}: {command}", file=sys.stderr)
                failed.add(name)
                continue
            samples[name].append(s)
    for name, command in commands.items():
        if name in failed or not samples[name]:
            continue
        walls = [s[0] for s in samples[name]]
        result = {
            "command": command,
            "median": statistics.median(walls),
            "mean": statistics.mean(walls),
            "min": min(walls),
            "max": max(walls),
            "times": walls,
            "user": statistics.mean(s[1] for s in samples[name]),
            "system": statistics.mean(s[2] for s in samples[name]),
            "interleaved_with": [n for n in commands if n != name],
        }
        (out / f"{name}.hf.json").write_text(json.dumps({"results": [result]}, indent=2) + "\n")
        print(
            f"  {name}: median {result['median']:.3f} s (min {result['min']:.3f}, max {result['max']:.3f}),"
            f" CPU {result['user'] + result['system']:.3f} s",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
