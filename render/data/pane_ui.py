"""The data pane as a panel of the window: the data a data landscape is made from and the
balls as models on it (render/data_pane.py), with the chosen (or hovered) ball in bold; clicks
in it edit the data and the landscape is rebuilt while the balls keep rolling. The network
(mlp) retrains over several frames (sim/data/retrain.py) with its progress in the pane; the
old landscape runs until the new one is ready."""
from __future__ import annotations

import time

import pygame

from render.data import pane as D
from render.panels.panel import Context, Panel
from render.map.landscape import keep_log
from sim.data.base import is_data
from sim.data.retrain import Retrain, trains

PANE_HEIGHT = 240  # pixels
HEADLESS_RETRAIN_STEPS = 100  # training steps per frame in headless runs (deterministic frames)
RETRAIN_SHARE = 0.4  # a retrain takes this share of the frame time in a live window ...
RETRAIN_BUDGET_S = (0.008, 0.05)  # ... within these seconds per frame
PROGRESS_BAR = (255, 230, 90)


class DataPaneView(Panel):
    """Shown while the landscape is made from data; `claim` turns mouse events in it into
    edits of the data."""

    name = "data"

    def __init__(self) -> None:
        self.retrain = Retrain()  # the network's retrain after an edit, a slice per frame
        self.pane: D.PaneMap | None = None
        self.rect: pygame.Rect | None = None
        self.grabbed: int | None = None
        self.held: D.PaneMap | None = None  # the pane's mapping while a point is dragged (frozen)
        self.last_rebuild_ms: float | None = None
        self._last_frame: float | None = None  # the clock at the last frame (the retrain's budget)

    def applies(self, world) -> bool:
        return is_data(world.potential)

    def idle(self) -> None:
        self.pane = None  # no stale hit area when a data landscape comes back

    def world_changed(self) -> None:
        self.retrain.cancel()  # a retrain on the old world's data (its landscape may be the same object)

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
        if not out["batch"]:
            return None
        nf = rule.spec.noise_factor(rule)  # the rule's temperature per gd's (heavy ball 1/(1-beta))
        out["t_eff_gd"], out["t_eff_factor"], out["rule"] = out["t_eff"], nf, rule.name
        out["t_eff"] = None if nf is None else nf * out["t_eff"]
        return out

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context):
        """The pane; under it, the chosen ball's noise temperature when it is on minibatches."""
        rect = pygame.Rect(rect)
        noise = self.noise(ctx)
        lh = ctx.font.get_linesize() + 2
        pane = rect if noise is None else pygame.Rect(rect.x, rect.y, rect.w, rect.h - 2 * lh)
        self.rect = pane
        held = self.held.bounds if self.held is not None and self.grabbed is not None else None
        self.pane = D.draw_pane(surface, pane, ctx.world, ctx.selected, ctx.font, self.retrain.data,
                                held)
        if self.retrain.active:
            self._draw_progress(surface, pane, ctx.font)
        if noise is not None:
            from render.look import widgets
            from render.look.theme import TEXT
            from sim.support.text import fmt

            surface.fill((18, 20, 28), pygame.Rect(rect.x, pane.bottom, rect.w, 2 * lh))
            nf = noise["t_eff_factor"]
            head = ("SGD noise: T_eff n/a for " + noise["rule"] if nf is None else
                    f"SGD noise: T_eff = {'' if nf == 1 else fmt(nf, 3) + '·'}lr·tr C/(2·2·B)·(n−B)/(n−1)"
                    f" = {fmt(noise['t_eff'])}")
            rows = (head,
                    f"tr C = {fmt(noise['trace'])}   B = {noise['batch']:.0f}   "
                    f"(n−B)/(n−1) = {fmt(noise['factor'], 3)}")
            for i, text in enumerate(rows):
                t = widgets.text(ctx.font, widgets.fit_text(ctx.font, text, rect.w - 8), TEXT)
                surface.blit(t, (rect.x + 4, pane.bottom + 1 + i * lh))
        return self.readout(ctx.world, noise)

    def readout(self, world, noise: dict | None) -> dict:
        """What the pane shows, for `--report` (data.*): the data drawn (a retrain's newest while
        one is under way), its progress, and the chosen ball's noise temperature."""
        data = self.retrain.data if self.retrain.active else world.potential.data
        out = {"source": data.source or "", "n": int(data.n), "task": data.kind,
               "landscape": world.potential.name,
               "retrain_progress": self.retrain.progress if self.retrain.active else None}
        return {**out, **(noise or {})}

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
            self.grabbed = self.held = None
            return True
        if t == pygame.MOUSEBUTTONDOWN and self.rect.collidepoint(event.pos) and event.button in (1, 3):
            mods = getattr(event, "mod", None)  # real SDL mouse events carry no mod: ask the keyboard
            shift = bool((pygame.key.get_mods() if mods is None else mods) & pygame.KMOD_SHIFT)
            self._edit(runtime, "down", event.pos, event.button, shift)
            return True
        return t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) and self.rect.collidepoint(event.pos)

    def _edit(self, runtime, kind: str, pos, button: int, shift: bool) -> None:
        """Edit the newest data (a retrain's under way, else the world's); a landscape that
        trains is retrained over the next frames, any other is replaced now."""
        pot = runtime.world.potential
        data = self.retrain.data_for(pot)
        pane = self.held if kind == "drag" and self.held is not None else self.pane
        new, self.grabbed = D.edit(pane, data, kind, tuple(pos), button, shift, self.grabbed)
        if kind == "down" and self.grabbed is not None:  # the drag maps through the pane as it is
            self.held = D.PaneMap(pygame.Rect(self.pane.rect), self.pane.bounds)  # now: bounded
        if new is None:
            return
        t0 = time.perf_counter()
        try:
            rebuilt = D.rebuild(pot, new)
            if trains(rebuilt):
                self.retrain.start(pot, rebuilt)  # a job under way restarts on the newest data
                return
            keep_log(pot, rebuilt)
            runtime.switch.replace_landscape(rebuilt)
        except ValueError as e:  # too few points left, a class with no point ...
            runtime.say(f"data not changed: {e}", warn=True)
            self.grabbed = self.held = None
            return
        self.last_rebuild_ms = 1e3 * (time.perf_counter() - t0)

    def frame(self, runtime, now: float, headless: bool) -> None:
        """Once per frame (`now` in seconds): a slice of the retrain under way, a share of the
        frame time; the new landscape when it is done."""
        last, self._last_frame = self._last_frame, now
        if not self.retrain.active:
            return
        lo, hi = RETRAIN_BUDGET_S
        budget = lo if last is None else min(hi, max(lo, RETRAIN_SHARE * (now - last)))
        try:
            done = self.retrain.advance(runtime.world.potential,
                                        HEADLESS_RETRAIN_STEPS if headless else None, budget)
        except ValueError as e:
            runtime.say(f"data not changed: {e}", warn=True)
            return
        if done is not None:
            keep_log(runtime.world.potential, done)
            runtime.switch.replace_landscape(done)
            self.last_rebuild_ms = 1e3 * self.retrain.seconds
            runtime.say(f"network retrained in {self.retrain.seconds:.1f} s")

    def _draw_progress(self, surface: pygame.Surface, rect: pygame.Rect, font) -> None:
        """The retrain's progress: "retraining the network… 40%" and a bar along the pane's foot."""
        from render.look import widgets

        frac = self.retrain.progress
        text = widgets.text(font, f"retraining the network… {100 * frac:.0f}%", PROGRESS_BAR)
        box = pygame.Rect(rect.x + 6, rect.bottom - text.get_height() - 12, text.get_width() + 8,
                          text.get_height() + 4)
        surface.fill((18, 20, 28), box)
        surface.blit(text, (box.x + 4, box.y + 2))
        bar = pygame.Rect(rect.x + 1, rect.bottom - 5, int((rect.w - 2) * frac), 4)
        surface.fill(PROGRESS_BAR, bar)
