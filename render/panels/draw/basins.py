"""The basins overlay: one colour per basin, drawn from the job's label grid."""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import pygame

from render.look.theme import BASIN_DIVERGED_RGBA, BASIN_MOVING_RGBA, BASIN_PALETTE
from render.look.widgets import clip, rgba_surface, smooth_scale
from sim.instruments.basins import DIVERGED


BASIN_ALPHA = 110  # opacity of a basin's shade (0-255)


# ================================================================================================
# Basins
# ================================================================================================

def basin_colors(labels: np.ndarray, alpha: int = BASIN_ALPHA) -> np.ndarray:
    """RGBA [..., 4] uint8 per label: palette color per minimum, dark for diverged, faint grey
    for still moving."""
    labels = np.asarray(labels)
    pal = np.array([c + (alpha,) for c in BASIN_PALETTE], dtype=np.uint8)
    out = np.empty(labels.shape + (4,), dtype=np.uint8)
    good = labels >= 0
    out[good] = pal[labels[good] % len(pal)]
    out[labels == DIVERGED] = BASIN_DIVERGED_RGBA
    out[~good & (labels != DIVERGED)] = BASIN_MOVING_RGBA
    return out


def basin_surface(labels: np.ndarray, alpha: int = BASIN_ALPHA) -> pygame.Surface:
    """A gx x gy SRCALPHA surface, one pixel per grid cell, from labels [gx, gy] (x first,
    y up: row 0 of the surface is the largest y)."""
    labels = np.asarray(labels)
    return rgba_surface(basin_colors(labels[:, ::-1], alpha))  # y flipped to screen order


_basin_cache: dict[str, Any] = {"key": None, "surface": None}


def draw_basin_overlay(surface: pygame.Surface, job, to_screen: Callable[[np.ndarray], np.ndarray] | None = None,
                       view: Sequence[float] | None = None, alpha: int = BASIN_ALPHA) -> pygame.Rect | None:
    """Shade the map by basin: the job's grid (over job.view) scaled onto the pixels where that
    world rect appears. Give `to_screen` (world [k, 2] -> pixels [k, 2]) or `view` (the world
    rect (x0, x1, y0, y1) the surface shows, y up). Returns the screen rect of the grid (or None
    when it is off screen). Only the visible part is scaled, so deep zooms stay cheap."""
    gx, gy = job.grid
    x0, x1, y0, y1 = job.view
    corners = np.array([[x0, y1], [x1, y0]], dtype=np.float64)  # world top-left, bottom-right
    sw, sh = surface.get_size()
    if to_screen is not None:
        px = np.asarray(to_screen(corners), dtype=np.float64)
    elif view is not None:
        vx0, vx1, vy0, vy1 = (float(v) for v in view)
        px = np.column_stack([(corners[:, 0] - vx0) / (vx1 - vx0) * sw,
                              (vy1 - corners[:, 1]) / (vy1 - vy0) * sh])
    else:
        raise ValueError("draw_basin_overlay needs to_screen or view")
    if not np.isfinite(px).all():
        return None
    left, top = px[0]
    right, bottom = px[1]
    if right <= left or bottom <= top:
        return None
    full = pygame.Rect(int(math.floor(left)), int(math.floor(top)),
                       max(int(round(right - left)), 1), max(int(round(bottom - top)), 1))
    with clip(surface, surface.get_rect()) as area:
        vis = full.clip(area)
        if vis.w <= 0 or vis.h <= 0:
            return None
        # the job itself (held by the cache, so no other job can be taken for it), its progress
        key = (job, job.ticks, job.cancelled, len(job.centers), alpha, int((job.labels >= 0).sum()),
               int((job.labels == DIVERGED).sum()))
        if _basin_cache["key"] != key:
            _basin_cache["key"] = key
            _basin_cache["surface"] = basin_surface(job.labels, alpha)
        small = _basin_cache["surface"]
        # grid cells that cover the visible part, and where they land on screen
        cw, ch = (right - left) / gx, (bottom - top) / gy
        i0 = max(int(math.floor((vis.x - left) / cw)), 0)
        i1 = min(int(math.ceil((vis.right - left) / cw)), gx)
        j0 = max(int(math.floor((vis.y - top) / ch)), 0)
        j1 = min(int(math.ceil((vis.bottom - top) / ch)), gy)
        if i1 <= i0 or j1 <= j0:
            return None
        dx0, dy0 = int(round(left + i0 * cw)), int(round(top + j0 * ch))
        dx1, dy1 = int(round(left + i1 * cw)), int(round(top + j1 * ch))
        if (dx1 - dx0) <= 2 * vis.w + 256 and (dy1 - dy0) <= 2 * vis.h + 256:
            cells = (i0, j0, i1 - i0, j1 - j0)
            size = (max(dx1 - dx0, 1), max(dy1 - dy0, 1))
            if _basin_cache.get("scaled_key") != (key, cells, size):
                # bilinear: basin borders come out soft instead of in cell-sized steps
                sub = small.subsurface(pygame.Rect(cells))
                scaled = smooth_scale(sub, size)
                _basin_cache["scaled_key"], _basin_cache["scaled"] = (key, cells, size), scaled
            surface.blit(_basin_cache["scaled"], (dx0, dy0))
        else:  # cells much larger than the screen: look each visible pixel's cell up directly
            i = np.clip(((vis.x + np.arange(vis.w) + 0.5 - left) / cw).astype(np.int64), 0, gx - 1)
            j = np.clip(((vis.y + np.arange(vis.h) + 0.5 - top) / ch).astype(np.int64), 0, gy - 1)
            patch = rgba_surface(basin_colors(job.labels[:, ::-1][i[:, None], j[None, :]], alpha))
            surface.blit(patch, vis.topleft)
    return full
