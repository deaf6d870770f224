"""Simulation ticks per second for every rule on Rosenbrock (prints a table; never pass/fail).

    python bench/bench_sim.py [--sizes 1000,10000,100000,1000000] [--seconds 1.0] [--window] [--json]
                              [--rules lion,sam,...]

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

from sim.dynamics import RULES, Rule  # noqa: E402
from sim.potentials import get_potential  # noqa: E402
from sim.world import World  # noqa: E402

POTENTIAL = "rosenbrock"
# used when sim/tuning.py is not there
PARAMS = {"gd": dict(lr=2e-5), "momentum": dict(lr=1e-5), "nesterov": dict(lr=1e-5),
          "adagrad": dict(lr=1e-2), "rmsprop": dict(lr=1e-2), "adam": dict(lr=1e-2),
          "newton": dict(dt=2e-3), "langevin": dict(dt=2e-3)}
SIZES = (1_000, 10_000, 100_000, 1_000_000)


def make_rule(name: str, potential) -> Rule:
    try:
        from sim.tuning import suggest  # numpy + sim only

        return suggest(potential, Rule(name))
    except ImportError:
        return Rule(name, **PARAMS[name])


def measure(rule: Rule, n: int, seconds: float, keep_prev: bool, potential_name: str = POTENTIAL) -> dict:
    """Ticks per second with n particles (median over timed chunks of ~2M particle-ticks)."""
    w = World(get_potential(potential_name), rule, seed=0)
    w.keep_prev = keep_prev
    w.drop_random(n)
    w.tick(2)  # warm up: buffers, caches
    chunk = max(1, int(2e6 // n))
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


def run(sizes=SIZES, seconds: float = 1.0, keep_prev: bool = True, rules=RULES) -> list[dict]:
    pot = get_potential(POTENTIAL)
    return [measure(make_rule(name, pot), n, seconds, keep_prev) for name in rules for n in sizes]


def print_table(rows: list[dict], sizes, rules=RULES) -> None:
    print(f"ticks per second (ms per tick) [M particle-ticks/s], {POTENTIAL}, numpy {np.__version__}")
    print(f"{'rule':<20}" + "".join(f"{n:>30,}" for n in sizes))
    for name in rules:
        cells = {r["n"]: r for r in rows if r["rule"] == name}
        print(f"{name:<20}" + "".join(
            f"{cells[n]['ticks_per_s']:>10,.0f} ({cells[n]['ms_per_tick']:7.2f}) [{cells[n]['mpts']:6.1f}]"
            for n in sizes if n in cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--window", action="store_true",
                    help="also copy positions for interpolation, as the window does (its keep_prev)")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for run_all.py)")
    ap.add_argument("--rules", default=",".join(RULES), help="comma-separated rules (default: all)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    rules = tuple(r for r in a.rules.split(",") if r)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        ap.error(f"unknown rule {unknown[0]!r}; choose from: {', '.join(RULES)}")
    rows = run(sizes, a.seconds, a.window, rules)
    if a.json:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from common import emit

        emit({"sim": rows, "keep_prev": a.window})
    else:
        print_table(rows, sizes, rules)


if __name__ == "__main__":
    main()
