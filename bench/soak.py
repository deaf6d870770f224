"""Soak: the full headless loop for many frames with many balls and trails; memory must stay flat.

    python bench/soak.py [--frames 100000] [--balls 10000] [--every 10000] [--potential himmelblau]

Runs the same loop as `python main.py --headless --frames N` (App.handle / update / draw on an
offscreen 1280x800 window), in-process, with trails on. Every `--restart` frames the balls go
back to their drop points (R), so they keep moving and the trails keep being drawn. Prints the
resident set size (VmRSS from /proc/self/status) at the start, every `--every` frames and at
the end, the growth from the first sample after warm-up to the end (glyph and layout caches
fill to their bounds in the first tens of thousands of frames) and over the second half (the
flat-memory figure). Prints figures; never passes or fails on them.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

WARM_UP = 1000  # frames before the baseline sample (caches, map, glyphs, first growth)


def rss_mib() -> float:
    """Resident set size of this process in MiB (Linux /proc; nan elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--balls", type=int, default=10_000)
    ap.add_argument("--every", type=int, default=10_000, help="frames between RSS lines")
    ap.add_argument("--restart", type=int, default=3_000, help="frames between restarts (R)")
    ap.add_argument("--potential", default="himmelblau")
    ap.add_argument("--rule", default="momentum")
    ap.add_argument("--size", default="1280x800")
    args = ap.parse_args(argv)

    import pygame

    from render.app.app import NOMINAL_FRAME, App
    from sim.landscapes.tuning import suggest
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    start_rss = rss_mib()
    w, h = (int(v) for v in args.size.split("x"))
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode((w, h))
    pot = get_potential(args.potential)
    world = World(pot, suggest(pot, Rule(args.rule)), seed=1)
    app = App(world, (w, h), seed=1, headless=True)
    world.drop_random(args.balls)
    app.layers.trails.forget_paths()
    assert app.show["trails"], "trails must be on for the soak"
    print(f"soak: {args.frames:,} frames, {world.n:,} balls, trails on, {args.potential} / "
          f"{world.rule.label()}, {w}x{h}", flush=True)
    print(f"{'frame':>8} {'RSS MiB':>9} {'fps (window)':>13} {'alive':>7}", flush=True)
    print(f"{'start':>8} {start_rss:9.1f} {'(before pygame window)':>13}", flush=True)
    t0 = t_last = time.perf_counter()
    baseline = None
    half = None  # RSS at half way: growth over the second half is the "flat" figure
    last_frame = 0
    for i in range(1, args.frames + 1):
        for event in pygame.event.get():
            app.handle(event)
        app.update(NOMINAL_FRAME)
        app.draw(screen)
        pygame.display.flip()
        if i % args.restart == 0:
            app.runtime.balls.restart()
        if i == WARM_UP:
            baseline = rss_mib()
            print(f"{i:>8} {baseline:9.1f} {'(baseline after warm-up)':>13}", flush=True)
        if i == args.frames // 2:
            half = rss_mib()
        if i % args.every == 0 or i == args.frames:
            now = time.perf_counter()
            fps = (i - last_frame) / max(now - t_last, 1e-9)
            t_last, last_frame = now, i
            print(f"{i:>8} {rss_mib():9.1f} {fps:13.1f} {world.counts()[0]:7,}", flush=True)
    end_rss = rss_mib()
    elapsed = time.perf_counter() - t0
    nan = float("nan")
    growth = end_rss - baseline if baseline is not None else nan
    second = end_rss - half if half is not None else nan
    print(f"end: RSS {end_rss:.1f} MiB (start {start_rss:.1f}, after warm-up "
          f"{baseline if baseline is not None else nan:.1f}: {growth:+.1f} MiB since, while the "
          f"caches fill; over the second half {second:+.1f} MiB); {args.frames:,} frames in "
          f"{elapsed:.0f} s ({args.frames / elapsed:.0f} fps)", flush=True)
    pygame.display.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
