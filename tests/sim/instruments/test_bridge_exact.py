"""The bridge's exact maps against real runs: a newton ball under velocity Verlet / BAOAB and
its momentum twin (beta = exp(-friction dt/m), lr = (1 + beta) dt^2 / 2m, buffer seeded) tick
for tick; the mass control's light ball against its gradient-flow partner as the mass halves."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.instruments.bridge import TWIN_RULES, bridge, momentum_twin, overdamped_lr, overdamped_rules, twin_buffer
from sim.instruments.race import find_or_add_rule
from sim.instruments.curvature import hessian_eigs
from sim.rules.dynamics import Rule, State, newton_twin, step
from sim.data.catalog import get_potential
from sim.core.world import World

TWIN_TICKS = 10_000


def drop_with_twin(world: World, pos: np.ndarray, vel: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(A test helper: the window drops twins through sim.runtime.balls.) Drop balls at pos [k, 2] (velocity vel [k, 2]) under the current rule, and each one's exact
    twin beside it: a gd / momentum ball gets its Newtonian twin (sim.rules.dynamics.newton_twin:
    symplectic, mass dt^2/lr, friction (1-beta) dt/lr); a newton ball (symplectic or Verlet)
    gets its momentum twin (`momentum_twin`) with the buffer seeded by `twin_buffer`. The twin
    rule is registered once in world.rules and reused. Returns (ball rows [k], twin rows [k]);
    twin rows are empty when the current rule has no exact twin.
    """
    pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
    rule = world.rule
    s = world.drop(pos, None if vel is None else np.asarray(vel, dtype=np.float64).reshape(-1, 2),
                   rule_id=0)
    balls = np.arange(s.start, s.stop)
    if rule.name in TWIN_RULES:
        tid = find_or_add_rule(world, newton_twin(rule))
        tvel = None
        if vel is not None and rule.name == "momentum":
            tvel = -world.particles.buf_a[s] * (rule.lr / rule.dt)  # v = -lr u / dt
        t = world.drop(pos, tvel, rule_id=tid)
        return balls, np.arange(t.start, t.stop)
    twin = momentum_twin(rule)
    if twin is None:
        return balls, np.zeros(0, dtype=np.intp)
    tid = find_or_add_rule(world, twin)
    t = world.drop(pos, rule_id=tid)
    if twin.name == "momentum":
        world.particles.buf_a[t] = twin_buffer(rule, world.particles.vel[s],
                                               world.potential.grad(pos))
    return balls, np.arange(t.start, t.stop)


@pytest.mark.parametrize("pot,rule,starts,vel", [
    ("bowl", Rule("newton", integrator="verlet", mass=1.0, friction=0.5, dt=0.1),
     [[2.0, 1.0], [-1.5, 1.2], [0.5, -2.0]], None),
    ("gaussian_wells", Rule("newton", integrator="verlet", mass=0.3, friction=0.5, dt=0.03),
     [[0.3, -2.8], [1.0, 1.0]], [[0.5, 0.0], [0.0, -1.0]]),
    ("ravine", Rule("newton", integrator="verlet", mass=2.0, friction=3.0, dt=0.05),
     [[-3.0, 2.0]], [[1.0, 1.0]]),
    ("rosenbrock", Rule("newton", integrator="symplectic", mass=1.0, friction=2.0, dt=0.01),
     [[-1.5, 2.0]], [[1.0, 1.0]]),
])


def test_newton_and_its_momentum_twin_coincide_to_rounding(pot, rule, starts, vel):
    w = World(get_potential(pot), rule)
    b, t = drop_with_twin(w, np.array(starts, float), None if vel is None else np.array(vel, float))
    assert len(t) == len(b)
    twin = w.rules[int(w.particles.rule[t[0]])]
    if rule.integrator == "verlet":  # the formulas, transcribed
        beta = math.exp(-rule.friction * rule.dt / rule.mass)
        assert twin.name == "momentum" and twin.beta == pytest.approx(beta, rel=1e-15)
        assert twin.lr == pytest.approx((1 + beta) * rule.dt ** 2 / (2 * rule.mass), rel=1e-15)
    gap = 0.0
    for _ in range(TWIN_TICKS // 50):
        w.tick(50)
        d = w.particles.pos[b] - w.particles.pos[t]
        gap = max(gap, float(np.abs(d).max()))
    assert w.counts() == (2 * len(b), 0)
    assert gap < 1e-12


def test_verlet_twin_without_the_seed_is_half_a_step_behind():
    """The seed matters: a fresh buffer makes the first momentum step twice Verlet's."""
    rule = Rule("newton", integrator="verlet", mass=1.0, friction=0.5, dt=0.1)
    w = World(get_potential("bowl"), rule)
    twin = momentum_twin(rule)
    tid = w.add_rule(twin)
    w.drop(np.array([[2.0, 1.0]]))
    w.drop(np.array([[2.0, 1.0]]), rule_id=tid)
    w.tick(1)
    d0 = w.particles.pos[0] - 2.0
    d1 = w.particles.pos[1] - 2.0
    assert d1[0] == pytest.approx(2 * d0[0])


def test_bridge_panel_numbers_for_verlet_are_the_exact_map():
    r = Rule("newton", integrator="verlet", mass=0.5, friction=2.0, dt=0.05)
    b = bridge(r)
    beta = math.exp(-2.0 * 0.05 / 0.5)
    assert b["exact"] and b["beta"] == pytest.approx(beta) and "exactly" in b["text"]
    assert b["lr"] == pytest.approx((1 + beta) * 0.05 ** 2 / (2 * 0.5))
    e = bridge(r.with_(integrator="euler"))
    assert not e["exact"] and "first order" in e["text"]


def _single(p) -> State:
    z = lambda: np.zeros((1, 2))  # noqa: E731
    return State(np.array([p], float), z(), z(), z(), z(), np.zeros(1, np.int64), np.zeros(1),
                 z(), z(), False)


def test_mass_control_gap_falls_monotonically_to_zero():
    """overdamped_rules at friction 0.5 as the mass halves (dt shrinks with it, c held at 0.2):
    the largest gap between the light ball and its gd partner over the same simulated time.
    With the partner at lr = dt/friction the gap stalls and grows again near 1e-3 (BAOAB's
    overdamped clock runs (c/2)coth(c/2) = 1.0033x fast); with the ball's own overdamped step
    it keeps halving."""
    pot = get_potential("gaussian_wells")
    lam = float(hessian_eigs(pot.hessian(np.asarray(pot.minima)))[0].max())
    rng = np.random.default_rng(0)
    gaps = []
    for k in range(4, 14):
        newton, flow = overdamped_rules(0.5, 2.0 ** -k, 0.016, lam)
        assert flow.name == "gd"
        a, b = _single([0.3, -2.8]), _single([0.3, -2.8])
        g = 0.0
        for _ in range(int(round(0.3 / newton.dt))):
            a.grad_valid = step(newton, a, pot, rng)
            step(flow, b, pot, rng)
            g = max(g, float(np.abs(a.pos - b.pos).max()))
        gaps.append(g)
    assert all(y < x for x, y in zip(gaps, gaps[1:])), gaps
    assert gaps[-1] < 0.2 * gaps[-4]  # still falling like the mass, not levelling off
    assert gaps[-1] < 5e-4


def test_overdamped_step_per_integrator():
    r = Rule("newton", integrator="verlet", mass=0.1, friction=0.5, dt=0.04)  # c = 0.2
    assert overdamped_lr(r) == pytest.approx(0.04 / 0.5 * 0.1 / math.tanh(0.1))
    assert overdamped_lr(r) / (0.04 / 0.5) == pytest.approx(1.0033, abs=1e-4)
    for integ in ("symplectic", "euler"):
        assert overdamped_lr(r.with_(integrator=integ)) == pytest.approx(0.04 / 0.5)
