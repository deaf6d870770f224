"""Inputs that used to kill the window: each must leave it running, with a message where the
user asked for something that cannot be done."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.app.app import App  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.scene.presets import find_scene  # noqa: E402
from sim.scene.io import load_scene  # noqa: E402
from sim.core.world import World  # noqa: E402

SIZE = (640, 400)
pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def scene_app(name: str) -> App:
    world, info = load_scene(find_scene(name))
    app = App(world, SIZE, headless=True)
    app.scene_ui.open_scene(world, info, name)
    return app


def key(app, k, unicode=""):
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=unicode, scancode=0))


def click(app, pos, button=1):
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button, mod=0))


def test_a_rule_key_and_a_click_in_one_frame_drop_under_the_new_rule():
    """momentum_is_newton has lanes: a rule key replaces them, and a click before the next
    frame must drop under the new rule (the lane list used to be stale: IndexError)."""
    app = scene_app("momentum_is_newton")
    app.instruments.set("race", True)
    app.scene_ui.caption_open = False
    app.draw(pygame.Surface(SIZE, 0, 32))
    n = app.world.n
    key(app, pygame.K_g, "g")
    click(app, (330, 380))  # no frame in between
    assert app.world.n > n
    assert {app.world.rules[int(r)].name for r in app.world.particles.rule[n:]} <= {"gd", "momentum",
                                                                                   "nesterov", "adam",
                                                                                   "newton"}
    app.update(1 / 60)
    app.draw(pygame.Surface(SIZE, 0, 32))
    assert app.running


@pytest.mark.parametrize("body", [
    "[particles]\npos = " + "[" * 10000 + "]" * 10000 + "\n",  # nested 10,000 deep
    "\ufeff[scene]\ntitle = 'x'\n",
    "\x00\x01\x02",
])
def test_a_scene_file_the_reader_did_not_foresee_is_a_message(tmp_path, body):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    app = App(World(get_potential("bowl"), Rule("gd", lr=0.05)), SIZE, headless=True)
    app.world.drop(np.array([[1.0, 1.0]]))
    assert app.scene_ui.open_file(path, 0, 1) is None
    assert app.notices.message[0].startswith("scene not opened")
    assert app.world.n == 1 and app.world.potential.name == "bowl"  # the world on screen stays


def test_a_click_on_a_ball_selects_it_esc_and_a_click_on_the_map_deselect():
    app = App(World(get_potential("bowl"), Rule("gd", lr=0.05)), SIZE, headless=True)
    app.runtime.paused = True
    click(app, (300, 200))
    assert app.world.n == 1 and app.runtime.balls.selected is None
    surf = pygame.Surface(SIZE, 0, 32)
    app.draw(surf)
    click(app, (303, 198))  # on the ball: chosen, nothing dropped
    assert app.world.n == 1 and app.runtime.balls.selected == 0
    app.draw(surf)
    ring = [tuple(surf.get_at((300 + dx, 200))[:3]) for dx in (-14, 14)]
    assert any(c == (255, 206, 84) for c in ring)  # the selection ring, in the accent colour
    key(app, pygame.K_ESCAPE, "\x1b")
    assert app.running and app.runtime.balls.selected is None  # Esc deselects, it does not quit
    click(app, (303, 198))
    click(app, (500, 300))  # empty map while a ball is chosen: deselect, no drop
    assert app.world.n == 1 and app.runtime.balls.selected is None
    click(app, (500, 300))
    assert app.world.n == 2


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_the_mass_keys_with_no_friction_scale_the_mass(factor):
    """euler_vs_verlet (friction 0) and ; or ' used to divide by the friction (ZeroDivisionError)."""
    app = scene_app("euler_vs_verlet")
    m0 = app.world.rule.mass
    key(app, pygame.K_SEMICOLON if factor < 1 else pygame.K_QUOTE, ";" if factor < 1 else "'")
    assert app.world.rule.mass == pytest.approx(m0 * factor) and app.running
    app.update(1 / 60)
    app.draw(pygame.Surface(SIZE, 0, 32))
