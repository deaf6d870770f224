"""The heat panel's SGD view against independent references: the discrete Lyapunov solution
against iterating its recursion and against the closed form in H's eigenbasis; the predicted
spread against long brute-force SGD and momentum runs of the world on linreg; Langevin at T_eff
against its transcribed formula; C's anisotropy and tr C across the cloud against per-example
gradients written here; the panel's numbers equal `--report`'s; pixels: the SGD view is drawn
(not the langevin-only text), and without minibatch balls the panel is what it was."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from sim.data.models import LinReg  # noqa: E402
from sim.data.sgd_heat import (linear_map, lyapunov, sgd_group, sgd_heat_readout,  # noqa: E402
                               stationary_cov_moving)
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SGD_GREEN = (120, 235, 140)  # render/heat_sgd_ui.py SGD_COLOR, written here


def iterate_lyapunov(m: np.ndarray, r: np.ndarray, doublings: int = 60) -> np.ndarray:
    """S = sum_k M^k R M^k^T by doubling: S <- S + P S P^T, P <- P^2 (an independent solve)."""
    s, p = r.copy(), m.copy()
    for _ in range(doublings):
        s = s + p @ s @ p.T
        p = p @ p
    return s


def test_lyapunov_equals_the_iterated_recursion_and_the_eigenbasis_formula():
    rng = np.random.default_rng(5)
    for k in (2, 4):
        m = rng.normal(size=(k, k))
        m *= 0.93 / np.max(np.abs(np.linalg.eigvals(m)))  # stable, not symmetric
        a = rng.normal(size=(k, k))
        r = a @ a.T
        np.testing.assert_allclose(lyapunov(m, r), iterate_lyapunov(m, r), rtol=1e-9, atol=1e-12)
    # gd: M = I - lr H symmetric; in H's eigenbasis S_ij = R_ij / (1 - a_i a_j), a = 1 - lr lambda
    h = np.array([[3.0, 1.2], [1.2, 0.7]])
    lr, q = 0.1, np.array([[2.0, 0.3], [0.3, 0.5]])
    lam, e = np.linalg.eigh(h)
    a = 1.0 - lr * lam
    rt = e.T @ (lr * lr * q) @ e
    want = e @ (rt / (1.0 - np.outer(a, a))) @ e.T
    m, n = linear_map(Rule("gd", lr=lr), h)
    np.testing.assert_allclose(lyapunov(m, n @ q @ n.T), want, rtol=1e-12)


def test_no_stationary_spread_when_the_map_does_not_contract():
    h = np.diag([5.0, 1.0])
    m, n = linear_map(Rule("gd", lr=0.41), h)  # 1 - 0.41 * 5 = -1.05
    assert lyapunov(m, np.eye(2)) is None
    assert linear_map(Rule("adam", lr=0.01), h) is None
    assert linear_map(Rule("newton_method", lr=0.5), np.diag([1.0, -1.0])) is None


def run_sgd(rule: Rule, batch: int, balls: int = 2000, burn: int = 1500, samples: int = 60,
            gap: int = 10, seed: int = 7):
    """The world's own minibatch run on linreg from the minimum: (world, cov of the positions
    over balls and samples about the minimum [2, 2])."""
    pot = LinReg()
    w = World(pot, rule, seed=seed)
    w.set_batch(batch)
    w.drop(np.tile(pot.minima[0], (balls, 1)))
    w.tick(burn)
    got = []
    for _ in range(samples):
        w.tick(gap)
        got.append(w.particles.pos - pot.minima[0])
    d = np.concatenate(got)
    return w, d.T @ d / len(d)


def _in_h_basis(pot, s):
    lam, e = np.linalg.eigh(pot.hessian(pot.minima)[0])
    e = e[:, ::-1]
    return np.diag(e.T @ s @ e)


@pytest.mark.parametrize("rule,batch", [(Rule("gd", lr=0.02), 16), (Rule("gd", lr=0.05), 4),
                                        (Rule("momentum", lr=0.004, beta=0.8), 4),
                                        (Rule("nesterov", lr=0.004, beta=0.8), 4)])
def test_predicted_spread_matches_a_long_minibatch_run(rule, batch):
    """The exact prediction (C at the minimum) within 10% of the measured spread along both of
    H's axes; Langevin at T_eff misses along the soft axis by far more (the noise is C, not
    isotropic). B = 16 of 40: the finite-population factor 0.62 is visible."""
    w, got = run_sgd(rule, batch=batch)
    r = sgd_heat_readout(w)
    meas = _in_h_basis(w.potential, got)
    np.testing.assert_allclose(r["var_sgd"], meas, rtol=0.1)
    np.testing.assert_allclose(np.asarray(r["cov_sgd"]), got, rtol=0.1, atol=0.1 * np.sqrt(got[0, 0] * got[1, 1]))
    np.testing.assert_allclose(r["var_measured"], meas, rtol=0.15)  # one snapshot of 2000 balls
    assert r["var_langevin"][1] > 3 * meas[1]
    assert r["balls"] == 2000 and r["far"] == 0 and r["left_out"] == 0


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "newton_method"])
def test_the_linear_maps_are_the_rules(name):
    """Each rule written out here (torch's SGD updates; newton_method's H^-1 step) on a quadratic
    with gradient Hx + xi, xi ~ N(0, Q), run for many chains: the position's covariance is the
    Lyapunov prediction within 3% (lr large enough that momentum and nesterov differ by ~13%)."""
    h = np.array([[5.0, 1.5], [1.5, 0.8]])
    q = np.array([[1.0, 0.4], [0.4, 0.6]])
    lr, beta = (0.02, 0.8) if name in ("momentum", "nesterov") else (0.1, 0.0)
    rule = Rule(name, lr=lr, beta=beta) if beta else Rule(name, lr=lr)
    m, n = linear_map(rule, h)
    want = lyapunov(m, n @ q @ n.T)[:2, :2]
    rng = np.random.default_rng(11)
    chol = np.linalg.cholesky(q)
    x, u = np.zeros((20000, 2)), np.zeros((20000, 2))
    hinv = np.linalg.inv(h)
    acc, count = np.zeros((2, 2)), 0
    for k in range(1500):
        g = x @ h + rng.standard_normal(x.shape) @ chol.T
        if name == "gd":
            x = x - lr * g
        elif name == "newton_method":
            x = x - lr * g @ hinv
        else:
            u = beta * u + g
            x = x - lr * (g + beta * u if name == "nesterov" else u)
        if k >= 500 and k % 5 == 0:
            acc += x.T @ x
            count += len(x)
    got = acc / count
    np.testing.assert_allclose(np.diag(got), np.diag(want), rtol=0.03)
    assert abs(got[0, 1] - want[0, 1]) < 0.03 * math.sqrt(want[0, 0] * want[1, 1])


@pytest.mark.parametrize("rule", [Rule("gd", lr=0.1), Rule("momentum", lr=0.02, beta=0.8),
                                  Rule("newton_method", lr=0.3)])
def test_noise_that_grows_away_from_the_minimum_explains_batch_one(rule):
    """B = 1 at sgd_is_hot's step: C at the minimum alone predicts a cloud >= 20% too narrow
    (C grows away from x*); with C(x) (exact on linreg: affine per-example gradients) the
    prediction is within 5% of a long run."""
    w, got = run_sgd(rule, batch=1, samples=40)
    r = sgd_heat_readout(w)
    meas = _in_h_basis(w.potential, got)
    np.testing.assert_allclose(r["var_sgd_moving"], meas, rtol=0.05)
    assert np.all(meas > 1.2 * np.asarray(r["var_sgd"]))
    assert r["moving_known"]


def test_moving_noise_solution_equals_its_iterated_recursion():
    """S <- M S M^T + N (q + s (mean_i H_i S_x H_i - H S_x H)) N^T iterated to its fixed point."""
    rng = np.random.default_rng(3)
    hs = np.array([np.outer(v, v) for v in rng.normal(size=(30, 2))])
    h = hs.mean(axis=0)
    q = np.array([[0.7, 0.1], [0.1, 0.3]])
    for rule in (Rule("gd", lr=0.2), Rule("nesterov", lr=0.05, beta=0.7)):
        m, n = linear_map(rule, h)
        s = np.zeros((len(m), len(m)))
        for _ in range(20000):
            sx = s[:2, :2]
            grow = 0.5 * (np.einsum("nij,jk,nkl->il", hs, sx, hs) / len(hs) - h @ sx @ h)
            s = m @ s @ m.T + n @ (q + grow) @ n.T
        np.testing.assert_allclose(stationary_cov_moving(rule, h, q, hs, 0.5), s[:2, :2], rtol=1e-8)


@pytest.mark.parametrize("name", ["linreg", "logreg"])
def test_example_hessians_are_the_difference_of_example_gradients(name):
    pot = get_potential(name)
    p = pot.minima[0] + np.array([0.3, -0.2])
    eps = 1e-6
    fd = np.stack([(pot.example_grads(p + eps * e) - pot.example_grads(p - eps * e)) / (2 * eps)
                   for e in np.eye(2)], axis=2)  # [n, 2 (gradient), 2 (direction)]
    np.testing.assert_allclose(pot.example_hessians(p), fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(pot.example_hessians(p).mean(axis=0), pot.hessian(p[None])[0], rtol=1e-10)


def test_langevin_at_t_eff_is_the_transcribed_formula():
    """gd: noise 2 lr T_eff I through A = I - lr H: sigma_i^2 = 2 T_eff / (lambda_i (2 - lr lambda_i));
    continuous: T_eff / lambda_i; T_eff = lr tr C / (2 * 2 * B) (n - B) / (n - 1) from the
    per-example gradients written here."""
    pot = LinReg()
    lr, b = 0.05, 3
    w = World(pot, Rule("gd", lr=lr), seed=1)
    w.set_batch(b)
    w.drop(pot.minima[0] + np.array([[0.01, -0.02], [-0.01, 0.0], [0.0, 0.02]]))
    r = sgd_heat_readout(w)
    x, y = pot.data.x[:, 0], pot.data.y
    p = pot.minima[0]
    res = 2 * (p[0] * x + p[1] - y)
    g = np.column_stack([res * x, res])
    c = np.cov(g.T, bias=True)
    n = len(y)
    t = lr * np.trace(c) / (2 * 2 * b) * (n - b) / (n - 1)
    lam = np.linalg.eigvalsh(pot.hessian(pot.minima)[0])[::-1]
    assert r["t_eff"] == pytest.approx(t, rel=1e-12)
    np.testing.assert_allclose(r["var_langevin"], 2 * t / (lam * (2 - lr * lam)), rtol=1e-9)
    np.testing.assert_allclose(r["var_langevin_continuous"], t / lam, rtol=1e-9)
    assert abs(r["corr_langevin"]) < 1e-9
    cw, cv = np.linalg.eigh(c)
    assert r["anisotropy"] == pytest.approx(cw[1] / cw[0], rel=1e-9)
    e1 = np.linalg.eigh(pot.hessian(pot.minima)[0])[1][:, 1]
    assert r["c_angle_deg"] == pytest.approx(math.degrees(math.acos(abs(cv[:, 1] @ e1))), abs=1e-6)


def test_trace_c_across_the_cloud_from_per_example_gradients():
    """tr C one sigma out along the measured cloud's axes, over tr C at the minimum."""
    pot = LinReg()
    w = World(pot, Rule("gd", lr=0.1), seed=2)
    w.set_batch(1)
    w.drop(pot.minima[0] + np.random.default_rng(0).normal(scale=[0.15, 0.05], size=(400, 2)))
    r = sgd_heat_readout(w)
    x, y = pot.data.x[:, 0], pot.data.y

    def tr_c(p):
        res = 2 * (p[0] * x + p[1] - y)
        return np.trace(np.cov(np.column_stack([res * x, res]).T, bias=True))

    assert r["far"] == 0  # every ball counted: the measured cloud is all of them
    s = np.cov(w.particles.pos.T)
    sw, sv = np.linalg.eigh(s)
    ratios = [tr_c(pot.minima[0] + sign * math.sqrt(sw[k]) * sv[:, k]) / tr_c(pot.minima[0])
              for k in range(2) for sign in (1, -1)]
    assert r["trace_c_edge_ratio"] == pytest.approx([min(ratios), max(ratios)], rel=1e-9)
    assert r["trace_c_edge_ratio"][1] > 1.05  # a wide cloud: the noise is not constant


def test_the_view_applies_only_to_minibatch_balls_without_langevin_balls():
    pot = LinReg()
    w = World(pot, Rule("gd", lr=0.05), seed=1)
    w.drop(np.tile(pot.minima[0], (5, 1)))
    assert sgd_group(w) is None  # full batch
    w.set_batch(4)
    assert sgd_group(w)[0] == 0
    w.set_batch(pot.data.n)
    assert sgd_group(w) is None  # B = n: full batch
    w.set_batch(4)
    w.set_rule(Rule("langevin", batch=4))
    w.drop(np.tile(pot.minima[0], (3, 1)))
    assert sgd_group(w) is None  # langevin balls: the langevin view
    bowl = World(get_potential("bowl"), Rule("gd", lr=0.05, batch=4))
    bowl.drop(np.zeros((3, 2)))
    assert sgd_group(bowl) is None  # no data


# --- the panel and the report -------------------------------------------------------------------

def _main(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})


def test_report_and_screenshot_show_the_sgd_view(tmp_path):
    shot, rep = tmp_path / "h.png", tmp_path / "h.json"
    r = _main("--headless", "--potential", "linreg", "--dynamics", "gd", "--lr", "0.05", "--batch", "4",
              "--particles", "300", "--seed", "1", "--frames", "400", "--show", "heat",
              "--screenshot", str(shot), "--report", str(rep))
    assert r.returncode == 0, r.stderr
    d = json.loads(rep.read_text())
    assert d["heat.temperature"] is None and d["heat.counted"] == 0  # the old keys, unchanged
    assert d["heat.sgd.rule"] == "gd" and d["heat.sgd.batch"] == 4
    for k in ("t_eff", "var_measured", "var_langevin", "var_sgd", "anisotropy", "trace_c_edge_ratio"):
        assert f"heat.sgd.{k}" in d
    img = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    green = (np.abs(img.astype(int) - SGD_GREEN).sum(axis=2) < 30)
    assert green.sum() > 200  # the SGD column and its ellipse


@pytest.fixture
def app_sgd(display):
    from render.app.app import App

    pot = LinReg()
    w = World(pot, Rule("gd", lr=0.05), seed=3)
    w.set_batch(4)
    w.drop(pot.minima[0] + np.random.default_rng(1).normal(scale=0.02, size=(500, 2)))
    app = App(w, (1280, 800), headless=True)
    app.instruments.set("heat")
    return app


def plain(v):
    """As the report writes it: non-finite floats None, containers recursively."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _frame(app) -> pygame.Surface:
    surf = pygame.Surface((1280, 800), 0, 32)
    app.update(1 / 60)
    app.draw(surf)
    return surf


def test_the_panel_draws_the_report_numbers(app_sgd):
    from render.app.report import report

    surf = _frame(app_sgd)
    drawn = app_sgd.instruments.readouts["heat"]
    rep = report(app_sgd)
    assert isinstance(drawn, dict) and drawn["balls"] > 0
    for k, v in drawn.items():
        assert rep[f"heat.sgd.{k}"] == plain(v), k
    rect = app_sgd.instruments.rects["heat"]
    px = pygame.surfarray.array3d(surf.subsurface(rect))
    assert (np.abs(px.astype(int) - SGD_GREEN).sum(axis=2) < 30).sum() > 100


def test_without_minibatch_balls_the_panel_is_what_it_was(display):
    """Full batch: HeatPanel draws exactly what render.panels.draw.heat.draw_heat_panel (the old path)
    draws, "no langevin balls", at the old height; no SGD colour."""
    from render.look.theme import LINE_GAP, PANEL_PAD
    from render.panels.draw.heat import draw_heat_panel
    from render.look import widgets
    from render.panels.instrument_panels import HeatPanel
    from render.panels.panel import Context
    from render.look.view import View

    pot = LinReg()
    w = World(pot, Rule("gd", lr=0.05), seed=3)
    w.drop(np.tile(pot.minima[0], (20, 1)))
    font = pygame.font.Font(None, 18)

    class _Runtime:
        world = w

    ctx = Context(runtime=_Runtime(), font=font, view=View.fit(pot.view, (800, 600)), frames=1, mouse=None,
                  hover=None, selected=None)
    panel = HeatPanel()
    h = panel.measure(ctx)
    rect = pygame.Rect(10, 10, 340, h)
    a, b = pygame.Surface((400, 400)), pygame.Surface((400, 400))
    panel.draw(a, rect, ctx)
    draw_heat_panel(b, rect, w, font)
    assert pygame.image.tobytes(a, "RGB") == pygame.image.tobytes(b, "RGB")
    lh = font.get_linesize() + LINE_GAP
    assert h == 2 * PANEL_PAD + (1 + widgets.wrapped_rows(font, "switch the rule to langevin to watch "
                                                        "exp(−V/T) arrive", 340 - 2 * PANEL_PAD)) * lh
    px = pygame.surfarray.array3d(a)
    assert (np.abs(px.astype(int) - SGD_GREEN).sum(axis=2) < 30).sum() == 0


def test_the_chosen_ball_picks_the_lane(display):
    """sgd_is_hot (lanes: full batch, B = 4, B = 1; the current rule full batch): the panel
    shows the B = 4 lane, or the lane of the chosen ball; the report says the same."""
    from render.app.app import App
    from render.app.report import report
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    world, info = load_scene(find_scene("sgd_is_hot"))
    app = App(world, (1280, 800), headless=True)
    app.scene_ui.open_scene(world, info, "sgd_is_hot")
    app.scene_ui.caption_open = False
    app.instruments.set("heat")
    batch = np.array([r.batch for r in world.rules])[world.particles.rule[: world.n]]
    assert sgd_group(world)[0] == int(np.flatnonzero([r.batch == 4 for r in world.rules])[0])
    k = int(np.flatnonzero(batch == 1)[0])
    app.runtime.select(k)
    _frame(app)
    rep = report(app)
    assert app.instruments.readouts["heat"]["batch"] == 1 == rep["heat.sgd.batch"]
    assert rep["heat.sgd.balls"] + rep["heat.sgd.far"] == int(np.count_nonzero(batch == 1))


def test_a_variance_that_rounds_below_zero_is_written_as_zero():
    """A covariance with an exact 0 along one axis can come out -1e-20 after the basis change;
    a variance on screen is never negative."""
    from sim.data.sgd_heat import _in_basis

    e = np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    s = e @ np.diag([0.0, 2.0]) @ e.T  # 0 along e1, up to rounding
    v, _ = _in_basis(s, e)
    assert v[0] >= 0.0 and v[0] < 1e-15 and v[1] == pytest.approx(2.0)
