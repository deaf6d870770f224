"""The scene's words on screen: the caption card ("predict, then run") or the title line,
placed in the free stretch along the top between the HUD's panels."""
from __future__ import annotations

from dataclasses import dataclass

import pygame

from render.look import widgets
from render.look.theme import ACCENT, DIM, MARGIN, PAD, TEXT
from render.look.widgets import fit_text
from render.look.widgets import wrap

CARD_MAX_WIDTH = 640  # pixels
CARD_MIN_WIDTH = 420  # narrower than this beside the panels: the card goes below them
CARD_PAD = 14
CARD_GAP = 12  # pixels kept free between the card and the panels beside it


@dataclass(frozen=True)
class Span:
    """The free stretch along the top between the panels, and the bottom of the left ones."""

    left: int
    right: int
    below: int


def free_span(width: int, panels: list[pygame.Rect]) -> Span:
    left, right, below = 0, width, 0
    for r in panels:
        if r.top > 3 * MARGIN:
            continue
        if r.centerx < width // 2:
            left = max(left, r.right)
            below = max(below, r.bottom)
        else:
            right = min(right, r.left)
    return Span(left + CARD_GAP, right - CARD_GAP, below)


class CaptionCard:
    """Draws the card or the title on a darker panel (two layers: long text reads better)."""

    def __init__(self, fonts) -> None:
        self.fonts = fonts

    @staticmethod
    def panel(size: tuple[int, int]) -> pygame.Surface:
        return widgets.panel(size, 2)

    def draw_card(self, surface: pygame.Surface, span: Span, kicker: str | None, title: str,
                  caption: str, paused: bool, rec_width: int = 0) -> pygame.Rect:
        """kicker: the small line above the title (which lesson or file), or None."""
        f = self.fonts
        w, h = surface.get_size()
        left, right, below = span.left, span.right, span.below
        if rec_width:
            right -= rec_width + CARD_GAP
        room = right - left
        if room >= CARD_MIN_WIDTH:  # between the panels along the top
            width = min(CARD_MAX_WIDTH, room)
            x, y = left + (room - width) // 2, MARGIN
        elif right - MARGIN >= CARD_MIN_WIDTH:  # under the info panel, left of the colourbar
            width = min(CARD_MAX_WIDTH, right - MARGIN)
            x, y = MARGIN + (right - MARGIN - width) // 2, below + CARD_GAP
        else:  # a small window: over the panels
            width = min(CARD_MAX_WIDTH, w - 2 * MARGIN)
            x, y = (w - width) // 2, MARGIN
        inner = width - 2 * CARD_PAD
        rows: list[pygame.Surface] = []
        if kicker is not None:
            rows.append(f.text(kicker, f.small, ACCENT))
        if title:
            rows += [f.text(t, f.title, TEXT) for t in wrap(title, f.title, inner)]
        body = [f.text(t, f.body, TEXT) for t in wrap(caption, f.body, inner)]
        hint = "Space: run    Esc or click: hide this card" if paused \
            else "Space, Esc or click: hide this card"
        foot = f.text(hint + "    ?: show it again", f.small, DIM)
        gap = 8
        height = (2 * CARD_PAD + sum(s.get_height() + 2 for s in rows) + gap
                  + sum(s.get_height() + 3 for s in body) + gap + foot.get_height())
        height = min(height, h - y - MARGIN)
        rect = pygame.Rect(x, y, width, height)
        surface.blit(self.panel(rect.size), rect)
        clip = surface.get_clip()
        surface.set_clip(rect.clip(clip) if clip else rect)
        cy = rect.y + CARD_PAD
        for s in rows:
            surface.blit(s, (rect.x + CARD_PAD, cy))
            cy += s.get_height() + 2
        cy += gap
        for s in body:
            surface.blit(s, (rect.x + CARD_PAD, cy))
            cy += s.get_height() + 3
        surface.blit(foot, (rect.x + CARD_PAD, rect.bottom - CARD_PAD - foot.get_height()))
        surface.set_clip(clip)
        return rect

    def draw_title(self, surface: pygame.Surface, span: Span, title: str, has_caption: bool,
                   rec_width: int = 0) -> pygame.Rect | None:
        """The title along the top (keeping clear of a REC panel of rec_width at the right end
        of the stretch), else shortened under the info panel; None when there is no room."""
        f = self.fonts
        left, right, below = span.left, span.right, span.below
        rec_left = right - rec_width - CARD_GAP if rec_width else right
        more = f.text("   ?: caption" if has_caption else "", f.small, DIM)
        text = f.text(title, f.body, TEXT)
        width = text.get_width() + more.get_width() + 2 * PAD
        if width <= rec_left - left:  # along the top, between the panels
            rect = pygame.Rect(0, MARGIN, width, text.get_height() + 2 * PAD - 2)
            rect.centerx = (left + right) // 2
            rect.right = min(rect.right, rec_left)
        else:
            right = rec_left  # under the info panel, shortened to fit left of the colourbar
            room = right - MARGIN - more.get_width() - 2 * PAD
            if room < 60:
                return None
            title = fit_text(f.body, title, room)
            text = f.text(title, f.body, TEXT)
            width = text.get_width() + more.get_width() + 2 * PAD
            rect = pygame.Rect(MARGIN, below + 6, width, text.get_height() + 2 * PAD - 2)
        surface.blit(self.panel(rect.size), rect)
        surface.blit(text, (rect.x + PAD, rect.y + PAD - 1))
        surface.blit(more, (rect.x + PAD + text.get_width(),
                            rect.y + PAD - 1 + text.get_height() - more.get_height()))
        return rect
