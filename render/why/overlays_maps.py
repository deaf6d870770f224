"""Map overlays for the maps of why: where the step size breaks, and the modified loss.

BreaksOverlay: shades the part of the map where the current step is beyond the rule's exact
stability limit for the local curvature (sim.maps.why.breaks_mask, cached per view and step).
ModifiedOverlay: contours of the modified loss V + c|grad V|^2 beside V's own
(sim.maps.why.modified_grids; c from the rule: gd lr/4, heavy ball lr(1+beta)/(4(1-beta)^2)),
so the landscape the rule really follows shows; "n/a" for a rule without one.

Both take grids [w, h] (x first, y up) over a world rect, drawn scaled onto `rect` (default:
the whole surface; it may reach beyond the surface, render/pan_region.py: a grid computed a
margin larger than the view, blitted shifted while the view pans), and cache their picture
per grid and size. Their numbers are over the cells that fall on the surface. The modified
loss's lines are anti-aliased (distance to the nearest level over the gradient, as the main
map's iso-lines) and smooth-scaled.

    overlay.draw(surface, ..., rect=None); overlay.readout()
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

# --- constants ---------------------------------------------------------------------------------
BREAKS_RGBA = (255, 40, 40, 70)  # the shade ...
BREAKS_HATCH_RGBA = (200, 0, 0, 190)  # ... its diagonal hatching ...
BREAKS_EDGE_RGBA = (255, 40, 40, 240)  # ... and its outline
HATCH_PERIOD = 4  # grid cells between hatch lines
V_LINE_RGBA = (255, 255, 255, 150)
MOD_LINE_RGBA = (255, 80, 220, 235)
CONTOURS = 10
LINE_CELLS = 1.1  # the modified overlay's line width, in grid cells


def edges(mask: np.ndarray) -> np.ndarray:
    """Cells of a grid [w, h] (bool or integer bands) that differ from their right or upper
    neighbour: a mask's outline, or the lines between bands."""
    e = np.zeros(mask.shape, dtype=bool)
    e[:-1] |= mask[:-1] != mask[1:]
    e[:, :-1] |= mask[:, :-1] != mask[:, 1:]
    return e



def visible(shape: tuple[int, int], rect: pygame.Rect, size: tuple[int, int]) -> tuple[slice, slice]:
    """The cells of a grid [w, h] (y up) drawn onto `rect` whose centres fall on a surface of
    `size`: (slice over x, slice over y)."""
    w, h = int(shape[0]), int(shape[1])
    cw, ch = rect.w / max(w, 1), rect.h / max(h, 1)
    i0 = max(int(math.ceil((0 - rect.x) / cw - 0.5)), 0)
    i1 = min(int(math.ceil((size[0] - rect.x) / cw - 0.5)), w)
    r0 = max(int(math.ceil((0 - rect.y) / ch - 0.5)), 0)  # screen rows, top down
    r1 = min(int(math.ceil((size[1] - rect.y) / ch - 0.5)), h)
    return slice(i0, max(i1, i0)), slice(h - max(r1, r0), h - r0)


def contour_alpha(v: np.ndarray, levels: np.ndarray, width: float = LINE_CELLS) -> np.ndarray:
    """Anti-aliased coverage [w, h] float32 in [0, 1] of lines `width` cells wide along the
    levels of v [w, h]: each cell's distance to the nearer of the two levels around it, in
    cells, is |v - level| / |grad v| (the first-order distance, as the main map's iso-lines)."""
    v = np.asarray(v, dtype=np.float64)
    levels = np.asarray(levels, dtype=np.float64)
    fin = np.isfinite(v)
    if not len(levels) or not fin.any():
        return np.zeros(v.shape, dtype=np.float32)
    a = np.where(fin, v, 0.0)
    gx = np.gradient(a, axis=0) if a.shape[0] > 1 else np.zeros_like(a)
    gy = np.gradient(a, axis=1) if a.shape[1] > 1 else np.zeros_like(a)
    slope = np.hypot(gx, gy).astype(np.float32)
    del gx, gy
    k = np.searchsorted(levels, a)
    n = len(levels) - 1
    d = np.abs(a - levels[np.clip(k - 1, 0, n)])
    np.minimum(d, np.abs(a - levels[np.minimum(k, n)]), out=d)
    d32 = d.astype(np.float32)
    del d, a
    np.maximum(slope, np.float32(1e-30), out=slope)
    with np.errstate(all="ignore"):
        d32 /= slope
    np.subtract(np.float32(0.5 * width + 0.5), d32, out=d32)
    np.clip(d32, 0.0, 1.0, out=d32)
    d32[~fin] = 0.0
    return d32


def _rgba_surface(layers: list[tuple[np.ndarray, tuple[int, int, int, int]]], shape: tuple[int, int]
                  ) -> pygame.Surface:
    """An RGBA surface [w, h] (y flipped to screen rows) painting each mask in its colour."""
    w, h = shape
    surf = pygame.Surface((w, h), pygame.SRCALPHA, 32)
    rgb = np.zeros((w, h, 3), dtype=np.uint8)
    alpha = np.zeros((w, h), dtype=np.uint8)
    for mask, (r, g, b, a) in layers:
        rgb[mask] = (r, g, b)
        alpha[mask] = a
    pygame.surfarray.pixels3d(surf)[...] = rgb[:, ::-1]
    pa = pygame.surfarray.pixels_alpha(surf)
    pa[...] = alpha[:, ::-1]
    del pa
    return surf


class BreaksOverlay:
    """Red hatching where lr * lam_max(x) is beyond the rule's exact limit (and its outline)."""

    def __init__(self) -> None:
        self._key: tuple | None = None  # the size the picture was scaled to
        self._surf: pygame.Surface | None = None
        self._numbers: dict[str, Any] = {}
        self._pending: tuple | None = None  # what the last draw showed, counted by readout()
        self._any = False  # whether the mask shades anything
        self._src: np.ndarray | None = None  # the mask drawn last

    def readout(self) -> dict[str, Any]:
        """breaks.fraction (of the view shaded), breaks.limit (the curvature limit), breaks.step
        (lr or dt), breaks.lam_peak (largest curvature in view). Counted when asked, over the
        cells the last draw put on the surface (never per frame: a pan would pay for it)."""
        if self._pending is not None:
            mask, lam, (sx, sy), limit, step = self._pending
            self._pending = None
            seen = mask[sx, sy]
            fin = None if lam is None else np.asarray(lam)[sx, sy]
            fin = None if fin is None else fin[np.isfinite(fin)]
            self._numbers = {"breaks.fraction": float(seen.mean()) if seen.size else 0.0,
                             "breaks.limit": float(limit), "breaks.step": float(step),
                             "breaks.lam_peak": float(fin.max()) if fin is not None and len(fin) else math.nan}
        return dict(self._numbers)

    def set_na(self, rule: str, step: float) -> None:
        """The rule has no linear map: nothing is drawn, the numbers are n/a (null)."""
        self._pending = None
        self._numbers = {"breaks.fraction": None, "breaks.limit": None, "breaks.step": float(step),
                         "breaks.lam_peak": None, "breaks.note": f"n/a for {rule} (no linear map)"}

    def draw(self, surface: pygame.Surface, mask: np.ndarray, lam: np.ndarray | None = None,
             limit: float = math.nan, step: float = math.nan, rect: pygame.Rect | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        rect = surface.get_rect() if rect is None else pygame.Rect(rect)
        self._pending = (mask, lam, visible(mask.shape, rect, surface.get_size()), limit, step)
        # the very array drawn last at this size (held: a grid is a value, never written into)
        if rect.size != self._key or self._surf is None or mask is not self._src:
            self._key, self._src = rect.size, mask
            out = edges(mask) & mask
            i, j = np.indices(mask.shape)
            hatch = mask & ((i - j) % HATCH_PERIOD == 0)  # diagonal, on screen after the y flip
            small = _rgba_surface([(mask, BREAKS_RGBA), (hatch, BREAKS_HATCH_RGBA),
                                   (out, BREAKS_EDGE_RGBA)], mask.shape)
            self._surf = pygame.transform.scale(small, rect.size)  # scaled once per grid
            self._any = bool(mask.any())
        if self._any:
            surface.blit(self._surf, rect.topleft)


class ModifiedOverlay:
    """Contours of V (white) and of V + c|grad V|^2 (magenta) at the same levels."""

    def __init__(self, count: int = CONTOURS) -> None:
        self.count = count
        self._key: tuple | None = None
        self._held: tuple | None = None  # (v, vmod) drawn last
        self._surf: pygame.Surface | None = None
        self._numbers: dict[str, Any] = {}
        self._pending: tuple | None = None  # what the last draw showed, counted by readout()

    def readout(self) -> dict[str, Any]:
        """modified.title (what the overlay is, for this rule), modified.coefficient (c),
        modified.lr, modified.levels (how many), modified.shift_max (largest c|grad V|^2 in
        view, units of V), modified.shift_rel (that over V's range in view). Counted when
        asked, over the cells the last draw put on the surface."""
        if self._pending is not None:
            v, vm, (sx, sy), count, coeff, title, lr = self._pending
            self._pending = None
            self._numbers = {"modified.title": title, "modified.coefficient": float(coeff),
                             **_shift_numbers(v[sx, sy], vm[sx, sy], count, lr)}
        return dict(self._numbers)

    def set_na(self, title: str, lr: float) -> None:
        """The rule has no modified loss: nothing is drawn, the numbers are n/a (null)."""
        self._pending = None
        self._numbers = {"modified.title": title, "modified.coefficient": None, "modified.lr": float(lr),
                         "modified.levels": 0, "modified.shift_max": None, "modified.shift_rel": None}

    def draw(self, surface: pygame.Surface, v: np.ndarray, vmod: np.ndarray, levels: np.ndarray,
             coeff: float = math.nan, rect: pygame.Rect | None = None, title: str = "",
             lr: float = math.nan) -> None:
        rect = surface.get_rect() if rect is None else pygame.Rect(rect)
        v_arr, vm_arr = np.asarray(v, dtype=np.float64), np.asarray(vmod, dtype=np.float64)
        self._pending = (v_arr, vm_arr, visible(v_arr.shape, rect, surface.get_size()), len(levels),
                         coeff, title, lr)
        key = (v_arr.shape, len(levels), float(coeff), rect.size)
        held = self._held
        if key != self._key or self._surf is None or held is None or held[0] is not v or held[1] is not vmod:
            self._key, self._held = key, (v, vmod)  # the arrays held: their ids can't be reused
            self._surf = _contour_picture(v_arr, vm_arr, levels, rect.size)
        surface.blit(self._surf, rect.topleft)


def _shift_numbers(v: np.ndarray, vmod: np.ndarray, count: int, lr: float) -> dict[str, Any]:
    with np.errstate(all="ignore"):
        shift = np.abs(vmod - v)
    fin = shift[np.isfinite(shift)]
    vf = v[np.isfinite(v)]
    span = float(vf.max() - vf.min()) if len(vf) else math.nan
    smax = float(fin.max()) if len(fin) else math.nan
    return {"modified.lr": float(lr), "modified.levels": int(count), "modified.shift_max": smax,
            "modified.shift_rel": smax / span if span and math.isfinite(span) else math.nan}


def _contour_picture(v: np.ndarray, vmod: np.ndarray, levels: np.ndarray,
                     size: tuple[int, int]) -> pygame.Surface:
    """V's lines (white) under the modified loss's (magenta), anti-aliased, alpha composited
    ("over", only on the cells a line covers), smooth-scaled to `size` pixels."""
    a_w = contour_alpha(v, levels) * np.float32(V_LINE_RGBA[3] / 255.0)
    a_m = contour_alpha(vmod, levels) * np.float32(MOD_LINE_RGBA[3] / 255.0)
    w, h = v.shape
    rgb = np.zeros((w, h, 3), dtype=np.uint8)
    alpha = np.zeros((w, h), dtype=np.uint8)
    on = (a_w > 0) | (a_m > 0)
    aw, am = a_w[on], a_m[on]
    a = am + aw * (1.0 - am)
    ww, wm = aw * (1.0 - am) / a, am / a
    col = ww[:, None] * np.array(V_LINE_RGBA[:3], np.float32) + wm[:, None] * np.array(MOD_LINE_RGBA[:3], np.float32)
    rgb[on] = np.clip(col + 0.5, 0, 255).astype(np.uint8)
    alpha[on] = np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8)
    surf = pygame.Surface((w, h), pygame.SRCALPHA, 32)
    pygame.surfarray.pixels3d(surf)[...] = rgb[:, ::-1]
    pa = pygame.surfarray.pixels_alpha(surf)
    pa[...] = alpha[:, ::-1]
    del pa
    if (w, h) == tuple(size):
        return surf
    return pygame.transform.smoothscale(surf, size)
