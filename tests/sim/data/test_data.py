"""Data landscapes against independent references.

linreg against numpy's least squares; logreg against a Newton solve written here from the
per-example formulas and against finite differences; the network's plane against a forward
pass written here (value at the origin, finite differences along d1 and d2); minibatches
against the sampling theory of a finite population (unbiased, variance C/B (n-B)/(n-1),
uniform subsets); SGD's stationary spread against the discrete Lyapunov equation.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from sim.data.models import LinReg, LogReg
from sim.data.mlp import MLPPlane
from sim.data.sets import builtin
from sim.data import make_landscape
from sim.data.minibatch import draw, effective_batch, gradient_covariance, noise_temperature
from sim.data.mlp import unpack
from sim.rules.dynamics import RULES, Rule
from sim.data.catalog import POTENTIALS
from sim.core.world import World
from tests.support.numeric import central_difference


def points(pot, seed: int, n: int = 40) -> np.ndarray:
    x0, x1, y0, y1 = pot.view
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


# ----------------------------------------------------------------------------------------
# Built-in data and the registry
# ----------------------------------------------------------------------------------------
def test_builtins_are_fixed_and_well_formed():
    for name, kind, cols in [("line", "regression", 1), ("blobs", "classification", 2),
                             ("moons", "classification", 2), ("circles", "classification", 2),
                             ("xor", "classification", 2)]:
        a, b = builtin(name), builtin(name)
        assert a.kind == kind and a.x.shape == (a.n, cols) and a.y.shape == (a.n,)
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        if kind == "classification":
            assert set(np.unique(a.y)) == {0.0, 1.0}
    assert builtin("line").n == 40


def test_data_landscapes_are_in_the_list():
    for name, cls in [("linreg", LinReg), ("logreg", LogReg), ("mlp", MLPPlane)]:
        assert isinstance(POTENTIALS[name], cls)


# ----------------------------------------------------------------------------------------
# linreg
# ----------------------------------------------------------------------------------------
def test_linreg_minimum_is_least_squares():
    pot = LinReg()
    x, y = pot.data.x[:, 0], pot.data.y
    a = np.column_stack([x, np.ones_like(x)])
    ref, res, _, _ = np.linalg.lstsq(a, y, rcond=None)
    np.testing.assert_allclose(pot.minima[0], ref, rtol=1e-12, atol=1e-12)
    assert pot.minimum_values[0] == pytest.approx(res[0] / len(y), rel=1e-12)
    np.testing.assert_allclose(pot.grad(pot.minima), 0.0, atol=1e-13)


def test_linreg_value_grad_hessian_are_the_mean_squared_error():
    pot = LinReg()
    x, y = pot.data.x[:, 0], pot.data.y
    mse = lambda p: np.array([np.mean((w * x + b - y) ** 2) for w, b in p])  # noqa: E731
    pos = points(pot, 1)
    np.testing.assert_allclose(pot.value(pos), mse(pos), rtol=1e-12)
    np.testing.assert_allclose(pot.grad(pos), central_difference(mse, pos, 1e-4), rtol=1e-8, atol=1e-9)
    a = np.column_stack([x, np.ones_like(x)])
    np.testing.assert_allclose(pot.hessian(pos), np.broadcast_to(2 * a.T @ a / len(x), (len(pos), 2, 2)),
                               rtol=1e-12)


# ----------------------------------------------------------------------------------------
# logreg
# ----------------------------------------------------------------------------------------
def logreg_reference(x: np.ndarray, y: np.ndarray, l2: float):
    """Value, gradient and Hessian at one w [2], written from the per-example formulas."""
    def value(w):
        z = x @ w
        return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * w @ w

    def grad(w):
        s = 1.0 / (1.0 + np.exp(-(x @ w)))
        return ((s - y)[:, None] * x).mean(axis=0) + l2 * w

    def hess(w):
        s = 1.0 / (1.0 + np.exp(-(x @ w)))
        return sum(si * (1 - si) * np.outer(xi, xi) for si, xi in zip(s, x)) / len(y) + l2 * np.eye(2)
    return value, grad, hess


@pytest.mark.parametrize("l2", [1e-3, 0.1])
def test_logreg_minimum_matches_a_separate_newton_solve(l2):
    pot = LogReg(l2=l2)
    value, grad, hess = logreg_reference(pot.data.x, pot.data.y, l2)
    w = np.zeros(2)
    for _ in range(50):
        w = w - np.linalg.solve(hess(w), grad(w))
    np.testing.assert_allclose(pot.minima[0], w, rtol=1e-9, atol=1e-10)
    assert pot.minimum_values[0] == pytest.approx(value(w), rel=1e-12)


def test_logreg_value_grad_hessian_against_references_and_differences():
    pot = LogReg()
    value, grad, hess = logreg_reference(pot.data.x, pot.data.y, pot.l2)
    pos = points(pot, 2)
    np.testing.assert_allclose(pot.value(pos), [value(w) for w in pos], rtol=1e-12)
    np.testing.assert_allclose(pot.grad(pos), [grad(w) for w in pos], rtol=1e-10, atol=1e-12)
    fd = central_difference(pot.value, pos, 1e-4)
    np.testing.assert_allclose(pot.grad(pos), fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pot.hessian(pos), [hess(w) for w in pos], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(pot.hessian(pos), central_difference(pot.grad, pos, 1e-4), rtol=1e-6, atol=1e-8)


def test_logreg_far_away_is_finite_and_quiet():
    pot = LogReg(l2=0.0)
    far = np.array([[1e200, -1e200], [-1e300, 3.0], [1e6, 1e6], [1e308, 1e308]])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = pot.value(far)
        g = pot.grad(far)
    assert not np.isnan(v).any() and np.all(v > 0)
    assert np.isfinite(g).all()


# ----------------------------------------------------------------------------------------
# mlp on a plane
# ----------------------------------------------------------------------------------------
def forward(theta: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float) -> float:
    """The network written out layer by layer (not the program's code)."""
    w1 = theta[:32].reshape(16, 2)
    b1, w2, b2 = theta[32:48], theta[48:64], theta[64]
    hidden = np.tanh(np.einsum("kj,nj->nk", w1, x) + b1)
    logit = hidden @ w2 + b2
    return float(np.mean(np.logaddexp(0.0, logit) - y * logit) + 0.5 * l2 * np.sum(theta**2))


@pytest.fixture(scope="module", params=["random", "pca"])
def planes(request):
    exact = MLPPlane(plane=request.param, fast=False)
    fast = MLPPlane(plane=request.param, fast=True)
    exact.ensure()
    fast.ensure()
    return exact, fast


def test_mlp_value_at_origin_is_the_trained_network(planes):
    exact, fast = planes
    ref = forward(exact.theta, exact.data.x, exact.data.y, exact.l2)
    assert exact.value(np.zeros((1, 2)))[0] == pytest.approx(ref, rel=1e-13)
    assert fast.value(np.zeros((1, 2)))[0] == pytest.approx(ref, rel=1e-5)
    assert len(exact.theta) == 65
    # trained: it classifies the moons
    w1, b1, w2, b2 = unpack(exact.theta)
    acc = np.mean(((np.tanh(exact.data.x @ w1.T + b1) @ w2 + b2) > 0) == exact.data.y)
    assert acc >= 0.95


def test_mlp_gradient_is_the_difference_of_forward_passes_along_d1_d2(planes):
    exact, fast = planes
    rng = np.random.default_rng(3)
    pos = rng.uniform(-0.8, 0.8, (12, 2))
    h = 1e-5
    fd = np.empty_like(pos)
    for i, (a, b) in enumerate(pos):
        for k, d in enumerate((exact.d1, exact.d2)):
            th = exact.theta + a * exact.d1 + b * exact.d2
            fd[i, k] = (forward(th + h * d, exact.data.x, exact.data.y, exact.l2)
                        - forward(th - h * d, exact.data.x, exact.data.y, exact.l2)) / (2 * h)
    g = exact.grad(pos)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fast.grad(pos), g, rtol=1e-4, atol=1e-5 * np.abs(g).max())
    vals = [forward(exact.theta + a * exact.d1 + b * exact.d2, exact.data.x, exact.data.y, exact.l2)
            for a, b in pos]
    np.testing.assert_allclose(exact.value(pos), vals, rtol=1e-12)


def test_mlp_hessian_is_the_difference_of_gradients(planes):
    exact, _ = planes
    pos = np.random.default_rng(4).uniform(-0.8, 0.8, (10, 2))
    np.testing.assert_allclose(exact.hessian(pos), central_difference(exact.grad, pos, 1e-4), rtol=1e-6, atol=1e-7)


def test_mlp_directions_are_filter_normalized():
    pot = MLPPlane(plane="random")
    pot.ensure()
    w1, b1, w2, b2 = unpack(pot.theta)
    for d in (pot.d1, pot.d2):
        dw1, db1, dw2, db2 = unpack(d)
        np.testing.assert_allclose(np.linalg.norm(dw1, axis=1), np.linalg.norm(w1, axis=1), rtol=1e-8)
        assert np.linalg.norm(dw2) == pytest.approx(np.linalg.norm(w2), rel=1e-8)
        assert not db1.any() and db2 == 0.0


def test_mlp_pca_plane_holds_the_training_path():
    pot = MLPPlane(plane="pca")
    pot.ensure()
    from sim.data.mlp import train
    _, path = train(pot.data, pot.train_seed, pot.l2)
    back = pot.theta + pot.path[:, :1] * pot.d1 + pot.path[:, 1:] * pot.d2  # the path, from the plane
    off = np.linalg.norm(back - path, axis=1)
    dist = np.linalg.norm(path - pot.theta, axis=1)
    assert (off**2).sum() < 0.15 * (dist**2).sum()  # the plane holds most of the path
    assert off.max() < 0.35 * dist.max()
    # a random plane holds far less of it
    rnd = MLPPlane(plane="random")
    rnd.ensure()
    q = np.linalg.lstsq(np.column_stack([rnd.d1, rnd.d2]), (path - rnd.theta).T, rcond=None)[0].T
    off_rnd = np.linalg.norm(rnd.theta + q[:, :1] * rnd.d1 + q[:, 1:] * rnd.d2 - path, axis=1)
    assert (off_rnd**2).sum() > 0.5 * (dist**2).sum()
    assert np.abs(pot.path).max() == pytest.approx(1.0)


def test_mlp_listed_minimum_is_stationary():
    pot = MLPPlane(fast=False)
    assert pot.minima.shape == (1, 2)
    assert np.abs(pot.grad(pot.minima)).max() < 1e-9
    assert np.all(np.linalg.eigvalsh(pot.hessian(pot.minima)) > 0)


# ----------------------------------------------------------------------------------------
# Minibatches
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, batch", [(6, 3), (10, 8), (5, 1)])
def test_minibatches_are_uniform_subsets(n, batch):
    rng = np.random.default_rng(0)
    idx = draw(rng, 60000, n, batch)
    s = np.sort(idx, axis=1)
    assert idx.shape == (60000, batch)
    assert np.all(np.diff(s, axis=1) > 0) and s.min() >= 0 and s.max() < n
    subsets = list(itertools.combinations(range(n), batch))
    counts = {c: 0 for c in subsets}
    for row in map(tuple, s.tolist()):
        counts[row] += 1
    expect = 60000 / len(subsets)
    sd = math.sqrt(expect)
    assert all(abs(c - expect) < 5 * sd for c in counts.values()), counts


def per_example_linreg(pot, p):
    """Each example's gradient of (w x + b - y)^2 written here: [n, 2]."""
    x, y = pot.data.x[:, 0], pot.data.y
    r = p[0] * x + p[1] - y
    return np.column_stack([2 * r * x, 2 * r])


@pytest.mark.parametrize("name", ["linreg", "logreg", "mlp"])
@pytest.mark.parametrize("batch", [1, 4, 30])
def test_minibatch_gradient_is_unbiased_with_the_finite_population_variance(name, batch):
    pot = make_landscape(name) if name != "mlp" else MLPPlane(fast=False)
    n = pot.data.n
    p = np.array([0.3 * (pot.view[0] + pot.view[1]), 0.4 * (pot.view[2] + pot.view[3])])
    if name == "mlp":
        p = np.array([0.2, -0.1])
    k = 40000
    g = pot.minibatch_grad(np.tile(p, (k, 1)), draw(np.random.default_rng(1), k, n, batch))
    full = pot.grad(p[None])[0]
    c = gradient_covariance(pot, p)
    cov = c / batch * (n - batch) / (n - 1)
    se = np.sqrt(np.diag(cov) / k)
    assert np.all(np.abs(g.mean(axis=0) - full) < 5 * se + 1e-12)
    got = np.cov(g.T)
    d = g - g.mean(axis=0)
    prod = d[:, :, None] * d[:, None, :]  # [k, 2, 2]: the sample covariance is their mean
    tol = 5 * prod.std(axis=0) / math.sqrt(k)  # 5 standard errors, whatever the tails
    assert np.all(np.abs(got - cov) < tol + 1e-15), (got, cov)
    if name == "linreg":  # C from per-example gradients written here
        e = per_example_linreg(pot, p)
        np.testing.assert_allclose(c, np.cov(e.T, bias=True), rtol=1e-10)


def test_noise_temperature_is_the_formula():
    pot = LinReg()
    p = pot.minima[0]
    e = per_example_linreg(pot, p)
    c = np.cov(e.T, bias=True)
    n, lr, batch = pot.data.n, 0.02, 4
    t = noise_temperature(pot, p, lr, batch)
    assert t["factor"] == pytest.approx((n - batch) / (n - 1))
    assert t["t_eff"] == pytest.approx(lr * np.trace(c) / (2 * 2 * batch) * (n - batch) / (n - 1), rel=1e-12)
    assert noise_temperature(pot, p, lr, 0)["t_eff"] == 0.0
    assert noise_temperature(pot, p, lr, n)["t_eff"] == 0.0
    assert effective_batch(n + 5, n) == 0 and effective_batch(3, n) == 3


def test_sgd_stationary_spread_matches_the_discrete_lyapunov_solution():
    """x_{k+1} - x* = A (x_k - x*) - lr xi_k, A = I - lr H, cov xi = C(x*)/B (n-B)/(n-1):
    the stationary covariance P solves P = A P A^T + lr^2 cov xi."""
    pot = LinReg()
    lr, batch, n = 0.02, 16, pot.data.n  # (n-B)/(n-1) = 0.62: the test sees it
    h = pot.hessian(pot.minima)[0]
    a = np.eye(2) - lr * h
    q = lr * lr * gradient_covariance(pot, pot.minima[0]) / batch * (n - batch) / (n - 1)
    p_ref = np.linalg.solve(np.eye(4) - np.kron(a, a), q.ravel()).reshape(2, 2)
    w = World(pot, Rule("gd", lr=lr), seed=7)
    w.set_batch(batch)
    w.drop(np.tile(pot.minima[0], (2000, 1)))
    w.tick(800)  # burn in: (1 - lr lambda_min)^(2 * 800) < 1e-5
    samples = []
    for _ in range(100):
        w.tick(10)
        samples.append(w.particles.pos - pot.minima[0])
    d = np.concatenate(samples)
    got = d.T @ d / len(d)
    assert np.trace(got) == pytest.approx(np.trace(p_ref), rel=0.1)
    np.testing.assert_allclose(np.diag(got), np.diag(p_ref), rtol=0.1)
    assert abs(got[0, 1] - p_ref[0, 1]) < 0.1 * math.sqrt(p_ref[0, 0] * p_ref[1, 1])
    # and the spread is the noise's: a full-batch run stays exactly at the minimum
    assert np.trace(got) > 100 * np.finfo(float).eps


# ----------------------------------------------------------------------------------------
# The world on minibatches
# ----------------------------------------------------------------------------------------
def _run(pot, rule, batch, ticks=50):
    w = World(pot, rule, seed=3)
    if batch is not None:
        w.set_batch(batch)
    w.drop_random(30)
    w.tick(ticks)
    return w


@pytest.mark.parametrize("rule", ["gd", "newton", "langevin"])
def test_full_batch_is_bit_identical_to_no_batch(rule):
    pot = POTENTIALS["logreg"]
    ref = _run(pot, Rule(rule, lr=0.1, dt=0.05), None)
    for b in (0, pot.data.n, pot.data.n + 10):
        w = _run(pot, Rule(rule, lr=0.1, dt=0.05), b)
        assert np.array_equal(w.particles.pos, ref.particles.pos)
        assert w.rng.bit_generator.state == ref.rng.bit_generator.state


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_runs_on_minibatches(rule):
    pot = POTENTIALS["linreg"]
    r = Rule(rule, lr=0.01, dt=0.02)
    full = _run(pot, r, 0)
    mini = _run(pot, r, 4)
    if rule == "marble":  # it rolls on the full-data surface (a surface redrawn at every
        # gradient has no constraint to solve): the batch changes nothing
        assert np.array_equal(mini.particles.pos, full.particles.pos)
        return
    again = _run(pot, r, 4)
    assert np.isfinite(mini.particles.pos).all()
    assert not np.array_equal(mini.particles.pos, full.particles.pos)  # the noise is there
    assert np.array_equal(mini.particles.pos, again.particles.pos)  # and seeded
    # closer to the minimum than where they started, on average
    start = np.linalg.norm(mini.particles.origin - pot.minima[0], axis=1).mean()
    assert np.linalg.norm(_run(pot, r, 4, 1500).particles.pos - pot.minima[0], axis=1).mean() < start


def test_balls_draw_independent_minibatches():
    pot = POTENTIALS["linreg"]
    w = World(pot, Rule("gd", lr=0.01), seed=1)
    w.set_batch(2)
    w.drop(np.tile([0.0, 0.0], (200, 1)))
    w.tick(1)
    steps = np.unique(np.round(w.particles.pos, 12), axis=0)
    assert len(steps) > 100  # 200 balls at one place, C(40, 2) = 780 possible batches


def test_set_batch_rejects_bad_values():
    w = World(POTENTIALS["linreg"])
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            w.set_batch(bad)


def test_each_lane_has_its_own_batch():
    pot = POTENTIALS["linreg"]
    w = World(pot, Rule("gd", lr=0.05), seed=4)
    w.add_rule(Rule("gd", lr=0.05, batch=1))
    start = np.array([[2.0, -1.0]] * 5)
    w.drop(start)
    w.drop(start, rule_id=1)
    ref = World(pot, Rule("gd", lr=0.05), seed=4)
    ref.drop(start)
    w.tick(100)
    ref.tick(100)
    assert np.array_equal(w.particles.pos[:5], ref.particles.pos)  # full batch: not one bit of noise
    assert np.unique(w.particles.pos[5:], axis=0).shape[0] == 5  # batch 1: each ball its own path
