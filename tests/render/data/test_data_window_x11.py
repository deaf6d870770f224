"""Data in the real window under Xvfb, driven by xdotool: the panel's "load data" button, a bad
file's path typed and Enter (nothing changes: a scene saved after it equals one saved before),
Esc, then a good file by Ctrl+D and a minibatch button; the scene saved with Ctrl+S names the
file, its SHA-256 and the batch. Skipped only when the Xvfb or xdotool binaries are missing."""
import hashlib
import os
import time
import tomllib

import pytest

from tests.render.app.test_window_x11 import _wait, launch, x_env, xdotool, xserver  # noqa: F401  (xserver is a fixture)

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("Xvfb") is None or __import__("shutil").which("xdotool") is None,
    reason="needs the Xvfb and xdotool binaries (apt-get install xvfb xdotool)",
)

SIZE = (1280, 800)
GOOD = "x,y\n0,1.0\n1,2.9\n2,5.1\n3,7.2\n4,8.8\n"


def panel_widgets(batch: int = 0, n: int = 40):
    """The panel's widgets as the window lays them out on linreg with gd (the geometry is pure)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()
    from render.controls.sections import State, build
    from render.controls.widget import WIDTH
    from render.controls.data_controls import DataState
    from sim.rules.dynamics import Rule
    from sim.data.catalog import POTENTIALS
    from sim.landscapes.tuning import suggestions

    pot = POTENTIALS["linreg"]
    rule = Rule("gd").with_step(suggestions(pot)[Rule("gd").family])
    data = DataState(("line",), "line", "", batch, n)
    st = State(rule, 1.0, rule.step_size, "linreg", list(POTENTIALS), {"trails": True, "data": True},
                 False, data)
    return build(pygame.Rect(SIZE[0] - WIDTH, 0, WIDTH, SIZE[1]), st)


def find(ws, label):
    for w in ws:
        if w.kind == "button" and w.label == label:
            return w
    raise LookupError(label)


def test_load_data_by_button_and_ctrl_d_bad_file_changes_nothing(xserver, tmp_path):  # noqa: F811
    env = x_env(xserver)
    xdo = xdotool(env)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n0,1\n1,abc\n")
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    app, win = launch(["--potential", "linreg", "--dynamics", "gd", "--particles", "12",
                       "--size", f"{SIZE[0]}x{SIZE[1]}"], tmp_path, env, xdo)
    ws = panel_widgets()

    def click(label):
        xdo("mousemove", "--window", win, *map(str, find(ws, label).rect.center), "click", "1")
        time.sleep(0.5)

    def saved(k):
        return _wait(lambda: (lambda f: f if len(f) >= k else None)(
            sorted(tmp_path.glob("newton-descent-*.toml"), key=lambda p: p.stat().st_mtime)), 15, "a scene")

    try:
        time.sleep(1.5)
        click("pause")
        xdo("key", "ctrl+s")  # (the panel's own button is scrolled out of sight on data landscapes)
        saved(1)
        click("load data (CSV file) …")
        xdo("type", "--delay", "30", str(bad))
        xdo("key", "Return")
        time.sleep(0.6)
        xdo("key", "Escape")  # the field stayed open with the message; Esc closes it (no quit)
        time.sleep(0.4)
        xdo("key", "ctrl+s")
        saved(2)
        xdo("key", "ctrl+d")
        time.sleep(0.4)
        xdo("type", "--delay", "30", str(good))
        xdo("key", "Return")
        time.sleep(0.8)
        ws = panel_widgets(0, 5)
        click("4")
        xdo("key", "ctrl+s")
        scenes = saved(3)
        assert app.poll() is None, "Escape in the path field quit the window"
        xdo("key", "q")
        status = app.wait(20)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    assert status == 0, app.stderr.read()
    first, after_bad, after_good = (tomllib.loads(p.read_text()) for p in scenes[:3])
    assert first["landscape"] == after_bad["landscape"] and first["landscape"]["data"] == {"builtin": "line"}
    assert first["particles"] == after_bad["particles"] and first["rule"] == after_bad["rule"]
    assert after_good["landscape"]["potential"] == "linreg"
    assert after_good["landscape"]["data"] == {"file": str(good.resolve()),
                                               "sha256": hashlib.sha256(good.read_bytes()).hexdigest()}
    assert after_good["particles"]["pos"] == first["particles"]["pos"]  # paused: the balls stayed where they were
    from sim.scene.io import load_scene

    world, _ = load_scene(scenes[2])
    assert world.batch == 4 and world.potential.data.n == 5
