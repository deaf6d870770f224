"""The window never dies and never loses work: background saves with progress, a 1-pixel
window, and the guard around each frame (a bug becomes a message, a log and a recovery)."""
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.app.app import App  # noqa: E402
from sim.scene import save as scene_save  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.scene.io import load_scene  # noqa: E402
from sim.core.world import World  # noqa: E402
from tests.support.apps import app_on, frame_at  # noqa: E402

SIZE = (640, 400)
pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def make_app(balls=3, size=SIZE):
    return app_on("bowl", Rule("momentum", lr=0.02), size, balls=balls)


frame = frame_at(SIZE)


def ctrl_s(app):
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=pygame.KMOD_CTRL,
                                  unicode="", scancode=0))


def test_ctrl_s_on_a_big_world_saves_in_the_background_with_progress(in_tmp, monkeypatch):
    monkeypatch.setattr(scene_save, "BACKGROUND_FROM", 100)
    app = make_app(balls=5000)
    at_press = app.world.particles.pos.copy()
    ctrl_s(app)
    job = app.scene_ui.saves.job
    assert job.threaded  # the key press returned before the file was written
    seen = [app.notices.message[0]]
    for _ in range(2000):
        frame(app)  # the window goes on
        seen.append(app.notices.message[0])
        if job.done and "scene saved" in app.notices.message[0]:
            break
    assert any(m.startswith("saving scene") and m.endswith("%") for m in seen)
    assert "scene saved" in seen[-1]
    world, _ = load_scene(job.path)
    assert world.particles.pos.tobytes() == at_press.tobytes()  # the world of the key press
    assert app.world.tick_count > world.tick_count


def test_an_undefined_ball_is_drawn_where_it_stopped_and_counted_a_diverged_one_is_not():
    from sim.landscapes.formula.potential import expression_potential

    world = World(expression_potential("log(x) + y**2"), Rule("gd", lr=0.1), seed=3)
    app = App(world, SIZE, seed=3, headless=True)
    world.drop(np.array([[-1.0, 0.5], [1.0, 0.5], [0.5, 0.5], [0.5, 0.5]]))
    world.particles.status[2] = 1  # (diverged, for comparison)
    world.remove(np.arange(4) == 3)  # the world takes the statuses in again
    shown = []
    real = app.hud.text_panel

    def spy(surface, lines, *a, **k):
        shown.extend(t for line in lines for t, *_ in line.parts)
        return real(surface, lines, *a, **k)

    app.hud.text_panel = spy
    frame(app)
    app.layers.proj.project(world, app.view, 1.0)
    assert app.layers.proj.visible.tolist() == [True, True, False]
    assert world.n_undefined() == 1 and world.counts() == (1, 1)
    assert any("1 undefined" in t for t in shown) and any("1 diverged" in t for t in shown)


@pytest.mark.parametrize("size", [(1, 400), (640, 1), (1, 1)])
def test_a_one_pixel_window_draws_the_map(size):
    from render.map.landscape import shade

    app = make_app(balls=20)
    app.show.update(field=True, arrows=True)
    for _ in range(3):
        frame(app, size)  # a ValueError in the map shading before
    v = np.linspace(0.0, 1.0, size[0] * size[1]).reshape(size)
    assert shade(v, app.layers.landscape.shading).shape == size + (3,)


def test_a_bug_in_a_command_is_a_message_a_log_a_recovery_scene_and_the_window_goes_on(in_tmp, capsys, monkeypatch):
    from render.app.guard import LOG_NAME, FrameGuard
    from tests.support.worlds import assert_same_world

    monkeypatch.setenv("XDG_DATA_HOME", str(in_tmp / "data"))
    data = in_tmp / "data" / "newton-descent"  # the per-user data folder, not the working one
    app = make_app(balls=30)
    app.recording.start(in_tmp / "rec.gif")
    surf = pygame.Surface(SIZE, 0, 32)
    guard = FrameGuard(app)
    for _ in range(4):
        guard.call(app.update, 1 / 60)
        guard.call(app.draw, surf)

    def broken(_arg, _shift):
        raise ZeroDivisionError("lr = dt / friction")

    from render.input.keys import Cmd

    monkeypatch.setitem(app.router.commands, Cmd.PAUSE, broken)
    space = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0, unicode=" ", scancode=0)
    guard.call(app.handle, space)
    guard.call(app.handle, space)  # the same bug again: no second stderr line, no second scene
    assert guard.errors == 2 and guard.recovery.wait(60)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError: lr = dt / friction" in err
    assert str(data / LOG_NAME) in err and "the window goes on" in err and str(data) in err
    log = (data / LOG_NAME).read_text()
    assert "Traceback" in log and "in broken" in log and log.count("--- ") == 1
    assert "something went wrong" in app.notices.message[0] and str(guard.recovery.path) in app.notices.message[0]
    assert guard.recovery.path.parent == data and not list(in_tmp.glob("newton-descent-*"))
    world, info = load_scene(guard.recovery.path)
    assert_same_world(world, app.world)
    assert info.title == "recovered after an error"
    assert guard.recording is not None and guard.recording.exists()  # the recording: finalized
    assert not app.recording.recorder.recording
    for _ in range(3):  # and the window goes on
        guard.call(app.update, 1 / 60)
        guard.call(app.draw, surf)
    assert guard.errors == 2 and app.world.tick_count > world.tick_count


def test_a_bug_in_drawing_shows_the_message_instead_of_the_frame(in_tmp, capsys, monkeypatch):
    from render.app.guard import FrameGuard

    app = make_app()
    surf = pygame.Surface(SIZE, 0, 32)
    guard = FrameGuard(app)

    def broken(*a, **k):
        raise IndexError("stale lane list")

    monkeypatch.setattr(app.instruments, "draw_map", broken)
    for _ in range(5):
        guard.call(app.draw, surf)
    assert guard.errors == 5 and capsys.readouterr().err.count("\n") == 1
    assert surf.get_at((3, SIZE[1] - 3))[:3] == (24, 24, 32)  # the plain error frame
    quit_ev = pygame.event.Event(pygame.QUIT)
    monkeypatch.setattr(app.router, "on_quit", broken)
    guard.call(app.handle, quit_ev)
    assert not app.running  # closing the window always works


@pytest.mark.parametrize("where", ["update", "draw"])
def test_a_headless_run_with_a_bug_finishes_saves_its_screenshot_and_says_so(in_tmp, capsys, monkeypatch, where):
    """One line, status 1, and nothing left behind but what was asked for (no log, no
    recovery scene: neither here nor in the per-user data folder)."""
    import main

    monkeypatch.setenv("XDG_DATA_HOME", str(in_tmp / "data"))
    real = getattr(App, where)

    def flaky(self, *a, **k):
        if self.frames == 3:
            raise RuntimeError("a panel bug")
        return real(self, *a, **k)

    monkeypatch.setattr(App, where, flaky)
    status = main.main(["--headless", "--frames", "8", "--potential", "bowl", "--particles", "5",
                        "--screenshot", "shot.png"])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "RuntimeError: a panel bug" in err
    assert "window" not in err
    assert sorted(p.name for p in in_tmp.iterdir()) == ["shot.png"]
