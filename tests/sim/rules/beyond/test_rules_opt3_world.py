"""lion, sam, sgd_schedulefree and adamw_schedulefree inside the program: the World steps them
(balls dropped at different ticks equal the one-ball reference transcriptions in
tests/support/beyond_refs.py), a TOML scene save/load continues the run exactly (the
schedule-free y, z and averaging weights travel with it), and the command line accepts their
options and refuses bad ones with one line and status 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.scene.io import load_scene, save_scene
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World

from tests.support.beyond_refs import reference

ROOT = Path(__file__).resolve().parents[4]
RULES = [
    ("lion", 0.01, {"weight_decay": 0.1, "beta2": 0.95}),
    ("sam", 2e-3, {"sam_rho": 0.1, "beta": 0.8}),
    ("sgd_schedulefree", 5e-3, {"warmup_steps": 20, "r": 1.0}),
    ("adamw_schedulefree", 2e-2, {"inner_momentum": 0.9, "warmup_steps": 10, "weight_decay": 0.01}),
]


@pytest.mark.parametrize("name,lr,opts", RULES)
def test_world_balls_dropped_at_different_ticks_equal_the_reference(name, lr, opts):
    V = get_potential("himmelblau")
    w = World(V, Rule(name, lr=lr, **opts))
    a, b = np.array([[-0.5, 0.8], [1.0, -1.0]]), np.array([[2.0, 2.5]])
    w.drop(a)
    w.tick(30)
    w.drop(b)
    w.tick(170)
    for i, (x0, steps) in enumerate([(a[0], 200), (a[1], 200), (b[0], 170)]):
        ref = reference(name, V, x0, steps, lr, opts)[-1]
        np.testing.assert_allclose(w.particles.pos[i], ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,lr,opts", RULES)
def test_scene_round_trip_continues_exactly(name, lr, opts, tmp_path):
    w = World(get_potential("himmelblau"), Rule(name, lr=lr, **opts))
    w.drop(np.array([[-0.5, 0.8], [1.0, -1.0]]))
    w.tick(25)
    path = tmp_path / f"{name}.toml"
    save_scene(w, path)
    w2, _ = load_scene(path)
    assert w2.rule == w.rule
    w.tick(40)
    w2.tick(40)
    np.testing.assert_array_equal(w2.particles.pos, w.particles.pos)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", *args],
                          capture_output=True, text=True, timeout=120)


def test_command_line_runs_each_rule_with_its_options(tmp_path):
    out = tmp_path / "x.json"
    p = _run("--potential", "himmelblau", "--dynamics", "adamw_schedulefree", "--lr", "0.02",
             "--warmup-steps", "5", "--weight-lr-power", "1", "--inner-momentum", "0.9",
             "--start=-0.5,0.8", "--steps", "60", "--dump", str(out))
    assert p.returncode == 0, p.stderr
    d = json.loads(out.read_text())
    assert d["params"]["warmup_steps"] == 5 and d["params"]["inner_momentum"] == 0.9
    ref = reference("adamw_schedulefree", get_potential("himmelblau"), (-0.5, 0.8), 60, 0.02,
                    {"warmup_steps": 5, "weight_lr_power": 1.0, "inner_momentum": 0.9})
    np.testing.assert_allclose(d["positions"][-1][0], ref[-1], rtol=1e-10)
    p = _run("--potential", "himmelblau", "--dynamics", "sam", "--sam-rho", "0.2", "--particles",
             "3", "--steps", "20", "--dump", str(out))
    assert p.returncode == 0, p.stderr
    assert json.loads(out.read_text())["params"]["sam_rho"] == 0.2


@pytest.mark.parametrize("args", [
    ("--dynamics", "sgd_schedulefree", "--beta", "0"),  # the reference needs 0 < momentum < 1
    ("--dynamics", "sam", "--sam-rho", "-1"),
    ("--dynamics", "adamw_schedulefree", "--schedule", "cosine:100"),  # it is its own schedule
    ("--dynamics", "lion", "--weight-decay", "nan"),
])
def test_bad_options_are_one_line_and_status_2(args, tmp_path):
    p = _run("--potential", "himmelblau", *args, "--particles", "2", "--steps", "5",
             "--dump", str(tmp_path / "x.json"))
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
