"""Screenshots of the window: a key asks, the next frame once drawn is saved (so it shows every
input handled before the key) as newton-descent-YYYYmmdd-HHMMSS[-k].png in the current
folder, atomically and never over an existing file; a failure is said, never fatal."""
from __future__ import annotations

import os
from typing import Callable


class Screenshots:
    """The screenshot asked for and the last one saved (`say`: the runtime's notices)."""

    def __init__(self, say: Callable[..., None]) -> None:
        self.say = say
        self.requested = False
        self.last: str | None = None

    def request(self) -> None:
        """Save the next frame once it is drawn."""
        self.requested = True

    def after_draw(self, surface) -> None:
        """A frame is drawn: save it if asked."""
        if self.requested:
            self.requested = False
            self.save(surface)

    def save(self, surface) -> str | None:
        """Save surface now; returns the path (None: it failed, and said why)."""
        from render.files.names import RecorderError, save_screenshot

        try:  # atomic, and never over an existing file
            path = str(save_screenshot(surface, folder=os.getcwd()))
        except (RecorderError, OSError) as e:  # unwritable folder, full disk ...: keep going
            self.say(f"screenshot failed: {e}", warn=True, long=True)
            return None
        self.last = path
        self.say(f"screenshot saved: {path}", long=True)
        return path
