"""On a data landscape the axes carry the model's parameters (linreg w and b, logreg w1 and
w2, the mlp plane's a and b), and the ball readout names them too; other landscapes' axes are
as they were."""
import numpy as np
import pygame
import pytest

from render.app.app import App
from render.hud.plots import ball_lines
from render.look.theme import ACCENT
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1100, 700)
NAMES = {"linreg": ("w", "b"), "logreg": ("w1", "w2"), "mlp": ("a", "b")}


def picture(name: str, names) -> np.ndarray:
    pot = get_potential(name)
    world = World(pot, Rule("gd", lr=1e-3), seed=1)
    world.drop(np.array([[0.3, 0.2]]))
    app = App(world, SIZE, headless=True)
    saved = type(pot).__dict__.get("axis_names")
    if saved is not None or names is None:
        type(pot).axis_names = names  # None: the same frame without the names
    try:
        surf = pygame.Surface(SIZE, 0, 32)
        app.update(1 / 60)
        app.draw(surf)
    finally:
        if saved is not None:
            type(pot).axis_names = saved
    return pygame.surfarray.array3d(surf)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_the_axes_are_named_after_the_models_parameters(name):
    named, bare = picture(name, NAMES[name]), picture(name, None)
    diff = np.argwhere((named != bare).any(axis=2))  # (x, y) pixels the names added
    assert len(diff), "no axis names drawn"
    w, h = SIZE
    bottom = diff[diff[:, 1] >= h - 32]
    left = diff[(diff[:, 0] < 40) & (diff[:, 1] < h - 32)]
    assert len(bottom) and len(left) and len(bottom) + len(left) == len(diff)  # only on the two edges
    for part in (bottom, left):
        px = named[part[:, 0], part[:, 1]].astype(int)
        assert (np.abs(px - ACCENT[:3]).max(axis=1) <= 40).any()  # written in the accent colour


@pytest.mark.parametrize("name", sorted(NAMES))
def test_the_ball_readout_names_the_parameters(name):
    world = World(get_potential(name), Rule("gd", lr=1e-3))
    world.drop(np.array([[0.25, -0.5]]))
    app = App(world, SIZE, headless=True)
    text = " ".join(t for line in ball_lines(app.runtime, 0, True) for t, *_ in line.parts)
    a, b = NAMES[name]
    assert f"{a} = 0.25" in text and f"{b} = −0.5" in text


def test_a_landscape_without_data_keeps_x_and_y():
    world = World(get_potential("bowl"), Rule("gd", lr=0.05))
    world.drop(np.array([[0.25, -0.5]]))
    app = App(world, SIZE, headless=True)
    text = " ".join(t for line in ball_lines(app.runtime, 0, True) for t, *_ in line.parts)
    assert "x = 0.25" in text and "y = −0.5" in text
