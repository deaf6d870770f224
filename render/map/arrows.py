"""Arrows drawn with numpy: velocity and −∇V on balls, and a cached −∇V quiver grid.

Lines are rasterized by sampling points every half pixel along each segment, all segments at
once (no Python loop over arrows), and written into the surface's pixels.
"""
from __future__ import annotations

import numpy as np
import pygame

from render.map.sprites import flat_pixels, map_colors
from render.look.theme import FIELD_COLOR, SHADOW
from render.look.view import View

ARROW_MAX = 300  # balls that get arrows (the first ones on screen)
ARROW_LENGTH = 70.0  # pixels: the longest arrow on a ball
CROWD = 60  # more arrows than this are drawn thin
HEAD_LENGTH = 7.0  # pixels
HEAD_ANGLE = np.deg2rad(28.0)
FIELD_SPACING = 44  # pixels between quiver arrows
FIELD_LENGTH = 30.0  # pixels: the longest quiver arrow
SUPERSAMPLE = 3  # the quiver is drawn this much larger, then smooth-scaled (anti-aliased)


def saturate(mag: np.ndarray, ref: float, longest: float) -> np.ndarray:
    """Arrow length in pixels for magnitudes: longest * tanh(sqrt(m / ref)). Grows with m, a
    tenth of ref still shows (a third of the longest), never runs off."""
    ref = ref if np.isfinite(ref) and ref > 0 else 1.0
    with np.errstate(all="ignore"):
        out = longest * np.tanh(np.sqrt(np.maximum(mag, 0.0) / ref))
    return np.where(np.isfinite(out), out, longest * np.isinf(mag))


def arrow_segments(tails: np.ndarray, tips: np.ndarray, head: float = HEAD_LENGTH
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Shaft and two head strokes per arrow: tails, tips [k, 2] -> starts, ends [3k, 2]."""
    d = tips - tails
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1.0
    tails, tips, d, length = tails[ok], tips[ok], d[ok], length[ok]
    u = d / length[:, None]
    h = np.minimum(head, 0.6 * length)[:, None]
    c, s = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    back = -u
    left = np.column_stack([back[:, 0] * c - back[:, 1] * s, back[:, 0] * s + back[:, 1] * c])
    right = np.column_stack([back[:, 0] * c + back[:, 1] * s, -back[:, 0] * s + back[:, 1] * c])
    starts = np.concatenate([tails, tips, tips])
    ends = np.concatenate([tips, tips + h * left, tips + h * right])
    return starts, ends


def sample_segments(starts: np.ndarray, ends: np.ndarray, spacing: float = 0.5
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Points every `spacing` pixels along each segment (ragged, vectorized): -> x, y [m]."""
    if len(starts) == 0:
        return np.zeros(0), np.zeros(0)
    d = ends - starts
    count = np.maximum(np.ceil(np.hypot(d[:, 0], d[:, 1]) / spacing), 1).astype(np.intp) + 1
    owner = np.repeat(np.arange(len(starts)), count)
    first = np.cumsum(count) - count
    t = (np.arange(int(count.sum())) - first[owner]) / (count[owner] - 1).clip(1)
    return starts[owner, 0] + d[owner, 0] * t, starts[owner, 1] + d[owner, 1] * t


def draw_segments(surface: pygame.Surface, starts: np.ndarray, ends: np.ndarray,
                  color: tuple[int, ...], width: int = 2) -> None:
    """Opaque lines `width` (1 or 2) pixels wide into a 32-bit surface."""
    x, y = sample_segments(starts, ends)
    w, h = surface.get_size()
    ix = np.floor(x).astype(np.intp)
    iy = np.floor(y).astype(np.intp)
    keep = (ix >= 0) & (ix < w - 1) & (iy >= 0) & (iy < h - 1)
    ix, iy = ix[keep], iy[keep]
    if len(ix) == 0:
        return
    flat, stride = flat_pixels(surface)
    lin = iy * stride + ix
    mapped = map_colors(surface, [color])[0]
    flat[lin] = mapped
    if width >= 2:
        flat[lin + 1] = mapped
        flat[lin + stride] = mapped
    del flat


def draw_arrows(surface: pygame.Surface, tails: np.ndarray, tips: np.ndarray,
                color: tuple[int, int, int], width: int = 2) -> None:
    """Arrows from tails to tips [k, 2] (pixels), with a dark outline for contrast."""
    if len(tails) == 0:
        return
    starts, ends = arrow_segments(np.asarray(tails, float), np.asarray(tips, float))
    if len(tails) > CROWD:  # many arrows: thin, no shadow (a thick tangle hides the balls)
        draw_segments(surface, starts, ends, color, 1)
        return
    for dx, dy in ((1, 1), (-1, 0), (0, -1)):  # a shadow that keeps arrows readable on yellow
        off = np.array([dx, dy], dtype=float)
        draw_segments(surface, starts + off, ends + off, SHADOW, width)
    draw_segments(surface, starts, ends, color, width)


class FieldOverlay:
    """The −∇V quiver grid as a cached, anti-aliased, semi-transparent surface."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._surface: pygame.Surface | None = None
        self.ref = 1.0  # median |∇V| on the grid (arrow length scale, shared with ball arrows)

    def surface(self, view: View, potential) -> pygame.Surface:
        key = (potential.cache_key, view)
        if key != self._key or self._surface is None:
            self._surface = self._build(view, potential)
            self._key = key
        return self._surface

    def _build(self, view: View, potential) -> pygame.Surface:
        k = SUPERSAMPLE
        gx = np.arange(FIELD_SPACING / 2, view.w, FIELD_SPACING)
        gy = np.arange(FIELD_SPACING / 2, view.h, FIELD_SPACING)
        px, py = np.meshgrid(gx, gy, indexing="ij")
        pix = np.column_stack([px.ravel(), py.ravel()])
        world = view.to_world(pix)
        g = potential.grad(world)
        mag = np.hypot(g[:, 0], g[:, 1])
        finite = np.isfinite(mag)
        self.ref = float(np.median(mag[finite])) if finite.any() else 1.0
        length = saturate(mag, self.ref, FIELD_LENGTH)
        with np.errstate(all="ignore"):
            u = -g / mag[:, None]
        u[~np.isfinite(u)] = 0.0
        u[:, 1] *= -1.0  # world y up -> screen y down
        tails = pix - 0.5 * length[:, None] * u
        tips = pix + 0.5 * length[:, None] * u
        big = pygame.Surface((view.w * k, view.h * k), pygame.SRCALPHA, 32)
        big.fill(FIELD_COLOR[:3] + (0,))  # transparent white: edges average to white, not grey
        starts, ends = arrow_segments(tails * k, tips * k, HEAD_LENGTH * 0.8 * k)
        draw_segments(big, starts, ends, FIELD_COLOR, width=1)
        for off in ((1, 0), (0, 1), (1, 1)):  # k-pixel-wide strokes before the downscale
            o = np.array(off, dtype=float)
            draw_segments(big, starts + o * (k - 1) / 2, ends + o * (k - 1) / 2, FIELD_COLOR, 2)
        return pygame.transform.smoothscale(big, (view.w, view.h))
