"""What the HUD is made of: its fonts, a line of styled text, rings of samples for the plots, and toasts wrapped to a width."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pygame

from render.look import widgets
from render.look.theme import TEXT


PLOT_SIZE = (250, 84)  # pixels
COLORBAR_SIZE = (14, 230)  # pixels
HISTORY = 360  # samples kept for the plot
PLOT_LOG_RATIO = 30.0  # the plot goes log when its top is this many times its (positive) bottom
FONT_CANDIDATES = ("dejavusans", "notosans", "liberationsans", "arial", "helvetica")
TOAST_SECONDS = 2.2
MESSAGE_SECONDS = 5.0
LAYOUT_CACHE = 512  # cached HUD layouts kept (panels, colourbar, axes, plot) before a clear




class Fonts:
    """Anti-aliased fonts (a system sans with ∇ if there is one, else pygame's default)."""

    def __init__(self) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        path = None
        for name in FONT_CANDIDATES:
            try:
                path = pygame.font.match_font(name)
            except Exception:  # fontconfig trouble: fall back to the default font
                path = None
            if path:
                break
        bold = None
        if path:
            try:
                bold = pygame.font.match_font(name, bold=True)
            except Exception:
                bold = None
        self.system = bool(path)
        if path:
            self.body = pygame.font.Font(path, 14)
            self.small = pygame.font.Font(path, 12)
            self.title = pygame.font.Font(bold or path, 17)
            self.toast = pygame.font.Font(bold or path, 18)
        else:  # pygame's bundled font is bigger per point and has no ∇
            self.body = pygame.font.Font(None, 21)
            self.small = pygame.font.Font(None, 18)
            self.title = pygame.font.Font(None, 25)
            self.toast = pygame.font.Font(None, 27)

    def role(self, name: str) -> pygame.font.Font:
        """The font for a role of a panel line: "body", "small", "title" or "toast"."""
        return {"body": self.body, "small": self.small, "title": self.title, "toast": self.toast}[name]

    def text(self, s: str, font: pygame.font.Font, color=TEXT) -> pygame.Surface:
        """`s` rendered in font (cached, see render.look.widgets.text); without a system font, ∇
        and − are spelled "grad " and "-" (pygame's own font lacks them)."""
        if not self.system:
            s = s.replace("∇", "grad ").replace("−", "-")
        return widgets.text(font, s, color)


@dataclass
class Line:
    """One row of a text panel: (text, font role, colour) pieces laid out left to right."""

    parts: list[tuple[str, str, tuple[int, int, int]]]


_RING_UIDS = itertools.count(1)


class Ring:
    """Ring buffer of fixed-width float rows for live plots: data [size, width]."""

    def __init__(self, size: int, width: int) -> None:
        self.data = np.full((size, width), np.nan)
        self.count = 0
        self.uid = next(_RING_UIDS)  # this buffer and no other, for as long as the process runs
        self.version = 0  # changes whenever the data does (plots cache by (uid, version))

    def clear(self) -> None:
        self.data[:] = np.nan
        self.count = 0
        self.version += 1

    def append(self, row) -> None:
        self.data[self.count % len(self.data)] = row
        self.count += 1
        self.version += 1

    def series(self) -> np.ndarray:
        """The samples in time order: [k, width]."""
        k = min(self.count, len(self.data))
        if self.count <= len(self.data):
            return self.data[:k]
        i = self.count % len(self.data)
        return np.concatenate([self.data[i:], self.data[:i]])


class History(Ring):
    """Ring buffer of (sim time, mean V, mean E) for the live plot."""

    def __init__(self, size: int = HISTORY) -> None:
        super().__init__(size, 3)

    def add(self, t: float, loss: float, energy: float) -> None:
        self.append((t, loss, energy))


def toast_lines(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """`text` in lines no wider than `width` pixels: words wrapped, a word wider than the width
    (a long path) broken between its characters; every character kept, in order."""
    out: list[str] = []
    for line in widgets.wrapped_lines(font, text, width) or [""]:
        while len(line) > 1 and font.size(line)[0] > width:
            lo, hi = 1, len(line) - 1  # the longest prefix that fits (at least one character)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if font.size(line[:mid])[0] <= width:
                    lo = mid
                else:
                    hi = mid - 1
            out.append(line[:lo])
            line = line[lo:]
        out.append(line)
    return out
