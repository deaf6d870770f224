"""The world: a potential, the particles, the rules that move them, and tick().

What the renderer reads. Every change comes through a method here (a command), so input
handling, scenes and tests all drive the world the same way.
"""
from __future__ import annotations

import numpy as np

from sim.dynamics import NEWTONIAN, Rule, State, step
from sim.particles import ALIVE, DIVERGED, Particles
from sim.potential_base import Potential

BOUND = 1e6  # a particle with |x| + |y| beyond this (or not finite) is marked diverged
TICK_CHUNK = 32768  # rows per block in a tick: copy, gradient, update and bound check while
# the block is in cache (every rule is elementwise, so blocks give the same bits as a whole)


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

    def velocities(self) -> np.ndarray:
        """Velocity per particle [n, 2], world units per unit simulated time. For optimizer
        rules (one tick = one unit of time) it is the last displacement."""
        p = self.particles
        v = p.vel.copy()
        newt = np.isin(p.rule, [i for i, r in enumerate(self.rules) if r.newtonian])
        opt = ~newt
        if opt.any():
            v[opt] = p.pos[opt] - p.prev[opt]
        return v

    def kinetic(self) -> np.ndarray:
        """Kinetic energy 1/2 m |v|^2 per particle [n] (zero for optimizer rules: no mass)."""
        p = self.particles
        masses = np.array([r.mass if r.newtonian else 0.0 for r in self.rules])[p.rule]
        return 0.5 * masses * np.einsum("ij,ij->i", p.vel, p.vel)

    def counts(self) -> tuple[int, int]:
        """(alive, diverged)."""
        d = len(self._frozen)
        return self.n - d, d

    # -- commands --------------------------------------------------------------------------
    def drop(self, pos: np.ndarray, vel: np.ndarray | None = None, rule_id: int = 0) -> slice:
        """Add particles at pos [k, 2] (velocity [k, 2]) under rules[rule_id]; fresh state."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(pos).all():
            raise ValueError("drop position must be finite")
        s = self.particles.add(pos, vel, rule_id)
        p = self.particles
        r = self.rules[rule_id]
        if vel is not None and r.name in ("momentum", "nesterov"):
            # a throw: seed the buffer so the first step moves by about v per tick (u = -v / lr);
            # with no throw the buffer stays fresh (zero), exactly as torch would start
            p.buf_a[s] = p.vel[s] * (-1.0 / r.lr)
        with np.errstate(all="ignore"):
            ke = 0.5 * r.mass * np.einsum("ij,ij->i", p.vel[s], p.vel[s]) if r.newtonian else 0.0
            p.energy0[s] = self.potential.value(p.pos[s]) + ke
        self._grad_valid = False
        self._update_mixed()
        return s

    def drop_random(self, k: int, view: tuple[float, float, float, float] | None = None) -> slice:
        """Drop k particles uniformly at seeded random places in view (default: the potential's)."""
        x0, x1, y0, y1 = view or self.potential.view
        u = self.rng.random((k, 2))
        pos = np.column_stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]])
        return self.drop(pos)

    def add_rule(self, rule: Rule) -> int:
        """Register an extra rule (race lanes, Newtonian twins); returns its id."""
        self.rules.append(rule)
        return len(self.rules) - 1

    def remove(self, mask: np.ndarray) -> int:
        """Remove the particles where mask [n] is True; returns how many."""
        removed = self.particles.keep(~np.asarray(mask, dtype=bool))
        if removed:
            self._grad_valid = False
            self._refresh_frozen()
            self._update_mixed()
        return removed

    def remove_near(self, point: tuple[float, float], radius: float) -> int:
        d = self.particles.pos - np.asarray(point, dtype=np.float64)
        return self.remove(np.einsum("ij,ij->i", d, d) <= radius * radius)

    def clear(self) -> None:
        self.particles.clear()
        self._frozen = np.zeros(0, dtype=np.intp)
        self._grad_valid = False
        self._mixed = False
        self.tick_count = 0
        self.time = 0.0

    def restart(self) -> None:
        """Every particle back to its drop point and drop velocity, with fresh state."""
        p = self.particles
        p.pos[:] = p.origin
        p.prev[:] = p.origin
        p.vel[:] = p.origin_vel
        p.status[:] = ALIVE
        p.reset_state()
        for rid, r in enumerate(self.rules):  # a throw seeds heavy-ball momentum, as in drop()
            if r.name in ("momentum", "nesterov"):
                rows = p.rule == rid
                p.buf_a[rows] = p.origin_vel[rows] * (-1.0 / r.lr)
        self._frozen = np.zeros(0, dtype=np.intp)
        self._reset_ledger()
        self._grad_valid = False
        self.tick_count = 0
        self.time = 0.0

    def set_potential(self, potential: Potential) -> None:
        """Swap the landscape; particles stay where they are, the energy ledger restarts."""
        self.potential = potential
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
        self._grad_valid = False
        self._mixed = False
        self._reset_ledger()

    def set_params(self, **changes) -> Rule:
        """Change parameters of the current rule (validated; ValueError on a bad value).
        The new value applies from the next tick; buffers are kept."""
        self.rules[0] = self.rule.with_(**changes)
        self._grad_valid = False
        self._reset_ledger()
        return self.rules[0]

    def retune(self, rules: list[Rule]) -> None:
        """Give every rule new parameters at once, keeping each rule's name and particles (race
        lanes survive a new landscape's step sizes). Buffers are kept, as in set_params."""
        if len(rules) != len(self.rules) or any(a.name != b.name for a, b in zip(rules, self.rules)):
            raise ValueError("retune keeps the rules: the same number, with the same names")
        self.rules[:] = list(rules)
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
        heavy = ("momentum", "nesterov")
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
        self._frozen = np.flatnonzero(self.particles.status == DIVERGED)

    # -- time ------------------------------------------------------------------------------
    def tick(self, n: int = 1) -> None:
        """Advance every alive particle by n ticks of its rule."""
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
            copy_prev = bool(self.keep_prev or len(self._frozen))
            if not self._mixed:
                rid = int(p.rule[0])
                self._grad_valid, inside = self._step_blocks(self.rules[rid], copy_prev)
                if inside and not len(self._frozen):
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
            p.prev[keep_new] = p.pos[keep_new]
            self._refresh_frozen()
            self._grad_valid = False
