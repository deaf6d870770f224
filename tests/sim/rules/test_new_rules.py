"""newton_method and nesterov_ode against independent references: one step to the minimum of
any positive definite quadratic (from many starts), a shift that makes an indefinite Hessian
definite; the ODE's order measured by halving dt and its convergence to x0 2 J1(t)/t on the
bowl (J1 by its power series here); learning-rate schedules inside the rules."""
from __future__ import annotations


import numpy as np
import pytest

from sim.rules.dynamics import Rule
from sim.rules.classic.newton_method import newton_shift
from sim.landscapes.formula.potential import expression_potential
from sim.data.catalog import get_potential
from sim.core.world import World


def j1(t: float) -> float:
    """Bessel J1 by its power series sum (-1)^m (t/2)^(2m+1) / (m! (m+1)!) (t <= 10)."""
    total, term = 0.0, t / 2.0
    for m in range(80):
        total += term
        term *= -(t / 2.0) ** 2 / ((m + 1) * (m + 2))
    return total


def test_j1_series_against_known_values():
    assert j1(1.0) == pytest.approx(0.44005058574493355, abs=1e-15)  # tables (A&S 9.1)
    assert j1(3.8317059702075125) == pytest.approx(0.0, abs=1e-13)  # first zero


@pytest.mark.parametrize("formula,minimum", [
    ("x**2 + y**2", (0.0, 0.0)),
    ("0.5*x**2 + 12.5*y**2", (0.0, 0.0)),
    ("3*(x-1)**2 + 2*(x-1)*(y+2) + 5*(y+2)**2 + 7", (1.0, -2.0)),
    ("100*x**2 + 0.01*y**2 - 3*x + y", (0.015, -50.0)),
])
def test_newton_method_one_step_on_quadratics(formula, minimum):
    pot = expression_potential(formula)
    starts = np.random.default_rng(3).uniform(-50, 50, (200, 2))
    w = World(pot, Rule("newton_method", lr=1.0))
    w.drop(starts)
    w.tick(1)
    np.testing.assert_allclose(w.particles.pos, np.tile(minimum, (200, 1)), atol=1e-9 * (1 + abs(minimum[1])))


def test_newton_method_shift_on_an_indefinite_hessian():
    """The saddle x^2 - y^2: H = diag(2, -2), mu = 2 + 0.1 * 2; a step downhill, not to the saddle."""
    pot = expression_potential("x**2 - y**2")
    mu = newton_shift(np.array([2.0]), np.array([-2.0]))
    assert mu[0] == pytest.approx(2.2)
    w = World(pot, Rule("newton_method", lr=1.0))
    w.drop(np.array([[1.0, 0.5]]))
    w.tick(1)
    # x: (2 + 2.2)^-1 * 2 * 1 ; y: (-2 + 2.2)^-1 * (-2 * 0.5) = -5 -> y moves away from 0
    np.testing.assert_allclose(w.particles.pos[0], [1.0 - 2.0 / 4.2, 0.5 + 1.0 / 0.2])
    assert pot.value(w.particles.pos)[0] < pot.value(np.array([[1.0, 0.5]]))[0]


def _ode_error(dt: float, t_end: float = 6.0) -> float:
    """Largest error over the whole path t in (0, t_end] against x0 2 J1(t)/t on the bowl."""
    w = World(get_potential("bowl"), Rule("nesterov_ode", dt=dt))
    x0 = np.array([[1.2, -0.7]])
    w.drop(x0)
    worst = 0.0
    for k in range(1, int(round(t_end / dt)) + 1):
        w.tick(1)
        t = k * dt
        worst = max(worst, float(np.abs(w.particles.pos[0] - x0[0] * 2.0 * j1(t) / t).max()))
    return worst


def test_nesterov_ode_converges_to_the_bessel_solution_at_second_order():
    """dt 0.2 -> 0.0125: the order from the whole range is >= 1.95, every halving >= 1.9 and
    the last >= 1.98 (it tends to 2: the remainder falls like dt^3)."""
    dts = [0.2, 0.1, 0.05, 0.025, 0.0125]
    errors = [_ode_error(dt) for dt in dts]
    orders = [np.log2(a / b) for a, b in zip(errors, errors[1:])]
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert slope >= 1.95, (slope, orders)
    assert min(orders) >= 1.9 and orders[-1] >= 1.98, orders
    assert errors[-1] < 2e-5


def test_nesterov_ode_first_step_is_the_series():
    """x(t) = x0 - t^2 g0/8 + t^4 H g0/192 + ... (put x = x0 + a t^2 + b t^4 into
    x'' + 3x'/t = -g(x): 8a = -g0, 24b = -H a): on a quadratic the first step is the series to
    O(dt^4), and it is x0 - dt^2 g0/8 exactly under a constant force."""
    pot = expression_potential("3*x + 2*y")  # constant force: the series stops at t^2
    w = World(pot, Rule("nesterov_ode", dt=0.3))
    w.drop(np.array([[1.0, -2.0]]))
    w.tick(1)
    np.testing.assert_allclose(w.particles.pos[0], [1.0 - 0.09 * 3 / 8, -2.0 - 0.09 * 2 / 8],
                               rtol=0, atol=1e-15)
    pot = expression_potential("2*x**2 + x*y + 1.5*y**2")
    hess = np.array([[4.0, 1.0], [1.0, 3.0]])
    x0 = np.array([0.8, -0.4])
    g0 = hess @ x0
    for dt in (0.1, 0.05):
        w = World(pot, Rule("nesterov_ode", dt=dt))
        w.drop(x0[None])
        w.tick(1)
        series = x0 - dt**2 * g0 / 8 + dt**4 * hess @ g0 / 192
        assert np.abs(w.particles.pos[0] - series).max() < 0.05 * dt**4 * np.abs(hess @ g0).max()


def _himmelblau_grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return np.array([4 * a * x + 2 * b, 2 * a + 4 * b * y])


def _himmelblau_hess(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([[12 * x * x + 4 * y - 42, 4 * (x + y)], [4 * (x + y), 4 * x + 12 * y * y - 26]])


def test_nesterov_ode_second_order_on_himmelblau_against_dop853():
    """The reference: scipy's DOP853 (rtol = atol = 1e-13) on x'' = -3x'/t - grad V from
    t = 1e-3, started from the series x0 - t^2 g0/8 + t^4 H g0/192 (its error there ~1e-17)."""
    from scipy.integrate import solve_ivp

    x0, t_end, ts = np.array([0.5, 1.0]), 3.2, 1e-3
    g0, h0 = _himmelblau_grad(x0), _himmelblau_hess(x0)
    start = np.concatenate([x0 - ts**2 * g0 / 8 + ts**4 * h0 @ g0 / 192,
                            -ts * g0 / 4 + ts**3 * h0 @ g0 / 48])
    rhs = lambda t, z: np.concatenate([z[2:], -3.0 * z[2:] / t - _himmelblau_grad(z[:2])])  # noqa: E731
    ref = solve_ivp(rhs, (ts, t_end), start, method="DOP853", rtol=1e-13, atol=1e-13).y[:2, -1]
    pot = get_potential("himmelblau")
    errors = []
    dts = [0.02, 0.01, 0.005, 0.0025]
    for dt in dts:
        w = World(pot, Rule("nesterov_ode", dt=dt))
        w.drop(x0[None])
        w.tick(int(round(t_end / dt)))
        errors.append(float(np.abs(w.particles.pos[0] - ref).max()))
    orders = [np.log2(a / b) for a, b in zip(errors, errors[1:])]
    assert min(orders) >= 1.95, (orders, errors)
    assert errors[-1] < 1e-4


def test_nesterov_ode_ball_starts_at_rest_and_counts_its_own_time():
    w = World(get_potential("bowl"), Rule("nesterov_ode", dt=0.01))
    w.drop(np.array([[1.0, 0.0]]), vel=np.array([[5.0, 5.0]]))  # a throw is ignored: at rest
    w.tick(300)
    w.drop(np.array([[1.0, 0.0]]))  # a later ball has its own t = 0
    w.tick(300)
    p = w.particles.pos
    assert p[1, 0] == pytest.approx(2 * j1(3.0) / 3.0, abs=1e-4)
    assert p[0, 0] == pytest.approx(2 * j1(6.0) / 6.0, abs=1e-4)
    assert w.rule.tick_time == 0.01


@pytest.mark.parametrize("name", ["gd", "momentum", "adam", "newton_method"])
def test_schedules_scale_each_balls_step_from_its_drop(name):
    """A ball under step:2:0.5 moves, step by step, like the constant rule whose lr is set by
    hand to torch StepLR's value; balls dropped at different ticks follow their own count."""
    pot = get_potential("ravine")
    sched = Rule(name, lr=0.01, schedule="step:2:0.5")
    w = World(pot, sched)
    w.drop(np.array([[2.0, 1.0]]))
    w.tick(3)
    w.drop(np.array([[2.0, 1.0]]))
    w.tick(5)
    # reference: the same rule, lr changed by hand each tick (torch's optimizer + scheduler)
    from sim.rules.dynamics import State, step

    def by_hand(ticks: int) -> np.ndarray:
        z = lambda: np.zeros((1, 2))  # noqa: E731
        s = State(np.array([[2.0, 1.0]]), z(), z(), z(), z(), np.zeros(1, np.int64), np.zeros(1),
                  z(), z(), False)
        for k in range(ticks):
            step(Rule(name, lr=0.01 * 0.5 ** (k // 2)), s, pot, np.random.default_rng(0))
        return s.pos[0]

    np.testing.assert_allclose(w.particles.pos[0], by_hand(8), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(w.particles.pos[1], by_hand(5), rtol=1e-12, atol=1e-15)


def test_schedule_is_saved_in_scenes(tmp_path):
    from sim.scene.io import load_scene, save_scene

    w = World(get_potential("bowl"), Rule("adam", lr=0.05, schedule="cosine:50"))
    w.drop(np.array([[1.0, 1.0], [-2.0, 0.5]]))
    w.tick(7)
    path = save_scene(w, tmp_path / "s.toml")
    assert 'schedule = "cosine:50"' in path.read_text()
    w2, _ = load_scene(path)
    assert w2.rule == w.rule
    w.tick(20)
    w2.tick(20)
    np.testing.assert_array_equal(w.particles.pos, w2.particles.pos)
    plain = save_scene(World(get_potential("bowl"), Rule("gd")), tmp_path / "p.toml")
    assert "schedule" not in plain.read_text()


def test_new_rules_in_the_rule_list_and_help():
    import subprocess
    import sys
    from pathlib import Path

    from sim.rules.dynamics import RULES

    assert RULES[8:10] == ("newton_method", "nesterov_ode")  # the new rules of issue 18 follow
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, str(root / "main.py"), "--help"], capture_output=True,
                         text=True, cwd=root).stdout
    assert "newton_method" in out and "nesterov_ode" in out and "--schedule" in out
    from render.look.theme import RULE_COLORS
    from sim.rules.dynamics import FAMILY

    assert set(RULES) <= set(RULE_COLORS) and set(RULES) <= set(FAMILY)
