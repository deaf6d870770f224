"""The readouts (what each panel shows) and `--report` against independent computations: the
heat panel histograms only the balls at its temperature; the report's keys are the issue's,
its numbers the ones a direct computation gives; bad paths exit 2."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.instruments import readouts as R
from sim.rules.dynamics import Rule
from sim.scene.presets import find_scene
from sim.scene.io import load_scene

ROOT = Path(__file__).resolve().parents[3]


def test_heat_panel_counts_only_the_balls_at_its_temperature():
    """heat_escape: 8 hot balls (T = 0.3), 8 cold (T = 0). The histogram is of the hot ones."""
    w, _ = load_scene(find_scene("heat_escape"))
    w.tick(200)
    h = R.heat_readout(w)
    assert h["temperature"] == 0.3 and h["counted"] == 8 and h["left_out"] == 8
    hot = w.particles.pos[w.particles.rule == 0]
    v = w.potential.value(hot)
    edges = np.asarray(h["edges"])
    counts, _ = np.histogram(v, bins=edges)
    np.testing.assert_allclose(np.asarray(h["histogram"]), counts / (len(v) * np.diff(edges)))


def test_stability_readout_is_the_exact_region():
    from sim.data.catalog import get_potential
    from sim.core.world import World

    w = World(get_potential("bowl"), Rule("newton", integrator="euler", friction=30.0, dt=0.1))
    w.drop(np.array([[1.0, 0.5]]))
    r = R.stability_readout(w, row=0)
    assert r["verdict"] == "unstable" and r["status_max"] == "bad"
    assert r["limit_lo"] == pytest.approx(math.sqrt(2)) and r["limit_hi"] == pytest.approx(math.sqrt(3))
    assert r["ratio_max"] == pytest.approx(0.1) and r["c"] == pytest.approx(3.0)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "SDL_VIDEODRIVER": "dummy"})


def test_report_keys_and_numbers(tmp_path):
    out = tmp_path / "r.json"
    r = _run("--headless", "--frames", "5", "--potential", "bowl", "--dynamics", "gd", "--lr", "0.5",
             "--start=1,0.5", "--show", "stability,twin", "--report", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    for k in ("hud.rule", "hud.tick", "hud.alive", "hud.diverged", "stability.lambda_min",
              "stability.lambda_max", "stability.verdict", "stability.regime", "bridge.mass",
              "bridge.friction", "bridge.dt", "bridge.lr", "bridge.beta", "bridge.gap"):
        assert k in d, k
    assert not any(k.startswith(("heat.", "ledger.")) for k in d) and "race" not in d  # off
    assert d["hud.rule"] == "gd" and d["stability.regime"] == "monotone"
    assert d["stability.verdict"] == "stable" and d["stability.lambda_max"] == 1.0
    # gd lr 0.5 -> newton twin mass dt^2/lr, friction dt/lr (dt the rule's)
    assert d["bridge.lr"] == 0.5 and d["bridge.mass"] == pytest.approx(d["bridge.dt"] ** 2 / 0.5)
    r = _run("--headless", "--frames", "5", "--potential", "bowl", "--dynamics", "gd", "--lr", "0.5",
             "--start=1,0.5", "--show", "race", "--report", str(out))
    d = json.loads(out.read_text())
    assert "stability.verdict" not in d
    lanes = [e for e in d["race"] if not e["twin"]]
    assert {e["rule"] for e in lanes} >= {"gd", "momentum"}
    for e in d["race"]:
        assert set(e) >= {"rule", "loss"}


def test_report_heat_keys(tmp_path):
    out = tmp_path / "h.json"
    r = _run("--headless", "--frames", "3", "--scene", "heat_escape", "--report", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["heat.temperature"] == 0.3 and d["heat.counted"] == 8 and d["heat.left_out"] == 8
    assert len(d["heat.histogram"]) == len(d["heat.prediction"]) == len(d["heat.edges"]) - 1


@pytest.mark.parametrize("path,why", [("/nonexistent-dir/r.json", "does not exist"),
                                      ("r.txt", "must end in")])
def test_report_bad_path_exits_2(tmp_path, path, why):
    r = _run("--headless", "--frames", "2", "--report", path)
    assert r.returncode == 2 and why in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_report_needs_frames():
    r = _run("--headless", "--steps", "2", "--dump", "x.json", "--report", "r.json")
    assert r.returncode == 2
