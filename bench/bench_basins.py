"""Basins at screen resolution: one start per 2x2 pixels of a 1280x800 map (640 x 400 =
256,000 starts), computed coarse to fine by sim.instruments.basin_levels.FineBasinJob. Prints figures;
never pass/fail.

    python bench/bench_basins.py [--rules gd,newton] [--grid 640x400] [--potential himmelblau]

For each rule: seconds until the whole map is coloured (the coarse level), until every start
is computed (wall clock, and this process's CPU time: on a shared machine the better figure),
and how the starts ended (basins, diverged, still moving).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# rule name -> parameters; the window's own step sizes for himmelblau (render/tuning.py) and
# the lesson's (assets/scenes/himmelblau_basins.toml)
RULE_SETS = {
    "gd": dict(lr=0.002),
    "gd-window": dict(name="gd", lr=0.0002),
    "momentum": dict(lr=0.0001, beta=0.9),
    "nesterov": dict(lr=0.0001, beta=0.9),
    "adagrad": dict(lr=0.02),
    "rmsprop": dict(lr=0.02),
    "adam": dict(lr=0.02),
    "newton": dict(dt=0.01, friction=0.5),
    "newton-window": dict(name="newton", dt=0.005, friction=0.5),
    "langevin": dict(dt=0.005, friction=0.5, temperature=0.1),
}


def measure(name: str, potential: str, grid: tuple[int, int]) -> dict:
    from render.panels.basins_ui import basin_ticks
    from sim.instruments.basins import DIVERGED, MOVING
    from sim.instruments.basin_levels import FineBasinJob
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential

    params = dict(RULE_SETS[name])
    rule = Rule(name=params.pop("name", name), **params)
    pot = get_potential(potential)
    t0, c0 = time.perf_counter(), time.process_time()
    job = FineBasinJob(pot, rule, pot.view, grid, max_ticks=basin_ticks(rule))
    first = None
    while job.running:
        job.advance(job.max_ticks, max_seconds=0.05)  # the window's way: short slices
        if first is None and job.tiles_done >= 1:
            first = time.perf_counter() - t0
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    lab = job.labels
    return dict(rule=name, label=rule.label(), starts=lab.size, tiles=len(job.tiles),
                coarse_s=first, total_s=total, cpu_s=cpu, ball_ticks=job.ticks,
                basins=int(len(set(lab[lab >= 0].ravel().tolist()))),
                diverged=float((lab == DIVERGED).mean()),
                moving=float((lab == MOVING).mean()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default="gd,newton")
    ap.add_argument("--grid", default="640x400")
    ap.add_argument("--potential", default="himmelblau")
    a = ap.parse_args()
    gx, gy = (int(v) for v in a.grid.split("x"))
    print(f"{a.potential}, {gx}x{gy} = {gx * gy:,} starts; load average {os.getloadavg()[0]:.2f}")
    for name in a.rules.split(","):
        r = measure(name, a.potential, (gx, gy))
        print(f"{r['label']:44s} coarse map {r['coarse_s']:.2f} s, all starts {r['total_s']:.2f} s "
              f"({r['cpu_s']:.2f} s of CPU), "
              f"{r['tiles']} tiles, {r['basins']} basins, {100 * r['diverged']:.1f}% diverged, "
              f"{100 * r['moving']:.1f}% still moving", flush=True)
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
