"""sim.maps: the exact one-step maps against the rules themselves (sim.rules.dynamics.step run on a
quadratic), brute-force contraction rates, borders and the closed-form optima."""
import math

import numpy as np
import pytest

from sim.maps.rates import NEWTON_PLANES, OPTIMIZER_PLANES, SHRINK, critical_curve, rate_grid, rule_rate, spectral_radius, stable_limit, stable_limit_scan, steps_to_shrink, trace_det
from sim.maps.quadratic import QuadraticPotential, model_eigs, sym_eigs
from sim.maps.plane import optimum, optimum_closed, optimum_numeric, plane, plane_box
from sim.rules.dynamics import Rule, State, step

KAPPA_LAMS = (25.0, 1.0)


def rotated(lams, angle=0.4):
    c, s = math.cos(angle), math.sin(angle)
    r = np.array([[c, -s], [s, c]])
    return r @ np.diag(lams) @ r.T


def make_state(pos, buf=None, vel=None):
    pos = np.array(pos, dtype=np.float64).reshape(-1, 2)
    n = len(pos)
    z = lambda: np.zeros((n, 2))  # noqa: E731
    s = State(pos, z() if vel is None else np.array(vel, float).reshape(-1, 2), z(),
              z() if buf is None else np.array(buf, float).reshape(-1, 2), z(),
              np.zeros(n, dtype=np.int64), np.zeros(n), z(), z(), False)
    return s


def rule_for(kind, p1, p2, mass=1.0):
    if kind == "gd":
        return Rule("gd", lr=p1)
    if kind in ("momentum", "nesterov"):
        return Rule(kind, lr=p1, beta=p2)
    return Rule("newton", integrator=kind, dt=p1, friction=p2, mass=mass)


def run(rule, pot, x0, n):
    """Positions [n+1, 2] of one ball under `rule` (the program's own step function)."""
    s = make_state([x0])
    rng = np.random.default_rng(0)
    out = [s.pos[0].copy()]
    with np.errstate(all="ignore"):  # the runs past a border blow up on purpose
        for _ in range(n):
            s.grad_valid = step(rule, s, pot, rng)
            out.append(s.pos[0].copy())
    return np.array(out)


def measured_rate(path, k1, k2, window):
    """Contraction per tick between two windows of |x| maxima (robust to rotation)."""
    r = np.hypot(path[:, 0], path[:, 1])
    a, b = r[k1 - window:k1].max(), r[k2 - window:k2].max()
    return (b / a) ** (1.0 / (k2 - k1))


# ---- the map's matrix, read off the program's own step function ------------------------------
CASES = [("gd", 0.05, 0.0), ("momentum", 0.07, 0.6), ("momentum", 0.15, 0.95),
         ("nesterov", 0.05, 0.8), ("verlet", 0.3, 0.7), ("symplectic", 0.25, 1.5),
         ("euler", 0.1, 4.0), ("verlet", 0.1, 0.0)]


@pytest.mark.parametrize("kind,p1,p2", CASES)
def test_trace_and_det_match_the_rule_step(kind, p1, p2):
    lam, mass = 7.0, 1.7
    if kind in OPTIMIZER_PLANES:
        mass = 1.0
    pot = QuadraticPotential(np.diag([lam, 3.0]))
    rule = rule_for(kind, p1, p2, mass)
    newton = kind in NEWTON_PLANES
    # two balls: (x=1, second slot 0) and (x=0, second slot 1); one tick -> the matrix's columns
    second = [[0.0, 0.0], [1.0, 0.0]]
    s = make_state([[1.0, 0.0], [0.0, 0.0]], buf=None if newton else second,
                   vel=second if newton else None)
    step(rule, s, pot, np.random.default_rng(0))
    slot = s.vel if newton else s.buf_a
    m = np.array([[s.pos[0, 0], s.pos[1, 0]], [slot[0, 0], slot[1, 0]]])
    t, d = trace_det(kind, p1, p2, lam, mass)
    if kind == "gd":  # a one-dimensional map: x <- (1 - lr lam) x, the buffer is not read
        m = np.array([[m[0, 0], 0.0], [0.0, 0.0]])
    assert float(t) == pytest.approx(np.trace(m), rel=1e-12, abs=1e-12)
    assert float(d) == pytest.approx(np.linalg.det(m), rel=1e-12, abs=1e-12)
    rho = max(abs(np.linalg.eigvals(m)))
    assert float(spectral_radius(t, d)) == pytest.approx(rho, rel=1e-9)


def test_spectral_radius_against_eigvals():
    rng = np.random.default_rng(3)
    t, d = rng.uniform(-3, 3, 500), rng.uniform(-2, 2, 500)
    ref = np.array([max(abs(np.roots([1.0, -a, b]))) for a, b in zip(t, d)])
    np.testing.assert_allclose(spectral_radius(t, d), ref, rtol=1e-9)


# ---- rates against brute-force runs ----------------------------------------------------------
RATE_CASES = [("gd", 0.05, 0.0), ("gd", 0.0769, 0.0), ("momentum", 0.05, 0.5),
              ("momentum", 0.12, 0.8), ("nesterov", 0.05, 0.5), ("nesterov", 0.03, 0.9),
              ("verlet", 0.3, 1.0), ("symplectic", 0.25, 3.0), ("euler", 0.05, 3.0)]


@pytest.mark.parametrize("kind,p1,p2", RATE_CASES)
def test_rate_matches_measured_contraction(kind, p1, p2):
    pot = QuadraticPotential(rotated(KAPPA_LAMS))
    rule = rule_for(kind, p1, p2)
    predicted = rule_rate(rule, KAPPA_LAMS)
    assert predicted < 1.0
    n = int(min(max(40 * steps_to_shrink(predicted), 200), 20000))
    path = run(rule, pot, (1.0, 0.7), n)
    got = measured_rate(path, n // 2, n, max(n // 10, 20))
    assert got == pytest.approx(predicted, rel=0.01)


def test_steps_to_shrink_matches_a_run():
    pot = QuadraticPotential(rotated(KAPPA_LAMS))
    rule = Rule("gd", lr=0.03)
    rho = rule_rate(rule, KAPPA_LAMS)  # 1 - 0.03 = 0.97 along lam = 1
    path = run(rule, pot, (0.3, 0.95), 2000)
    err = np.hypot(path[:, 0], path[:, 1])
    # after the stiff direction has died out the error shrinks by exactly rho per tick
    n_pred = steps_to_shrink(rho)
    k0 = 100
    k = np.argmax(err[k0:] <= err[k0] / SHRINK)
    assert k == pytest.approx(n_pred, abs=2)
    assert steps_to_shrink(1.0) == math.inf and steps_to_shrink(0.0) == 1.0


# ---- the condition number -------------------------------------------------------------------
def test_kappa_25_optima():
    gd = optimum("gd", KAPPA_LAMS)
    hb = optimum("momentum", KAPPA_LAMS)
    assert gd.rate == pytest.approx(24 / 26) and round(gd.rate, 3) == 0.923
    assert hb.rate == pytest.approx(4 / 6) and round(hb.rate, 3) == 0.667
    assert hb.p1 == pytest.approx(4.0 / (5.0 + 1.0) ** 2)
    assert hb.p2 == pytest.approx((4 / 6) ** 2)


@pytest.mark.parametrize("kind", ["gd", "momentum", "nesterov"])
@pytest.mark.parametrize("lams", [(25.0, 1.0), (100.0, 4.0), (3.0, 2.0)])
def test_closed_form_optimum_is_the_plane_minimum(kind, lams):
    """An independent search (zooming grid on the exact map) finds the closed-form optimum,
    and no point of a dense brute-force grid beats it."""
    closed = optimum_closed(kind, lams)
    box = plane_box(kind, lams)
    if kind == "gd":
        box = (box[0], box[1], 0.0, 0.0)
    found = optimum_numeric(kind, lams, box)
    assert found.rate == pytest.approx(closed.rate, abs=1e-6)
    assert found.p1 == pytest.approx(closed.p1, rel=1e-3)
    ps, qs = np.linspace(*box[:2], 801), np.linspace(*box[2:], 801)
    assert rate_grid(kind, ps, qs, lams).min() >= closed.rate - 1e-12


@pytest.mark.parametrize("kind", ["gd", "momentum", "nesterov", "verlet", "symplectic"])
def test_optimum_rate_measured(kind):
    pot = QuadraticPotential(rotated(KAPPA_LAMS))
    best = optimum(kind, KAPPA_LAMS)
    rule = rule_for(kind, best.p1, best.p2)
    path = run(rule, pot, (1.0, 0.7), 600)
    # critically damped extremes: the error goes like k rho^k, so measure over a long baseline
    got = measured_rate(path, 300, 600, 30)
    assert got == pytest.approx(best.rate, rel=0.01)


def test_newton_plane_optimum_matches_search():
    for kind in ("verlet", "symplectic"):
        closed = optimum(kind, KAPPA_LAMS)
        found = optimum_numeric(kind, KAPPA_LAMS, plane_box(kind, KAPPA_LAMS))
        assert found.rate == pytest.approx(closed.rate, abs=5e-3)
        assert found.rate >= closed.rate - 1e-9


# ---- borders --------------------------------------------------------------------------------
BORDER_CASES = [("gd", 0.0), ("momentum", 0.0), ("momentum", 0.5), ("momentum", 0.9),
                ("nesterov", 0.3), ("nesterov", 0.9), ("verlet", 0.5), ("verlet", 3.0),
                ("symplectic", 0.5), ("symplectic", 3.0), ("euler", 3.0)]


@pytest.mark.parametrize("kind,p2", BORDER_CASES)
def test_border_by_brute_force(kind, p2):
    pot = QuadraticPotential(rotated(KAPPA_LAMS))
    hi = plane_box(kind, KAPPA_LAMS)[1]
    lim = float(stable_limit(kind, [p2], KAPPA_LAMS, hi)[0])
    assert 0 < lim < hi
    x0 = (1.0, 0.7)
    n = 3000
    inside = run(rule_for(kind, 0.97 * lim, p2), pot, x0, n)
    outside = run(rule_for(kind, 1.03 * lim, p2), pot, x0, n)
    r0 = math.hypot(*x0)
    assert np.hypot(*inside[-1]) < r0
    assert not np.isfinite(outside[-1]).all() or np.hypot(*outside[-1]) > 1e3 * r0


def test_border_closed_forms():
    lams = KAPPA_LAMS
    big = max(lams)
    betas = np.array([0.0, 0.3, 0.9])
    np.testing.assert_allclose(stable_limit("momentum", betas, lams, 1.0),
                               2 * (1 + betas) / big, rtol=1e-9)
    np.testing.assert_allclose(stable_limit("nesterov", betas, lams, 1.0),
                               2 * (1 + betas) / (1 + 2 * betas) / big, rtol=1e-9)
    np.testing.assert_allclose(stable_limit("verlet", [0.0, 1.0, 10.0], lams, 1.0),
                               2 / math.sqrt(big), rtol=1e-9)
    assert np.isnan(stable_limit("euler", [0.0], lams, 1.0)[0])  # no friction: never stable


@pytest.mark.parametrize("kind", ["gd", "momentum", "nesterov", "verlet", "symplectic"])
@pytest.mark.parametrize("lams", [(25.0, 1.0), (3.0, 0.0), (9.0, 4.0)])
def test_closed_form_borders_match_the_scan(kind, lams):
    """The closed-form borders against a scan + bisection of the exact rate."""
    box = plane_box(kind, lams)
    p2 = np.linspace(box[2], box[3], 23)
    np.testing.assert_allclose(stable_limit(kind, p2, lams, box[1]),
                               stable_limit_scan(kind, p2, lams, box[1]), rtol=1e-9)


# ---- critical damping -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["momentum", "nesterov", "verlet", "symplectic", "euler"])
def test_critical_curve_gives_a_double_root(kind):
    lam = 9.0
    box = plane_box(kind, [lam])
    top = 0.9 / lam if kind == "nesterov" else box[1] * 0.4  # nesterov: only for lr lam < 1
    p1 = np.linspace(box[1] * 0.02, top, 7)
    p2 = critical_curve(kind, p1, lam)
    assert np.isfinite(p2).all()
    t, d = trace_det(kind, p1, p2, lam)
    np.testing.assert_allclose(t * t - 4 * d, 0.0, atol=1e-9)
    # just above the curve: real roots (overdamped); just below: complex (underdamped)
    t2, d2 = trace_det(kind, p1, p2 * 1.05, lam)
    t3, d3 = trace_det(kind, p1, p2 * 0.95, lam)
    if kind in ("momentum", "nesterov"):  # more beta = less damping there
        t2, d2, t3, d3 = t3, d3, t2, d2
    assert (t2 * t2 - 4 * d2 > 0).all() and (t3 * t3 - 4 * d3 < 0).all()


def test_critical_beta_formula():
    lr, lam = np.array([0.01, 0.04, 0.09]), 1.0
    np.testing.assert_allclose(critical_curve("momentum", lr, lam), (1 - np.sqrt(lr)) ** 2)


# ---- the plane ------------------------------------------------------------------------------
def test_plane_for_rules():
    pl = plane(Rule("momentum", lr=0.05, beta=0.5), KAPPA_LAMS, size=(40, 30))
    assert pl.axes == ("lr", "beta") and pl.rate.shape == (40, 30)
    assert pl.best.rate == pytest.approx(2 / 3)
    assert pl.current[2] == pytest.approx(pl.rate_at(0.05, 0.5))
    # the grid minimum is no better than the optimum, and close to it
    assert pl.best.rate - 1e-12 <= pl.rate.min() < pl.best.rate + 0.05
    gd = plane(Rule("gd", lr=0.05), KAPPA_LAMS, size=(8, 8))
    assert gd.current == (0.05, 0.0, pytest.approx(0.95))
    nt = plane(Rule("newton", dt=0.1, friction=1.0), KAPPA_LAMS, size=(8, 8))
    assert nt.axes == ("dt", "friction") and nt.kind == "verlet"
    assert math.isnan(rule_rate(Rule("adam"), KAPPA_LAMS))
    saddle = plane(Rule("gd", lr=0.05), (1.0, -1.0), size=(8, 8))
    assert (saddle.rate > 1).all() and math.isnan(saddle.best.rate)


def test_model_eigs_and_quadratic():
    h = rotated((25.0, 1.0), 0.3)
    pot = QuadraticPotential(h, center=(1.0, -2.0))
    np.testing.assert_allclose(model_eigs(pot, (0.3, 0.2)), [25.0, 1.0])
    lams, vecs = sym_eigs(h)
    np.testing.assert_allclose(h @ vecs, vecs * lams, atol=1e-12)
    p = np.array([[0.5, 0.1], [2.0, 3.0]])
    e = 1e-6
    fd = np.column_stack([(pot.value(p + [e, 0]) - pot.value(p - [e, 0])) / (2 * e),
                          (pot.value(p + [0, e]) - pot.value(p - [0, e])) / (2 * e)])
    np.testing.assert_allclose(pot.grad(p), fd, rtol=1e-6)
