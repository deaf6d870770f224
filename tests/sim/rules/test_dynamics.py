"""The update rules against independent references: torch.optim's algorithms transcribed as
scalar Python, closed forms, analytic oscillators, energy budgets and equipartition."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from sim.rules.dynamics import Rule, newton_twin
from sim.landscapes.base import Potential
from sim.core.world import World


# --- test-local landscapes (independent of sim.potentials) ---------------------------------

class Bowl(Potential):
    def __init__(self, k: float = 1.0):
        super().__init__("bowl", "k/2 r^2", (-2, 2, -2, 2))
        self.k = k

    def _value(self, x, y):
        return 0.5 * self.k * (x * x + y * y)

    def _grad(self, x, y):
        return self.k * x, self.k * y

    def _hessian(self, x, y):
        return self.k, 0.0, self.k


class Rosen(Potential):
    def __init__(self):
        super().__init__("rosen", "", (-2, 2, -1, 3))

    def _value(self, x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def _grad(self, x, y):
        return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


class Saddle(Potential):
    def __init__(self):
        super().__init__("saddle", "", (-1, 1, -1, 1))

    def _value(self, x, y):
        return x * x - y * y

    def _grad(self, x, y):
        return 2 * x, -2 * y


def rosen_grad(x: float, y: float) -> tuple[float, float]:
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def torch_reference(name: str, x0, steps: int, grad=rosen_grad, lr=1e-3, beta=0.9, beta2=0.999,
                    alpha=0.99, eps=None) -> list[tuple[float, float]]:
    """torch.optim's documented algorithms for one parameter vector, in scalar Python."""
    p = [float(x0[0]), float(x0[1])]
    buf = [0.0, 0.0]
    s = [0.0, 0.0]
    m = [0.0, 0.0]
    path = []
    for t in range(1, steps + 1):
        g = grad(*p)
        for i in range(2):
            if name == "gd":
                p[i] = p[i] - lr * g[i]
            elif name == "momentum":
                buf[i] = g[i] if t == 1 else beta * buf[i] + g[i]
                p[i] = p[i] - lr * buf[i]
            elif name == "nesterov":
                buf[i] = g[i] if t == 1 else beta * buf[i] + g[i]
                p[i] = p[i] - lr * (g[i] + beta * buf[i])
            elif name == "adagrad":
                e = 1e-10 if eps is None else eps
                s[i] += g[i] * g[i]
                p[i] = p[i] - lr * g[i] / (math.sqrt(s[i]) + e)
            elif name == "rmsprop":
                e = 1e-8 if eps is None else eps
                s[i] = alpha * s[i] + (1 - alpha) * g[i] * g[i]
                p[i] = p[i] - lr * g[i] / (math.sqrt(s[i]) + e)
            elif name == "adam":
                e = 1e-8 if eps is None else eps
                m[i] = beta * m[i] + (1 - beta) * g[i]
                s[i] = beta2 * s[i] + (1 - beta2) * g[i] * g[i]
                mhat = m[i] / (1 - beta**t)
                shat = s[i] / (1 - beta2**t)
                p[i] = p[i] - lr * mhat / (math.sqrt(shat) + e)
        path.append((p[0], p[1]))
    return path


OPTIMIZERS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("start", [(-1.5, 2.0), (0.3, -0.5), (1.2, 1.0)])
def test_optimizer_matches_torch_algorithm(name, start):
    lr = {"gd": 1e-3, "momentum": 1e-3, "nesterov": 5e-4, "adagrad": 0.05, "rmsprop": 1e-3, "adam": 1e-2}[name]
    w = World(Rosen(), Rule(name, lr=lr))
    w.drop(np.array([start]))
    ref = torch_reference(name, start, 400, lr=lr)
    for k in (1, 2, 10, 400):
        w.tick(k - w.tick_count)
        np.testing.assert_allclose(w.particles.pos[0], ref[k - 1], rtol=1e-9, atol=1e-12)


def test_each_particle_owns_its_optimizer_state():
    """Adam balls dropped at different ticks follow their own paths (own step counts)."""
    w = World(Rosen(), Rule("adam", lr=1e-2))
    w.drop(np.array([[-1.0, 1.5]]))
    w.tick(37)
    w.drop(np.array([[0.5, -0.5], [-1.0, 1.5]]))
    w.tick(100)
    np.testing.assert_allclose(w.particles.pos[0], torch_reference("adam", (-1, 1.5), 137, lr=1e-2)[-1], rtol=1e-9)
    np.testing.assert_allclose(w.particles.pos[1], torch_reference("adam", (0.5, -0.5), 100, lr=1e-2)[-1], rtol=1e-9)
    np.testing.assert_allclose(w.particles.pos[2], torch_reference("adam", (-1, 1.5), 100, lr=1e-2)[-1], rtol=1e-9)


@pytest.mark.parametrize("lr", [0.05, 0.3, 1.5])
def test_gd_on_bowl_closed_form(lr):
    x0 = np.array([[1.0, -2.0], [0.25, 3.0]])
    w = World(Bowl(), Rule("gd", lr=lr))
    w.drop(x0)
    for k in (1, 5, 50):
        w.tick(k - w.tick_count)
        np.testing.assert_allclose(w.particles.pos, (1 - lr) ** k * x0, rtol=1e-12)


@pytest.mark.parametrize("potential", [Bowl(3.0), Rosen()])
@pytest.mark.parametrize("lr,beta", [(1e-3, 0.9), (2e-4, 0.5), (1e-3, 0.0)])
def test_heavy_ball_is_symplectic_newton(potential, lr, beta):
    """momentum(lr, beta) == newton(dt, mass = dt^2/lr, friction = (1 - beta) dt/lr), semi-implicit Euler."""
    dt = 0.01
    starts = np.array([[-1.2, 1.0], [0.5, 0.4], [1.5, 2.0]])
    name = "momentum" if beta else "gd"
    a = World(potential, Rule(name, lr=lr, beta=beta or 0.9))
    twin = Rule("newton", integrator="symplectic", dt=dt, mass=dt * dt / lr, friction=(1 - beta) * dt / lr)
    b = World(potential, twin)
    a.drop(starts)
    b.drop(starts)
    for _ in range(10):
        a.tick(1000)
        b.tick(1000)
        np.testing.assert_allclose(b.particles.pos, a.particles.pos, rtol=1e-8, atol=1e-10)
    assert newton_twin(Rule(name, lr=lr, beta=beta or 0.9, dt=dt)).mass == pytest.approx(dt * dt / lr)


def _oscillator_error(integrator: str, dt: float, friction: float = 0.0, t_end: float = 10.0) -> float:
    """|x(T) - exact| for m x'' = -x - friction x', x(0) = 1, v(0) = 0 (unit mass, k = 1)."""
    w = World(Bowl(), Rule("newton", integrator=integrator, dt=dt, friction=friction))
    w.drop(np.array([[1.0, 0.0]]))
    w.tick(round(t_end / dt))
    g = friction / 2
    wd = math.sqrt(1 - g * g)
    exact = math.exp(-g * t_end) * (math.cos(wd * t_end) + g / wd * math.sin(wd * t_end))
    return abs(w.particles.pos[0, 0] - exact)


@pytest.mark.parametrize("friction", [0.0, 0.3])
def test_verlet_is_second_order(friction):
    e1 = _oscillator_error("verlet", 0.02, friction)
    e2 = _oscillator_error("verlet", 0.01, friction)
    assert 3.5 < e1 / e2 < 4.5


def test_symplectic_and_euler_are_first_order():
    for integ in ("symplectic", "euler"):
        ratio = _oscillator_error(integ, 0.002) / _oscillator_error(integ, 0.001)
        assert 1.7 < ratio < 2.3, integ


def _energy(w: World) -> float:
    return float(w.values()[0] + w.kinetic()[0])


def test_frictionless_energy_bounded_for_verlet_grows_for_euler():
    dt = 0.05
    e0 = 0.5

    def worst_drift(integrator: str, chunks: int) -> float:
        w = World(Bowl(), Rule("newton", integrator=integrator, dt=dt, friction=0.0))
        w.drop(np.array([[1.0, 0.0]]))
        worst = 0.0
        for _ in range(chunks):
            w.tick(1000)
            worst = max(worst, abs(_energy(w) - e0) / e0)
        return worst

    assert worst_drift("verlet", 100) < 1e-3  # bounded O(dt^2) wobble, no trend over 1e5 steps
    assert worst_drift("symplectic", 10) < 0.05
    assert worst_drift("euler", 10) > 100  # grows like (1 + dt^2)^k


def test_langevin_equipartition_on_bowl():
    T = 0.5
    w = World(Bowl(), Rule("langevin", dt=0.05, friction=1.0, temperature=T), seed=3)
    w.drop(np.zeros((20000, 2)))
    w.tick(600)  # burn-in: several relaxation times (m/friction = 1)
    xs, ke = [], []
    for _ in range(20):
        w.tick(25)
        xs.append(w.particles.pos.copy())
        ke.append(w.kinetic().mean())
    xs = np.concatenate(xs)
    var = xs.var(axis=0)
    # exp(-V/T) on the unit bowl: each coordinate ~ N(0, T); BAOAB's position error is tiny
    np.testing.assert_allclose(var, [T, T], rtol=0.03)
    assert np.mean(ke) == pytest.approx(T, rel=0.03)  # 2 dof * T/2


def test_divergence_on_saddle_is_contained():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("gd", "adam", "newton", "langevin"):
            lr = 1e3 if name == "adam" else 0.1  # adam moves about lr per step
            w = World(Saddle(), Rule(name, lr=lr, dt=0.1, temperature=0.1))
            w.drop(np.array([[0.1, 0.2], [0.0, 0.0], [-0.3, 1e-3]]))
            w.tick(3000)
            p = w.particles
            assert np.isfinite(p.pos).all() and np.isfinite(p.vel).all()
            alive, diverged = w.counts()
            assert diverged >= 2 and alive + diverged == 3, name
            frozen = p.pos.copy()
            w.tick(10)
            np.testing.assert_array_equal(p.pos[p.status == 1], frozen[p.status == 1])


def test_nan_gradient_freezes_at_last_finite_position():
    class Log(Potential):
        def _value(self, x, y):
            return -np.log(x) + y * y

        def _grad(self, x, y):
            return -1 / x, 2 * y

    w = World(Log("log", "", (0, 1, -1, 1)), Rule("gd", lr=1.0))
    w.drop(np.array([[0.5, 0.0]]))  # steps: 0.5 -> 2.5 -> 2.9 ... fine; start near 0 instead
    w.drop(np.array([[1e-320, 0.0]]))  # -1/x = -inf -> x = inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.tick(3)
    assert w.particles.status.tolist() == [0, 2]  # grad V not finite there: undefined
    assert w.particles.pos[1, 0] == 1e-320


def test_rule_switch_newton_to_momentum_keeps_motion():
    w = World(Bowl(), Rule("newton", integrator="symplectic", dt=0.01, friction=0.0))
    w.drop(np.array([[1.0, 0.0]]), vel=np.array([[0.0, 1.0]]))
    w.tick(50)
    before = w.particles.pos.copy()
    lr = 1e-3
    w.set_rule(w.rule.with_(name="momentum", lr=lr, beta=0.999))
    w.tick(1)
    step = w.particles.pos - before
    # one momentum step moves about v * dt (the same displacement per tick as before)
    v = w.particles.pos - before
    assert np.linalg.norm(step) == pytest.approx(0.01 * 1.0, rel=0.05)
    assert v[0, 1] > 0


def test_particles_grow_by_doubling_and_keep_data():
    w = World(Bowl(), Rule("gd"), capacity=4)
    w.drop(np.arange(10.0).reshape(5, 2))
    w.drop(np.ones((100, 2)))
    assert w.particles.capacity == 128 and w.n == 105
    np.testing.assert_array_equal(w.particles.pos[:5], np.arange(10.0).reshape(5, 2))
    removed = w.remove((w.particles.pos == 1.0).all(axis=1))
    assert removed == 100 and w.n == 5
    np.testing.assert_array_equal(w.particles.pos, np.arange(10.0).reshape(5, 2))


def test_thrown_momentum_ball_keeps_its_throw():
    """A throw seeds heavy-ball momentum: on a flat start the first step moves by beta * v."""
    w = World(Bowl(), Rule("momentum", lr=1e-3, beta=0.9))
    w.drop(np.array([[0.0, 0.0]]), vel=np.array([[0.5, 0.0]]))
    w.tick(1)
    np.testing.assert_allclose(w.particles.pos[0], [0.9 * 0.5, 0.0], rtol=1e-12)
    still = World(Bowl(), Rule("momentum", lr=1e-3))
    still.drop(np.array([[0.0, 0.0]]))
    still.tick(5)
    np.testing.assert_array_equal(still.particles.pos[0], [0.0, 0.0])


def test_restart_replays_a_thrown_momentum_ball_exactly():
    w = World(Rosen(), Rule("momentum", lr=1e-4, beta=0.9))
    w.drop(np.array([[-1.0, 1.0], [0.5, 0.5]]), vel=np.array([[0.02, -0.01], [0.0, 0.0]]))
    w.tick(300)
    first = w.particles.pos.copy()
    w.restart()
    w.tick(300)
    np.testing.assert_array_equal(w.particles.pos, first)
