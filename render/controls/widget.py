"""The control panel's widget, its sizes, the key that does a widget's job, slider fractions and typed numbers."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import pygame

from render.input.keys import KEYS, Cmd


WIDTH = 236  # pixels, the panel's width when open
TAB = 22  # pixels, the strip that stays when it is collapsed
ROW = 20  # pixels per button row
GAP = 3
SLIDER_H = 30  # label row + track


@dataclass
class Widget:
    """A button (kind "button"), a slider ("slider"), its number ("value") or a heading."""

    kind: str
    rect: pygame.Rect
    label: str
    action: tuple[Cmd, Any] | str | None = None  # a key command, or a slider's name
    lit: bool = False
    key: str = ""  # the key that does the same (shown on hover)
    color: tuple[int, int, int] | None = None
    lo: float = 0.0
    hi: float = 1.0
    log: bool = False
    value: float = 0.0
    colors: tuple = ()  # a collapsed rule group's colour dots


@functools.lru_cache(maxsize=256)
def key_of(cmd: Cmd, arg: Any = None) -> str:
    """The key (as the help writes it) bound to this command and argument, or ""."""
    for b in KEYS:
        if b.command is cmd and (arg is None or b.arg == arg):
            return b.keys_label
    return ""


def to_fraction(value: float, lo: float, hi: float, log: bool) -> float:
    """Where value sits on a slider from lo to hi, 0..1 (0 for 0 on a log slider)."""
    if log:
        if value <= 0:
            return 0.0
        f = (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo))
    else:
        f = (value - lo) / (hi - lo)
    return min(max(f, 0.0), 1.0)


def from_fraction(f: float, lo: float, hi: float, log: bool) -> float:
    f = min(max(f, 0.0), 1.0)
    if log:
        return math.exp(math.log(lo) + f * (math.log(hi) - math.log(lo)))
    return lo + f * (hi - lo)


def parse_number(text: str) -> float | None:
    """A typed number, or None (no eval: float() of the text, finite only)."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None
