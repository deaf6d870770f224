"""The phase portrait panel and the edge-of-stability strip.

PhasePanel: the selected ball's position along the Hessian's leading eigen-direction (x axis)
against its velocity along it (y axis), the trajectory so far as a line and the newest point
as a dot: spirals when underdamped, straight in when overdamped. Numbers from
sim.maps.why.phase_portrait.

EdgePanel: the largest curvature lam_max along the ball's path against the rule's limit
(2/lr for gd), the "edge of stability". Numbers from sim.maps.why.edge_of_stability.

    panel.measure(width) -> height; panel.draw(surface, rect, q, p, lam, damping); readout()
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from render.look.theme import DIM, GRID, PANEL_PAD as PAD, TEXT
from render.panels.draw.writer import Writer
from render.look.widgets import clip, draw_panel

# --- constants ---------------------------------------------------------------------------------
PLOT_ASPECT = 0.75
EDGE_ASPECT = 0.35  # the edge strip's plot: height / width
MIN_PLOT = 24
PATH_RGB = (120, 210, 255)
HEAD_RGB = (255, 206, 84)
AXIS_RGB = GRID
LIMIT_RGB = (255, 84, 72)
LAM_RGB = (120, 210, 255)
SCALE_MARGIN = 1.1  # the plot shows +-SCALE_MARGIN x the largest |q|, |p|
MAX_POINTS = 2000  # a longer trajectory is thinned to this many points for drawing


def _fmt(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "—"


def thin(k: int, most: int = MAX_POINTS) -> np.ndarray:
    """Indices [<= most] spread over range(k), always keeping the last."""
    if k <= most:
        return np.arange(k)
    idx = np.linspace(0, k - 1, most).round().astype(np.intp)
    return np.unique(idx)


def plot_height(width: int, aspect: float) -> int:
    """The height of a panel's plot for a panel `width` wide: aspect x the inner width, at least MIN_PLOT."""
    return max(int((width - 2 * PAD) * aspect), MIN_PLOT)


class PlotPanel:
    """A panel with a title row over an outlined plot (PhasePanel, EdgePanel): the font, the
    plot's rect at the last draw (plot_rect) and the numbers that draw read (readout)."""

    def __init__(self, font: pygame.font.Font) -> None:
        self.font = font
        self.plot_rect: pygame.Rect | None = None
        self._numbers: dict[str, Any] = {}

    def readout(self) -> dict[str, Any]:
        """The numbers of the last draw (the subclass's docstring names them)."""
        return dict(self._numbers)

    def row_height(self) -> int:
        """The height of one text row."""
        return self.font.get_linesize() + 2

    def frame(self, surface: pygame.Surface, rect: pygame.Rect, aspect: float) -> pygame.Rect:
        """The plot below the title row of rect, outlined on surface and kept as plot_rect."""
        plot = pygame.Rect(rect.x + PAD, rect.y + PAD + self.row_height(), rect.w - 2 * PAD, plot_height(rect.w, aspect))
        self.plot_rect = plot
        pygame.draw.rect(surface, AXIS_RGB, plot, 1)
        return plot


class PhasePanel(PlotPanel):
    """Position along the leading eigen-direction against velocity along it. readout():
    phase.q, phase.p (the newest point), phase.lam (curvature along the direction),
    phase.damping ('underdamped', 'overdamped', ...), phase.samples, phase.turns (how many
    times the path crossed q = 0: a spiral crosses often, an overdamped path at most once)."""

    def measure(self, width: int) -> int:
        """The panel's height at this width."""
        return PAD + self.row_height() + plot_height(width, PLOT_ASPECT) + 4 + self.row_height() + PAD

    def scale(self, q: np.ndarray, p: np.ndarray) -> tuple[float, float]:
        """Half-ranges (qs, ps) of the plot: symmetric around 0, SCALE_MARGIN x the largest."""
        def half(a: np.ndarray) -> float:
            a = a[np.isfinite(a)]
            m = float(np.abs(a).max()) if len(a) else 0.0
            return SCALE_MARGIN * m if m > 0 else 1.0
        return half(q), half(p)

    def to_pixel(self, plot: pygame.Rect, q: np.ndarray, p: np.ndarray, qs: float, ps: float
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Plot pixels (x, y) of the points (q, p) at half-ranges (qs, ps)."""
        return (plot.centerx + np.asarray(q) / qs * (plot.w / 2),
                plot.centery - np.asarray(p) / ps * (plot.h / 2))

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, q: np.ndarray, p: np.ndarray,
             lam: float = math.nan, damping: str = "") -> None:
        """Draw the path (q [k], p [k]) into rect; the newest sample is the last."""
        rect = pygame.Rect(rect)
        q = np.asarray(q, dtype=np.float64).reshape(-1)
        p = np.asarray(p, dtype=np.float64).reshape(-1)
        nz = q[np.isfinite(q) & (np.abs(q) > 0)]
        turns = int((np.diff(np.sign(nz)) != 0).sum()) if len(nz) > 1 else 0
        self._numbers = {"phase.q": float(q[-1]) if len(q) else math.nan,
                         "phase.p": float(p[-1]) if len(p) else math.nan,
                         "phase.lam": float(lam), "phase.damping": damping or "n/a",
                         "phase.samples": int(len(q)), "phase.turns": turns}
        draw_panel(surface, rect)
        with clip(surface, rect):
            w = Writer(surface, rect, self.font)
            w.row(("phase portrait", TEXT), (f"  λ = {_fmt(lam)} · {damping or 'n/a'}", DIM))
            plot = self.frame(surface, rect, PLOT_ASPECT)
            pygame.draw.line(surface, AXIS_RGB, (plot.x, plot.centery), (plot.right - 1, plot.centery))
            pygame.draw.line(surface, AXIS_RGB, (plot.centerx, plot.y), (plot.centerx, plot.bottom - 1))
            ok = np.isfinite(q) & np.isfinite(p)
            if ok.any():
                qs, ps = self.scale(q[ok], p[ok])
                idx = thin(len(q))
                idx = idx[ok[idx]]
                xs, ys = self.to_pixel(plot, q[idx], p[idx], qs, ps)
                pts = list(zip(xs.tolist(), ys.tolist()))
                with clip(surface, plot):
                    if len(pts) > 1:
                        pygame.draw.lines(surface, PATH_RGB, False, pts, 1)
                    if ok[-1]:
                        hx, hy = self.to_pixel(plot, q[-1], p[-1], qs, ps)
                        pygame.draw.circle(surface, HEAD_RGB, (int(hx), int(hy)), 3)
            w.y = plot.bottom + 4
            w.row(("x: along the stiffest direction · y: its velocity", DIM))


class EdgePanel(PlotPanel):
    """lam_max along the path against the rule's curvature limit (the edge of stability).
    readout(): edge.lam_max (newest), edge.lam_peak, edge.limit, edge.ratio (newest / limit)."""

    def measure(self, width: int) -> int:
        """The panel's height at this width."""
        return PAD + self.row_height() + plot_height(width, EDGE_ASPECT) + PAD

    def y_pixel(self, plot: pygame.Rect, v: np.ndarray, top: float) -> np.ndarray:
        """The plot row of curvature v on a scale from 0 (bottom) to top."""
        return plot.bottom - 1 - np.asarray(v) / top * (plot.h - 2)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, lam: np.ndarray, limit: float) -> None:
        """Draw lam_max along the path (lam [k], the newest last) and the limit line into rect."""
        rect = pygame.Rect(rect)
        lam = np.asarray(lam, dtype=np.float64).reshape(-1)
        fin = lam[np.isfinite(lam)]
        last = float(lam[-1]) if len(lam) else math.nan
        self._numbers = {"edge.lam_max": last, "edge.lam_peak": float(fin.max()) if len(fin) else math.nan,
                         "edge.limit": float(limit),
                         "edge.ratio": last / limit if math.isfinite(limit) and limit > 0 else math.nan}
        draw_panel(surface, rect)
        with clip(surface, rect):
            w = Writer(surface, rect, self.font)
            w.row(("λmax along the path", LAM_RGB), (f"  limit {_fmt(float(limit))}", LIMIT_RGB))
            plot = self.frame(surface, rect, EDGE_ASPECT)
            cands = [v for v in (float(fin.max()) if len(fin) else math.nan, float(limit)) if math.isfinite(v) and v > 0]
            top = 1.15 * max(cands) if cands else 1.0
            if math.isfinite(limit) and limit > 0:
                y = int(self.y_pixel(plot, limit, top))
                pygame.draw.line(surface, LIMIT_RGB, (plot.x + 1, y), (plot.right - 2, y))
            if len(lam) > 1:
                idx = thin(len(lam))
                xs = plot.x + 1 + idx * ((plot.w - 3) / max(len(lam) - 1, 1))
                ys = np.clip(self.y_pixel(plot, np.where(np.isfinite(lam[idx]), lam[idx], 0.0), top),
                             plot.y, plot.bottom - 1)
                pygame.draw.lines(surface, LAM_RGB, False, list(zip(xs.tolist(), ys.tolist())), 1)
