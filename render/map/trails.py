"""Fading trails: every ball's path stamped into an image that fades each tick."""
from __future__ import annotations

import numpy as np
import pygame

from render.map.projector import Projector
from render.map.sprites import SPRITE_MAX, alpha_blend, blend_matches_blit, flat_alpha, flat_pixels, map_colors


TRAIL_DECAY = 0.955  # trail intensity kept per tick (about 1.5 s of trail at 60 ticks/s)
TRAIL_SAMPLES_MAX = 256  # most points stamped along one ball's path in one frame
TRAIL_STAMP_BUDGET = 400_000  # most trail points stamped per frame in all
TRAIL_EXACT_MAX = 5000  # up to this many balls, every path is sampled densely enough
SPARSE_ON = 1 / 16  # trails keep only the lit pixels once fewer than this share is lit ...
SPARSE_OFF = 1 / 10  # ... and the whole image again once more would be (break-even ~1/13)
STAMP_CHUNK = 65536  # paths per block when sampling trails (keeps the temporaries in cache)
TILE = 32  # pixels: the sparse trail layer is blitted in tiles of this size that hold a lit one


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
