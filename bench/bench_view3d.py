"""Frame time of the headless loop with the 3D view at 1280x800 (the scene of common.py):
the 3D view alone and side by side with the map, the camera at rest or orbiting (moving every
frame, as a drag does: the window then renders the surface at 1/2 resolution, or down to
1/4 while a moving picture takes more than 8 ms; the divisor reached is printed).

    python bench/bench_view3d.py [--quick] [--json]

Each frame is what the headless loop does (events, update one nominal 60 Hz frame, draw,
flip), timed from flip to flip; WARMUP frames dropped. The issue's targets: 3D >= 60 fps at
10^4 balls and >= 30 at 10^5, side by side >= 45 at 10^4, orbiting no slower. The machine is
shared: the 1-minute load average is printed beside the figures.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SEED, SIZE, FrameStats, emit, load_average, scene_rule, use_headless_sdl  # noqa: E402

CASES = (("3d", 10_000, False), ("3d", 100_000, False), ("both", 10_000, False),
         ("3d", 10_000, True), ("3d", 100_000, True), ("both", 10_000, True))
TARGETS = {("3d", 10_000): 60.0, ("3d", 100_000): 30.0, ("both", 10_000): 45.0}
WARMUP = 5
ORBIT_PIXELS = 3  # the drag per frame while orbiting


def measure(mode: str, n: int, orbit: bool, frames: int) -> dict:
    use_headless_sdl()
    import pygame

    from render.app.app import NOMINAL_FRAME, App
    from sim.core.world import World

    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(SIZE)
    potential, rule = scene_rule()
    world = World(potential, rule, seed=SEED)
    app = App(world, SIZE, seed=SEED, headless=True)
    world.drop_random(n)
    app.layers.trails.forget_paths()
    app.view3d.set_mode(mode)
    app.view3d.live = orbit  # a drag in the window: coarse pictures while moving
    times = []
    t_last = None
    for i in range(frames + WARMUP):
        for event in pygame.event.get():
            app.handle(event)
        if orbit:
            app.view3d.cam.orbit(ORBIT_PIXELS, 0)
            app.view3d.moved()
        app.update(NOMINAL_FRAME)
        app.draw(screen)
        pygame.display.flip()
        now = time.perf_counter()
        if t_last is not None and i >= WARMUP:
            times.append(now - t_last)
        t_last = now
    renders, factor = app.view3d.picture.renders, app.view3d.picture.moving_factor
    pygame.display.quit()
    res = FrameStats(times, "App in the headless loop's order, gaps between flips").as_dict()
    res.update(mode=mode, n=n, orbit=orbit, renders=renders, moving_factor=factor if orbit else 1)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer frames")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for run_all.py)")
    a = ap.parse_args()
    frames = 60 if a.quick else 150
    rows = []
    for mode, n, orbit in CASES:
        load = load_average().split()[0]
        r = measure(mode, n, orbit, frames)
        r["load_1min"] = load
        rows.append(r)
        if not a.json:
            t = TARGETS.get((mode, n))
            verdict = "" if t is None else ("  met" if r["fps"] >= t else "  MISSED") + f" (target ≥ {t:.0f})"
            print(f"{'side by side' if mode == 'both' else '3D view':<12} {n:>7,} balls "
                  f"{'orbiting' if orbit else 'at rest ':<8}: {r['median_ms']:6.2f} ms median, "
                  f"{r['p90_ms']:6.2f} p90, {r['fps']:6.1f} fps{verdict}   [load {load}"
                  + (f", surface at 1/{r['moving_factor']} resolution" if orbit else "") + "]", flush=True)
    if a.json:
        emit({"view3d": rows, "load_after": load_average()})
    else:
        print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
