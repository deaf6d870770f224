"""What the runtime tells its subscribers: which part of the state a command changed, and the
one-line notices a command says."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class Change(enum.Enum):
    """What a command changed, for the subscribers."""

    POPULATION = "population"  # balls dropped or removed (rows may have moved)
    RESET = "reset"  # restart or clear: every path starts over
    LANDSCAPE = "landscape"  # a new potential (the view fits it again)
    WORLD = "world"  # a whole new world (a scene)
    TICKS = "ticks"  # the world advanced
    DATA = "data"  # the landscape was rebuilt on edited data (balls and view stay)
    SCRUB = "scrub"  # the world was put back at a recorded tick (the timeline)


@dataclass(frozen=True)
class Notice:
    """A one-line message for the user; `long` ones stay longer (files written, errors)."""

    text: str
    warn: bool = False
    long: bool = False
