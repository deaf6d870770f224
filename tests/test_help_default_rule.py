"""--help's default for --dynamics is what each mode really uses: gd for --steps, momentum in
the window and with --frames (the DESIGN's window default); the help named only gd."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"}


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=ENV)


def test_help_names_the_default_rule_of_each_mode(tmp_path):
    text = " ".join(_run("--help").stdout.split())
    line = text[text.index("--dynamics NAME the rule"):][:120]
    dump, report = tmp_path / "d.json", tmp_path / "r.json"
    assert _run("--headless", "--steps", "1", "--start=1,1", "--dump", str(dump)).returncode == 0
    assert _run("--headless", "--frames", "1", "--report", str(report)).returncode == 0
    steps_rule = json.loads(dump.read_text())["dynamics"]
    window_rule = json.loads(report.read_text())["hud.rule"]
    assert steps_rule == "gd" and window_rule == "momentum"
    assert "gd" in line and "momentum" in line, line
