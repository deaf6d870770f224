"""The control panel in the real window under Xvfb, driven only by the mouse (xdotool): switch
the rule with a button, drag the step-size slider, type β into its number, toggle an
instrument, save the scene with the panel's button; the saved scene says what happened.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import math
import time

import pytest

from tests.support.apps import panel_widgets
from tests.support.x11 import NEEDS_X11, quit_app, running, scenes_saved

pytestmark = NEEDS_X11

SIZE = (1280, 800)


def widgets_for(rule_name: str, toggles: dict):
    """The panel's widgets as the window lays them out for this rule on bowl."""
    return panel_widgets("bowl", rule_name, toggles, SIZE)


def find(ws, kind, label=None, action=None):
    for w in ws:
        if w.kind == kind and (label is None or w.label == label) and (action is None or w.action == action):
            return w
    raise LookupError((kind, label, action))


def test_mouse_only_rule_slider_typed_value_instrument_save(xserver, tmp_path):
    with running(xserver, ["--potential", "bowl", "--dynamics", "gd", "--size", f"{SIZE[0]}x{SIZE[1]}"],
                 tmp_path) as (app, win, xdo, _):

        def click(x, y):
            xdo("mousemove", "--window", win, str(x), str(y), "click", "1")
            time.sleep(0.4)

        def saved(k):
            return scenes_saved(tmp_path, k)

        time.sleep(2.0)  # some ticks to scrub back over
        gd = widgets_for("gd", {"trails": True})
        click(*find(gd, "button", "pause").rect.center)
        click(*find(gd, "button", "save scene").rect.center)
        saved(1)
        strip_y = SIZE[1] - 20  # the timeline strip along the bottom of the map
        xdo("mousemove", "--window", win, "700", str(strip_y), "mousedown", "1")
        time.sleep(0.3)
        xdo("mousemove", "--window", win, "400", str(strip_y))
        time.sleep(0.3)
        xdo("mousemove", "--window", win, "300", str(strip_y), "mouseup", "1")
        time.sleep(0.5)
        click(*find(gd, "button", "save scene").rect.center)
        saved(2)
        click(150, 150)  # a ball dropped (far from the others), chosen by a click on it, one step
        click(150, 150)
        click(*find(gd, "button", "step").rect.center)
        click(*find(gd, "button", "save scene").rect.center)
        saved(3)
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
        scenes = saved(4)
        status = quit_app(app, xdo)
    assert status == 0, app.stderr.read()
    from sim.scene.io import load_scene

    (first, _), (back, _), (stepped, _), (world, info) = (load_scene(p) for p in scenes[:4])
    assert 0 < back.tick_count < first.tick_count  # the strip took the world back
    assert stepped.tick_count == back.tick_count + 1 and stepped.n == back.n + 1
    assert world.rule.name == "momentum" and world.rule.beta == 0.5
    f = (x1 - track.rect.x) / track.rect.w  # three quarters along a log slider around 0.02
    assert world.rule.lr == pytest.approx(math.exp(math.log(track.lo) + f * (math.log(track.hi)
                                                                             - math.log(track.lo))),
                                          rel=1e-9)
    assert info.instruments.get("ledger") is True
