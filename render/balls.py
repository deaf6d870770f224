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

from render.theme import BALL_OUTLINE as OUTLINE, RULE_COLORS, UNKNOWN_RULE_COLOR  # noqa: F401
from render.view import View
from sim.particles import DIVERGED

PROJECT_CHUNK = 65536  # particles per block when projecting (keeps the temporaries in cache)
SPRITE_RADIUS = 5  # pixels
SPRITE_MAX = 2500  # balls drawn as sprites up to this many on screen; splats above
SPLAT_2X2_MAX = 300_000  # 2x2 pixel splats up to this many, single pixels above
TRAIL_DECAY = 0.955  # trail intensity kept per tick (about 1.5 s of trail at 60 ticks/s)
TRAIL_SAMPLES_MAX = 256  # most points stamped along one ball's path in one frame
TRAIL_STAMP_BUDGET = 400_000  # most trail points stamped per frame in all
TRAIL_EXACT_MAX = 5000  # up to this many balls, every path is sampled densely enough
SPARSE_ON = 1 / 16  # trails keep only the lit pixels once fewer than this share is lit ...
SPARSE_OFF = 1 / 10  # ... and the whole image again once more would be (break-even ~1/13)
STAMP_CHUNK = 65536  # paths per block when sampling trails (keeps the temporaries in cache)
TILE = 32  # pixels: the sparse trail layer is blitted in tiles of this size that hold a lit one


# later rules with a name already taken (race lanes of one rule with other parameters, twins)
# get these shades of the rule's colour: (mix with white or black, how much)
SHADES = (("white", 0.5), ("black", 0.4), ("white", 0.75), ("black", 0.6))


def shade_of(color: tuple[int, int, int], k: int) -> tuple[int, int, int]:
    """The k-th colour of a rule: k = 0 the rule's own, then lighter and darker shades."""
    if k <= 0:
        return tuple(color)
    toward, amount = SHADES[(k - 1) % len(SHADES)]
    target = 255 if toward == "white" else 0
    out = tuple(int(round(c + (target - c) * amount)) for c in color)
    if max(abs(a - b) for a, b in zip(out, color)) < 60:  # white can't get lighter: go darker
        out = tuple(int(round(c + ((255 - target) - c) * amount)) for c in color)
    return out


def rule_palette(rules) -> list[tuple[int, int, int]]:
    """Colour of each rule id (World.rules order): the rule's colour for the first rule of
    each name, shades of it for later ones, so lanes that differ only in parameters (the
    overdamped lesson's three masses) can be told apart."""
    seen: dict[str, int] = {}
    out = []
    for r in rules:
        k = seen.get(r.name, 0)
        seen[r.name] = k + 1
        out.append(shade_of(RULE_COLORS.get(r.name, UNKNOWN_RULE_COLOR), k))
    return out


class Projector:
    """Screen positions of the particles, interpolated: (1 - alpha) prev + alpha pos.

    Buffers grow by doubling and are reused; `sx`, `sy` are float64 [n] pixel coordinates
    (floor gives the pixel), `visible` a bool [n] mask of alive particles on screen. One
    pass in cache-sized chunks computes them and the integer pixels (ix, iy) of every ball.
    """

    def __init__(self) -> None:
        self._cap = 0
        self.n = 0
        self._pixels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lin: dict[int, np.ndarray] = {}
        self._n_visible = 0
        self._grow(1)

    def _grow(self, n: int) -> None:
        if n <= self._cap and self._cap:
            return
        cap = max(1024, self._cap)
        while cap < n:
            cap *= 2
        self._sx, self._sy = np.empty(cap), np.empty(cap)
        self._ix, self._iy = np.empty(cap, dtype=np.intp), np.empty(cap, dtype=np.intp)
        self._rows = np.arange(cap, dtype=np.intp)
        self._tmp = np.empty(min(cap, PROJECT_CHUNK))
        self._vis = np.empty(cap, dtype=bool)
        self._btmp = np.empty(min(cap, PROJECT_CHUNK), dtype=bool)
        self._cap = cap

    def project(self, world, view: View, alpha: float) -> None:
        p = world.particles
        n = p.n
        self._grow(n)
        self.n = n
        pos, prev, status = p.pos, p.prev, p.status
        a = float(alpha)
        cols = ((0, self._sx, view.scale, 0.5 * view.w - view.cx * view.scale),
                (1, self._sy, -view.scale, 0.5 * view.h + view.cy * view.scale))
        w, h = view.w, view.h
        with np.errstate(invalid="ignore"):  # off-screen balls may be far out or not finite
            for i in range(0, n, PROJECT_CHUNK):
                j = min(i + PROJECT_CHUNK, n)
                tmp, btmp = self._tmp[: j - i], self._btmp[: j - i]
                for col, full, k, off in cols:
                    out = full[i:j]
                    if a >= 1.0:
                        np.multiply(pos[i:j, col], k, out=out)
                    elif a <= 0.0:
                        np.multiply(prev[i:j, col], k, out=out)
                    else:
                        np.multiply(prev[i:j, col], (1.0 - a) * k, out=out)
                        np.multiply(pos[i:j, col], a * k, out=tmp)
                        out += tmp
                    out += off
                sx, sy, vis = self._sx[i:j], self._sy[i:j], self._vis[i:j]
                np.greater_equal(sx, 0.0, out=vis)
                vis &= np.less(sx, w, out=btmp)
                vis &= np.greater_equal(sy, 0.0, out=btmp)
                vis &= np.less(sy, h, out=btmp)
                vis &= np.not_equal(status[i:j], DIVERGED, out=btmp)  # undefined: shown where it stopped
                np.copyto(self._ix[i:j], sx, casting="unsafe")  # truncation: the pixel
                np.copyto(self._iy[i:j], sy, casting="unsafe")
        self._n_visible = int(np.count_nonzero(self._vis[:n]))
        self._pixels = None
        self._lin = {}

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
        Computed once per projection (balls and trails share it); read-only views."""
        if self._pixels is None:
            n = self.n
            if self._n_visible == n:
                self._pixels = (self._rows[:n], self._ix[:n], self._iy[:n])
            else:
                rows = np.flatnonzero(self.visible)
                self._pixels = (rows, self._ix[rows], self._iy[rows])
        return self._pixels

    def visible_lin(self, stride: int) -> np.ndarray:
        """Flat pixel index iy * stride + ix of each visible particle (shared, read-only)."""
        lin = self._lin.get(stride)
        if lin is None:
            _, ix, iy = self.visible_pixels()
            lin = self._lin[stride] = iy * stride
            lin += ix
        return lin

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


class Trails:
    """A fading trail layer the size of the window (uint8 intensity + colour per pixel).

    Two ways to keep it, the same pixels either way. Dense: the whole image is faded, copied
    into the layer's alpha and blitted (cost per pixel of the window). Sparse, while few pixels
    are lit (balls resting in a valley, a handful of balls): `_live` lists every lit pixel,
    only those are faded and written, and only the TILE x TILE tiles that hold one are blitted
    (cost per lit pixel). The layer's alpha equals `intensity` wherever it is blitted.
    """

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None
        self.layer: pygame.Surface | None = None
        self.intensity: np.ndarray | None = None  # uint8 [h, w] (row-major, like the pixels)
        self._lut_ticks = -1
        self._lut = np.arange(256, dtype=np.uint8)
        self._lut_f32: np.float32 | None = None  # floor(i * this) in float32 == _lut[i], if any
        self._f32: np.ndarray | None = None  # float32 [h, w] scratch for the dense fade
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # last frame's sx, sy [n]
        self._last_n = -1
        self._fill: tuple[int, int, int] | None = None  # the RGB the whole layer holds, if one
        self._live: np.ndarray | None = None  # intp flat indices of the lit pixels (sparse mode)
        self._slot: np.ndarray | None = None  # intp [h * w] scratch: one of each new pixel
        self._flat_ok = False  # the layer's rows are packed (pitch = 4 w): flat indices agree
        self._bufs: dict[str, np.ndarray] = {}
        self._kept: np.ndarray | slice = slice(None)

    def reset(self, size: tuple[int, int] | None = None) -> None:
        """Clear the trails (view or size changed, balls cleared)."""
        if size is not None and size != self.size:
            self.size = size
            self.layer = pygame.Surface(size, pygame.SRCALPHA, 32)
            self.intensity = np.zeros((size[1], size[0]), dtype=np.uint8)
            self._f32 = None
            self._slot = None
            self._flat_ok = self.layer.get_pitch() == 4 * size[0]
        if self.layer is not None:
            self.layer.fill((0, 0, 0, 0))
            self._fill = None
            self.intensity[...] = 0
            self._live = np.zeros(0, dtype=np.intp) if self._flat_ok and SPARSE_ON > 0 else None
        self._last = None

    def forget_paths(self) -> None:
        """The next frame stamps points only (particles were added or removed)."""
        self._last = None

    @property
    def sparse(self) -> bool:
        """Whether only the lit pixels are being kept (see the class docstring)."""
        return self._live is not None

    def _set_lut(self, ticks: int) -> None:
        if ticks == self._lut_ticks:
            return
        self._lut = np.floor(np.arange(256) * TRAIL_DECAY ** ticks).astype(np.uint8)
        self._lut_ticks = ticks
        # the same table as one float32 multiply (truncated), when some float32 factor gives
        # exactly these 256 values: three times cheaper than a table look-up per pixel
        self._lut_f32 = None
        i = np.arange(256, dtype=np.float32)
        c = np.float32(TRAIL_DECAY ** ticks)
        for k in (0, 1, -1, 2, -2, 3, -3):
            ck = np.float32(c + np.float32(k) * np.spacing(c))
            if np.array_equal((i * ck).astype(np.uint8), self._lut):
                self._lut_f32 = ck
                break

    def fade(self, ticks: int) -> None:
        """Decay the intensity by TRAIL_DECAY per tick."""
        if ticks <= 0 or self.intensity is None:
            return
        self._set_lut(ticks)
        if self._live is not None:
            live = self._live
            flat = self.intensity.reshape(-1)
            v = np.take(self._lut, flat[live])
            flat[live] = v
            lit = v != 0
            dark = live[~lit]
            if len(dark):  # draw writes the alpha of the lit ones
                alpha = flat_alpha(self.layer)
                alpha[dark] = 0
                del alpha
                self._live = live[lit]
            return
        if self._lut_f32 is None:
            np.take(self._lut, self.intensity, out=self.intensity)
            return
        if self._f32 is None:
            self._f32 = np.empty(self.intensity.shape, dtype=np.float32)
        np.multiply(self.intensity, self._lut_f32, out=self._f32)
        np.copyto(self.intensity, self._f32, casting="unsafe")  # truncation = floor here

    def stamp(self, proj: Projector, rule_ids: np.ndarray, palette) -> None:
        """Stamp each visible ball's path since the last frame at full strength."""
        if self.layer is None:
            return
        w, h = self.size
        n = proj.n
        sx, sy = proj.sx, proj.sy
        one_color = len(palette) == 1
        paths = n <= TRAIL_STAMP_BUDGET  # beyond: one point per ball and frame is the budget
        ix = iy = None
        if paths and self._last is not None and len(self._last[0]) == n and n:
            lx, ly = self._last
            rows = np.flatnonzero(proj.visible & np.isfinite(lx))
            few = len(rows) <= SPRITE_MAX
            lin, ix, iy, steps = self._path_samples(rows, lx, ly, sx, sy,
                                                    few or not self._flat_ok)
            ids = None if one_color else np.tile(rule_ids[rows], steps)[self._kept]
        else:
            rows, ix, iy = proj.visible_pixels()
            few = len(rows) <= SPRITE_MAX
            ids = None if one_color else rule_ids[rows]
            lin = None if few else proj.visible_lin(w)
        if paths:
            self._remember(sx, sy, proj.visible)
        else:
            self._last = None
        if len(rows) == 0:
            return
        if few:  # few balls: 2-pixel trails (the sprites are big too)
            ix = np.concatenate([ix, np.minimum(ix + 1, w - 1), ix])
            iy = np.concatenate([iy, iy, np.minimum(iy + 1, h - 1)])
            ids = None if ids is None else np.concatenate([ids, ids, ids])
            lin = iy * w
            lin += ix
        if len(lin) == 0:
            return
        self._light(lin)
        if ids is None:  # one colour: the layer's RGB is filled once, only intensity is written
            if self._fill != palette[0]:
                self.layer.fill(tuple(palette[0]) + (0,))  # alpha 0: draw writes it back
                self._fill = palette[0]
            return
        self._fill = None
        mapped = map_colors(self.layer, [c + (255,) for c in palette])
        flat, stride = flat_pixels(self.layer)
        if stride != w:
            lin = iy * stride + ix
        flat[lin] = mapped[ids]
        del flat

    def _scratch(self, name: str, size: int, dtype) -> np.ndarray:
        """A reusable buffer of at least size elements (grown by doubling)."""
        buf = self._bufs.get(name)
        if buf is None or len(buf) < size:
            buf = self._bufs[name] = np.empty(max(size, 2 * (0 if buf is None else len(buf))),
                                              dtype=dtype)
        return buf[:size]

    def _path_samples(self, rows: np.ndarray, lx: np.ndarray, ly: np.ndarray, sx: np.ndarray,
                      sy: np.ndarray, with_xy: bool):
        """Pixels sampled along each row's path from (lx, ly) to (sx, sy): `steps` points per
        path at t = 1/steps, ..., 1 (x0 + dx t in float64, truncated), all rows for one t,
        then the next t. Returns (lin, ix, iy, steps): flat indices iy * w + ix, and ix, iy
        themselves when with_xy (else None). Samples off screen (a path ending on the border
        can round past it) are dropped; `_kept` says which of the steps x len(rows) survived
        (a mask, or a slice when all did). Works in cache-sized blocks of rows."""
        w, h = self.size
        k = len(rows)
        if k == len(sx):  # every ball: no gathers
            x0, y0, x1, y1 = lx, ly, sx, sy
        else:
            x0, y0, x1, y1 = lx[rows], ly[rows], sx[rows], sy[rows]
        cap = int(min(TRAIL_SAMPLES_MAX, max(1, TRAIL_STAMP_BUDGET // max(k, 1))))
        if k == 0:
            steps = 1
        else:
            st = 1 if k <= TRAIL_EXACT_MAX else max(1, k // 4096)
            length = np.abs(x1[::st] - x0[::st])
            np.maximum(length, np.abs(y1[::st] - y0[::st]), out=length)
            if k <= TRAIL_EXACT_MAX:
                steps = int(min(cap, max(1.0, np.ceil(length.max()))))
            else:  # many balls: enough samples for most of them, the fastest few dot
                steps = int(min(cap, max(1.0, np.ceil(np.percentile(length, 90)))))
        t = np.arange(1, steps + 1) / steps  # (0, 1] along each path
        total = steps * k
        lin = self._scratch("lin", total, np.intp)
        ixo = self._scratch("ix", total, np.intp) if with_xy else None
        iyo = self._scratch("iy", total, np.intp) if with_xy else None
        keep = None
        c = min(STAMP_CHUNK, max(k, 1))
        dx, dy = self._scratch("dx", c, np.float64), self._scratch("dy", c, np.float64)
        bx, by = self._scratch("bx", c, np.float64), self._scratch("by", c, np.float64)
        jx, jy = self._scratch("jx", c, np.intp), self._scratch("jy", c, np.intp)
        for i in range(0, k, STAMP_CHUNK):
            j = min(i + STAMP_CHUNK, k)
            m = j - i
            x0c, y0c = x0[i:j], y0[i:j]
            dxc = np.subtract(x1[i:j], x0c, out=dx[:m])
            dyc = np.subtract(y1[i:j], y0c, out=dy[:m])
            px, py, qx, qy = bx[:m], by[:m], jx[:m], jy[:m]
            for s in range(steps):
                if t[s] == 1.0:  # x0 + dx * 1.0 is x0 + dx exactly
                    np.add(dxc, x0c, out=px)
                    np.add(dyc, y0c, out=py)
                else:
                    np.multiply(dxc, t[s], out=px)
                    px += x0c
                    np.multiply(dyc, t[s], out=py)
                    py += y0c
                o = s * k + i
                if px.min() < 0 or px.max() >= w or py.min() < 0 or py.max() >= h:
                    if keep is None:
                        keep = np.ones(total, dtype=bool)
                    ok = keep[o:o + m]
                    np.greater_equal(px, 0, out=ok)
                    ok &= px < w
                    ok &= py >= 0
                    ok &= py < h
                np.copyto(qx, px, casting="unsafe")  # truncation: the pixel
                np.copyto(qy, py, casting="unsafe")
                out = lin[o:o + m]
                np.multiply(qy, w, out=out)
                out += qx
                if with_xy:
                    ixo[o:o + m] = qx
                    iyo[o:o + m] = qy
        self._kept = slice(None)
        if keep is not None:
            lin = lin[keep]
            if with_xy:
                ixo, iyo = ixo[keep], iyo[keep]
            self._kept = keep
        return lin, ixo, iyo, steps

    def _light(self, lin: np.ndarray) -> None:
        """Set the pixels at flat indices lin (any order, repeats allowed) to full intensity."""
        flat = self.intensity.reshape(-1)
        live = self._live
        if live is None:
            flat[lin] = 255
            return
        fresh = lin[flat[lin] == 0]  # not lit yet (may repeat)
        flat[lin] = 255
        if len(fresh):
            if self._slot is None:
                self._slot = np.empty(len(flat), dtype=np.intp)
            order = np.arange(len(fresh))
            self._slot[fresh] = order
            fresh = fresh[self._slot[fresh] == order]  # one of each pixel
            if len(live) + len(fresh) > len(flat) * SPARSE_OFF:  # too many: the whole image
                self._live = None
                return
            self._live = np.concatenate([live, fresh])

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
        if self._live is None:
            alpha = pygame.surfarray.pixels_alpha(self.layer)
            alpha.T[...] = self.intensity
            del alpha
            surface.blit(self.layer, (0, 0))
            if self._flat_ok and np.count_nonzero(self.intensity) < self.intensity.size * SPARSE_ON:
                self._live = np.flatnonzero(self.intensity.reshape(-1) != 0)  # few lit: go sparse
            return
        live = self._live
        if len(live) == 0:
            return
        if blend_matches_blit(surface, self.layer):  # few pixels: blend them in numpy
            w = self.size[0]
            dst, stride = flat_pixels(surface)
            at = live if stride == w else (live // w) * stride + live % w
            dst[at] = alpha_blend(dst[at], flat_pixels(self.layer)[0][live],
                                  self.intensity.reshape(-1)[live], surface.get_shifts(),
                                  self.layer.get_shifts())
            del dst
            return
        alpha = flat_alpha(self.layer)
        alpha[live] = self.intensity.reshape(-1)[live]
        del alpha
        # blit the tiles that hold a lit pixel, runs of neighbours in a tile row as one rect
        w, h = self.size
        T = TILE
        ntx = -(-w // T)
        rows_t = live // (w * T)
        cols_t = (live % w) // T
        grid = np.zeros((-(-h // T), ntx + 1), dtype=np.int8)
        grid[rows_t, cols_t] = 1
        edges = np.diff(grid, axis=1, prepend=0)
        ry, rx0 = np.nonzero(edges == 1)
        rx1 = np.nonzero(edges == -1)[1]
        layer = self.layer
        surface.blits([(layer, (x0 * T, y * T), (x0 * T, y * T, (x1 - x0) * T, T))
                       for y, x0, x1 in zip(ry.tolist(), rx0.tolist(), rx1.tolist())],
                      doreturn=False)


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
