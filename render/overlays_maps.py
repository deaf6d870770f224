"""Map overlays for the maps of why: where the step size breaks, and the modified loss.

BreaksOverlay: shades the part of the map where the current step is beyond the rule's exact
stability limit for the local curvature (sim.why_maps.breaks_mask, cached per view and step).
ModifiedOverlay: contours of the modified loss V + (lr/4)|grad V|^2 beside V's own
(sim.why_maps.modified_grids), so the landscape gradient descent really follows shows.

Both take grids [w, h] (x first, y up) over the world rect the surface shows, are drawn
scaled onto `rect` (default: the whole surface), and cache their picture per grid.

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


def edges(mask: np.ndarray) -> np.ndarray:
    """Cells of a grid [w, h] (bool or integer bands) that differ from their right or upper
    neighbour: a mask's outline, or the lines between bands."""
    e = np.zeros(mask.shape, dtype=bool)
    e[:-1] |= mask[:-1] != mask[1:]
    e[:, :-1] |= mask[:, :-1] != mask[:, 1:]
    return e


def contour_cells(v: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Cells [w, h] where the level band of v changes to a neighbour: the contour lines."""
    band = np.searchsorted(levels, np.where(np.isfinite(v), v, np.inf))
    return edges(band)


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
        self._key: tuple | None = None
        self._surf: pygame.Surface | None = None
        self._numbers: dict[str, Any] = {}

    def readout(self) -> dict[str, Any]:
        """breaks.fraction (of the view shaded), breaks.limit (the curvature limit), breaks.step
        (lr or dt), breaks.lam_peak (largest curvature in view)."""
        return dict(self._numbers)

    def draw(self, surface: pygame.Surface, mask: np.ndarray, lam: np.ndarray | None = None,
             limit: float = math.nan, step: float = math.nan, rect: pygame.Rect | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        fin = None if lam is None else np.asarray(lam)[np.isfinite(lam)]
        self._numbers = {"breaks.fraction": float(mask.mean()) if mask.size else 0.0,
                         "breaks.limit": float(limit), "breaks.step": float(step),
                         "breaks.lam_peak": float(fin.max()) if fin is not None and len(fin) else math.nan}
        key = (id(mask), mask.shape, int(mask.sum()))
        if key != self._key or self._surf is None:
            self._key = key
            out = edges(mask) & mask
            i, j = np.indices(mask.shape)
            hatch = mask & ((i - j) % HATCH_PERIOD == 0)  # diagonal, on screen after the y flip
            self._surf = _rgba_surface([(mask, BREAKS_RGBA), (hatch, BREAKS_HATCH_RGBA),
                                        (out, BREAKS_EDGE_RGBA)], mask.shape)
        rect = surface.get_rect() if rect is None else pygame.Rect(rect)
        if mask.any():
            surface.blit(pygame.transform.scale(self._surf, rect.size), rect.topleft)


class ModifiedOverlay:
    """Contours of V (white) and of V + (lr/4)|grad V|^2 (magenta) at the same levels."""

    def __init__(self, count: int = CONTOURS) -> None:
        self.count = count
        self._key: tuple | None = None
        self._surf: pygame.Surface | None = None
        self._numbers: dict[str, Any] = {}

    def readout(self) -> dict[str, Any]:
        """modified.lr, modified.levels (how many), modified.shift_max (largest (lr/4)|grad V|^2
        in view, units of V), modified.shift_rel (that over V's range in view)."""
        return dict(self._numbers)

    def draw(self, surface: pygame.Surface, v: np.ndarray, vmod: np.ndarray, levels: np.ndarray,
             lr: float = math.nan, rect: pygame.Rect | None = None) -> None:
        v, vmod = np.asarray(v, dtype=np.float64), np.asarray(vmod, dtype=np.float64)
        with np.errstate(all="ignore"):
            shift = np.abs(vmod - v)
        fin = shift[np.isfinite(shift)]
        vf = v[np.isfinite(v)]
        span = float(vf.max() - vf.min()) if len(vf) else math.nan
        smax = float(fin.max()) if len(fin) else math.nan
        self._numbers = {"modified.lr": float(lr), "modified.levels": int(len(levels)),
                         "modified.shift_max": smax,
                         "modified.shift_rel": smax / span if span and math.isfinite(span) else math.nan}
        key = (id(v), id(vmod), v.shape, len(levels), float(lr))
        if key != self._key or self._surf is None:
            self._key = key
            self._surf = _rgba_surface([(contour_cells(v, levels), V_LINE_RGBA),
                                        (contour_cells(vmod, levels), MOD_LINE_RGBA)], v.shape)
        rect = surface.get_rect() if rect is None else pygame.Rect(rect)
        surface.blit(pygame.transform.scale(self._surf, rect.size), rect.topleft)
