"""Where the instrument panels go: clear of the HUD's panels and of each other."""
from __future__ import annotations

import pygame

GAP = 10  # pixels between panels
EDGE = 12  # pixels kept free along the window's edges


class PanelLayout:
    """Slots for panels of one width: a column at the left (below the info panel), one at the
    right (below the colourbar), then beside anything already placed, nearest an edge first;
    in each, a panel sits as high as it fits below what is in its way. Last frame's slots stay
    while they hold the same panels and collide with nothing, so panels do not jump about as
    the HUD breathes. A panel with no room anywhere gets no slot (it is not drawn)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.slots: dict[str, pygame.Rect] = {}

    def place(self, size: tuple[int, int], wanted: list[tuple[str, int]],
              obstacles: list[pygame.Rect]) -> dict[str, pygame.Rect]:
        """wanted: (name, height) in order of preference; size: the window's."""
        W, H = size
        screen = pygame.Rect(0, 0, W, H)
        M = EDGE
        names = [n for n, _ in wanted]
        old = self.slots
        if (list(old) == names and all(h <= old[n].h for n, h in wanted)
                and all(old[n].collidelist(obstacles) < 0 and screen.contains(old[n]) for n in names)):
            return old
        pw = min(self.width, max(W - 2 * M, 80))
        lo, hi = M, W - M - pw
        taken: list[pygame.Rect] = []
        slots: dict[str, pygame.Rect] = {}
        for name, h in wanted:
            blocks = obstacles + taken
            xs = [lo, hi] + sorted({x for r in blocks for x in (r.right + GAP, r.left - GAP - pw)
                                    if lo <= x <= hi}, key=lambda x: min(x - lo, hi - x))
            for x in xs:
                placed = _highest(x, pw, h, M, H, blocks)
                if placed is not None:
                    slots[name] = placed
                    taken.append(placed)
                    break
        self.slots = slots
        return slots


def _highest(x: int, w: int, h: int, top: int, H: int, blocks: list[pygame.Rect]) -> pygame.Rect | None:
    """The highest rect of size (w, h) at column x, below what is in its way, inside H - top."""
    y = top
    while y + h <= H - top:
        r = pygame.Rect(x, y, w, h)
        hit = r.collidelist(blocks)
        if hit < 0:
            return r
        y = blocks[hit].bottom + GAP
    return None
