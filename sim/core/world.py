"""The world: a potential, the particles, the rules that move them, and tick().

What the renderer reads. Every change comes through a method here (a command), so input
handling, scenes and tests all drive the world the same way.
"""
from __future__ import annotations

import numpy as np

from sim.rules.dynamics import Rule, carry_over, check_buffer_memory
from sim.core.particles import UNDEFINED, Particles
from sim.landscapes.base import Potential
from sim.core.energy import reset_ledger, start_energy
from sim.core.quantity import kinetic_energy, rule_masses
from sim.core.ticking import TickBook, tick_once
from sim.core.world_state import WorldState


class World:
    """Potential + particles + rules. `rules[0]` is the current rule; race entries and
    Newtonian twins add more. Each particle's `rule` indexes `rules`."""

    def __init__(self, potential: Potential, rule: Rule | None = None, seed: int = 0,
                 capacity: int = 1024) -> None:
        self.potential = potential
        self.rules: list[Rule] = [rule or Rule()]
        self.particles = Particles(capacity)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.tick_count = 0
        self.time = 0.0  # simulated time (sum of the current rule's tick_time)
        # copy positions before each tick: for interpolation, and so a particle that turns
        # non-finite is frozen at its last finite position (False only for benchmarks)
        self.keep_prev = True
        self.book = TickBook()  # what a tick keeps beside the arrays (sim/ticking.py)
        # commands that changed the world other than by ticking (a timeline's history is a pure
        # replay of ticks only while this stays the same)
        self.edits = 0
        self.run_rng: dict | None = None  # rng state at the run's first tick (what rewind goes back to)

    # -- reading ---------------------------------------------------------------------------
    @property
    def rule(self) -> Rule:
        """The current rule (rules[0])."""
        return self.rules[0]

    @property
    def n(self) -> int:
        """How many balls."""
        return self.particles.n

    def values(self) -> np.ndarray:
        """V at every particle: [n]."""
        return self.potential.value(self.particles.pos)

    def kinetic(self) -> np.ndarray:
        """Kinetic energy 1/2 m |v|^2 per particle [n] (zero for optimizer rules: no mass)."""
        p = self.particles
        return kinetic_energy(p.vel, rule_masses(self.rules, p.rule))

    def counts(self) -> tuple[int, int]:
        """(alive, diverged); balls that are undefined (see `n_undefined`) are in neither."""
        d = len(self.book.frozen)
        return self.n - d, (d - self.particles.n_undefined() if d else 0)

    def n_undefined(self) -> int:
        """Balls stopped where V or grad V is not finite (outside the landscape's domain)."""
        return self.particles.n_undefined() if len(self.book.frozen) else 0

    # -- commands --------------------------------------------------------------------------
    def drop(self, pos: np.ndarray, vel: np.ndarray | None = None, rule_id: int = 0) -> slice:
        """Add particles at pos [k, 2] (velocity [k, 2]) under rules[rule_id]; fresh state."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(pos).all():
            raise ValueError("drop position must be finite")
        check_buffer_memory(self.rules[rule_id], self.particles.n + len(pos))
        s = self.particles.add(pos, vel, rule_id)
        self.edits += 1
        p = self.particles
        r = self.rules[rule_id]
        if vel is not None and r.spec.carry == "buffer":
            # a throw: seed the buffer so the first step moves by about v per tick (u = -v / lr);
            # with no throw the buffer stays fresh (zero), exactly as torch would start
            p.buf_a[s] = p.vel[s] * (-1.0 / r.lr)
        p.energy0[s] = start_energy(r, p.pos[s], p.vel[s], self.potential)
        if self.potential.partial:  # dropped outside the landscape's domain: undefined at once
            rows = np.arange(s.start, s.stop)
            bad = rows[self.undefined_at(rows)]
            if len(bad):
                p.status[bad] = UNDEFINED
                self.book.refresh_frozen(self.particles)
        self.book.invalidate()
        self.book.update_mixed(self.particles)
        return s

    def drop_random(self, k: int, view: tuple[float, float, float, float] | None = None) -> slice:
        """Drop k particles uniformly at seeded random places in view (default: the potential's)."""
        x0, x1, y0, y1 = view or self.potential.view
        u = self.rng.random((k, 2))
        pos = np.column_stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]])
        return self.drop(pos)

    def load_particles(self, arrays: dict[str, np.ndarray]) -> None:
        """Replace every particle by the given arrays (sim.core.particles.FIELDS names, n rows each):
        a saved world's exact state. The world's own bookkeeping (frozen rows, mixed rules, the
        gradient cache) follows the arrays. CapacityError beyond the ball limit."""
        self.particles.fill(arrays)
        self.edits += 1
        self.book.invalidate()
        self.book.refresh_frozen(self.particles)
        self.book.update_mixed(self.particles)

    def add_rule(self, rule: Rule) -> int:
        """Register an extra rule (race lanes, Newtonian twins); returns its id."""
        self.rules.append(rule)
        self.edits += 1
        return len(self.rules) - 1

    def remove(self, mask: np.ndarray) -> int:
        """Remove the particles where mask [n] is True; returns how many."""
        removed = self.particles.keep(~np.asarray(mask, dtype=bool))
        if removed:
            self.edits += 1
            self.book.invalidate()
            self.book.refresh_frozen(self.particles)
            self.book.update_mixed(self.particles)
        return removed

    def clear(self) -> None:
        """No balls; the clock back at 0."""
        self.particles.clear()
        self.edits += 1
        self.book.frozen = np.zeros(0, dtype=np.intp)
        self.book.invalidate()
        self.book.mixed = False
        self.tick_count = 0
        self.time = 0.0

    def restart(self) -> None:
        """Every particle back to its drop point and drop velocity, with fresh state."""
        p = self.particles
        self.edits += 1
        p.back_to_origin()
        for rid, r in enumerate(self.rules):  # a throw seeds heavy-ball momentum, as in drop()
            if r.spec.carry == "buffer":
                rows = p.rule == rid
                p.buf_a[rows] = p.origin_vel[rows] * (-1.0 / r.lr)
        self.book.frozen = np.zeros(0, dtype=np.intp)
        self._reset_ledger()
        self.book.invalidate()
        self.tick_count = 0
        self.time = 0.0

    def rewind(self) -> None:
        """restart(), and the random stream back to where it stood at the run's first tick: the
        same run (Langevin noise, random draws) replays exactly, tick for tick."""
        self.restart()
        if self.run_rng is not None:
            self.rng.bit_generator.state = self.run_rng

    def save_state(self, like: WorldState | None = None) -> WorldState:
        """A copy of the complete state; `load_state` of it continues bit for bit the same.
        Particle arrays equal to `like`'s are shared with it instead of copied."""
        return WorldState.capture(self, like)

    def load_state(self, state: WorldState) -> None:
        """Put the world exactly in a saved state (the arrays are copied, never shared)."""
        state.restore(self)

    def set_potential(self, potential: Potential) -> None:
        """Swap the landscape; particles stay where they are, the energy ledger restarts."""
        self.potential = potential
        self.edits += 1
        self.book.invalidate()
        self._reset_ledger()

    def set_rule(self, rule: Rule | str) -> None:
        """Switch every particle to one rule (race lanes and twins are dropped).

        State carries over as sim/dynamics.py's module docstring says.
        """
        p = self.particles
        new = Rule(rule) if isinstance(rule, str) else rule
        if isinstance(rule, str):  # keep the current parameters, change the name only
            new = self.rule.with_(name=rule)
        old_rules = self.rules
        ids = p.rule.copy()
        for i, old in enumerate(old_rules):
            rows = ids == i
            if not rows.any():
                continue
            carry_over(p, old, new, rows)
        p.rule[:] = 0
        self.rules = [new]
        self.edits += 1
        self.book.invalidate()
        self.book.mixed = False
        self._reset_ledger()

    def set_params(self, **changes) -> Rule:
        """Change parameters of the current rule (validated; ValueError on a bad value).
        The new value applies from the next tick; buffers are kept."""
        self.rules[0] = self.rule.with_(**changes)
        self.edits += 1
        self.book.invalidate()
        self._reset_ledger()
        return self.rules[0]

    def replace_rule(self, rule_id: int, rule: Rule) -> None:
        """New parameters for one rule (a partner rule following its ball's): its balls keep
        their buffers and the energy ledger keeps counting."""
        self.rules[rule_id] = rule
        self.edits += 1

    def retune(self, rules: list[Rule]) -> None:
        """Give every rule new parameters at once, keeping each rule's name and particles (race
        lanes survive a new landscape's step sizes). Buffers are kept, as in set_params."""
        if len(rules) != len(self.rules) or any(a.name != b.name for a, b in zip(rules, self.rules)):
            raise ValueError("retune keeps the rules: the same number, with the same names")
        self.rules[:] = list(rules)
        self.edits += 1
        self.book.invalidate()
        self._reset_ledger()

    @property
    def batch(self) -> int:
        """The current rule's minibatch size (0: full batch); each rule carries its own."""
        return self.rules[0].batch

    def set_batch(self, batch: int) -> None:
        """Every rule trains on minibatches of `batch` examples per ball and tick (0 or >= n:
        full batch). Only data landscapes (sim.data) have examples; elsewhere the gradient
        stays exact. ValueError on a bad value."""
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 0:
            raise ValueError(f"--batch must be a whole number >= 0, got {batch!r}")
        self.rules[:] = [r.with_(batch=int(batch)) for r in self.rules]
        self.edits += 1  # a command like set_params: the timeline keeps it
        self.book.invalidate()

    def gradient_field(self, rule: Rule):
        """What `rule` takes gradients of: the potential, or a minibatch sampler over it."""
        if not rule.batch:
            return self.potential
        return self.potential.gradient_field(rule.batch, self.rng)

    def _reset_ledger(self) -> None:
        """Energy accounting restarts from the current state (after any change of rules)."""
        reset_ledger(self.particles, self.rules, self.potential)

    def undefined_at(self, rows: np.ndarray) -> np.ndarray:
        """Which of these rows sit where V or grad V is not finite: mask [len(rows)]."""
        pos = self.particles.pos[rows]
        ok = np.isfinite(self.potential.value(pos)) & np.isfinite(self.potential.grad(pos)).all(axis=1)
        return ~ok

    # -- time ------------------------------------------------------------------------------
    def tick(self, n: int = 1) -> None:
        """Advance every alive particle by n ticks of its rule."""
        if self.tick_count == 0 and n > 0:  # a run starts: remember its random stream (rewind)
            self.run_rng = self.rng.bit_generator.state
        for _ in range(int(n)):
            tick_once(self)
