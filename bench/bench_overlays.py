"""What the map overlays "where the step breaks" and "the modified loss" cost while panning.

    python bench/bench_overlays.py [--potential rosenbrock] [--lr 0.0015] [--frames 60] [--json]

Times render.why.maps_ui.MapsUI.draw_map at 1280x800 with both overlays on (gd at --lr) over a
pan sequence: the home view, then FRAMES frames each panned PAN_PIXELS
pixels right and down (as a mouse drag does), then one zoom notch. Prints per-frame draw_map
times (median, 90th percentile, max, in ms), the number of overlay rebuilds during the pan
(breaks-mask computations and modified-loss grids), the first build and the zoom frame, plus
process CPU seconds. Speed only: never pass/fail.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZE, emit, use_headless_sdl  # noqa: E402

PAN_PIXELS = (4, 2)  # per frame
ZOOM = 1.2  # one wheel notch


def measure(potential_name: str, frames: int, lr: float) -> dict:
    use_headless_sdl()
    import numpy as np
    import pygame

    from render.why.maps_ui import MapsUI
    from render.look.view import View
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    pygame.init()
    pot = get_potential(potential_name)
    world = World(pot, Rule("gd", lr=lr))
    ui = MapsUI(pygame.font.Font(None, 18))
    ui.set("breaks", True)
    ui.set("modified", True)
    surf = pygame.Surface(SIZE)
    view = View.fit(pot.view, SIZE)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    ui.draw_map(surf, world, view)
    first = time.perf_counter() - t0
    misses0 = ui.breaks_cache.misses
    times = []
    for _ in range(frames):
        view = view.pan(*PAN_PIXELS)
        t0 = time.perf_counter()
        ui.draw_map(surf, world, view)
        times.append(time.perf_counter() - t0)
    pan_misses = ui.breaks_cache.misses - misses0
    t0 = time.perf_counter()
    ui.draw_map(surf, world, view.zoom_about(SIZE[0] / 2, SIZE[1] / 2, ZOOM))
    zoom = time.perf_counter() - t0
    ms = np.array(times) * 1e3
    return {"potential": potential_name, "lr": lr, "frames": frames,
            "first_ms": first * 1e3, "pan_median_ms": float(np.median(ms)),
            "pan_p90_ms": float(np.percentile(ms, 90)), "pan_max_ms": float(ms.max()),
            "pan_breaks_rebuilds": int(pan_misses), "zoom_ms": zoom * 1e3,
            "cpu_s": time.process_time() - cpu0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--potential", default="rosenbrock")
    ap.add_argument("--lr", type=float, default=0.0015)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    r = measure(a.potential, a.frames, a.lr)
    if a.json:
        emit(r)
        return
    for k, v in r.items():
        print(f"{k:>22}: {v:.2f}" if isinstance(v, float) else f"{k:>22}: {v}")


if __name__ == "__main__":
    main()
