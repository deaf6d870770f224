"""The control panel: its geometry at every window size, and that each control issues the
same command its key does (checked on the runtime's state, not on the panel's)."""
from __future__ import annotations

import math
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.controls.controls import ControlPanel  # noqa: E402
from render.controls.sections import State, build, panel_state, slider_names  # noqa: E402
from render.controls.widget import TAB, WIDTH  # noqa: E402
from render.input import keys  # noqa: E402
from sim.rules.dynamics import RULES, Rule  # noqa: E402
from tests.support.apps import app_on, frame_at  # noqa: E402

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1280, 800)


def make_app(rule=None, size=SIZE):
    return app_on("bowl", rule or Rule("momentum", lr=0.02), size, balls=5, instruments={"controls": True})


frame = frame_at(SIZE)


def widget(app, kind, label=None, action=None):
    for w in app.controls.widgets:
        if w.kind == kind and (label is None or w.label == label) and (action is None or w.action == action):
            return w
    raise LookupError((kind, label, action))


def click(app, pos, button=1):
    ev = pygame.event.Event
    app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=pos, button=button, mod=0))
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=pos, button=button, mod=0))


@pytest.mark.parametrize("size", [(960, 600), (1280, 800), (1600, 900), (1920, 1080)])
@pytest.mark.parametrize("rule", ["gd", "momentum", "adam", "newton", "langevin"])
def test_widgets_fit_the_panel_and_never_overlap(size, rule):
    from sim.data.catalog import POTENTIALS

    st = State(Rule(rule), 1.0, 0.01, "bowl", list(POTENTIALS), {}, False)
    rect = pygame.Rect(size[0] - WIDTH, 0, WIDTH, size[1])
    ws = build(rect, st)
    boxes = [w.rect for w in ws]
    for w in ws:
        assert rect.left <= w.rect.left and w.rect.right <= rect.right, w.label
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.colliderect(b), (a, b)


def test_the_panel_shows_only_the_sliders_the_rule_reads():
    assert slider_names(Rule("gd")) == ["step", "time_scale"]
    assert slider_names(Rule("momentum")) == ["step", "beta", "time_scale"]
    assert slider_names(Rule("newton")) == ["step", "mass", "friction", "time_scale"]
    assert slider_names(Rule("langevin")) == ["step", "mass", "friction", "temperature", "time_scale"]


def test_every_key_command_has_a_control_or_a_slider():
    from render.controls.data_controls import DataState  # the data section (data landscapes) has the rest

    st = State(Rule("langevin"), 1.0, 0.01, "bowl", ["p"], {}, False,
                 DataState(("blobs", "moons"), "moons", "moons, 64 rows", 0, 64))
    ws = build(pygame.Rect(0, 0, WIDTH, 2000), st)
    cmds = {w.action[0] for w in ws if w.kind == "button"}
    sliders = {w.action for w in ws if w.kind == "slider"}
    by_slider = {keys.Cmd.STEP_SIZE: "step", keys.Cmd.FRICTION: "friction",
                 keys.Cmd.TEMPERATURE: "temperature", keys.Cmd.TIME_SCALE: "time_scale",
                 keys.Cmd.MASS: "mass"}
    for b in keys.KEYS:
        if b.command in (keys.Cmd.QUIT, keys.Cmd.CONTROLS, keys.Cmd.CYCLE_RULE,
                         keys.Cmd.CYCLE_POTENTIAL):  # the window's close button, the tab, lists
            continue
        assert b.command in cmds or by_slider.get(b.command) in sliders, b.command


def test_the_map_shrinks_beside_the_panel_and_home_fits_what_is_left():
    app = make_app()
    frame(app)
    assert app.view.w == SIZE[0] - WIDTH and app.view.h == SIZE[1]
    assert app.view == app.camera.home
    x0, x1, y0, y1 = app.view.rect()
    vx0, vx1, vy0, vy1 = app.world.potential.view
    assert x0 <= vx0 and x1 >= vx1 and y0 <= vy0 and y1 >= vy1  # the landscape fits, whole
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_p, mod=0, unicode="p", scancode=0))
    frame(app)
    assert not app.controls.open and app.view.w == SIZE[0] - TAB


def test_a_rule_button_switches_the_rule_as_its_key_does():
    app = make_app()
    frame(app)
    from sim.rules import registry
    for name in RULES:
        head = widget(app, "group", registry.get(name).group)
        if not head.value:  # a collapsed group: its heading opens it
            click(app, head.rect.center)
            frame(app)
        click(app, widget(app, "button", name).rect.center)
        frame(app)
        assert app.world.rule.name == name
        assert widget(app, "button", name).lit


def test_dragging_the_step_slider_moves_lr_logarithmically():
    app = make_app()
    frame(app)
    track = widget(app, "slider", action="step").rect
    lo, hi = widget(app, "slider", action="step").lo, widget(app, "slider", action="step").hi
    ev = pygame.event.Event
    app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=(track.x + track.w // 4, track.centery), button=1, mod=0))
    lr_a = app.world.rule.lr
    app.handle(ev(pygame.MOUSEMOTION, pos=(track.x + 3 * track.w // 4, track.centery), rel=(1, 0),
                  buttons=(1, 0, 0)))
    lr_b = app.world.rule.lr
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=(track.x + 3 * track.w // 4, track.centery), button=1, mod=0))
    # a quarter and three quarters of the way on a log scale from lo to hi
    want_a = math.exp(math.log(lo) + (track.w // 4) / track.w * (math.log(hi) - math.log(lo)))
    want_b = math.exp(math.log(lo) + (3 * track.w // 4) / track.w * (math.log(hi) - math.log(lo)))
    assert lr_a == pytest.approx(want_a, rel=1e-12) and lr_b == pytest.approx(want_b, rel=1e-12)
    assert app.runtime.params.steps[app.world.rule.family] == lr_b  # remembered, as the keys do
    assert app.world.n == 5  # no ball was dropped by the drag


def test_typing_a_value_sets_it_exactly_and_bad_text_changes_nothing():
    app = make_app()
    frame(app)
    click(app, widget(app, "value", action="beta").rect.center)

    def type_text(s):
        for ch in s:
            app.handle(pygame.event.Event(pygame.KEYDOWN, key=ord(ch) if ch.isalnum() else 0, mod=0,
                                          unicode=ch, scancode=0))
        app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r", scancode=0))

    type_text("0.75")
    assert app.world.rule.beta == 0.75
    click(app, widget(app, "value", action="beta").rect.center)
    type_text("1e")  # not a number
    assert app.world.rule.beta == 0.75 and app.controls.typing[2] == "not a number"
    frame(app)  # the field shows the error
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=0))
    assert app.controls.typing is None and app.running  # Esc leaves the field, not the program
    click(app, widget(app, "value", action="beta").rect.center)
    type_text("2")  # out of range: the runtime refuses, with a message
    assert app.world.rule.beta == 0.75 and "beta" in app.notices.toast[0]


def test_instrument_buttons_toggle_what_their_keys_toggle():
    app = make_app()
    frame(app)
    for name in ("ledger", "stability", "race", "field"):
        before = app.instrument_states()[name]
        click(app, widget(app, "button", name).rect.center)
        frame(app)
        assert app.instrument_states()[name] is (not before)


def test_panel_is_drawn_in_the_theme_and_the_hover_shows_the_key():
    app = make_app()
    surf = frame(app)
    name = app.world.rule.name  # the current rule's group is always open (25 rules: others may fold)
    button = widget(app, "button", name)
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=button.rect.center, rel=(0, 0), buttons=(0, 0, 0)))
    surf = frame(app)
    assert app.controls.hover is not None and app.controls.hover.label == name
    # the panel's background is the HUD's dark panel colour, not the map
    px = np.array(surf.get_at((SIZE[0] - 5, SIZE[1] - 5))[:3])
    assert px.max() < 40


def test_ctrl_t_and_the_schedule_button_cycle_the_lr_schedule():
    app = make_app(Rule("gd", lr=0.01))
    frame(app)
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_t, mod=pygame.KMOD_CTRL, unicode="\x14",
                                  scancode=0))
    assert app.world.rule.schedule == "cosine:2000"
    click(app, widget(app, "button", "lr schedule").rect.center)
    assert app.world.rule.schedule == "step:500:0.5"
    # the schedule is torch's StepLR: after 500 of a ball's steps its lr is halved
    from sim.rules.schedules import lr_factor, parse_schedule

    assert lr_factor(parse_schedule("step:500:0.5"), np.array([499, 500]))[1] == 0.5
    app.runtime.switch.set_rule("newton")
    app.runtime.params.cycle_schedule()  # not for newton: a message, nothing changes
    assert app.notices.toast[3] != (236, 237, 242)


def test_a_panel_taller_than_the_window_says_there_is_more_below_until_scrolled_there():
    """960x600: the panel's content is taller than the window. Its bottom band reads in the
    accent colour (the "more below" hint) until the wheel has scrolled to the end; a tall
    window that fits everything shows no hint."""
    small = (960, 600)
    app = make_app(size=small)
    surf = frame(app, small)
    rect = app.controls.rect
    band = pygame.Rect(rect.x, rect.bottom - 14, rect.w - 6, 12)
    assert count_accent(surf, band) > 20
    app.controls.scroll = 10_000  # past the end: drawing clamps it to the end
    surf = frame(app, small)
    assert count_accent(surf, band) == 0
    tall = (1280, 1080)
    app = make_app(size=tall)
    surf = frame(app, tall)
    rect = app.controls.rect
    assert count_accent(surf, pygame.Rect(rect.x, rect.bottom - 14, rect.w - 6, 12)) == 0


def count_accent(surf, rect):
    from render.look.theme import ACCENT

    a = pygame.surfarray.array3d(surf.subsurface(rect)).astype(int)
    return int((np.abs(a - np.array(ACCENT)).max(axis=2) <= 40).sum())


def test_the_panels_picture_is_redrawn_when_a_sliders_range_moves():
    """The panel reuses last frame's pixels when its widgets are unchanged; a slider whose range
    moved (the step's range follows the remembered step) with the same value is a change: the
    picture must equal a fresh draw of the new state."""
    import dataclasses

    app = make_app(rule=Rule("newton", dt=0.005))
    frame(app)
    st = panel_state(app.runtime, app.show, app.instruments, app.potentials)
    rect = pygame.Rect(0, 0, WIDTH, 800)
    surf = pygame.Surface((WIDTH, 800), 0, 32)
    app.controls.draw(surf, rect, dataclasses.replace(st, step_memory=0.005))
    app.controls.draw(surf, rect, dataclasses.replace(st, step_memory=0.5))
    cached = pygame.surfarray.array3d(surf).copy()
    fresh = ControlPanel(app.fonts, lambda *a: None, lambda *a: None)
    fresh.draw(surf, rect, dataclasses.replace(st, step_memory=0.5))
    assert np.array_equal(cached, pygame.surfarray.array3d(surf))
