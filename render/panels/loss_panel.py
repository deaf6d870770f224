"""The loss panel: each rule's mean V − V* over its alive balls against ticks, on a log scale
(sim/instruments/loss_curve.py), with each rule's value now; the training curve, lane by lane.

The curve keeps one sample per frame in which the world ran, keyed by tick (a rewind drops the
samples after it: one history), and starts over when the rules or the landscape change.
"""
from __future__ import annotations

import math

import numpy as np
import pygame

from render.look import widgets
from render.look.theme import ACCENT, DIM, GRID, LINE_GAP, PANEL_PAD as PAD, PANEL_RGBA, TEXT
from render.look.widgets import fit_text
from render.map.palette import rule_palette
from render.panels.draw.writer import draw_line_plot, panel_writer
from render.panels.panel import Context, Panel
from sim.instruments.loss_curve import floor_value, log_loss, loss_readout, rule_losses
from sim.runtime.runtime import Runtime
from sim.runtime.tick_series import TickSeries
from sim.support.text import fmt

PLOT_H = 96  # pixels
LANES_SHOWN = 6  # rows of rules under the plot at most (then "+ k more")
CHIP = 8  # pixels: a rule's colour square
LABEL_BG = PANEL_RGBA[:3]  # under the plot's range labels: legible over the curves


class LossPanel(Panel):
    """Each rule's loss against ticks (see the module docstring)."""

    name = "loss"

    def __init__(self) -> None:
        self.series: TickSeries | None = None
        self._key: tuple | None = None
        self._now: tuple | None = None  # (tick, n, potential, loss, alive) of the last sample

    def restart(self) -> None:
        """The curve starts over with the next tick."""
        self.series, self._key, self._now = None, None, None

    def shown(self) -> None:
        self.restart()

    def world_changed(self) -> None:
        self.restart()

    def frame(self, runtime: Runtime, now: float, headless: bool) -> None:
        """A scrub back (paused or not): the samples after the world's tick go."""
        s = self.series
        if s is not None and s.count and s.last_tick > runtime.world.tick_count:
            s.truncate(runtime.world.tick_count)

    def after_ticks(self, runtime: Runtime, frames: int) -> None:
        """One sample of every rule's loss at the world's tick."""
        w = runtime.world
        key = (tuple(w.rules), w.potential)
        if self.series is None or self._key is None or key[0] != self._key[0] or key[1] is not self._key[1]:
            self.series = TickSeries([str(i) for i in range(max(1, len(w.rules)))])
            self._key = key
        loss, alive = rule_losses(w, floor_value(w.potential))
        self._now = (w.tick_count, w.n, w.potential, loss, alive)  # the panel drawn this frame reuses it
        row = np.full(len(self.series.names), math.nan)
        row[: len(loss)] = loss[: len(row)]
        self.series.append(w.tick_count, row)

    def measure(self, ctx: Context) -> int:
        k = len(ctx.world.rules)
        rows = 1 + min(k, LANES_SHOWN) + (1 if k > LANES_SHOWN else 0)
        return 2 * PAD + rows * ctx.row_h + PLOT_H + 6

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context) -> dict:
        """The title, the curve and a row per rule: its colour, label, alive balls and loss."""
        w = ctx.world
        now = self._now
        same = (now is not None and now[0] == w.tick_count and now[1] == w.n and now[2] is w.potential
                and len(now[3]) == len(w.rules))
        out = loss_readout(w, now[3:] if same else None)
        colors = rule_palette(w.rules)
        rect = pygame.Rect(rect)
        with panel_writer(surface, rect, ctx.font) as wr:
            scale = "log₁₀ " if out["log"] else ""
            wr.row(("loss", ACCENT), (f"  {scale}mean ({out['quantity']}) per rule, against ticks", DIM))
            plot = pygame.Rect(rect.x + PAD, wr.y, rect.w - 2 * PAD, PLOT_H)
            self._plot(surface, plot, ctx.font, colors, out["log"])
            wr.space(PLOT_H + 6)
            width = rect.w - 2 * PAD - CHIP - 6
            for i, lane in enumerate(out["lanes"][:LANES_SHOWN]):
                top = wr.y
                surface.fill(colors[i], pygame.Rect(wr.x0, top + (wr.line_h - CHIP) // 2, CHIP, CHIP))
                value = fmt(lane["loss"]) if lane["alive"] else "no ball alive"
                text = fit_text(ctx.font, f"{lane['label']}", width - ctx.font.size(f"  {value}")[0] - 4)
                surface.blit(widgets.text(ctx.font, text, TEXT), (wr.x0 + CHIP + 6, top))
                vs = widgets.text(ctx.font, value, TEXT)
                surface.blit(vs, (rect.right - PAD - vs.get_width(), top))
                wr.space(wr.line_h + LINE_GAP)
            if len(out["lanes"]) > LANES_SHOWN:
                wr.row((f"+ {len(out['lanes']) - LANES_SHOWN} more rules", DIM))
        return out

    def _plot(self, surface: pygame.Surface, plot: pygame.Rect, font: pygame.font.Font,
              colors: list, log: bool) -> None:
        """The samples so far, at most one per pixel column; the y range written at its left."""
        s = self.series
        values = np.zeros((0, 1)) if s is None else s.values()
        if s is not None and s.count:
            stride = max(1, int(math.ceil(s.count / max(plot.w - 4, 1))))
            picked = values[::stride]
            values = picked if (s.count - 1) % stride == 0 else np.vstack([picked, values[-1:]])
        if log:
            values = log_loss(values)
        if len(values) < 2 or not np.isfinite(values).any():
            pygame.draw.rect(surface, GRID, plot, width=1)
            msg = widgets.text(font, "drop balls and run the world to draw the curve", DIM)
            surface.blit(msg, (plot.centerx - msg.get_width() // 2, plot.centery - msg.get_height() // 2))
            return
        series = [(values[:, i], colors[i]) for i in range(min(values.shape[1], len(colors)))]
        span = draw_line_plot(surface, plot, series, zero_line=not log)
        if span is None:
            return
        ticks = s.ticks()
        hi, lo = (10.0 ** span[1], 10.0 ** span[0]) if log else (span[1], span[0])
        top, bottom = widgets.text(font, fmt(hi), DIM), widgets.text(font, fmt(lo), DIM)
        span_t = widgets.text(font, f"ticks {int(ticks[0]):,}–{int(ticks[-1]):,}", DIM)
        for label, (x, y) in ((top, (plot.x + 3, plot.y + 3)),
                              (bottom, (plot.x + 3, plot.bottom - bottom.get_height() - 3)),
                              (span_t, (plot.right - span_t.get_width() - 3, plot.bottom - span_t.get_height() - 3))):
            surface.fill(LABEL_BG, pygame.Rect(x - 2, y, label.get_width() + 4, label.get_height()))
            surface.blit(label, (x, y))
