"""End to end under Xvfb + xdotool, as a new user would: open a lesson, run it, type a formula
in the editor, save the scene (Ctrl+S), record a GIF (F9 twice), open the next lesson (Ctrl+O),
quit. Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import time

from tests.support.x11 import NEEDS_X11, quit_app, running, wait_for

pytestmark = NEEDS_X11

FORMULA = "x**2 + y**2 + 0.5*x*y"


def test_lesson_formula_save_record_next_quit(xserver, tmp_path):
    with running(xserver, ["--scene", "ravine_gd_vs_momentum", "--size", "960x600"], tmp_path) as (app, win, xdo, _):
        time.sleep(1.0)
        xdo("mousemove", "--window", win, "40", "300")
        xdo("key", "space")  # hides the caption card and runs the lesson
        time.sleep(0.3)
        xdo("key", "e")  # the editor opens; this "e" is not typed
        xdo("type", "--delay", "40", FORMULA)
        xdo("key", "Return")
        time.sleep(0.5)
        xdo("key", "ctrl+s")
        scenes = wait_for(lambda: sorted(tmp_path.glob("newton-descent-*.toml")), 10, "the scene file")
        xdo("key", "F9")
        time.sleep(1.2)
        xdo("key", "F9")
        gifs = wait_for(lambda: sorted(tmp_path.glob("newton-descent-*.gif")), 10, "the GIF")
        xdo("key", "ctrl+o")
        time.sleep(0.5)
        status = quit_app(app, xdo)
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
