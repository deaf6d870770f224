"""Every rule owns its facts (issue 18 items 1-7, issue 20 items 4 and 8): the instruments ask
the rule's spec, and every number is checked here against a reference computed in the test
(one-step maps built by hand, brute-force iteration of the rule's own step, closed forms,
exact rational arithmetic, a derived backward-error coefficient), or the panel says n/a."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from sim.maps import why as why_maps
from sim.maps.plane import plane
from sim.maps.rates import rule_rate
from sim.rules.dynamics import Rule
from sim.landscapes.formula.potential import expression_potential
from sim.rules import registry
from sim.core.world import World

ROOT = Path(__file__).resolve().parents[3]
RAVINE = (25.0, 1.0)  # the ravine's Hessian eigenvalues: V = (x^2 + 25 y^2) / 2


def report(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "report.json"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "3",
                        *args, "--report", str(out)], capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


# --- item 1 / issue 20 item 4: the (dt, friction) plane on an isotropic quadratic ---------------

def _verlet_rate(dt: float, friction: float, lam: float, mass: float = 1.0) -> float:
    """BAOAB without noise by hand: kick, drift dt(1 + c1)/2, v *= c1, kick."""
    c1 = math.exp(-friction * dt / mass)
    k = dt * lam / mass
    kick = np.array([[1.0, 0.0], [-0.5 * k, 1.0]])
    drift = np.array([[1.0, 0.5 * dt * (1.0 + c1)], [0.0, 1.0]])
    damp = np.diag([1.0, c1])
    return float(np.abs(np.linalg.eigvals(kick @ damp @ drift @ kick)).max())


@pytest.mark.parametrize("dynamics", ["newton", "langevin"])
def test_dt_friction_plane_on_an_isotropic_quadratic(tmp_path, dynamics):
    r = report(tmp_path, "--potential", "bowl", "--dynamics", dynamics, "--show", "plane", "--start=1,1")
    dt, f = r["plane.p1_opt"], r["plane.p2_opt"]
    assert r["plane.kind"] == "verlet" and r["plane.dt_opt"] == dt
    assert r["plane.rate_opt"] == pytest.approx(_verlet_rate(dt, f, 1.0), rel=1e-9)
    # the best inside the plane: no grid point of the plane's box does better (brute force)
    best = min(_verlet_rate(a, b, 1.0) for a in np.linspace(0.05, 3.2, 64) for b in np.linspace(0, 4, 41))
    assert r["plane.rate_opt"] <= best + 1e-9


# --- item 2: newton_method is not gd ---------------------------------------------------------------

def test_newton_method_facts_on_the_ravine(tmp_path):
    """On a quadratic newton_method moves every direction by the factor 1 - lr: rate |1 - lr|,
    no curvature breaks it for 0 < lr < 2 (nothing shaded), ratio lr·λ/(λ+μ)."""
    r = report(tmp_path, "--potential", "ravine", "--dynamics", "newton_method", "--lr", "1",
               "--start=1,1", "--show", "plane,breaks,stability")
    assert r["plane.rate"] == 0.0 and r["plane.kind"] is None  # one step lands (no plane holds it)
    assert r["breaks.fraction"] == 0.0
    assert r["stability.ratio_name"] == "lr·λ/(λ+μ)"
    # the race theory for a lane at lr 0.5: brute force of the rule's own step
    w = World(expression_potential("0.5*x**2 + 12.5*y**2"), Rule("newton_method", lr=0.5))
    w.drop(np.array([[1.0, 1.0]]))
    w.tick(10)
    assert np.abs(w.particles.pos).max() == pytest.approx(0.5**10, rel=1e-12)
    assert rule_rate(Rule("newton_method", lr=0.5), RAVINE) == pytest.approx(0.5, abs=1e-15)


# --- item 3: nesterov_ode has no constant rate -------------------------------------------------------

def test_nesterov_ode_says_na(tmp_path):
    r = report(tmp_path, "--potential", "ravine", "--dynamics", "nesterov_ode", "--dt", "0.5",
               "--start=1,1", "--show", "plane,breaks,modified")
    assert r["plane.rate"] is None and r["plane.kind"] is None
    assert r["breaks.fraction"] is None and r["breaks.limit"] is None
    assert r["modified.coefficient"] is None and "n/a" in r["modified.title"]


# --- item 4: exact eigenvalues ------------------------------------------------------------------------

def test_plane_rate_from_exact_eigenvalues(tmp_path):
    r = report(tmp_path, "--expr", "2*x**2+x*y+y**2", "--dynamics", "gd", "--lr", "0.4532",
               "--start=1,1", "--show", "plane,stability")
    lam = np.linalg.eigvalsh(np.array([[4.0, 1.0], [1.0, 2.0]]))
    m = np.eye(2) - 0.4532 * np.array([[4.0, 1.0], [1.0, 2.0]])  # gd's map, by hand
    rho = float(np.abs(np.linalg.eigvals(m)).max())
    assert rho == pytest.approx(1.00052, abs=1e-5)
    assert r["plane.rate"] == pytest.approx(rho, rel=1e-12) and r["plane.steps"] is None  # never
    assert r["plane.lam_max"] == pytest.approx(lam[1], rel=1e-14)
    assert r["stability.verdict"] == "unstable"


# --- item 5: report keys say what the panel says ------------------------------------------------------

def test_nesterov_plane_keys_are_the_nesterov_optimum(tmp_path):
    """On the nesterov plane the panel's best is Lessard, Recht & Packard's optimum:
    lr = 4/(3L + mu), beta = (sqrt(3 kappa + 1) - 2)/(sqrt(3 kappa + 1) + 2)."""
    r = report(tmp_path, "--potential", "ravine", "--dynamics", "nesterov", "--lr", "0.01",
               "--start=1,1", "--show", "plane")
    big, mu = RAVINE
    s = math.sqrt(3 * big / mu + 1)
    assert r["plane.kind"] == "nesterov"
    assert r["plane.lr_opt"] == pytest.approx(4 / (3 * big + mu), rel=1e-12) == r["plane.p1_opt"]
    assert r["plane.beta_opt"] == pytest.approx((s - 2) / (s + 2), rel=1e-12) == r["plane.p2_opt"]
    assert r["plane.rate_opt"] == pytest.approx(1 - 2 / s, rel=1e-12)


# --- item 6: the modified loss of heavy ball -------------------------------------------------------

def _slow_root_residual(h: float, beta: float, lam: float, c: float) -> float:
    """|log z - (-(h/(1-beta)) lam (1 + 2 c lam))|: heavy ball's slow root z on V = lam x^2/2
    against the modified flow x' = -(h/(1-beta)) grad (V + c |grad V|^2) over one tick."""
    t = 1.0 + beta - h * lam
    z = 0.5 * (t + math.sqrt(t * t - 4.0 * beta))
    return abs(math.log(z) + (h / (1.0 - beta)) * lam * (1.0 + 2.0 * c * lam))


def test_heavy_ball_modified_coefficient_is_third_order():
    beta, lam = 0.9, 1.0
    hs = (1e-3, 5e-4, 2.5e-4)
    rule_c = [why_maps.modified_coefficient(Rule("momentum", lr=h, beta=beta)) for h in hs]
    res = [_slow_root_residual(h, beta, lam, c) for h, c in zip(hs, rule_c)]
    assert 7.0 < res[0] / res[1] < 10.0 and 7.0 < res[1] / res[2] < 9.5  # O(h^3)
    gd_like = [_slow_root_residual(h, beta, lam, h / 4) for h in hs]
    assert 3.5 < gd_like[1] / gd_like[2] < 4.5  # gd's lr/4 leaves O(h^2)
    assert rule_c[0] == pytest.approx(190 * hs[0] / 4)  # 190x lr/4 at beta 0.9


def test_modified_overlay_reports_the_rules_coefficient(tmp_path):
    r = report(tmp_path, "--potential", "himmelblau", "--dynamics", "momentum", "--lr", "0.001",
               "--beta", "0.5", "--start=1,1", "--show", "modified")
    assert r["modified.coefficient"] == pytest.approx(0.001 * 1.5 / (4 * 0.25), rel=1e-15)
    assert "momentum" in r["modified.title"]
    r = report(tmp_path, "--potential", "himmelblau", "--dynamics", "adam", "--start=1,1", "--show", "modified")
    assert r["modified.coefficient"] is None and "n/a" in r["modified.title"]


# --- item 7: T_eff of a momentum ball ---------------------------------------------------------------

def test_momentum_t_eff_is_the_langevin_temperature_of_its_cloud():
    from sim.data import make_landscape
    from sim.data.sgd_heat import sgd_heat
    from sim.data.sets import builtin

    pot = make_landscape("linreg", builtin("line"))
    beta, lr, batch = 0.9, 2e-4, 4
    w = World(pot, Rule("momentum", lr=lr, beta=beta, batch=batch), seed=1)
    w.drop(np.tile(np.asarray(pot.minima, dtype=np.float64).reshape(-1, 2)[:1], (50, 1)))
    out = sgd_heat(w)[0]
    n = pot.data.n
    t_gd = lr * out["trace_c"] / (2 * 2 * batch) * (n - batch) / (n - 1)  # the contract's T_eff
    assert out["t_eff"] == pytest.approx(t_gd / (1 - beta), rel=1e-12)
    # ... and it is the temperature of the cloud: heavy ball's exact stationary variance (its
    # map and isotropic noise of the same trace, by hand; Lyapunov by Kronecker) is T_eff / lam
    h = pot.hessian(np.asarray(pot.minima, dtype=np.float64).reshape(-1, 2)[:1])[0]
    lam, e = np.linalg.eigh(0.5 * (h + h.T))
    q = 2 * t_gd / lr  # per-tick gradient-noise variance per axis
    i2 = np.eye(2)
    m = np.block([[i2 - lr * h, -lr * beta * i2], [h, beta * i2]])
    nmat = np.vstack([-lr * i2, i2])
    s = np.linalg.solve(np.eye(16) - np.kron(m, m), (q * nmat @ nmat.T).ravel()).reshape(4, 4)[:2, :2]
    var_soft = float(e[:, 0] @ s @ e[:, 0])
    assert var_soft == pytest.approx(out["t_eff"] / lam[0], rel=0.02)


# --- issue 20 item 8: one stable eigenvalue routine ---------------------------------------------------

def test_timestamps_linreg_eigenvalues_agree_and_are_exact(tmp_path):
    x = 1.7e9 + 3600.0 * np.arange(50)
    y = 2e-9 * x + np.sin(np.arange(50))
    csv = tmp_path / "ts.csv"
    csv.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    r = report(tmp_path, "--potential", "linreg", "--data", str(csv), "--dynamics", "gd",
               "--start=0,0", "--show", "plane,stability")
    xs = [Fraction(float(v)) for v in x]  # the Hessian 2 [[E x^2, E x], [E x, 1]], exactly
    a, b, c = 2 * sum(v * v for v in xs) / 50, 2 * sum(xs) / 50, Fraction(2)
    tr, det = a + c, a * c - b * b
    lam_max = (float(tr) + math.sqrt(float(tr * tr - 4 * det))) / 2
    lam_min = float(det / Fraction(lam_max))
    assert r["plane.lam_min"] == pytest.approx(lam_min, rel=1e-6)
    assert r["plane.lam_min"] == r["stability.lambda_min"]
    assert r["plane.lam_max"] == pytest.approx(lam_max, rel=1e-12)
    assert r["plane.kappa"] == pytest.approx(lam_max / lam_min, rel=1e-6)


# --- every registered rule x every instrument ---------------------------------------------------------

def _rule_for_test(name: str) -> Rule:
    r = Rule(name)
    r = r.with_step(0.02 if r.step_name == "lr" else 0.05)
    return r.with_(temperature=0.0) if "temperature" in r.spec.param_names else r


def _brute_rate(rule: Rule) -> float:
    """The contraction per tick of the rule's own step on V = (x^2 + 25 y^2)/2, measured: the
    largest |coordinate| over ticks 1100-1200 against ticks 100-200, over 1000 ticks."""
    w = World(expression_potential("0.5*x**2 + 12.5*y**2"), rule)
    w.drop(np.array([[1.0, 1.0]]))
    peaks = []
    for _ in range(1200):
        w.tick(1)
        peaks.append(float(np.abs(w.particles.pos).max()))
    return (max(peaks[1100:1200]) / max(peaks[100:200])) ** (1 / 1000)


@pytest.mark.parametrize("name", registry.names())
def test_every_rule_every_instrument_exact_or_na(name):
    rule = _rule_for_test(name)
    rate = rule_rate(rule, RAVINE)
    from sim.instruments.race_rates import theory_rate
    w = World(expression_potential("0.5*x**2 + 12.5*y**2"), rule)
    theory = theory_rate(w, 0, np.array(RAVINE))
    limit = why_maps.curvature_limit(rule)
    mask, _lam = why_maps.breaks_mask(expression_potential("0.5*x**2 + 12.5*y**2"), rule,
                                      np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    if rule.spec.linear_map(rule, 1.0) is None:  # n/a everywhere, never gd's numbers
        assert math.isnan(rate) and math.isnan(theory) and math.isnan(limit) and not mask.any()
        assert plane(rule, RAVINE) is None
        assert why_maps.damping_kind(rule, 25.0) == "n/a"
    else:
        brute = _brute_rate(rule)
        assert math.log(rate) == pytest.approx(math.log(brute), rel=2e-3, abs=1e-6)
        assert theory == rate
        if math.isfinite(limit):  # the limit breaks the rule's own step just past it
            grow = []
            for lam in (0.98 * limit, 1.02 * limit):
                w = World(expression_potential(f"{lam / 2!r}*x**2"), rule)
                w.drop(np.array([[1.0, 0.0]]))
                w.tick(3000)
                grow.append(abs(w.particles.pos[0, 0]) if w.counts()[1] == 0 else math.inf)
            assert grow[0] < 10 and grow[1] > 10
    from sim.instruments import stable_regions as stability
    st = stability.analyse(rule, np.array([25.0]), np.array([1.0]))
    if not math.isnan(rate):  # the stability panel's radii are the linear map's
        assert st["rho_max"][0] == pytest.approx(float(rule_rate(rule, [25.0])), rel=1e-12)
        assert st["rho_min"][0] == pytest.approx(float(rule_rate(rule, [1.0])), rel=1e-12)
        assert st["verdict"][0] == ("stable" if rate < 1 else "unstable")
        lams = np.geomspace(1e-3, 1e5, 400)  # the panel's verdict per direction is the map's
        sweep = stability.analyse(rule, lams, lams)
        rho = np.array([rule_rate(rule, [v]) for v in lams])
        clear = np.abs(rho - 1.0) > 1e-9  # (off the very edge)
        assert np.array_equal((sweep["stable_max"] == "stable")[clear], (rho <= 1.0)[clear])
    elif name != "nesterov_ode":  # (its late-time limit, friction 3/t gone, has a region)
        assert st["verdict"][0] == "n/a"
    c = why_maps.modified_coefficient(rule)
    f = rule.spec.noise_factor(rule)
    if name == "gd":
        assert c == rule.lr / 4 and f == 1.0
    elif name == "momentum":
        assert c == pytest.approx(rule.lr * (1 + rule.beta) / (4 * (1 - rule.beta) ** 2)) and f == pytest.approx(10.0)
    elif name in ("adagrad", "rmsprop", "adam", "newton_method", "nesterov_ode", "newton", "langevin"):
        assert c is None and f is None
    else:  # a new rule: a number it claims must at least be a finite number
        assert c is None or math.isfinite(c)
        assert f is None or math.isfinite(f)


def test_newtonian_reading_of_momentum_is_the_bridge():
    """Heavy ball (lr, beta) is semi-implicit Euler at dt with mass dt^2/lr and friction
    (1 - beta) mass/dt: check it by running that Newton ball beside the momentum ball."""
    rule = Rule("momentum", lr=0.05, beta=0.8, dt=0.1)
    nums = rule.spec.reading(rule).numbers
    assert nums["mass"] == pytest.approx(0.1**2 / 0.05) and nums["friction"] == pytest.approx(0.2 * 0.2 / 0.1)
    pot = expression_potential("x**2 + 3*y**2 + x*y")
    a = World(pot, rule)
    b = World(pot, Rule("newton", integrator="symplectic", dt=nums["dt"], mass=nums["mass"],
                        friction=nums["friction"]))
    for w in (a, b):
        w.drop(np.array([[1.0, -0.5]]))
        w.tick(50)
    np.testing.assert_allclose(a.particles.pos, b.particles.pos, rtol=1e-9, atol=1e-12)
    assert Rule("adam").spec.reading(Rule("adam")) is None
