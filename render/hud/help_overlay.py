"""The help overlay: every key binding, the numbered potentials and the mouse, in columns.

The key table (render/keys.py) fills the first column, the potentials, the mouse and the
instrument keys the second. A window too short for two columns in the small font gets three or
four, the rows dealt out evenly, and descriptions too wide for their column end in "…".
"""
from __future__ import annotations

import math

import pygame

from render.input import keys
from render.look import widgets
from render.look.theme import ACCENT, DIM, HELP_DIM_RGBA, MARGIN, PAD, TEXT

HEADINGS = ("rules", "potentials", "mouse", "instruments")
COLUMN_GAP = 44  # pixels between columns
KEY_GAP = (14, 12)  # pixels between a key and its description: first column, the others
TITLE = "Newton Descent — keys"

Row = tuple[str, str]


def rule_rows() -> list[Row]:
    """The rules section: Tab / Shift+Tab cycle all of the registry's rules, then one row per
    group (registry order): its name and its rules' short labels (`SPEC.chip or name`)."""
    from render.controls.rule_buttons import groups
    from sim.rules import registry

    rows: list[Row] = [("", "rules"), ("Tab/Shift+Tab", f"cycle all {len(registry.names())}")]
    for group, names in groups():
        rows.append(("", f"{group}: " + " ".join(registry.get(n).chip or n for n in names)))
    return rows


def help_rows(potential_names: list[str]) -> tuple[list[Row], list[Row]]:
    """(left, right): the key table; the rules by group, the potentials by number, the mouse,
    the instruments."""
    digits = "1234567890"
    left = keys.help_lines()
    instruments: list[Row] = []
    if ("", "— instruments —") in left:  # the instruments group goes under the mouse, right
        cut = left.index(("", "— instruments —"))
        left, instruments = left[:cut], [("", ""), ("", "instruments")] + left[cut + 1:]
    pots = [(digits[i] if i < 10 else "", name) for i, name in enumerate(potential_names)]
    right = rule_rows() + [("", ""), ("", "potentials")] + pots + [("PgUp/PgDn", "cycle through all")]
    right += [("", ""), ("", "mouse")] + list(keys.MOUSE) + instruments
    return left, right


def deal(left: list[Row], right: list[Row], count: int) -> list[list[Row]]:
    """The rows in `count` columns: two are left and right as they are; more deal the rows
    out in order, evenly, with no column starting on a blank row."""
    if count <= 2:
        return [left, right]
    rows = left + [("", "")] + right
    per = math.ceil(len(rows) / count)
    cols = [rows[i * per:(i + 1) * per] for i in range(count)]
    return [c[1:] if c and c[0] == ("", "") else c for c in cols if c]


def layout(fonts, size: tuple[int, int], left: list[Row], right: list[Row]):
    """(font, line height, columns, title height): the body font in two columns when it fits
    the window's height, else the small font in two, three or four columns."""
    title_h = fonts.text(TITLE, fonts.title, TEXT).get_height()
    tries = [(fonts.body, 2, 2), (fonts.small, 0, 2), (fonts.small, 0, 3), (fonts.small, 0, 4)]
    for font, extra, count in tries:
        lh = font.get_linesize() + extra
        cols = deal(left, right, count)
        height = title_h + 12 + lh * max(len(c) for c in cols) + 2 * PAD + 8
        if height <= size[1] - 2 * MARGIN:
            break
    return font, lh, cols, title_h


def draw_help(fonts, surface: pygame.Surface, potential_names: list[str]) -> pygame.Rect:
    """Dim the window and draw the overlay centred on it; returns its rectangle."""
    w, h = surface.get_size()
    left, right = help_rows(potential_names)
    font, lh, cols, title_h = layout(fonts, (w, h), left, right)
    # a column's keys right-aligned, then its descriptions; descriptions share what width is left
    key_w = [max((fonts.text(k, font, ACCENT).get_width() for k, _ in c), default=0) for c in cols]
    room = w - 2 * MARGIN - 2 * PAD - 16 - COLUMN_GAP * (len(cols) - 1)
    room -= sum(kw + KEY_GAP[min(i, 1)] for i, kw in enumerate(key_w))
    cap = max(room // len(cols), 40)
    texts = []
    for c in cols:
        descs = [d if fonts.text(d, font, TEXT).get_width() <= cap else widgets.fit_text(font, d, cap)
                 for _, d in c]
        texts.append([(fonts.text(k, font, ACCENT),
                       fonts.text(d, font, TEXT if k or d not in HEADINGS else DIM))
                      for (k, _), d in zip(c, descs)])
    desc_w = [max((s.get_width() for _, s in col), default=0) for col in texts]
    widths = [kw + KEY_GAP[min(i, 1)] + dw for i, (kw, dw) in enumerate(zip(key_w, desc_w))]
    height = title_h + 12 + lh * max(len(c) for c in cols) + 2 * PAD + 8
    rect = pygame.Rect(0, 0, sum(widths) + COLUMN_GAP * (len(cols) - 1) + 2 * PAD + 16, height)
    surface.blit(widgets.filled((w, h), HELP_DIM_RGBA), (0, 0))
    if rect.w > w or rect.h > h:  # a tiny window: drawn whole, then scaled down to fit
        canvas = pygame.Surface(rect.size, pygame.SRCALPHA, 32)
        _draw_columns(fonts, canvas, rect, texts, key_w, widths, lh, title_h)
        scale = min(w / rect.w, h / rect.h)
        small = pygame.transform.smoothscale(canvas, (max(int(rect.w * scale), 1), max(int(rect.h * scale), 1)))
        out = small.get_rect(center=(w // 2, h // 2))
        surface.blit(small, out)
        return out
    rect.center = (w // 2, h // 2)
    rect.clamp_ip(surface.get_rect())
    _draw_columns(fonts, surface, rect, texts, key_w, widths, lh, title_h)
    return rect


def _draw_columns(fonts, surface: pygame.Surface, rect: pygame.Rect, texts, key_w: list[int],
                  widths: list[int], lh: int, title_h: int) -> None:
    """The backdrop at rect, the title and the columns of (key, description) pictures."""
    surface.blit(widgets.panel(rect.size, 2), rect)  # twice: help text needs a darker backdrop
    x, y = rect.x + PAD + 8, rect.y + PAD + 4
    surface.blit(fonts.text(TITLE, fonts.title, TEXT), (x, y))
    y0 = y + title_h + 12
    for i, col in enumerate(texts):
        kw = key_w[i]
        for r, (ks, ds) in enumerate(col):
            surface.blit(ks, (x + kw - ks.get_width(), y0 + r * lh))
            surface.blit(ds, (x + kw + KEY_GAP[min(i, 1)], y0 + r * lh))
        x += widths[i] + COLUMN_GAP
