"""End to end: the real window under Xvfb, driven by xdotool (real click, real keys).

Starts Xvfb on a free display, launches `python main.py`, waits for its window, presses C
(clear), Space (pause), clicks to drop a ball, presses S (screenshot into a temp folder) and Q,
then checks the exit status and that the ball is in the PNG where the click was.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them).
"""
import os
import time

from tests.support.x11 import NEEDS_X11, drop_and_screenshot, like, quit_app, running, wait_for

SIZE = (960, 600)
CLICK = (420, 260)  # window pixels
BALL_RGB = (255, 140, 50)  # render.balls.RULE_COLORS["momentum"]

pytestmark = NEEDS_X11


def test_real_window_click_keys_screenshot_quit(xserver, tmp_path):
    with running(xserver, ["--potential", "bowl", "--dynamics", "momentum", "--size", f"{SIZE[0]}x{SIZE[1]}"],
                 tmp_path) as (app, win, xdo, _):
        wait_for(lambda: xdo("getwindowname", win).stdout.strip() == "Newton Descent", 10,
                 "the window title")
        time.sleep(1.0)  # first frames (the map) drawn
        xdo("mousemove", "--window", win, "200", "200")
        xdo("key", "--delay", "60", "c", "space")
        shots = drop_and_screenshot(xdo, win, tmp_path, CLICK, (40, 300), settle=0.2)
        status = quit_app(app, xdo)
    assert status == 0, app.stderr.read()
    assert len(shots) == 1

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    img = pygame.image.load(str(shots[0]))
    assert img.get_size() == SIZE
    near = [img.get_at((CLICK[0] + dx, CLICK[1] + dy))[:3] for dx in range(-4, 5)
            for dy in range(-4, 5)]
    assert any(like(px, BALL_RGB) for px in near), near[:5]
    far = [img.get_at((CLICK[0] + dx, CLICK[1]))[:3] for dx in (-60, 60)]
    assert not any(like(px, BALL_RGB) for px in far)
