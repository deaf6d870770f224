"""The 3D view's surface over a box: the height grid and its colours, numpy only.

The colour coordinate s of V is the map's own (render.map.landscape.Shading fitted the way the map
fits it, log where the map is log); the height is Z = camera.height_of(s), so the colourbar
reads heights too. Colours: viridis of s (render.look.colormap), times a Lambert factor from the
surface normal (light fixed in the world, so orbiting never rebuilds them), darkened along the
map's iso-lines (the same LEVELS).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render.look import colormap
from render.map.landscape import LEVELS, LINE_FADE, LINE_STRENGTH, LINE_WIDTH, Shading, uses_log
from render.look.theme import NAN_RGB
from render.view3d.camera import Box, height_of

TEXELS = 1400  # grid points along the box's longer side, at most
TEXELS_MIN = 160
DRAFT_TEXELS = 384  # while the map's view is moving
LIGHT = np.array([-0.45, 0.45, 0.77]) / np.linalg.norm([-0.45, 0.45, 0.77])  # toward the light
AMBIENT = 0.42
DIFFUSE = 0.58
LIT_MAX = 1.3  # the brightest a lit slope gets, relative to a flat one


@dataclass
class Surface:
    """The grid over `box`: node (i, j) at box X = -ax + (i + 1/2) dx, Y = -ay + (j + 1/2) dy.

    s float32 [nx, ny] the colour coordinate (0 where V is not finite), z float32 [nx, ny]
    the box height, rgb uint8 [nx, ny, 3] the lit colours, shading the map's Shading."""

    box: Box
    s: np.ndarray
    z: np.ndarray
    rgb: np.ndarray
    shading: Shading

    @property
    def shape(self) -> tuple[int, int]:
        return self.s.shape

    def spacing(self) -> tuple[float, float]:
        nx, ny = self.shape
        return 2.0 * self.box.ax / nx, 2.0 * self.box.ay / ny

    def height_at(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Bilinear box height at box points (clamped to the grid's edge nodes)."""
        nx, ny = self.shape
        dx, dy = self.spacing()
        fx = np.clip((np.asarray(X) + self.box.ax) / dx - 0.5, 0.0, nx - 1.0)
        fy = np.clip((np.asarray(Y) + self.box.ay) / dy - 0.5, 0.0, ny - 1.0)
        fx = np.nan_to_num(fx)
        fy = np.nan_to_num(fy)
        i = np.minimum(fx.astype(np.intp), nx - 2) if nx > 1 else np.zeros(fx.shape, np.intp)
        j = np.minimum(fy.astype(np.intp), ny - 2) if ny > 1 else np.zeros(fy.shape, np.intp)
        tx, ty = fx - i, fy - j
        z = self.z
        i1, j1 = np.minimum(i + 1, nx - 1), np.minimum(j + 1, ny - 1)
        return ((z[i, j] * (1 - tx) + z[i1, j] * tx) * (1 - ty)
                + (z[i, j1] * (1 - tx) + z[i1, j1] * tx) * ty)


def grid_size(box: Box, texels: int) -> tuple[int, int]:
    return max(2, int(round(texels * box.ax))), max(2, int(round(texels * box.ay)))


def node_coords(box: Box, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """World x [nx] and y [ny] of the grid's nodes."""
    nx, ny = shape
    X = -box.ax + (np.arange(nx) + 0.5) * (2.0 * box.ax / nx)
    Y = -box.ay + (np.arange(ny) + 0.5) * (2.0 * box.ay / ny)
    return box.to_world(X, Y)


def lambert(z: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """The light factor of a height grid [nx, ny] (box units, spacing dx, dy): Lambert from
    the normal (-dz/dX, -dz/dY, 1) with ambient, 1 where the surface is flat."""
    gx = np.gradient(z, dx, axis=0) if z.shape[0] > 1 else np.zeros_like(z)
    gy = np.gradient(z, dy, axis=1) if z.shape[1] > 1 else np.zeros_like(z)
    dot = (-gx * LIGHT[0] - gy * LIGHT[1] + LIGHT[2]) / np.sqrt(gx * gx + gy * gy + 1.0)
    lam = (AMBIENT + DIFFUSE * np.maximum(dot, 0.0)) / (AMBIENT + DIFFUSE * LIGHT[2])
    return np.clip(lam, 0.0, LIT_MAX)


def build(potential, rect: tuple[float, float, float, float], texels: int = TEXELS) -> Surface:
    """The surface of `potential` over the world rect (the map's view)."""
    box = Box.of_rect(rect)
    shape = grid_size(box, texels)
    xs, ys = node_coords(box, shape)
    v = potential.value_grid(xs, ys)
    known = potential.minimum_values
    known_min = float(np.min(known)) if len(known) else None
    shading = Shading.for_values(v, uses_log(potential), known_min)
    finite = np.isfinite(v)
    s = shading(np.where(finite, v, shading.vmin)).astype(np.float32)
    z = height_of(s).astype(np.float32)
    dx, dy = 2.0 * box.ax / shape[0], 2.0 * box.ay / shape[1]
    lam = lambert(z.astype(np.float64), dx, dy).astype(np.float32)
    # iso-lines at the map's levels: coverage of a line LINE_WIDTH grid steps wide
    f = s * np.float32(LEVELS)
    gfx = np.gradient(f, axis=0) if shape[0] > 1 else np.zeros_like(f)
    gfy = np.gradient(f, axis=1) if shape[1] > 1 else np.zeros_like(f)
    slope = np.hypot(gfx, gfy)
    dist = np.abs(f - np.rint(f)) / np.maximum(slope, 1e-12)
    a = np.clip(0.5 * LINE_WIDTH + 0.5 - dist, 0.0, 1.0)
    a *= np.clip((LINE_FADE[1] - slope) / (LINE_FADE[1] - LINE_FADE[0]), 0.0, 1.0)
    a *= (f > 0.5) & (f < LEVELS - 0.5)
    lam *= 1.0 - LINE_STRENGTH * a
    rgb = colormap.apply(colormap.VIRIDIS, s).astype(np.float32)
    rgb *= lam[..., None]
    out = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    out[~finite] = NAN_RGB
    return Surface(box, s, z, out, shading)
