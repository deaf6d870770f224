"""What every instrument panel is: the frame's `Context` it reads, and the `Panel` base whose
hooks the window calls (render/panels/instruments_ui.py). A new panel subclasses `Panel`, sets
`name` and implements `measure` and `draw`; render/panels/registry.py lists it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from render.look.theme import LINE_GAP
from render.look.view import View
from sim.runtime.runtime import Runtime


@dataclass
class Context:
    """What the panels read in one frame."""

    runtime: Runtime
    font: pygame.font.Font
    view: View
    frames: int  # frames drawn so far (a sample taken this frame is current)
    mouse: tuple[int, int] | None
    hover: int | None  # the ball under the cursor
    selected: int | None  # under the cursor, else the last dropped
    point: object = "map"  # the world (x, y) under the cursor, None for none; "map": the map's pixel

    def cursor_point(self) -> tuple[float, float] | None:
        """The landscape point under the cursor: given by the frame (over the 3D view, the
        ray's hit on the surface, None when it misses), else the map's pixel."""
        if self.point != "map":
            return self.point
        if self.mouse is None:
            return None
        return self.view.pixel_to_world(self.mouse[0] + 0.5, self.mouse[1] + 0.5)

    @property
    def world(self):
        return self.runtime.world

    @property
    def row_h(self) -> int:
        return self.font.get_linesize() + LINE_GAP

    def focus(self, newtonian: bool = False) -> int | None:
        """The ball the ledger and stability panels single out: the selection, else the newest
        ball that is not a twin (newtonian: the newest newton or langevin ball, twins too)."""
        if self.selected is not None:
            return self.selected
        w = self.world
        keep = np.ones(w.n, dtype=bool)
        if newtonian:
            keep = np.array([r.newtonian for r in w.rules], dtype=bool)[w.particles.rule]
        else:
            t = self.runtime.balls.pairs.twins
            keep[t[t < w.n]] = False
        rows = np.flatnonzero(keep)
        return int(rows[-1]) if len(rows) else None


class Panel:
    """An instrument panel. `measure(ctx)` says how tall it must be now, `draw(surface, rect,
    ctx)` draws it into the rect the layout gives and returns the numbers it drew (a dict for
    --report under the registry's prefix, or None). The other hooks do nothing unless a panel
    needs them. Made once per window, with no arguments."""

    name = ""

    def measure(self, ctx: Context) -> int:
        raise NotImplementedError

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, ctx: Context) -> dict | None:
        raise NotImplementedError

    def applies(self, world) -> bool:
        """Whether it has anything to show in this world (the data pane: a data landscape)."""
        return True

    def idle(self) -> None:
        """It does not apply to the world this frame: forget what the last drawing left."""

    def shown(self) -> None:
        """Switched on (a plot starts afresh)."""

    def world_changed(self) -> None:
        """A new world (a scene, a scrub, a landscape): drop what belonged to the old one."""

    def frame(self, runtime: Runtime, now: float, headless: bool) -> None:
        """Once per frame, on or not (`now` in seconds; headless: deterministic frames)."""

    def after_ticks(self, runtime: Runtime, frames: int) -> None:
        """While it is on: the world ran this frame."""

    def claim(self, event, runtime: Runtime) -> bool:
        """While it is on: True when it uses this input event."""
        return False
