"""Rewind: every ball back at its drop point with fresh optimizer state and the same random
stream, so the run replays bit for bit (restart alone keeps drawing new noise)."""
import numpy as np
import pytest

from sim.rules.dynamics import RULES, Rule
from sim.core.particles import FIELDS
from sim.data.catalog import get_potential
from sim.core.world import World

N = 40


def world(rule: Rule, seed: int = 11) -> World:
    w = World(get_potential("gaussian_wells"), rule, seed=seed)
    w.drop_random(300)  # draws from the world's generator before the run starts
    w.drop(np.array([[0.5, 0.5]]), vel=np.array([[1.0, -2.0]]))  # a throw
    return w


def state(w: World) -> tuple:
    return (tuple(getattr(w.particles, k).tobytes() for k in FIELDS), w.tick_count, w.time,
            repr(w.rng.bit_generator.state))


@pytest.mark.parametrize("name", RULES)
def test_rewind_then_run_replays_the_first_run_bit_for_bit(name):
    rule = Rule(name, lr=0.01, dt=0.02, friction=0.4, temperature=0.5)
    w = world(rule)
    start = ({k: getattr(w.particles, k).copy() for k in FIELDS},)
    w.tick(N)
    first = state(w)
    w.tick(17)  # further on, then back
    w.rewind()
    assert w.tick_count == 0 and w.time == 0.0
    for k in FIELDS:  # drop points, drop velocities, fresh buffers (restart seeds a heavy
        # ball's buffer from its drop velocity, -0.0 for a ball dropped at rest: equal values)
        assert np.array_equal(getattr(w.particles, k), start[0][k]), k
    w.tick(N)
    assert state(w) == first
    fresh = world(rule)  # an independent run of a fresh world agrees too
    fresh.tick(N)
    assert state(fresh) == first


def test_restart_alone_draws_new_noise_and_rewind_does_not():
    rule = Rule("langevin", dt=0.02, friction=0.4, temperature=0.5)
    w = world(rule)
    w.tick(N)
    first = w.particles.pos.copy()
    w.restart()
    w.tick(N)
    assert not np.array_equal(w.particles.pos, first)  # why rewind exists
    w.rewind()  # the stream of the run that started at the restart
    w.tick(N)
    again = w.particles.pos.copy()
    w.rewind()
    w.tick(N)
    assert np.array_equal(w.particles.pos, again)


def test_rewind_resets_optimizer_state_and_keeps_the_rules():
    w = world(Rule("adam", lr=0.05))
    w.tick(10)
    w.set_params(lr=0.02)
    assert w.particles.steps.max() == 10
    w.rewind()
    p = w.particles
    assert not p.buf_a.any() and not p.buf_b.any() and not p.steps.any()
    assert np.array_equal(p.pos, p.origin) and np.array_equal(p.prev, p.origin)
    assert w.rule.lr == 0.02  # the same initialization, the current settings


def test_rewind_before_any_tick_changes_nothing_but_the_clock():
    w = world(Rule("langevin", temperature=0.3))
    before = state(w)
    w.rewind()
    assert state(w) == before
