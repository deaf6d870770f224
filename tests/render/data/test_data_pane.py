"""The data pane: editing functions, model geometry and pixels on an offscreen surface."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.data import pane as D  # noqa: E402
from sim.data.mlp import MLPPlane  # noqa: E402
from sim.data.sets import builtin  # noqa: E402
from sim.data import make_landscape  # noqa: E402
from sim.data.edit import (add_point, boundary_segments, line_segments, move_point,  # noqa: E402
                           network_regions, point_coords, remove_point)
from sim.rules.dynamics import Rule  # noqa: E402
from sim.core.world import World  # noqa: E402


def test_edits_add_move_remove():
    d = builtin("blobs")
    a = add_point(d, (0.5, -0.25), label=0)
    assert a.n == d.n + 1 and a.y[-1] == 0 and tuple(a.x[-1]) == (0.5, -0.25)
    m = move_point(a, 3, (9.0, 9.0))
    assert tuple(m.x[3]) == (9.0, 9.0) and m.y[3] == a.y[3] and a.x[3, 0] != 9.0
    r = remove_point(m, 3)
    assert r.n == a.n - 1 and 9.0 not in r.x
    line = builtin("line")
    two = line.with_points(line.x[:2], line.y[:2])
    assert remove_point(two, 0).n == 2  # never fewer than two examples
    added = add_point(line, (1.0, 7.0))
    assert added.kind == "regression" and added.y[-1] == 7.0 and added.x[-1, 0] == 1.0


def test_model_geometry():
    pos = np.array([[2.0, -1.0], [0.5, 3.0]])
    seg = line_segments(pos, -1.0, 2.0)
    np.testing.assert_allclose(seg[:, :, 1], pos[:, :1] * seg[:, :, 0] + pos[:, 1:])
    b = boundary_segments(pos, (-2, 2, -2, 2))
    np.testing.assert_allclose(np.einsum("mi,mki->mk", pos, b), 0.0, atol=1e-12)  # w . x = 0


def test_network_regions_are_the_trained_network():
    pot = MLPPlane(fast=False)
    pot.ensure()
    xs, ys = np.array([-0.5, 0.7]), np.array([0.1])
    prob = network_regions(pot, np.zeros(2), xs, ys)
    th = pot.theta
    for i, x in enumerate(xs):
        h = np.tanh(th[:32].reshape(16, 2) @ np.array([x, 0.1]) + th[32:48])
        assert prob[i, 0] == pytest.approx(1.0 / (1.0 + np.exp(-(h @ th[48:64] + th[64]))), rel=1e-12)


def test_pane_pixels_show_points_and_the_highlighted_line():
    pygame.init()
    surf = pygame.Surface((400, 300))
    rect = pygame.Rect(50, 40, 300, 200)
    world = World(make_landscape("linreg"), Rule("gd"), seed=1)
    world.drop(np.array([[0.8, 1.0], [-0.5, 2.0]]))
    pane = D.draw_pane(surf, rect, world, highlight=0)
    px = pane.to_px(point_coords(world.potential.data)).astype(int)
    assert tuple(surf.get_at(tuple(px[0]))[:3]) == D.POINT
    x0, x1, _, _ = pane.bounds
    xm = 0.5 * (x0 + x1)
    mid = pane.to_px(np.array([xm, 0.8 * xm + 1.0])).astype(int)
    assert tuple(surf.get_at(tuple(mid))[:3]) in (D.BOLD, D.POINT)
    assert surf.get_at((10, 10))[:3] == (0, 0, 0)  # nothing outside the pane


def test_pane_clicks_edit_the_data_and_rebuild_keeps_the_settings():
    pygame.init()
    rect = pygame.Rect(0, 0, 300, 200)
    pot = make_landscape("logreg", builtin("blobs"), l2=0.05)
    pane = D.PaneMap(rect, (-4.0, 4.0, -3.0, 3.0))
    data = pot.data
    new, grabbed = D.edit(pane, data, "down", (5, 5), button=3)  # far from every point
    assert new.n == data.n + 1 and new.y[-1] == 0
    at = tuple(pane.to_px(new.x[-1]).astype(int))
    none, grabbed = D.edit(pane, new, "down", at)
    assert none is None and grabbed == new.n - 1
    moved, _ = D.edit(pane, new, "drag", (150, 100), grabbed=grabbed)
    np.testing.assert_allclose(moved.x[-1], pane.to_data((150, 100)))
    gone, _ = D.edit(pane, moved, "down", (150, 100), shift=True)
    assert gone.n == data.n
    again = D.rebuild(pot, moved)
    assert again.name == "logreg" and again.l2 == 0.05 and again.data.n == data.n + 1
