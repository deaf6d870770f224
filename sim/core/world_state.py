"""A world's complete state as one value: what `World.save_state` copies and `load_state`
puts back (the timeline's keyframes, the step readout's replay), so that a restored world
continues bit for bit as the saved one would have."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.rules.dynamics import Rule
from sim.landscapes.base import Potential

TICK_UNCHANGED = ("origin", "origin_vel", "rule", "energy0")  # particle fields a tick never writes


@dataclass(frozen=True)
class WorldState:
    """Everything a world's future depends on, as `World.save_state` copies it: every particle
    array (live rows), the rules, the potential (by reference: potentials are not changed in
    place), clock, random generator state and the caches that choose a tick's code path (a
    restored world continues bit for bit as the saved one would have)."""

    arrays: dict[str, np.ndarray]  # every Particles field: [n, 2] or [n]
    rules: tuple[Rule, ...]
    potential: Potential
    seed: Any
    tick_count: int
    time: float
    rng: dict  # numpy bit_generator.state
    run_rng: dict | None  # the rng state at the run's first tick (rewind)
    keep_prev: bool
    grad_ok: bool
    grad_ok_rules: frozenset[int]
    mixed: bool
    edits: int = -1  # World.edits when saved

    @property
    def n(self) -> int:
        return len(self.arrays["pos"])

    def nbytes(self) -> int:
        """Bytes held by the particle arrays (the rest is a few hundred bytes)."""
        return sum(a.nbytes for a in self.arrays.values())

    @classmethod
    def capture(cls, world, like: WorldState | None = None) -> WorldState:
        """The world's state now; particle arrays equal to `like`'s are shared with it
        instead of copied (the fields a tick never writes, without comparing, when no
        command changed the world since `like`)."""
        same = TICK_UNCHANGED if like is not None and like.edits == world.edits else ()
        book = world.book
        return cls(
            arrays=world.particles.snapshot(like.arrays if like is not None else None, same),
            edits=world.edits, rules=tuple(world.rules), potential=world.potential,
            seed=world.seed, tick_count=int(world.tick_count), time=float(world.time),
            rng=world.rng.bit_generator.state, run_rng=world.run_rng, keep_prev=world.keep_prev,
            grad_ok=book.grad_ok, grad_ok_rules=frozenset(book.grad_ok_rules), mixed=book.mixed)

    def restore(self, world) -> None:
        """Put `world` exactly in this state (the arrays are copied, never shared)."""
        world.particles.load(self.arrays)
        world.rules[:] = self.rules  # the same list object: holders of world.rules follow
        world.potential = self.potential
        world.seed = self.seed
        world.tick_count, world.time = self.tick_count, self.time
        world.rng.bit_generator.state = self.rng
        world.run_rng = self.run_rng
        world.keep_prev = self.keep_prev
        book = world.book
        book.refresh_frozen(world.particles)
        book.grad_ok, book.grad_ok_rules = self.grad_ok, set(self.grad_ok_rules)
        book.mixed = self.mixed
        world.edits += 1
