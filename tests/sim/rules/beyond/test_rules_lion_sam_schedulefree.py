"""lion, sam, sgd_schedulefree and adamw_schedulefree against transcriptions of their reference
code, written in plain numpy for one ball (a 2-vector parameter) in tests/support/beyond_refs.py:

- lion: lucidrains/lion-pytorch, lion_pytorch/lion_pytorch.py `update_fn`;
- sam: davda54/sam, sam.py `SAM.first_step` / `second_step`, over torch.optim.SGD
  (`_single_tensor_sgd`, momentum, dampening 0, nesterov off);
- sgd_schedulefree / adamw_schedulefree: facebookresearch/schedule_free,
  schedulefree/sgd_schedulefree.py `SGDScheduleFree.step` and adamw_schedulefree.py
  `AdamWScheduleFree.step` (the non-foreach branch; foreach does the same operations), with
  `eval()`'s lerp giving the point users evaluate.

torch's element operations are mirrored one by one (`a.add_(b, alpha=c)` is a + c*b,
`addcmul_(t1, t2, value=v)` is a + v*t1*t2, `lerp` switches formula at |w| = 0.5). Whether
torch fuses a + c*b into one FMA on a 2-element CPU tensor is not visible from Python; an FMA
would differ by one rounding, far below the 1e-10 compared here.
Plus: many balls at different step counts equal the per-ball reference, and the facts each
rule declares (Lion's speed, SAM's effective loss, the schedule-free average) checked against
independent computations.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from sim.data.catalog import get_potential
from sim.rules.beyond import adamw_schedulefree, lion, sam, sgd_schedulefree
from tests.support.beyond_refs import reference

SPECS = {m.SPEC.name: m.SPEC for m in (lion, sam, sgd_schedulefree, adamw_schedulefree)}
STEPS = 2000


# --- stand-ins for the program's Rule and State (the registry provides the real ones) -------

class R:
    """A rule stand-in: .lr and .opt(name) resolved to the spec's default."""

    def __init__(self, name: str, lr: float, **opts):
        self.name, self.lr = name, lr
        self.defaults = {p.name: p.default for p in SPECS[name].params}
        unknown = set(opts) - set(self.defaults)
        assert not unknown, unknown
        self.opts = opts

    def opt(self, key: str):
        return self.opts.get(key, self.defaults[key])


def make_state(n: int, spec) -> SimpleNamespace:
    z = lambda: np.zeros((n, 2))  # noqa: E731
    return SimpleNamespace(pos=z(), vel=z(), grad=z(), buf_a=z(), buf_b=z(), tmp=z(), tmp2=z(),
                           steps=np.zeros(n, dtype=np.int64), dissipated=np.zeros(n),
                           same_steps=None, grad_valid=False,
                           bufs={b.name: np.zeros((n,) + tuple(b.shape)) for b in spec.buffers})


def rows(s: SimpleNamespace, k: int) -> SimpleNamespace:
    """The first k balls of s, as views (a block of the particle arrays)."""
    out = SimpleNamespace(**{f: (v[:k] if isinstance(v, np.ndarray) else v)
                             for f, v in vars(s).items() if f != "bufs"})
    out.bufs = {name: b[:k] for name, b in s.bufs.items()}
    return out


def run_rule(r: R, V, starts: np.ndarray, steps: int) -> np.ndarray:
    """Positions [steps, n, 2] of the rule's vectorized step from starts [n, 2]."""
    s = make_state(len(starts), SPECS[r.name])
    s.pos[:] = starts
    out = np.empty((steps,) + starts.shape)
    for t in range(steps):
        SPECS[r.name].step(r, s, V, None)
        out[t] = s.pos
    return out


# --- the cases: each rule on himmelblau and rosenbrock, defaults and two other settings -------

HIMMELBLAU_START = (-0.5, 0.8)
ROSEN_START = (-1.2, 1.0)

# Where chaos amplifies rounding the comparison stops earlier: the step count is the 5th entry,
# chosen where a 1e-12 nudge of the start has grown less than 1e3 times (measured). SAM is chaotic
# once it reaches a minimum: the ascent direction g/|g| of a vanishing gradient turns with
# rounding-level changes, and the ball hops around the minimum at a distance ~rho (at rho 0.2
# on Himmelblau that is reached after ~36 ticks). Schedule-free AdamW near a minimum divides a
# vanishing gradient by its own running size (a sign-like step), with the same effect.
CASES = [
    # (rule, potential, lr, options[, steps]) ; options use the program's names
    ("lion", "himmelblau", 0.01, {}),
    ("lion", "himmelblau", 0.02, {"beta": 0.8, "beta2": 0.95, "weight_decay": 0.5}),
    ("lion", "himmelblau", 0.005, {"beta": 0.95, "beta2": 0.999}),
    ("lion", "rosenbrock", 1e-3, {}),
    ("lion", "rosenbrock", 3e-3, {"beta": 0.5, "beta2": 0.9, "weight_decay": 0.1}),
    ("lion", "rosenbrock", 1e-3, {"beta": 0.99, "beta2": 0.999}),
    ("sam", "himmelblau", 2e-3, {}),
    ("sam", "himmelblau", 5e-3, {"beta": 0.5, "weight_decay": 0.01, "sam_rho": 0.2}, 30),
    ("sam", "himmelblau", 1e-3, {"beta": 0.0, "sam_rho": 0.5}),
    ("sam", "rosenbrock", 1e-4, {}, 1500),
    ("sam", "rosenbrock", 3e-4, {"beta": 0.5, "weight_decay": 0.1, "sam_rho": 0.01}),
    ("sam", "rosenbrock", 1e-4, {"beta": 0.95, "sam_rho": 0.2}),
    ("sgd_schedulefree", "himmelblau", 5e-3, {}),
    ("sgd_schedulefree", "himmelblau", 1e-2, {"beta": 0.5, "weight_decay": 0.01,
                                             "warmup_steps": 50, "r": 1.0}),
    ("sgd_schedulefree", "himmelblau", 2e-3, {"beta": 0.95, "warmup_steps": 300,
                                             "weight_lr_power": 0.0}),
    ("sgd_schedulefree", "rosenbrock", 5e-4, {}),
    ("sgd_schedulefree", "rosenbrock", 1e-3, {"beta": 0.5, "warmup_steps": 100, "r": 0.5,
                                             "weight_decay": 0.05}),
    ("sgd_schedulefree", "rosenbrock", 2e-4, {"beta": 0.98, "weight_lr_power": 1.0}),
    ("adamw_schedulefree", "himmelblau", 2e-2, {}),
    ("adamw_schedulefree", "himmelblau", 5e-2, {"beta": 0.8, "beta2": 0.99, "eps": 1e-6,
                                               "weight_decay": 0.01, "warmup_steps": 100}, 900),
    ("adamw_schedulefree", "himmelblau", 1e-2, {"inner_momentum": 0.9, "r": 1.0,
                                               "weight_lr_power": 1.0}),
    ("adamw_schedulefree", "rosenbrock", 5e-3, {}),
    ("adamw_schedulefree", "rosenbrock", 1e-2, {"beta": 0.95, "beta2": 0.9,
                                               "weight_decay": 0.1, "warmup_steps": 200}, 550),
    ("adamw_schedulefree", "rosenbrock", 2e-3, {"inner_momentum": 0.5, "eps": 1e-4, "r": 2.0}),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{i % 3}" for i, c in enumerate(CASES)])
def test_rule_equals_its_reference_for_2000_steps(case):
    name, potential, lr, opts = case[:4]
    steps = case[4] if len(case) > 4 else STEPS
    V = get_potential(potential)
    x0 = HIMMELBLAU_START if potential == "himmelblau" else ROSEN_START
    ref = reference(name, V, x0, steps, lr, opts)
    got = run_rule(R(name, lr, **opts), V, np.array([x0]), steps)[:, 0]
    assert np.isfinite(ref).all()
    assert np.abs(ref[-1] - ref[0]).max() > 10 * lr  # the ball went somewhere
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


# --- many balls at once, dropped at different ticks --------------------------------------

MANY = [
    ("lion", 0.01, {"weight_decay": 0.1}),
    ("sam", 2e-3, {"sam_rho": 0.1}),
    ("sgd_schedulefree", 5e-3, {"warmup_steps": 20}),
    ("sgd_schedulefree", 5e-3, {"r": 1.0}),
    ("adamw_schedulefree", 2e-2, {"inner_momentum": 0.9, "warmup_steps": 10}),
]


@pytest.mark.parametrize("name,lr,opts", MANY)
def test_many_balls_at_different_step_counts_equal_the_reference(name, lr, opts):
    """24 balls in three drops (ticks 0, 7, 40) stepped as one block; each equals its own
    one-ball reference run for its own number of steps."""
    V = get_potential("himmelblau")
    starts = np.random.default_rng(5).uniform(-4.0, 4.0, (24, 2))
    drops = {0: 8, 7: 16, 40: 24}  # at this tick the block grows to this many balls
    total = 300
    r = R(name, lr, **opts)
    s = make_state(len(starts), SPECS[name])
    n = 0
    for t in range(total):
        if t in drops:
            new = drops[t]
            s.pos[n:new] = starts[n:new]  # a drop: fresh (zero) state, steps 0
            n = new
        SPECS[name].step(r, rows(s, n), V, None)
    for i, x0 in enumerate(starts):
        first = min(t for t, k in drops.items() if k > i)  # the tick ball i was dropped
        ref = reference(name, V, x0, total - first, lr, opts)[-1]
        np.testing.assert_allclose(s.pos[i], ref, rtol=1e-10, atol=1e-12, err_msg=f"ball {i}")
    if SPECS[name].buffers:  # the schedule-free rules count their own steps
        assert sorted(set(s.steps.tolist())) == [total - 40, total - 7, total]


# --- the facts each rule declares, against independent computations ----------------------

class Quadratic:
    """V = x'Hx/2 with H [2, 2] symmetric (test-local, independent of sim.potentials)."""

    def __init__(self, h):
        self.h = np.asarray(h, dtype=float)

    def grad(self, pos, out=None):
        g = pos @ self.h.T
        if out is None:
            return g
        out[...] = g
        return out

    def value(self, pos):
        return 0.5 * np.einsum("ni,ij,nj->n", pos, self.h, pos)


def test_lion_moves_exactly_lr_per_coordinate_per_tick():
    """Far from the minimum of a badly conditioned bowl (curvatures 0.02 and 50) every coordinate
    moves lr per tick whatever the force: 250 ticks cross 2.5 units at lr 0.01 in both."""
    V = Quadratic([[0.02, 0.0], [0.0, 50.0]])
    lr = 0.01
    path = run_rule(R("lion", lr), V, np.array([[3.0, 3.0]]), 250)[:, 0]
    steps = np.diff(np.vstack([[3.0, 3.0], path]), axis=0)
    np.testing.assert_allclose(steps, -lr, rtol=1e-12)
    np.testing.assert_allclose(path[-1], [0.5, 0.5], rtol=1e-12)
    reading = SPECS["lion"].reading(R("lion", lr))
    assert reading.numbers["speed_per_coordinate"] == lr
    assert reading.numbers["speed_diagonal"] == pytest.approx(lr * math.sqrt(2.0), rel=1e-15)


def test_lion_weight_decay_is_a_spring_outside_the_sign():
    """With the force and momentum zero (V flat) only the decay acts: x_k = x0 (1 - lr wd)^k."""
    V = Quadratic([[0.0, 0.0], [0.0, 0.0]])
    path = run_rule(R("lion", 0.1, weight_decay=0.5), V, np.array([[2.0, -1.0]]), 40)[:, 0]
    np.testing.assert_allclose(path[-1], np.array([2.0, -1.0]) * 0.95**40, rtol=1e-12)


def test_sam_at_a_zero_gradient_takes_the_heavy_ball_step():
    """davda54/sam: e = rho g/(|g| + 1e-12) is 0 where g = 0, so the second gradient is taken at
    x itself; a ball at the minimum with momentum u moves by -lr beta u (heavy ball)."""
    V = Quadratic([[2.0, 0.0], [0.0, 3.0]])
    r = R("sam", 0.1, beta=0.9, sam_rho=0.5)
    s = make_state(1, SPECS["sam"])
    s.buf_a[:] = [[1.0, -2.0]]
    SPECS["sam"].step(r, s, V, None)
    assert np.isfinite(s.pos).all()
    np.testing.assert_allclose(s.pos[0], [-0.09, 0.18], rtol=1e-15)


@pytest.mark.parametrize("rho", [0.05, 0.3])
def test_sam_on_a_quadratic_is_gradient_descent_on_v_plus_rho_grad_norm(rho):
    """On V = x'Hx/2, SAM's gradient is exactly grad(V + rho |grad V|): compare one step (beta
    0, fresh buffer) with gd on that loss, its gradient by central differences here."""
    H = np.array([[3.0, 1.0], [1.0, 0.5]])
    V = Quadratic(H)
    lr = 0.01
    starts = np.random.default_rng(2).uniform(-2, 2, (20, 2))

    def v_tilde(p):
        return 0.5 * p @ H @ p + rho * np.linalg.norm(H @ p)

    h = 1e-6
    for x in starts:
        fd = np.array([(v_tilde(x + h * e) - v_tilde(x - h * e)) / (2 * h) for e in np.eye(2)])
        got = run_rule(R("sam", lr, beta=0.0, sam_rho=rho), V, x[None], 1)[0, 0]
        np.testing.assert_allclose(got, x - lr * fd, rtol=0, atol=lr * 1e-7)


def test_sam_has_a_linear_map_only_without_its_ascent_step():
    """rho = 0: heavy ball on V + wd|x|^2/2; the matrix maps (x, u) exactly as the step does."""
    lam, lr, beta, wd = 4.0, 0.05, 0.8, 0.1
    r = R("sam", lr, beta=beta, weight_decay=wd, sam_rho=0.0)
    M = SPECS["sam"].linear_map(r, lam)
    V = Quadratic([[lam, 0.0], [0.0, lam]])
    s = make_state(1, SPECS["sam"])
    s.pos[:] = [[1.5, -0.5]]
    s.buf_a[:] = [[0.3, 2.0]]
    before = np.array([s.pos[0], s.buf_a[0]])  # rows: x, u ; columns: the two coordinates
    SPECS["sam"].step(r, s, V, None)
    np.testing.assert_allclose(M @ before, np.array([s.pos[0], s.buf_a[0]]), rtol=1e-14)
    assert SPECS["sam"].linear_map(R("sam", lr, sam_rho=0.05), lam) is None
    assert SPECS["sam"].modified_loss(R("sam", lr, sam_rho=0.05)) is None
    assert SPECS["sam"].noise_factor(R("sam", lr, sam_rho=0.05)) is None
    assert SPECS["sam"].noise_factor(R("sam", lr, beta=0.9, sam_rho=0.0)) == pytest.approx(10.0)


@pytest.mark.parametrize("name", ["sgd_schedulefree", "adamw_schedulefree"])
def test_schedulefree_ball_is_the_average_of_z_and_y_lies_between(name):
    """At r = 0 without warmup c_k = 1/(k+1): x after k steps is the plain mean of z_1..z_k, and
    the gradient point is y = (1 - beta) z + beta x (the theory's definitions)."""
    V = get_potential("himmelblau")
    beta = 0.9
    r = R(name, 0.01, beta=beta)
    s = make_state(1, SPECS[name])
    s.pos[:] = [[0.3, -0.7]]
    zs = []
    for _ in range(200):
        SPECS[name].step(r, s, V, None)
        zs.append(s.bufs["z"][0].copy())
        np.testing.assert_allclose(s.pos[0], np.mean(zs, axis=0), rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(s.bufs["y"][0], (1 - beta) * zs[-1] + beta * s.pos[0],
                                   rtol=1e-11, atol=1e-13)


def test_the_adaptive_and_time_dependent_rules_claim_no_linear_facts():
    for name in ("lion", "sgd_schedulefree", "adamw_schedulefree"):
        spec, r = SPECS[name], R(name, 0.01)
        assert spec.linear_map(r, 2.0) is None
        assert spec.modified_loss(r) is None and spec.noise_factor(r) is None
        assert spec.reading(r) is not None
