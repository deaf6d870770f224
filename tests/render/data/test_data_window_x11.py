"""Data in the real window under Xvfb, driven by xdotool: the panel's "load data" button, a bad
file's path typed and Enter (nothing changes: a scene saved after it equals one saved before),
Esc, then a good file by Ctrl+D and a minibatch button; the scene saved with Ctrl+S names the
file, its SHA-256 and the batch. Skipped only when the Xvfb or xdotool binaries are missing."""
import hashlib
import time
import tomllib

from tests.support.apps import panel_widgets as widgets
from tests.support.x11 import NEEDS_X11, quit_app, running, scenes_saved

pytestmark = NEEDS_X11

SIZE = (1280, 800)
GOOD = "x,y\n0,1.0\n1,2.9\n2,5.1\n3,7.2\n4,8.8\n"


def panel_widgets(batch: int = 0, n: int = 40):
    """The panel's widgets as the window lays them out on linreg with gd."""
    from render.controls.data_controls import DataState

    return widgets("linreg", "gd", {"trails": True, "data": True}, SIZE, DataState(("line",), "line", "", batch, n))


def find(ws, label):
    for w in ws:
        if w.kind == "button" and w.label == label:
            return w
    raise LookupError(label)


def test_load_data_by_button_and_ctrl_d_bad_file_changes_nothing(xserver, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n0,1\n1,abc\n")
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    with running(xserver, ["--potential", "linreg", "--dynamics", "gd", "--particles", "12",
                           "--size", f"{SIZE[0]}x{SIZE[1]}"], tmp_path) as (app, win, xdo, _):
        ws = panel_widgets()

        def click(label):
            xdo("mousemove", "--window", win, *map(str, find(ws, label).rect.center), "click", "1")
            time.sleep(0.5)

        def saved(k):
            return scenes_saved(tmp_path, k)

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
        status = quit_app(app, xdo)
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
