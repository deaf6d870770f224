"""Balls and their trails, drawn with numpy (no per-particle Python loop).

`Projector` maps the particles to screen pixels (interpolated between the last two ticks) into
preallocated buffers. `Balls` draws them: an anti-aliased sprite per ball through one
`Surface.blits` call for a few thousand, a numpy splat into the surface's pixels above that.
`Trails` is a fading layer: a uint8 intensity image decayed through a lookup table each tick,
with each ball's path since the last frame stamped in at full strength.
"""
from __future__ import annotations

import numpy as np
import pygame

from render.view import View
from sim.particles import ALIVE

# colour per rule name: warm and light, to stand out on viridis; outlined in dark
RULE_COLORS: dict[str, tuple[int, int, int]] = {
    "gd": (255, 255, 255),
    "momentum": (255, 140, 50),
    "nesterov": (255, 215, 90),
    "adagrad": (130, 225, 255),
    "rmsprop": (175, 150, 255),
    "adam": (255, 95, 215),
    "newton": (255, 72, 64),
    "langevin": (255, 170, 190),
}
OUTLINE = (14, 14, 20)
SPRITE_RADIUS = 5  # pixels
SPRITE_MAX = 2500  # balls drawn as sprites up to this many on screen; splats above
SPLAT_2X2_MAX = 300_000  # 2x2 pixel splats up to this many, single pixels above
TRAIL_DECAY = 0.955  # trail intensity kept per tick (about 1.5 s of trail at 60 ticks/s)
TRAIL_SAMPLES_MAX = 256  # most points stamped along one ball's path in one frame
TRAIL_STAMP_BUDGET = 400_000  # most trail points stamped per frame in all
TRAIL_EXACT_MAX = 5000  # up to this many balls, every path is sampled densely enough


def rule_palette(rules) -> list[tuple[int, int, int]]:
    """Colour of each rule id (World.rules order)."""
    return [RULE_COLORS.get(r.name, (255, 255, 255)) for r in rules]


class Projector:
    """Screen positions of the particles, interpolated: (1 - alpha) prev + alpha pos.

    Buffers grow by doubling and are reused; `sx`, `sy` are float64 [n] pixel coordinates
    (floor gives the pixel), `visible` a bool [n] mask of alive particles on screen.
    """

    def __init__(self) -> None:
        self._cap = 0
        self.n = 0
        self._pixels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._grow(1)

    def _grow(self, n: int) -> None:
        if n <= self._cap and self._cap:
            return
        cap = max(1024, self._cap)
        while cap < n:
            cap *= 2
        self._sx, self._sy = np.empty(cap), np.empty(cap)
        self._tmp = np.empty(cap)
        self._vis = np.empty(cap, dtype=bool)
        self._cap = cap

    def project(self, world, view: View, alpha: float) -> None:
        p = world.particles
        n = p.n
        self._grow(n)
        self.n = n
        sx, sy, tmp, vis = self._sx[:n], self._sy[:n], self._tmp[:n], self._vis[:n]
        pos, prev = p.pos, p.prev
        a = float(alpha)
        for col, out, sign, off in ((0, sx, 1.0, 0.5 * view.w - view.cx * view.scale),
                                    (1, sy, -1.0, 0.5 * view.h + view.cy * view.scale)):
            k = sign * view.scale
            if a >= 1.0:
                np.multiply(pos[:, col], k, out=out)
            elif a <= 0.0:
                np.multiply(prev[:, col], k, out=out)
            else:
                np.multiply(prev[:, col], (1.0 - a) * k, out=out)
                np.multiply(pos[:, col], a * k, out=tmp)
                out += tmp
            out += off
        np.greater_equal(sx, 0.0, out=vis)
        vis &= sx < view.w
        vis &= sy >= 0.0
        vis &= sy < view.h
        vis &= p.status == ALIVE
        self._pixels = None

    @property
    def sx(self) -> np.ndarray:
        return self._sx[: self.n]

    @property
    def sy(self) -> np.ndarray:
        return self._sy[: self.n]

    @property
    def visible(self) -> np.ndarray:
        return self._vis[: self.n]

    def visible_pixels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, ix, iy) of the visible particles: row index into the particles, pixel ints.
        Computed once per projection (balls and trails share it)."""
        if self._pixels is None:
            rows = np.flatnonzero(self.visible)
            ix = self.sx[rows].astype(np.intp)
            iy = self.sy[rows].astype(np.intp)
            self._pixels = (rows, ix, iy)
        return self._pixels

    def nearest(self, px: float, py: float, radius: float) -> int | None:
        """Row of the visible particle nearest to pixel (px, py) within radius, else None."""
        if self.n == 0:
            return None
        dx = self.sx - px
        dy = self.sy - py
        d2 = dx * dx + dy * dy
        d2[~self.visible] = np.inf
        k = int(np.argmin(d2))
        return k if d2[k] <= radius * radius else None


def flat_pixels(surface: pygame.Surface) -> tuple[np.ndarray, int]:
    """A writable flat uint32 view of a 32-bit surface's pixels, and its row stride in pixels.
    Index = row * stride + column. Lock held while the array lives."""
    arr = pygame.surfarray.pixels2d(surface)  # [w, h], strides (4, pitch)
    stride = surface.get_pitch() // 4
    flat = np.lib.stride_tricks.as_strided(arr, shape=(stride * (surface.get_height() - 1)
                                                       + surface.get_width(),),
                                           strides=(4,), writeable=True)
    return flat, stride


def map_colors(surface: pygame.Surface, colors) -> np.ndarray:
    """Colours as the surface's uint32 pixel values (map_rgb can return them signed)."""
    return np.array([surface.map_rgb(c) & 0xFFFFFFFF for c in colors], dtype=np.uint32)


def make_sprite(color: tuple[int, int, int], radius: int = SPRITE_RADIUS) -> pygame.Surface:
    """An anti-aliased ball with a dark rim and a small highlight (drawn 4x, smooth-scaled)."""
    k = 4
    size = 2 * radius + 3
    big = pygame.Surface((size * k, size * k), pygame.SRCALPHA)
    c = (size * k // 2, size * k // 2)
    pygame.draw.circle(big, OUTLINE + (235,), c, (radius + 1) * k)
    pygame.draw.circle(big, color, c, radius * k - k // 2)
    hl = tuple(min(255, int(v + (255 - v) * 0.65)) for v in color)
    pygame.draw.circle(big, hl, (c[0] - radius * k // 3, c[1] - radius * k // 3), max(k, radius * k // 3))
    return pygame.transform.smoothscale(big, (size, size))


class Balls:
    """Draws balls: sprites via one Surface.blits call (few), numpy splats (many)."""

    def __init__(self) -> None:
        self._sprites: dict[tuple[int, int, int], pygame.Surface] = {}

    def sprite(self, color: tuple[int, int, int]) -> pygame.Surface:
        s = self._sprites.get(color)
        if s is None:
            s = self._sprites[color] = make_sprite(color)
        return s

    def draw(self, surface: pygame.Surface, proj: Projector, rule_ids: np.ndarray,
             palette: list[tuple[int, int, int]]) -> int:
        """Draw every visible ball; returns how many were drawn."""
        rows = proj.visible_pixels()[0]
        k = len(rows)
        if k == 0:
            return 0
        if k <= SPRITE_MAX:
            sprites = [self.sprite(c) for c in palette]
            half = sprites[0].get_width() // 2
            xy = np.empty((k, 2), dtype=np.intp)
            np.floor(proj.sx[rows], out=xy[:, 0], casting="unsafe")
            np.floor(proj.sy[rows], out=xy[:, 1], casting="unsafe")
            xy -= half
            ids = rule_ids[rows].tolist()
            surface.blits(zip(map(sprites.__getitem__, ids), xy.tolist()), doreturn=False)
            return k
        _, ix, iy = proj.visible_pixels()
        mapped = map_colors(surface, palette)
        colors = mapped[rule_ids[rows]] if len(palette) > 1 else mapped[0]
        flat, stride = flat_pixels(surface)
        lin = iy * stride + ix
        if k <= SPLAT_2X2_MAX:
            w, h = surface.get_size()
            np.minimum(lin, len(flat) - 1, out=lin)
            # 2x2: the pixel, right, below, below-right (clipped at the right / bottom edge)
            right = np.where(ix < w - 1, 1, 0)
            down = np.where(iy < h - 1, stride, 0)
            for off in (0, right, down, right + down):
                flat[lin + off] = colors
        else:
            flat[lin] = colors
        del flat
        return k


class Trails:
    """A fading trail layer the size of the window (uint8 intensity + colour per pixel)."""

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None
        self.layer: pygame.Surface | None = None
        self.intensity: np.ndarray | None = None  # uint8 [h, w] (row-major, like the pixels)
        self._lut_ticks = -1
        self._lut = np.arange(256, dtype=np.uint8)
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # last frame's sx, sy [n]
        self._last_n = -1
        self._fill: tuple[int, int, int] | None = None  # the RGB the whole layer holds, if one

    def reset(self, size: tuple[int, int] | None = None) -> None:
        """Clear the trails (view or size changed, balls cleared)."""
        if size is not None and size != self.size:
            self.size = size
            self.layer = pygame.Surface(size, pygame.SRCALPHA, 32)
            self.intensity = np.zeros((size[1], size[0]), dtype=np.uint8)
        if self.layer is not None:
            self.layer.fill((0, 0, 0, 0))
            self._fill = None
            self.intensity[...] = 0
        self._last = None

    def forget_paths(self) -> None:
        """The next frame stamps points only (particles were added or removed)."""
        self._last = None

    def fade(self, ticks: int) -> None:
        """Decay the intensity by TRAIL_DECAY per tick."""
        if ticks <= 0 or self.intensity is None:
            return
        if ticks != self._lut_ticks:
            self._lut = np.floor(np.arange(256) * TRAIL_DECAY ** ticks).astype(np.uint8)
            self._lut_ticks = ticks
        np.take(self._lut, self.intensity, out=self.intensity)

    def stamp(self, proj: Projector, rule_ids: np.ndarray, palette) -> None:
        """Stamp each visible ball's path since the last frame at full strength."""
        if self.layer is None:
            return
        w, h = self.size
        n = proj.n
        sx, sy = proj.sx, proj.sy
        one_color = len(palette) == 1
        paths = n <= TRAIL_STAMP_BUDGET  # beyond: one point per ball and frame is the budget
        if paths and self._last is not None and len(self._last[0]) == n and n:
            lx, ly = self._last
            rows = np.flatnonzero(proj.visible & np.isfinite(lx))
            x0, y0 = lx[rows], ly[rows]
            dx, dy = sx[rows] - x0, sy[rows] - y0
            length = np.maximum(np.abs(dx), np.abs(dy))
            cap = int(min(TRAIL_SAMPLES_MAX, max(1, TRAIL_STAMP_BUDGET // max(len(rows), 1))))
            if len(rows) == 0:
                steps = 1
            elif len(rows) <= TRAIL_EXACT_MAX:
                steps = int(min(cap, max(1.0, np.ceil(length.max()))))
            else:  # many balls: enough samples for most of them, the fastest few dot
                sample = length[:: max(1, len(length) // 4096)]
                steps = int(min(cap, max(1.0, np.ceil(np.percentile(sample, 90)))))
            t = (np.arange(1, steps + 1) / steps)[:, None]  # (0, 1] along each path
            px = (x0 + dx * t).ravel()
            py = (y0 + dy * t).ravel()
            keep = (px >= 0) & (px < w) & (py >= 0) & (py < h)
            ix = px[keep].astype(np.intp)
            iy = py[keep].astype(np.intp)
            ids = None if one_color else np.tile(rule_ids[rows], steps)[keep]
        else:
            rows, ix, iy = proj.visible_pixels()
            ids = None if one_color else rule_ids[rows]
        if paths:
            self._remember(sx, sy, proj.visible)
        else:
            self._last = None
        if len(ix) == 0:
            return
        if len(rows) <= SPRITE_MAX:  # few balls: 2-pixel trails (the sprites are big too)
            ix = np.concatenate([ix, np.minimum(ix + 1, w - 1), ix])
            iy = np.concatenate([iy, iy, np.minimum(iy + 1, h - 1)])
            ids = None if ids is None else np.concatenate([ids, ids, ids])
        self.intensity.reshape(-1)[iy * w + ix] = 255
        if ids is None:  # one colour: the layer's RGB is filled once, only intensity is written
            if self._fill != palette[0]:
                self.layer.fill(tuple(palette[0]) + (0,))
                self._fill = palette[0]
            return
        self._fill = None
        mapped = map_colors(self.layer, [c + (255,) for c in palette])
        flat, stride = flat_pixels(self.layer)
        flat[iy * stride + ix] = mapped[ids]
        del flat

    def _remember(self, sx: np.ndarray, sy: np.ndarray, visible: np.ndarray) -> None:
        n = len(sx)
        if self._last is None or len(self._last[0]) != n:
            self._last = (np.empty(n), np.empty(n))
        lx, ly = self._last
        np.copyto(lx, sx)
        np.copyto(ly, sy)
        lx[~visible] = np.nan

    def draw(self, surface: pygame.Surface) -> None:
        if self.layer is None:
            return
        alpha = pygame.surfarray.pixels_alpha(self.layer)
        alpha.T[...] = self.intensity
        del alpha
        surface.blit(self.layer, (0, 0))
