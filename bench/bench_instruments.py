"""What the instruments cost: the energy ledger's sums per call, and whole headless frames with
each instrument panel on, beside the same run with none. Prints figures; never pass/fail.

    python bench/bench_instruments.py [--n 200000] [--frames 60]

Frames are timed by main.py's own headless loop ("N frames ...: X fps"), each run in a fresh
process; newton (dt 0.01, friction 0.3) on himmelblau, trails and HUD on.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ledger_calls(n: int, repeats: int = 10) -> list[tuple[str, float, float]]:
    from sim.instruments.ledger import ledger, ledger_total
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    out = []
    for name in ("himmelblau", "gaussian_wells", "rastrigin"):
        w = World(get_potential(name), Rule("newton", dt=0.01, friction=0.3), seed=1)
        w.drop_random(n)
        w.tick(2)
        times = []
        for f in (ledger, ledger_total):
            f(w)
            t = time.perf_counter()
            for _ in range(repeats):
                f(w)
            times.append(1e3 * (time.perf_counter() - t) / repeats)
        out.append((name, *times))
    return out


def frame_fps(n: int, frames: int, show: str | None) -> tuple[float, int]:
    cmd = [sys.executable, str(ROOT / "main.py"), "--headless", "--frames", str(frames),
           "--potential", "himmelblau", "--dynamics", "newton", "--dt", "0.01", "--friction", "0.3",
           "--particles", str(n), "--seed", "1"]
    if show:
        cmd += ["--show", show]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    m = re.search(r"(\d+) particles, \S+: ([\d.]+) fps", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip() or r.stdout.strip()}")
    return float(m.group(2)), int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--frames", type=int, default=60)
    a = ap.parse_args()
    print(f"energy ledger sums over {a.n:,} newton balls (ms per call)")
    print(f"  {'landscape':16s} {'ledger()':>10s} {'ledger_total()':>15s}")
    for name, full, fast in ledger_calls(a.n):
        print(f"  {name:16s} {full:10.1f} {fast:15.1f}")
    print(f"\nheadless frames, {a.n:,} balls, 1280x800 (fps; ms per frame)")
    base, _ = frame_fps(a.n, a.frames, None)
    print(f"  {'no instrument':16s} {base:7.1f} fps {1e3 / base:7.1f} ms")
    for show in ("ledger", "stability", "heat", "race"):
        fps, balls = frame_fps(a.n, a.frames, show)
        note = f"   ({balls:,} balls: one per lane)" if balls != a.n else ""
        print(f"  {show:16s} {fps:7.1f} fps {1e3 / fps:7.1f} ms  ({1e3 / fps - 1e3 / base:+.1f} ms){note}")


if __name__ == "__main__":
    main()
