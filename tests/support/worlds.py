"""Comparing worlds in the tests: two `sim.core.world.World`s are the same bit for bit (the
particles' arrays, clock, rules and random generator), as a saved and loaded scene must be."""
from __future__ import annotations

from sim.core.particles import FIELDS
from sim.core.world import World


def assert_same_world(a: World, b: World) -> None:
    """Bit-for-bit the same state, clock and random generator."""
    assert a.n == b.n
    for k in FIELDS:
        x, y = getattr(a.particles, k), getattr(b.particles, k)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), k
    assert a.tick_count == b.tick_count and a.time == b.time and a.seed == b.seed
    assert a.rules == b.rules
    assert a.counts() == b.counts()
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
