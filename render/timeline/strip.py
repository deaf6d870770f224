"""The timeline strip: a time axis in ticks with a cursor to drag, the stretches the timeline
holds shaded, optional live plots on the same axis, and a hover readout (exact tick and value
of the plot under the mouse).

Geometry is pure (`TickAxis`, `nearest_sample`, `axis_marks`): pixels <-> ticks and hover
lookups are tested without a display. `TimelineStrip.draw` reads what it is given and never
changes anything; the caller turns a drag into `Timeline.restore(world, strip.tick_at(x))`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pygame

from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, GRID, PANEL_PAD as PAD, TEXT
from render.look.widgets import draw_panel, text as render_text
from render.look.view import nice_ticks

STRIP_HEIGHT = 64  # pixels: the strip's preferred height (plot, axis and labels)
AXIS_HEIGHT = 16  # pixels under the plot for the tick labels
HELD_RGB = (58, 64, 92)  # the stretches of ticks the timeline can restore
CURSOR_RGB = ACCENT
HEAD_RGB = (236, 237, 242)  # the live (latest) tick
HOVER_RGB = (200, 204, 222)
HANDLE = 5  # pixels: half-width of the cursor's handle
MARKS = 8  # tick labels wanted across the axis


@dataclass(frozen=True)
class TickAxis:
    """Ticks t0..t1 drawn on pixels x0..x1 (x0 < x1); t1 > t0."""

    x0: float
    x1: float
    t0: int
    t1: int

    @classmethod
    def span(cls, x0: float, x1: float, t0: int, t1: int) -> "TickAxis":
        """An axis that always has room: at least one tick wide, at least one pixel long."""
        t0, t1 = int(t0), int(t1)
        if t1 <= t0:
            t1 = t0 + 1
        return cls(float(x0), float(max(x1, x0 + 1.0)), t0, t1)

    def tick_to_x(self, tick: float | np.ndarray) -> float | np.ndarray:
        """Pixel x of a tick (ticks outside the axis map outside x0..x1)."""
        per_tick = (self.x1 - self.x0) / (self.t1 - self.t0)
        return self.x0 + (np.asarray(tick, dtype=float) - self.t0) * per_tick

    def x_to_tick(self, x: float) -> int:
        """The nearest tick to pixel x, clamped to t0..t1."""
        t = self.t0 + (float(x) - self.x0) * (self.t1 - self.t0) / (self.x1 - self.x0)
        return int(min(max(round(t), self.t0), self.t1))


def nearest_sample(ticks: np.ndarray, values: np.ndarray, tick: float
                   ) -> tuple[int, float] | None:
    """The sample of a plot (ticks [k] ascending, values [k]) nearest to `tick`, as (its tick,
    its value); None when the plot has no finite sample."""
    ticks = np.asarray(ticks)
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    if not ok.any():
        return None
    t, v = ticks[ok], values[ok]
    i = int(np.searchsorted(t, tick))
    best = [j for j in (i - 1, i) if 0 <= j < len(t)]
    j = min(best, key=lambda k: (abs(float(t[k]) - tick), -k))
    return int(t[j]), float(v[j])


def axis_marks(axis: TickAxis, target: int = MARKS) -> list[tuple[float, int]]:
    """(pixel x, tick) for the labelled marks: whole ticks at a 1-2-5 spacing."""
    marks = nice_ticks(axis.t0, axis.t1, target)
    out = []
    for t in marks:
        if abs(t - round(t)) < 1e-9 and axis.t0 <= t <= axis.t1:
            out.append((float(axis.tick_to_x(t)), int(round(t))))
    return out


def unit_heights(v: np.ndarray) -> np.ndarray:
    """Finite values [k] as heights in 0..1, lowest 0 and highest 1; a constant series at 0.5.
    Any finite range works: the difference of two values may round to nothing next to their
    size (1e17 and 1e17 + 1) or overflow (-1.7e308 .. 1.7e308), so it is never formed as
    `hi - lo` of a padded range; halves are taken where the difference overflows."""
    v = np.asarray(v, dtype=float)
    if not len(v):
        return v
    lo, hi = float(v.min()), float(v.max())
    if not hi > lo:
        return np.full(v.shape, 0.5)
    span = hi - lo  # > 0 whenever hi > lo (gradual underflow); inf only past the largest float
    if math.isfinite(span):
        out = (v - lo) / span
    else:
        out = (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5)
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class Plot:
    """One series on the strip's axis: ticks [k] ascending, values [k], a colour, a name;
    `log`: drawn on a log scale (values <= 0 leave gaps; the hover shows the value itself)."""

    name: str
    ticks: np.ndarray
    values: np.ndarray
    color: tuple[int, int, int]
    log: bool = False


class TimelineStrip:
    """Draws the strip; remembers the axis it drew last so that mouse x maps to a tick."""

    def __init__(self, font: pygame.font.Font) -> None:
        self.font = font
        self.axis: TickAxis | None = None
        self.plot_rect: pygame.Rect | None = None

    def measure(self, width: int) -> tuple[int, int]:
        """Preferred size for a strip `width` pixels wide."""
        return int(width), max(STRIP_HEIGHT, 2 * self.font.get_linesize() + 2 * PAD)

    def layout(self, rect: pygame.Rect, t0: int, t1: int) -> tuple[pygame.Rect, TickAxis]:
        """The plot area inside rect and the axis across it (pure geometry)."""
        rect = pygame.Rect(rect)
        label_w = self.font.size("tick 000000")[0]
        plot = pygame.Rect(rect.x + PAD + label_w, rect.y + PAD,
                           max(rect.w - 2 * PAD - label_w, 1), max(rect.h - 2 * PAD - AXIS_HEIGHT, 1))
        return plot, TickAxis.span(plot.x, plot.right - 1, t0, t1)

    def tick_at(self, x: float) -> int | None:
        """The tick under pixel x on the strip drawn last (None before the first draw)."""
        return None if self.axis is None else self.axis.x_to_tick(x)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, t0: int, t1: int, cursor: int,
             held: Sequence[tuple[int, int]] = (), plots: Sequence[Plot] = (),
             hover_x: float | None = None) -> list[tuple[str, int, float]]:
        """The strip for ticks t0..t1 with the cursor at `cursor` and `held` (first, last)
        stretches shaded. Returns the hover readout drawn: (plot name, tick, value) rows."""
        rect = pygame.Rect(rect)
        plot, axis = self.layout(rect, t0, t1)
        self.axis, self.plot_rect = axis, plot
        old = surface.get_clip()
        surface.set_clip(rect.clip(old))
        try:
            draw_panel(surface, rect)
            self._draw_held(surface, plot, axis, held)
            self._draw_plots(surface, plot, axis, plots)
            self._draw_axis(surface, plot, axis)
            self._draw_cursor(surface, plot, axis, cursor)
            label = render_text(self.font, f"tick {cursor}", ACCENT)
            surface.blit(label, (rect.x + PAD, plot.y))
            return self._draw_hover(surface, rect, plot, axis, plots, hover_x)
        finally:
            surface.set_clip(old)

    def _draw_held(self, surface, plot, axis, held) -> None:
        for a, b in held:
            xa = float(axis.tick_to_x(max(a, axis.t0)))
            xb = float(axis.tick_to_x(min(b, axis.t1)))
            if xb < xa:
                continue
            surface.fill(HELD_RGB, pygame.Rect(int(math.floor(xa)), plot.y,
                                               max(int(math.ceil(xb)) - int(math.floor(xa)) + 1, 1),
                                               plot.h))

    def _draw_plots(self, surface, plot, axis, plots) -> None:
        for p in plots:
            t = np.asarray(p.ticks, dtype=float)
            v = np.asarray(p.values, dtype=float)
            if p.log:
                with np.errstate(all="ignore"):
                    v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
            ok = np.isfinite(v) & (t >= axis.t0) & (t <= axis.t1)
            if ok.sum() < 1:
                continue
            xs = axis.tick_to_x(t[ok])
            ys = plot.bottom - 2 - unit_heights(v[ok]) * (plot.h - 4)
            pts = np.column_stack([xs, ys]).tolist()
            if len(pts) == 1:
                surface.fill(p.color, pygame.Rect(int(pts[0][0]), int(pts[0][1]), 2, 2))
            else:
                pygame.draw.lines(surface, p.color, False, pts, 1)

    def _draw_axis(self, surface, plot, axis) -> None:
        pygame.draw.line(surface, GRID, (plot.x, plot.bottom), (plot.right - 1, plot.bottom))
        for x, t in axis_marks(axis):
            pygame.draw.line(surface, GRID, (int(x), plot.bottom), (int(x), plot.bottom + 3))
            s = render_text(self.font, str(t), DIM)
            lx = min(max(int(x) - s.get_width() // 2, plot.x), plot.right - s.get_width())
            surface.blit(s, (lx, plot.bottom + 3))
        x = int(round(float(axis.tick_to_x(axis.t1))))
        pygame.draw.line(surface, HEAD_RGB, (x, plot.y), (x, plot.bottom))

    def _draw_cursor(self, surface, plot, axis, cursor) -> None:
        x = int(round(float(axis.tick_to_x(min(max(cursor, axis.t0), axis.t1)))))
        pygame.draw.line(surface, CURSOR_RGB, (x, plot.y), (x, plot.bottom), 2)
        pygame.draw.polygon(surface, CURSOR_RGB, [(x - HANDLE, plot.y - 1), (x + HANDLE + 1, plot.y - 1),
                                                  (x, plot.y + HANDLE + 1)])

    def _draw_hover(self, surface, rect, plot, axis, plots, hover_x) -> list[tuple[str, int, float]]:
        if hover_x is None or not plot.x <= hover_x < plot.right:
            return []
        tick = axis.x_to_tick(hover_x)
        rows = []
        for p in plots:
            hit = nearest_sample(p.ticks, p.values, tick)
            if hit is not None:
                rows.append((p.name, hit[0], hit[1]))
        x = int(round(float(axis.tick_to_x(tick))))
        pygame.draw.line(surface, HOVER_RGB, (x, plot.y), (x, plot.bottom))
        text = f"tick {tick}" + "".join(f"   {n} {fmt(v, 6)}" + (f" (tick {t})" if t != tick else "")
                                        for n, t, v in rows)
        s = render_text(self.font, text, TEXT)
        bx = min(max(x + 6, plot.x), rect.right - PAD - s.get_width())
        if bx + s.get_width() > x and bx < x + 6 and x - 6 - s.get_width() >= plot.x:
            bx = x - 6 - s.get_width()  # keep the label off the hover line
        surface.fill((12, 13, 22), pygame.Rect(bx - 2, plot.y, s.get_width() + 4, s.get_height()))
        surface.blit(s, (bx, plot.y))
        return rows
