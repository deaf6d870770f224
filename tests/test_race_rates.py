"""The race legend's measured rates (sim/race_rates.py) against independent numbers: the
condition_number lesson's lanes contract at (kappa-1)/(kappa+1) and (sqrt kappa-1)/(sqrt kappa+1)
per tick, as `--report` writes and the legend draws; the fit is exact on synthetic errors,
oscillating ones included; the theory is shown only where it is exact."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import race_rates as RR
from sim import readouts as R
from sim.dynamics import Rule
from sim.potentials import get_potential
from sim.scene import find_scene, load_scene
from sim.world import World

ROOT = Path(__file__).resolve().parents[1]
KAPPA = 25.0  # the ravine's L / mu


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SDL_VIDEODRIVER": "dummy"})


def test_condition_number_report_has_the_measured_rates(tmp_path):
    out = tmp_path / "r.json"
    r = _run("--headless", "--frames", "300", "--play", "--scene", "condition_number",
             "--report", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["hud.tick"] >= 200
    lanes = {e["rule"]: e for e in d["race"]}
    gd_rate = (KAPPA - 1) / (KAPPA + 1)
    hb_rate = (math.sqrt(KAPPA) - 1) / (math.sqrt(KAPPA) + 1)
    assert lanes["gd"]["rate"] == pytest.approx(gd_rate, rel=0.01)
    assert lanes["momentum"]["rate"] == pytest.approx(hb_rate, rel=0.02)  # k rho^k: a little above
    assert lanes["gd"]["rate_theory"] == pytest.approx(gd_rate, rel=1e-9)
    assert lanes["momentum"]["rate_theory"] == pytest.approx(hb_rate, rel=1e-6)
    assert {"loss", "leader", "diverged", "twin", "rule_id"} <= set(lanes["gd"])  # old keys kept


def test_meter_on_the_lesson_world_matches_a_brute_force_ratio():
    """The meter observed once per tick against the plain ratio of distances 100 ticks apart."""
    w, _ = load_scene(find_scene("condition_number"))
    meter = RR.RateMeter()
    d = []
    for _ in range(400):
        meter.observe(w)
        d.append(np.hypot(*w.particles.pos.T))
        w.tick()
    rates = RR.lane_rates(w, meter)
    brute = (d[399][0] / d[299][0]) ** (1 / 100)
    assert rates[0]["rate"] == pytest.approx(brute, rel=1e-6)
    assert rates[1]["rate"] == pytest.approx(2 / 3, rel=0.02)


@pytest.mark.parametrize("phase", [0.0, 1.0])
def test_fit_is_exact_on_geometric_errors_even_when_they_oscillate(phase):
    k = np.arange(300)
    err = 0.8 ** k * (1.5 + np.cos(2.1 * k + phase))  # bounded oscillation on a 0.8 decay
    samples = list(zip(k, np.log(err)))
    # over whole windows the oscillation averages out: within 1 % of the true rate
    assert RR.fit_rate(samples) == pytest.approx(0.8, rel=0.01)
    assert RR.fit_rate(list(zip(k, k * math.log(0.9)))) == pytest.approx(0.9, rel=1e-12)
    assert math.isnan(RR.fit_rate(samples[:5]))  # too short a history


def test_theory_only_on_a_quadratic_and_a_fixed_linear_map():
    w = World(get_potential("rosenbrock"), Rule("gd", lr=1e-3))
    assert RR.quadratic_eigs(w) is None
    w = World(get_potential("ravine"), Rule("gd", lr=0.05))
    assert sorted(RR.quadratic_eigs(w)) == pytest.approx([1.0, 25.0])
    assert RR.theory_rate(w, 0, RR.quadratic_eigs(w)) == pytest.approx(max(abs(1 - 0.05), abs(1 - 1.25)))
    w.add_rule(Rule("adam", lr=0.1))
    w.add_rule(Rule("gd", lr=0.05, schedule="cosine:100"))
    assert math.isnan(RR.theory_rate(w, 1, RR.quadratic_eigs(w)))
    assert math.isnan(RR.theory_rate(w, 2, RR.quadratic_eigs(w)))


def test_meter_starts_over_after_a_reset_and_the_readout_carries_the_rates():
    w = World(get_potential("ravine"), Rule("gd", lr=0.05))
    w.drop(np.array([[2.0, 1.0]]))
    meter = RR.RateMeter()
    for _ in range(50):
        meter.observe(w)
        w.tick()
    assert len(meter.lanes[0][1]) == 50 <= RR.RATE_CAPACITY
    w.restart()
    meter.observe(w)
    assert len(meter.lanes[0][1]) == 1  # the old history is gone
    e = R.race_readout(w, rates=RR.lane_rates(w, meter))[0]
    assert math.isnan(e["rate"]) and e["rate_theory"] == pytest.approx(0.95)
    assert "rate" not in R.race_readout(w)[0]  # without a meter: the old entries


def test_a_new_ball_in_a_lane_starts_its_own_history_even_while_paused():
    w = World(get_potential("ravine"), Rule("gd", lr=0.05))
    w.drop(np.array([[2.0, 1.0]]))
    meter = RR.RateMeter()
    for _ in range(30):
        meter.observe(w)
        w.tick()
    meter.observe(w)
    meter.observe(w)  # a paused frame: nothing new
    assert len(meter.lanes[0][1]) == 31
    w.drop(np.array([[-1.0, 0.5]]))  # no tick: the lane's newest ball changed
    meter.observe(w)
    assert meter.lanes[0][0][0] == 1 and len(meter.lanes[0][1]) == 1  # (row, rule, landscape) it follows


def test_a_new_landscape_or_step_starts_the_lanes_history_over():
    """bowl then booth (both quadratics), gd lr 0.1: after the switch the rate is the booth's
    own max|1 - lr·λ| (λ of booth's Hessian [[10, 8], [8, 10]]: 2 and 18), not a mix of the
    two; the same after a new lr."""
    from sim.potentials import get_potential
    from sim.race_rates import RateMeter, lane_rates
    from sim.world import World

    w = World(get_potential("bowl"), Rule("gd", lr=0.1), seed=1)
    w.drop(np.array([[2.0, 1.5]]))
    m = RateMeter()
    for _ in range(60):
        w.tick()
        m.observe(w)
    w.set_potential(get_potential("booth"))
    for _ in range(30):
        w.tick()
        m.observe(w)
    assert lane_rates(w, m)[0]["rate"] == pytest.approx(0.8, rel=1e-6)  # max(|1-0.2|, |1-1.8|)
    w.set_params(lr=0.05)
    for _ in range(30):
        w.tick()
        m.observe(w)
    assert lane_rates(w, m)[0]["rate"] == pytest.approx(0.9, rel=1e-3)  # max(|1-0.1|, |1-0.9|)


@pytest.mark.usefixtures("display")
def test_the_legend_has_room_for_a_rate_the_frame_it_first_appears():
    """The race panel is placed from its measured height: on every frame, including the one
    where a lane's rate first appears, that height holds the legend's rows (title, one per
    lane, one per shown rate) above the chips."""
    import pygame

    from render.app import App
    from render.instrument_panels import CHIP_COLUMNS, CHIP_GAP
    from render.panels import LINE_GAP, PAD
    from sim.dynamics import RULES

    world, info = load_scene(find_scene("condition_number"))
    app = App(world, (1280, 800), headless=True)
    app.scene_ui.open_scene(world, info, "condition_number")
    app.scene_ui.caption_open = False
    app.runtime.paused = False  # the lesson opens paused, its caption up
    surf = pygame.Surface((1280, 800), 0, 32)
    seen = set()
    for _ in range(40):
        app.update(1 / 60)
        app.draw(surf)
        entries = app.instruments.readouts["race"]
        shown = sum(1 for e in entries if math.isfinite(e.get("rate", math.nan)))
        seen.add(shown)
        lh = app.fonts.small.get_linesize() + LINE_GAP  # the panels' row height (Context.row_h)
        chips = math.ceil(len(RULES) / CHIP_COLUMNS)
        need = 2 * PAD + (1 + len(entries) + shown) * lh + 4 + lh + chips * (lh + CHIP_GAP)
        assert app.instruments.rects["race"].h >= need
    assert {0} < seen  # a rate appeared during the run
