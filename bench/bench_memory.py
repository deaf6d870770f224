"""Peak memory (max RSS) of the real headless loop with trails on, at 0 / 10^5 / 10^6 balls.

    python bench/bench_memory.py [--frames 10] [--json]

Each run is `python main.py --headless --frames F --particles N` on the scene of common.py,
in its own child process; the peak resident set size is that child's ru_maxrss from
os.wait4 (what /usr/bin/time -v reports as "Maximum resident set size").
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import POTENTIAL, RULE, ROOT, emit, headless_env, scene_rule  # noqa: E402

SIZES = (0, 100_000, 1_000_000)


def peak_rss_mib(n: int, frames: int) -> dict:
    _, rule = scene_rule()
    cmd = [sys.executable, "main.py", "--headless", "--frames", str(frames), "--particles", str(n),
           "--potential", POTENTIAL, "--dynamics", RULE, "--lr", repr(rule.lr)]
    p = subprocess.Popen(cmd, cwd=ROOT, env=headless_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    out = p.stdout.read().decode().strip()
    err = p.stderr.read().decode().strip()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        return {"n": n, "error": (err.splitlines() or [f"exit {p.returncode}"])[-1]}
    return {"n": n, "peak_mib": usage.ru_maxrss / 1024.0, "frames": frames,
            "loop_says": out.splitlines()[-1] if out else ""}


def run(frames: int, sizes=SIZES) -> list[dict]:
    return [peak_rss_mib(n, frames) for n in sizes]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = run(a.frames)
    if a.json:
        emit({"memory": rows})
        return
    for r in rows:
        if "error" in r:
            print(f"{r['n']:>10,} balls: error {r['error']}")
        else:
            print(f"{r['n']:>10,} balls, trails on: peak RSS {r['peak_mib']:7.0f} MiB   ({r['loop_says']})")


if __name__ == "__main__":
    main()
