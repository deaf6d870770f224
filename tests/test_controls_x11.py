"""The control panel in the real window under Xvfb, driven only by the mouse (xdotool): switch
the rule with a button, drag the step-size slider, type β into its number, toggle an
instrument, save the scene with the panel's button; the saved scene says what happened.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import math
import os
import time

import pytest

from test_window_x11 import ROOT, _wait, launch, x_env, xdotool, xserver  # noqa: F401  (xserver is a fixture)

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("Xvfb") is None or __import__("shutil").which("xdotool") is None,
    reason="needs the Xvfb and xdotool binaries (apt-get install xvfb xdotool)",
)

SIZE = (1280, 800)


def widgets_for(rule_name: str, toggles: dict):
    """The panel's widgets as the window lays them out for this rule (the geometry is pure)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()
    from render import controls as C
    from sim.dynamics import Rule
    from sim.potentials import POTENTIALS
    from sim.tuning import suggestions

    pot = POTENTIALS["bowl"]
    rule = Rule(rule_name).with_step(suggestions(pot)[Rule(rule_name).family])
    st = C.State(rule, 1.0, rule.step_size, "bowl", list(POTENTIALS), toggles, False)
    return C.build(pygame.Rect(SIZE[0] - C.WIDTH, 0, C.WIDTH, SIZE[1]), st)


def find(ws, kind, label=None, action=None):
    for w in ws:
        if w.kind == kind and (label is None or w.label == label) and (action is None or w.action == action):
            return w
    raise LookupError((kind, label, action))


def test_mouse_only_rule_slider_typed_value_instrument_save(xserver, tmp_path):  # noqa: F811

    env = x_env(xserver)
    xdo = xdotool(env)
    app, win = launch(["--potential", "bowl",
                            "--dynamics", "gd", "--size", f"{SIZE[0]}x{SIZE[1]}"], tmp_path, env, xdo)

    def click(x, y):
        xdo("mousemove", "--window", win, str(x), str(y), "click", "1")
        time.sleep(0.4)

    try:
        time.sleep(1.5)
        gd = widgets_for("gd", {"trails": True})
        click(*find(gd, "button", "momentum").rect.center)
        mom = widgets_for("momentum", {"trails": True})
        track = find(mom, "slider", action="step")
        x0, x1, y = track.rect.x + track.rect.w // 2, track.rect.x + 3 * track.rect.w // 4, track.rect.centery
        xdo("mousemove", "--window", win, str(x0), str(y), "mousedown", "1")
        time.sleep(0.3)
        xdo("mousemove", "--window", win, str(x1), str(y))
        time.sleep(0.3)
        xdo("mouseup", "1")
        time.sleep(0.4)
        click(*find(mom, "value", action="beta").rect.center)
        xdo("type", "--delay", "50", "0.5")
        xdo("key", "Return")
        time.sleep(0.4)
        click(*find(mom, "button", "ledger").rect.center)
        click(*find(mom, "button", "save scene").rect.center)
        scenes = _wait(lambda: sorted(tmp_path.glob("newton-descent-*.toml")), 15, "the saved scene")
        xdo("key", "q")
        status = app.wait(20)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    assert status == 0, app.stderr.read()
    from sim.scene import load_scene

    world, info = load_scene(scenes[0])
    assert world.rule.name == "momentum" and world.rule.beta == 0.5
    f = (x1 - track.rect.x) / track.rect.w  # three quarters along a log slider around 0.02
    assert world.rule.lr == pytest.approx(math.exp(math.log(track.lo) + f * (math.log(track.hi)
                                                                             - math.log(track.lo))),
                                          rel=1e-9)
    assert info.instruments.get("ledger") is True
