"""The heat panel: the histogram of V over the balls against the Boltzmann prediction."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pygame

from render.look import widgets
from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, GRID, HEAT_BAR, HEAT_CURVE, TEXT
from render.look.theme import PANEL_PAD as PAD
from sim.instruments.heat import HEAT_BINS
from sim.instruments import readouts as R
from render.panels.draw.writer import CHIP, panel_writer


HEAT_BINS = HEAT_BINS
HEAT_MIN_EXPECTED = 5.0  # bins with fewer expected balls stay out of the chi-square


# ================================================================================================
# Heat
# ================================================================================================

def heat_temperature(world) -> float | None:
    """The heat panel's temperature (sim.instruments.readouts.heat_temperature; None: no langevin ball)."""
    return R.heat_temperature(world)


def chi_square(observed: np.ndarray, predicted: np.ndarray, edges: np.ndarray, n: int
               ) -> tuple[float, int]:
    """(chi^2, bins used): sim.instruments.readouts.chi_square."""
    return R.chi_square(observed, predicted, edges, n)


def draw_heat_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                    view: Sequence[float] | None = None, bins: int | np.ndarray = HEAT_BINS
                    ) -> list[pygame.Rect]:
    """Histogram of V over the langevin balls at the panel's temperature (bars; balls at other
    temperatures or under other rules are left out, and counted) against the Boltzmann density
    of V (curve), with T and chi^2 per bin: sim.instruments.readouts.heat_readout. Returns the bar rects
    (one per bin, possibly zero height)."""
    rect = pygame.Rect(rect)
    bars: list[pygame.Rect] = []
    with panel_writer(surface, rect, font) as w:
        h = R.heat_readout(world, view, bins)
        T = h["temperature"]
        if T is None:
            w.row(("heat", ACCENT), ("  no langevin balls", DIM))
            w.wrapped("switch the rule to langevin to watch exp(−V/T) arrive")
            return bars
        edges, obs, pred = (np.asarray(h[k], dtype=np.float64) for k in ("edges", "histogram", "prediction"))
        chi2 = h["chi2_per_bin"]
        above = h["above"]
        out = f"   {h['left_out']} left out" if h["left_out"] else ""
        w.row(("heat", ACCENT), (f"  T = {fmt(T)}   n = {h['counted']}", TEXT),
              (out + (f"   {above} above" if above else ""), DIM))
        surface.fill(HEAT_BAR, pygame.Rect(w.x0, w.y + (w.line_h - CHIP) // 2, CHIP, CHIP))
        w.x0 += CHIP + 4
        w.row(("balls", HEAT_BAR), ("   — exp(−V/T)", HEAT_CURVE),
              (f"   χ²/bin = {fmt(chi2, 3)}", DIM))
        w.x0 -= CHIP + 4
        label_h = font.get_linesize()
        plot = pygame.Rect(rect.x + PAD, w.y + 2, rect.w - 2 * PAD, rect.bottom - PAD - label_h - w.y - 2)
        if plot.h < 8 or plot.w < 8:
            return bars
        pygame.draw.rect(surface, GRID, plot, width=1)
        inner = plot.inflate(-4, -4)
        both = np.concatenate([obs[np.isfinite(obs)], pred[np.isfinite(pred)], np.zeros(1)])
        top = float(both.max()) if both.max() > 0 else 1.0
        nb = len(obs)
        xs = inner.x + np.round(np.linspace(0, inner.w, nb + 1)).astype(int)
        for i in range(nb):
            h = obs[i] / top * inner.h if math.isfinite(obs[i]) else 0.0
            h = int(round(min(max(h, 0.0), inner.h)))
            bar = pygame.Rect(int(xs[i]), inner.bottom - h, max(int(xs[i + 1] - xs[i]) - 1, 1), h)
            if h > 0:
                surface.fill(HEAT_BAR, bar)
            bars.append(bar)
        if np.isfinite(pred).any():
            cx = 0.5 * (xs[:-1] + xs[1:])
            cy = inner.bottom - np.clip(pred / top, 0, 1) * inner.h
            ok = np.isfinite(cy)
            pts = list(zip(cx[ok].tolist(), cy[ok].tolist()))
            if len(pts) >= 2:
                pygame.draw.lines(surface, HEAT_CURVE, False, pts, 2)
        lo = widgets.text(font, f"V = {fmt(edges[0], 3)}", DIM)
        hi = widgets.text(font, fmt(edges[-1], 3), DIM)
        surface.blit(lo, (plot.x, plot.bottom + 1))
        surface.blit(hi, (plot.right - hi.get_width(), plot.bottom + 1))
    return bars
