"""--scene NAME --dynamics OTHER: a rule of another step family does not inherit the scene
rule's step size (a gd lr of 0.02 is not a Newton's-method step); it takes its own, as a rule
switch in the window does. A step given on the command line still wins."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _report(tmp_path, *args) -> dict:
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "main.py", "--headless", "--frames", "1",
                           "--scene", "ravine_gd_vs_momentum", *args, "--report", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def test_newton_method_from_a_gd_scene_takes_its_full_step(tmp_path):
    # the scene's rule is gd with lr = 0.02 (assets file); newton_method's own step is 1
    scene = (ROOT / "assets" / "scenes" / "ravine_gd_vs_momentum.toml").read_text()
    assert 'name = "gd"' in scene and "lr = 0.02" in scene
    r = _report(tmp_path, "--dynamics", "newton_method")
    assert r["hud.rule"] == "newton_method"
    assert r["hud.parameters.lr"] == 1.0


def test_a_given_lr_still_wins(tmp_path):
    r = _report(tmp_path, "--dynamics", "newton_method", "--lr", "0.5")
    assert r["hud.parameters.lr"] == 0.5


def test_same_rule_keeps_the_scene_step(tmp_path):
    r = _report(tmp_path, "--dynamics", "gd")
    assert r["hud.parameters.lr"] == 0.02
