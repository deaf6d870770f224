"""How a panel writes: rows of text in a clipped panel, a line plot, a progress bar; non-finite numbers are written as a dash."""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np
import pygame

from render.look import widgets
from render.look.theme import ACCENT, DIM, GRID, LINE_GAP, STATUS_COLORS, TEXT, TEXT_SHADOW
from render.look.theme import PANEL_PAD as PAD
from render.look.widgets import clip, draw_panel


DASH = "—"
CHIP = 9  # pixels: the square status chip beside a metric


# ================================================================================================
# Small helpers
# ================================================================================================

@contextmanager
def panel_writer(surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font
                  ) -> Iterator["Writer"]:
    """Clip to rect, draw the panel background, and yield a writer for its rows."""
    with clip(surface, rect):
        draw_panel(surface, rect)
        yield Writer(surface, rect, font)


class Writer:
    """Writes rows of text pieces top to bottom inside a rect."""

    def __init__(self, surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font) -> None:
        self.surface, self.font = surface, font
        self.x0 = rect.x + PAD
        self.x1 = rect.right - PAD
        self.y = rect.y + PAD
        self.line_h = font.get_linesize()

    def row(self, *parts: tuple[str, tuple[int, int, int]], chip: str | None = None,
            col: Sequence[int] = ()) -> int:
        """One row: (text, color) pieces left to right; `col` gives x offsets for pieces after
        the first (tabular layout); `chip` draws a status chip at the left. Returns row top."""
        top = self.y
        x = self.x0
        if chip is not None:
            c = STATUS_COLORS.get(chip, STATUS_COLORS["n/a"])
            cy = top + (self.line_h - CHIP) // 2
            self.surface.fill(c, pygame.Rect(x, cy, CHIP, CHIP))
            x += CHIP + 5
        for i, (text, color) in enumerate(parts):
            if 0 < i <= len(col):
                x = max(x, self.x0 + col[i - 1])
            s = widgets.text(self.font, text, color)
            self.surface.blit(s, (x, top))
            x += s.get_width()
        self.y += self.line_h + LINE_GAP
        return top

    def wrapped(self, text: str, color: tuple[int, int, int] = DIM) -> None:
        """A paragraph wrapped to the rect's width (widgets.wrapped_lines)."""
        for line in widgets.wrapped_lines(self.font, text, self.x1 - self.x0):
            self.row((line, color))

    def space(self, px: int) -> None:
        self.y += px


def draw_line_plot(surface: pygame.Surface, rect: pygame.Rect,
                   series: Sequence[tuple[np.ndarray, tuple[int, int, int]]],
                   zero_line: bool = True) -> tuple[float, float] | None:
    """Small line plot of several series [k] (shared x = sample index, shared y autoscaled)
    inside rect; non-finite samples break the line. Returns the (ymin, ymax) used, or None."""
    rect = pygame.Rect(rect)
    if rect.w < 4 or rect.h < 4:
        return None
    finite = [np.asarray(y, dtype=np.float64) for y, _ in series]
    allv = np.concatenate([y[np.isfinite(y)] for y in finite] + [np.zeros(0)])
    pygame.draw.rect(surface, GRID, rect, width=1)
    if not len(allv):
        return None
    lo, hi = float(allv.min()), float(allv.max())
    if zero_line:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    inner = rect.inflate(-4, -4)

    def ypix(v: np.ndarray) -> np.ndarray:
        return inner.bottom - 1 - (v - lo) / span * (inner.h - 1)

    if zero_line and lo < 0 < hi:
        y0 = int(round(float(ypix(np.array(0.0)))))
        pygame.draw.line(surface, GRID, (inner.x, y0), (inner.right - 1, y0))
    for y, (_, color) in zip(finite, series):
        k = len(y)
        if k == 0:
            continue
        xs = inner.x + (np.arange(k) * ((inner.w - 1) / max(k - 1, 1)))
        ys = ypix(y)
        ok = np.isfinite(ys)
        # draw each finite run as one polyline
        idx = np.flatnonzero(ok)
        if not len(idx):
            continue
        breaks = np.flatnonzero(np.diff(idx) > 1)
        for run in np.split(idx, breaks + 1):
            pts = list(zip(xs[run].tolist(), ys[run].tolist()))
            if len(pts) == 1:
                surface.fill(color, pygame.Rect(int(pts[0][0]), int(pts[0][1]), 1, 1))
            else:
                pygame.draw.lines(surface, color, False, pts, 1)
    return lo, hi


def draw_progress_bar(surface: pygame.Surface, rect: pygame.Rect, progress: float,
                      font: pygame.font.Font | None = None, label: str = "") -> None:
    """A panel with a bar filled to `progress` in [0, 1] and "label 42%" on it."""
    rect = pygame.Rect(rect)
    p = float(progress) if math.isfinite(float(progress)) else 0.0
    p = min(max(p, 0.0), 1.0)
    with clip(surface, rect):
        draw_panel(surface, rect)
        bar = rect.inflate(-2 * 4, -2 * 4)
        if bar.w <= 0 or bar.h <= 0:
            return
        pygame.draw.rect(surface, GRID, bar, width=1)
        fill = pygame.Rect(bar.x + 1, bar.y + 1, int(round((bar.w - 2) * p)), bar.h - 2)
        if fill.w > 0:
            surface.fill(ACCENT, fill)
        if font is not None:
            text = f"{label} {int(p * 100)}%".strip()
            s = widgets.text(font, text, TEXT)
            back = widgets.text(font, text, TEXT_SHADOW)
            pos = (bar.centerx - s.get_width() // 2, bar.centery - s.get_height() // 2)
            surface.blit(back, (pos[0] + 1, pos[1] + 1))
            surface.blit(s, pos)
