"""The marble (sim/rules/marble.py) against independent solutions: the period on a parabola
z = k x^2/2 from a quadrature of its energy integral; energy conserved at zero friction with
an error that falls 4-fold when dt halves (RATTLE, second order); scipy's DOP853 on the full 2D
equations written out here, on himmelblau and a tilted bowl, with and without friction; the
first step on a plane against the exact constant acceleration g s / (1 + s^2); many balls at
once equal to one at a time; the small-amplitude linear map against a finite-difference
Jacobian of the tick; the dump holds its velocities."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim.rules.dynamics import Rule
from sim.landscapes.formula.potential import expression_potential
from sim.data.catalog import get_potential
from sim.rules.physics.marble import small_amplitude_map
from sim.core.world import World

ROOT = Path(__file__).resolve().parents[4]


def run(pot, rule: Rule, start, ticks: int, vel=None) -> World:
    w = World(pot, rule)
    w.drop(np.atleast_2d(np.asarray(start, dtype=np.float64)),
           vel=None if vel is None else np.atleast_2d(vel))
    if ticks:
        w.tick(ticks)
    return w


def marble_energy(pot, pos, vel, m=1.0, g=1.0):
    """m/2 (|q'|^2 + (grad V . q')^2) + m g V, written here."""
    a = pot.grad(pos)
    return 0.5 * m * ((vel**2).sum(axis=1) + ((a * vel).sum(axis=1)) ** 2) + m * g * pot.value(pos)


def test_period_on_a_parabola_against_the_energy_integral():
    """z = k x^2/2, released at rest at x = A: x'^2 = g k (A^2 - x^2) / (1 + k^2 x^2), so with
    x = A sin(theta) the period is 4 int_0^(pi/2) sqrt((1 + k^2 A^2 sin^2 theta) / (g k)).
    Steeper than the parabola's Newtonian reading 2 pi / sqrt(g k) (the walls slow it)."""
    from scipy.integrate import quad

    k, amp, g, dt = 2.0, 1.5, 1.5, 0.002
    want = 4.0 * quad(lambda t: math.sqrt((1 + (k * amp * math.sin(t)) ** 2) / (g * k)),
                      0.0, math.pi / 2, epsabs=1e-13, epsrel=1e-13)[0]
    assert want > 1.5 * 2 * math.pi / math.sqrt(g * k)
    pot = expression_potential(f"{k}*x**2/2")
    w = run(pot, Rule("marble", dt=dt, friction=0.0, gravity=g), [amp, 0.0], 0)
    xs = [amp]
    for _ in range(int(2.2 * want / dt)):
        w.tick(1)
        xs.append(float(w.particles.pos[0, 0]))
    xs = np.array(xs)
    assert np.all(w.particles.pos[:, 1] == 0.0)
    # downward zero crossings of x, by linear interpolation: one period apart
    i = np.flatnonzero((xs[:-1] > 0) & (xs[1:] <= 0))
    t = (i + xs[i] / (xs[i] - xs[i + 1])) * dt
    assert len(t) >= 2
    assert t[1] - t[0] == pytest.approx(want, rel=2e-5)
    assert np.abs(xs).max() == pytest.approx(amp, rel=1e-5)  # back to the same height


@pytest.mark.parametrize("name,start", [("himmelblau", [0.5, 1.0]), ("bowl", [2.0, -1.0])])
def test_energy_is_conserved_at_second_order(name, start):
    pot = get_potential(name)
    errors = []
    for dt in (0.004, 0.002, 0.001):
        w = run(pot, Rule("marble", dt=dt, friction=0.0, gravity=1.0), start, 0,
                vel=[0.3, -0.2])
        p = w.particles
        e0 = marble_energy(pot, p.pos, p.vel)[0]
        worst = 0.0
        for _ in range(int(round(2.0 / dt))):
            w.tick(1)
            worst = max(worst, abs(marble_energy(pot, p.pos, p.vel)[0] - e0))
        errors.append(worst)
    ratios = [a / b for a, b in zip(errors, errors[1:])]
    assert all(3.5 < r < 4.5 for r in ratios), (ratios, errors)


def _rhs(pot, m: float, g: float, friction: float):
    """q'' = -a (g + q'^T H q') / (1 + |a|^2) - (friction/m) q', a = grad V: the constrained
    Lagrangian's equations with the drag -friction X' on the 3D velocity, written here."""
    def f(t, y):
        q, v = y[:2], y[2:]
        a = pot.grad(q[None])[0]
        h = pot.hessian(q[None])[0]
        acc = -a * (g + v @ h @ v) / (1.0 + a @ a) - (friction / m) * v
        return np.concatenate([v, acc])
    return f


@pytest.mark.parametrize("name,formula,start", [
    ("himmelblau", None, [0.5, 1.0]),
    ("tilted", "x**2 + 2*y**2 + 1.5*x - y", [1.2, 0.8]),
])
@pytest.mark.parametrize("friction", [0.0, 0.7])
def test_against_dop853_on_the_full_equations(name, formula, start, friction):
    from scipy.integrate import solve_ivp

    pot = get_potential(name) if formula is None else expression_potential(formula)
    m, g, t_end, v0 = 1.3, 2.0, 2.0, [0.4, -0.3]
    ref = solve_ivp(_rhs(pot, m, g, friction), (0.0, t_end), np.r_[start, v0], method="DOP853",
                    rtol=1e-12, atol=1e-12).y[:, -1]
    errors = []
    for dt in (0.004, 0.002):
        w = run(pot, Rule("marble", dt=dt, friction=friction, gravity=g, mass=m), start,
                int(round(t_end / dt)), vel=v0)
        p = w.particles
        errors.append(max(np.abs(p.pos[0] - ref[:2]).max(), np.abs(p.vel[0] - ref[2:]).max()))
    assert errors[-1] < 2e-3 * max(1.0, np.abs(ref).max()) * 0.01
    assert 3.3 < errors[0] / errors[1] < 4.7, errors  # second order


def test_first_step_on_a_plane_is_the_exact_constant_acceleration():
    """On z = s x from rest the marble accelerates along -x at g s / (1 + s^2) (the normal
    force carries part of the weight), against gd's pull s: the factor 1 / (1 + s^2)."""
    for s in (0.1, 1.0, 5.0):
        pot = expression_potential(f"{s}*x + 0*y")
        dt, g = 0.1, 1.7
        w = run(pot, Rule("marble", dt=dt, friction=0.0, gravity=g), [0.0, 0.0], 3)
        t = 3 * dt
        acc = g * s / (1 + s * s)
        assert w.particles.pos[0, 0] == pytest.approx(-0.5 * acc * t * t, rel=1e-12)
        assert w.particles.vel[0, 0] == pytest.approx(-acc * t, rel=1e-12)


def test_many_balls_at_once_equal_one_at_a_time():
    pot = get_potential("himmelblau")
    starts = np.random.default_rng(2).uniform(-4, 4, (7, 2))
    rule = Rule("marble", dt=0.01, friction=0.3, gravity=1.2)
    w = World(pot, rule)
    w.drop(starts[:4])
    w.tick(30)
    w.drop(starts[4:])  # balls dropped later: a different history
    w.tick(40)
    for i, st in enumerate(starts):
        one = run(pot, rule, st, 70 if i < 4 else 40)
        np.testing.assert_allclose(w.particles.pos[i], one.particles.pos[0], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(w.particles.vel[i], one.particles.vel[0], rtol=1e-12, atol=1e-13)


def test_small_amplitude_map_is_the_jacobian_of_the_tick():
    """On V = lam x^2/2 near the minimum: the tick's Jacobian on (x, x') by central
    differences of the real step at amplitude 1e-6 equals linear_map (to O(amplitude))."""
    from sim.rules.physics.marble import SPEC, step_marble

    lam = 3.0
    pot = expression_potential(f"{lam}*x**2/2 + y**2")
    rule = Rule("marble", dt=0.05, friction=0.4, gravity=1.5, mass=0.8)

    def tick(x: float, v: float) -> np.ndarray:
        z = lambda: np.zeros((1, 2))  # noqa: E731
        s = SimpleNamespace(pos=np.array([[x, 0.0]]), vel=np.array([[v, 0.0]]), grad=z(),
                            grad_valid=False, tmp=z(), tmp2=z(), dissipated=np.zeros(1),
                            steps=np.zeros(1, np.int64), buf_a=z(), buf_b=z(), bufs={})
        step_marble(rule, s, pot, None)
        return np.array([s.pos[0, 0], s.vel[0, 0]])

    eps = 1e-6
    jac = np.column_stack([(tick(eps, 0) - tick(-eps, 0)) / (2 * eps),
                           (tick(0, eps) - tick(0, -eps)) / (2 * eps)])
    np.testing.assert_allclose(small_amplitude_map(rule, lam), jac, rtol=1e-7, atol=1e-9)
    assert "1/(1 + s^2)" in SPEC.reading(rule).sentence


def test_headless_dump_writes_velocities(tmp_path):
    out = tmp_path / "m.json"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--potential",
                        "himmelblau", "--dynamics", "marble", "--gravity", "2", "--particles", "3",
                        "--steps", "50", "--dump", str(out)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["dynamics"] == "marble" and d["params"]["gravity"] == 2.0
    assert np.array(d["velocities"]).shape == (len(d["ticks"]), 3, 2)
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--potential",
                          "bowl", "--dynamics", "marble", "--gravity", "-1", "--particles", "1",
                          "--steps", "2", "--dump", str(tmp_path / "x.json")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_the_ledger_books_the_marbles_own_energy():
    """The ledger's kinetic and potential are the marble's (m/2 |X'|^2, m g V), so at zero
    friction its drift is the integrator's O(dt^2) error, and with friction the dissipated
    energy closes the books; a newton ball beside it keeps m/2 |v|^2 and V."""
    from sim.instruments.ledger import ledger_total

    pot = get_potential("himmelblau")
    for friction in (0.0, 0.6):
        w = World(pot, Rule("marble", dt=0.002, friction=friction, gravity=1.7, mass=0.9))
        w.add_rule(Rule("newton", dt=0.002, friction=friction))
        w.drop(np.array([[0.5, 1.0], [-1.0, 2.0]]), vel=np.array([[0.3, -0.2], [0.0, 0.4]]))
        w.drop(np.array([[2.0, -1.0]]), rule_id=1)
        w.tick(500)
        p = w.particles
        mine = ledger_total(w, [0, 1])
        want = marble_energy(pot, p.pos[:2], p.vel[:2], m=0.9, g=1.7)
        a = pot.grad(p.pos[:2])
        assert mine["kinetic"] == pytest.approx(float((0.45 * ((p.vel[:2] ** 2).sum(1) + (a * p.vel[:2]).sum(1) ** 2)).sum()), rel=1e-12)
        assert mine["kinetic"] + mine["potential"] == pytest.approx(float(want.sum()), rel=1e-12)
        assert abs(mine["drift"]) < 1e-5 * abs(mine["initial"]), mine
        assert (friction == 0.0) == (mine["dissipated"] == 0.0)
        newt = ledger_total(w, [2])
        assert newt["kinetic"] == pytest.approx(0.5 * float((p.vel[2] ** 2).sum()), rel=1e-12)


def test_the_marble_on_the_wall_lesson():
    """The lesson's claim: from rest at (0, 2) on the ravine (x^2 + 25 y^2)/2 with no friction,
    Newton's law reaches y = 0 after a quarter period pi/10 = 0.31 s; the marble after the
    quarter period of its energy integral, int_0^(pi/2) sqrt((1 + (k A sin t)^2) / (g k)) dt
    (k = 25, A = 2, g = 1: 10.0 s), 32 times later; gd never crosses (y <- 0.75 y)."""
    from scipy.integrate import quad

    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    w, info = load_scene(find_scene("marble_on_the_wall"))
    assert [r.name for r in w.rules] == ["gd", "newton", "marble"] and info.paused
    want = quad(lambda t: math.sqrt((1 + (50 * math.sin(t)) ** 2) / 25), 0, math.pi / 2,
                epsabs=1e-12, epsrel=1e-12)[0]
    assert want == pytest.approx(10.0116, abs=1e-3)
    crossed: dict[int, float] = {}
    y_prev = w.particles.pos[:, 1].copy()
    for k in range(1, 560):
        w.tick(1)
        y = w.particles.pos[:, 1]
        for i in (1, 2):
            if i not in crossed and y[i] <= 0 < y_prev[i]:
                crossed[i] = (k - 1 + y_prev[i] / (y_prev[i] - y[i])) * 0.02
        y_prev = y.copy()
    assert crossed[1] == pytest.approx(math.pi / 10, abs=2e-3)
    assert crossed[2] == pytest.approx(want, rel=1e-3)
    assert np.all(w.particles.pos[:, 0] == 0.0)  # on the axis: one-dimensional
    assert 0 < w.particles.pos[0, 1] < 1e-30  # gd: 2 x 0.75^559, never across


def test_on_minibatches_the_marble_rolls_on_the_full_data_surface():
    from sim.data.models import LinReg

    pot = LinReg()
    a = World(pot, Rule("marble", dt=0.01, batch=4), seed=1)
    b = World(pot, Rule("marble", dt=0.01), seed=1)
    for w in (a, b):
        w.drop(np.array([[0.0, 0.0], [2.0, -1.0]]))
        w.tick(50)
    np.testing.assert_array_equal(a.particles.pos, b.particles.pos)


def test_the_bridge_claims_no_momentum_twin_for_a_marble():
    """The bridge panel's twin is exact only for Newton's law in the plane (newton, langevin);
    a marble's pull along -grad V is g s / (1 + s^2): no momentum twin, and no talk of heat."""
    from sim.instruments.bridge import bridge

    b = bridge(Rule("marble", dt=0.02, friction=0.5))
    assert b["direction"] is None and b["twin"] is None and not b["valid"]
    assert "heat" not in b["text"] and "not Newton's law in the plane" in b["text"]
    assert bridge(Rule("newton", dt=0.02, friction=0.5))["twin"] is not None


def test_a_marble_never_claims_a_minibatch():
    """The marble rolls on the full-data surface: a Rule made with a batch keeps 0, so the HUD,
    the race lane and the dump never say B=, and the command line says why in one note."""
    r = Rule("marble", dt=0.01, batch=4)
    assert r.batch == 0 and "B=" not in r.label()
    assert Rule("gd", batch=4).batch == 4
    out = Path(tempfile.mkdtemp()) / "m.npz"
    run = subprocess.run([sys.executable, "main.py", "--headless", "--steps", "3", "--potential", "linreg",
                          "--dynamics", "marble", "--batch", "8", "--particles", "2", "--dump", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip() == ("newton-descent: note: marble rolls on the full-data surface; "
                                  "--batch 8 has no effect")
    assert int(np.load(out)["batch"]) == 0
