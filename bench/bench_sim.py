"""Simulation ticks per second for every rule on Rosenbrock (prints a table; never pass/fail).

    python bench/bench_sim.py [--sizes 1000,10000,100000,1000000] [--seconds 1.0] [--window] [--json]
                              [--rules adamw,nadam,...]

Step sizes are the ones the window picks for Rosenbrock (sim/tuning.py), so the particles
behave as on screen (few diverge; a diverged particle still costs its share of a tick). The
last column of the JSON says how many had diverged by the end.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.rules.dynamics import RULES, Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402

POTENTIAL = "rosenbrock"
# used when sim/tuning.py is not there
PARAMS = {"gd": dict(lr=2e-5), "momentum": dict(lr=1e-5), "nesterov": dict(lr=1e-5),
          "adagrad": dict(lr=1e-2), "rmsprop": dict(lr=1e-2), "adam": dict(lr=1e-2),
          "newton": dict(dt=2e-3), "langevin": dict(dt=2e-3)}
SIZES = (1_000, 10_000, 100_000, 1_000_000)


def make_rule(name: str, potential) -> Rule:
    try:
        from sim.landscapes.tuning import suggest  # numpy + sim only

        return suggest(potential, Rule(name))
    except ImportError:
        return Rule(name, **PARAMS[name])


def measure(rule: Rule, n: int, seconds: float, keep_prev: bool, potential_name: str = POTENTIAL) -> dict:
    """Ticks per second with n particles (median over timed chunks of ~2M particle-ticks)."""
    w = World(get_potential(potential_name), rule, seed=0)
    w.keep_prev = keep_prev
    w.drop_random(n)
    w.tick(1)  # warm up: buffers, caches
    t0 = time.perf_counter()
    w.tick(1)
    one = time.perf_counter() - t0
    chunk = max(1, min(int(2e6 // n), int(0.5 / max(one, 1e-9))))  # lbfgs: a tick can take seconds
    rates = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(rates) < 3:
        t0 = time.perf_counter()
        w.tick(chunk)
        rates.append(chunk / (time.perf_counter() - t0))
    tps = float(np.median(rates))
    return {"rule": rule.name, "n": n, "ticks_per_s": tps, "ms_per_tick": 1e3 / tps,
            "mpts": n * tps / 1e6, "diverged": w.counts()[1], "ticks": w.tick_count,
            "step": rule.dt if rule.newtonian else rule.lr}


def run(sizes=SIZES, seconds: float = 1.0, keep_prev: bool = True, only=None) -> list[dict]:
    pot = get_potential(POTENTIAL)
    return [measure(make_rule(name, pot), n, seconds, keep_prev) for name in RULES
            if not only or name in only for n in sizes]


def print_table(rows: list[dict], sizes) -> None:
    print(f"ticks per second (ms per tick), {POTENTIAL}, numpy {np.__version__}")
    big = max(sizes)
    print(f"{'rule':<14}" + "".join(f"{n:>20,}" for n in sizes) + f"   M particle-ticks/s at {big:,} (diverged)")
    for name in RULES:
        cells = {r["n"]: r for r in rows if r["rule"] == name}
        if not cells:
            continue
        print(f"{name:<14}" + "".join(
            f"{cells[n]['ticks_per_s']:>10,.0f} ({cells[n]['ms_per_tick']:6.2f})" for n in sizes if n in cells)
            + (f"   {cells[big]['mpts']:8.1f} ({cells[big]['diverged']:,})" if big in cells else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--window", action="store_true",
                    help="also copy positions for interpolation, as the window does (its keep_prev)")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for run_all.py)")
    ap.add_argument("--rules", default="", help="only these rules (comma-separated; default all)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    only = [r for r in a.rules.split(",") if r]
    rows = run(sizes, a.seconds, a.window, only)
    if a.json:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from common import emit

        emit({"sim": rows, "keep_prev": a.window})
    else:
        print_table(rows, sizes)


if __name__ == "__main__":
    main()
