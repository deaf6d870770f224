"""What users would write instead, on the same scene, timed frame by frame.

    python bench/bench_compare.py --impl floor|mpl|naive --n 10000 [--quick] [--json]

- `mpl`: a matplotlib animation written the way its documentation recommends for speed: a
  `contourf` background drawn once, a `scatter` artist updated per frame with `set_offsets`,
  and blitting (the manual recipe from the "Faster rendering by using blitting" tutorial:
  `copy_from_bbox` once, then `restore_region` / `draw_artist` / `blit` per frame) on the Agg
  backend, drawing to its own buffer. Physics in numpy, the same momentum rule. No trails.
- `naive`: a pygame program as a newcomer writes it: a list of Ball objects, each updated in
  Python (the gradient written out by hand, in floats) and drawn with `pygame.draw.circle`,
  over a precomputed background blitted each frame; then `display.flip()`. No trails.
- `floor`: the least work a frame can do here: blit a cached display-format background, the
  numpy physics (same rule, preallocated buffers), a one-pixel splat per visible ball through
  `surfarray.pixels2d`, `display.flip()`. No trails, no HUD, no interpolation.

All run at 1280x800 (the SDL dummy driver for the pygame ones), on the scene of common.py, and
advance TICKS_PER_FRAME ticks a frame like the headless loop does.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from common import (POTENTIAL, SEED, SIZE, TICKS_PER_FRAME, FrameStats, emit,  # noqa: E402
                    frame_budget, scene_rule, start_positions, time_frames, use_headless_sdl)

BALL_RGB = (255, 140, 50)  # the window's momentum colour
NAIVE_RADIUS = 3  # pixels


class NumpyMomentum:
    """Heavy-ball momentum in numpy with preallocated buffers: pos, u, g are float64 [n, 2].
    The same operations as sim/dynamics.step_momentum (torch SGD, momentum=beta)."""

    def __init__(self, potential, rule, pos: np.ndarray) -> None:
        self.V, self.lr, self.beta = potential, rule.lr, rule.beta
        self.pos = pos.copy()
        self.u = np.zeros_like(pos)
        self.g = np.empty_like(pos)

    def step(self) -> None:
        g = self.V.grad(self.pos, out=self.g)
        self.u *= self.beta
        self.u += g
        np.multiply(self.u, self.lr, out=g)
        self.pos -= g


def _view(potential):
    from render.look.view import View  # pure numpy

    return View.fit(potential.view, SIZE)


# --- matplotlib ------------------------------------------------------------------------------
def measure_mpl(n: int, quick: bool, marker_size: float | None = None) -> dict:
    """marker_size None: scatter's default (rcParams lines.markersize ** 2 = 36 points^2, a
    ~8 px disc, as in the documentation's examples); 4 gives ~2-3 px dots, like our splats."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    potential, rule = scene_rule()
    view = _view(potential)
    x0, x1, y0, y1 = view.rect()
    fig = plt.figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    xs, ys = np.linspace(x0, x1, 320), np.linspace(y0, y1, 200)
    gx, gy = np.meshgrid(xs, ys)
    z = potential.value(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    z = np.log10(z - np.nanmin(z) + 1e-3) if potential.log_scale else z
    ax.contourf(gx, gy, z, levels=16, cmap="viridis")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    sim = NumpyMomentum(potential, rule, start_positions(potential, n))
    sc = ax.scatter(sim.pos[:, 0], sim.pos[:, 1], s=marker_size, c=[np.array(BALL_RGB) / 255],
                    linewidths=0, animated=True)
    canvas = fig.canvas
    canvas.draw()
    bg = canvas.copy_from_bbox(fig.bbox)

    def frame() -> None:
        for _ in range(TICKS_PER_FRAME):
            sim.step()
        canvas.restore_region(bg)
        sc.set_offsets(sim.pos)
        ax.draw_artist(sc)
        canvas.blit(fig.bbox)

    frames, seconds = frame_budget(n, quick)
    times = time_frames(frame, frames, seconds)
    assert canvas.get_width_height() == SIZE, canvas.get_width_height()
    out = FrameStats(times, "manual blit recipe, Agg, frame = physics + restore/draw_artist/blit").as_dict()
    out["size"] = list(canvas.get_width_height())
    out["marker_size"] = marker_size if marker_size is not None else float(matplotlib.rcParams["lines.markersize"]) ** 2
    plt.close(fig)
    return out


# --- pygame helpers -----------------------------------------------------------------------------
def _screen_and_background(potential):
    use_headless_sdl()
    import pygame

    pygame.display.init()
    screen = pygame.display.set_mode(SIZE)
    view = _view(potential)
    try:  # the window's own map, so the pictures match
        from render.map.landscape import Landscape

        bg = Landscape().surface(view, potential)
    except ImportError:
        xs, ys = view.pixel_centres()
        v = potential.value_grid(xs, ys)
        s = np.log10(v - np.nanmin(v) + 1e-3)
        s = (s - s.min()) / max(s.max() - s.min(), 1e-12)
        rgb = np.stack([s * 60, 40 + s * 180, 90 + s * 60], axis=-1).astype(np.uint8)
        bg = pygame.surfarray.make_surface(rgb)
    return pygame, screen, bg.convert(), view


# --- naive pygame ---------------------------------------------------------------------------
def _python_grad(name: str):
    """The gradient written out in plain Python floats, as a newcomer would."""
    if name == "rosenbrock":
        def grad(x: float, y: float) -> tuple[float, float]:
            return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)
    elif name == "himmelblau":
        def grad(x: float, y: float) -> tuple[float, float]:
            a, b = x * x + y - 11.0, x + y * y - 7.0
            return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b
    else:
        raise ValueError(f"no plain-Python gradient for {name}")
    return grad


class Ball:
    """One ball: position and momentum buffer, updated and drawn one at a time."""

    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y
        self.ux, self.uy = 0.0, 0.0

    def update(self, grad, lr: float, beta: float) -> None:
        gx, gy = grad(self.x, self.y)
        self.ux = beta * self.ux + gx
        self.uy = beta * self.uy + gy
        self.x -= lr * self.ux
        self.y -= lr * self.uy

    def draw(self, pygame, screen, view) -> None:
        sx = (self.x - view.cx) * view.scale + 0.5 * view.w
        sy = 0.5 * view.h - (self.y - view.cy) * view.scale
        if math.isfinite(sx) and math.isfinite(sy):
            pygame.draw.circle(screen, BALL_RGB, (int(sx), int(sy)), NAIVE_RADIUS)


def measure_naive(n: int, quick: bool) -> dict:
    potential, rule = scene_rule()
    pygame, screen, bg, view = _screen_and_background(potential)
    grad = _python_grad(potential.name)
    balls = [Ball(float(x), float(y)) for x, y in start_positions(potential, n)]
    lr, beta = rule.lr, rule.beta

    def frame() -> None:
        screen.blit(bg, (0, 0))
        for b in balls:
            for _ in range(TICKS_PER_FRAME):
                b.update(grad, lr, beta)
            b.draw(pygame, screen, view)
        pygame.display.flip()

    frames, seconds = frame_budget(n, quick)
    warm = 1 if n >= 1_000_000 else 3
    times = time_frames(frame, frames, seconds if n < 1_000_000 else 1.0, warmup=warm,
                        min_frames=2 if n >= 1_000_000 else 3)
    pygame.quit()
    return FrameStats(times, "Python loop: Ball.update + draw.circle, then display.flip").as_dict()


# --- the floor ---------------------------------------------------------------------------------
def measure_floor(n: int, quick: bool) -> dict:
    potential, rule = scene_rule()
    pygame, screen, bg, view = _screen_and_background(potential)
    sim = NumpyMomentum(potential, rule, start_positions(potential, n))
    color = screen.map_rgb(BALL_RGB)
    kx, ox = view.scale, 0.5 * view.w - view.cx * view.scale
    ky, oy = -view.scale, 0.5 * view.h + view.cy * view.scale
    w, h = SIZE
    sx, sy = np.empty(n), np.empty(n)
    parts = {"blit": [], "physics": [], "splat": [], "flip": []}

    def frame() -> None:
        t0 = time.perf_counter()
        screen.blit(bg, (0, 0))
        t1 = time.perf_counter()
        for _ in range(TICKS_PER_FRAME):
            sim.step()
        t2 = time.perf_counter()
        np.multiply(sim.pos[:, 0], kx, out=sx)
        np.add(sx, ox, out=sx)
        np.multiply(sim.pos[:, 1], ky, out=sy)
        np.add(sy, oy, out=sy)
        m = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
        pix = pygame.surfarray.pixels2d(screen)
        pix[sx[m].astype(np.intp), sy[m].astype(np.intp)] = color
        del pix
        t3 = time.perf_counter()
        pygame.display.flip()
        t4 = time.perf_counter()
        for k, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            parts[k].append(dt)

    frames, seconds = frame_budget(n, quick)
    times = time_frames(frame, frames, seconds)
    pygame.quit()
    out = FrameStats(times, "blit cached bg + numpy physics + 1-px splat (pixels2d) + flip").as_dict()
    out["parts_ms"] = {k: 1e3 * float(np.median(v)) for k, v in parts.items()}
    return out


IMPLS = {"floor": measure_floor, "mpl": measure_mpl, "naive": measure_naive}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", choices=sorted(IMPLS), required=True)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--marker-size", type=float, default=None, help="mpl: scatter s (default: matplotlib's)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for run_all.py)")
    a = ap.parse_args()
    res = (measure_mpl(a.n, a.quick, a.marker_size) if a.impl == "mpl" else IMPLS[a.impl](a.n, a.quick))
    res.update(impl=a.impl, n=a.n, potential=POTENTIAL, seed=SEED)
    if a.json:
        emit(res)
    else:
        print(f"{a.impl} n={a.n:,}: median {res.get('median_ms', float('nan')):.2f} ms, worst "
              f"{res.get('worst_ms', float('nan')):.2f} ms, {res.get('fps', 0):.1f} fps ({res['frames']} frames)")
        if "parts_ms" in res:
            print("  " + ", ".join(f"{k} {v:.2f} ms" for k, v in res["parts_ms"].items()))


if __name__ == "__main__":
    main()
