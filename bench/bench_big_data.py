"""The window with the largest data file the reader takes (100,000 rows): frame time of the
real loop offscreen (render.app.app.App at 1280x800 with the control panel and the data pane, one
tick per frame), the data pane's points alone, and the frames during the network's retrain
after an edit (mlp: the retrain takes its share of the frame, sim/data/retrain.py). Prints
figures; nothing passes or fails on time.

    python bench/bench_big_data.py [--rows 100000] [--frames 60] [--retrain-seconds 8]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZE, use_headless_sdl  # noqa: E402


def write_csv(folder: Path, rows: int, kind: str) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    path = folder / f"{kind}-{rows}.csv"
    if kind == "regression":
        x = rng.uniform(0, 3, rows)
        body = "".join(f"{a:.6g},{0.8 * a + 1 + 0.3 * e:.6g}\n" for a, e in zip(x, rng.standard_normal(rows)))
        path.write_text("x,y\n" + body)
    else:
        lab = rng.integers(0, 2, rows)
        x = rng.standard_normal((rows, 2)) + (2 * lab[:, None] - 1) * 0.8
        path.write_text("x1,x2,label\n" + "".join(f"{a:.6g},{b:.6g},{c}\n" for (a, b), c in zip(x, lab)))
    return path


def make_app(name: str, path: Path, balls: int):
    import pygame

    from render.app.app import App
    from sim.data import make_landscape
    from sim.data.sets import read_csv
    from sim.rules.dynamics import Rule
    from sim.landscapes.tuning import suggest
    from sim.core.world import World

    pot = make_landscape(name, read_csv(path))
    world = World(pot, suggest(pot, Rule("gd")), seed=1)
    app = App(world, SIZE, seed=1)  # as the window: the control panel, the timeline strip
    world.drop_random(balls)
    screen = pygame.display.get_surface()
    return app, screen


def frames(app, screen, n: int) -> list[tuple[float, float, float]]:
    """n frames of the window's loop, one tick each (update by 1/60 s, then draw): per frame
    (wall seconds, CPU seconds, CPU seconds of the draw alone). CPU time is what a free core
    gives on a machine shared with other work."""
    out = []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        app.update(1 / 60)
        c1 = time.process_time()
        app.draw(screen)
        c2 = time.process_time()
        out.append((time.perf_counter() - w0, c2 - c0, c2 - c1))
    return out


def line(label: str, ts: list) -> str:
    if not ts:
        return f"{label:<46} (no frames)"
    cols = list(zip(*[t if isinstance(t, tuple) else (t, t, t) for t in ts]))
    wall, cpu, draw = (statistics.median(c) * 1e3 for c in cols)
    return (f"{label:<46} CPU {cpu:7.1f} ms/frame => {1e3 / cpu:6.1f} fps (draw {draw:6.1f} ms); "
            f"wall {wall:7.1f} ms  ({len(ts)} frames, medians)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--balls", type=int, default=20)
    ap.add_argument("--retrain-seconds", type=float, default=8.0)
    ap.add_argument("--mlp-rows", type=int, default=None, help="rows for mlp (default --rows; its "
                    "start-up training on 100,000 rows takes minutes)")
    ap.add_argument("--mlp-batch", type=int, default=0, help="the balls' minibatch on mlp (0: full)")
    args = ap.parse_args()
    use_headless_sdl()
    import pygame

    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode(SIZE)
    from render.data import pane as D

    folder = Path(tempfile.mkdtemp(prefix="nd-bigdata-"))
    for name, kind in (("linreg", "regression"), ("logreg", "classification")):
        path = write_csv(folder, args.rows, kind)
        app, screen = make_app(name, path, args.balls)
        frames(app, screen, 5)  # warm-up: the first map
        print(line(f"{name} {args.rows:,} rows, {args.balls} balls: frame", frames(app, screen, args.frames)))
        pane = app.instruments.data.pane
        data = app.world.potential.data
        ts = []
        screen.set_clip(pane.rect)  # as draw_pane does
        for _ in range(args.frames):
            w0, c0 = time.perf_counter(), time.process_time()
            D._draw_points(screen, pane, data)
            c = time.process_time() - c0
            ts.append((time.perf_counter() - w0, c, c))
        screen.set_clip(None)
        print(line(f"{name}: the pane's {args.rows:,} points alone", ts))
    rows = args.mlp_rows or args.rows
    path = write_csv(folder, rows, "classification")
    t0 = time.perf_counter()
    app, screen = make_app("mlp", path, args.balls)
    if args.mlp_batch:
        app.world.set_batch(args.mlp_batch)
    print(f"mlp {rows:,} rows, batch {args.mlp_batch or 'full'}: start-up training "
          f"{time.perf_counter() - t0:.1f} s wall")
    frames(app, screen, 5)
    print(line("mlp: frame", frames(app, screen, args.frames)))
    view = app.instruments.data
    rect = view.rect
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(rect.right - 8, rect.top + 30), button=1))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(rect.right - 8, rect.top + 30), button=1))
    ts: list = []
    end = time.perf_counter() + args.retrain_seconds
    while view.retrain.active and time.perf_counter() < end:
        ts += frames(app, screen, 1)
    state = "done" if not view.retrain.active else f"{100 * view.retrain.progress:.0f}% done"
    print(line(f"mlp: frames during the retrain ({state})", ts))
    print(f"(load average: {__import__('os').getloadavg()[0]:.1f} on {__import__('os').cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
