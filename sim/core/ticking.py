"""How a world ticks: every alive particle one step of its rule, block by block while the rows
are in cache, several rules at once, and the bookkeeping of frozen (diverged, undefined) rows,
mixed rules and the newton family's cached gradient (`TickBook`). World.tick calls `tick_once`.
"""
from __future__ import annotations

import numpy as np

from sim.rules.dynamics import Rule, State, buffer_fields, step
from sim.core.particles import ALIVE, DIVERGED, UNDEFINED

BOUND = 1e6  # a particle with |x| + |y| beyond this (or not finite) is marked diverged
TICK_CHUNK = 32768  # rows per block in a tick: copy, gradient, update and bound check while
# the block is in cache (every rule is elementwise, so blocks give the same bits as a whole)


class TickBook:
    """What a tick keeps beside the particle arrays: the frozen rows, whether several rules are
    mixed, whether particles.grad holds grad V(pos) (the newton family's cache: for every row,
    or in a mixed world per rule id), and scratch arrays."""

    def __init__(self) -> None:
        self.grad_ok = False
        self.grad_ok_rules: set[int] = set()  # mixed worlds: rules whose rows' grad is current
        self.mixed = False
        self.frozen = np.zeros(0, dtype=np.intp)  # rows of stopped (diverged, undefined) particles
        self.scratch: tuple[np.ndarray, np.ndarray] = (np.zeros((0, 2)), np.zeros((0, 2)))

    def set_grad_valid(self, value: bool) -> None:
        """Whether particles.grad holds grad V(pos); False also forgets the per-rule validity."""
        self.grad_ok = bool(value)
        if not value:
            self.grad_ok_rules = set()

    def cached_rules(self, particles) -> list[int]:
        """Rule ids whose particles hold grad V(pos) in particles.grad for the next tick (the
        newton family's cache). With minibatches that gradient was a random draw, so a saved
        scene keeps this list to continue exactly."""
        if self.mixed:
            return sorted(self.grad_ok_rules)
        return [int(particles.rule[0])] if self.grad_ok and particles.n else []

    def trust_cached(self, rule_ids: list[int]) -> None:
        """Trust particles.grad for these rules' particles (after restoring saved arrays)."""
        if self.mixed:
            self.grad_ok_rules = {int(r) for r in rule_ids}
        else:
            self.set_grad_valid(bool(rule_ids))

    def invalidate(self) -> None:
        """Particles, rules or the potential changed: no cached gradient is current."""
        self.set_grad_valid(False)

    def update_mixed(self, particles) -> None:
        """Mixed: the particles are not all on one rule (the fast path steps rules[rule[0]])."""
        r = particles.rule
        self.mixed = bool(len(r)) and bool((r != r[0]).any())

    def refresh_frozen(self, particles) -> None:
        self.frozen = np.flatnonzero(particles.status != ALIVE)

    def scratch_for(self, capacity: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.scratch
        if len(a) < n:
            a, b = np.empty((capacity, 2)), np.empty((capacity, 2))
            self.scratch = (a, b)
        return a[:n], b[:n]


def tick_once(world) -> None:
    """One tick of every alive particle (World.tick runs n of these)."""
    book = world.book
    p = world.particles
    n = p.n
    world.tick_count += 1
    world.time += world.rule.tick_time
    if n == 0:
        return
    with np.errstate(all="ignore"):
        copy_prev = bool(world.keep_prev or len(book.frozen) or world.potential.partial)
        if not book.mixed:
            rid = int(p.rule[0])
            valid, inside = step_blocks(world, world.rules[rid], copy_prev)
            book.set_grad_valid(valid)
            if inside and not len(book.frozen) and not world.potential.partial:
                return  # all finite and well inside the bound (checked block by block)
        else:
            if copy_prev:
                np.copyto(p.prev, p.pos)
            tick_mixed(world)
        check_divergence(world)

def extra_buffers(world, rule: Rule) -> list[tuple[str, str]]:
    """(buffer name, particle field) of each extra buffer `rule` declares, present in the
    world's particles (added, zero, the first time a tick needs it)."""
    out = []
    for name, fname, shape, dtype in buffer_fields(rule):
        world.particles.ensure(fname, shape, dtype)
        out.append((name, fname))
    return out


def step_blocks(world, rule: Rule, copy_prev: bool) -> tuple[bool, bool]:
    """One tick of `rule` for every particle, TICK_CHUNK rows at a time: the prev copy,
    the gradient, the update and the bound check while the rows are in cache. Returns
    (grad valid, every |coordinate| <= BOUND / 2 and finite)."""
    book = world.book
    p = world.particles
    n = p.n
    c = min(n, TICK_CHUNK)
    tmp, tmp2 = book.scratch_for(world.particles.capacity, c)
    pos, vel, grad, prev = p.pos, p.vel, p.grad, p.prev
    buf_a, buf_b, steps, dissipated = p.buf_a, p.buf_b, p.steps, p.dissipated
    extras = [(b, p.full(f)[:n]) for b, f in extra_buffers(world, rule)]
    same = None
    if rule.spec.counts_steps:  # one decision for all blocks (see State.same_steps)
        same = bool(n) and steps[0] == steps[-1] and bool(steps.min() == steps.max())
    valid = book.grad_ok
    field = world.gradient_field(rule)
    limit = 0.5 * BOUND
    inside = True
    out = False
    for i in range(0, n, TICK_CHUNK):
        j = min(i + TICK_CHUNK, n)
        m = j - i
        if copy_prev:
            np.copyto(prev[i:j], pos[i:j])
        s = State(pos[i:j], vel[i:j], grad[i:j], buf_a[i:j], buf_b[i:j], steps[i:j],
                  dissipated[i:j], tmp[:m], tmp2[:m], valid, same, {b: a[i:j] for b, a in extras})
        out = step(rule, s, field, world.rng)
        if inside:
            a = np.abs(pos[i:j], out=tmp[:m])
            inside = bool(a.max() <= limit)  # NaN compares False
    return out, inside

def tick_mixed(world) -> None:
    """Several rules at once (race, twins): each rule's rows are stepped as one block (a
    slice when they are contiguous, else gathered and scattered back). A rule whose
    gradients were left valid by its last tick (newton family) keeps them, unless
    something changed since (see `_grad_valid`) or a particle is frozen."""
    book = world.book
    p = world.particles
    names = ("pos", "vel", "grad", "buf_a", "buf_b", "steps", "dissipated")
    valid_rules = book.grad_ok_rules if not len(book.frozen) else set()
    now_valid: set[int] = set()
    for rid, r in enumerate(world.rules):
        rows = np.flatnonzero(p.rule == rid)
        if len(rows) == 0:
            continue
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        extras = extra_buffers(world, r)
        live = {k: getattr(p, k) for k in names} | {f: p.full(f)[:p.n] for _, f in extras}
        if hi - lo == len(rows):  # contiguous: step the rows in place
            arrs = {k: a[lo:hi] for k, a in live.items()}
        else:
            arrs = {k: a[rows] for k, a in live.items()}
        tmp, tmp2 = np.empty((len(rows), 2)), np.empty((len(rows), 2))
        s = State(arrs["pos"], arrs["vel"], arrs["grad"], arrs["buf_a"], arrs["buf_b"],
                  arrs["steps"], arrs["dissipated"], tmp, tmp2, rid in valid_rules,
                  bufs={b: arrs[f] for b, f in extras})
        if step(r, s, world.gradient_field(r), world.rng):
            now_valid.add(rid)
        if hi - lo != len(rows):
            for k, a in live.items():
                a[rows] = arrs[k]
    book.invalidate()
    book.grad_ok_rules = now_valid

def check_divergence(world) -> None:
    """Freeze particles that stopped being finite or left the bound at their last
    finite position; keep the already-frozen ones where they were."""
    book = world.book
    p = world.particles
    fz = book.frozen
    if len(fz):
        p.pos[fz] = p.prev[fz]
        p.vel[fz] = 0.0
    if world.potential.partial:
        check_domain(world)
        fz = book.frozen
    tmp, _ = book.scratch_for(world.particles.capacity, p.n)
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
        p.status[go_back[world.undefined_at(go_back)]] = UNDEFINED
        p.prev[keep_new] = p.pos[keep_new]
        book.refresh_frozen(world.particles)
        book.invalidate()

def check_domain(world) -> None:
    """A partial landscape (sim/potential_base.py): an alive ball at a finite place where V
    is not finite goes back to its last place and becomes UNDEFINED."""
    book = world.book
    p = world.particles
    v = world.potential.value(p.pos)
    bad = np.flatnonzero(~np.isfinite(v) & (p.status == ALIVE) & np.isfinite(p.pos).all(axis=1))
    if len(bad):
        p.pos[bad] = p.prev[bad]
        p.vel[bad] = 0.0
        p.status[bad] = UNDEFINED
        book.refresh_frozen(world.particles)
        book.invalidate()
