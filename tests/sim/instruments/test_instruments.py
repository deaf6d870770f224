"""The instruments' numbers against independent computations: a momentum ball against its
Newtonian twin, closed-form gradient flow, energy budgets recomputed from the particle arrays,
finite differences of the exact gradient, numpy's eigensolver, real runs at the stability limit,
direct World runs for basin labels, and the analytic Boltzmann density of V on the bowl."""
from __future__ import annotations

import math
import subprocess
from fractions import Fraction
import sys

import numpy as np
import pytest

from sim.instruments.basins import BasinJob
from sim.instruments.bridge import OVERDAMPED_FRICTION_DT, OVERDAMPED_OMEGA_DT, TWIN_RULES, bridge, gradient_flow_rule, newton_to_momentum, overdamped_rules
from sim.instruments.heat import boltzmann_histogram, heat_values
from sim.instruments.race import find_or_add_rule, last_ball_per_rule
from sim.instruments.curvature import hessian_eigs
from sim.instruments.ledger import ledger, ledger_total
from sim.instruments.stability import lr_limit, omega_dt_limit, stability
from sim.rules.dynamics import Rule, newton_twin
from sim.core.particles import DIVERGED
from sim.data.catalog import get_potential
from sim.core.world import World

ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]


def test_instruments_never_import_pygame():
    code = "import sys, sim.instruments; assert 'pygame' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- race --------------------------------------------------------------------------------------

def _drop_lanes(w: World, point, names) -> list[int]:
    """One ball per lane at point, each lane the current rule renamed (as a race drops them)."""
    ids = [find_or_add_rule(w, w.rule.with_(name=name)) for name in names]
    for rid in ids:
        w.drop(np.array([point], dtype=float), rule_id=rid)
    return ids


def test_lane_rules_share_the_base_parameters():
    base = Rule("momentum", lr=0.003, beta=0.8, dt=0.02, mass=2.0, friction=0.7)
    lanes = [base.with_(name=n) for n in ["gd", "momentum", "adam", "newton"]]
    assert [r.name for r in lanes] == ["gd", "momentum", "adam", "newton"]
    assert all(r.lr == 0.003 for r in lanes)
    assert lanes[3].dt == 0.02 and lanes[3].mass == 2.0 and lanes[3].friction == 0.7
    with pytest.raises(ValueError, match="unknown dynamics"):
        base.with_(name="sgd_with_vibes")


def test_race_lanes_one_ball_per_rule_and_rules_reused():
    w = World(get_potential("himmelblau"), Rule("gd", lr=0.002))
    names = ["gd", "momentum", "nesterov", "adam", "newton"]
    ids = _drop_lanes(w, (0.5, -0.5), names)
    assert ids[0] == 0  # the current rule is reused, not added again
    assert len(set(ids)) == 5 and len(w.rules) == 5
    assert [w.rules[i].name for i in ids] == names
    assert w.n == 5
    np.testing.assert_array_equal(w.particles.pos, np.tile([0.5, -0.5], (5, 1)))
    np.testing.assert_array_equal(w.particles.rule, ids)
    ids2 = _drop_lanes(w, (1.0, 1.0), names)
    assert ids2 == ids and len(w.rules) == 5 and w.n == 10
    w.tick(50)
    last = last_ball_per_rule(w)
    assert sorted(last.values()) == list(range(5, 10))
    # each lane moved as its own rule would alone
    for rid in ids:
        solo = World(get_potential("himmelblau"), w.rules[rid])
        solo.drop(np.array([[1.0, 1.0]]))
        solo.tick(50)
        np.testing.assert_allclose(w.particles.pos[last[rid]], solo.particles.pos[0], rtol=0, atol=1e-12)


# --- bridge ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lr,beta,dt", [(0.01, 0.9, 0.01), (0.002, 0.0, 0.05), (0.3, 0.5, 1.0)])
def test_bridge_maps_are_inverse(lr, beta, dt):
    twin = newton_twin(Rule("momentum", lr=lr, beta=beta, dt=dt))
    m, f = twin.mass, twin.friction
    assert twin.dt == dt and m == pytest.approx(dt * dt / lr) and f == pytest.approx((1 - beta) * dt / lr)
    lr2, beta2, valid = newton_to_momentum(dt, m, f)
    assert valid and lr2 == pytest.approx(lr, rel=1e-12) and beta2 == pytest.approx(beta, abs=1e-12)


def test_bridge_dicts():
    b = bridge(Rule("momentum", lr=0.01, beta=0.9, dt=0.02))
    assert b["direction"] == "to_newton" and b["exact"] and b["twin"] == newton_twin(Rule(
        "momentum", lr=0.01, beta=0.9, dt=0.02))
    assert b["mass"] == pytest.approx(0.04) and b["friction"] == pytest.approx(0.2)
    g = bridge(Rule("gd", lr=0.01, beta=0.9, dt=0.02))
    assert g["beta"] == 0.0 and g["friction"] == pytest.approx(2.0)  # gd: beta = 0, whatever beta is set
    n = bridge(Rule("newton", dt=0.1, mass=2.0, friction=4.0, integrator="symplectic"))
    assert n["direction"] == "to_momentum" and n["exact"]
    assert n["lr"] == pytest.approx(0.005) and n["beta"] == pytest.approx(0.8)
    assert n["twin"].name == "momentum"
    v = bridge(Rule("newton", dt=0.1, mass=0.1, friction=2.0, integrator="verlet"))
    # Verlet / BAOAB: exactly momentum with beta = exp(-friction dt/m), whatever the friction
    assert v["valid"] and v["exact"] and v["beta"] == pytest.approx(math.exp(-2.0))
    assert v["twin"].name == "momentum" and v["lr"] == pytest.approx((1 + math.exp(-2.0)) * 0.01 / 0.2)
    s = bridge(Rule("newton", dt=0.1, mass=0.1, friction=2.0, integrator="symplectic"))
    assert not s["valid"] and s["twin"] is None and "β < 0" in s["text"]
    a = bridge(Rule("adam"))
    assert a["direction"] is None and a["twin"] is None and math.isnan(a["mass"])


def _drop_with_twin(w: World, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Balls at pos under the current rule and each one's Newtonian twin on the same spot, as
    the twin toggle drops them: (ball rows, twin rows)."""
    b = w.drop(pos)
    t = w.drop(pos, rule_id=find_or_add_rule(w, newton_twin(w.rule)))
    return np.arange(b.start, b.stop), np.arange(t.start, t.stop)


@pytest.mark.parametrize("pot,rule,starts", [
    ("gaussian_wells", Rule("momentum", lr=0.05, beta=0.9), [(2.5, 2.0), (-3.0, 1.0)]),
    ("himmelblau", Rule("momentum", lr=0.002, beta=0.8, dt=0.03), [(0.3, 0.2), (-4.0, -4.5)]),
    ("rosenbrock", Rule("momentum", lr=0.0005, beta=0.95), [(-1.5, 2.5)]),
    ("rosenbrock", Rule("gd", lr=0.001), [(-1.5, 2.5), (1.8, 0.0)]),
    ("six_hump_camel", Rule("gd", lr=0.02, dt=0.1), [(-1.5, 1.5), (2.0, -1.0)]),
])
def test_twin_rides_on_its_optimizer_ball_for_1e4_ticks(pot, rule, starts):
    w = World(get_potential(pot), rule)
    balls, twins = _drop_with_twin(w, np.array(starts))
    assert len(twins) == len(balls) == len(starts)
    assert w.rules[w.particles.rule[twins[0]]] == newton_twin(rule)
    scale = 1.0 + np.abs(np.array(starts)).max()
    worst = 0.0
    moved = 0.0
    for _ in range(100):
        w.tick(100)
        p = w.particles.pos
        worst = max(worst, float(np.abs(p[balls] - p[twins]).max()))
        moved = max(moved, float(np.abs(p[balls] - np.array(starts)).max()))
    assert (w.particles.status == 0).all()
    assert moved > 0.1  # they really went somewhere
    assert worst <= 1e-9 * scale
    # the twin's velocity is the ball's last step over dt (for momentum: v = -lr u / dt)
    p = w.particles
    twin = w.rules[p.rule[twins[0]]]
    np.testing.assert_allclose(p.vel[twins] * twin.dt, p.pos[balls] - p.prev[balls],
                               rtol=0, atol=1e-9 * scale)


def test_no_twin_for_adaptive_rules():
    assert TWIN_RULES == ("gd", "momentum")
    for name in ("nesterov", "adagrad", "rmsprop", "adam"):
        b = bridge(Rule(name, lr=0.05))
        assert b["twin"] is None and not b["exact"] and b["direction"] is None


def test_overdamped_newton_tends_to_gradient_flow():
    """m x'' = -x - g x' with m -> 0 follows x(t) = x0 exp(-t/g) (closed form gradient flow)."""
    bowl = get_potential("bowl")
    friction, t_end = 2.0, 4.0
    x0 = np.array([[1.5, -1.0]])
    exact = x0 * math.exp(-t_end / friction)
    errors = []
    for mass in (0.1, 0.02, 0.004):
        newton, flow = overdamped_rules(friction, mass, 0.01, lam_max=1.0)
        c = friction * newton.dt / mass  # the partner takes BAOAB's overdamped step
        assert flow.name == "gd" and flow.lr == pytest.approx(newton.dt / friction * (c / 2) / math.tanh(c / 2))
        assert newton.dt * math.sqrt(1.0 / mass) <= OVERDAMPED_OMEGA_DT + 1e-12
        assert friction * newton.dt / mass <= OVERDAMPED_FRICTION_DT + 1e-12
        ticks = round(t_end / newton.dt)
        w = World(bowl, newton)
        w.drop(x0)
        w.tick(ticks)
        errors.append(float(np.abs(w.particles.pos[0] - exact[0]).max()))
        g = World(bowl, flow)
        g.drop(x0)
        g.tick(ticks)  # Euler on the gradient flow, O(dt), on BAOAB's clock (c/2)coth(c/2) fast
        on_clock = x0 * math.exp(-t_end * (c / 2) / math.tanh(c / 2) / friction)
        assert np.abs(g.particles.pos[0] - on_clock[0]).max() < 2 * newton.dt
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.002
    assert gradient_flow_rule(0.5, 0.02) == Rule("gd", lr=0.04, dt=0.02)


# --- energy ledger -----------------------------------------------------------------------------

def _independent_ledger(w: World, rows: np.ndarray):
    p = w.particles
    k = np.array([0.5 * w.rules[p.rule[i]].mass * float(p.vel[i] @ p.vel[i]) for i in rows])
    v = np.array([w.potential.value(p.pos[i:i + 1])[0] for i in rows])
    return k, v, p.dissipated[rows].copy(), p.energy0[rows].copy()


def test_ledger_closes_and_marks_optimizer_balls_na():
    w = World(get_potential("gaussian_wells"), Rule("momentum", lr=0.05))
    w.add_rule(Rule("newton", dt=0.02, friction=0.4, integrator="verlet"))
    w.add_rule(Rule("newton", dt=0.02, friction=0.4, integrator="symplectic", mass=2.0))
    pts = np.array([[2.0, 2.0], [-3.0, 1.0], [0.5, -2.5]])
    w.drop(pts, rule_id=0)
    w.drop(pts, vel=np.array([[0.5, 0.0]] * 3), rule_id=1)
    w.drop(pts, rule_id=2)
    w.tick(300)
    L = ledger(w)
    newt = np.arange(3, 9)
    assert not L["applies"][:3].any() and L["applies"][3:].all()
    assert np.isnan(L["kinetic"][:3]).all() and np.isnan(L["drift"][:3]).all()
    k, v, d, e0 = _independent_ledger(w, newt)
    np.testing.assert_allclose(L["kinetic"][3:], k, rtol=1e-12)
    np.testing.assert_allclose(L["potential"][3:], v, rtol=1e-12)
    np.testing.assert_allclose(L["drift"][3:], k + v + d - e0, rtol=1e-9, atol=1e-12)
    assert L["total"]["count"] == 6 and L["total"]["na"] == 3
    assert L["total"]["drift"] == pytest.approx(float((k + v + d - e0).sum()), abs=1e-12)
    assert (d > 0).all()  # friction took energy out
    one = ledger(w, rows=[4])
    assert one["total"]["count"] == 1 and one["kinetic"][0] == pytest.approx(k[1])
    opt = ledger(w, rows=slice(0, 3))
    assert opt["total"]["count"] == 0 and math.isnan(opt["total"]["drift"])


@pytest.mark.parametrize("rows", [None, [4, 0, 7], slice(2, 8), "mask", "all-newton"])
def test_ledger_total_is_ledgers_total(rows):
    """The panel's fast sums equal the per-row ledger's, for every kind of row selection, with
    optimizer balls, two masses and a diverged ball in the world."""
    w = World(get_potential("gaussian_wells"), Rule("momentum", lr=0.05))
    w.add_rule(Rule("newton", dt=0.02, friction=0.4))
    w.add_rule(Rule("newton", dt=0.02, friction=0.4, mass=2.0))
    pts = np.array([[2.0, 2.0], [-3.0, 1.0], [0.5, -2.5]])
    w.drop(pts, rule_id=0)
    w.drop(pts, vel=np.array([[0.5, 0.0]] * 3), rule_id=1)
    w.drop(pts, rule_id=2)
    w.tick(100)
    w.particles.status[5] = DIVERGED
    if isinstance(rows, str) and rows == "mask":
        rows = np.arange(w.n) % 2 == 0
    if isinstance(rows, str) and rows == "all-newton":  # one mass, every ball applies: the view path
        w = World(get_potential("himmelblau"), Rule("newton", dt=0.01, friction=0.2), seed=2)
        w.drop_random(500)
        w.tick(30)
        rows = None
    want = ledger(w, rows)["total"]
    got = ledger_total(w, rows)
    assert got["count"] == want["count"] and got["na"] == want["na"]
    for key in ("kinetic", "potential", "dissipated", "initial", "drift"):
        if math.isnan(want[key]):
            assert math.isnan(got[key])
        else:
            assert got[key] == pytest.approx(want[key], rel=1e-12, abs=1e-12), key


def test_ledger_total_drift_keeps_its_digits_under_a_large_offset():
    """V = x² + y² + 1e5: the energies are ~1e5 each, the drift ~1e-5; summing the drift row by
    row keeps it to the digits the per-row ledger has."""
    from sim.landscapes.formula.potential import expression_potential

    w = World(expression_potential("x**2 + y**2 + 100000"), Rule("newton", dt=0.05, friction=0.0),
              seed=3)
    w.drop_random(20_000)
    w.tick(5)
    want = ledger(w)["total"]["drift"]
    got = ledger_total(w)["drift"]
    assert want != 0.0
    assert got == pytest.approx(want, rel=1e-9)


def _drift_series(integrator: str, friction: float, ticks: int, dt: float = 0.05,
                  every: int = 10, potential: str = "bowl"):
    w = World(get_potential(potential), Rule("newton", dt=dt, friction=friction, integrator=integrator))
    w.drop(np.array([[1.5, 1.0], [-1.0, 0.5]]))
    e0 = ledger(w)["total"]["initial"]
    out = []
    for _ in range(ticks // every):
        w.tick(every)
        out.append(ledger(w)["total"]["drift"])
    return np.array(out), e0, w


@pytest.mark.parametrize("integrator,tol", [("verlet", 1e-3), ("symplectic", 0.03)])
def test_friction_energy_is_all_accounted_for(integrator, tol):
    """With friction the ball comes to rest at the minimum (V = 0): all of E0 was dissipated."""
    drift, e0, w = _drift_series(integrator, 0.3, 4000)
    assert np.abs(drift).max() < tol * e0
    L = ledger(w)["total"]
    assert L["kinetic"] < 1e-12 and L["potential"] < 1e-12
    assert L["dissipated"] == pytest.approx(e0, rel=tol)


def test_langevin_ledger_counts_heat_both_ways():
    """With noise, `dissipated` is the net energy given to the bath; the ledger still closes."""
    w = World(get_potential("double_well"), Rule("langevin", dt=0.01, friction=1.0, temperature=0.5), seed=4)
    w.drop(np.zeros((200, 2)))
    e0 = ledger(w)["initial"]
    worst = 0.0
    for _ in range(20):
        w.tick(50)
        L = ledger(w)
        worst = max(worst, float(np.abs(L["drift"]).max()))
    assert (L["dissipated"] < 0).any()  # heat flowed in for some balls ...
    assert (L["kinetic"] + L["potential"] > e0).any()  # ... which now hold more than at the drop
    assert worst < 5e-3


@pytest.mark.parametrize("integrator", ["verlet", "symplectic"])
def test_frictionless_drift_oscillates_but_stays_bounded(integrator):
    drift, e0, _ = _drift_series(integrator, 0.0, 10_000, potential="gaussian_wells")
    first, last = np.abs(drift[:100]).max(), np.abs(drift[-100:]).max()
    assert last < 0.05 * abs(e0)
    assert last < 3.0 * first + 1e-9  # no secular growth over 1e4 steps
    assert (np.diff(np.sign(drift[np.abs(drift) > 1e-4 * first])) != 0).any() or first < 1e-9


def test_euler_drift_grows():
    drift, e0, _ = _drift_series("euler", 0.0, 3000)
    assert drift[-1] > 10 * drift[len(drift) // 10] > 0
    assert (np.diff(drift) > 0).mean() > 0.9  # explicit Euler pumps energy in, tick after tick
    assert drift[-1] > e0


# --- Hessians and stability --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "gaussian_wells", "beale", "goldstein_price"])
def test_hessian_matches_finite_differences_of_exact_gradient(name):
    pot = get_potential(name)
    x0, x1, y0, y1 = pot.view
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)])
    h = pot.hessian(pts)
    eps = 1e-6 * (1.0 + np.abs(pts))
    fd = np.empty_like(h)
    for j in range(2):
        e = np.zeros_like(pts)
        e[:, j] = eps[:, j]
        fd[:, :, j] = (pot.grad(pts + e) - pot.grad(pts - e)) / (2 * eps[:, j:j + 1])
    scale = np.abs(h).max(axis=(1, 2), keepdims=True) + 1.0
    assert np.abs(h - fd).max() / scale.min() < 1e-5 or (np.abs(h - fd) / scale).max() < 1e-6
    np.testing.assert_allclose(h[:, 0, 1], h[:, 1, 0])


def test_closed_form_eigenvalues_match_numpy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 2, 2)) * rng.lognormal(0, 3, size=(500, 1, 1))
    h = a + a.transpose(0, 2, 1)
    h[:50] = np.eye(2) * rng.normal(size=(50, 1, 1))  # repeated eigenvalues
    h[50:60] = [[1e8, 0.5], [0.5, 1e-4]]  # lam_min ~ 1e-4 next to 1e8: cancellation-prone
    hi, lo = hessian_eigs(h)
    ref = np.linalg.eigvalsh(h)
    size = np.abs(ref).max(axis=1)
    assert (np.abs(hi - ref[:, 1]) <= 1e-13 * size + 1e-300).all()
    assert (np.abs(lo - ref[:, 0]) <= 1e-13 * size + 1e-300).all()
    # the small one to full relative precision: exact det (rationals) over lam_max
    det = Fraction(1e8) * Fraction(1e-4) - Fraction(0.5) ** 2
    np.testing.assert_allclose(lo[50:60], float(det / Fraction(hi[50])), rtol=1e-14)


def test_lambda_max_on_quadratics():
    pts = np.random.default_rng(0).uniform(-3, 3, (50, 2))
    assert (stability(get_potential("bowl"), Rule("gd"), pts)["lam_max"] == 1.0).all()
    s = stability(get_potential("ravine"), Rule("gd"), pts)
    assert (s["lam_max"] == 25.0).all() and (s["lam_min"] == 1.0).all()


def _stays_bounded(rule: Rule, ticks: int = 3000) -> bool:
    w = World(get_potential("ravine"), rule)
    w.drop(np.array([[0.5, 0.3]]))
    w.tick(ticks)
    return bool(w.particles.status[0] != DIVERGED and np.abs(w.particles.pos).max() < 100)


@pytest.mark.parametrize("rule", [Rule("gd"), Rule("momentum", beta=0.9), Rule("momentum", beta=0.5),
                                  Rule("nesterov", beta=0.9), Rule("nesterov", beta=0.3)])
def test_lr_lambda_limit_predicts_a_real_run(rule):
    ravine = get_potential("ravine")
    limit = lr_limit(rule)
    below, above = rule.with_(lr=0.97 * limit / 25.0), rule.with_(lr=1.03 * limit / 25.0)
    sb = stability(ravine, below, np.array([[0.5, 0.3]]))
    sa = stability(ravine, above, np.array([[0.5, 0.3]]))
    assert sb["lr_lam"][0] == pytest.approx(0.97 * limit) and sb["status_lr_lam"][0] == "warn"
    assert sa["status_lr_lam"][0] == "bad"
    assert _stays_bounded(below) and not _stays_bounded(above)
    ok = stability(ravine, rule.with_(lr=0.5 * limit / 25.0), np.zeros((1, 2)))
    assert ok["status_lr_lam"][0] == "ok"


@pytest.mark.parametrize("integrator,friction", [("verlet", 0.0), ("verlet", 3.0), ("symplectic", 2.0),
                                                 ("symplectic", 0.5), ("euler", 2.0)])
def test_omega_dt_limit_predicts_a_real_run(integrator, friction):
    """Find dt where omega dt meets its limit (omega = 5 on the ravine); run either side."""
    base = Rule("newton", integrator=integrator, friction=friction, mass=1.0)
    lo, hi = 1e-6, 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if 5 * mid < omega_dt_limit(base.with_(dt=mid)) else (lo, mid)
    inside, outside = base.with_(dt=lo * 0.98), base.with_(dt=lo * 1.02)
    s_in = stability(get_potential("ravine"), inside, np.zeros((1, 2)))
    s_out = stability(get_potential("ravine"), outside, np.zeros((1, 2)))
    assert s_in["status_omega_dt"][0] == "warn" and s_out["status_omega_dt"][0] == "bad"
    assert s_in["omega_dt"][0] == pytest.approx(5 * inside.dt)
    assert _stays_bounded(inside, 6000) and not _stays_bounded(outside, 6000)


def test_euler_without_friction_is_never_stable():
    s = stability(get_potential("bowl"), Rule("newton", integrator="euler", friction=0.0, dt=1e-4),
                      np.zeros((1, 2)))
    assert s["status_omega_dt"][0] == "bad"


def test_damping_ratio_and_na():
    bowl = get_potential("bowl")
    s = stability(bowl, Rule("newton", mass=4.0, friction=2.0), np.zeros((1, 2)))
    assert s["zeta"][0] == pytest.approx(0.5) and s["status_zeta"][0] == "ok"
    s = stability(bowl, Rule("newton", mass=1.0, friction=0.01), np.zeros((1, 2)))
    assert s["status_zeta"][0] == "warn"
    # gd is overdamped Newton: its twin's zeta = 1 / (2 sqrt(lr lam))
    s = stability(bowl, Rule("gd", lr=0.01), np.zeros((1, 2)))
    assert s["zeta"][0] == pytest.approx(5.0) and s["omega_dt"][0] == pytest.approx(0.1)
    # a maximum (mexican hat's centre): no minimum direction, every metric n/a
    s = stability(get_potential("mexican_hat"), Rule("gd"), np.zeros((1, 2)))
    assert s["lam_max"][0] == pytest.approx(-4.0)
    assert {s[k][0] for k in ("status_lr_lam", "status_omega_dt", "status_zeta")} == {"n/a"}
    # adaptive rules: lr * lam shown, no classical limit
    s = stability(bowl, Rule("adam", lr=0.1), np.zeros((1, 2)))
    assert s["lr_lam"][0] == pytest.approx(0.1) and s["status_lr_lam"][0] == "n/a"


# --- basins ------------------------------------------------------------------------------------

def _classify_direct(pot, end: np.ndarray, diverged: np.ndarray, radius: float) -> np.ndarray:
    d = np.linalg.norm(end[:, None, :] - pot.minima[None, :, :], axis=2)
    lab = np.where(d.min(axis=1) <= radius, d.argmin(axis=1), -2)
    return np.where(diverged, -1, lab)


@pytest.mark.parametrize("pot,rule", [
    ("himmelblau", Rule("momentum", lr=0.002, beta=0.9)),
    ("himmelblau", Rule("gd", lr=0.02)),  # lr lam > 2 at one minimum: balls there never settle
    ("six_hump_camel", Rule("gd", lr=0.05)),  # too large for the steep walls: some diverge
    ("gaussian_wells", Rule("newton", dt=0.05, friction=0.8)),
    ("six_hump_camel", Rule("adam", lr=0.05)),
])
def test_basin_labels_match_direct_world_runs(pot, rule):
    P = get_potential(pot)
    job = BasinJob(P, rule, P.view, grid=(40, 25), max_ticks=1500, tolerance=1e-7)
    steps = 0
    while not job.done:
        job.advance(17)
        steps += 1
    assert steps > 1 and job.progress == 1.0
    lab = job.labels
    assert lab.shape == (40, 25)
    rng = np.random.default_rng(3)
    one_per_label = [np.argwhere(lab == k)[len(np.argwhere(lab == k)) // 2] for k in np.unique(lab)]
    pick = np.unique(np.vstack([rng.integers(0, (40, 25), (14, 2)), one_per_label,
                                [[0, 0], [39, 24], [39, 0], [0, 24]]]), axis=0)
    w = World(P, rule)
    w.drop(np.column_stack([job.xs[pick[:, 0]], job.ys[pick[:, 1]]]))
    w.tick(job.max_ticks)
    direct = _classify_direct(P, w.particles.pos, w.particles.status == DIVERGED, job.match_radius)
    mine = lab[pick[:, 0], pick[:, 1]]
    moving = mine == -2
    np.testing.assert_array_equal(mine[~moving], direct[~moving])
    # a ball the job calls still moving is not at rest in the direct run either
    if moving.any():
        g = np.linalg.norm(P.grad(w.particles.pos[moving]), axis=1)
        step_ = np.linalg.norm(w.particles.pos[moving] - w.particles.prev[moving], axis=1)
        assert ((g > job.tolerance) | (step_ > job.tolerance)).all()
    if pot == "six_hump_camel" and rule.name == "gd":
        assert (lab == -1).any() and (lab >= 0).any()
        assert (mine == -1).any()  # the direct comparison covered diverged balls too
    if rule.name == "gd" and pot == "himmelblau":
        assert (lab == -2).any()
    assert len(np.unique(lab[lab >= 0])) >= 2


def test_basin_slices_do_not_change_the_answer_and_cancel_stops():
    P = get_potential("double_well")
    rule = Rule("gd", lr=0.01)
    a = BasinJob(P, rule, P.view, grid=(30, 20), max_ticks=800)
    b = BasinJob(P, rule, P.view, grid=(30, 20), max_ticks=800)
    progress = []
    while not a.done:
        progress.append(a.advance(7))
    b.advance(10_000)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 3
    # gd's basins: the two wells, split by the line x = 0 (the symmetric grid never sits on it)
    assert set(np.unique(a.labels)) == {0, 1}
    left = a.xs < 0
    assert (a.labels[left] == 0).all() and (a.labels[~left] == 1).all()
    c = BasinJob(P, rule, P.view, grid=(30, 20), max_ticks=800)
    c.advance(5)
    c.cancel()
    assert c.advance(1000) == c.progress and c.ticks == 5 and not c.running


def test_basins_cluster_unlisted_end_points_and_flag_divergence():
    ring = get_potential("mexican_hat")
    job = BasinJob(ring, Rule("gd", lr=0.02), ring.view, grid=(32, 24), max_ticks=3000)
    job.advance(10_000)
    settled = job.labels >= 0
    assert settled.mean() > 0.95
    ends = job.end.reshape(32, 24, 2)[settled]
    np.testing.assert_allclose(np.hypot(ends[:, 0], ends[:, 1]), 1.0, atol=1e-4)  # on the ring
    assert len(job.centers) > len(ring.minima)  # end points away from the 4 listed ones
    bowl = get_potential("bowl")
    blow = BasinJob(bowl, Rule("gd", lr=2.5), bowl.view, grid=(10, 10), max_ticks=500)
    blow.advance(500)
    assert (blow.labels == -1).all() and blow.done


def test_langevin_basins_use_the_noise_free_dynamics():
    P = get_potential("double_well")
    job = BasinJob(P, Rule("langevin", temperature=5.0, dt=0.05, friction=1.0), P.view,
                       grid=(20, 10), max_ticks=2000)
    job.advance(2000)
    assert job.rule.temperature == 0.0 and set(np.unique(job.labels)) == {0, 1}


# --- heat --------------------------------------------------------------------------------------

def _exact_bowl_density(edges: np.ndarray, T: float) -> np.ndarray:
    """On the 2D bowl V = r^2/2 the density of V under exp(-V/T) is exp(-V/T)/T (bin averages)."""
    return (np.exp(-edges[:-1] / T) - np.exp(-edges[1:] / T)) / np.diff(edges)


@pytest.mark.parametrize("T", [0.01, 0.5, 2.0, 20.0])
def test_predicted_density_of_v_on_the_bowl(T):
    bowl = get_potential("bowl")
    edges = np.linspace(0, 6 * T, 25)
    _, _, pred = boltzmann_histogram(np.array([0.0]), bowl, T, bowl.view, edges)
    np.testing.assert_allclose(pred, _exact_bowl_density(edges, T), rtol=0.01)


def test_predicted_density_against_brute_force_grid():
    P = get_potential("double_well")
    T = 0.3
    edges, _, pred = boltzmann_histogram(np.array([0.0]), P, T, P.view, 12)
    assert edges[0] == pytest.approx(0.0, abs=1e-3) and pred.sum() * (edges[1] - edges[0]) > 0.98
    xs = np.linspace(-3, 3, 2000)
    v = P.value_grid(xs, xs).ravel()
    w = np.exp(-v / T)
    ref, _ = np.histogram(v, bins=edges, weights=w / w.sum())
    np.testing.assert_allclose(pred, ref / np.diff(edges), rtol=0.02)


def test_no_prediction_when_it_does_not_exist():
    bowl, saddle = get_potential("bowl"), get_potential("saddle")
    e, obs, pred = boltzmann_histogram(np.array([0.1, 0.2]), bowl, 0.0, bowl.view, 5)
    assert np.isnan(pred).all() and np.isfinite(obs).all() and len(e) == 6
    _, _, pred = boltzmann_histogram(np.array([0.1]), saddle, 1.0, saddle.view, 5)
    assert np.isnan(pred).all()
    _, obs, _ = boltzmann_histogram(np.array([np.nan]), bowl, 1.0, bowl.view, 5)
    assert np.isnan(obs).all()


def test_langevin_reaches_boltzmann_on_the_bowl():
    """Several thousand langevin balls, burn-in, then: V histogram vs exp(-V/T)/T (chi-square)
    and equipartition <x^2> = <y^2> = T; the same data must reject a wrong temperature."""
    T = 2.0
    bowl = get_potential("bowl")
    w = World(bowl, Rule("langevin", friction=1.0, dt=0.05, temperature=T), seed=11)
    w.drop(np.zeros((4000, 2)))
    w.tick(600)  # burn-in: 30 time units, many relaxation times
    values, x2 = [], []
    for _ in range(3):  # three snapshots 5 time units apart (nearly independent)
        w.tick(100)
        values.append(heat_values(w))
        x2.append(np.mean(w.particles.pos ** 2, axis=0))
    vals = np.concatenate(values)
    n = len(vals)
    edges = np.linspace(0, 5 * T, 21)

    def chi2(temp: float) -> float:
        e, obs, pred = boltzmann_histogram(vals, bowl, temp, bowl.view, edges)
        expected = pred * np.diff(e) * n
        observed = obs * np.diff(e) * n
        return float(((observed - expected) ** 2 / expected).sum())

    dof = len(edges) - 1
    assert chi2(T) < dof + 4 * math.sqrt(2 * dof)
    assert chi2(1.3 * T) > dof + 10 * math.sqrt(2 * dof)
    np.testing.assert_allclose(np.mean(x2, axis=0), [T, T], rtol=0.05)
    # the histogram's own normalization: observed density integrates to the fraction in range
    _, obs, _ = boltzmann_histogram(vals, bowl, T, bowl.view, edges)
    assert (obs * np.diff(edges)).sum() == pytest.approx(np.mean(vals < edges[-1]))


def test_heat_values_only_langevin_balls():
    bowl = get_potential("bowl")
    w = World(bowl, Rule("gd"))
    w.drop(np.array([[1.0, 0.0]]))
    lid = w.add_rule(Rule("langevin", temperature=1.0))
    w.drop(np.array([[2.0, 0.0], [0.0, 1.0]]), rule_id=lid)
    np.testing.assert_allclose(np.sort(heat_values(w)), [0.5, 2.0])


def test_find_or_add_rule_reuses_a_rule_that_steps_the_same_way():
    from sim.core.world import World

    w = World(get_potential("bowl"), Rule("momentum", lr=0.01, dt=0.01))
    newton = Rule("newton", dt=0.02, lr=0.5)  # lr is not newton's: it may differ
    i = find_or_add_rule(w, newton)
    assert find_or_add_rule(w, newton.with_(lr=0.003)) == i
    assert find_or_add_rule(w, newton.with_(dt=0.021)) != i  # dt is
    assert len(w.rules) == 3


def test_world_retune_keeps_rules_and_particles_and_refuses_a_new_rule_set():
    from sim.core.world import World

    w = World(get_potential("bowl"), Rule("gd", lr=0.1))
    rid = w.add_rule(Rule("newton", dt=0.05))
    w.drop(np.array([[1.0, 1.0]]))
    w.drop(np.array([[1.0, 1.0]]), rule_id=rid)
    w.retune([Rule("gd", lr=0.2), Rule("newton", dt=0.01)])
    assert [r.lr for r in w.rules][:1] == [0.2] and w.rules[1].dt == 0.01
    assert w.particles.rule.tolist() == [0, 1]
    w.tick(1)
    assert w.particles.pos[0] == pytest.approx([0.8, 0.8])  # gd with the new lr
    with pytest.raises(ValueError, match="same names"):
        w.retune([Rule("adam"), Rule("newton")])
    with pytest.raises(ValueError):
        w.retune([Rule("gd")])
