"""The toast (a parameter's new value, a couple of seconds) and the longer message (files
written, errors) at the bottom of the window, fed by the runtime's notices."""
from __future__ import annotations

from render import hud
from sim.runtime import Notice


class Notices:
    """Each shown as (text, start time, duration, colour) until its time is up."""

    def __init__(self) -> None:
        self.toast: tuple[str, float, float, tuple] | None = None
        self.message: tuple[str, float, float, tuple] | None = None

    def show(self, note: Notice, now: float) -> None:
        color = hud.WARN if note.warn else hud.TEXT
        if note.long:
            self.message = (note.text, now, hud.MESSAGE_SECONDS, color)
        else:
            self.toast = (note.text, now, hud.TOAST_SECONDS, color)

    def toast_live(self, now: float) -> bool:
        return self.toast is not None and now - self.toast[1] < self.toast[2]

    def draw(self, surface, h: hud.Hud, now: float) -> None:
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
