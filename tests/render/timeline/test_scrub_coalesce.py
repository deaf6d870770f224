"""Fast scrubbing: the motions of a drag queued in one frame cost one restore, for the last of
them (issue: every queued motion restored; at 100,000 balls a fast drag lagged ~4 s). Input
order still holds: a key after the motions acts at the tick of the last motion."""
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
ev = pygame.event.Event


def make_app():
    app = timeline_app(Rule("momentum", lr=1e-4), size=SIZE)
    return app, frames(app, SIZE, 60)


def counting(app) -> list[int]:
    """Each tick a restore puts the world at, in order."""
    tl = app.runtime.timeline
    real = tl.restore
    seen: list[int] = []

    def restore(world, tick):
        seen.append(int(tick))
        return real(world, tick)

    tl.restore = restore
    return seen


def drag(app, xs, y):
    app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=(xs[0], y), button=1, mod=0))
    for x in xs[1:]:
        app.handle(ev(pygame.MOUSEMOTION, pos=(x, y), rel=(1, 0), buttons=(1, 0, 0)))


def test_a_frame_of_queued_motions_restores_once_at_the_last():
    app, surf = make_app()
    strip, y = app.timeline_ui.strip, app.timeline_ui.rect.centery
    end = app.world.tick_count
    xs = [int(round(strip.axis.tick_to_x(t))) for t in np.linspace(end * 0.9, end * 0.1, 41)]
    seen = counting(app)
    drag(app, xs, y)
    assert len(seen) == 1  # the press
    app.update(1 / 60)
    app.draw(surf)
    assert len(seen) == 2, seen  # one restore for the forty motions
    assert seen[-1] == app.world.tick_count == strip.tick_at(xs[-1])
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=(xs[-1], y), button=1, mod=0))
    assert len(seen) == 2


def test_a_key_after_the_motions_acts_at_the_last_motions_tick():
    app, surf = make_app()
    strip, y = app.timeline_ui.strip, app.timeline_ui.rect.centery
    end = app.world.tick_count
    xs = [int(round(strip.axis.tick_to_x(t))) for t in (end * 0.8, end * 0.6, end * 0.4)]
    drag(app, xs, y)
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=(xs[-1], y), button=1, mod=0))
    want = strip.tick_at(xs[-1])
    assert app.world.tick_count == want  # the release restored the last motion's tick
    drag(app, [xs[-1], xs[0]], y)  # motions, then a key in the same frame
    app.handle(ev(pygame.KEYDOWN, key=pygame.K_g, mod=0, unicode="g", scancode=0))
    assert app.world.tick_count == strip.tick_at(xs[0]) and app.world.rule.name == "gd"
    assert app.runtime.timeline.last == strip.tick_at(xs[0])  # the fork is there
