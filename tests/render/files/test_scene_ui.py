"""The window's scene controls, offscreen: formula editor (E), scenes (--scene, Ctrl+S, Ctrl+O),
the caption card, recording (F9, --record), write failures as messages, the ball limit."""
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
from PIL import Image  # noqa: E402

import main as cli  # noqa: E402
from render.input import keys  # noqa: E402
from render.look.theme import WARN  # noqa: E402
from render.app.app import App  # noqa: E402
from render.app.loop import run  # noqa: E402
from render.look.theme import REC_DOT as DOT_COLOR  # noqa: E402
from render.look.view import View  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.landscapes.formula.parser import normalize_formula  # noqa: E402
from sim.runtime import balls  # noqa: E402
from sim.scene.presets import find_scene, list_presets  # noqa: E402
from sim.scene.io import load_scene  # noqa: E402
from tests.support.apps import app_on, frame_at, key  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SIZE = (640, 400)


pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def make_app(potential="bowl", rule=None, size=SIZE, headless=True, balls=3):
    return app_on(potential, rule or Rule("momentum", lr=0.02), size, balls=balls, headless=headless)


frame = frame_at(SIZE, update=False)


def text(app, s):
    app.handle(pygame.event.Event(pygame.TEXTINPUT, text=s))


def press_e(app):
    """E as SDL delivers it: the key, then the character it types."""
    key(app, pygame.K_e, "e")
    text(app, "e")


def click(app, pos, button=1, mod=0):
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button, mod=mod))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button, mod=mod))


def ctrl(app, k, shift=False):
    mod = pygame.KMOD_CTRL | (pygame.KMOD_SHIFT if shift else 0)
    key(app, k, "", mod)


def gif_frames(path):
    with Image.open(path) as im:
        return im.n_frames, im.size


# -- the key table ----------------------------------------------------------------------------

def test_ctrl_s_and_ctrl_o_are_looked_up_before_s_and_o():
    ev = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=pygame.KMOD_CTRL, unicode="\x13")
    assert keys.lookup(ev).command is keys.Cmd.SAVE_SCENE
    ev = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0, unicode="s")
    assert keys.lookup(ev).command is keys.Cmd.SCREENSHOT
    ev = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_o, mod=pygame.KMOD_LCTRL, unicode="")
    assert keys.lookup(ev).command is keys.Cmd.NEXT_SCENE
    ev = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_o,
                            mod=pygame.KMOD_CTRL | pygame.KMOD_SHIFT, unicode="")
    assert keys.lookup(ev).command is keys.Cmd.NEXT_SCENE  # Shift reverses it (scene_ui)
    ev = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F9, mod=0, unicode="")
    assert keys.lookup(ev).command is keys.Cmd.RECORD
    ev = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F9, mod=pygame.KMOD_SHIFT, unicode="")
    assert keys.lookup(ev).command is keys.Cmd.RECORD  # Shift: MP4 (scene_ui)


def test_help_lists_the_scene_keys():
    rows = dict(keys.help_lines())
    for k in ("Ctrl+S", "Ctrl+O", "E", "F9", "?"):
        assert k in rows, k
    assert "formula" in rows["E"] and "GIF" in rows["F9"] and "MP4" in rows["F9"]
    assert "Shift: previous" in rows["Ctrl+O"]


# -- the formula editor -----------------------------------------------------------------------

def test_e_opens_the_editor_and_enter_replaces_the_landscape_keeping_the_balls():
    app = make_app()
    before = app.world.particles.pos.copy()
    press_e(app)
    ed = app.scene_ui.editor
    assert ed.active and ed.text == ""  # the "e" that opened it was not typed
    for ch in "x**2 + 3*y":
        text(app, ch)
    text(app, "**2 + sin(x*y)")
    assert ed.text == "x**2 + 3*y**2 + sin(x*y)" and ed.error is None
    frame(app)  # drawn while open
    key(app, pygame.K_RETURN)
    assert not ed.active
    pot = app.world.potential
    assert pot.formula == normalize_formula("x**2 + 3*y**2 + sin(x*y)")
    assert np.array_equal(app.world.particles.pos, before)  # balls stay where they are
    assert app.view == View.fit(pot.view, SIZE)  # the view fits the new function
    frame(app)
    # E again starts from the formula on screen; Up recalls it too
    press_e(app)
    assert ed.text == pot.formula


def test_keys_typed_into_the_editor_run_no_commands():
    app = make_app()
    press_e(app)
    for k, ch in ((pygame.K_q, "q"), (pygame.K_1, "1"), (pygame.K_c, "c"), (pygame.K_SPACE, " ")):
        key(app, k, ch)
        text(app, ch)
    assert app.running and not app.runtime.paused and app.world.n == 3
    assert app.world.potential.name == "bowl"
    assert app.scene_ui.editor.text == "q1c "


def test_a_bad_formula_shows_the_error_and_enter_does_nothing():
    app = make_app()
    press_e(app)
    text(app, "x**2 + * y")
    ed = app.scene_ui.editor
    assert ed.error and ed.error_pos == 7
    surf = frame(app)
    # the error is drawn in red along the bottom strip
    strip = pygame.surfarray.array3d(surf)[:, SIZE[1] - 90:, :].reshape(-1, 3)
    red = (strip[:, 0] > 200) & (strip[:, 1] < 110) & (strip[:, 2] < 110)
    assert red.sum() > 20
    key(app, pygame.K_RETURN)
    assert ed.active and app.world.potential.name == "bowl"
    key(app, pygame.K_ESCAPE)  # Escape cancels (and does not quit)
    assert not ed.active and app.running and app.world.potential.name == "bowl"


def test_escape_cancels_and_up_down_recall_earlier_formulas():
    app = make_app()
    for f in ("x**2 + y**2", "x**4 + y**2"):
        press_e(app)
        key(app, pygame.K_u, "", pygame.KMOD_CTRL)  # clear the line
        text(app, f)
        key(app, pygame.K_RETURN)
    assert app.world.potential.formula == normalize_formula("x**4 + y**2")
    press_e(app)
    ed = app.scene_ui.editor
    key(app, pygame.K_u, "", pygame.KMOD_CTRL)
    key(app, pygame.K_UP)
    assert ed.text == "x**4 + y**2"
    key(app, pygame.K_UP)
    assert ed.text == "x**2 + y**2"
    key(app, pygame.K_DOWN)
    assert ed.text == "x**4 + y**2"
    text(app, " + 1")
    key(app, pygame.K_ESCAPE)
    assert not ed.active and app.running
    assert app.world.potential.formula == normalize_formula("x**4 + y**2")


# -- scenes: Ctrl+S, Ctrl+O, --scene --------------------------------------------------------

def test_ctrl_s_saves_a_scene_that_loads_back_to_the_same_state(in_tmp):
    app = make_app(rule=Rule("newton", dt=0.02, friction=0.3))
    app.world.drop(np.array([[1.0, -0.5]]), np.array([[0.3, 0.7]]))
    for _ in range(10):
        app.update(1 / 60)
    app.map.zoom((100, 120), 1.7)
    app.toggle("field")
    ctrl(app, pygame.K_s)
    files = sorted(in_tmp.glob("newton-descent-*.toml"))
    assert len(files) == 1
    assert not list(in_tmp.glob("*.png"))  # Ctrl+S is not S: no screenshot
    assert str(files[0]) in app.notices.message[0]
    frame(app)
    world, info = load_scene(files[0])
    w0 = app.world
    assert np.array_equal(world.particles.pos, w0.particles.pos)
    assert np.array_equal(world.particles.vel, w0.particles.vel)
    assert world.rule == w0.rule and world.tick_count == w0.tick_count
    assert info.instruments["field"] is True and info.instruments["trails"] is True
    # the same view comes back in a window of the same size
    other = make_app(balls=0)
    other.scene_ui.open_scene(world, info, files[0])
    assert other.view.scale == pytest.approx(app.view.scale, rel=1e-12)
    assert (other.view.cx, other.view.cy) == pytest.approx((app.view.cx, app.view.cy), abs=1e-12)
    assert other.show["field"]
    # and it continues exactly as the saved world does
    w0.tick(25)
    world.tick(25)
    assert np.array_equal(world.particles.pos, w0.particles.pos)
    # a second save in the same second is a second file
    ctrl(app, pygame.K_s)
    assert len(sorted(in_tmp.glob("newton-descent-*.toml"))) == 2


def test_home_returns_to_the_scene_view_until_the_landscape_changes(in_tmp):
    app = make_app()
    app.map.zoom((300, 200), 2.5)  # a close-up, saved with the scene
    ctrl(app, pygame.K_s)
    world, info = load_scene(sorted(in_tmp.glob("newton-descent-*.toml"))[0])
    other = make_app(balls=0)
    landscape_home = other.view
    other.scene_ui.open_scene(world, info)
    scene_view = other.view
    assert scene_view.scale == pytest.approx(app.view.scale, rel=1e-12)
    assert scene_view.scale != pytest.approx(landscape_home.scale, rel=1e-3)
    other.map.zoom((100, 100), 0.3)
    key(other, pygame.K_HOME)
    assert other.view == scene_view  # Home: the scene's view, not the landscape's
    other.camera.resize((SIZE[0] + 200, SIZE[1]))  # at home, a resize keeps the scene's framing
    assert other.view.rect()[0] <= scene_view.rect()[0] and other.view.rect()[1] >= scene_view.rect()[1]
    assert other.view.scale == pytest.approx(scene_view.scale, rel=1e-9)
    other.commands.cycle_potential(1)
    key(other, pygame.K_HOME)  # a new landscape: Home fits the landscape again
    assert other.view == View.fit(other.world.potential.view, (other.view.w, other.view.h))


def test_a_scene_that_cannot_be_saved_is_a_message_and_nothing_is_lost(tmp_path, monkeypatch):
    app = make_app()
    before = app.world.particles.pos.copy()
    monkeypatch.setattr(os, "getcwd", lambda: str(tmp_path / "gone"))
    ctrl(app, pygame.K_s)
    assert app.notices.message[0].startswith("scene not saved") and app.notices.message[3] == WARN
    assert app.running and np.array_equal(app.world.particles.pos, before)
    frame(app)
    key(app, pygame.K_F9)  # a recording that cannot start: a message too
    assert app.notices.message[0].startswith("recording not started")
    assert not app.recording.recorder.recording
    frame(app)
    key(app, pygame.K_s, "s")
    frame(app)
    assert app.notices.message[0].startswith("screenshot failed") and app.running


def test_ctrl_o_cycles_through_the_presets(in_tmp):
    names = [n for n, _ in list_presets()]
    assert len(names) >= 6
    app = make_app()
    ctrl(app, pygame.K_o)
    assert app.scene_ui.title == dict(list_presets())[names[0]]
    assert app.scene_ui.caption_open and app.runtime.paused
    frame(app)
    ctrl(app, pygame.K_o)
    assert app.scene_ui.title == dict(list_presets())[names[1]]
    ctrl(app, pygame.K_o, shift=True)
    assert app.scene_ui.title == dict(list_presets())[names[0]]
    ctrl(app, pygame.K_o, shift=True)  # wraps around
    assert app.scene_ui.title == dict(list_presets())[names[-1]]
    frame(app)
    # a scene saved here joins the cycle after the presets
    ctrl(app, pygame.K_s)
    saved = next(in_tmp.glob("newton-descent-*.toml"))
    files = app.scene_ui.scene_files()
    assert files[-1] == saved and len(files) == len(names) + 1


def test_a_broken_scene_file_is_a_message_and_the_world_stays(in_tmp, monkeypatch):
    bad = in_tmp / "broken.toml"
    bad.write_text('[landscape]\npotential = "nope"\n[rule]\nname = "gd"\n')
    app = make_app()
    world = app.world
    monkeypatch.setattr(app.scene_ui, "scene_files", lambda: [bad])
    ctrl(app, pygame.K_o)
    assert app.world is world
    assert app.notices.message[0].startswith("scene not opened: broken.toml") and "nope" in app.notices.message[0]
    frame(app)


def test_a_scene_opens_paused_with_its_caption_card_and_title():
    world, info = load_scene(find_scene("ravine_gd_vs_momentum"))
    app = App(world, SIZE, headless=True)
    app.scene_ui.open_scene(world, info, "ravine_gd_vs_momentum")
    assert app.runtime.paused and app.scene_ui.caption_open
    assert app.view == View.fit(info.view, SIZE)
    surf = frame(app)
    card = app.scene_ui.card_rect
    assert card is not None and card.top < SIZE[1] // 2
    px = pygame.surfarray.array3d(surf)[card.left:card.right, card.top:card.bottom].reshape(-1, 3)
    assert np.median(px.sum(axis=1)) < 120  # a dark card ...
    assert (px.min(axis=1) > 200).sum() > 200  # ... with light text on it
    app.update(0.5)
    assert world.tick_count == 0  # paused: nothing moves until Space
    key(app, pygame.K_SPACE, " ")
    assert not app.scene_ui.caption_open and not app.runtime.paused
    app.update(0.1)
    assert world.tick_count > 0
    frame(app)
    assert app.scene_ui.card_rect is None and app.scene_ui.title_rect is not None  # the title stays
    key(app, pygame.K_SLASH, "?", pygame.KMOD_SHIFT)  # ? shows the caption again
    assert app.scene_ui.caption_open
    key(app, pygame.K_ESCAPE)  # Esc hides the card, and does not quit
    assert not app.scene_ui.caption_open and app.running


def test_clicking_the_caption_card_hides_it_without_dropping_a_ball():
    world, info = load_scene(find_scene("heat_escape"))
    app = App(world, SIZE, headless=True)
    app.scene_ui.open_scene(world, info)
    frame(app)
    n = world.n
    click(app, app.scene_ui.card_rect.center)
    assert not app.scene_ui.caption_open and world.n == n
    frame(app)
    click(app, (SIZE[0] // 2, SIZE[1] - 60))  # elsewhere: a ball, as always
    assert world.n == n + 1


def test_scene_instruments_switch_on_what_the_window_knows():
    world, info = load_scene(find_scene("ravine_gd_vs_momentum"))
    info.instruments = {"trails": False, "field": True, "race": True, "made_up": True}
    app = App(world, SIZE, headless=True)
    seen = {}
    real = app.instruments.set
    app.instruments.set = lambda name, on: seen.__setitem__(name, on) or real(name, on)
    app.scene_ui.open_scene(world, info)
    assert app.show["trails"] is False and app.show["field"] is True and app.show["arrows"] is False
    assert seen["race"] is True and seen["basins"] is False and "made_up" not in seen  # ignored
    assert app.instruments.states()["race"] is True
    assert app.instrument_states()["field"] is True


def test_run_with_a_scene_headless_shows_the_caption_and_starts_paused(tmp_path, capsys):
    world, info = load_scene(find_scene("ravine_gd_vs_momentum"))
    shot = tmp_path / "s.png"
    assert run(potential=world.potential, rule=world.rule, scene=(world, info), frames=4,
               size=(1280, 800), screenshot=str(shot)) == 0
    assert world.tick_count == 0 and world.n == 2  # paused; no default balls added
    img = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    # the card: along the top, between the info panel and the colourbar
    probe = img[600:760, 20:120].reshape(-1, 3)
    assert np.median(probe.sum(axis=1)) < 120 and (probe.min(axis=1) > 200).any()
    # --play runs it (the caption stays)
    world, info = load_scene(find_scene("ravine_gd_vs_momentum"))
    assert run(potential=world.potential, rule=world.rule, scene=(world, info), frames=4,
               size=SIZE, play=True) == 0
    assert world.tick_count > 0


@pytest.mark.parametrize("name", [n for n, _ in list_presets()])
def test_every_preset_renders_headless(name, tmp_path):
    shot = tmp_path / "x.png"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "5",
                        "--scene", name, "--screenshot", str(shot), "--size", "480x300"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert pygame.image.load(str(shot)).get_size() == (480, 300)


def test_headless_screenshot_replaces_the_file_the_user_named(tmp_path, capsys):
    """A path given is the user's choice (as --dump and --report): replaced atomically; the
    window's own S names never overwrite (tests/test_atomic_files.py)."""
    shot = tmp_path / "x.png"
    shot.write_bytes(b"keep")
    assert run(potential="bowl", rule="gd", frames=2, size=(200, 150), screenshot=str(shot)) == 0
    assert shot.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


# -- recording ------------------------------------------------------------------------------

def test_f9_records_the_window_to_a_gif_without_the_red_dot(in_tmp):
    app = make_app(headless=False)
    frame(app)
    key(app, pygame.K_F9)
    assert app.recording.recorder.recording and app.notices.message is None  # no toast in the file
    surf = None
    for _ in range(9):
        app.update(1 / 60)
        surf = frame(app)
    # the dot is on screen ...
    px = pygame.surfarray.array3d(surf).reshape(-1, 3)
    assert (np.abs(px.astype(int) - DOT_COLOR).sum(axis=1) < 10).sum() > 50
    key(app, pygame.K_F9)
    assert not app.recording.recorder.recording
    gifs = list(in_tmp.glob("newton-descent-*.gif"))
    assert len(gifs) == 1 and str(gifs[0]) in app.notices.message[0]
    n, size = gif_frames(gifs[0])
    assert n == 5 and size == SIZE  # every 2nd of 9 frames: 30 fps from the 60 Hz loop
    # ... but not in the file
    with Image.open(gifs[0]) as im:
        for i in range(n):
            im.seek(i)
            rgb = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
            assert (np.abs(rgb - DOT_COLOR).sum(axis=1) < 40).sum() < 10
    px = pygame.surfarray.array3d(frame(app)).reshape(-1, 3)  # no REC dot once stopped
    assert (np.abs(px.astype(int) - DOT_COLOR).sum(axis=1) < 10).sum() == 0
    assert app.running


def test_quitting_while_recording_saves_the_recording(in_tmp, capsys):
    app = make_app()
    key(app, pygame.K_F9)
    for _ in range(4):
        frame(app)
    assert app.recording.close(0, report=print) == 0
    out = capsys.readouterr().out
    gif = next(in_tmp.glob("newton-descent-*.gif"))
    assert str(gif) in out and gif_frames(gif)[0] == 2


def test_headless_record_writes_the_frames_deterministically(tmp_path, capsys):
    a, b = tmp_path / "a.gif", tmp_path / "b.gif"
    args = ["--headless", "--frames", "11", "--potential", "himmelblau", "--particles", "50",
            "--size", "320x240"]
    assert cli.main(args + ["--record", str(a)]) == 0
    assert cli.main(args + ["--record", str(b)]) == 0
    assert f"6 frames -> {a}" in capsys.readouterr().out
    assert gif_frames(a) == (6, (320, 240))
    assert a.read_bytes() == b.read_bytes()
    # a scene recorded with --play moves; the same file name again is a new file
    assert cli.main(["--headless", "--frames", "4", "--scene", "heat_escape", "--play",
                     "--size", "320x240", "--record", str(a)]) == 0
    assert (tmp_path / "a-1.gif").exists() and gif_frames(tmp_path / "a-1.gif")[0] == 2


# -- the ball limit -------------------------------------------------------------------------

def test_the_ball_limit_is_a_message(monkeypatch):
    app = make_app(balls=0)
    app.runtime.balls.max_balls = 250
    click(app, (320, 200), mod=pygame.KMOD_SHIFT)  # a cloud of 200
    assert app.world.n == 200
    click(app, (300, 200), mod=pygame.KMOD_SHIFT)
    assert app.world.n == 200
    assert app.notices.message[0].startswith("ball limit reached") and "250" in app.notices.message[0]
    assert app.notices.message[3] == WARN
    frame(app)
    assert balls.WINDOW_MAX_BALLS == __import__("sim.core.particles").core.particles.MAX_PARTICLES
    # the program's own limit (sim.core.particles) is a message too
    import sim.core.particles as particles

    monkeypatch.setattr(particles, "MAX_PARTICLES", 201)
    app.runtime.balls.max_balls = 10**9
    click(app, (520, 300))  # away from the cloud (a click on a ball selects it)
    assert app.world.n == 201
    click(app, (560, 340))  # away from that ball (a click on a ball selects it)
    assert app.world.n == 201 and "limit" in app.notices.message[0]


def test_too_many_balls_on_the_command_line_is_one_line_and_status_2(capsys, monkeypatch):
    import sim.core.particles as particles

    monkeypatch.setattr(particles, "MAX_PARTICLES", 100)
    assert run(potential="bowl", rule="gd", frames=1, size=(100, 80), particles=101) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "limit" in err[0]


def test_a_new_landscape_drops_the_lessons_title_and_caption(in_tmp):
    app = make_app(balls=0)
    ctrl(app, pygame.K_o)  # lesson 1
    first = app.scene_ui.title
    assert first and app.scene_ui.caption
    ctrl(app, pygame.K_s)  # saving does not move the Ctrl+O position
    ctrl(app, pygame.K_o)
    assert app.scene_ui.title == list_presets()[1][1]
    press_e(app)
    text(app, "x**2 + y**2")
    key(app, pygame.K_RETURN)
    frame(app)
    assert app.scene_ui.title == "" and not app.scene_ui.caption_open
    path = app.scene_ui.save()
    world, info = load_scene(path)
    assert info.title == "" and info.caption == "" and world.potential.formula == "x**2 + y**2"


def test_shift_f9_without_imageio_ffmpeg_records_a_gif_and_says_so(in_tmp, monkeypatch):
    from render.files.recorder import Recorder

    monkeypatch.setattr("render.files.recorder.mp4_available", lambda: False)
    monkeypatch.setattr(Recorder, "_mp4_warned", False)
    app = make_app()
    key(app, pygame.K_F9, "", pygame.KMOD_SHIFT)
    rec = app.recording.recorder
    assert rec.recording and rec.path.suffix == ".gif"
    assert "imageio-ffmpeg" in app.notices.message[0] and app.notices.message[3] == WARN
    for _ in range(3):
        frame(app)
    key(app, pygame.K_F9)
    assert gif_frames(next(in_tmp.glob("*.gif")))[0] == 2


def test_ctrl_l_lists_the_lessons_and_saved_scenes_and_opens_the_choice(in_tmp):
    tall = (SIZE[0], 1000)  # tall enough for a row per preset and one saved scene (scrolling has its own test)
    app = make_app(size=tall)
    ctrl(app, pygame.K_s)  # one saved scene joins the lessons
    saved = sorted(in_tmp.glob("newton-descent-*.toml"))
    assert len(saved) == 1
    ctrl(app, pygame.K_l)
    picker = app.scene_ui.picker
    presets = list_presets()
    assert picker.active and len(picker.rows) == len(presets) + 1
    for k, ((name, title), row) in enumerate(zip(presets, picker.rows)):
        assert row.title == f"{k + 1}. {title}" and name in row.detail
    assert picker.rows[-1].title == saved[0].name and picker.rows[-1].detail.startswith("saved ")
    surf = frame(app, tall)  # drawn: a card in the middle with a row per scene
    assert picker.rect is not None and picker.rect.collidepoint(SIZE[0] // 2, SIZE[1] // 2)
    assert len(picker.row_rects) == len(picker.rows)  # all fit at this size
    # keys go to the list: q does not quit, digits do not switch landscape
    pot = app.world.potential.name
    key(app, pygame.K_q, "q")
    key(app, pygame.K_3, "3")
    assert app.running and app.world.potential.name == pot and picker.active
    key(app, pygame.K_DOWN)
    key(app, pygame.K_DOWN)
    key(app, pygame.K_UP)
    assert picker.index == 1
    key(app, pygame.K_RETURN)
    assert not picker.active
    world, info = load_scene(find_scene(presets[1][0]))
    assert app.scene_ui.title == info.title == presets[1][1]
    assert np.array_equal(app.world.particles.pos, world.particles.pos)
    # reopened, the list starts on the scene on screen; a click on a row opens that row
    ctrl(app, pygame.K_l)
    assert picker.index == 1
    frame(app, tall)
    i, rect = picker.row_rects[-1]
    click(app, rect.center)
    assert not picker.active and app.scene_ui.origin is not None
    assert Path(app.scene_ui.origin).name == saved[0].name
    # Esc, Ctrl+L or a click outside close it and change nothing
    for close in (lambda: key(app, pygame.K_ESCAPE), lambda: ctrl(app, pygame.K_l),
                  lambda: click(app, (5, 5))):
        ctrl(app, pygame.K_l)
        frame(app, tall)
        assert picker.active
        close()
        assert not picker.active and app.running
        assert Path(app.scene_ui.origin).name == saved[0].name


def test_the_scene_list_scrolls_in_a_small_window(in_tmp):
    app = make_app(size=(640, 300))
    for _ in range(6):
        ctrl(app, pygame.K_s)
    ctrl(app, pygame.K_l)
    picker = app.scene_ui.picker
    n = len(picker.rows)
    frame(app, (640, 300))
    assert 1 <= picker.visible < n and len(picker.row_rects) == picker.visible
    assert picker.rect.h <= 300
    key(app, pygame.K_END)
    frame(app, (640, 300))
    assert picker.index == n - 1 and picker.row_rects[-1][0] == n - 1  # scrolled to the end
    app.handle(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=100))
    frame(app, (640, 300))
    assert picker.row_rects[0][0] == 0
    key(app, pygame.K_ESCAPE)
    assert not picker.active


def test_the_scene_list_keeps_its_choice_on_screen_and_survives_a_tiny_window(in_tmp):
    app = make_app(size=(640, 200))
    for _ in range(4):
        ctrl(app, pygame.K_s)
    # a right-button press (a pan) when the list opens is forgotten, not left dangling
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(300, 100), button=3, mod=0))
    ctrl(app, pygame.K_l)
    picker = app.scene_ui.picker
    assert app.gestures.drag is None
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(300, 100), button=3, mod=0))
    frame(app, (640, 200))
    n = len(picker.rows)
    assert picker.visible < n
    for _ in range(n):  # wheel down to the end: the choice scrolls along
        app.handle(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-1))
        frame(app, (640, 200))
        shown = [i for i, _ in picker.row_rects]
        assert picker.index in shown
    chosen = picker.index
    assert chosen in shown
    key(app, pygame.K_RETURN)  # opens the chosen row, which is on screen
    assert not picker.active and app.scene_ui.cycled == app.scene_ui.picker_files[chosen]
    ctrl(app, pygame.K_l)
    assert picker.active
    frame(app, (20, 20))  # far too small to draw: nothing drawn, no error, Esc still closes
    assert picker.rect is None
    key(app, pygame.K_ESCAPE)
    assert not picker.active and app.running
