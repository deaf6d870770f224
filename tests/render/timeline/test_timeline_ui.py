"""The timeline, rewind and the step panel in the window, through the App's own input: a scrub
and a continue reproduce the first run bit for bit (with race lanes and twins), rewind replays
the same run, a chosen ball's step is spelled out and follows single steps."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from sim.rules.dynamics import Rule  # noqa: E402
from tests.support.apps import frames, timeline_app  # noqa: E402

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1280, 800)
STATE = ("pos", "vel", "buf_a", "buf_b", "steps", "status", "dissipated")


def make_app(rule, potential="himmelblau", twins=False):
    return timeline_app(rule, potential, SIZE, twin=twins)


def state(app):
    p = app.world.particles
    return {k: getattr(p, k).copy() for k in STATE}


def key(app, k, ch):
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=ch, scancode=0))


@pytest.mark.parametrize("rule,twins", [(Rule("momentum", lr=1e-4), True),
                                        (Rule("langevin", dt=0.005, temperature=0.5), False),
                                        (Rule("adam", lr=0.02), False)])
def test_dragging_the_strip_back_and_playing_on_reproduces_the_run(rule, twins):
    app = make_app(rule, twins=twins)
    frames(app, SIZE, 40)
    n_ticks = app.world.tick_count
    want = state(app)
    strip = app.timeline_ui.strip
    k = n_ticks // 3
    x = int(round(strip.axis.tick_to_x(k)))
    y = app.timeline_ui.rect.centery
    ev = pygame.event.Event
    app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, mod=0))
    app.handle(ev(pygame.MOUSEMOTION, pos=(x + 3, y), rel=(3, 0), buttons=(1, 0, 0)))
    app.handle(ev(pygame.MOUSEMOTION, pos=(x, y), rel=(-3, 0), buttons=(1, 0, 0)))
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=(x, y), button=1, mod=0))
    back = app.world.tick_count
    assert 0 < back < n_ticks and app.runtime.paused and app.world.n == len(want["pos"])
    frames(app, SIZE, 2)  # paused: the map shows that tick
    assert app.world.tick_count == back
    app.runtime.tick(n_ticks - back)  # play on to the same tick
    got = state(app)
    for name in STATE:
        assert got[name].tobytes() == want[name].tobytes(), name
    if twins:
        assert len(app.runtime.balls.pairs) == 3  # the partners came back with the world


def test_a_change_at_a_past_tick_forks_a_new_future():
    app = make_app(Rule("gd", lr=1e-3))
    frames(app, SIZE, 30)
    end, want = app.world.tick_count, state(app)["pos"]
    app.runtime.scrub(end // 2)
    app.runtime.params.set_value("step", 2e-3)
    app.runtime.tick(end - end // 2)
    assert not np.array_equal(state(app)["pos"], want)
    assert app.runtime.timeline.spans()[-1][1] == end  # the old future is gone, the new one kept


def test_w_rewinds_to_the_same_run():
    app = make_app(Rule("langevin", dt=0.005, temperature=0.5))
    frames(app, SIZE, 25)
    first = state(app)
    n = app.world.tick_count
    key(app, pygame.K_w, "w")
    assert app.world.tick_count == 0
    app.runtime.tick(n)
    for name in STATE:
        assert state(app)[name].tobytes() == first[name].tobytes(), name


def test_a_chosen_ball_shows_its_step_and_single_steps_update_it():
    app = make_app(Rule("momentum", lr=1e-4))
    app.runtime.paused = True
    surf = frames(app, SIZE, 2)
    proj = app.layers.proj
    pos = (int(proj.sx[1]), int(proj.sy[1]))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, mod=0))
    assert app.runtime.balls.selected == 1
    key(app, pygame.K_PERIOD, ".")
    r = app.runtime.watch.last
    assert r is not None and r.row == 1 and r.tick == app.world.tick_count
    # the momentum buffer the panel shows is the world's, after the tick
    terms = {t.key: t.value for t in r.terms}
    assert any(np.allclose(np.asarray(v, float), app.world.particles.buf_a[1]) for v in terms.values())
    surf = frames(app, SIZE, 1)
    assert "step" in app.instruments.rects
    rect = app.instruments.rects["step"]
    assert surf.get_at(rect.center)[:3] != (0, 0, 0)
    key(app, pygame.K_PERIOD, ".")
    assert app.runtime.watch.last.tick == r.tick + 1


def test_choosing_a_ball_dropped_since_the_last_tick_leaves_the_world_as_it_is():
    """The step panel replays the last tick from the timeline; a ball dropped after that tick
    (or a parameter changed since) must survive the replay (it once undid the drop)."""
    app = make_app(Rule("gd", lr=1e-3))
    frames(app, SIZE, 20)
    app.runtime.paused = True
    app.runtime.params.set_value("step", 2e-3)
    s = app.runtime.balls.drop(np.array([[0.3, 0.4]]))
    before = state(app)
    app.runtime.select(s.start)
    after = state(app)
    for name in STATE:
        assert after[name].tobytes() == before[name].tobytes(), name
    assert app.world.rule.lr == 2e-3 and app.runtime.balls.selected == s.start
    key(app, pygame.K_PERIOD, ".")
    assert app.runtime.watch.last is not None and app.runtime.watch.last.row == s.start
