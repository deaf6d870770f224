"""The world: a potential, the particles, the rules that move them, and tick().

What the renderer reads. Every change comes through a method here (a command), so input
handling, scenes and tests all drive the world the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.dynamics import HEAVY_BALL, Rule, State, step
from sim.particles import ALIVE, DIVERGED, UNDEFINED, Particles
from sim.potential_base import Potential
from sim.quantity import kinetic_energy, rule_masses

BOUND = 1e6  # a particle with |x| + |y| beyond this (or not finite) is marked diverged
TICK_UNCHANGED = ("origin", "origin_vel", "rule", "energy0")  # particle fields a tick never writes
TICK_CHUNK = 32768  # rows per block in a tick: copy, gradient, update and bound check while
# the block is in cache (every rule is elementwise, so blocks give the same bits as a whole)


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
        self._grad_ok = False
        self._grad_ok_rules: set[int] = set()  # mixed worlds: rules whose rows' grad is current
        self._mixed = False
        self._frozen = np.zeros(0, dtype=np.intp)  # rows of diverged particles
        self._scratch: tuple[np.ndarray, np.ndarray] = (np.zeros((0, 2)), np.zeros((0, 2)))
        # commands that changed the world other than by ticking (a timeline's history is a pure
        # replay of ticks only while this stays the same)
        self.edits = 0
        self._run_rng: dict | None = None  # rng state at the run's first tick (see rewind)

    @property
    def _grad_valid(self) -> bool:
        """Whether particles.grad holds grad V(pos) for every particle (newton family cache).
        Setting it False (any change of particles, rules or potential) also forgets the
        per-rule validity that mixed worlds keep."""
        return self._grad_ok

    @_grad_valid.setter
    def _grad_valid(self, value: bool) -> None:
        self._grad_ok = bool(value)
        if not value:
            self._grad_ok_rules = set()

    # -- reading ---------------------------------------------------------------------------
    @property
    def rule(self) -> Rule:
        return self.rules[0]

    @property
    def n(self) -> int:
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
        d = len(self._frozen)
        return self.n - d, (d - self.particles.n_undefined() if d else 0)

    def n_undefined(self) -> int:
        """Balls stopped where V or grad V is not finite (outside the landscape's domain)."""
        return self.particles.n_undefined() if len(self._frozen) else 0

    # -- commands --------------------------------------------------------------------------
    def drop(self, pos: np.ndarray, vel: np.ndarray | None = None, rule_id: int = 0) -> slice:
        """Add particles at pos [k, 2] (velocity [k, 2]) under rules[rule_id]; fresh state."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(pos).all():
            raise ValueError("drop position must be finite")
        s = self.particles.add(pos, vel, rule_id)
        self.edits += 1
        p = self.particles
        r = self.rules[rule_id]
        if vel is not None and r.name in HEAVY_BALL:
            # a throw: seed the buffer so the first step moves by about v per tick (u = -v / lr);
            # with no throw the buffer stays fresh (zero), exactly as torch would start
            p.buf_a[s] = p.vel[s] * (-1.0 / r.lr)
        with np.errstate(all="ignore"):
            ke = kinetic_energy(p.vel[s], r.mass) if r.newtonian else 0.0
            p.energy0[s] = self.potential.value(p.pos[s]) + ke
        if self.potential.partial:  # dropped outside the landscape's domain: undefined at once
            rows = np.arange(s.start, s.stop)
            bad = rows[self._undefined_at(rows)]
            if len(bad):
                p.status[bad] = UNDEFINED
                self._refresh_frozen()
        self._grad_valid = False
        self._update_mixed()
        return s

    def drop_random(self, k: int, view: tuple[float, float, float, float] | None = None) -> slice:
        """Drop k particles uniformly at seeded random places in view (default: the potential's)."""
        x0, x1, y0, y1 = view or self.potential.view
        u = self.rng.random((k, 2))
        pos = np.column_stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]])
        return self.drop(pos)

    def load_particles(self, arrays: dict[str, np.ndarray]) -> None:
        """Replace every particle by the given arrays (sim.particles.FIELDS names, n rows each):
        a saved world's exact state. The world's own bookkeeping (frozen rows, mixed rules, the
        gradient cache) follows the arrays. CapacityError beyond the ball limit."""
        from sim.particles import FIELDS

        p = self.particles
        p.clear()
        p.add(np.asarray(arrays["pos"], dtype=np.float64))
        for k, (_, dtype) in FIELDS.items():
            getattr(p, k)[:] = np.asarray(arrays[k]).astype(dtype, copy=False)
        self.edits += 1
        self._grad_valid = False
        self._refresh_frozen()
        self._update_mixed()

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
            self._grad_valid = False
            self._refresh_frozen()
            self._update_mixed()
        return removed

    def clear(self) -> None:
        self.particles.clear()
        self.edits += 1
        self._frozen = np.zeros(0, dtype=np.intp)
        self._grad_valid = False
        self._mixed = False
        self.tick_count = 0
        self.time = 0.0

    def restart(self) -> None:
        """Every particle back to its drop point and drop velocity, with fresh state."""
        p = self.particles
        self.edits += 1
        p.pos[:] = p.origin
        p.prev[:] = p.origin
        p.vel[:] = p.origin_vel
        p.status[:] = ALIVE
        p.reset_state()
        for rid, r in enumerate(self.rules):  # a throw seeds heavy-ball momentum, as in drop()
            if r.name in HEAVY_BALL:
                rows = p.rule == rid
                p.buf_a[rows] = p.origin_vel[rows] * (-1.0 / r.lr)
        self._frozen = np.zeros(0, dtype=np.intp)
        self._reset_ledger()
        self._grad_valid = False
        self.tick_count = 0
        self.time = 0.0

    def rewind(self) -> None:
        """restart(), and the random stream back to where it stood at the run's first tick: the
        same run (Langevin noise, random draws) replays exactly, tick for tick."""
        self.restart()
        if self._run_rng is not None:
            self.rng.bit_generator.state = self._run_rng

    def save_state(self, like: WorldState | None = None) -> WorldState:
        """A copy of the complete state; `load_state` of it continues bit for bit the same.
        Particle arrays equal to `like`'s are shared with it instead of copied."""
        same = TICK_UNCHANGED if like is not None and like.edits == self.edits else ()
        return WorldState(
            arrays=self.particles.snapshot(like.arrays if like is not None else None, same),
            edits=self.edits, rules=tuple(self.rules), potential=self.potential,
            seed=self.seed, tick_count=int(self.tick_count), time=float(self.time),
            rng=self.rng.bit_generator.state, run_rng=self._run_rng, keep_prev=self.keep_prev,
            grad_ok=self._grad_ok, grad_ok_rules=frozenset(self._grad_ok_rules), mixed=self._mixed)

    def load_state(self, state: WorldState) -> None:
        """Put the world exactly in a saved state (the arrays are copied, never shared)."""
        self.particles.load(state.arrays)
        self.rules[:] = state.rules  # the same list object: holders of world.rules follow
        self.potential = state.potential
        self.seed = state.seed
        self.tick_count, self.time = state.tick_count, state.time
        self.rng.bit_generator.state = state.rng
        self._run_rng = state.run_rng
        self.keep_prev = state.keep_prev
        self._refresh_frozen()
        self._grad_ok, self._grad_ok_rules = state.grad_ok, set(state.grad_ok_rules)
        self._mixed = state.mixed
        self.edits += 1

    def set_potential(self, potential: Potential) -> None:
        """Swap the landscape; particles stay where they are, the energy ledger restarts."""
        self.potential = potential
        self.edits += 1
        self._grad_valid = False
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
            self._carry_over(old, new, rows)
        p.rule[:] = 0
        self.rules = [new]
        self.edits += 1
        self._grad_valid = False
        self._mixed = False
        self._reset_ledger()

    def set_params(self, **changes) -> Rule:
        """Change parameters of the current rule (validated; ValueError on a bad value).
        The new value applies from the next tick; buffers are kept."""
        self.rules[0] = self.rule.with_(**changes)
        self.edits += 1
        self._grad_valid = False
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
        self._grad_valid = False
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
        self._grad_valid = False

    def gradient_field(self, rule: Rule):
        """What `rule` takes gradients of: the potential, or a minibatch sampler over it."""
        if not rule.batch:
            return self.potential
        from sim.data.minibatch import gradient_field
        return gradient_field(self.potential, rule.batch, self.rng)

    def cached_gradients(self) -> list[int]:
        """Rule ids whose particles hold grad V(pos) in particles.grad for the next tick (the
        newton family's cache). With minibatches that gradient was a random draw, so a saved
        scene keeps this list to continue exactly."""
        if self._mixed:
            return sorted(self._grad_ok_rules)
        return [int(self.particles.rule[0])] if self._grad_ok and self.n else []

    def restore_cached_gradients(self, rule_ids: list[int]) -> None:
        """Trust particles.grad for these rules' particles (after restoring saved arrays)."""
        if self._mixed:
            self._grad_ok_rules = {int(r) for r in rule_ids}
        else:
            self._grad_valid = bool(rule_ids)

    def _carry_over(self, old: Rule, new: Rule, rows: np.ndarray) -> None:
        p = self.particles
        heavy = HEAVY_BALL
        if old.name in heavy and new.name in heavy:
            return
        if old.newtonian and new.name in heavy:
            p.buf_a[rows] = -p.vel[rows] * (old.dt / new.lr)
            p.buf_b[rows] = 0
            p.steps[rows] = 0
            return
        if old.name in heavy and new.newtonian:
            p.vel[rows] = -p.buf_a[rows] * (old.lr / new.dt)
        elif old.newtonian and new.newtonian:
            pass  # velocity is velocity
        elif new.newtonian:
            p.vel[rows] = 0.0
        p.buf_a[rows] = 0
        p.buf_b[rows] = 0
        p.steps[rows] = 0

    def _reset_ledger(self) -> None:
        """Energy accounting restarts from the current state (after any change of rules)."""
        p = self.particles
        p.dissipated[:] = 0.0
        with np.errstate(all="ignore"):
            p.energy0[:] = self.potential.value(p.pos) + self.kinetic()

    def _update_mixed(self) -> None:
        """Mixed: the particles are not all on one rule (the fast path steps rules[rule[0]])."""
        r = self.particles.rule
        self._mixed = bool(len(r)) and bool((r != r[0]).any())

    def _refresh_frozen(self) -> None:
        self._frozen = np.flatnonzero(self.particles.status != ALIVE)

    def _check_domain(self) -> None:
        """A partial landscape (sim/potential_base.py): an alive ball at a finite place where V
        is not finite goes back to its last place and becomes UNDEFINED."""
        p = self.particles
        v = self.potential.value(p.pos)
        bad = np.flatnonzero(~np.isfinite(v) & (p.status == ALIVE) & np.isfinite(p.pos).all(axis=1))
        if len(bad):
            p.pos[bad] = p.prev[bad]
            p.vel[bad] = 0.0
            p.status[bad] = UNDEFINED
            self._refresh_frozen()
            self._grad_valid = False

    def _undefined_at(self, rows: np.ndarray) -> np.ndarray:
        """Which of these rows sit where V or grad V is not finite: mask [len(rows)]."""
        pos = self.particles.pos[rows]
        ok = np.isfinite(self.potential.value(pos)) & np.isfinite(self.potential.grad(pos)).all(axis=1)
        return ~ok

    # -- time ------------------------------------------------------------------------------
    def tick(self, n: int = 1) -> None:
        """Advance every alive particle by n ticks of its rule."""
        if self.tick_count == 0 and n > 0:  # a run starts: remember its random stream (rewind)
            self._run_rng = self.rng.bit_generator.state
        for _ in range(int(n)):
            self._tick_once()

    def _scratch_for(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._scratch
        if len(a) < n:
            cap = self.particles.capacity
            a, b = np.empty((cap, 2)), np.empty((cap, 2))
            self._scratch = (a, b)
        return a[:n], b[:n]

    def _tick_once(self) -> None:
        p = self.particles
        n = p.n
        self.tick_count += 1
        self.time += self.rule.tick_time
        if n == 0:
            return
        with np.errstate(all="ignore"):
            copy_prev = bool(self.keep_prev or len(self._frozen) or self.potential.partial)
            if not self._mixed:
                rid = int(p.rule[0])
                self._grad_valid, inside = self._step_blocks(self.rules[rid], copy_prev)
                if inside and not len(self._frozen) and not self.potential.partial:
                    return  # all finite and well inside the bound (checked block by block)
            else:
                if copy_prev:
                    np.copyto(p.prev, p.pos)
                self._tick_mixed()
            self._check_divergence()

    def _step_blocks(self, rule: Rule, copy_prev: bool) -> tuple[bool, bool]:
        """One tick of `rule` for every particle, TICK_CHUNK rows at a time: the prev copy,
        the gradient, the update and the bound check while the rows are in cache. Returns
        (grad valid, every |coordinate| <= BOUND / 2 and finite)."""
        p = self.particles
        n = p.n
        c = min(n, TICK_CHUNK)
        tmp, tmp2 = self._scratch_for(c)
        pos, vel, grad, prev = p.pos, p.vel, p.grad, p.prev
        buf_a, buf_b, steps, dissipated = p.buf_a, p.buf_b, p.steps, p.dissipated
        same = None
        if rule.name == "adam":  # one decision for all blocks (see State.same_steps)
            same = bool(n) and steps[0] == steps[-1] and bool(steps.min() == steps.max())
        valid = self._grad_valid
        field = self.gradient_field(rule)
        limit = 0.5 * BOUND
        inside = True
        out = False
        for i in range(0, n, TICK_CHUNK):
            j = min(i + TICK_CHUNK, n)
            m = j - i
            if copy_prev:
                np.copyto(prev[i:j], pos[i:j])
            s = State(pos[i:j], vel[i:j], grad[i:j], buf_a[i:j], buf_b[i:j], steps[i:j],
                      dissipated[i:j], tmp[:m], tmp2[:m], valid, same)
            out = step(rule, s, field, self.rng)
            if inside:
                a = np.abs(pos[i:j], out=tmp[:m])
                inside = bool(a.max() <= limit)  # NaN compares False
        return out, inside

    def _tick_mixed(self) -> None:
        """Several rules at once (race, twins): each rule's rows are stepped as one block (a
        slice when they are contiguous, else gathered and scattered back). A rule whose
        gradients were left valid by its last tick (newton family) keeps them, unless
        something changed since (see `_grad_valid`) or a particle is frozen."""
        p = self.particles
        names = ("pos", "vel", "grad", "buf_a", "buf_b", "steps", "dissipated")
        valid_rules = self._grad_ok_rules if not len(self._frozen) else set()
        now_valid: set[int] = set()
        for rid, r in enumerate(self.rules):
            rows = np.flatnonzero(p.rule == rid)
            if len(rows) == 0:
                continue
            lo, hi = int(rows[0]), int(rows[-1]) + 1
            if hi - lo == len(rows):  # contiguous: step the rows in place
                arrs = {k: getattr(p, k)[lo:hi] for k in names}
            else:
                arrs = {k: getattr(p, k)[rows] for k in names}
            tmp, tmp2 = np.empty((len(rows), 2)), np.empty((len(rows), 2))
            s = State(arrs["pos"], arrs["vel"], arrs["grad"], arrs["buf_a"], arrs["buf_b"],
                      arrs["steps"], arrs["dissipated"], tmp, tmp2, rid in valid_rules)
            if step(r, s, self.gradient_field(r), self.rng):
                now_valid.add(rid)
            if hi - lo != len(rows):
                for k in names:
                    getattr(p, k)[rows] = arrs[k]
        self._grad_valid = False
        self._grad_ok_rules = now_valid

    def _check_divergence(self) -> None:
        """Freeze particles that stopped being finite or left the bound at their last
        finite position; keep the already-frozen ones where they were."""
        p = self.particles
        fz = self._frozen
        if len(fz):
            p.pos[fz] = p.prev[fz]
            p.vel[fz] = 0.0
        if self.potential.partial:
            self._check_domain()
            fz = self._frozen
        tmp, _ = self._scratch_for(p.n)
        np.abs(p.pos, out=tmp)
        if not len(fz) and tmp.max() <= 0.5 * BOUND:  # fast path: all finite and well inside
            return
        l1 = tmp[:, 0] + tmp[:, 1]
        bad = np.flatnonzero(~(l1 <= BOUND) & (p.status == ALIVE))
        if len(bad):
            finite = np.isfinite(p.pos[bad]).all(axis=1)
            # keep the new position if it is finite (just past the bound), else the last one
            keep_new = bad[finite]
            go_back = bad[~finite]
            p.pos[go_back] = p.prev[go_back]
            p.vel[bad] = 0.0
            p.status[bad] = DIVERGED
            # not finite because the landscape is not, where the ball last was: undefined
            p.status[go_back[self._undefined_at(go_back)]] = UNDEFINED
            p.prev[keep_new] = p.pos[keep_new]
            self._refresh_frozen()
            self._grad_valid = False
