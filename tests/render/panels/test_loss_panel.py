"""The loss panel in the window, offscreen: Ctrl+G shows it, its curve is drawn in each rule's
colour, the numbers it shows are the ones --report writes and they equal the exact discrete
map (gd on the bowl), a rewind drops the samples after it, and the control panel has its button."""
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.map.palette import rule_palette  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from tests.support.apps import app_on  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SIZE = (1100, 760)
pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def _app(rule, starts, potential="bowl"):
    return app_on(potential, rule, size=SIZE, balls=starts)


def _draw(app):
    surf = pygame.Surface(SIZE, 0, 32)
    app.draw(surf)
    return surf


def _ctrl_g(app):
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_g, mod=pygame.KMOD_CTRL, unicode="\x07",
                                  scancode=0))


def test_ctrl_g_shows_the_curve_in_each_rules_colour():
    app = _app(Rule("gd", lr=0.05), [(2.0, 1.0), (-1.5, 0.5)], "ravine")
    m = app.world.add_rule(Rule("momentum", lr=0.01, beta=0.9))
    app.world.drop(np.array([[1.0, -1.0]]), rule_id=m)
    _ctrl_g(app)
    assert app.instruments.states()["loss"]
    for _ in range(30):
        app.update(1 / 60)
    surf = _draw(app)
    rect = app.instruments.rects["loss"]
    assert surf.get_rect().contains(rect)
    pixels = pygame.surfarray.array3d(surf.subsurface(rect)).astype(int)
    for color in rule_palette(app.world.rules):  # each lane's line (and its chip) in its colour
        assert int((np.abs(pixels - np.array(color)).max(axis=2) <= 8).sum()) >= 20, color
    _ctrl_g(app)
    app.update(1 / 60)
    _draw(app)
    assert not app.instruments.states()["loss"] and "loss" not in app.instruments.rects


def test_what_the_panel_shows_is_the_exact_map_and_a_rewind_drops_the_later_samples():
    lr, starts = 0.05, np.array([(2.0, 1.0), (-1.5, 0.5)])
    app = _app(Rule("gd", lr=lr), starts)
    app.instruments.set("loss", True)
    for _ in range(20):
        app.update(1 / 60)
    _draw(app)
    got = app.instruments.readouts["loss"]
    t = app.world.tick_count
    assert t > 0 and got["tick"] == t
    v0 = 0.5 * (starts ** 2).sum(axis=1).mean()
    assert got["lanes"][0]["loss"] == pytest.approx(v0 * (1 - lr) ** (2 * t), rel=1e-12)
    series = app.instruments.panels["loss"].series
    assert series.last_tick == t
    ticks, values = series.ticks(), series.values()[:, 0]
    assert values == pytest.approx(v0 * (1 - lr) ** (2 * ticks), rel=1e-12)  # every sample
    app.runtime.scrub(t // 2)
    app.update(1 / 60)
    _draw(app)
    back = app.world.tick_count
    assert back < t and series.last_tick is not None and series.last_tick <= back
    assert series.ticks() == pytest.approx(ticks[ticks <= back])  # the history up to the cursor stays


def test_report_writes_the_loss_panel_and_the_control_panel_has_its_button(tmp_path):
    out = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "main.py", "--headless", "--frames", "30", "--potential", "bowl",
                          "--dynamics", "gd", "--lr", "0.05", "--start=2,1", "--start=-1.5,0.5",
                          "--show", "loss,controls", "--report", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rep = json.loads(out.read_text())
    t = rep["loss.tick"]
    assert rep["loss.quantity"] == "V − V*" and rep["loss.floor"] == 0.0 and rep["loss.log"] is True
    v0 = 0.5 * (4 + 1 + 2.25 + 0.25) / 2
    assert rep["loss.lanes"][0]["loss"] == pytest.approx(v0 * 0.95 ** (2 * t), rel=1e-12)
    bad = subprocess.run([sys.executable, "main.py", "--headless", "--frames", "1", "--show", "losss"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown instrument 'losss'" in bad.stderr and "loss" in bad.stderr
    from render.controls.sections import TOGGLES
    from render.input.keys import Cmd
    assert ("loss", Cmd.INSTRUMENT) in TOGGLES
