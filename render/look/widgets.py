"""Small drawing pieces every panel uses: text surfaces (one cache), word wrap, text cut to a
width, panel backgrounds (one cache), a clip context manager, numpy arrays as surfaces.

Cached surfaces are shared: blit them, never draw on them (`make_panel` gives a fresh one).
Caches hold their fonts, so a key never outlives the object it names.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np
import pygame

from render.look.theme import PANEL_EDGE_RGBA, PANEL_RADIUS, PANEL_RGBA, TEXT

TEXT_CACHE_MAX = 2000  # text surfaces kept before the cache is emptied
SURFACE_CACHE_MAX = 128  # panel backgrounds and boxes kept before the cache is emptied
ELLIPSIS = "…"

Color = tuple[int, ...]

_text_cache: dict[tuple, pygame.Surface] = {}
_surface_cache: dict[tuple, pygame.Surface] = {}


# --- text -------------------------------------------------------------------------------------

def _memo(cache: dict, limit: int, key: tuple, build) -> pygame.Surface:
    """cache[key], made by build() on a miss (the cache is emptied once it holds limit)."""
    s = cache.get(key)
    if s is None:
        if len(cache) >= limit:
            cache.clear()
        s = cache[key] = build()
    return s


def text(font: pygame.font.Font, s: str, color: Color = TEXT) -> pygame.Surface:
    """An anti-aliased text surface, cached by (text, font, colour). Do not draw on it."""
    return _memo(_text_cache, TEXT_CACHE_MAX, (s, font, color), lambda: font.render(s, True, color))


def fit_text(font: pygame.font.Font, s: str, width: int) -> str:
    """`s`, or as much of it as fits in `width` pixels followed by an ellipsis."""
    if font.size(s)[0] <= width:
        return s
    lo, hi = 0, len(s)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if font.size(s[:mid].rstrip() + ELLIPSIS)[0] <= width:
            lo = mid
        else:
            hi = mid - 1
    return s[:lo].rstrip() + ELLIPSIS


def wrap_words(words: Sequence[str], font: pygame.font.Font, width: int) -> list[str]:
    """Words greedily packed into lines no wider than width pixels (a word wider than the
    width stands alone on its line); no words -> no lines."""
    lines: list[str] = []
    line = ""
    for w in words:
        trial = f"{line} {w}" if line else w
        if line and font.size(trial)[0] > width:
            lines.append(line)
            line = w
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """Words of text in lines no wider than width pixels: each paragraph (line of text) wraps
    on its own, an empty paragraph is an empty line, a long word stands alone."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines.extend(wrap_words(para.split(), font, width) or [""])
    return lines


def wrapped_lines(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """The whole text as one paragraph (line breaks are spaces) in lines of at most width
    pixels; blank text -> no lines."""
    return wrap_words(text.split(), font, width)


def wrapped_rows(font: pygame.font.Font, text: str, width: int) -> int:
    """How many lines `wrapped_lines` makes of text at this width."""
    return len(wrapped_lines(font, text, width))


# --- panels -----------------------------------------------------------------------------------

def make_panel(size: tuple[int, int]) -> pygame.Surface:
    """A new rounded, semi-transparent dark panel of size (w, h), yours to draw on."""
    s = pygame.Surface(size, pygame.SRCALPHA, 32)
    pygame.draw.rect(s, PANEL_RGBA, s.get_rect(), border_radius=PANEL_RADIUS)
    pygame.draw.rect(s, PANEL_EDGE_RGBA, s.get_rect(), width=1, border_radius=PANEL_RADIUS)
    return s


def _cached(key: tuple, build) -> pygame.Surface:
    return _memo(_surface_cache, SURFACE_CACHE_MAX, key, build)


def panel(size: tuple[int, int], layers: int = 1) -> pygame.Surface:
    """The panel background of size (w, h), cached; layers=2 lays a second panel over the
    first (a darker card for long text). Blit it, never draw on it."""
    size = (int(size[0]), int(size[1]))

    def build() -> pygame.Surface:
        s = make_panel(size)
        for _ in range(layers - 1):
            s.blit(make_panel(size), (0, 0))
        return s

    return _cached(("panel", size, layers), build)


def draw_panel(surface: pygame.Surface, rect: pygame.Rect, layers: int = 1) -> None:
    """The panel background filling rect (nothing when rect is empty)."""
    rect = pygame.Rect(rect)
    if rect.w <= 0 or rect.h <= 0:
        return
    surface.blit(panel(rect.size, layers), rect)


def rounded_box(size: tuple[int, int], rgba: Color, radius: int) -> pygame.Surface:
    """A filled rounded box of size (w, h), cached. Blit it, never draw on it."""
    size = (int(size[0]), int(size[1]))

    def build() -> pygame.Surface:
        s = pygame.Surface(size, pygame.SRCALPHA, 32)
        pygame.draw.rect(s, rgba, s.get_rect(), border_radius=radius)
        return s

    return _cached(("box", size, tuple(rgba), radius), build)


def filled(size: tuple[int, int], rgba: Color) -> pygame.Surface:
    """A see-through layer of size (w, h) in one RGBA colour, cached."""
    size = (int(size[0]), int(size[1]))

    def build() -> pygame.Surface:
        s = pygame.Surface(size, pygame.SRCALPHA, 32)
        s.fill(rgba)
        return s

    return _cached(("fill", size, tuple(rgba)), build)


# --- clipping ---------------------------------------------------------------------------------

@contextmanager
def clip(surface: pygame.Surface, rect: pygame.Rect) -> Iterator[pygame.Rect]:
    """Clip drawing to rect within any clip already set (yields the clip in force); the old
    clip comes back afterwards."""
    old = surface.get_clip()
    inner = pygame.Rect(rect).clip(old)
    surface.set_clip(inner)
    try:
        yield inner
    finally:
        surface.set_clip(old)


def smooth_scale(surface: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    """surface scaled to size (w, h), bilinear where pygame can (24 and 32-bit surfaces), else
    nearest-neighbour."""
    try:
        return pygame.transform.smoothscale(surface, size)
    except (ValueError, pygame.error):
        return pygame.transform.scale(surface, size)


# --- arrays -----------------------------------------------------------------------------------

def rgb_surface(rgb: np.ndarray) -> pygame.Surface:
    """An opaque surface from RGB uint8 [w, h, 3] (x first, as pygame.surfarray wants)."""
    s = pygame.Surface(rgb.shape[:2])
    pygame.surfarray.blit_array(s, rgb)
    return s


def rgba_surface(rgba: np.ndarray) -> pygame.Surface:
    """A per-pixel-alpha surface from RGBA uint8 [w, h, 4] (x first)."""
    s = pygame.Surface(rgba.shape[:2], pygame.SRCALPHA, 32)
    px = pygame.surfarray.pixels3d(s)
    px[...] = rgba[..., :3]
    del px
    pa = pygame.surfarray.pixels_alpha(s)
    pa[...] = rgba[..., 3]
    del pa
    return s
