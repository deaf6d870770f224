"""The scene list (Ctrl+L): every lesson and every scene saved in the current folder, one row
each, to open with a click or the keys, instead of stepping through them with Ctrl+O.

`open(rows, current)` shows the list; while `active` it takes keys, the wheel and left clicks
in `handle_event(event)`, which returns ("open", index), ("cancel",) or None; `draw(surface,
font, small)` draws it centred in the window.

Keys: Up / Down (and PageUp / PageDown / Home / End) move the choice, Enter opens it, Esc or
Ctrl+L closes the list. The wheel scrolls; a click on a row opens it, a click outside closes.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import pygame

from render.look import widgets
from render.look.theme import ACCENT, DIM, MARGIN, PAD, SELECTED_BG, TEXT
from render.look.widgets import fit_text

WIDTH = 640  # pixels, at most (narrower windows: the window less the margins)
ROW_GAP = 6  # pixels between a row's title and the next row
HINT = "Up / Down: choose    Enter or click: open    Esc: close"


class Row(NamedTuple):
    title: str  # "Lesson 1: ..." or the file name
    detail: str  # one line under the title (the preset's name, or when the file was saved)


class ScenePicker:
    def __init__(self) -> None:
        self.active = False
        self.rows: list[Row] = []
        self.index = 0
        self.top = 0  # the first row on screen
        self.visible = 1  # how many rows fit (set by draw)
        self.row_rects: list[tuple[int, pygame.Rect]] = []  # (row index, screen rect), last draw
        self.rect: pygame.Rect | None = None

    def open(self, rows: list[Row], current: int | None = None) -> None:
        self.rows = list(rows)
        self.index = min(max(current or 0, 0), max(len(self.rows) - 1, 0))
        self.top = max(0, self.index - 2)
        self.active = bool(self.rows)

    def close(self) -> None:
        self.active = False
        self.row_rects = []
        self.rect = None

    def _move(self, delta: int) -> None:
        if not self.rows:
            return
        self.index = min(max(self.index + delta, 0), len(self.rows) - 1)
        if self.index < self.top:
            self.top = self.index
        elif self.index >= self.top + self.visible:
            self.top = self.index - self.visible + 1

    def handle_event(self, event: Any) -> tuple | None:
        """Take one event while the list is open: ("open", i), ("cancel",) or None."""
        t = event.type
        if t == pygame.KEYDOWN:
            k = event.key
            if k == pygame.K_ESCAPE or (k == pygame.K_l and event.mod & pygame.KMOD_CTRL):
                self.close()
                return ("cancel",)
            if k in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.close()
                return ("open", self.index)
            step = {pygame.K_UP: -1, pygame.K_DOWN: 1, pygame.K_PAGEUP: -self.visible,
                    pygame.K_PAGEDOWN: self.visible, pygame.K_HOME: -len(self.rows),
                    pygame.K_END: len(self.rows)}.get(k)
            if step is not None:
                self._move(step)
            return None
        if t == pygame.MOUSEWHEEL:
            step = int(event.y) or (1 if event.y > 0 else -1 if event.y < 0 else 0)
            self.top = min(max(self.top - step, 0), max(len(self.rows) - self.visible, 0))
            # the choice scrolls along, so Enter never opens a row that is not on screen
            self.index = min(max(self.index, self.top), self.top + self.visible - 1)
            return None
        if t == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for i, r in self.row_rects:
                if r.collidepoint(event.pos):
                    self.index = i
                    self.close()
                    return ("open", i)
            if self.rect is None or not self.rect.collidepoint(event.pos):
                self.close()
                return ("cancel",)
        return None

    def draw(self, surface: pygame.Surface, font: pygame.font.Font, small: pygame.font.Font) -> None:
        if not self.active:
            return
        sw, sh = surface.get_size()
        m, pad = MARGIN, PAD
        width = min(WIDTH, sw - 2 * m)
        title_h, detail_h = font.get_linesize(), small.get_linesize()
        row_h = title_h + detail_h + ROW_GAP
        head = font.get_linesize() + 8
        foot = small.get_linesize() + 8
        room = sh - 2 * m - head - foot - 2 * pad
        if width < 2 * pad + 40 or room < row_h:  # no room for one row: keys still work (Esc)
            self.rect, self.row_rects = None, []
            return
        self.visible = max(1, min(len(self.rows), room // row_h))
        self.top = min(self.top, max(len(self.rows) - self.visible, 0))
        self.top = min(max(self.top, self.index - self.visible + 1), self.index)  # choice shown
        height = head + self.visible * row_h + foot + 2 * pad
        rect = pygame.Rect(0, 0, width, height)
        rect.center = (sw // 2, sh // 2)
        self.rect = rect
        surface.blit(widgets.panel(rect.size, 2), rect.topleft)  # darker: the map must not show through much
        x, y = rect.x + pad, rect.y + pad
        more = f"   {self.index + 1} of {len(self.rows)}"
        surface.blit(widgets.text(font, "Open a scene", ACCENT), (x, y))
        surface.blit(widgets.text(small, more, DIM), (x + font.size("Open a scene")[0], y + 2))
        y += head
        self.row_rects = []
        inner = width - 2 * pad
        for i in range(self.top, min(self.top + self.visible, len(self.rows))):
            r = pygame.Rect(x - 4, y - 2, inner + 8, row_h - 2)
            if i == self.index:
                pygame.draw.rect(surface, SELECTED_BG, r, border_radius=4)
            row = self.rows[i]
            surface.blit(widgets.text(font, fit_text(font, row.title, inner), TEXT), (x, y))
            surface.blit(widgets.text(small, fit_text(small, row.detail, inner), DIM), (x, y + title_h))
            self.row_rects.append((i, r))
            y += row_h
        if self.top > 0 or self.top + self.visible < len(self.rows):
            scroll = "  (wheel or PageUp / PageDown for more)"
        else:
            scroll = ""
        surface.blit(widgets.text(small, fit_text(small, HINT + scroll, inner), DIM),
                     (x, rect.bottom - pad - small.get_linesize()))
