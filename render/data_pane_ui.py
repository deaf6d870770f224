"""The data pane as a panel of the window: the data a data landscape is made from and the
balls as models on it (render/data_pane.py), with the chosen (or hovered) ball in bold; clicks
in it edit the data and the landscape is rebuilt while the balls keep rolling."""
from __future__ import annotations

import time

import pygame

from render import data_pane as D
from render.instrument_panels import Context

PANE_HEIGHT = 240  # pixels


class DataPaneView:
    """Shown while the landscape is made from data; `claim` turns mouse events in it into
    edits of the data."""

    name = "data"

    def __init__(self) -> None:
        self.pane: D.PaneMap | None = None
        self.rect: pygame.Rect | None = None
        self.grabbed: int | None = None
        self.last_rebuild_ms: float | None = None

    @staticmethod
    def applies(world) -> bool:
        return getattr(world.potential, "data", None) is not None

    def measure(self, ctx: Context) -> int:
        extra = 2 * (ctx.font.get_linesize() + 2) if self.noise(ctx) is not None else 0
        return PANE_HEIGHT + extra

    @staticmethod
    def noise(ctx: Context) -> dict | None:
        """SGD's noise temperature at the chosen (or hovered) ball when its rule trains on
        minibatches (sim.data.minibatch.noise_temperature: the exact gradient covariance)."""
        w, k = ctx.world, ctx.selected
        if k is None or not 0 <= k < w.n:
            return None
        rule = w.rules[int(w.particles.rule[k])]
        if not rule.batch or rule.family.name == "NEWTON":
            return None
        from sim.data.minibatch import noise_temperature

        out = noise_temperature(w.potential, w.particles.pos[k], rule.lr, rule.batch)
        return out if out["batch"] else None

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context):
        """The pane; under it, the chosen ball's noise temperature when it is on minibatches."""
        rect = pygame.Rect(rect)
        noise = self.noise(ctx)
        lh = ctx.font.get_linesize() + 2
        pane = rect if noise is None else pygame.Rect(rect.x, rect.y, rect.w, rect.h - 2 * lh)
        self.rect = pane
        self.pane = D.draw_pane(surface, pane, ctx.world, ctx.selected, ctx.font)
        if noise is not None:
            from render import hud, widgets

            surface.fill((18, 20, 28), pygame.Rect(rect.x, pane.bottom, rect.w, 2 * lh))
            rows = (f"SGD noise: T_eff = lr·tr C/(2·2·B)·(n−B)/(n−1) = {hud.fmt(noise['t_eff'])}",
                    f"tr C = {hud.fmt(noise['trace'])}   B = {noise['batch']:.0f}   "
                    f"(n−B)/(n−1) = {hud.fmt(noise['factor'], 3)}")
            for i, text in enumerate(rows):
                t = widgets.text(ctx.font, widgets.fit_text(ctx.font, text, rect.w - 8), hud.TEXT)
                surface.blit(t, (rect.x + 4, pane.bottom + 1 + i * lh))
        return noise

    def claim(self, event, runtime) -> bool:
        """Left click: add a point (class 1), right click: class 0, Shift+click: remove, drag:
        move. True for every mouse event the pane uses."""
        t = event.type
        if self.pane is None or self.rect is None or not self.applies(runtime.world):
            return False
        if t == pygame.MOUSEMOTION and self.grabbed is not None:
            self._edit(runtime, "drag", event.pos, 1, False)
            return True
        if t == pygame.MOUSEBUTTONUP and self.grabbed is not None:
            self.grabbed = None
            return True
        if t == pygame.MOUSEBUTTONDOWN and self.rect.collidepoint(event.pos) and event.button in (1, 3):
            shift = bool(getattr(event, "mod", 0) & pygame.KMOD_SHIFT)
            self._edit(runtime, "down", event.pos, event.button, shift)
            return True
        return t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) and self.rect.collidepoint(event.pos)

    def _edit(self, runtime, kind: str, pos, button: int, shift: bool) -> None:
        pot = runtime.world.potential
        new, self.grabbed = D.edit(self.pane, pot.data, kind, tuple(pos), button, shift, self.grabbed)
        if new is None:
            return
        t0 = time.perf_counter()
        try:
            runtime.replace_landscape(D.rebuild(pot, new))
        except ValueError as e:  # too few points left, a class with no point ...
            runtime.say(f"data not changed: {e}", warn=True)
            self.grabbed = None
            return
        self.last_rebuild_ms = 1e3 * (time.perf_counter() - t0)
