"""A fast drag on the timeline strip at many balls: what one frame of queued motions costs.

    python bench/bench_scrub.py [--balls 100000] [--motions 30] [--frames 5]

The window (headless App) with --balls balls ticks until the timeline holds a few hundred
ticks; then each timed frame is one drag's --motions queued mouse motions across the strip
and the frame's update: the motions are coalesced (one restore, for the last). Printed: ms per
frame of motions (mean, worst), and beside it the cost of restoring at every motion (what the
window did before coalescing: --motions restores a frame). Prints figures, never passes or fails.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--balls", type=int, default=100_000)
    ap.add_argument("--motions", type=int, default=30)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--ticks", type=int, default=200)
    a = ap.parse_args()
    import pygame

    from render.app.app import App
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.landscapes.tuning import suggest
    from sim.core.world import World

    pygame.display.init()
    pygame.font.init()
    pot = get_potential("rosenbrock")
    world = World(pot, suggest(pot, Rule("momentum")), seed=0)
    app = App(world, (1280, 800), seed=0, headless=True)
    app.apply_instruments({"timeline": True})
    world.drop_random(a.balls)
    surf = pygame.Surface((1280, 800), 0, 32)
    for _ in range(a.ticks):  # a tick a frame, as the window runs: keyframes every interval
        app.runtime.tick(1)
    app.draw(surf)
    ui, strip = app.timeline_ui, app.timeline_ui.strip
    y = ui.rect.centery
    first, last = app.runtime.timeline.spans()[0][0], app.runtime.timeline.last
    rng = np.random.default_rng(1)
    ev = pygame.event.Event

    def xs() -> list[int]:
        return [int(round(strip.axis.tick_to_x(t))) for t in rng.uniform(first, last, a.motions)]

    coalesced, each = [], []
    for _ in range(a.frames):
        path = xs()
        app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=(path[0], y), button=1, mod=0))
        t0 = time.perf_counter()
        for x in path:
            app.handle(ev(pygame.MOUSEMOTION, pos=(x, y), rel=(1, 0), buttons=(1, 0, 0)))
        app.update(1 / 60)
        coalesced.append(time.perf_counter() - t0)
        app.handle(ev(pygame.MOUSEBUTTONUP, pos=(path[-1], y), button=1, mod=0))
        t0 = time.perf_counter()
        for x in xs():  # before: a restore at every motion
            app.runtime.scrub(strip.tick_at(x))
        each.append(time.perf_counter() - t0)
    ms = lambda v: f"{1e3 * np.mean(v):.1f} ms (worst {1e3 * np.max(v):.1f})"  # noqa: E731
    print(f"{a.balls:,} balls, timeline {first}..{last} (interval {app.runtime.timeline.interval}), "
          f"{a.motions} motions a frame:")
    print(f"  coalesced (one restore a frame): {ms(coalesced)}")
    print(f"  a restore at every motion:       {ms(each)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
