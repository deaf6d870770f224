"""What a zoom or pan costs: the contour map rebuilt at 1280x800 for every built-in potential.

    python bench/bench_map.py [--repeats 5] [--json]

Times render.map.landscape.Landscape.surface() for a view it has not seen (the home view zoomed
one wheel notch, ZOOM_STEP, about a point off-centre: a cache miss, as a real zoom is), median
of the repeats, two ways:

- draft: `surface(view, potential, draft=True)`, what the window shows at every step of a
  zoom or pan (render/app.py: drafts until the view has rested DRAFT_SECONDS): the map at
  half resolution, smooth-scaled up. This is the cost a zoom or pan step adds to its frame.
- full: `surface(view, potential)`, the map at full resolution, built once when the view
  rests; with its parts: V on the pixel grid (potential.value_grid), the shading fit
  (Shading.for_values), the colours and iso-lines (shade), and the surface (blit_array +
  minima).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZE, emit, use_headless_sdl  # noqa: E402

ZOOM = 1.2  # one wheel notch (render/app.py ZOOM_STEP)


def _timed(f, *a):
    t0 = time.perf_counter()
    out = f(*a)
    return out, time.perf_counter() - t0


def measure(potential, repeats: int) -> dict:
    use_headless_sdl()
    import numpy as np
    import pygame

    from render.map import landscape as L
    from render.look.view import View

    home = View.fit(potential.view, SIZE)
    total, drafts = [], []
    parts = {"value_grid": [], "shading_fit": [], "shade": [], "surface": []}
    for k in range(repeats):
        # a fresh view each time (never a cache hit): zoom in about a point, alternating a pan
        view = home.zoom_about(0.4 * SIZE[0], 0.6 * SIZE[1], ZOOM ** (1 + k % 2)).pan(3 * k, -2 * k)
        land = L.Landscape()
        _, t = _timed(land.surface, view, potential, True)
        drafts.append(t)
        land = L.Landscape()
        _, t = _timed(land.surface, view, potential)
        total.append(t)
        # the same work in parts (a replica of Landscape._build; the total above is the real one)
        xs, ys = view.pixel_centres()
        v, t1 = _timed(potential.value_grid, xs, ys)
        known = potential.minimum_values
        known_min = float(np.min(known)) if len(known) else None
        if hasattr(L, "uses_log"):
            log = L.uses_log(potential)
        else:
            log = True if potential.log_scale else (None if potential.bounded_below else False)
        shading, t2 = _timed(L.Shading.for_values, v, log, known_min)
        rgb, t3 = _timed(L.shade, v, shading)
        t0 = time.perf_counter()
        surf = pygame.Surface((view.w, view.h))
        pygame.surfarray.blit_array(surf, rgb)
        L.Landscape._mark_minima(surf, view, potential)
        t4 = time.perf_counter() - t0
        for key, dt in zip(parts, (t1, t2, t3, t4)):
            parts[key].append(dt)
    return {"potential": potential.name, "median_ms": 1e3 * statistics.median(total),
            "worst_ms": 1e3 * max(total), "draft_median_ms": 1e3 * statistics.median(drafts),
            "draft_worst_ms": 1e3 * max(drafts),
            "parts_ms": {k: 1e3 * statistics.median(v) for k, v in parts.items()}}


def run(repeats: int) -> list[dict]:
    from sim.data.catalog import POTENTIALS

    rows = [measure(p, repeats) for p in POTENTIALS.values()]
    try:  # a user's formula goes through the expression evaluator
        from sim.landscapes.formula.potential import expression_potential

        rows.append(measure(expression_potential("sin(x)*cos(y) + 0.1*(x**2+y**2)"), repeats))
        rows[-1]["potential"] = "--expr sin(x)*cos(y)+0.1*(x²+y²)"
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        rows.append({"potential": "--expr", "error": str(e)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = run(a.repeats)
    if a.json:
        emit({"maps": rows})
        return
    print(f"map rebuild at {SIZE[0]}x{SIZE[1]} (median of {a.repeats}), ms")
    print(f"{'potential':<36}{'draft':>8}{'worst':>8}{'full':>8}{'worst':>8}{'V grid':>8}{'fit':>8}"
          f"{'shade':>8}{'surface':>8}")
    for r in rows:
        if "error" in r:
            print(f"{r['potential']:<36} error: {r['error']}")
            continue
        p = r["parts_ms"]
        print(f"{r['potential'][:35]:<36}{r['draft_median_ms']:>8.1f}{r['draft_worst_ms']:>8.1f}"
              f"{r['median_ms']:>8.1f}{r['worst_ms']:>8.1f}{p['value_grid']:>8.1f}"
              f"{p['shading_fit']:>8.1f}{p['shade']:>8.1f}{p['surface']:>8.1f}")


if __name__ == "__main__":
    main()
