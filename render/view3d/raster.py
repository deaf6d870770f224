"""The column raster of a height field, numpy only: orthographic, exact occlusion, no GPU.

In an orthographic view with no roll each pixel column is one vertical slice of the box: the
points X R + d F (d along the horizontal forward direction F, front to back). Walking a slice
front to back, a sample shows where it rises above every nearer one on screen: the y-buffer is
the running minimum of the samples' screen rows (painter's order from the front). A visible
sample owns the rows from its own up to the last visible one's; each column's rows are filled
by a forward fill of the owners' start rows (one `maximum.accumulate` over the picture). The
first sample of a slice (the box's front edge) also paints the box's side wall down to its base.

`Raster.visible` answers, for points on the surface, whether a nearer part of their slice
hides them (the balls' depth test).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render.view3d.camera import HEIGHT, OrbitCamera

BLOCK = 96  # columns per block (the temporaries stay in cache)
SAMPLES_MAX = 1400  # depth samples per column at most
BASE_DROP = 0.06  # box units the base sits below the lowest height
HIDE_TOLERANCE = 2.0  # raster pixels a point may sit below its slice's skyline and still show
HIDE_LOOKBACK = 3  # samples in front of a point that may not hide it (its own texel's neighbours)


@dataclass
class Raster:
    """One picture: pixels uint32 [w, h] (surfarray order), and the y-buffer for depth tests.

    skyline float32 [w, D]: the running minimum of the screen rows of samples 0..j of column c.
    The raster's pixel (c, r) covers output pixels (c f .. c f + f, r f .. r f + f)."""

    pixels: np.ndarray
    skyline: np.ndarray
    factor: int
    d0: float
    dd: float
    size: tuple[int, int]  # the raster's own size (w, h)

    def visible(self, px: np.ndarray, py: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Whether surface points at output pixel (px, py), forward coordinate d (box units)
        are in view: on the picture and not behind a nearer part of their slice."""
        f = self.factor
        w, h = self.size
        with np.errstate(invalid="ignore"):
            cx = np.floor(px / f)
            ok = (cx >= 0) & (cx < w) & (py >= 0) & (py < h * f)
            j = np.floor((d - self.d0) / self.dd) - HIDE_LOOKBACK
        ci = np.where(ok, cx, 0).astype(np.intp)
        ji = np.clip(np.nan_to_num(j, nan=-1), -1, self.skyline.shape[1] - 1).astype(np.intp)
        sky = self.skyline[ci, np.maximum(ji, 0)]
        sky = np.where(ji < 0, np.inf, sky)
        return ok & (py / f <= sky + HIDE_TOLERANCE)


@dataclass
class _Slices:
    """How the raster samples the box: w x h raster pixels of an output W x H at 1/f; D depth
    samples d [D] (spacing dd) along forward, column offsets u [w] along right (box units);
    the float32 constants that turn (u, d) into grid coordinates and screen rows."""

    w: int
    h: int
    f: int
    D: int
    dd: float
    d: np.ndarray
    u: np.ndarray
    grid: tuple  # rx, ry, fx, fy, ax_over, ay_over: X = u R + d F in grid units
    rows: tuple  # half_h, ks, kc: py = half_h - ks d - kc z
    shape: tuple[int, int]  # the height grid's nx, ny


def _slices(z: np.ndarray, box, cam: OrbitCamera, size: tuple[int, int], factor: int) -> _Slices:
    """The sampling of the picture: raster size, depth samples fine enough for a pixel and a
    grid cell, and the projection's constants."""
    W, H = size
    f = max(int(factor), 1)
    w, h = max(-(-W // f), 1), max(-(-H // f), 1)
    k = cam.scale(size) / f  # raster pixels per box unit
    R, U, _ = cam.basis()
    sp, cp = float(np.hypot(U[0], U[1])), float(U[2])  # sin, cos of the pitch
    F = np.array([-R[1], R[0]])
    nx, ny = z.shape
    dx, dy = 2.0 * box.ax / nx, 2.0 * box.ay / ny
    rad = box.radius
    dd = max(min(dx, dy), 1.0 / (k * max(sp, 1e-3)))
    D = int(min(SAMPLES_MAX, max(2, np.ceil(2 * rad / dd))))
    dd = 2 * rad / D
    d = (-rad + (np.arange(D) + 0.5) * dd).astype(np.float32)
    u = ((np.arange(w) + 0.5 - 0.5 * W / f) / k).astype(np.float32)
    grid = (np.float32(R[0] / dx), np.float32(R[1] / dy), np.float32(F[0] / dx), np.float32(F[1] / dy),
            np.float32(box.ax / dx), np.float32(box.ay / dy))
    rows = (np.float32(0.5 * H / f), np.float32(k * sp), np.float32(k * cp))
    return _Slices(w, h, f, D, dd, d, u, grid, rows, (nx, ny))


def _samples(g: _Slices, zf: np.ndarray, c0: int, c1: int):
    """Columns c0..c1's samples: their grid node index [m, D], whether inside the grid, and
    their screen rows (inf outside)."""
    nx, ny = g.shape
    rx, ry, fx, fy, ax_over, ay_over = g.grid
    half_h, ks, kc = g.rows
    uc, d = g.u[c0:c1, None], g.d[None, :]
    gx = uc * rx + d * fx + ax_over  # grid coordinates, x
    gy = uc * ry + d * fy + ay_over
    inside = (gx >= 0) & (gx < nx) & (gy >= 0) & (gy < ny)
    ix = gx.astype(np.int32)
    iy = gy.astype(np.int32)
    np.clip(ix, 0, nx - 1, out=ix)
    np.clip(iy, 0, ny - 1, out=iy)
    idx = ix * ny
    idx += iy
    zs = zf[idx]
    py = half_h - ks * d - kc * zs
    py[~inside] = np.inf
    return idx, inside, py


def _spans(py: np.ndarray, inside: np.ndarray, h: int):
    """The y-buffer walk: the skyline (running minimum of py), each sample's visible span of
    rows [top, bot), which samples own rows, and which are a slice's front edge."""
    sky = np.minimum.accumulate(py, axis=1)
    prev = np.empty_like(sky)
    prev[:, 0] = np.inf
    prev[:, 1:] = sky[:, :-1]
    top = np.ceil(py - 0.5)
    bot = np.ceil(prev - 0.5)
    first = inside & ~np.isfinite(prev)
    np.clip(top, 0, h, out=top)
    np.clip(bot, 0, h, out=bot)
    bot[first] = np.minimum(top[first] + 1, h)
    own = inside & (top < bot)
    return sky, top, bot, first, own


def _front_wall(g: _Slices, start, color, bot, first, own, idx, walls, background) -> None:
    """Mark the front edge's side wall: from below its row down to the base (wall colour),
    then background."""
    half_h, ks, kc = g.rows
    base = np.float32(-0.5 * HEIGHT - BASE_DROP)
    fc, fj = np.nonzero(first & own)
    wall_top = bot[fc, fj].astype(np.intp) + 1
    base_py = half_h - ks * g.d[fj] - kc * base
    wall_bot = np.clip(np.ceil(base_py - 0.5), 0, g.h).astype(np.intp) + 1
    has_wall = wall_bot > wall_top
    wc, wt = fc[has_wall], wall_top[has_wall]
    start[wc, wt] = wt
    color[wc, wt] = walls[idx[fc[has_wall], fj[has_wall]]]
    end = np.where(has_wall, wall_bot, wall_top)
    start[fc, end] = end
    color[fc, end] = background


def _block_pixels(g: _Slices, spans, idx, colors, walls, background) -> np.ndarray:
    """A block's pixel columns [m, h]: each visible sample marks where its rows start (slot
    r + 1 holds row r's start; slot 0 is the background above everything), the front wall
    likewise, and a forward fill of the marks gives every row its owner."""
    _sky, top, bot, first, own = spans
    m, h = len(top), g.h
    start = np.full((m, h + 2), -1, dtype=np.int32)
    color = np.empty((m, h + 2), dtype=np.uint32)
    start[:, 0] = 0
    color[:, 0] = background
    ci, ji = np.nonzero(own)
    t = top[ci, ji].astype(np.intp) + 1
    start[ci, t] = t
    color[ci, t] = colors[idx[ci, ji]]
    _front_wall(g, start, color, bot, first, own, idx, walls, background)
    np.maximum.accumulate(start, axis=1, out=start)
    owner = start[:, 1:h + 1]
    owner += (np.arange(m, dtype=np.int32) * (h + 2))[:, None]
    return color.reshape(-1)[owner]


def rasterize(z: np.ndarray, colors: np.ndarray, walls: np.ndarray, box, cam: OrbitCamera,
              size: tuple[int, int], background: int, factor: int = 1) -> Raster:
    """The picture of the height grid z float32 [nx, ny] (box heights at the grid's nodes)
    with packed colours uint32 [nx * ny] (walls: the same, darker, for the side wall), seen by
    `cam` in an output of `size` pixels, computed at 1/factor resolution."""
    g = _slices(z, box, cam, size, factor)
    zf = z.reshape(-1)
    pixels = np.empty((g.w, g.h), dtype=np.uint32)
    skyline = np.empty((g.w, g.D), dtype=np.float32)
    for c0 in range(0, g.w, BLOCK):
        c1 = min(c0 + BLOCK, g.w)
        idx, inside, py = _samples(g, zf, c0, c1)
        spans = _spans(py, inside, g.h)
        skyline[c0:c1] = spans[0]
        pixels[c0:c1] = _block_pixels(g, spans, idx, colors, walls, background)
    rad, dd = box.radius, g.dd
    return Raster(pixels, skyline, g.f, float(-rad + 0.5 * dd) - 0.5 * dd, float(dd), (g.w, g.h))
