"""Frame time of the real headless loop (render.app.app.run with frames=N): sim + map + balls +
trails + HUD at 1280x800, on the scene of common.py.

    python bench/bench_frame.py --n 100000 [--frames 120] [--quick] [--json]

How it is timed: render.app.app.run is called in this process exactly as main.py calls it, with
pygame.display.flip wrapped to take a timestamp; the loop calls flip once at the end of every
frame, so frame k's time is the gap between flips k-1 and k (events, update, draw and flip, all
of it). The first WARMUP_FRAMES gaps are dropped (the first frame builds the map and grows the
buffers; it is reported on its own as `first_frame_ms`, from the call of run()).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (POTENTIAL, RULE, SEED, SIZE, WARMUP_FRAMES, FrameStats, emit,  # noqa: E402
                    scene_rule, use_headless_sdl)


def default_frames(n: int, quick: bool) -> int:
    if quick:
        return {1_000: 90, 10_000: 90, 100_000: 60}.get(n, 14 if n >= 1_000_000 else 60)
    return {1_000: 300, 10_000: 300, 100_000: 200}.get(n, 40 if n >= 1_000_000 else 200)


def measure(n: int, frames: int, trails: bool = True) -> dict:
    use_headless_sdl()
    import pygame

    from render.app import app as app_mod
    from render.app.loop import run

    potential, rule = scene_rule()
    stamps: list[float] = []
    real_flip = pygame.display.flip

    def flip(*a, **k):
        out = real_flip(*a, **k)
        stamps.append(time.perf_counter())
        return out

    real_init = app_mod.App.__init__

    def init(self, *a, **k):  # trails are on by default; --no-trails turns them off
        real_init(self, *a, **k)
        self.show["trails"] = trails

    pygame.display.flip = flip
    app_mod.App.__init__ = init
    out = io.StringIO()
    try:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out):
            status = run(potential=potential, rule=rule, seed=SEED, particles=n,
                                 frames=frames + WARMUP_FRAMES, size=SIZE)
        total = time.perf_counter() - t0
    finally:
        pygame.display.flip = real_flip
        app_mod.App.__init__ = real_init
    if status != 0:
        raise RuntimeError(f"run() returned {status}: {out.getvalue().strip()}")
    gaps = [b - a for a, b in zip(stamps, stamps[1:])][WARMUP_FRAMES - 1:]
    res = FrameStats(gaps, "in-process render.app.app.run, gaps between display.flip calls").as_dict()
    res["first_frame_ms"] = 1e3 * (stamps[0] - t0) if stamps else float("nan")
    res["run_total_s"] = total
    res["loop_says"] = out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else ""
    res["trails"] = trails
    res["lr"] = rule.lr
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--frames", type=int, default=None, help="timed frames (default by n)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-trails", action="store_true")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for run_all.py)")
    a = ap.parse_args()
    res = measure(a.n, a.frames or default_frames(a.n, a.quick), trails=not a.no_trails)
    res.update(impl="ours", n=a.n, potential=POTENTIAL, rule=RULE)
    if a.json:
        emit(res)
    else:
        print(f"ours n={a.n:,}: median {res['median_ms']:.2f} ms, worst {res['worst_ms']:.2f} ms, "
              f"{res['fps']:.1f} fps ({res['frames']} frames; first frame {res['first_frame_ms']:.0f} ms)")
        print(f"  the loop itself printed: {res['loop_says']}")


if __name__ == "__main__":
    main()
