"""The runtime's channel to whoever shows it: subscribers get a `Change` after each command that
changed something, listeners get the one-line notices a command says (the window shows them as
toasts). No pygame, and nothing of the world: only who is told, in the order they asked."""
from __future__ import annotations

from typing import Callable

from sim.core.events import Change, Notice


class Channel:
    """The subscribers (changes) and the listeners (notices) of one runtime."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Change], None]] = []
        self._listeners: list[Callable[[Notice], None]] = []

    def subscribe(self, callback: Callable[[Change], None]) -> None:
        """`callback(change)` after each command that changed something."""
        self._subscribers.append(callback)

    def listen(self, callback: Callable[[Notice], None]) -> None:
        """`callback(notice)` for each line a command says."""
        self._listeners.append(callback)

    def tell(self, change: Change) -> None:
        """Tell every subscriber what changed."""
        for cb in list(self._subscribers):
            cb(change)

    def say(self, text: str, warn: bool = False, long: bool = False) -> None:
        """One line to every listener (warn: a problem; long: shown longer)."""
        note = Notice(text, warn, long)
        for cb in list(self._listeners):
            cb(note)
