"""The loops that drive an App: the real window (Fiedler's fixed timestep, frames capped at
60 a second) and the headless loop (the same frames offscreen, on the nominal 60 Hz
schedule, so a picture is the same on any machine). `run()` is what main.py calls."""
from __future__ import annotations

import os
import sys
import time

import numpy as np

WINDOW_TITLE = "Newton Descent"
FPS_CAP = 60
DEFAULT_BALLS = 36  # a window opened without balls starts with this many rolling
NO_DISPLAY = ("newton-descent: no display available "
              "(set DISPLAY, or use --headless --frames N / --steps N)")


def _pygame():
    import pygame  # imported late: `render` is the only package that loads pygame

    return pygame


def run(*, potential, rule, seed: int = 0, particles: int = 0, frames: int | None = None,
        screenshot: str | None = None, size: tuple[int, int] | None = None, **extra) -> int:
    """Open the window (frames=None) or run the same loop headless for `frames` frames.

    potential: a Potential or a built-in name; rule: a Rule or a rule name. Returns the exit
    status. Extra keywords understood: `starts` (a list of (x, y) drop points), `rule_given`
    (False: the user gave no step size, lr or dt, so the landscape's suggested one
    applies), `scene` ((world, info) from sim.scene.io.load_scene), `instruments` ({name: on}),
    `play` (run even if the scene starts paused), `record` (record the frames to this
    .gif/.mp4 from the first one), `report` (headless: write the shown panels' numbers to this
    .json at the last frame; render/report.py). Unknown keyword arguments are ignored. A window opened with
    no balls asked for (and no scene) starts with DEFAULT_BALLS rolling.
    """
    from render.app.app import DEFAULT_SIZE

    headless = frames is not None
    saved_env = {k: os.environ.get(k) for k in ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER")}
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    pygame = _pygame()
    try:
        screen = _open_display(size or DEFAULT_SIZE, headless)
        if screen is None:
            print(NO_DISPLAY, file=sys.stderr)
            return 2
        app, problem = _make_app(screen, potential, rule, seed, particles, headless, extra)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        if headless:
            status = _run_headless(app, screen, int(frames), screenshot, extra.get("report"))
        else:
            status = _run_window(app)
        from render.app.guard import report_line

        return app.close(status, report=report_line)  # a recording or a save in progress finishes
    finally:
        pygame.display.quit()
        pygame.font.quit()
        if headless:
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _open_display(size, headless: bool):
    """The window's surface (headless: an offscreen one); None when there is no display."""
    pygame = _pygame()
    if not headless and _no_display_hint():
        return None
    try:
        pygame.display.init()
        if not headless and pygame.display.get_driver() in ("dummy", "offscreen"):
            raise pygame.error("no real video driver")
        flags = 0 if headless else pygame.RESIZABLE
        pygame.display.set_caption(WINDOW_TITLE)  # before the window exists: no flicker
        screen = pygame.display.set_mode(tuple(int(v) for v in size), flags)
    except pygame.error:
        if headless:
            raise
        return None
    pygame.display.set_caption(WINDOW_TITLE)
    pygame.font.init()
    return screen


def _make_app(screen, potential, rule, seed: int, particles: int, headless: bool, extra: dict):
    """(App, None) with its world, balls, scene, instruments and recording in place, or
    (None, a one-line problem)."""
    from render.app.app import App
    from render.files.scene_ui import preset_of
    from render.files.names import RecorderError
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    if isinstance(potential, str):
        potential = get_potential(potential)
    if isinstance(rule, str):
        rule = Rule(rule)
    if not extra.get("rule_given", True):
        from sim.landscapes.tuning import suggest

        rule = suggest(potential, rule)
    starts = np.asarray(extra.get("starts") or [], dtype=np.float64).reshape(-1, 2)
    scene = extra.get("scene")  # (world, SceneInfo) from sim.scene.io.load_scene
    world = scene[0] if scene else World(potential, rule, seed=seed)
    if extra.get("batch") and not scene:
        world.set_batch(extra["batch"])
    app = App(world, screen.get_size(), seed=seed, headless=headless)
    try:
        if len(starts):
            world.drop(starts)
        if particles:  # the potential's view, as `--steps` does: same seed, same balls
            world.drop_random(int(particles))
        elif not headless and not len(starts) and not scene:
            world.drop_random(DEFAULT_BALLS)
    except ValueError as e:  # CapacityError: more balls than the program holds
        return None, f"newton-descent: error: {e}"
    app.layers.trails.forget_paths()
    if scene:
        app.scene_ui.open_scene(world, scene[1], preset_of(scene[1]))
    if extra.get("instruments"):
        app.apply_instruments(extra["instruments"])
    if extra.get("view3d") is not None:  # --view3d YAW,PITCH: the 3D view at that angle
        app.view3d.cam.set(*extra["view3d"])
        if app.view3d.mode == "map":
            app.view3d.set_mode("3d")
    if extra.get("play"):
        app.runtime.paused = False
    if extra.get("record") is not None:
        try:
            app.recording.recorder.start(extra["record"])
        except RecorderError as e:
            return None, f"newton-descent: error: {e}"
    if len(starts) or particles:  # racing / twins on: the seeded balls race / get twins
        try:
            app.runtime.balls.seed_drops()
        except ValueError as e:  # CapacityError: the twins or lanes pass the ball limit
            return None, f"newton-descent: error: {e}"
    return app, None


def _no_display_hint() -> bool:
    """On Linux with neither DISPLAY nor WAYLAND_DISPLAY (and no SDL driver asked for) there is
    nothing to open; say so without letting SDL probe (its probes print to stderr)."""
    if not sys.platform.startswith("linux") or os.environ.get("SDL_VIDEODRIVER"):
        return False
    return not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


def _run_headless(app, screen, frames: int, screenshot: str | None, report: str | None = None) -> int:
    from render.app.app import NOMINAL_FRAME
    from render.app.guard import FrameGuard
    from sim.support.progress import Progress

    pygame = _pygame()
    guard = FrameGuard(app, headless=True)  # a bug: one line, exit 1, no file left behind
    t0 = time.perf_counter()
    with Progress(frames, "frames") as progress:  # on stderr when it is a terminal
        for i in range(frames):
            for event in pygame.event.get():
                guard.call(app.handle, event)
            guard.call(app.update, NOMINAL_FRAME)
            guard.call(app.draw, screen)
            pygame.display.flip()
            progress.update(i + 1)
    elapsed = time.perf_counter() - t0
    if screenshot:
        from render.files.names import RecorderError, save_screenshot

        try:  # atomic, over the file the user named (the window's S never overwrites)
            save_screenshot(screen, screenshot, replace=True)
        except RecorderError as e:
            print(f"newton-descent: error: {e}", file=sys.stderr)
            return 2
    if report:
        from render.app.report import write_report

        problem = write_report(app, report)
        if problem:
            print(f"newton-descent: error: {problem}", file=sys.stderr)
            return 2
    fps = frames / elapsed if elapsed > 0 else float("inf")
    w, h = screen.get_size()
    print(f"{frames} frames, {app.world.n} particles, {w}x{h}: {fps:.1f} fps")
    return 1 if guard.errors else 0  # the run went on, but it met a bug


def _run_window(app) -> int:
    from render.app.guard import FrameGuard

    pygame = _pygame()
    clock = pygame.time.Clock()
    clock.tick()
    guard = FrameGuard(app)  # a bug: a message, a log and a recovery scene in the user's data folder
    try:
        while app.running:
            frame = clock.tick(FPS_CAP) / 1000.0
            for event in pygame.event.get():
                guard.call(app.handle, event)
            if not app.running:
                break
            guard.call(app.update, frame)
            screen = pygame.display.get_surface()
            guard.call(app.draw, screen, fps=clock.get_fps())
            pygame.display.flip()
    except KeyboardInterrupt:
        return 130
    return app.status
