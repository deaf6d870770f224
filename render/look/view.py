"""The world <-> screen transform: pure numpy, no pygame (testable without a display).

World units: the potential's (x, y), y up. Screen units: pixels, (0, 0) at the top left, y
down. Pixel (i, j) covers [i, i + 1) x [j, j + 1); its centre is (i + 0.5, j + 0.5). One
scale for both axes, so circles stay circles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIT_MARGIN = 0.06  # fraction of the window left free around a fitted view
MIN_SCALE = 1e-6  # pixels per world unit (zoomed far out)
MAX_SCALE = 1e9  # pixels per world unit (zoomed far in)


@dataclass(frozen=True)
class View:
    """Centre (cx, cy) in world units, `scale` in pixels per world unit, size (w, h) pixels."""

    cx: float
    cy: float
    scale: float
    w: int
    h: int

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def fit(cls, rect: tuple[float, float, float, float], size: tuple[int, int],
            margin: float = FIT_MARGIN) -> "View":
        """The view that shows the world rect (xmin, xmax, ymin, ymax) whole, centred in size."""
        x0, x1, y0, y1 = (float(v) for v in rect)
        w, h = max(int(size[0]), 1), max(int(size[1]), 1)
        sx = w / max(x1 - x0, 1e-300)
        sy = h / max(y1 - y0, 1e-300)
        scale = float(np.clip(min(sx, sy) * (1.0 - 2.0 * margin), MIN_SCALE, MAX_SCALE))
        return cls(0.5 * (x0 + x1), 0.5 * (y0 + y1), scale, w, h)

    # -- transforms --------------------------------------------------------------------------
    def to_screen(self, pos: np.ndarray) -> np.ndarray:
        """World positions [..., 2] -> screen pixels [..., 2] (float; floor gives the pixel)."""
        pos = np.asarray(pos, dtype=np.float64)
        out = np.empty_like(pos)
        out[..., 0] = (pos[..., 0] - self.cx) * self.scale + 0.5 * self.w
        out[..., 1] = 0.5 * self.h - (pos[..., 1] - self.cy) * self.scale
        return out

    def to_world(self, pix: np.ndarray) -> np.ndarray:
        """Screen pixels [..., 2] -> world positions [..., 2]. Exact inverse of to_screen."""
        pix = np.asarray(pix, dtype=np.float64)
        out = np.empty_like(pix)
        out[..., 0] = (pix[..., 0] - 0.5 * self.w) / self.scale + self.cx
        out[..., 1] = (0.5 * self.h - pix[..., 1]) / self.scale + self.cy
        return out

    def pixel_to_world(self, px: float, py: float) -> tuple[float, float]:
        """The world point at a mouse position (pixel coordinates as SDL reports them)."""
        x, y = self.to_world(np.array([px, py], dtype=np.float64))
        return float(x), float(y)

    def world_to_pixel(self, x: float, y: float) -> tuple[int, int]:
        """The pixel (column, row) that contains world point (x, y)."""
        sx, sy = self.to_screen(np.array([x, y], dtype=np.float64))
        return int(np.floor(sx)), int(np.floor(sy))

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """World x of each pixel column's centre [w] and world y of each row's centre [h]."""
        xs = (np.arange(self.w) + 0.5 - 0.5 * self.w) / self.scale + self.cx
        ys = (0.5 * self.h - (np.arange(self.h) + 0.5)) / self.scale + self.cy
        return xs, ys

    def rect(self) -> tuple[float, float, float, float]:
        """The visible world rect (xmin, xmax, ymin, ymax)."""
        hw, hh = 0.5 * self.w / self.scale, 0.5 * self.h / self.scale
        return self.cx - hw, self.cx + hw, self.cy - hh, self.cy + hh

    def length(self, pixels: float) -> float:
        """A screen length in pixels as a world length."""
        return pixels / self.scale

    # -- changes (each returns a new View) ---------------------------------------------------
    def zoom_about(self, px: float, py: float, factor: float) -> "View":
        """Zoom by `factor` (> 1 zooms in) keeping the world point under pixel (px, py) fixed."""
        new_scale = float(np.clip(self.scale * factor, MIN_SCALE, MAX_SCALE))
        wx, wy = self.pixel_to_world(px, py)
        cx = wx - (px - 0.5 * self.w) / new_scale
        cy = wy - (0.5 * self.h - py) / new_scale
        return View(cx, cy, new_scale, self.w, self.h)

    def pan(self, dx: float, dy: float) -> "View":
        """Move the picture by (dx, dy) pixels (a drag): the world follows the mouse."""
        return View(self.cx - dx / self.scale, self.cy + dy / self.scale, self.scale, self.w, self.h)

    def resized(self, size: tuple[int, int]) -> "View":
        """Same centre and scale in a window of a new size."""
        return View(self.cx, self.cy, self.scale, max(int(size[0]), 1), max(int(size[1]), 1))


def nice_ticks(lo: float, hi: float, target: int = 8) -> np.ndarray:
    """Round tick values (1, 2, 5 x 10^k steps) inside [lo, hi], about `target` of them."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return np.zeros(0)
    raw = (hi - lo) / max(target, 1)
    mag = 10.0 ** np.floor(np.log10(raw))
    step = mag * min((m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw), default=10.0)
    first = np.ceil(lo / step) * step
    ticks = first + step * np.arange(int(np.floor((hi - first) / step + 1e-9)) + 1)
    ticks[np.abs(ticks) < step * 1e-9] = 0.0  # no "-0"
    return ticks


def format_tick(v: float, step: float) -> str:
    """A tick label with just enough digits for the tick spacing; minus sign as U+2212."""
    if not np.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        s = f"{v:.2g}"
    else:
        digits = max(0, int(-np.floor(np.log10(step) + 1e-9))) if step > 0 else 2
        if step > 0 and abs(step * 10**digits - round(step * 10**digits)) > 1e-6:
            digits += 1
        s = f"{v:.{digits}f}"
    return s.replace("-", "\u2212")
