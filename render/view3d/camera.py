"""The 3D view's camera: an orthographic orbit camera over a box, pure numpy (no pygame).

The box: the map's view rect mapped to X, Y in [-ax, ax] x [-ay, ay] (the longer side spans
[-1, 1]), and the height Z = HEIGHT (s - 1/2) with s in [0, 1] the map's colour coordinate of V.
The camera turns about the box's centre: yaw (degrees, about the vertical; 0 looks along +y)
and pitch (degrees above the horizon, clamped to [PITCH_MIN, 90]: never from below, never
upside down; 90 is the map seen from straight above). With

    right   R = (cos yaw, sin yaw, 0)            forward F = (-sin yaw, cos yaw, 0)
    up      U = F sin(pitch) + (0, 0, 1) cos(pitch)
    into    D = F cos(pitch) - (0, 0, 1) sin(pitch)

a point P goes to pixel (W/2 + k P.R, H/2 - k P.U), at depth P.D (larger is farther), where
k = zoom * FIT * min(W, 1.6 H) / 2 pixels per box unit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

PITCH_MIN = 8.0  # degrees: the lowest the camera goes (the underside never shows)
PITCH_MAX = 90.0  # straight above: the map's own layout
DEFAULT_YAW = -28.0
DEFAULT_PITCH = 55.0
ZOOM_RANGE = (0.25, 12.0)
FIT = 0.62  # at zoom 1 the box's long side spans this share of the fitting width
HEIGHT = 0.4  # box units from the lowest to the highest colour
ORBIT_DEG_PER_PIXEL = (0.35, 0.3)  # a drag of one pixel turns (yaw, pitch) by this much
MARCH_SAMPLES = 768  # samples along a ray before bisection
BISECTIONS = 40


@dataclass(frozen=True)
class Box:
    """World rect (x0, x1, y0, y1) <-> box coordinates X, Y (the longer side spans [-1, 1])."""

    cx: float
    cy: float
    half: float  # world units per box unit
    ax: float  # box half-width along X
    ay: float

    @classmethod
    def of_rect(cls, rect: tuple[float, float, float, float]) -> "Box":
        x0, x1, y0, y1 = (float(v) for v in rect)
        half = max(x1 - x0, y1 - y0, 1e-300) / 2.0
        return cls(0.5 * (x0 + x1), 0.5 * (y0 + y1), half, (x1 - x0) / 2.0 / half,
                   (y1 - y0) / 2.0 / half)

    def to_box(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - self.cx) / self.half, (np.asarray(y) - self.cy) / self.half

    def to_world(self, X, Y) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(X) * self.half + self.cx, np.asarray(Y) * self.half + self.cy

    @property
    def radius(self) -> float:
        """Half the box's diagonal in the XY plane (box units)."""
        return math.hypot(self.ax, self.ay)


def height_of(s):
    """Box height Z of a colour coordinate s in [0, 1]."""
    return HEIGHT * (np.asarray(s, dtype=np.float64) - 0.5)


class OrbitCamera:
    """yaw, pitch (degrees) and zoom; `orbit`, `zoom_by`, `reset`; the projection and its ray."""

    def __init__(self, yaw: float = DEFAULT_YAW, pitch: float = DEFAULT_PITCH, zoom: float = 1.0) -> None:
        self.yaw = DEFAULT_YAW
        self.pitch = DEFAULT_PITCH
        self.zoom = 1.0
        self.set(yaw, pitch, zoom)

    def set(self, yaw: float, pitch: float, zoom: float | None = None) -> None:
        self.yaw = float(yaw) % 360.0
        if self.yaw > 180.0:
            self.yaw -= 360.0
        self.pitch = float(min(max(pitch, PITCH_MIN), PITCH_MAX))
        if zoom is not None:
            self.zoom = float(min(max(zoom, ZOOM_RANGE[0]), ZOOM_RANGE[1]))

    def reset(self) -> None:
        self.set(DEFAULT_YAW, DEFAULT_PITCH, 1.0)

    def orbit(self, dx: float, dy: float) -> None:
        """A drag by (dx, dy) pixels: right turns the box left-to-right, down raises the camera."""
        self.set(self.yaw - dx * ORBIT_DEG_PER_PIXEL[0], self.pitch + dy * ORBIT_DEG_PER_PIXEL[1])

    def zoom_by(self, factor: float) -> None:
        self.set(self.yaw, self.pitch, self.zoom * factor)

    @property
    def key(self) -> tuple[float, float, float]:
        return (self.yaw, self.pitch, self.zoom)

    # -- the projection ------------------------------------------------------------------------
    def scale(self, size: tuple[int, int]) -> float:
        """k: pixels per box unit in a view of this size."""
        w, h = size
        return self.zoom * FIT * min(w, 1.6 * h) / 2.0

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(R, U, D): screen right, screen up and the viewing direction, unit 3-vectors."""
        a, p = math.radians(self.yaw), math.radians(self.pitch)
        R = np.array([math.cos(a), math.sin(a), 0.0])
        F = np.array([-math.sin(a), math.cos(a), 0.0])
        Zh = np.array([0.0, 0.0, 1.0])
        return R, F * math.sin(p) + Zh * math.cos(p), F * math.cos(p) - Zh * math.sin(p)

    def project(self, X, Y, Z, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Box points -> (px, py, depth): pixel coordinates (floor gives the pixel) and depth."""
        R, U, D = self.basis()
        k = self.scale(size)
        X, Y, Z = (np.asarray(v, dtype=np.float64) for v in (X, Y, Z))
        px = 0.5 * size[0] + k * (X * R[0] + Y * R[1])
        py = 0.5 * size[1] - k * (X * U[0] + Y * U[1] + Z * U[2])
        return px, py, X * D[0] + Y * D[1] + Z * D[2]

    def ray(self, px: float, py: float, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The ray through pixel position (px, py): (a point at depth 0, the direction D)."""
        R, U, D = self.basis()
        k = self.scale(size)
        return R * ((px - 0.5 * size[0]) / k) + U * ((0.5 * size[1] - py) / k), D


def ray_hit(cam: OrbitCamera, box: Box, px: float, py: float, size: tuple[int, int],
            surface_z: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[float, float] | None:
    """Where the ray through pixel (px, py) first meets the surface Z = surface_z(X, Y) inside
    the box: world (x, y), or None. March MARCH_SAMPLES points at once front to back, then
    bisect the first step that goes from above the surface to below it."""
    o, d = cam.ray(px, py, size)
    r = box.radius + HEIGHT
    t = np.linspace(-r - 1.0, r + 1.0, MARCH_SAMPLES)
    P = o[None, :] + t[:, None] * d[None, :]
    inside = (np.abs(P[:, 0]) <= box.ax) & (np.abs(P[:, 1]) <= box.ay)
    with np.errstate(all="ignore"):
        gap = P[:, 2] - surface_z(P[:, 0], P[:, 1])
    below = inside & np.isfinite(gap) & (gap <= 0)
    if not below.any():
        return None
    j = int(np.argmax(below))
    if j == 0 or not inside[j - 1] or not gap[j - 1] > 0:  # entered through the box's side wall
        X, Y = P[j, 0], P[j, 1]
        x, y = box.to_world(X, Y)
        return float(x), float(y)
    lo, hi = t[j - 1], t[j]
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        Pm = o + mid * d
        with np.errstate(all="ignore"):
            g = Pm[2] - float(surface_z(np.array([Pm[0]]), np.array([Pm[1]]))[0])
        if g > 0:
            lo = mid
        else:
            hi = mid
    P = o + 0.5 * (lo + hi) * d
    x, y = box.to_world(P[0], P[1])
    return float(x), float(y)
