"""A ball where V or grad V stops being finite is `undefined` (outside the landscape's domain):
it stops where it last was, is counted apart from `diverged`, and is saved and dumped as such.
A formula that is finite nowhere in its view is refused."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.scene.io import load_scene, save_scene
from sim.rules.dynamics import Rule
from sim.landscapes.formula.errors import FormulaError
from sim.landscapes.formula.potential import expression_potential
from sim.core.particles import ALIVE, DIVERGED, UNDEFINED
from sim.data.catalog import get_potential
from sim.core.world import World

ROOT = Path(__file__).resolve().parents[3]


def test_gd_on_log_x_stops_at_its_last_point_inside_the_domain():
    lr = 0.3
    w = World(expression_potential("log(x) + y**2"), Rule("gd", lr=lr))
    w.drop(np.array([[2.0, 0.0], [-1.0, 0.0]]))
    # by hand: x <- x - lr / x until x leaves x > 0; the ball stays at its last x > 0
    x, ticks = 2.0, 0
    while x > 0:
        last, x = x, x - lr / x
        ticks += 1
    w.tick(ticks + 5)
    p = w.particles
    assert list(p.status) == [UNDEFINED, UNDEFINED]
    assert p.pos[0, 0] == pytest.approx(last, rel=1e-12)
    assert p.pos[1].tolist() == [-1.0, 0.0]  # dropped outside the domain: it never moved
    assert w.counts() == (0, 0) and w.n_undefined() == 2


def test_sqrt_at_minus_one_is_undefined_not_diverged_and_a_blow_up_is_still_diverged():
    w = World(expression_potential("sqrt(x) + y**2"), Rule("momentum", lr=0.1))
    w.drop(np.array([[-1.0, 0.5], [4.0, 0.5]]))
    w.tick(3)
    assert w.particles.status[0] == UNDEFINED and w.particles.pos[0].tolist() == [-1.0, 0.5]
    assert w.particles.status[1] == ALIVE
    b = World(get_potential("bowl"), Rule("gd", lr=1e200))  # runs away to inf: diverged
    b.drop(np.array([[1.0, 1.0]]))
    b.tick(5)
    assert b.particles.status[0] == DIVERGED and b.counts() == (0, 1) and b.n_undefined() == 0


def test_a_newton_ball_that_hits_the_edge_of_the_domain_is_undefined():
    w = World(expression_potential("-sqrt(x) + y**2"), Rule("newton", friction=0.0, dt=0.05))
    w.drop(np.array([[1.0, 0.0]]), vel=np.array([[-30.0, 0.0]]))  # thrown at x = 0
    w.tick(20)
    assert w.particles.status[0] == UNDEFINED
    x = w.particles.pos[0, 0]
    assert x >= 0 and np.isfinite(w.potential.value(w.particles.pos)).all()


@pytest.mark.parametrize("formula", ["0/0", "1e999", "sqrt(-1)", "log(-1 - x**2)"])
def test_a_formula_finite_nowhere_in_its_view_is_refused(formula):
    with pytest.raises(FormulaError, match="not a finite number anywhere"):
        expression_potential(formula)
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", f"--expr={formula}",
                        "--start=1,1", "--steps", "2", "--dump", "x.json"], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "anywhere" in r.stderr


def test_undefined_is_dumped_and_saved_as_such(tmp_path):
    out = tmp_path / "d.json"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--expr=log(x)",
                        "--start=-1,0", "--start=1,0", "--start=2e5,0", "--lr", "1e3", "--steps", "3",
                        "--dump", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["status"] == ["undefined", "undefined", "alive"]
    assert "2 undefined" in r.stdout
    w = World(expression_potential("log(x)"), Rule("gd"))
    w.drop(np.array([[-1.0, 0.0], [1.0, 0.0]]))
    w.tick(2)
    back, _ = load_scene(save_scene(w, tmp_path / "u.toml"))
    assert back.particles.status.tolist() == [UNDEFINED, ALIVE] and back.n_undefined() == 1
