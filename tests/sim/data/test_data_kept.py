"""Switching landscape and back keeps the data a data landscape was left with (a pane edit, a
loaded file): they used to drop back to the built-in set without a word."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from render.app.app import App
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World
from tests.support.apps import frame_at

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1280, 800)


frame = frame_at(SIZE)


def pick(app, name: str) -> None:
    """As a landscape key or the panel's button does."""
    app.commands.set_potential_index([p.name for p in app.potentials].index(name))


def test_an_edit_survives_a_trip_to_another_landscape_and_back():
    world = World(get_potential("linreg"), Rule("gd", lr=0.01), seed=2)
    app = App(world, SIZE, headless=True)
    world.drop_random(3)
    frame(app)
    rect = app.instruments.rects["data"]
    builtin = app.world.potential.data
    at = (rect.right - 12, rect.bottom - 12)  # a new point in the pane's corner
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=at, button=1, mod=0))
    edited = app.world.potential.data
    assert edited.n == builtin.n + 1
    pick(app, "bowl")
    frame(app)
    pick(app, "linreg")
    frame(app)
    d = app.world.potential.data
    assert d.n == builtin.n + 1 and np.array_equal(d.x, edited.x) and np.array_equal(d.y, edited.y)
    assert "as you left it" in app.notices.toast[0]
    # the landscape is the least-squares fit of those points (an independent solve)
    x, y = d.x[:, 0], d.y
    (w, b), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    assert np.allclose(app.world.potential.grad(np.array([[w, b]])), 0.0, atol=1e-9)
    pick(app, "linreg")  # picking the landscape it is on keeps it too
    assert app.world.potential.data.n == builtin.n + 1
    app.commands.cycle_potential(1)  # the next landscape and back by the cycle keys
    app.commands.cycle_potential(-1)
    assert app.world.potential.name == "linreg" and app.world.potential.data.n == builtin.n + 1
