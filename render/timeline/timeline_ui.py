"""The timeline in the window: a strip along the bottom of the map whose cursor can be dragged
back to any tick the runtime's timeline holds (the balls, panels and plots show that tick;
play continues from there), with the mean loss on the same axis and the exact value and tick
under the mouse."""
from __future__ import annotations

import pygame

from render.look.theme import LOSS_COLOR
from render.timeline.strip import Plot, TimelineStrip
from sim.runtime.runtime import Runtime
from sim.runtime.tick_series import TickSeries

SERIES = ("mean V", "mean E")
BACKDROP = (8, 9, 14)


class TimelineUI:
    """The strip, the plot samples by tick, and a drag in progress."""

    def __init__(self, fonts, shown: bool) -> None:
        self.fonts = fonts
        self.shown = shown
        self.strip = TimelineStrip(fonts.small)
        self.series = TickSeries(SERIES)
        self.rect: pygame.Rect | None = None  # where the strip was drawn
        self.dragging = False
        self._mouse: tuple[int, int] | None = None
        self._pending: int | None = None  # pixel x of the last motion of a drag not yet restored

    def height(self) -> int:
        return self.strip.measure(100)[1] if self.shown else 0

    def sample(self, tick: int, loss: float, energy: float) -> None:
        """A plot sample at `tick` (a sample at an earlier tick drops the old future)."""
        self.series.append(int(tick), (loss, energy))

    def claim(self, event, runtime: Runtime) -> bool:
        """A press on the strip scrubs there; dragging keeps scrubbing; the release ends it."""
        t = event.type
        if t == pygame.MOUSEMOTION:
            self._mouse = tuple(event.pos)
            if self.dragging:  # restored once per frame, for the frame's last motion (flush)
                self._pending = int(event.pos[0])
                return True
            return False
        if t == pygame.MOUSEBUTTONUP and self.dragging:
            self.flush(runtime)
            self.dragging = False
            return True
        if t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) and self.rect is not None \
                and self.rect.collidepoint(event.pos):
            if t == pygame.MOUSEBUTTONDOWN and event.button == 1:
                self.dragging = True
                self._scrub(event.pos[0], runtime)
            return True
        return False

    def flush(self, runtime: Runtime) -> None:
        """Restore the tick under the drag's last motion, if one is waiting: a frame's queued
        motions cost one restore (at 100,000 balls each is a replay of up to 20 ticks). Called
        before any other input is handled and before each frame's update and draw, so a key
        pressed after a motion acts on the tick the strip shows."""
        if self._pending is not None:
            x, self._pending = self._pending, None
            self._scrub(x, runtime)

    def _scrub(self, x: int, runtime: Runtime) -> None:
        tick = self.strip.tick_at(x)
        spans = runtime.timeline.spans()
        if tick is None or not spans:
            return
        first, last = spans[0][0], spans[-1][1]
        tick = min(max(tick, first), last)  # the strip's ends are the held past's ends
        if tick != runtime.world.tick_count:
            runtime.scrub(tick)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, runtime: Runtime) -> None:
        self.flush(runtime)
        self.rect = pygame.Rect(rect)
        surface.fill(BACKDROP, self.rect)  # the strip is not over the map: nothing may show through
        spans = runtime.timeline.spans()
        now = int(runtime.world.tick_count)
        t0 = min([spans[0][0]] if spans else [now])
        t1 = max([spans[-1][1], now] if spans else [now])
        if t1 <= t0:
            t1 = t0 + 1
        ticks, values = self.series.ticks(), self.series.values(SERIES[0])
        keep = (ticks >= t0) & (ticks <= t1)
        plots = [Plot(SERIES[0], ticks[keep], values[keep], LOSS_COLOR)]
        m = self._mouse
        hover = m[0] if m is not None and self.rect.collidepoint(m) else None
        self.strip.draw(surface, self.rect, t0, t1, now, spans, plots, hover)
