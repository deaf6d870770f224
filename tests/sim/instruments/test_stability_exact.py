"""The stability panel's limits and regimes against brute force: real runs of sim.rules.dynamics.step
(the code that moves the balls) at 0.97x and 1.03x of every reported limit, and the one-step
matrix measured column by column from that same code, its eigenvalues from numpy."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.instruments.stability import stability
from sim.instruments import stable_regions as stab
from sim.rules.dynamics import Rule, State, step
from sim.data.catalog import get_potential
from sim.core.world import World

TICKS = 20000
GROWN = 1e6  # an unstable run grows past this many times its start
BOUNDED = 1e3  # a stable run never exceeds this many times its start


class RowQuadratic:
    """V = 1/2 lam_i |x|^2 with its own curvature lam_i per row: grad = lam[:, None] * pos."""

    def __init__(self, lam: np.ndarray) -> None:
        self.lam = np.asarray(lam, dtype=np.float64)[:, None]

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            out = np.empty_like(pos)
        np.multiply(pos, self.lam, out=out)
        return out


def _state(pos: np.ndarray, vel: np.ndarray | None = None) -> State:
    n = len(pos)
    z = lambda: np.zeros((n, 2))  # noqa: E731
    return State(pos.astype(np.float64).copy(), z() if vel is None else vel.astype(float).copy(),
                  z(), z(), z(), np.zeros(n, dtype=np.int64), np.zeros(n), z(), z(), False)


def _lam_for(rule: Rule, a: np.ndarray) -> np.ndarray:
    """The curvature that gives the dimensionless a (lr lam, or lam dt^2 / m) under `rule`."""
    if rule.name in stab.OMEGA_RULES:
        return a * rule.mass / rule.dt ** 2
    return a / rule.lr


def _run(rule: Rule, lam: np.ndarray, vel: np.ndarray | None = None, ticks: int = TICKS) -> np.ndarray:
    """Largest |x| + |v| of each row over the run, from x = (1, 0) (or x = 0 with `vel`)."""
    n = len(lam)
    pos = np.zeros((n, 2)) if vel is not None else np.tile([1.0, 0.0], (n, 1))
    s = _state(pos, vel)
    V = RowQuadratic(lam)
    rng = np.random.default_rng(0)
    peak = np.zeros(n)
    with np.errstate(all="ignore"):
        for k in range(ticks):
            s.grad_valid = step(rule, s, V, rng)
            if k % 4 == 0 or k == ticks - 1:
                size = np.abs(s.pos).sum(axis=1) + np.abs(s.vel).sum(axis=1)
                peak = np.fmax(peak, np.where(np.isfinite(size), size, np.inf))
    return peak


CASES = (
    [Rule("gd", lr=0.1)]
    + [Rule("momentum", lr=0.1, beta=b) for b in (0.0, 0.5, 0.9, 0.99)]
    + [Rule("nesterov", lr=0.1, beta=b) for b in (0.3, 0.9)]
    + [Rule("newton", integrator="verlet", dt=0.1, mass=1.0, friction=f) for f in (0.0, 5.0, 30.0)]
    + [Rule("langevin", dt=0.1, mass=2.0, friction=10.0, temperature=0.0)]
    + [Rule("newton", integrator="symplectic", dt=0.1, mass=1.0, friction=f) for f in (0.0, 5.0, 15.0)]
    + [Rule("newton", integrator="euler", dt=0.1, mass=1.0, friction=10.0 * c)
       for c in np.round(np.linspace(0.1, 3.0, 30), 3)]
    + [Rule("nesterov_ode", dt=0.1)]
)


def _label(r: Rule) -> str:
    extra = f"-{r.integrator}" if r.name == "newton" else ""
    return f"{r.name}{extra}-b{r.beta}-f{r.friction}"


@pytest.mark.parametrize("rule", CASES, ids=[_label(r) for r in CASES])
def test_every_reported_limit_by_brute_force(rule):
    """Each nonzero end of the reported interval: 0.97x and 1.03x of it, run for real."""
    lo, hi = stab.a_limits(rule)
    assert hi > lo, "every case here has a stable interval"
    limits = [(hi, True)] + ([(lo, False)] if lo > 0 else [])
    for limit, upper in limits:
        a = np.array([0.97 * limit, 1.03 * limit])
        lam = _lam_for(rule, a)
        peak = _run(rule, lam)
        inside = peak[0] if upper else peak[1]
        outside = peak[1] if upper else peak[0]
        assert inside < BOUNDED, (rule, limit, upper, peak)
        assert outside > GROWN, (rule, limit, upper, peak)
        # and the readout says the same, through the panel's own function
        res = stab.analyse(rule, lam, lam)
        want = ["stable", "unstable"] if upper else ["unstable", "stable"]
        assert list(res["verdict"]) == want


@pytest.mark.parametrize("integrator", ["euler", "symplectic"])
def test_flat_direction_needs_friction_number_below_two(integrator):
    """lam = 0: only the velocity moves; its factor 1 - c leaves (-1, 1) at c = 2."""
    for c, stable in ((0.97 * 2, True), (1.03 * 2, False)):
        rule = Rule("newton", integrator=integrator, dt=0.1, mass=1.0, friction=10.0 * c)
        peak = _run(rule, np.zeros(1), vel=np.array([[1.0, 0.0]]), ticks=3000)
        assert (peak[0] < BOUNDED) == stable and (peak[0] > GROWN) == (not stable)
        assert stab.flat_stable(rule) == stable
        res = stab.analyse(rule, np.array([0.0]), np.array([0.0]))
        assert res["verdict"][0] == ("stable" if stable else "unstable")
    assert stab.friction_limit(Rule("newton", integrator=integrator)) == 2.0


def test_explicit_euler_with_strong_friction_reads_unstable_and_diverges():
    """The issue's run: bowl, euler, friction 30, dt 0.1 (c = 3 > 2): omega dt = 0.1 lies
    below the lower limit sqrt(2c - 4) = sqrt(2)."""
    rule = Rule("newton", integrator="euler", friction=30.0, dt=0.1, mass=1.0)
    bowl = get_potential("bowl")
    s = stability(bowl, rule, np.array([[1.0, 0.5]]))
    assert s["status_omega_dt"][0] == "bad"
    assert s["verdict"][0] == "unstable"
    assert s["lo"] == pytest.approx(math.sqrt(2.0)) and s["hi"] == pytest.approx(math.sqrt(3.0))
    w = World(bowl, rule)
    w.drop(np.array([[1.0, 0.5]]))
    w.tick(300)
    assert w.counts()[1] == 1  # diverged


def _one_step_matrix(rule: Rule, a: float) -> np.ndarray:
    """The one-step matrix of sim.rules.dynamics.step along one direction, column by column:
    state (x, buffer) for momentum / nesterov, (x, dt v) for the newton family."""
    lam = float(_lam_for(rule, np.array([a]))[0])
    cols = []
    for e in ((1.0, 0.0), (0.0, 1.0)):
        pos = np.array([[e[0], 0.0]])
        s = _state(pos)
        if rule.name == "nesterov_ode":
            s.steps[:] = 10 ** 12  # late t: the friction 3/t has faded (the limit it reports)
        if rule.name in ("momentum", "nesterov"):
            s.buf_a[0, 0] = e[1]
        else:
            s.vel[0, 0] = e[1] / rule.dt
        step(rule, s, RowQuadratic(np.array([lam])), np.random.default_rng(0))
        second = s.buf_a[0, 0] if rule.name in ("momentum", "nesterov") else s.vel[0, 0] * rule.dt
        cols.append((s.pos[0, 0], second))
    return np.array(cols).T


def _numpy_regime(m: np.ndarray) -> str:
    z = np.linalg.eigvals(m)
    if np.abs(z.imag).max() > 1e-9:
        return "rings"
    return "zigzag" if (z.real < -1e-9).any() else "monotone"


REGIME_CASES = [r for r in CASES if r.name != "gd"] + [
    Rule("newton", integrator="euler", dt=0.1, friction=15.0),  # 1 < c < 2: three regimes
]


@pytest.mark.parametrize("rule", REGIME_CASES, ids=[_label(r) for r in REGIME_CASES])
def test_regime_matches_the_eigenvalues_of_the_measured_one_step_map(rule):
    lo, hi = stab.a_limits(rule)
    crit = stab.critical_a(rule)
    # points between (and beyond) every critical value, away from the boundaries
    marks = sorted({lo, hi, *crit} - {0.0})
    grid = np.geomspace(1e-3, 1.5 * max(marks + [1.0]), 97)
    grid = [a for a in grid if all(abs(a - m) > 1e-3 * max(m, 1e-3) for m in marks)]
    for a in grid:
        m = _one_step_matrix(rule, a)
        t, d = stab.char_poly(rule, np.array([a]))
        assert np.trace(m) == pytest.approx(t[0], rel=1e-9, abs=1e-9)
        assert np.linalg.det(m) == pytest.approx(d[0], rel=1e-9, abs=1e-9)
        assert stab.regime_of(t, d)[0] == _numpy_regime(m), (rule, a)


def test_gd_regime_and_the_issue_example():
    """gd on the bowl at lr 0.5 converges monotonically (it used to read 'underdamped')."""
    bowl = get_potential("bowl")
    s = stability(bowl, Rule("gd", lr=0.5), np.array([[1.0, 1.0]]))
    assert s["regime"][0] == "monotone" and s["verdict"][0] == "stable"
    assert s["critical"] == (1.0,)
    s = stability(bowl, Rule("gd", lr=1.5), np.array([[1.0, 1.0]]))
    assert s["regime"][0] == "zigzag"
    x = 1.0
    signs = []
    for _ in range(6):
        x -= 1.5 * x
        signs.append(np.sign(x))
    assert all(a != b for a, b in zip(signs, signs[1:]))  # overshoots every step


def test_heavy_ball_rings_exactly_inside_the_issue_band():
    beta = 0.81
    rule = Rule("momentum", lr=0.1, beta=beta)
    lo, hi = (1 - math.sqrt(beta)) ** 2, (1 + math.sqrt(beta)) ** 2
    assert stab.critical_a(rule) == pytest.approx((lo, hi))
    lam = _lam_for(rule, np.array([0.9 * lo, 1.1 * lo, 0.9 * hi, 1.1 * hi]))
    res = stab.analyse(rule, lam, lam)
    assert list(res["regime"]) == ["monotone", "rings", "rings", "zigzag"]


def test_adaptive_rules_claim_no_region():
    bowl = get_potential("bowl")
    for name in ("adagrad", "rmsprop", "adam"):
        s = stability(bowl, Rule(name, lr=0.1), np.zeros((1, 2)))
        assert s["verdict"][0] == "n/a" and s["regime"][0] == "n/a"
        assert math.isnan(s["hi"])


def test_maximum_directions_do_not_count():
    s = stability(get_potential("mexican_hat"), Rule("gd"), np.zeros((1, 2)))
    assert s["verdict"][0] == "n/a"


def test_newton_method_limit_by_brute_force():
    """a = lr lam / (lam + mu) = lr where H > 0: stable for lr < 2, on the ravine from a start."""
    ravine = get_potential("ravine")
    lo, hi = stab.a_limits(Rule("newton_method"))
    assert (lo, hi) == (0.0, 2.0)
    for lr, ok in ((0.97 * hi, True), (1.03 * hi, False)):
        w = World(ravine, Rule("newton_method", lr=lr))
        w.drop(np.array([[1.0, 0.5]]))
        w.tick(2000)
        grown = w.counts()[1] == 1 or np.abs(w.particles.pos).max() > 1e3
        assert grown != ok
        s = stability(ravine, Rule("newton_method", lr=lr), np.array([[1.0, 0.5]]))
        assert s["verdict"][0] == ("stable" if ok else "unstable")
    s = stability(ravine, Rule("newton_method", lr=1.0), np.zeros((1, 2)))
    assert s["ratio_max"][0] == 1.0 and s["regime"][0] == "monotone"  # the one-step root is 0
