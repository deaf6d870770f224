"""The instrument panels as objects: race, bridge, energy ledger, stability, heat (render/panels/panel.py).

Each panel says how tall it needs to be now (`measure`) and draws itself into the rect the
layout gives it (`draw`); both read the frame's `Context` (the runtime, the font, the ball in
focus), never the App. Numbers come from sim/instruments/, drawing from render/panels/draw/.
"""
from __future__ import annotations

import numpy as np
import pygame

from render.data import heat_sgd_ui
from render.look.theme import ACCENT, DIM, GRID, PANEL_PAD, TEXT
from render.panels.draw.ledger import LedgerHistory, draw_ledger_panel
from render.panels.draw.stability import STABILITY_ROWS, draw_stability_panel
from render.panels.draw.bridge import draw_bridge_panel, twin_gap
from render.panels.draw.heat import draw_heat_panel, heat_temperature
from render.panels.draw.race import draw_race_legend
from render.panels.panel import Context, Panel
from sim.support.text import fmt
from render.look import widgets
from render.look.widgets import wrapped_rows
from sim.instruments.bridge import bridge, overdamped_lr
from sim.instruments.race import last_ball_per_rule
from sim.rules import registry
from sim.runtime.pairs import partner_rule
from sim.core.particles import ALIVE
from sim.runtime.runtime import Runtime

PANEL_WIDTH = 340  # pixels
LEDGER_PLOT_H = 84  # pixels
HEAT_PLOT_H = 120
CHIP_GAP = 4  # pixels between race lane chips
CHIP_PAD = 8  # pixels: a chip's width beyond its label
RING_OUTLINE = (14, 14, 20)
HEAT_NONE = "switch the rule to langevin to watch exp(−V/T) arrive"


class RacePanel(Panel):
    """The race legend (each lane's loss) and the lane chips (click: add or remove a lane)."""

    name = "race"

    def __init__(self) -> None:
        from sim.instruments.race_rates import RateMeter

        self.chips: dict[str, pygame.Rect] = {}
        self.meter = RateMeter()  # each lane's measured contraction rate
        self._now: tuple | None = None  # ((world, tick, n), last ball per lane, rates) this frame

    def _sample(self, w) -> tuple[dict, dict]:
        """This frame's newest ball per lane and the lanes' rates (the meter observes once a
        tick; measure and draw share one sample)."""
        key = (id(w), int(w.tick_count), w.n, w.edits, tuple(w.rules), w.potential.cache_key)
        if self._now is None or self._now[0] != key:
            from sim.instruments.race_rates import lane_rates

            last = last_ball_per_rule(w)
            self.meter.observe(w, last)
            self._now = (key, last, lane_rates(w, self.meter))
        return self._now[1], self._now[2]

    def measure(self, ctx: Context) -> int:
        lh, pad = ctx.row_h, 2 * PANEL_PAD
        w = ctx.world
        k = max(1, int(np.count_nonzero(np.bincount(w.particles.rule, minlength=1))))
        chip_rows = len({r.y for r in chip_rects(ctx.font, 0, 0, PANEL_WIDTH - pad, lh)[1]})
        _, rates = self._sample(w)
        shown = sum(1 for r in rates.values() if r.get("status"))  # one rate row per lane
        return pad + (1 + k + shown) * lh + 4 + lh + chip_rows * (lh + CHIP_GAP)

    def click(self, pos, runtime: Runtime) -> bool:
        for name, r in self.chips.items():
            if r.collidepoint(pos):
                runtime.balls.toggle_lane(name)
                return True
        return False

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context) -> list:
        """Returns the legend's entries (sim.instruments.readouts.race_readout rows, with the lanes' rates)."""
        from render.look.theme import RULE_COLORS
        from render.map.palette import rule_palette

        w, font, lh = ctx.world, ctx.font, ctx.row_h
        names, rects = chip_rects(font, 0, 0, rect.w - 2 * PANEL_PAD, lh)
        chip_rows = len({r.y for r in rects})
        chips_h = lh + chip_rows * (lh + CHIP_GAP)
        last, rates = self._sample(w)  # one pass over the balls for the meter and the legend
        entries = draw_race_legend(surface, rect, w, font, rule_palette(w.rules),
                                     ctx.runtime.balls.pairs.twin_rules(w), rates, last)
        x0, y = rect.x + PANEL_PAD, rect.bottom - PANEL_PAD - chips_h
        pygame.draw.line(surface, GRID, (x0, y - 3), (rect.right - PANEL_PAD, y - 3))
        hint = ("lanes: this scene's rules (click a rule to choose instead)"
                if ctx.runtime.balls.race.world_lanes is not None else "lanes: click a rule to add or remove it")
        surface.blit(widgets.text(font, hint, DIM), (x0, y))
        y += lh
        lanes = set(ctx.runtime.balls.lane_names())
        self.chips = {}
        for name, r in zip(names, rects):
            r = r.move(x0, y)
            color = RULE_COLORS.get(name, TEXT)
            label = registry.get(name).chip or name
            if name in lanes:
                pygame.draw.rect(surface, color, r, border_radius=5)
                text = widgets.text(font, label, RING_OUTLINE)
            else:
                pygame.draw.rect(surface, GRID, r, width=1, border_radius=5)
                text = widgets.text(font, label, DIM)
            surface.blit(text, text.get_rect(center=r.center))
            self.chips[name] = r
        return entries


def chip_rects(font: pygame.font.Font, x: int, y: int, width: int, lh: int
               ) -> tuple[list[str], list[pygame.Rect]]:
    """The race's lane chips: every registered rule, grouped as the control panel groups them
    (render/rule_buttons.groups: groups and rules in registry order), each chip as wide as its
    short label (`SPEC.chip or name`) plus CHIP_PAD, flowed left to right and wrapped within
    `width` pixels; rows lh + CHIP_GAP apart from (x, y). Returns (names, rects) in that order."""
    from render.controls.rule_buttons import groups

    names = [n for _, group in groups() for n in group]
    rects, cx, cy = [], x, y
    for name in names:
        cw = min(width, font.size(registry.get(name).chip or name)[0] + CHIP_PAD)
        if cx > x and cx + cw > x + width:
            cx, cy = x, cy + lh + CHIP_GAP
        rects.append(pygame.Rect(cx, cy, cw, lh + 1))
        cx += cw + CHIP_GAP
    return names, rects


class BridgePanel(Panel):
    """The current rule's other side of the bridge, the mass control, the partner gap."""

    name = "twin"

    def measure(self, ctx: Context) -> int:
        lh, pad = ctx.row_h, 2 * PANEL_PAD
        b = bridge(ctx.world.rule)
        rows = 1 + {"to_newton": 4, "to_momentum": 3}.get(b["direction"], 1)
        rows += 1 if len(ctx.runtime.balls.pairs.split(ctx.world)[0][0]) else 0
        rows += wrapped_rows(ctx.font, b["text"], PANEL_WIDTH - pad)
        rows += len(self.extra_rows(ctx))
        return pad + rows * lh + 2 + 4

    @staticmethod
    def extra_rows(ctx: Context) -> list[list[tuple[str, tuple[int, int, int]]]]:
        """Rows under the bridge: the mass control and the overdamped limit (newton), or what
        the ring is (gd / momentum)."""
        r = ctx.world.rule
        rows: list[list[tuple[str, tuple[int, int, int]]]] = []
        if r.newtonian:
            rows.append([("mass  ", ACCENT), ("; ÷2   ' ×2", TEXT),
                         (f"    m = {fmt(r.mass)}   γ·dt/m = {fmt(r.friction * r.dt / r.mass, 3)}", DIM)])
            if r.friction > 0:
                rows.append([("m → 0", ACCENT),
                             (f"  gradient flow: gd lr = {fmt(overdamped_lr(r))}", TEXT)])
            else:
                rows.append([("m → 0", ACCENT), ("  no friction: no gradient-flow limit", DIM)])
        if ctx.runtime.balls.twin_on:
            p = partner_rule(r)
            ring = ("no partner for this rule" if p is None else
                    "ring: gradient-flow partner (meets the ball as m → 0)" if r.name == "newton"
                    else "ring: Newtonian twin, symplectic (sits on the ball)")
            rows.append([(ring, DIM)])
            flow = ctx.runtime.balls.pairs.split(ctx.world)[1]
            if len(flow[0]):
                gap = twin_gap(ctx.world, flow)
                rows.append([("flow gap", DIM), (f"  max |x − x_flow| = {fmt(gap, 3)}", TEXT)])
        return rows

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context) -> dict:
        twins, _flow = ctx.runtime.balls.pairs.split(ctx.world)
        pairs = twins if len(twins[0]) else None
        out = draw_bridge_panel(surface, rect, ctx.world, ctx.font, pairs=pairs)
        extra = self.extra_rows(ctx)
        y = rect.bottom - PANEL_PAD - len(extra) * ctx.row_h
        with widgets.clip(surface, rect):
            for parts in extra:
                x = rect.x + PANEL_PAD
                for text, color in parts:
                    s = widgets.text(ctx.font, text, color)
                    surface.blit(s, (x, y))
                    x += s.get_width()
                y += ctx.row_h
        return out


class LedgerPanel(Panel):
    """Kinetic, potential, dissipated and drift of the focus ball and of all balls, live."""

    name = "ledger"

    def __init__(self) -> None:
        self.history = LedgerHistory()
        self._key: tuple | None = None
        self._now: tuple | None = None  # (frame, tick, n, totals) of the last sample

    def restart(self) -> None:
        """The plot starts over with the next tick."""
        self.history.clear()
        self._key = None

    def shown(self) -> None:
        self.restart()

    def world_changed(self) -> None:
        self.restart()

    def after_ticks(self, runtime: Runtime, frames: int) -> None:
        """The world ran: one sample (the history restarts when the rules, landscape or balls
        changed)."""
        w = runtime.world
        key = (w, w.rules, tuple(w.rules), w.potential, w.n)
        if self._key is None or not _same_key(key, self._key):
            self.history.clear()
            self._key = key
        # the panel drawn later this frame shows the same sums: nothing changes in between
        self._now = (frames, w.tick_count, w.n, self.history.push(w))

    def measure(self, ctx: Context) -> int:
        lh, pad = ctx.row_h, 2 * PANEL_PAD
        w = ctx.world
        newt = np.array([r.newtonian for r in w.rules], dtype=bool)
        p = w.particles
        na = w.n - int(np.count_nonzero(newt[p.rule] & (p.status == ALIVE)))
        return pad + (5 + (1 if na else 0)) * lh + LEDGER_PLOT_H

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context) -> dict:
        """The focus ball's energy; an optimizer ball with a Newtonian twin shows its twin's
        (the energy its path has in the mechanical picture)."""
        w = ctx.world
        k = ctx.focus(newtonian=True)
        if k is not None and not w.rules[int(w.particles.rule[k])].newtonian:
            pairs = ctx.runtime.balls.pairs
            hit = np.flatnonzero(pairs.balls == k)
            if len(hit):
                k = int(pairs.twins[hit[0]])
        now = self._now
        everyone = now[3] if now is not None and now[:3] == (ctx.frames, w.tick_count, w.n) else None
        return draw_ledger_panel(surface, rect, w, ctx.font, self.history, rows=k, everyone=everyone,
                                   mouse=ctx.mouse)


def _same_key(a: tuple, b: tuple) -> bool:
    """Ledger keys: the same world, rules list and potential objects, equal rules and count."""
    return a[0] is b[0] and a[1] is b[1] and a[2] == b[2] and a[3] is b[3] and a[4] == b[4]


class StabilityPanel(Panel):
    """Curvature against the step at the ball under the cursor (or the point, or the focus)."""

    name = "stability"

    def measure(self, ctx: Context) -> int:
        return 2 * PANEL_PAD + STABILITY_ROWS * ctx.row_h

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context) -> dict | None:
        row, point = ctx.hover, None
        if row is None:
            point = ctx.cursor_point()
        if row is None and point is None:
            row = ctx.focus()
        return draw_stability_panel(surface, rect, ctx.world, ctx.font, row=row, point=point)


class StepView(Panel):
    """The chosen ball's last tick spelled out (render/step_panel.py), shown while a ball is
    chosen; its terms are also arrows from the ball (`draw_arrows`)."""

    name = "step"

    def __init__(self) -> None:
        self._panel = None

    def panel(self, font: pygame.font.Font):
        from render.panels.step_panel import StepPanel

        if self._panel is None or self._panel.font is not font:
            self._panel = StepPanel(font)
        return self._panel

    def measure(self, ctx: Context) -> int:
        return self.panel(ctx.font).measure(ctx.runtime.watch.last)[1]

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context):
        self.panel(ctx.font).draw(surface, rect, ctx.runtime.watch.last)
        return None

    def draw_arrows(self, surface: pygame.Surface, font: pygame.font.Font, readout, ball_px) -> None:
        self.panel(font).draw_arrows(surface, readout, ball_px)


class HeatPanel(Panel):
    """The V histogram of the langevin balls against exp(−V/T); without langevin balls, the
    minibatch balls against Langevin at T_eff (render/heat_sgd_ui.py)."""

    name = "heat"

    def __init__(self) -> None:
        self.sgd = heat_sgd_ui.SgdView()

    def measure(self, ctx: Context) -> int:
        lh, pad = ctx.row_h, 2 * PANEL_PAD
        if (sgd := self.sgd.get(ctx.world, ctx.frames, ctx.selected)) is not None:  # SGD view
            return heat_sgd_ui.measure(ctx.font, sgd[0], PANEL_WIDTH)
        if heat_temperature(ctx.world) is None:
            return pad + (1 + wrapped_rows(ctx.font, HEAT_NONE, PANEL_WIDTH - pad)) * lh
        return pad + 2 * lh + HEAT_PLOT_H + lh + 4

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context):
        if (sgd := self.sgd.get(ctx.world, ctx.frames, ctx.selected)) is not None:
            return heat_sgd_ui.draw_panel(surface, rect, ctx.font, *sgd)
        return draw_heat_panel(surface, rect, ctx.world, ctx.font)
