"""End to end under Xvfb + xdotool, as a new user would: open a lesson, run it, type a formula
in the editor, save the scene (Ctrl+S), record a GIF (F9 twice), open the next lesson (Ctrl+O),
quit. Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import time

import pytest

from tests.render.app.test_window_x11 import ROOT, _wait, launch, x_env, xdotool, xserver  # noqa: F401  (xserver is a fixture)

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("Xvfb") is None or __import__("shutil").which("xdotool") is None,
    reason="needs the Xvfb and xdotool binaries (apt-get install xvfb xdotool)",
)

FORMULA = "x**2 + y**2 + 0.5*x*y"


def test_lesson_formula_save_record_next_quit(xserver, tmp_path):  # noqa: F811
    env = x_env(xserver)
    xdo = xdotool(env)

    app, win = launch(["--scene", "ravine_gd_vs_momentum",
                            "--size", "960x600"], tmp_path, env, xdo)
    try:
        time.sleep(1.0)
        xdo("mousemove", "--window", win, "40", "300")
        xdo("key", "space")  # hides the caption card and runs the lesson
        time.sleep(0.3)
        xdo("key", "e")  # the editor opens; this "e" is not typed
        xdo("type", "--delay", "40", FORMULA)
        xdo("key", "Return")
        time.sleep(0.5)
        xdo("key", "ctrl+s")
        scenes = _wait(lambda: sorted(tmp_path.glob("newton-descent-*.toml")), 10, "the scene file")
        xdo("key", "F9")
        time.sleep(1.2)
        xdo("key", "F9")
        gifs = _wait(lambda: sorted(tmp_path.glob("newton-descent-*.gif")), 10, "the GIF")
        xdo("key", "ctrl+o")
        time.sleep(0.5)
        xdo("key", "q")
        status = app.wait(20)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    assert status == 0, app.stderr.read()
    assert not list(tmp_path.glob("*.png"))  # Ctrl+S did not take S's screenshot

    from PIL import Image

    from sim.scene.io import load_scene

    world, info = load_scene(scenes[0])
    assert world.potential.formula == FORMULA
    assert info.title == ""  # a new landscape is no longer the lesson
    assert world.n == 2 and world.tick_count > 0
    with Image.open(gifs[0]) as im:
        assert im.size == (640, 400) and im.n_frames >= 5
