"""The data pane in the window: shown on data landscapes, clicks edit the data and the
landscape is rebuilt while the balls stay (least squares moves with the data)."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.app.app import App  # noqa: E402
from sim.scene.presets import find_scene  # noqa: E402
from sim.scene.io import load_scene  # noqa: E402
from tests.support.apps import click, frame_at  # noqa: E402

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1280, 800)


frame = frame_at(SIZE)


def lstsq(data):
    x, y = data.x[:, 0], data.y
    (w, b), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    return np.array([w, b])


def test_a_click_in_the_pane_adds_a_point_and_the_landscape_follows():
    world, info = load_scene(find_scene("fit_a_line"))
    app = App(world, SIZE, headless=True)
    app.scene_ui.open_scene(world, info, "fit_a_line")
    app.scene_ui.caption_open = False
    frame(app)
    rect = app.instruments.rects["data"]
    n0, balls = world.potential.data.n, app.world.n
    click(app, (rect.right - 10, rect.bottom - 10))  # a far point in the corner
    pot = app.world.potential
    assert pot.data.n == n0 + 1 and app.world.n == balls  # the balls stay
    # the landscape's minimum is the new least-squares fit (an independent solve)
    assert np.allclose(pot.grad(lstsq(pot.data)[None, :]), 0.0, atol=1e-9)
    surf = frame(app)
    assert app.instruments.rects["data"] == rect
    new = np.array([[pot.data.x[-1, 0], pot.data.y[-1]]])  # the added point, drawn where it is
    px = app.instruments.data.pane.to_px(new)[0]
    assert surf.get_at((int(round(px[0])), int(round(px[1]))))[:3] != (18, 20, 28)
    click(app, (int(round(px[0])), int(round(px[1]))), mod=pygame.KMOD_SHIFT)  # Shift+click removes
    assert app.world.potential.data.n == n0


def test_the_pane_is_only_on_data_landscapes():
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    app = App(World(get_potential("bowl"), Rule("gd", lr=0.05)), SIZE, headless=True)
    frame(app)
    assert "data" not in app.instruments.rects


def test_a_chosen_minibatch_ball_shows_its_noise_temperature():
    """sgd_is_hot: the pane writes T_eff for the chosen ball, the value of an independent
    computation of lr tr(C)/(2 d B) (n-B)/(n-1) from the per-example gradients."""
    world, info = load_scene(find_scene("sgd_is_hot"))
    app = App(world, SIZE, headless=True)
    app.scene_ui.open_scene(world, info, "sgd_is_hot")
    app.scene_ui.caption_open = False
    rows = [i for i in range(world.n) if world.rules[int(world.particles.rule[i])].batch]
    k = rows[0]
    app.runtime.select(k)
    frame(app)
    got = app.instruments.readouts["data"]
    rule = world.rules[int(world.particles.rule[k])]
    pot, p = world.potential, world.particles.pos[k]
    x, y = pot.data.x[:, 0], pot.data.y
    r = p[0] * x + p[1] - y
    g = np.column_stack([2 * r * x, 2 * r])  # per-example gradients of (w x + b - y)^2
    c = np.cov(g.T, bias=True)
    n, b = len(y), rule.batch
    want = rule.lr * np.trace(c) / (2 * 2 * b) * (n - b) / (n - 1)
    assert got["t_eff"] == pytest.approx(want, rel=1e-9)


def test_the_report_writes_what_the_pane_shows():
    """--report's data.* keys: the data's size and kind, and the chosen ball's T_eff (the
    number under the pane) -- computed here from the per-example gradients, as above."""
    from render.app.report import report

    world, info = load_scene(find_scene("sgd_is_hot"))
    app = App(world, SIZE, headless=True)
    app.scene_ui.open_scene(world, info, "sgd_is_hot")
    app.scene_ui.caption_open = False
    frame(app)
    r = report(app)
    assert r["data.n"] == len(world.potential.data.y) == 40 and r["data.task"] == "regression"
    assert "data.t_eff" not in r  # no ball chosen: no noise temperature shown
    k = next(i for i in range(world.n) if world.rules[int(world.particles.rule[i])].batch == 1)
    app.runtime.select(k)
    frame(app)
    r = report(app)
    pot, p = world.potential, world.particles.pos[k]
    x, y = pot.data.x[:, 0], pot.data.y
    res = p[0] * x + p[1] - y
    g = np.column_stack([2 * res * x, 2 * res])
    n = len(y)
    want = world.rules[int(world.particles.rule[k])].lr * np.trace(np.cov(g.T, bias=True)) / 4 * (n - 1) / (n - 1)
    assert r["data.t_eff"] == pytest.approx(want, rel=1e-9) and r["data.batch"] == 1
