"""A change made while paused at a scrubbed tick forks the future there, as a drop does (issue:
a rule key pressed at a scrubbed tick was lost at the next scrub: the old future survived).
Checked against an independent run that makes the same change at that tick."""
from __future__ import annotations

import numpy as np
import pytest

from sim.rules.dynamics import Rule
from sim.core.particles import FIELDS
from sim.data.catalog import get_potential
from sim.runtime.runtime import Runtime
from sim.landscapes.tuning import suggest
from sim.core.world import World

STARTS = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.4]])
RUN, AT, BACK = 240, 169, 73


def fresh() -> Runtime:
    pot = get_potential("rosenbrock")
    w = World(pot, suggest(pot, Rule("momentum")), seed=3)
    w.drop(STARTS)
    rt = Runtime(w, seed=3)
    return rt


def state(w: World) -> tuple:
    return tuple(getattr(w.particles, k).tobytes() for k in FIELDS) + (w.tick_count, tuple(w.rules))


def reference(change, after: int) -> tuple:
    """An independent run: AT ticks, the change, `after` more ticks, never scrubbed."""
    rt = fresh()
    rt.tick(AT)
    change(rt)
    rt.tick(after)
    return state(rt.world)


CHANGES = {
    "rule key (G)": lambda rt: rt.switch.set_rule("gd"),
    "step slider": lambda rt: rt.params.set_value("step", 3e-6),
    "beta": lambda rt: rt.params.set_value("beta", 0.5),
    "integrator": lambda rt: (rt.switch.set_rule("newton"), rt.params.cycle_integrator()),
    "schedule (Ctrl+T)": lambda rt: rt.params.cycle_schedule(),
}


@pytest.mark.parametrize("what", CHANGES)
def test_a_change_at_a_scrubbed_tick_forks_the_future(what):
    rt = fresh()
    rt.tick(RUN)
    rt.toggle_pause()
    assert rt.scrub(AT)
    CHANGES[what](rt)
    changed = tuple(rt.world.rules)
    # the old future is gone at once: the timeline ends at the tick of the change
    assert rt.timeline.last == AT, rt.timeline.spans()
    assert rt.scrub(BACK) and tuple(rt.world.rules) != changed  # before the change
    assert rt.scrub(rt.timeline.last)  # "the end": the tick of the change, with the change
    assert rt.world.tick_count == AT and tuple(rt.world.rules) == changed
    rt.tick(11)  # and the new future is the one the change makes
    assert state(rt.world) == reference(CHANGES[what], 11)


def test_a_drop_at_a_scrubbed_tick_forks_the_same_way():
    rt = fresh()
    rt.tick(RUN)
    rt.scrub(AT)
    rt.balls.drop(np.array([[0.0, 0.0]]))
    assert rt.timeline.last == AT


def test_scrubbing_without_a_change_keeps_the_future():
    rt = fresh()
    rt.tick(RUN)
    rt.scrub(AT)
    rt.scrub(BACK)
    assert rt.timeline.last == RUN
    rt.scrub(RUN)
    assert rt.world.rule.name == "momentum"


def test_choosing_a_ball_at_a_scrubbed_tick_keeps_the_future():
    """Choosing a ball replays its last tick from the timeline and puts the world back: no
    change, so the next scrub must not fork."""
    rt = fresh()
    rt.tick(RUN)
    rt.scrub(AT)
    rt.select(1)
    assert rt.watch.last is not None
    rt.scrub(BACK)
    assert rt.timeline.last == RUN
    rt.scrub(RUN)
    assert state(rt.world) == reference(lambda rt: None, RUN - AT)


def test_a_change_then_choosing_a_ball_keeps_the_change():
    rt = fresh()
    rt.tick(RUN)
    rt.scrub(AT)
    rt.world.set_params(lr=2e-6)  # a change no command noted (as scripts may make)
    rt.select(0)
    assert rt.world.rule.lr == 2e-6 and rt.timeline.last == AT
    rt.scrub(BACK)
    rt.scrub(AT)
    assert rt.world.rule.lr == 2e-6


def test_a_change_at_the_live_tick_survives_choosing_a_ball_and_scrubbing():
    """At the live tick a change is noted by the next tick's record (or a scrub); choosing a
    ball in between (which replays the last tick from the timeline) must not lose it."""
    rt = fresh()
    rt.tick(AT)
    rt.switch.set_rule("gd")
    rt.select(2)
    rt.tick(11)
    assert rt.scrub(AT + 5) and rt.world.rule.name == "gd"
    rt.tick(6)
    assert state(rt.world) == reference(CHANGES["rule key (G)"], 11)
