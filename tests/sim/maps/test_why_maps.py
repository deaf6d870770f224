"""sim.maps.why: phase portrait, where the step breaks, the modified loss, edge of stability."""
import math

import numpy as np
import pytest

from sim.maps.quadratic import QuadraticPotential
from sim.maps import why as W
from sim.rules.dynamics import Rule, State, step
from sim.data.catalog import get_potential


def make_state(pos):
    pos = np.array(pos, dtype=np.float64).reshape(-1, 2)
    n = len(pos)
    z = lambda: np.zeros((n, 2))  # noqa: E731
    return State(pos, z(), z(), z(), z(), np.zeros(n, dtype=np.int64), np.zeros(n), z(), z(), False)


def run(rule, pot, x0, n):
    s = make_state([x0])
    rng = np.random.default_rng(0)
    pos, vel, buf = [s.pos[0].copy()], [s.vel[0].copy()], [s.buf_a[0].copy()]
    for _ in range(n):
        s.grad_valid = step(rule, s, pot, rng)
        pos.append(s.pos[0].copy())
        vel.append(s.vel[0].copy())
        buf.append(s.buf_a[0].copy())
    return np.array(pos), np.array(vel), np.array(buf)


def rk4_flow(pot, x0, t_end, h):
    """dx/dt = -grad V by classical RK4 (an independent integrator, tiny steps)."""
    x = np.array(x0, dtype=np.float64).reshape(1, 2)
    n = int(round(t_end / h))
    f = lambda p: -pot.grad(p)  # noqa: E731
    for _ in range(n):
        k1 = f(x)
        k2 = f(x + 0.5 * h * k1)
        k3 = f(x + 0.5 * h * k2)
        k4 = f(x + h * k3)
        x = x + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
    return x[0]


# ---- curvature limits -------------------------------------------------------------------------
@pytest.mark.parametrize("rule,expected", [
    (Rule("gd", lr=0.1), 2 / 0.1),
    (Rule("momentum", lr=0.1, beta=0.9), 2 * 1.9 / 0.1),
    (Rule("nesterov", lr=0.1, beta=0.5), 2 * 1.5 / 2.0 / 0.1),
    (Rule("newton", dt=0.05, friction=0.3, mass=2.0), 4 * 2.0 / 0.05 ** 2),  # verlet: omega dt < 2
])
def test_curvature_limit(rule, expected):
    assert W.curvature_limit(rule) == pytest.approx(expected, rel=1e-9)
    assert math.isnan(W.curvature_limit(Rule("adam")))


def test_breaks_mask_is_lr_lam_beyond_two_for_gd():
    pot = get_potential("rosenbrock")
    xs, ys = np.linspace(-2, 2, 41), np.linspace(-1, 3, 37)
    rule = Rule("gd", lr=0.002)
    mask, lam = W.breaks_mask(pot, rule, xs, ys)
    # independent: numpy's eigvalsh on each Hessian
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    h = pot.hessian(np.column_stack([X.ravel(), Y.ravel()]))
    ref = np.linalg.eigvalsh(h)[:, -1].reshape(X.shape)
    np.testing.assert_allclose(lam, ref, rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(mask, 0.002 * ref > 2.0)
    assert 0 < mask.mean() < 1
    # a smaller step breaks in fewer places; momentum's limit is 2(1 + beta)
    mask2, _ = W.breaks_mask(pot, Rule("gd", lr=0.001), xs, ys)
    assert mask2.sum() < mask.sum() and not (mask2 & ~mask).any()
    mom, _ = W.breaks_mask(pot, Rule("momentum", lr=0.002, beta=0.9), xs, ys)
    np.testing.assert_array_equal(mom, 0.002 * ref > 3.8)
    ada, _ = W.breaks_mask(pot, Rule("adam"), xs, ys)
    assert not ada.any()


def test_breaks_mask_predicts_a_real_blow_up():
    """A gd ball started in a pixel the mask marks, on a quadratic, blows up; one outside does not."""
    pot = QuadraticPotential(np.diag([30.0, 1.0]))
    rule = Rule("gd", lr=0.07)  # 0.07 * 30 = 2.1 > 2
    mask, _ = W.breaks_mask(pot, rule, np.array([0.5]), np.array([0.5]))
    assert mask.all()
    p, _, _ = run(rule, pot, (0.5, 0.5), 200)
    assert abs(p[-1, 0]) > 100
    mask, _ = W.breaks_mask(pot, Rule("gd", lr=0.06), np.array([0.5]), np.array([0.5]))
    p, _, _ = run(Rule("gd", lr=0.06), pot, (0.5, 0.5), 200)
    assert not mask.any() and abs(p[-1, 0]) < 0.5


def test_breaks_cache():
    cache = W.BreaksCache()
    pot = get_potential("himmelblau")
    a = cache.get(pot, Rule("gd", lr=0.01), (-5, 5, -5, 5), (20, 10))
    b = cache.get(pot, Rule("gd", lr=0.01), (-5, 5, -5, 5), (20, 10))
    assert a is b and cache.misses == 1
    c = cache.get(pot, Rule("gd", lr=0.02), (-5, 5, -5, 5), (20, 10))
    assert cache.misses == 2 and c[0].sum() > a[0].sum()


# ---- the modified loss ------------------------------------------------------------------------
def test_modified_loss_gradient_by_finite_differences():
    base = get_potential("himmelblau")
    mod = W.ModifiedLoss(base, 0.01 / 4)  # gd at lr 0.01: c = lr/4
    p = np.array([[0.3, -1.2], [2.5, 1.7], [-3.0, 3.1]])
    e = 1e-6
    fd = np.column_stack([(mod.value(p + [e, 0]) - mod.value(p - [e, 0])) / (2 * e),
                          (mod.value(p + [0, e]) - mod.value(p - [0, e])) / (2 * e)])
    np.testing.assert_allclose(mod.grad(p), fd, rtol=1e-6, atol=1e-5)
    g = base.grad(p)
    np.testing.assert_allclose(mod.value(p), base.value(p) + 0.0025 * (g ** 2).sum(axis=1))
    grid = mod.value_grid(np.array([0.3, 2.5]), np.array([-1.2, 1.7]))
    assert grid.shape == (2, 2) and grid[0, 0] == pytest.approx(mod.value(p[:1])[0])


@pytest.mark.parametrize("name,x0,lr", [("himmelblau", (0.5, -0.5), 0.01),
                                        ("rosenbrock", (-1.0, 1.5), 0.0002),
                                        ("six_hump_camel", (1.2, 0.6), 0.02)])
def test_gd_follows_the_modified_flow(name, x0, lr):
    """Finite-step gd after k steps sits closer to the modified loss's gradient flow at time
    k lr than to V's own flow (measured with an independent RK4)."""
    base = get_potential(name)
    mod = W.ModifiedLoss(base, lr / 4)
    k = 20
    path, _, _ = run(Rule("gd", lr=lr), base, x0, k)
    gd = path[-1]
    flow_v = rk4_flow(base, x0, k * lr, lr / 50)
    flow_m = rk4_flow(mod, x0, k * lr, lr / 50)
    d_v, d_m = np.linalg.norm(gd - flow_v), np.linalg.norm(gd - flow_m)
    assert d_m < 0.3 * d_v, (d_m, d_v)


# ---- phase portrait ---------------------------------------------------------------------------
def test_phase_portrait_spirals_when_underdamped_and_not_when_overdamped():
    h = np.array([[9.0, 2.0], [2.0, 3.0]])
    pot = QuadraticPotential(h, center=(0.5, -0.2))
    lams, vecs = np.linalg.eigh(h)
    e_ref = vecs[:, -1]
    for friction, spiral in ((0.5, True), (12.0, False)):
        rule = Rule("newton", dt=0.01, friction=friction)
        pos, vel, _ = run(rule, pot, (2.0, 1.0), 1500)
        q, p, e, lam = W.phase_portrait(pos, vel, (0.5, -0.2), h)
        assert abs(abs(e @ e_ref) - 1) < 1e-12 and lam == pytest.approx(lams[-1])
        np.testing.assert_allclose(q, (pos - [0.5, -0.2]) @ e, atol=1e-12)
        crossings = int((np.diff(np.sign(q[np.abs(q) > 1e-9])) != 0).sum())
        assert (crossings >= 4) if spiral else (crossings <= 1)
        assert W.damping_kind(rule, lam) == ("underdamped" if spiral else "overdamped")


def test_phase_trace_and_ball_velocity():
    pot = QuadraticPotential(np.diag([4.0, 1.0]))
    rule = Rule("momentum", lr=0.05, beta=0.8)
    pos, _, buf = run(rule, pot, (1.0, 1.0), 30)
    v = W.ball_velocity(rule, np.zeros_like(buf), buf)
    np.testing.assert_allclose(v[1:], np.diff(pos, axis=0), atol=1e-14)  # -lr u = displacement
    tr = W.PhaseTrace(capacity=8)
    for k in range(12):
        tr.push(pos[k], (np.nan, np.nan), tick=k)
    p, vv = tr.arrays()
    np.testing.assert_allclose(p, pos[4:12])
    np.testing.assert_allclose(vv, np.diff(pos[3:12], axis=0))
    assert W.damping_kind(Rule("gd", lr=0.6), 2.5) == "oscillating"
    assert W.damping_kind(Rule("gd", lr=0.6), 1.0) == "overdamped"
    assert W.damping_kind(Rule("gd", lr=0.6), 10.0) == "unstable"


def test_edge_of_stability_along_a_path():
    pot = get_potential("rosenbrock")
    path = np.array([[-1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    lam, limit = W.edge_of_stability(pot, Rule("gd", lr=0.001), path)
    assert limit == pytest.approx(2000.0)
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(pot.hessian(path))[:, -1])


def test_breaks_cache_never_hands_one_landscape_another_ones_mask():
    """Data edits make a new landscape each time and Python reuses freed objects' ids: the
    cache must key on what the landscape is, not where it lives. Each of 30 linreg landscapes
    on data scaled 1x .. 4x (curvature ∝ scale²) gets its own mask, as computed afresh."""
    from sim.data.sets import builtin
    from sim.data import make_landscape
    from sim.maps.why import BreaksCache, breaks_mask

    base = builtin("line")
    cache = BreaksCache()
    rule = Rule("gd", lr=0.08)
    view, shape = (-3.0, 3.0, -3.0, 3.0), (16, 12)
    xs = -3.0 + (np.arange(16) + 0.5) * 6.0 / 16
    ys = -3.0 + (np.arange(12) + 0.5) * 6.0 / 12
    shaded = set()
    for i in range(30):
        s = 1.0 + 3.0 * ((i * 7) % 30) / 29
        pot = make_landscape("linreg", base.with_points(base.x * s, base.y))
        got, _ = cache.get(pot, rule, view, shape)
        want, _ = breaks_mask(pot, rule, xs, ys)
        assert np.array_equal(got, want), i
        shaded.add(int(want.sum()))
        del pot
    assert len(shaded) > 1  # the landscapes did differ in what they shade
