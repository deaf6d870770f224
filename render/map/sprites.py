"""Balls as sprites or splats, and the pixel helpers they and the trails share."""
from __future__ import annotations

import numpy as np
import pygame

from render.look.theme import BALL_OUTLINE as OUTLINE
from render.map.projector import Projector


SPRITE_RADIUS = 5  # pixels
SPRITE_MAX = 2500  # balls drawn as sprites up to this many on screen; splats above
SPLAT_2X2_MAX = 300_000  # 2x2 pixel splats up to this many, single pixels above


def flat_pixels(surface: pygame.Surface) -> tuple[np.ndarray, int]:
    """A writable flat uint32 view of a 32-bit surface's pixels, and its row stride in pixels.
    Index = row * stride + column. Lock held while the array lives."""
    arr = pygame.surfarray.pixels2d(surface)  # [w, h], strides (4, pitch)
    stride = surface.get_pitch() // 4
    flat = np.lib.stride_tricks.as_strided(arr, shape=(stride * (surface.get_height() - 1)
                                                       + surface.get_width(),),
                                           strides=(4,), writeable=True)
    return flat, stride


def flat_alpha(surface: pygame.Surface) -> np.ndarray:
    """A writable flat view of the alpha bytes of a 32-bit surface whose rows are packed
    (pitch = 4 w), index = row * w + column. Lock held while the array lives."""
    alpha = pygame.surfarray.pixels_alpha(surface)  # [w, h], strides (4, pitch)
    w, h = surface.get_size()
    return np.lib.stride_tricks.as_strided(alpha, shape=(w * h,), strides=(4,), writeable=True)


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
        lin = proj.visible_lin(stride)
        flat[lin] = colors
        if k <= SPLAT_2X2_MAX:
            # 2x2: the pixel, right, below, below-right (clipped at the right / bottom edge),
            # each a pass over all balls in this order (later passes win where balls overlap)
            w, h = surface.get_size()
            at_right = ix >= w - 1  # no column to the right: that write stays on the pixel
            at_bottom = iy >= h - 1
            right = lin + 1
            if at_right.any():
                right[at_right] -= 1
            down = lin + stride
            if at_bottom.any():
                down[at_bottom] -= stride
            flat[right] = colors
            flat[down] = colors
            right += down
            right -= lin  # below-right
            flat[right] = colors
        del flat
        return k


def alpha_blend(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray, dst_shifts, src_shifts) -> np.ndarray:
    """pygame's per-pixel alpha blit, pixel by pixel: dst, src uint32 [m] pixels, alpha [m] ->
    the new dst pixels [m]: each colour channel d + (((s - d) a + s) >> 8), other bits 0.
    `blend_matches_blit` checks it against a real blit before it stands in for one."""
    a = alpha.astype(np.int32)
    out = np.zeros(len(dst), dtype=np.uint32)
    for ds, ss in zip(dst_shifts[:3], src_shifts[:3]):
        d = ((dst >> np.uint32(ds)) & np.uint32(255)).astype(np.int32)
        c = ((src >> np.uint32(ss)) & np.uint32(255)).astype(np.int32)
        c -= d
        c *= a
        c += (src >> np.uint32(ss)) & np.uint32(255)
        c >>= 8
        c += d
        out |= c.astype(np.uint32) << np.uint32(ds)
    return out


_BLEND_CHECKED: dict[tuple, bool] = {}


def blend_matches_blit(surface: pygame.Surface, layer: pygame.Surface) -> bool:
    """Whether `alpha_blend` gives exactly the bytes that blitting `layer` (per-pixel alpha)
    onto `surface` gives, for these two pixel formats with this pygame: tried once per pair
    of formats on random pixels, every alpha, and a width that leaves a remainder for any
    SIMD width. Only for 32-bit destinations without alpha (the window, offscreen frames)."""
    key = (surface.get_bitsize(), surface.get_masks(), surface.get_flags() & pygame.SRCALPHA,
           layer.get_bitsize(), layer.get_masks(), pygame.version.ver)
    ok = _BLEND_CHECKED.get(key)
    if ok is None:
        ok = False
        if surface.get_bitsize() == 32 and surface.get_masks()[3] == 0 and layer.get_bitsize() == 32:
            w, h = 263, 8
            rng = np.random.default_rng(12345)
            d = pygame.Surface((w, h), 0, surface)
            s = pygame.Surface((w, h), layer.get_flags(), layer)
            dp = pygame.surfarray.pixels2d(d)
            dp[...] = rng.integers(0, 2**32, (w, h), dtype=np.uint32)
            before = dp.copy()
            del dp
            sp = pygame.surfarray.pixels2d(s)
            sp[...] = rng.integers(0, 2**32, (w, h), dtype=np.uint32)
            sp[: 256, 0] = (sp[: 256, 0] & np.uint32(0x00FFFFFF)) | (np.arange(256, dtype=np.uint32) << 24)
            src = sp.copy()
            del sp
            alpha = pygame.surfarray.array_alpha(s)
            d.blit(s, (0, 0))
            after = pygame.surfarray.array2d(d).astype(np.uint32)
            lit = alpha.ravel() > 0
            want = alpha_blend(before.ravel()[lit], src.ravel()[lit], alpha.ravel()[lit],
                               d.get_shifts(), s.get_shifts())
            ok = bool(np.array_equal(after.ravel()[lit], want))
        _BLEND_CHECKED[key] = ok
    return ok
