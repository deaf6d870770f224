"""The 3D view's tests' own camera: the projection, the surface's height and a ray's hit on it,
written out from the formulas (not the view's own code), and the App those tests draw
(tests/render/view3d)."""
from __future__ import annotations

import math

import numpy as np
import pygame

from render.view3d import camera as cm
from sim.rules.dynamics import Rule
from tests.support.apps import app_on

SIZE = (640, 400)


def view3d_app(pot, yaw=-28.0, pitch=45.0, zoom=1.0, mode="3d", size=SIZE):
    """A headless App on `pot` (a built-in's name, or a potential) under gd, seed 1, without
    trails, in view `mode` with the camera at (yaw, pitch, zoom)."""
    app = app_on(pot, Rule("gd", lr=0.01), size, seed=1)
    app.show["trails"] = False
    app.view3d.set_mode(mode)
    app.view3d.cam.set(yaw, pitch, zoom)
    return app


def draw(app, size=SIZE):
    """One frame of app drawn at `size`: its pixels [w, h, 3] as ints."""
    surf = pygame.Surface(size, 0, 32)
    app.draw(surf)
    return pygame.surfarray.array3d(surf).astype(int)  # [w, h, 3]


def box_of(rect):
    """The 3D box of a map view rect (x0, x1, y0, y1): its centre and half its longer side."""
    x0, x1, y0, y1 = rect
    half = max(x1 - x0, y1 - y0) / 2
    return (x0 + x1) / 2, (y0 + y1) / 2, half


def own_height(pot, shading, x, y):
    """The surface's height in the box at (x, y): the shaded value around the middle."""
    v = pot.value(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]))
    return cm.HEIGHT * (np.clip(shading(v), 0, 1) - 0.5)


def own_scale(zoom, size):
    """Pixels per box unit at `zoom` in a view of `size`."""
    return zoom * cm.FIT * min(size[0], 1.6 * size[1]) / 2


def own_project(X, Y, Z, yaw, pitch, zoom, size):
    """The pixel of box point (X, Y, Z) under the orbit camera (yaw, pitch, zoom)."""
    a, p = math.radians(yaw), math.radians(pitch)
    u = X * math.cos(a) + Y * math.sin(a)
    d = -X * math.sin(a) + Y * math.cos(a)
    up = d * math.sin(p) + Z * math.cos(p)
    k = own_scale(zoom, size)
    return size[0] / 2 + k * u, size[1] / 2 - k * up


def own_hit(zfun, px, py, yaw, pitch, zoom, size):
    """March the ray through pixel position (px, py) densely, then bisect (box coordinates)."""
    a, p = math.radians(yaw), math.radians(pitch)
    R = np.array([math.cos(a), math.sin(a), 0.0])
    F = np.array([-math.sin(a), math.cos(a), 0.0])
    U = F * math.sin(p) + np.array([0, 0, 1.0]) * math.cos(p)
    D = F * math.cos(p) - np.array([0, 0, 1.0]) * math.sin(p)
    k = own_scale(zoom, size)
    o = R * (px - size[0] / 2) / k + U * (size[1] / 2 - py) / k
    t = np.linspace(-4, 4, 8001)
    P = o + t[:, None] * D
    gap = P[:, 2] - zfun(P[:, 0], P[:, 1])
    j = int(np.argmax(gap <= 0))
    lo, hi = t[j - 1], t[j]
    for _ in range(50):
        m = (lo + hi) / 2
        q = o + m * D
        if q[2] - zfun(np.array([q[0]]), np.array([q[1]]))[0] > 0:
            lo = m
        else:
            hi = m
    return o + (lo + hi) / 2 * D
