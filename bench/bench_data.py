"""Data landscapes: frame rate of the headless loop, ticks per second, maps, retraining and
minibatch sampling. Prints figures; nothing passes or fails on time.

    python bench/bench_data.py [--frames 200] [--quick]

- loop: the real window loop offscreen (render.app.app.App: update at the nominal 60 Hz schedule
  + draw at 1280x800, one tick per frame), timed per frame after a warm-up (the network's
  training and the first map are in the warm-up); "CPU ms": process time per frame, warm-up
  included (what a free core would give when others share the machine): linreg 10,000 balls batch 8, mlp 1,000
  balls (full batch and batch 8), logreg 1,000 balls.
- sim: World.tick alone, ticks per second, for the same cases.
- map: render.map.landscape.Landscape.surface for a fresh view, draft and full, per landscape.
- edit: what the window does after a data edit, per landscape: the landscape on the edited
  data, then a draft and a full map (with the log-or-linear decision).
- retrain: MLPPlane(data).ensure(): what an edit of the data costs the network (training,
  directions, the listed minimum), and the same retrain sliced over frames as the window runs
  it (sim/data/retrain.py); the mlp gradient with a float32 vs float64 hidden layer.
- sampling: the two ways sim/data/minibatch.py draws [balls, B] subsets.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZE, FrameStats, load_average, time_frames, use_headless_sdl  # noqa: E402

CASES = [("linreg", 10_000, "gd", 8), ("mlp", 1_000, "gd", 0), ("mlp", 1_000, "gd", 8),
         ("logreg", 1_000, "gd", 0)]


def _suggest(pot, rule):
    """The window's suggested step size (render/tuning.py, or sim/tuning.py after the move)."""
    try:
        from sim.landscapes.tuning import suggest
    except ImportError:
        from render.tuning import suggest
    return suggest(pot, rule)


def loop_fps(name: str, balls: int, rule: str, batch: int, frames: int) -> dict:
    use_headless_sdl()
    import pygame

    from render.app.app import NOMINAL_FRAME, App
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(SIZE)
    pot = get_potential(name)
    world = World(pot, _suggest(pot, Rule(rule)), seed=1)
    world.set_batch(batch)
    app = App(world, SIZE, seed=1, headless=True)
    world.drop_random(balls)

    def frame() -> None:
        for event in pygame.event.get():
            app.handle(event)
        app.update(NOMINAL_FRAME)
        app.draw(screen)
        pygame.display.flip()
    t0 = time.perf_counter()
    frame()  # the first frame: training (mlp), the first map
    first = time.perf_counter() - t0
    c0 = time.process_time()
    times = time_frames(frame, frames, 20.0, warmup=10)
    cpu_ms = 1e3 * (time.process_time() - c0) / (len(times) + 10)  # the 10 warm-up frames too
    stats = FrameStats(times).as_dict()
    pygame.display.quit()
    return {"first_frame_ms": 1e3 * first, "cpu_ms": cpu_ms, **stats}


def sim_ticks(name: str, balls: int, rule: str, batch: int, seconds: float = 2.0) -> float:
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    pot = get_potential(name)
    world = World(pot, _suggest(pot, Rule(rule)), seed=1)
    world.set_batch(batch)
    world.drop_random(balls)
    world.tick(5)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        world.tick(5)
        n += 5
    return n / (time.perf_counter() - t0)


def map_times(repeats: int) -> list[tuple[str, float, float]]:
    use_headless_sdl()
    import pygame

    from render.map import landscape as L
    from render.look.view import View
    from sim.data.catalog import get_potential

    pygame.display.init()
    out = []
    for name in ("linreg", "logreg", "mlp"):
        pot = get_potential(name)
        pot.value(pot.minima)  # the network trains here, not in the timing
        home = View.fit(pot.view, SIZE)
        drafts, fulls = [], []
        for k in range(repeats):
            view = home.zoom_about(0.4 * SIZE[0], 0.6 * SIZE[1], 1.2 ** (1 + k % 2)).pan(3 * k, -2 * k)
            t0 = time.perf_counter()
            L.Landscape().surface(view, pot, True)
            drafts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            L.Landscape().surface(view, pot)
            fulls.append(time.perf_counter() - t0)
        out.append((name, 1e3 * statistics.median(drafts), 1e3 * statistics.median(fulls)))
    return out


def edit_map_times(repeats: int) -> list[tuple[str, dict[str, float]]]:
    """What the window does after a data edit, per landscape, median ms of wall and CPU time:
    "build" (make_landscape on the edited data: least squares, the Newton minimum; mlp: the
    whole retrain, which the window spreads over frames), "draft" and "full" (the map on a
    fresh Landscape with the home view, the log-or-linear decision kept from the landscape
    edited on, render.map.landscape.keep_log, as the window does). CPU time ("cpu_" keys) is what
    a quiet machine would show when others share the cores."""
    use_headless_sdl()
    import pygame

    from render.map import landscape as L
    from render.look.view import View
    from sim.data import make_landscape
    from sim.data.edit import add_point

    pygame.display.init()
    out = []
    for name in ("linreg", "logreg", "mlp"):
        base = make_landscape(name)
        times: dict[str, list[float]] = {}
        for k in range(repeats):
            data = add_point(base.data, (0.3 + 0.01 * k, 0.2), 1)
            for draft, label in ((True, "draft"), (False, "full")):
                t0, c0 = time.perf_counter(), time.process_time()
                pot = make_landscape(name, data, **base.config())
                pot.value(pot.minima)  # mlp: the training
                t1, c1 = time.perf_counter(), time.process_time()
                if hasattr(L, "keep_log"):  # as the window: the scale of the map edited on
                    L.keep_log(base, pot)
                L.Landscape().surface(View.fit(pot.view, SIZE), pot, draft)
                t2, c2 = time.perf_counter(), time.process_time()
                for key, v in (("build", t1 - t0), ("cpu_build", c1 - c0), (label, t2 - t1),
                               ("cpu_" + label, c2 - c1)):
                    times.setdefault(key, []).append(v)
        out.append((name, {k: 1e3 * statistics.median(v) for k, v in times.items()}))
    return out


def retrain_ms(repeats: int = 3) -> float:
    from sim.data.mlp import MLPPlane
    from sim.data.sets import builtin

    data = builtin("moons")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        MLPPlane(data).ensure()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def sliced_retrain(budget_s: float = 0.008) -> dict[str, float]:
    """The window's retrain after an mlp edit (sim/data/retrain.py, one slice per frame at the
    smallest budget): frames, the longest slice in ms, the wall time from the edit in s."""
    from sim.data.mlp import MLPPlane
    from sim.data.sets import builtin
    from sim.data.edit import add_point
    from sim.data.retrain import Retrain

    base = MLPPlane(builtin("moons"))
    base.ensure()
    job = Retrain()
    job.start(base, MLPPlane(add_point(base.data, (0.3, 0.2), 1)))
    frames, longest, done = 0, 0.0, None
    while done is None:
        t0 = time.perf_counter()
        done = job.advance(base, budget_s=budget_s)
        longest = max(longest, time.perf_counter() - t0)
        frames += 1
    return {"frames": frames, "slice_ms": 1e3 * longest, "seconds": job.seconds}


def mlp_grad_ms(balls: int = 1_000) -> dict[str, float]:
    """One full-batch gradient of the mlp plane for `balls` balls: float32 hidden layer (what
    the ticks use) vs float64, median ms, and the largest relative difference."""
    import numpy as np

    from sim.data.mlp import MLPPlane

    pos = np.random.default_rng(1).uniform(-1.0, 1.0, (balls, 2))
    out = {}
    grads = {}
    for label, fast in (("float32", True), ("float64", False)):
        pot = MLPPlane(fast=fast)
        pot.ensure()
        grads[label] = pot.grad(pos)
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            pot.grad(pos)
            times.append(time.perf_counter() - t0)
        out[label] = 1e3 * statistics.median(times)
    g32, g64 = grads["float32"], grads["float64"]
    out["rel_err"] = float(np.abs(g32 - g64).max() / np.abs(g64).max())
    return out


def sampling_ms(balls: int = 10_000, n: int = 40, batch: int = 8) -> dict[str, float]:
    import numpy as np

    from sim.data import minibatch as M

    rng = np.random.default_rng(0)
    out = {}
    for label, f in (("floyd", M._floyd), ("random keys", M._keys)):
        f(rng, balls, n, batch)
        t0 = time.perf_counter()
        for _ in range(20):
            f(rng, balls, n, batch)
        out[label] = 1e3 * (time.perf_counter() - t0) / 20
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    args = ap.parse_args()
    frames = 60 if args.quick else args.frames
    print(f"load average before: {load_average()}")
    print(f"\nheadless loop at {SIZE[0]}x{SIZE[1]}, one tick per frame (median over up to {frames} frames)")
    print(f"{'landscape':<8} {'balls':>7} {'rule':<5} {'batch':>5} {'fps':>7} {'median ms':>10} "
          f"{'worst ms':>9} {'CPU ms':>7} {'first frame ms':>15} {'sim ticks/s':>12}")
    for name, balls, rule, batch in CASES:
        r = loop_fps(name, balls, rule, batch, frames)
        tps = sim_ticks(name, balls, rule, batch, 1.0 if args.quick else 2.0)
        print(f"{name:<8} {balls:>7,} {rule:<5} {batch:>5} {r['fps']:>7.1f} {r['median_ms']:>10.1f} "
              f"{r['worst_ms']:>9.1f} {r['cpu_ms']:>7.1f} {r['first_frame_ms']:>15.0f} {tps:>12.0f}")
    print(f"\nmap for a new view at {SIZE[0]}x{SIZE[1]} (median ms)")
    for name, draft, full in map_times(2 if args.quick else 5):
        print(f"{name:<8} draft {draft:7.1f}   full {full:7.1f}")
    print(f"\nafter a data edit, home view at {SIZE[0]}x{SIZE[1]} (median ms)")
    for name, t in edit_map_times(2 if args.quick else 5):
        print(f"{name:<8} landscape {t['build']:6.1f} + draft map {t['draft']:6.1f} = {t['build'] + t['draft']:6.1f}"
              f"   + full map {t['full']:6.1f} = {t['build'] + t['full']:6.1f}   (CPU: draft "
              f"{t['cpu_build'] + t['cpu_draft']:6.1f}, full {t['cpu_build'] + t['cpu_full']:6.1f})")
    print(f"\nmlp retrained after a data edit (train + plane + minimum): {retrain_ms(1 if args.quick else 3):.0f} ms")
    try:
        r = sliced_retrain()
    except ImportError:  # a commit before the sliced retrain
        r = None
    if r is not None:
        print(f"  in the window, sliced over frames: {r['frames']} frames, longest slice {r['slice_ms']:.1f} ms, "
              f"{r['seconds']:.2f} s of training time (the window's frames add their own)")
    g = mlp_grad_ms()
    print(f"mlp full-batch gradient, 1,000 balls: float32 hidden layer {g['float32']:.1f} ms, float64 "
          f"{g['float64']:.1f} ms, largest difference {g['rel_err']:.1e} of the largest component")
    s = sampling_ms()
    print("minibatch draw, 10,000 balls x 8 of 40: " + ", ".join(f"{k} {v:.2f} ms" for k, v in s.items()))
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
