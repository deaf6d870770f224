"""CSV values whose squares overflow (1e200, 1e308) are refused with one line naming row and
column, in every mode: --steps, --frames, --start, the window's Ctrl+D field and a scene's
inline points. Rows count the file's lines from 1 (the header); written here by hand."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

from tests.support.apps import data_app as make_app, frame_at, key, same_state as same, type_text
from tests.support.apps import world_state as state

frame = frame_at((1280, 800))

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
# file text -> the place the line must name
HUGE = {
    "y_1e200": ("x,y\n0,1\n1,1e200\n2,3\n", "row 3, column 2 (y)"),
    "x_neg": ("x,y\n0,1\n1,2\n-3e160,3\n", "row 4, column 1 (x)"),
    "x1_1e308": ("x1,x2,label\n0,1,0\n1e308,1,1\n2,3,0\n", "row 3, column 1 (x1)"),
    "x2_1e200": ("x1,x2,label\n0,1,0\n1,1,1\n2,-1e200,0\n", "row 4, column 2 (x2)"),
}


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


@pytest.mark.parametrize("case", sorted(HUGE))
@pytest.mark.parametrize("mode", [("--steps", "5", "--particles", "3", "--dump", "d.json"),
                                  ("--frames", "3", "--particles", "3"),
                                  ("--frames", "3", "--start=1,1", "--report", "r.json")])
def test_every_headless_mode_refuses_the_file_with_one_line(tmp_path, case, mode):
    text, where = HUGE[case]
    (tmp_path / "big.csv").write_text(text)
    r = run("--headless", "--data", "big.csv", "--dynamics", "gd", *mode, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and "big.csv" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]  # nothing written


def test_values_just_inside_the_limit_give_finite_losses_everywhere(tmp_path):
    """1e150 is accepted: mean((w x + b - y)^2) over the rows is finite at every ball dropped
    (the first record; lr 0.01 against a curvature of 1e300 then throws them out of bounds)."""
    (tmp_path / "edge.csv").write_text("x,y\n0,1\n1e150,-1e150\n-1e150,3\n2,1e150\n")
    r = run("--headless", "--data", "edge.csv", "--dynamics", "gd", "--particles", "3", "--steps", "5",
            "--dump", "d.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    import json
    values = np.array([[np.nan if v is None else v for v in row]
                       for row in json.loads((tmp_path / "d.json").read_text())["values"]])
    x = np.array([0, 1e150, -1e150, 2.0])
    y = np.array([1, -1e150, 3, 1e150])
    pos = np.array(json.loads((tmp_path / "d.json").read_text())["positions"][0], float)
    want = np.mean((pos[:, :1] * x + pos[:, 1:] - y) ** 2, axis=1)  # the loss, by hand
    assert np.isfinite(values[0]).all() and np.allclose(values[0], want, rtol=1e-9)


@pytest.mark.parametrize("case", ["y_1e200", "x1_1e308"])
def test_ctrl_d_refuses_the_file_on_screen_and_nothing_changes(tmp_path, case):
    text, where = HUGE[case]
    path = tmp_path / "big.csv"
    path.write_text(text)
    app = make_app("linreg")
    frame(app)
    app.runtime.paused = True
    before = state(app)
    key(app, pygame.K_d, "\x04", pygame.KMOD_CTRL)
    type_text(app, str(path))
    key(app, pygame.K_RETURN)
    same(state(app), before)
    assert app.data_ui.entry.active and where in app.data_ui.entry.error
    assert "\n" not in app.data_ui.entry.error
    frame(app)


def test_a_scene_with_huge_inline_points_is_refused(tmp_path):
    from sim.scene.schema import SceneError
    from sim.scene.io import load_scene

    scene = tmp_path / "s.toml"
    scene.write_text('[landscape]\npotential = "linreg"\n[landscape.data]\nkind = "regression"\n'
                     "x = [[0.0], [1.0], [2.0]]\ny = [1.0, 1e200, 3.0]\n"
                     '[rule]\nname = "gd"\nlr = 0.01\n')
    with pytest.raises((SceneError, ValueError)) as err:
        load_scene(scene)
    assert "row 2" in str(err.value) and "too large" in str(err.value)


def test_an_edit_past_the_limit_is_refused():
    from sim.data.sets import builtin
    from sim.data.edit import move_point

    with pytest.raises(ValueError, match="too large"):
        move_point(builtin("line"), 3, (0.0, 1e200))
