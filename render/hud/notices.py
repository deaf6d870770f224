"""The toast (a parameter's new value, a couple of seconds) and the longer message (files
written, errors) at the bottom of the window, fed by the runtime's notices."""
from __future__ import annotations

from render.hud.hud import Hud
from render.hud.basics import MESSAGE_SECONDS, TOAST_SECONDS
from render.look.theme import TEXT, WARN
from sim.core.events import Notice


class Notices:
    """Each shown as (text, start time, duration, colour) until its time is up."""

    def __init__(self) -> None:
        self.toast: tuple[str, float, float, tuple] | None = None
        self.message: tuple[str, float, float, tuple] | None = None

    def show(self, note: Notice, now: float) -> None:
        color = WARN if note.warn else TEXT
        if note.long:
            self.message = (note.text, now, MESSAGE_SECONDS, color)
        else:
            self.toast = (note.text, now, TOAST_SECONDS, color)

    def toast_live(self, now: float) -> bool:
        return self.toast is not None and now - self.toast[1] < self.toast[2]

    def draw(self, surface, h: Hud, now: float) -> None:
        """The toast, then the message raised above it when it is live (both wrap when too
        wide for the window)."""
        raise_by = 0
        if self.toast_live(now):
            text, t0, dur, col = self.toast
            rect = h.toast(surface, text, now - t0, dur, col)
            raise_by = 44 + max(rect.h - h.toast_height(), 0)
        if self.message is not None:
            text, t0, dur, col = self.message
            if now - t0 < dur:
                h.toast(surface, text, now - t0, dur, col, raise_by=raise_by)
            else:
                self.message = None
