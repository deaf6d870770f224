"""The camera: which part of the world the window shows, and where Home goes.

Pure geometry over render.look.view.View (no pygame): zoom about a pixel, pan, fit Home to a world
rect (the landscape's, or a scene's view), follow a window resize, and remember when the view
last moved so maps can be drafts while a gesture is under way.
"""
from __future__ import annotations

from render.look.view import View

DRAFT_SECONDS = 0.25  # after a zoom or pan, maps are drafts until the view rests this long
ZOOM_STEP = 1.2  # per wheel notch


class Camera:
    """`view` (what is shown), `home` (what Home shows: `home_rect` fitted to the window)."""

    def __init__(self, home_rect: tuple[float, float, float, float], size: tuple[int, int],
                 live: bool = True) -> None:
        self.home_rect = home_rect
        self.home = View.fit(home_rect, size)
        self.view = self.home
        self.live = live  # a real window (headless runs never draw drafts)
        self.changed_at = -1e9  # real time of the last interactive move

    def set_view(self, view: View, now: float, interactive: bool = True) -> None:
        """interactive: part of a zoom or pan gesture (draft maps until it rests)."""
        if interactive and view != self.view:
            self.changed_at = now
        self.view = view

    def touch(self, now: float) -> None:
        """The map under the same view changed (the data were edited): drafts for a moment,
        as after a zoom, so a drag in the data pane never waits for full maps."""
        self.changed_at = now

    def interacting(self, now: float) -> bool:
        """The view changed a moment ago (zoom, pan): draw draft maps, skip the field."""
        return self.live and now - self.changed_at < DRAFT_SECONDS

    def zoom(self, pix, factor: float, now: float) -> None:
        self.set_view(self.view.zoom_about(pix[0], pix[1], factor), now)

    def pan(self, dx: float, dy: float, now: float) -> None:
        self.set_view(self.view.pan(dx, dy), now)

    def go_home(self, rect: tuple[float, float, float, float] | None = None) -> None:
        """Home (fitted again to the window), or a new home rect first (a landscape, a scene)."""
        if rect is not None:
            self.home_rect = rect
        self.home = View.fit(self.home_rect, (self.view.w, self.view.h))
        self.view = self.home

    def resize(self, size: tuple[int, int]) -> bool:
        """Follow the window's size; True when it changed. At home the view stays home."""
        if size == (self.view.w, self.view.h):
            return False
        at_home = self.view == self.home
        self.home = View.fit(self.home_rect, size)
        self.view = self.home if at_home else self.view.resized(size)
        return True
