"""Simulation ticks per second for every rule on Rosenbrock (prints a table; never pass/fail).

    python bench/bench_sim.py [--sizes 1000,100000,1000000] [--seconds 1.0]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.dynamics import RULES, Rule  # noqa: E402
from sim.potentials import get_potential  # noqa: E402
from sim.world import World  # noqa: E402

PARAMS = {"gd": dict(lr=1e-4), "momentum": dict(lr=1e-4), "nesterov": dict(lr=1e-4),
          "adagrad": dict(lr=1e-2), "rmsprop": dict(lr=1e-3), "adam": dict(lr=1e-3),
          "newton": dict(dt=1e-3, friction=1.0), "langevin": dict(dt=1e-3, friction=1.0, temperature=0.1)}


def measure(rule: Rule, n: int, seconds: float, keep_prev: bool) -> float:
    """Particle-ticks per second for n particles (median of timed chunks)."""
    w = World(get_potential("rosenbrock"), rule, seed=0)
    w.keep_prev = keep_prev
    w.drop_random(n)
    w.tick(2)  # warm up: buffers, caches
    chunk = max(1, int(2e6 // n))
    rates = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(rates) < 3:
        t0 = time.perf_counter()
        w.tick(chunk)
        rates.append(n * chunk / (time.perf_counter() - t0))
    return float(np.median(rates))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,100000,1000000")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--window", action="store_true", help="also copy positions for interpolation (as the window does)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    print(f"particle-ticks per second (millions), rosenbrock, numpy {np.__version__}"
          f"{', window mode (prev copy)' if a.window else ''}")
    print(f"{'rule':<10}" + "".join(f"{n:>14,}" for n in sizes))
    for name in RULES:
        rule = Rule(name, **PARAMS[name])
        row = [measure(rule, n, a.seconds, a.window) / 1e6 for n in sizes]
        print(f"{name:<10}" + "".join(f"{r:>14.1f}" for r in row), flush=True)


if __name__ == "__main__":
    main()
