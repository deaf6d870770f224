"""Start-up: how long until the first frame, and until `main.py --headless --frames 1` exits.

    python bench/bench_startup.py [--runs 5] [--json]

- exit: wall time of `python main.py --headless --frames 1` from launch to exit (median).
- first frame: wall time from launch to the end of the first frame (the first
  pygame.display.flip), through a tiny launcher that runs main.py unchanged with flip wrapped
  to report the time; also with 100,000 balls.
- imports: `python -X importtime main.py --headless --frames 1`, the sum of the top-level
  imports and the biggest ones; and a bare `python -c pass` for the interpreter's own start.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, emit, headless_env  # noqa: E402

LAUNCHER = r"""
import sys, time, runpy
sys.argv = ["main.py", *sys.argv[1:]]
sys.path.insert(0, ".")
import pygame
_flip = pygame.display.flip
def flip(*a, **k):
    out = _flip(*a, **k)
    if not getattr(flip, "done", False):
        flip.done = True
        sys.stderr.write(f"FIRST_FRAME {time.time():.6f}\n")
    return out
pygame.display.flip = flip
runpy.run_path("main.py", run_name="__main__")
"""


def _wall(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=headless_env(), timeout=120)
    return time.perf_counter() - t0, p


def exit_time(runs: int, extra: list[str]) -> list[float]:
    out = []
    for _ in range(runs):
        t, p = _wall([sys.executable, "main.py", "--headless", "--frames", "1", *extra])
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
        out.append(t)
    return out


def first_frame(runs: int, extra: list[str]) -> list[float]:
    """Seconds from launch to the end of the first frame. (The launcher imports pygame before
    main.py does, which main.py would do anyway before its first frame.)"""
    out = []
    for _ in range(runs):
        t0 = time.time()
        p = subprocess.run([sys.executable, "-c", LAUNCHER, "--headless", "--frames", "1", *extra],
                           capture_output=True, text=True, cwd=ROOT, env=headless_env(), timeout=120)
        marks = [ln for ln in p.stderr.splitlines() if ln.startswith("FIRST_FRAME")]
        if p.returncode != 0 or not marks:
            raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
        out.append(float(marks[-1].split()[1]) - t0)
    return out


def import_times() -> dict:
    """Parse -X importtime: total of the top-level imports, and the biggest of them."""
    p = subprocess.run([sys.executable, "-X", "importtime", "main.py", "--headless", "--frames", "1"],
                       capture_output=True, text=True, cwd=ROOT, env=headless_env(), timeout=120)
    top: dict[str, float] = {}
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        try:
            cum = int(parts[1])
        except ValueError:
            continue  # the header line
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # one space: a top-level import
            top[name.strip()] = top.get(name.strip(), 0) + cum
    biggest = sorted(top.items(), key=lambda kv: -kv[1])[:6]
    return {"total_ms": sum(top.values()) / 1e3, "biggest_ms": {k: v / 1e3 for k, v in biggest}}


def run(runs: int) -> dict:
    base = [_wall([sys.executable, "-c", "pass"])[0] for _ in range(runs)]
    ex = exit_time(runs, [])
    ff = first_frame(runs, [])
    ff_big = first_frame(max(2, runs // 2), ["--particles", "100000"])
    return {
        "python_bare_ms": 1e3 * statistics.median(base),
        "exit_median_ms": 1e3 * statistics.median(ex), "exit_runs_ms": [1e3 * t for t in ex],
        "first_frame_median_ms": 1e3 * statistics.median(ff), "first_frame_worst_ms": 1e3 * max(ff),
        "first_frame_100k_median_ms": 1e3 * statistics.median(ff_big),
        "imports": import_times(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    r = run(a.runs)
    if a.json:
        emit(r)
        return
    print(f"python -c pass:                              {r['python_bare_ms']:7.0f} ms")
    print(f"main.py --headless --frames 1, to exit:      {r['exit_median_ms']:7.0f} ms (median of {a.runs})")
    print(f"launch to end of first frame:                {r['first_frame_median_ms']:7.0f} ms "
          f"(worst {r['first_frame_worst_ms']:.0f})")
    print(f"launch to end of first frame, 100,000 balls: {r['first_frame_100k_median_ms']:7.0f} ms")
    print(f"imports (-X importtime, top level):          {r['imports']['total_ms']:7.0f} ms: "
          + ", ".join(f"{k} {v:.0f}" for k, v in r["imports"]["biggest_ms"].items()))


if __name__ == "__main__":
    main()
