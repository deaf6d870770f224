"""App builders for the window's tests: an offscreen `App` on a built-in landscape, a frame
drawn into a surface, SDL events sent to it, and the geometry the real window (tests/support/
x11.py) lays out, computed offscreen from the same code (the control panel's widgets, the data
pane's rect). Everything here runs under SDL's dummy driver (tests/conftest.py sets it)."""
from __future__ import annotations

import os

import numpy as np
import pygame

from render.app.app import App
from sim.core.world import World
from sim.data.catalog import get_potential
from sim.rules.dynamics import Rule


def app_on(potential="bowl", rule: Rule | None = None, size=(640, 400), seed: int = 3, balls=0,
           instruments: dict | None = None, headless: bool = True) -> App:
    """A headless App on `potential` (a built-in's name, or a potential) under `rule` (gd, lr
    0.05 when None), seeded with `seed`; `instruments` applied, then `balls` dropped: a count
    (seeded random places in the view) or positions [k, 2]."""
    pot = get_potential(potential) if isinstance(potential, str) else potential
    world = World(pot, rule or Rule("gd", lr=0.05), seed=seed)
    app = App(world, size, seed=seed, headless=headless)
    if instruments:
        app.apply_instruments(instruments)
    if isinstance(balls, int):
        if balls:
            world.drop_random(balls)
    elif len(balls):
        world.drop(np.asarray(balls, float))
    return app


def frame_at(size, update: bool = True):
    """frame(app, size=size): one frame of `app` (app.update(1/60) first when `update`) drawn
    into a new 32-bit surface of that size, which it returns."""
    def frame(app, size=size):
        surf = pygame.Surface(size, 0, 32)
        if update:
            app.update(1 / 60)
        app.draw(surf)
        return surf
    return frame


def frames(app, size, k: int):
    """k frames of app (update, then draw) into one surface of `size`, which it returns."""
    surf = pygame.Surface(size, 0, 32)
    for _ in range(k):
        app.update(1 / 60)
        app.draw(surf)
    return surf


THREE_BALLS = np.array([[1.0, 1.0], [-2.0, 2.5], [0.5, -3.0]])  # on himmelblau, one in each of three basins


def timeline_app(rule: Rule, potential="himmelblau", size=(1280, 800), **instruments) -> App:
    """The timeline tests' App: `rule` on `potential`, seed 7, the timeline strip (and
    `instruments`) on, THREE_BALLS dropped through the runtime."""
    app = app_on(potential, rule, size, seed=7, instruments={"timeline": True, **instruments})
    app.runtime.balls.drop(THREE_BALLS)
    return app


def key(app, k, unicode="", mod=0):
    """A key press (KEYDOWN) sent to app."""
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=unicode, scancode=0))


def panel_widgets(potential: str, rule_name: str, toggles: dict, size, data=None):
    """The control panel's widgets as a window of `size` lays them out for this landscape and
    rule at its suggested step (the geometry is pure: no App)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    from render.controls.sections import State, build
    from render.controls.widget import WIDTH
    from sim.data.catalog import POTENTIALS
    from sim.landscapes.tuning import suggestions

    pot = POTENTIALS[potential]
    rule = Rule(rule_name).with_step(suggestions(pot)[Rule(rule_name).family])
    st = State(rule, 1.0, rule.step_size, potential, list(POTENTIALS), toggles, False, data)
    return build(pygame.Rect(size[0] - WIDTH, 0, WIDTH, size[1]), st)


def pane_rect(argv: list[str], size):
    """Where the window of `size` started with `argv` puts the data pane: the same App, laid
    out offscreen."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import cli.args
    import cli.build
    from render.app.loop import _make_app

    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(size)
    args = cli.args.build_parser().parse_args(argv)
    app, problem = _make_app(screen, cli.build.make_potential(args), cli.build.make_rule(args, "momentum"), 0,
                             args.particles, False, {})
    assert problem is None
    app.update(1 / 60)
    app.draw(screen)
    return pygame.Rect(app.instruments.rects["data"])


def click(app, pos, button=1, mod=0):
    """A mouse click (button down, then up) at window pixel `pos` sent to app."""
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button, mod=mod))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button, mod=mod))


def type_text(app, text):
    """Text typed into app as SDL sends it: a KEYDOWN and a TEXTINPUT per character."""
    for ch in text:
        key(app, pygame.key.key_code(ch) if ch.isalnum() else 0, ch)
        app.handle(pygame.event.Event(pygame.TEXTINPUT, text=ch))


def data_app(name="linreg", n_balls=6) -> App:
    """The data tests' App: `name` under gd (lr 0.05) at 1280x800, seed 4, the control panel
    open, `n_balls` balls."""
    return app_on(name, Rule("gd", lr=0.05), (1280, 800), seed=4, balls=n_balls, instruments={"controls": True})


def world_state(app):
    """What must not change when a data file is refused: the balls, rules, landscape, view."""
    w = app.world
    return (w.particles.pos[: w.n].copy(), tuple(w.rules), w.potential, w.potential.cache_key,
            w.potential.data.n, w.n, app.view)


def same_state(a, b):
    """Two world_state()s are the same."""
    assert np.array_equal(a[0], b[0])
    assert a[1:] == b[1:]
