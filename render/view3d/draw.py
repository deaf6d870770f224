"""The 3D view on screen (pygame): the cached picture of the surface with its minima, and the
balls on it through `Projector3D` (the map's Projector filled with 3D pixels, so the map's
ball sprites and splats, trails, twin rings and picking all work unchanged).

The picture is rebuilt only when the landscape, the map's view (the box), the camera or the
size change; while the camera moves it is computed at 1/2 to 1/4 resolution (coarser while
a moving picture takes longer than MOVING_BUDGET) and scaled.
"""
from __future__ import annotations

import time

import numpy as np
import pygame

from render.look import colormap
from render.map.projector import Projector
from render.map.landscape import MINIMUM_RADIUS
from render.look.theme import MINIMUM_CROSS, MINIMUM_GLOBAL, MINIMUM_LOCAL, MINIMUM_RIM
from render.view3d import raster as rz
from render.view3d import surface as sf
from render.view3d.camera import OrbitCamera, height_of
from sim.core.particles import DIVERGED

BACKGROUND = (18, 19, 28)
WALL_DARKEN = 0.42  # the box's side wall: the edge's colour times this
MOVING_FACTOR = 2  # raster resolution divisor while the camera moves (at least) ...
MOVING_FACTOR_MAX = 4  # ... and at most: it grows while a moving picture takes longer than
MOVING_BUDGET = 0.008  # this many seconds (a busy machine), and shrinks back when quick


def pack(rgb: np.ndarray, surface: pygame.Surface) -> np.ndarray:
    """RGB uint8 [..., 3] -> the surface's uint32 pixel values [...]."""
    sh = surface.get_shifts()
    rgb = rgb.astype(np.uint32)
    return (rgb[..., 0] << np.uint32(sh[0])) | (rgb[..., 1] << np.uint32(sh[1])) \
        | (rgb[..., 2] << np.uint32(sh[2]))


class Picture:
    """The surface's picture for (landscape, box, camera, size), cached; `raster` its y-buffer."""

    def __init__(self) -> None:
        self.surface_key: tuple | None = None
        self.surf: sf.Surface | None = None
        self._packed: tuple | None = None  # (format key, colours, walls, background)
        self.key: tuple | None = None
        self.image: pygame.Surface | None = None
        self.raster: rz.Raster | None = None
        self.builds = 0  # surface grids built (tests check the cache)
        self.renders = 0  # pictures rendered
        self.moving_factor = MOVING_FACTOR

    def grid(self, potential, rect, draft: bool, texels: int = sf.TEXELS) -> sf.Surface:
        texels = min(texels, sf.DRAFT_TEXELS) if draft else texels
        key = (potential.cache_key, tuple(rect), texels)
        if key != self.surface_key or self.surf is None:
            self.surf = sf.build(potential, rect, texels)
            self.surface_key = key
            self._packed = None
            self.builds += 1
        return self.surf

    def get(self, target: pygame.Surface, potential, rect, cam: OrbitCamera, draft: bool,
            moving: bool) -> pygame.Surface:
        size = target.get_size()
        # about one grid step per pixel at zoom 1: iso-lines a pixel wide, none lost between
        texels = int(min(max(2 * cam.scale(size) / cam.zoom, sf.TEXELS_MIN), sf.TEXELS))
        surf = self.grid(potential, rect, draft, texels)
        factor = self.moving_factor if moving else 1
        key = (self.surface_key, cam.key, size, factor)
        if key == self.key and self.image is not None:
            return self.image
        fmt = (target.get_bitsize(), target.get_shifts())
        if self._packed is None or self._packed[0] != fmt:
            probe = pygame.Surface((1, 1), 0, target)
            cols = pack(surf.rgb.reshape(-1, 3), probe)
            plain = colormap.apply(colormap.VIRIDIS, surf.s.reshape(-1))  # no lines, no light
            walls = pack((plain * WALL_DARKEN).astype(np.uint8), probe)
            bg = int(pack(np.array(BACKGROUND, np.uint8), probe))
            self._packed = (fmt, cols, walls, bg)
        _, cols, walls, bg = self._packed
        t0 = time.perf_counter()
        r = rz.rasterize(surf.z, cols, walls, surf.box, cam, size, bg, factor)
        small = pygame.Surface(r.size, 0, target)
        pygame.surfarray.blit_array(small, r.pixels)
        if factor == 1:
            image = small
        else:
            image = pygame.transform.scale(small, (r.size[0] * factor, r.size[1] * factor))
        self.raster = r
        self._mark_minima(image, potential, surf, cam, size)
        self.image, self.key = image, key
        self.renders += 1
        if moving:  # keep the moving picture within its budget on a loaded machine
            took = time.perf_counter() - t0
            if took > MOVING_BUDGET:
                self.moving_factor = min(self.moving_factor + 1, MOVING_FACTOR_MAX)
            elif took < MOVING_BUDGET / 3:
                self.moving_factor = max(self.moving_factor - 1, MOVING_FACTOR)
        return image

    def _mark_minima(self, image, potential, surf: sf.Surface, cam, size) -> None:
        mins = np.asarray(potential.minima, dtype=np.float64).reshape(-1, 2)
        if not len(mins):
            return
        vals = np.asarray(potential.minimum_values, dtype=np.float64)
        best = float(vals.min()) if len(vals) == len(mins) else None
        X, Y = surf.box.to_box(mins[:, 0], mins[:, 1])
        inside = (np.abs(X) <= surf.box.ax) & (np.abs(Y) <= surf.box.ay)
        with np.errstate(all="ignore"):
            Z = height_of(surf.shading(potential.value(mins)))
        px, py, _ = cam.project(X, Y, Z, size)
        vis = inside & self.raster.visible(px, py, forward(cam, X, Y))
        r = MINIMUM_RADIUS
        for k in np.flatnonzero(vis):  # a handful of marks, once per picture
            c = (int(px[k]), int(py[k]))
            glob = best is not None and abs(vals[k] - best) <= 1e-9 * max(1.0, abs(best))
            pygame.draw.circle(image, MINIMUM_RIM, c, r + 1, 3)
            pygame.draw.circle(image, MINIMUM_GLOBAL if glob else MINIMUM_LOCAL, c, r, 1)
            pygame.draw.line(image, MINIMUM_CROSS, (c[0] - 2, c[1]), (c[0] + 2, c[1]))
            pygame.draw.line(image, MINIMUM_CROSS, (c[0], c[1] - 2), (c[0], c[1] + 2))


def forward(cam: OrbitCamera, X, Y) -> np.ndarray:
    """The forward coordinate d = P . F of box points (the raster's slices' depth axis)."""
    R, _, _ = cam.basis()
    return np.asarray(X) * -R[1] + np.asarray(Y) * R[0]


class Projector3D(Projector):
    """The map's Projector, filled with the 3D view's pixels: the ball at (x, y, V(x, y)) with
    x, y interpolated between the last two ticks; `visible` is on the picture, inside the box,
    not diverged and not behind a hill (the raster's y-buffer)."""

    def project3d(self, world, surf: sf.Surface, raster: rz.Raster, cam: OrbitCamera,
                  size: tuple[int, int], alpha: float) -> None:
        p = world.particles
        n = p.n
        self._grow(n)
        self.n = n
        a = float(alpha)
        with np.errstate(all="ignore"):
            if a >= 1.0:
                x, y = p.pos[:n, 0], p.pos[:n, 1]
            else:
                x = p.prev[:n, 0] + a * (p.pos[:n, 0] - p.prev[:n, 0])
                y = p.prev[:n, 1] + a * (p.pos[:n, 1] - p.prev[:n, 1])
            X, Y = surf.box.to_box(x, y)
            inside = (np.abs(X) <= surf.box.ax) & (np.abs(Y) <= surf.box.ay)
            Z = surf.height_at(X, Y)
            px, py, _ = cam.project(X, Y, Z, size)
            vis = inside & (p.status[:n] != DIVERGED) & (px >= 0) & (px < size[0])
            seen = raster.visible(px, py, forward(cam, X, Y))
            self.hidden = vis & ~seen & (py >= 0) & (py < size[1])  # behind a hill: x-ray rings
            vis &= seen
            self._sx[:n] = px
            self._sy[:n] = py
            self._vis[:n] = vis
            np.copyto(self._ix[:n], np.where(vis, px, 0), casting="unsafe")
            np.copyto(self._iy[:n], np.where(vis, py, 0), casting="unsafe")
        self._n_visible = int(np.count_nonzero(vis))
        self._pixels = None
        self._lin = {}
