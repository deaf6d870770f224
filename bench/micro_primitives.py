"""What the building blocks of a frame cost at 1280x800 on this machine (median ms), so a
change to render/ or sim/ can be judged before it is written.

    python bench/micro_primitives.py [--repeats 30]

Screen-sized blits and fills (SDL), the trail layer's alpha write and fade (numpy vs SDL),
random scatters into uint8 vs uint32 images, and the gradient on [n, 2] columns vs contiguous
arrays. Printed as a table; nothing is pass/fail.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZE, use_headless_sdl  # noqa: E402


def timeit(f, repeats: int) -> tuple[float, float]:
    """(best, median) ms over the repeats; the best is the cost without interference from
    other work on the machine, the median what a frame meets on a busy one."""
    f()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return 1e3 * min(ts), 1e3 * statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30)
    a = ap.parse_args()
    R = a.repeats
    use_headless_sdl()
    import numpy as np
    import pygame

    from sim.data.catalog import get_potential

    pygame.display.init()
    screen = pygame.display.set_mode(SIZE)
    w, h = SIZE
    rng = np.random.default_rng(0)
    def add(label: str, f) -> None:
        best, med = timeit(f, R)
        print(f"{label:<84}{best:>8.3f}{med:>8.3f}", flush=True)

    print(f"{'primitive at %dx%d' % SIZE:<84}{'best ms':>8}{'median':>8}")
    plain = pygame.Surface(SIZE)  # what Landscape._build makes (no convert)
    conv = plain.convert()
    add(f"blit opaque map, Surface((w,h)) as built (bits {plain.get_bitsize()}, same format "
        f"as screen: {plain.get_masks() == screen.get_masks()})", lambda: screen.blit(plain, (0, 0)))
    add("blit opaque map after .convert()", lambda: screen.blit(conv, (0, 0)))
    layer = pygame.Surface(SIZE, pygame.SRCALPHA, 32)
    layer.fill((255, 140, 50, 0))
    inten = rng.integers(0, 256, (h, w), dtype=np.uint8)
    add("blit SRCALPHA trail layer (per-pixel alpha over the screen)", lambda: screen.blit(layer, (0, 0)))
    layer_c = layer.convert_alpha()
    add("blit SRCALPHA trail layer after .convert_alpha()", lambda: screen.blit(layer_c, (0, 0)))

    def alpha_transposed():
        al = pygame.surfarray.pixels_alpha(layer)
        al.T[...] = inten  # Trails.draw today: intensity [h, w] into the [w, h] alpha view
        del al

    add("alpha write: pixels_alpha(layer).T[...] = intensity[h, w]  (Trails.draw now)", alpha_transposed)
    inten_wh = np.ascontiguousarray(inten.T)

    def alpha_same_layout():
        al = pygame.surfarray.pixels_alpha(layer)
        al[...] = inten_wh
        del al

    add("alpha write from an intensity kept as [w, h] (no transpose)", alpha_same_layout)
    lut = np.floor(np.arange(256) * 0.955).astype(np.uint8)
    add("fade: np.take(lut, intensity, out=intensity)  (Trails.fade now)",
        lambda: np.take(lut, inten, out=inten))
    add("fade in SDL: layer.fill((255,255,255,243), special_flags=BLEND_RGBA_MULT)",
        lambda: layer.fill((255, 255, 255, 243), special_flags=pygame.BLEND_RGBA_MULT))
    rgb_trail = pygame.Surface(SIZE).convert()
    add("fade in SDL, opaque RGB trail: fill((243,)*3, special_flags=BLEND_MULT)",
        lambda: rgb_trail.fill((243, 243, 243), special_flags=pygame.BLEND_MULT))
    add("draw RGB trail additively: screen.blit(trail, special_flags=BLEND_ADD)",
        lambda: screen.blit(rgb_trail, (0, 0), special_flags=pygame.BLEND_ADD))
    add("draw RGB trail as max: screen.blit(trail, special_flags=BLEND_MAX)",
        lambda: screen.blit(rgb_trail, (0, 0), special_flags=pygame.BLEND_MAX))
    add("screen.fill((0,0,0))", lambda: screen.fill((0, 0, 0)))

    flat8 = np.zeros(w * h, dtype=np.uint8)
    flat32 = np.zeros(w * h, dtype=np.uint32)
    for k in (100_000, 1_000_000, 2_400_000):
        idx = rng.integers(0, w * h, k).astype(np.intp)
        idx_sorted = np.sort(idx)

        def s8():
            flat8[idx] = 255

        def s32():
            flat32[idx] = 0xFF8C32

        add(f"scatter {k:>9,} random pixels into uint8 [w*h]", s8)
        add(f"scatter {k:>9,} random pixels into uint32 [w*h]", s32)
        add(f"scatter {k:>9,} sorted pixels into uint32 [w*h]", lambda: flat32.__setitem__(idx_sorted, 0xFF8C32))
        xf = rng.random(k) * w
        yf = rng.random(k) * h
        add(f"  {k:>9,} float64 x, y -> flat index: y.astype(intp) * w + x.astype(intp)",
            lambda: yf.astype(np.intp) * w + xf.astype(np.intp))
        xf32, yf32 = xf.astype(np.float32), yf.astype(np.float32)
        ib, jb = np.empty(k, dtype=np.int32), np.empty(k, dtype=np.int32)

        def index_prealloc():
            np.copyto(ib, yf32, casting="unsafe")  # truncation = floor for x >= 0
            np.copyto(jb, xf32, casting="unsafe")
            np.multiply(ib, w, out=ib)
            np.add(ib, jb, out=ib)

        add(f"  {k:>9,} float32 x, y -> int32 flat index into preallocated buffers", index_prealloc)

    V = get_potential("rosenbrock")
    for n in (100_000, 1_000_000):
        pos = rng.random((n, 2))
        out = np.empty_like(pos)
        x, y = np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1])
        gx, gy = np.empty(n), np.empty(n)
        add(f"rosenbrock grad, {n:>9,} balls, pos [n, 2] (strided columns, as sim does)",
            lambda: V.grad(pos, out=out))

        def contiguous():
            t = x * x
            np.subtract(y, t, out=t)
            np.multiply(t, 200.0, out=gy)
            np.multiply(t, -400.0, out=gx)
            np.add(gx, 2.0, out=gx)
            np.multiply(gx, x, out=gx)
            np.subtract(gx, 2.0, out=gx)

        add(f"rosenbrock grad, {n:>9,} balls, x and y contiguous [n] (SoA by coordinate), out= buffers",
            contiguous)
        xs, ys, t_buf = pos[:, 0], pos[:, 1], np.empty(n)

        def strided_prealloc():
            np.multiply(xs, xs, out=t_buf)
            np.subtract(ys, t_buf, out=t_buf)
            np.multiply(t_buf, 200.0, out=out[:, 1])
            o = out[:, 0]
            np.multiply(t_buf, -400.0, out=o)
            np.add(o, 2.0, out=o)
            np.multiply(o, xs, out=o)
            np.subtract(o, 2.0, out=o)

        add(f"rosenbrock grad, {n:>9,} balls, pos [n, 2] strided but out= buffers (no temporaries)",
            strided_prealloc)
        pos32 = pos.astype(np.float32)
        out32 = np.empty_like(pos32)
        add(f"rosenbrock grad, {n:>9,} balls, float32 [n, 2]", lambda: V.grad(pos32, out=out32))
        add(f"np.copyto(prev, pos), {n:>9,} balls (keep_prev copy each tick)", lambda: np.copyto(out, pos))
    pygame.quit()


if __name__ == "__main__":
    main()
