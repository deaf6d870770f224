"""The energy ledger panel and its history plot."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from render.look import widgets
from render.hud.basics import Ring
from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, LEDGER_COLORS, TEXT
from render.look.theme import PANEL_PAD as PAD
from sim.instruments.ledger import ledger_total
from sim.instruments import readouts as R
from render.panels.draw.writer import draw_line_plot, panel_writer


LEDGER_SERIES = ("kinetic", "potential", "dissipated", "drift")
LEDGER_HISTORY = 360  # samples in the ledger plot



# ================================================================================================
# Energy ledger
# ================================================================================================

class LedgerHistory(Ring):
    """Ring buffer of ledger totals for the live plot: per sample (time, kinetic, potential,
    dissipated, drift), shape [capacity, 5]."""

    FIELDS = ("time",) + LEDGER_SERIES

    def __init__(self, capacity: int = LEDGER_HISTORY) -> None:
        super().__init__(max(int(capacity), 2), len(self.FIELDS))

    def add(self, t: float, total: dict) -> None:
        """Append one sample from a ledger's `total` dict."""
        self.append([t] + [total.get(k, math.nan) for k in LEDGER_SERIES])

    def push(self, world, rows: Any = None) -> dict:
        """Append the ledger totals of world (rows: selection, default all) now; returns them."""
        total = ledger_total(world, rows)
        self.add(world.time, total)
        return total


def line_plot_index(rect: pygame.Rect, count: int, x: int) -> int | None:
    """The sample of a `draw_line_plot` of `count` samples in rect drawn at pixel column x
    (its points sit at inner.x + i·(inner.w − 1)/(count − 1), inner = rect less 2 px a side),
    or None when there is none."""
    if count < 1:
        return None
    inner = pygame.Rect(rect).inflate(-4, -4)
    i = int(round((x - inner.x) / max(inner.w - 1, 1) * max(count - 1, 1)))
    return min(max(i, 0), count - 1)


def _draw_ledger_hover(surface: pygame.Surface, plot: pygame.Rect, font: pygame.font.Font,
                       series: np.ndarray, x: int) -> np.ndarray | None:
    """The sample under column x of the ledger plot: a cursor line and its exact values (time,
    kinetic, potential, dissipated, drift) in a box over the plot. Returns the sample."""
    i = line_plot_index(plot, len(series), x)
    if i is None:
        return None
    sample = series[i]
    pygame.draw.line(surface, DIM, (x, plot.y + 1), (x, plot.bottom - 2))
    parts = [(f"t {fmt(sample[0], 5)}", TEXT)] + [
        (f"{k[0].upper() if k != 'drift' else 'drift'} {fmt(v)}", LEDGER_COLORS[k])
        for k, v in zip(LEDGER_SERIES, sample[1:])]
    texts = [widgets.text(font, t, c) for t, c in parts]
    gap = 8
    rows, row, width = [], [], 0
    for s in texts:  # wrap the parts into as many rows as the plot's width needs
        if row and width + gap + s.get_width() > plot.w - 8:
            rows.append(row)
            row, width = [], 0
        width += (gap if row else 0) + s.get_width()
        row.append(s)
    rows.append(row)
    lh = font.get_linesize()
    box = pygame.Rect(plot.x + 1, plot.y + 1, plot.w - 2, len(rows) * lh + 4)
    pygame.draw.rect(surface, (12, 13, 22), box)
    for r, row in enumerate(rows):
        cx = box.x + 4
        for s in row:
            surface.blit(s, (cx, box.y + 2 + r * lh))
            cx += s.get_width() + gap
    return sample


def draw_ledger_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                      history: LedgerHistory | None = None, rows: Any = None,
                      everyone: dict | None = None, mouse: tuple[int, int] | None = None) -> dict:
    """Kinetic, potential, dissipated, drift for the selected ball (rows) and for all balls, and
    the history as a plot. Optimizer balls have no mass: their columns read "—". `everyone`:
    the all-balls totals when the caller has them for this very state (saves a second pass).
    With the mouse over the plot, the exact sample under it (returned as led["hover"])."""
    rect = pygame.Rect(rect)
    with panel_writer(surface, rect, font) as w:
        led = R.ledger_readout(world, rows, everyone)
        everyone, sel = led["all"], led["ball"]
        c1, c2 = 96, 96 + max((rect.w - 2 * PAD - 96) // 2, 60)
        w.row(("energy ledger", ACCENT), ("ball" if sel is not None else "", DIM),
              (f"all ({everyone['count']})", DIM), col=(c1, c2))
        for key in LEDGER_SERIES:
            a = fmt(sel[key]) if sel is not None else ""
            w.row((key, LEDGER_COLORS[key]), (a, TEXT), (fmt(everyone[key]), TEXT), col=(c1, c2))
        if everyone["na"]:
            w.row((f"{everyone['na']} optimizer/diverged balls: no mass, n/a", DIM))
        if history is not None:
            s = history.series()
            plot = pygame.Rect(rect.x + PAD, w.y + 2, rect.w - 2 * PAD, rect.bottom - PAD - w.y - 2)
            if plot.h >= 12 and len(s):
                draw_line_plot(surface, plot, [(s[:, i + 1], LEDGER_COLORS[k])
                                               for i, k in enumerate(LEDGER_SERIES)])
                if mouse is not None and plot.collidepoint(mouse):
                    led = dict(led, hover=_draw_ledger_hover(surface, plot, font, s, mouse[0]))
    return led
