"""Memory and cost of the timeline (sim/timeline.py) at 10,000 and 100,000 balls.

    python bench/bench_timeline.py [--sizes 10000,100000] [--rules momentum,langevin] [--json]

Per (balls, rule), each in its own process: the world on the scene of common.py ticks until the timeline's budget is
full (its oldest keyframe is dropped) or --max-ticks, recording after every tick. Printed: tick alone and tick +
record (mean and worst, ms), the keyframe interval, the bytes the keyframes hold and the
growth of the process's resident memory, the ticks the history covers, and the cost of a restore (a random
tick: load a keyframe and replay; the next tick while scrubbing forward).
"""
from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, run_in_subprocess, scene_rule, start_positions  # noqa: E402

from sim.rules.dynamics import Rule  # noqa: E402
from sim.runtime.timeline import Timeline  # noqa: E402
from sim.core.world import World  # noqa: E402

RESTORES = 20  # random restores timed per run


def rss_mib() -> float:
    """The process's resident set size now (Linux /proc; else the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def world_for(n: int, rule_name: str) -> World:
    potential, rule = scene_rule()
    if rule_name != rule.name:
        rule = Rule(rule_name, lr=rule.lr, dt=0.005, friction=0.5, temperature=0.05)
    w = World(potential, rule, seed=0)
    w.drop(start_positions(potential, n))
    return w


def measure(n: int, rule_name: str, max_ticks: int) -> dict:
    w = world_for(n, rule_name)
    t0 = time.perf_counter()
    for _ in range(50):
        w.tick()
    tick_ms = (time.perf_counter() - t0) / 50 * 1e3
    gc.collect()
    rss0 = rss_mib()
    tl = Timeline()
    tl.record(w)
    start = w.tick_count
    costs = []
    for i in range(max_ticks):
        a = time.perf_counter()
        w.tick()
        tl.record(w)
        costs.append(time.perf_counter() - a)
        if tl.first > start:  # the budget is full (the oldest keyframe went): the window is steady
            break
    costs_ms = np.array(costs) * 1e3
    rss1 = rss_mib()
    first, last = tl.spans()[-1]
    rng = np.random.default_rng(1)
    restore_ms = []
    for k in rng.integers(first, last + 1, RESTORES):
        a = time.perf_counter()
        tl.restore(w, int(k))
        restore_ms.append((time.perf_counter() - a) * 1e3)
    a = time.perf_counter()
    tl.restore(w, int(k) + 1 if k < last else int(k) - 1)
    step_ms = (time.perf_counter() - a) * 1e3
    return {"n": n, "rule": rule_name, "ticks_run": len(costs), "tick_ms": tick_ms,
            "tick_record_mean_ms": float(costs_ms.mean()), "tick_record_max_ms": float(costs_ms.max()),
            "interval": tl.interval, "held_mib": tl.nbytes / 2**20, "budget_mib": tl.budget_bytes / 2**20,
            "rss_growth_mib": rss1 - rss0, "window_ticks": last - first,
            "restore_mean_ms": float(np.mean(restore_ms)), "restore_max_ms": float(np.max(restore_ms)),
            "scrub_next_ms": step_ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--rules", default="momentum,langevin")
    ap.add_argument("--max-ticks", type=int, default=12_000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", nargs=2, metavar=("BALLS", "RULE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:  # one measurement, in this (fresh) process
        emit(measure(int(a.one[0]), a.one[1], a.max_ticks))
        return
    rows = []
    for n in a.sizes.split(","):  # each in its own process: memory figures are its own
        for r in a.rules.split(","):
            res = run_in_subprocess([__file__, "--one", n, r, "--max-ticks", str(a.max_ticks)],
                                    timeout=1800.0)
            if "error" in res:
                print(f"{n} {r}: {res['error']}")
                continue
            rows.append(res)
    if not rows:
        return
    print(f"{'balls':>8} {'rule':>9} {'tick':>7} {'tick+rec':>9} {'worst':>7} {'K':>4} "
          f"{'held MiB':>9} {'RSS+ MiB':>9} {'window':>7} {'restore':>8} {'worst':>7} {'next':>6}")
    for r in rows:
        print(f"{r['n']:>8,} {r['rule']:>9} {r['tick_ms']:>7.3f} {r['tick_record_mean_ms']:>9.3f} "
              f"{r['tick_record_max_ms']:>7.2f} {r['interval']:>4} {r['held_mib']:>9.1f} "
              f"{r['rss_growth_mib']:>9.1f} {r['window_ticks']:>7,} {r['restore_mean_ms']:>8.1f} "
              f"{r['restore_max_ms']:>7.1f} {r['scrub_next_ms']:>6.2f}")
    print("(times in ms; K = keyframe interval; window = ticks the history covers; budget "
          f"{rows[0]['budget_mib']:.0f} MiB)")
    if a.json:
        emit({"rows": rows})


if __name__ == "__main__":
    main()
