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
        return PANE_HEIGHT

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context):
        self.rect = pygame.Rect(rect)
        self.pane = D.draw_pane(surface, self.rect, ctx.world, ctx.selected, ctx.font)
        return None

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
