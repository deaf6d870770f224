"""A world region a margin larger than the view, for overlays that are costly to compute: they
compute their grid over the region once and, while the view pans inside it, the same picture
is blitted shifted by the pan (no recomputation). A zoom, a window larger than the region or a
pan that leaves it starts a new region.

    region = follow(old_region, view)     # the old one while it still holds the view
    xs, ys = region.grid(cell)            # cell centres, world units, x first, y up
    dest = region.screen_rect(view)       # where the region's picture goes on the screen
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

# --- constants ---------------------------------------------------------------------------------
MARGIN = 0.2  # fraction of the view's width (height) computed beyond each side
QUANTUM = 12  # the region's pixel size is a multiple of this (every overlay cell size, drafts too, divides it)


@dataclass(frozen=True)
class Region:
    """World top-left (x0, y1), `scale` pixels per world unit (the view's), size w x h pixels."""

    x0: float
    y1: float
    scale: float
    w: int
    h: int

    def rect(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) in world units."""
        return self.x0, self.x0 + self.w / self.scale, self.y1 - self.h / self.scale, self.y1

    def shape(self, cell: int) -> tuple[int, int]:
        """Grid cells (nx, ny) of `cell` x `cell` pixels covering the region."""
        return max(self.w // cell, 1), max(self.h // cell, 1)

    def grid(self, cell: int) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres: xs [nx] and ys [ny] (ascending: y up), world units."""
        nx, ny = self.shape(cell)
        size = cell / self.scale
        xs = self.x0 + (np.arange(nx) + 0.5) * size
        ys = (self.y1 - ny * size) + (np.arange(ny) + 0.5) * size
        return xs, ys

    def screen_rect(self, view) -> pygame.Rect:
        """The region's picture on the screen of `view` (whole pixels; off-screen parts clip)."""
        vx0, _, _, vy1 = view.rect()
        dx = int(round((self.x0 - vx0) * self.scale))
        dy = int(round((vy1 - self.y1) * self.scale))
        return pygame.Rect(dx, dy, self.w, self.h)

    def holds(self, view) -> bool:
        """The view has this region's scale and lies inside it (a pan that needs no new grid)."""
        if view.scale != self.scale:
            return False
        r = self.screen_rect(view)
        return r.x <= 0 and r.y <= 0 and r.right >= view.w and r.bottom >= view.h


def region_for(view, margin: float = MARGIN) -> Region:
    """A new region centred on the view, `margin` of its size beyond each side."""
    w = QUANTUM * math.ceil(view.w * (1.0 + 2.0 * margin) / QUANTUM)
    h = QUANTUM * math.ceil(view.h * (1.0 + 2.0 * margin) / QUANTUM)
    # whole pixels from the view's corner, so the picture lines up with the map's pixels
    x0 = view.cx - (0.5 * view.w + (w - view.w) // 2) / view.scale
    y1 = view.cy + (0.5 * view.h + (h - view.h) // 2) / view.scale
    return Region(float(x0), float(y1), float(view.scale), int(w), int(h))


def follow(region: Region | None, view) -> Region:
    """`region` while it holds the view, else a new one around the view."""
    return region if region is not None and region.holds(view) else region_for(view)
