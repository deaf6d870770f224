"""The data pane: the data a data landscape is made from, and the balls as models on it.

linreg: every ball's line (faint, at most MAX_LINES), the highlighted ball's in bold;
logreg: decision boundaries (lines through the origin); mlp: the highlighted ball's decision
regions. Points are coloured by class. The pane is a rectangle of the screen; the app asks
`hit` / `edit` to turn clicks in it into a new data set (left: add class 1 or a regression
point, right: add class 0, drag: move, Shift+click: remove) and rebuilds the landscape with
`rebuild`. Nothing here changes the world.

Wiring (for render/app.py, two lines): `draw_pane(surface, rect, world, highlight, font)` each
frame while the pane is on; on a mouse event inside `rect`, `new = edit(...)` and, when it is
not None, `world.set_potential(rebuild(world.potential, new))` (render/data_pane_ui.py retrains
the network over several frames first, sim/data/retrain.py).
"""
from __future__ import annotations

import numpy as np
import pygame
from pygame import gfxdraw

from sim.data.base import is_data
from sim.data.edit import (PICK_RADIUS, add_point, boundary_segments, data_bounds, line_segments,
                           move_point, nearest, network_regions, point_coords, remove_point)

MAX_LINES = 300  # faint model lines drawn at most
BACKGROUND = (18, 20, 28)
BORDER = (90, 94, 110)
CLASS_COLORS = ((90, 160, 255), (255, 150, 60))  # label 0, label 1
POINT = (235, 235, 240)
FAINT = (200, 200, 210, 32)  # alpha-blended: overlapping lines add up
BOLD = (255, 230, 90)
REGION_ALPHA = 70
REGION_GRID = 48  # cells per side for the network's regions
POINT_RADIUS = 3


class PaneMap:
    """Data units <-> pixels inside a rect (y up)."""

    def __init__(self, rect: pygame.Rect, bounds: tuple[float, float, float, float]) -> None:
        self.rect = rect
        self.bounds = bounds

    def to_px(self, p: np.ndarray) -> np.ndarray:
        x0, x1, y0, y1 = self.bounds
        r = self.rect
        px = r.left + (p[..., 0] - x0) / (x1 - x0) * r.width
        py = r.bottom - (p[..., 1] - y0) / (y1 - y0) * r.height
        return np.stack([px, py], axis=-1)

    def to_data(self, px: tuple[int, int]) -> tuple[float, float]:
        x0, x1, y0, y1 = self.bounds
        r = self.rect
        return (x0 + (px[0] - r.left) / r.width * (x1 - x0), y0 + (r.bottom - px[1]) / r.height * (y1 - y0))


def draw_pane(surface: pygame.Surface, rect: pygame.Rect, world, highlight: int | None,
              font: pygame.font.Font | None = None, data=None,
              bounds: tuple[float, float, float, float] | None = None) -> PaneMap | None:
    """Draw the pane for a data landscape (nothing otherwise); returns its PaneMap. `data`:
    the points to draw when not the landscape's own (an edit whose landscape is still being
    rebuilt); `bounds` (x0, x1, y0, y1): the data shown, when not fitted to the points (held
    while a point is dragged, so the drag stays inside them)."""
    pot = world.potential
    if not is_data(pot):
        return None
    data = data if data is not None else pot.data
    if data is None or rect.width < 40 or rect.height < 40:
        return None
    pane = PaneMap(rect, _bounds(data) if bounds is None else bounds)
    surface.fill(BACKGROUND, rect)
    clip = surface.get_clip()
    surface.set_clip(rect)
    pos = world.particles.pos
    hi = pos[highlight] if highlight is not None and 0 <= highlight < len(pos) else None
    if pot.name == "mlp" and hi is not None:
        _draw_regions(surface, pane, pot, hi)
    if pot.name in ("linreg", "logreg") and len(pos):
        _draw_models(surface, pane, pot.name, pos[:MAX_LINES], hi)
    _draw_points(surface, pane, data)
    surface.set_clip(clip)
    pygame.draw.rect(surface, BORDER, rect, 1)
    if font is not None:
        label = f"data: {data.source}  n={data.n}"
        surface.blit(font.render(label, True, POINT), (rect.left + 6, rect.top + 4))
    return pane


_BOUNDS: list = [None, None]  # (the data set last drawn, its bounds): 100,000 rows cost ~2 ms a frame


def _bounds(data) -> tuple[float, float, float, float]:
    """sim.data.edit.data_bounds of a data set (which never changes: a Dataset is frozen),
    computed once while the same set is drawn."""
    if _BOUNDS[0] is not data:
        _BOUNDS[:] = [data, data_bounds(data)]
    return _BOUNDS[1]


def _segments(name: str, pos: np.ndarray, pane: PaneMap) -> np.ndarray:
    x0, x1, _, _ = pane.bounds
    seg = line_segments(pos, x0, x1) if name == "linreg" else boundary_segments(pos, pane.bounds)
    return pane.to_px(seg)


def clip_segments(seg: np.ndarray, rect: pygame.Rect) -> np.ndarray:
    """The parts of segments seg [k, 2 ends, 2] (pixels) inside rect, [m, 2, 2] with m <= k
    (Liang-Barsky, vectorized): gfxdraw takes 16-bit coordinates, and a nearly vertical model
    line ends far outside the pane. Non-finite segments are dropped."""
    seg = seg[np.isfinite(seg).all(axis=(1, 2))]
    p0, d = seg[:, 0], seg[:, 1] - seg[:, 0]
    lo = np.array([rect.left, rect.top], float)
    hi = np.array([rect.right - 1, rect.bottom - 1], float)
    t0, t1 = np.zeros(len(seg)), np.ones(len(seg))
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis in (0, 1):
            dd = d[:, axis]
            a = (lo[axis] - p0[:, axis]) / dd
            b = (hi[axis] - p0[:, axis]) / dd
            flat = dd == 0
            inside = (p0[:, axis] >= lo[axis]) & (p0[:, axis] <= hi[axis])
            t0 = np.where(flat, np.where(inside, t0, 2.0), np.maximum(t0, np.minimum(a, b)))
            t1 = np.where(flat, np.where(inside, t1, -1.0), np.minimum(t1, np.maximum(a, b)))
    keep = t0 <= t1
    p0, d, t0, t1 = p0[keep], d[keep], t0[keep, None], t1[keep, None]
    # far-out ends lose digits in p0 + t·d (a diverged model's line ends 1e20 px away): clamp
    return np.clip(np.stack([p0 + t0 * d, p0 + t1 * d], axis=1), lo, hi)


def _draw_models(surface, pane: PaneMap, name: str, pos: np.ndarray, hi: np.ndarray | None) -> None:
    """The faint lines blended straight onto the pane (pygame.gfxdraw: 1 px, alpha-blended, so
    where many models agree the lines add up; about 4x cheaper than anti-aliased lines on a
    layer, which was most of a 10,000-ball linreg frame), then the highlighted one in bold."""
    with np.errstate(all="ignore"):
        seg = clip_segments(_segments(name, pos, pane), pane.rect)
    for (ax, ay), (bx, by) in np.rint(seg).astype(np.int64).tolist():
        gfxdraw.line(surface, ax, ay, bx, by, FAINT)
    if hi is not None:
        with np.errstate(all="ignore"):
            (a, b), = np.clip(_segments(name, hi[None], pane), -1e5, 1e5)
        if np.isfinite([a, b]).all():
            pygame.draw.line(surface, BOLD, a, b, 3)


def _draw_regions(surface, pane: PaneMap, pot, ball: np.ndarray) -> None:
    x0, x1, y0, y1 = pane.bounds
    xs = np.linspace(x0, x1, REGION_GRID)
    ys = np.linspace(y1, y0, REGION_GRID)  # top row first
    prob = network_regions(pot, ball, xs, ys)  # [w, h]
    c0, c1 = np.array(CLASS_COLORS[0], float), np.array(CLASS_COLORS[1], float)
    rgb = (prob[..., None] * c1 + (1.0 - prob[..., None]) * c0) * 0.45
    small = pygame.surfarray.make_surface(rgb.astype(np.uint8))
    surface.blit(pygame.transform.smoothscale(small, pane.rect.size), pane.rect.topleft)


def _draw_points(surface, pane: PaneMap, data) -> None:
    """Every example as a disc of POINT_RADIUS in its class colour, rasterised with numpy (a
    100,000-row set took ~160 ms as one circle call per point): each pixel takes the colour of
    the last point whose disc covers it, so the picture is the one the circles drew in order."""
    px = pane.to_px(point_coords(data))
    classify = data.kind == "classification"
    palette = CLASS_COLORS if classify else (POINT,)
    clip = surface.get_clip()
    cover = cover_index(px, clip, _stamp(POINT_RADIUS))
    hit = cover >= 0
    if not hit.any():
        return
    which = data.y.astype(np.intp)[cover[hit]] if classify else np.zeros(int(hit.sum()), np.intp)
    bits = surface.get_bitsize()
    if bits == 32:  # the window's surface: mapped colours into the pixels in place
        mapped = np.array([surface.map_rgb(c) for c in palette], np.uint32)
        pix = pygame.surfarray.pixels2d(surface.subsurface(clip))
        pix[hit] = mapped[which]
        del pix
    elif bits == 24:
        rgb = pygame.surfarray.pixels3d(surface.subsurface(clip))
        rgb[hit] = np.array(palette, np.uint8)[which]
        del rgb
    else:  # (no pixel array: the circles, one by one)
        for (x, y), label in zip(px[np.isfinite(px).all(axis=1)].astype(int), data.y):
            color = CLASS_COLORS[int(label)] if classify else POINT
            pygame.draw.circle(surface, color, (int(x), int(y)), POINT_RADIUS)


_STAMPS: dict[int, np.ndarray] = {}


def _stamp(radius: int) -> np.ndarray:
    """The pixel offsets [k, 2] (dx, dy) pygame.draw.circle fills around an integer centre."""
    if radius not in _STAMPS:
        side = 2 * radius + 5
        s = pygame.Surface((side, side), 0, 32)
        pygame.draw.circle(s, (255, 255, 255), (side // 2, side // 2), radius)
        _STAMPS[radius] = np.argwhere(pygame.surfarray.array2d(s) != 0) - side // 2
    return _STAMPS[radius]


def cover_index(px: np.ndarray, rect: pygame.Rect, stamp: np.ndarray) -> np.ndarray:
    """For each pixel of rect [w, h] (x first, as surfarray), the index of the last point of
    px [n, 2] (pixels, truncated to integers as pygame takes them) whose stamp [k, 2] covers
    it, or -1: the painter's order of n stamps drawn one after another, vectorized."""
    w, h = rect.width, rect.height
    out = np.full((w, h), -1, np.int32)
    if not len(px) or w <= 0 or h <= 0:
        return out
    pad = int(np.abs(stamp).max())
    x, y = px[:, 0], px[:, 1]
    with np.errstate(invalid="ignore"):  # (NaN compares False: dropped)
        near = np.flatnonzero((x > rect.left - pad - 1) & (x < rect.right + pad)
                              & (y > rect.top - pad - 1) & (y < rect.bottom + pad))
    ix = x[near].astype(np.int64) - (rect.left - pad)  # as int(x), towards zero; padded grid
    iy = y[near].astype(np.int64) - (rect.top - pad)
    hp = h + 2 * pad
    inside = (ix >= 0) & (iy >= 0)
    last = np.full((w + 2 * pad) * hp, -1, np.int32)
    np.maximum.at(last, (ix * hp + iy)[inside], near[inside].astype(np.int32))  # the last at each centre
    last = last.reshape(w + 2 * pad, hp)
    for dx, dy in stamp.tolist():  # a pixel p is covered from the centre p - (dx, dy)
        np.maximum(out, last[pad - dx : pad - dx + w, pad - dy : pad - dy + h], out=out)
    return out


def edit(pane: PaneMap, data, kind: str, px: tuple[int, int], button: int = 1, shift: bool = False,
         grabbed: int | None = None):
    """A mouse event in the pane -> (new data or None, grabbed index).

    kind: "down" (add, grab or, with shift, remove), "drag" (move the grabbed point), "up".
    A drag past the pane's edge moves the point to the edge: with the pane's bounds held for
    the drag (DataPaneView), a point never leaves them.
    """
    if kind == "drag":
        r = pane.rect
        px = (min(max(px[0], r.left), r.right - 1), min(max(px[1], r.top), r.bottom - 1))
    at = pane.to_data(px)
    x0, x1, y0, y1 = pane.bounds
    radius = PICK_RADIUS * max(x1 - x0, y1 - y0)
    if kind == "down":
        i = nearest(data, at, radius)
        if shift:
            return (remove_point(data, i), None) if i is not None else (None, None)
        if i is not None:
            return None, i
        return add_point(data, at, 0 if button == 3 else 1), None
    if kind == "drag" and grabbed is not None:
        return move_point(data, grabbed, at), grabbed
    return None, None


def rebuild(potential, data):
    """The same landscape (and settings) on new data: sim.data.make_landscape."""
    from sim.data import make_landscape
    return make_landscape(potential.name, data, **potential.config())
