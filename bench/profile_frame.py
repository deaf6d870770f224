"""Where a frame's time goes in the real headless loop (render.app.app.run), two ways:

1. sections: the loop's pieces (world.tick, projection, trails fade / stamp / draw, balls, HUD,
   the map blit, ...) are wrapped with timers in this process; printed as the median ms per
   frame of each, with the part of the frame no section covers.
2. cProfile of the same loop: the functions with the most own time, in ms per frame.

    python bench/profile_frame.py --n 100000 [--frames 60] [--no-cprofile] [--json]
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SEED, SIZE, WARMUP_FRAMES, emit, scene_rule, use_headless_sdl  # noqa: E402

# (module, class or None, attribute, label); nested sections are timed inside their parent
SECTIONS = [
    ("render.app.app", "App", "update", "update (total)"),
    ("sim.core.world", "World", "tick", "  world.tick"),
    ("render.app.app", "App", "_sample_stats", "  stats sample (mean V for the plot)"),
    ("render.app.app", "App", "draw", "draw (total)"),
    ("render.map.landscape", "Landscape", "surface", "  map: cache lookup / rebuild"),
    ("render.balls", "Projector", "project", "  project (interpolate to pixels)"),
    ("render.balls", "Trails", "fade", "  trails.fade"),
    ("render.balls", "Trails", "stamp", "  trails.stamp"),
    ("render.balls", "Trails", "draw", "  trails.draw (alpha copy + blit)"),
    ("render.balls", "Balls", "draw", "  balls.draw"),
    ("render.app.app", "App", "_pick", "  pick (ball under cursor)"),
    ("render.app.app", "App", "_draw_hud", "  HUD"),
]


class Sections:
    """Accumulates time per label within a frame; `end_frame()` closes a frame."""

    def __init__(self) -> None:
        self.cur: dict[str, float] = defaultdict(float)
        self.frames: list[dict[str, float]] = []
        self.stamps: list[float] = []
        self.undo: list = []

    def wrap(self, owner, attr: str, label: str) -> None:
        real = getattr(owner, attr)
        cur = self.cur

        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                cur[label] += time.perf_counter() - t0

        setattr(owner, attr, timed)
        self.undo.append((owner, attr, real))

    def end_frame(self) -> None:
        self.stamps.append(time.perf_counter())
        self.frames.append(dict(self.cur))
        self.cur.clear()

    def restore(self) -> None:
        for owner, attr, real in reversed(self.undo):
            setattr(owner, attr, real)


def run_loop(n: int, frames: int, sections: Sections | None, profiler: cProfile.Profile | None,
             trails: bool = True) -> None:
    use_headless_sdl()
    import importlib

    import pygame

    from render.app import app as app_mod
    from render.app.loop import run

    potential, rule = scene_rule()
    real_flip = pygame.display.flip
    real_init = app_mod.App.__init__

    def init(self, *a, **k):
        real_init(self, *a, **k)
        self.show["trails"] = trails

    app_mod.App.__init__ = init
    if profiler is not None:  # profile from the end of the warm-up frames on
        count = [0]

        def flip(*a, **k):
            out = real_flip(*a, **k)
            count[0] += 1
            if count[0] == WARMUP_FRAMES:
                profiler.enable()
            return out

        pygame.display.flip = flip
    if sections is not None:
        for mod, cls, attr, label in SECTIONS:
            m = importlib.import_module(mod)
            sections.wrap(getattr(m, cls) if cls else m, attr, label)
        sections.wrap(pygame.event, "get", "events")

        def flip(*a, **k):
            t0 = time.perf_counter()
            out = real_flip(*a, **k)
            sections.cur["flip"] += time.perf_counter() - t0
            sections.end_frame()
            return out

        pygame.display.flip = flip
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            run(potential=potential, rule=rule, seed=SEED, particles=n, frames=frames, size=SIZE)
            if profiler is not None:
                profiler.disable()
    finally:
        pygame.display.flip = real_flip
        app_mod.App.__init__ = real_init
        if sections is not None:
            sections.restore()


def section_table(n: int, frames: int, trails: bool = True, skip: int = 0) -> dict:
    """skip: frames left out after the warm-up (to look at the steady state only)."""
    s = Sections()
    run_loop(n, frames + WARMUP_FRAMES + skip, s, None, trails)
    rows = s.frames[WARMUP_FRAMES + skip:]
    gaps = [b - a for a, b in zip(s.stamps, s.stamps[1:])][WARMUP_FRAMES + skip - 1:]
    labels = [lab for *_, lab in SECTIONS] + ["events", "flip"]
    # means, not medians: some pieces run every few frames (stats sample every STATS_EVERY
    # ticks), and the means add up to the mean frame
    med = {lab: 1e3 * statistics.fmean(r.get(lab, 0.0) for r in rows) for lab in labels}
    frame = 1e3 * statistics.fmean(gaps)
    top = med["update (total)"] + med["draw (total)"] + med["events"] + med["flip"]
    med["draw: not in a section (map blit, selection, ...)"] = med["draw (total)"] - sum(
        med[lab] for lab in labels if lab.startswith("  ") and lab.strip() not in
        ("world.tick", "stats sample (mean V for the plot)"))
    med["loop overhead outside update/draw/events/flip"] = frame - top
    return {"n": n, "frames": len(rows), "frame_ms": frame,
            "frame_median_ms": 1e3 * statistics.median(gaps), "sections_ms": med}


def cprofile_table(n: int, frames: int, top: int = 22, trails: bool = True) -> list[dict]:
    prof = cProfile.Profile()
    run_loop(n, frames + WARMUP_FRAMES, None, prof, trails)
    st = pstats.Stats(prof)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():
        rows.append({"func": f"{Path(file).name}:{line}({func})", "calls_per_frame": nc / frames,
                     "own_ms": 1e3 * tt / frames, "cum_ms": 1e3 * ct / frames})
    rows.sort(key=lambda r: -r["own_ms"])
    return rows[:top]


def print_report(sec: dict, prof: list[dict] | None) -> None:
    print(f"\n== {sec['n']:,} particles: mean frame {sec['frame_ms']:.2f} ms (median "
          f"{sec['frame_median_ms']:.2f}) over {sec['frames']} frames; sections are means ==")
    print(f"{'section':<52}{'ms/frame':>10}{'share':>8}")
    for lab, ms in sec["sections_ms"].items():
        print(f"{lab:<52}{ms:>10.2f}{100 * ms / sec['frame_ms']:>7.0f}%")
    if prof:
        print(f"\ncProfile (includes its own overhead), top {len(prof)} by own time:")
        print(f"{'function':<60}{'calls/fr':>9}{'own ms':>9}{'cum ms':>9}")
        for r in prof:
            print(f"{r['func'][:59]:<60}{r['calls_per_frame']:>9.1f}{r['own_ms']:>9.2f}{r['cum_ms']:>9.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--skip", type=int, default=0,
                    help="leave out this many frames after the warm-up (steady state only)")
    ap.add_argument("--no-cprofile", action="store_true")
    ap.add_argument("--no-trails", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    out = []
    for n in a.n:
        frames = a.frames or (60 if n < 1_000_000 else 15)
        sec = section_table(n, frames, not a.no_trails, a.skip)
        prof = None if a.no_cprofile else cprofile_table(n, frames, trails=not a.no_trails)
        out.append({"sections": sec, "cprofile": prof})
        if not a.json:
            print_report(sec, prof)
    if a.json:
        emit({"profiles": out})


if __name__ == "__main__":
    main()
