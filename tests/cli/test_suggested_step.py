"""One rule for the step size in every mode: where the command line does not give the rule's
step (lr, or dt for the newton family), --steps, --frames and the window use the landscape's
suggested one (issue: the same command ran lr 0.01 with --steps, 1e-05 with --frames). The
dump and --help say which was used. The expected steps are the suggestion table's entries,
copied here (rosenbrock: gd 2e-05, momentum 1e-05, newton dt 0.002; bowl: gd 0.05)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ISSUE = ["--potential", "rosenbrock", "--dynamics", "momentum", "--particles", "3", "--seed", "1"]


def run(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})


def dump(tmp_path, *args) -> dict:
    out = tmp_path / "d.json"
    r = run("--headless", *args, "--steps", "200", "--dump", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


def test_the_issue_command_runs_the_suggested_step_in_steps_and_frames(tmp_path):
    d = dump(tmp_path, *ISSUE)
    assert d["params"]["lr"] == 1e-05 and d["step_source"] == "suggested"
    assert d["status"] == ["alive"] * 3  # with lr 0.01 all three diverged
    r = run("--headless", *ISSUE, "--frames", "2", "--report", "r.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["hud.parameters.lr"] == d["params"]["lr"]


def test_the_steps_run_equals_a_hand_run_at_the_suggested_step(tmp_path):
    """Heavy-ball SGD (torch's, transcribed) at lr 1e-05 from the dump's own start points."""
    d = dump(tmp_path, *ISSUE)
    x = np.array(d["positions"][0], dtype=float)
    u = np.zeros_like(x)
    lr, beta = 1e-05, 0.9
    for _ in range(200):
        g = np.column_stack([-2 * (1 - x[:, 0]) - 400 * x[:, 0] * (x[:, 1] - x[:, 0] ** 2),
                             200 * (x[:, 1] - x[:, 0] ** 2)])
        u = beta * u + g
        x = x - lr * u
    assert np.allclose(d["positions"][-1], x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args,key,value", [
    (["--potential", "rosenbrock", "--dynamics", "gd"], "lr", 2e-05),
    (["--potential", "rosenbrock", "--dynamics", "newton"], "dt", 0.002),
    (["--potential", "bowl", "--dynamics", "gd", "--dt", "0.3"], "lr", 0.05),  # dt is not gd's step
])
def test_each_family_takes_its_suggested_step(tmp_path, args, key, value):
    d = dump(tmp_path, *args, "--start=0.5,0.5")
    assert d["params"][key] == value and d["step_source"] == "suggested"


def test_a_step_given_is_used_and_said(tmp_path):
    d = dump(tmp_path, *ISSUE, "--lr", "0.01")
    assert d["params"]["lr"] == 0.01 and d["step_source"] == "given"


def test_help_says_the_step_is_the_landscapes_suggestion(tmp_path):
    r = run("--help", cwd=tmp_path)
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "--lr F (the landscape's suggested step" in text and "--dt F (the landscape's suggested step" in text
    assert "step_source" in text
