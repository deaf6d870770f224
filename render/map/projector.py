"""World positions to pixels, interpolated between ticks, in blocks."""
from __future__ import annotations

import numpy as np

from render.look.view import View
from sim.core.particles import DIVERGED


PROJECT_CHUNK = 65536  # particles per block when projecting (keeps the temporaries in cache)


class Projector:
    """Screen positions of the particles, interpolated: (1 - alpha) prev + alpha pos.

    Buffers grow by doubling and are reused; `sx`, `sy` are float64 [n] pixel coordinates
    (floor gives the pixel), `visible` a bool [n] mask of alive particles on screen. One
    pass in cache-sized chunks computes them and the integer pixels (ix, iy) of every ball.
    """

    def __init__(self) -> None:
        self._cap = 0
        self.n = 0
        self._pixels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lin: dict[int, np.ndarray] = {}
        self._n_visible = 0
        self._grow(1)

    def _grow(self, n: int) -> None:
        if n <= self._cap and self._cap:
            return
        cap = max(1024, self._cap)
        while cap < n:
            cap *= 2
        self._sx, self._sy = np.empty(cap), np.empty(cap)
        self._ix, self._iy = np.empty(cap, dtype=np.intp), np.empty(cap, dtype=np.intp)
        self._rows = np.arange(cap, dtype=np.intp)
        self._tmp = np.empty(min(cap, PROJECT_CHUNK))
        self._vis = np.empty(cap, dtype=bool)
        self._btmp = np.empty(min(cap, PROJECT_CHUNK), dtype=bool)
        self._cap = cap

    def project(self, world, view: View, alpha: float) -> None:
        p = world.particles
        n = p.n
        self._grow(n)
        self.n = n
        pos, prev, status = p.pos, p.prev, p.status
        a = float(alpha)
        cols = ((0, self._sx, view.scale, 0.5 * view.w - view.cx * view.scale),
                (1, self._sy, -view.scale, 0.5 * view.h + view.cy * view.scale))
        w, h = view.w, view.h
        with np.errstate(invalid="ignore"):  # off-screen balls may be far out or not finite
            for i in range(0, n, PROJECT_CHUNK):
                j = min(i + PROJECT_CHUNK, n)
                tmp, btmp = self._tmp[: j - i], self._btmp[: j - i]
                for col, full, k, off in cols:
                    out = full[i:j]
                    if a >= 1.0:
                        np.multiply(pos[i:j, col], k, out=out)
                    elif a <= 0.0:
                        np.multiply(prev[i:j, col], k, out=out)
                    else:
                        np.multiply(prev[i:j, col], (1.0 - a) * k, out=out)
                        np.multiply(pos[i:j, col], a * k, out=tmp)
                        out += tmp
                    out += off
                sx, sy, vis = self._sx[i:j], self._sy[i:j], self._vis[i:j]
                np.greater_equal(sx, 0.0, out=vis)
                vis &= np.less(sx, w, out=btmp)
                vis &= np.greater_equal(sy, 0.0, out=btmp)
                vis &= np.less(sy, h, out=btmp)
                vis &= np.not_equal(status[i:j], DIVERGED, out=btmp)  # undefined: shown where it stopped
                np.copyto(self._ix[i:j], sx, casting="unsafe")  # truncation: the pixel
                np.copyto(self._iy[i:j], sy, casting="unsafe")
        self._n_visible = int(np.count_nonzero(self._vis[:n]))
        self._pixels = None
        self._lin = {}

    @property
    def sx(self) -> np.ndarray:
        return self._sx[: self.n]

    @property
    def sy(self) -> np.ndarray:
        return self._sy[: self.n]

    @property
    def visible(self) -> np.ndarray:
        return self._vis[: self.n]

    def visible_pixels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, ix, iy) of the visible particles: row index into the particles, pixel ints.
        Computed once per projection (balls and trails share it); read-only views."""
        if self._pixels is None:
            n = self.n
            if self._n_visible == n:
                self._pixels = (self._rows[:n], self._ix[:n], self._iy[:n])
            else:
                rows = np.flatnonzero(self.visible)
                self._pixels = (rows, self._ix[rows], self._iy[rows])
        return self._pixels

    def visible_lin(self, stride: int) -> np.ndarray:
        """Flat pixel index iy * stride + ix of each visible particle (shared, read-only)."""
        lin = self._lin.get(stride)
        if lin is None:
            _, ix, iy = self.visible_pixels()
            lin = self._lin[stride] = iy * stride
            lin += ix
        return lin

    def nearest(self, px: float, py: float, radius: float) -> int | None:
        """Row of the visible particle nearest to pixel (px, py) within radius, else None."""
        if self.n == 0:
            return None
        dx = self.sx - px
        dy = self.sy - py
        d2 = dx * dx + dy * dy
        d2[~self.visible] = np.inf
        k = int(np.argmin(d2))
        return k if d2[k] <= radius * radius else None
