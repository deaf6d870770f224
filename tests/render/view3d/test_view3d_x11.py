"""End to end: the 3D view in the real window under Xvfb, driven by xdotool: switch to it with
the key, orbit with a real drag, drop a ball with a real click on the surface, screenshot, quit.
Skipped only when the Xvfb or xdotool binaries are missing (as the other window tests)."""
import os
import time

from tests.support.x11 import NEEDS_X11, drop_and_screenshot, like, quit_app, running, wait_for

pytestmark = NEEDS_X11

SIZE = (960, 600)
CLICK = (250, 420)  # window pixels: on the surface, clear of the HUD panels (the control panel is on the right)
BALL_RGB = (255, 140, 50)  # render.balls.RULE_COLORS["momentum"]


def test_real_window_3d_key_orbit_click_drops_on_the_surface(xserver, tmp_path):
    with running(xserver, ["--potential", "bowl", "--dynamics", "momentum", "--size", f"{SIZE[0]}x{SIZE[1]}"],
                 tmp_path) as (app, win, xdo, _):
        wait_for(lambda: xdo("getwindowname", win).stdout.strip() == "Newton Descent", 10, "the window title")
        time.sleep(1.0)
        xdo("mousemove", "--window", win, "200", "200")
        xdo("key", "--delay", "80", "c", "space", "grave")  # clear, pause, the 3D view
        time.sleep(0.5)
        xdo("mousemove", "--window", win, "300", "250")
        xdo("mousedown", "1")
        for _ in range(10):  # a real drag: orbit (and no ball)
            xdo("mousemove_relative", "--", "6", "2")
            time.sleep(0.03)
        xdo("mouseup", "1")
        time.sleep(0.6)  # the camera rests: the full picture
        shots = drop_and_screenshot(xdo, win, tmp_path, CLICK, (40, 420))
        status = quit_app(app, xdo)
    assert status == 0, app.stderr.read()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from render.view3d.draw import BACKGROUND

    img = pygame.image.load(str(shots[0]))
    assert img.get_size() == SIZE
    near = [img.get_at((CLICK[0] + dx, CLICK[1] + dy))[:3] for dx in range(-4, 5) for dy in range(-4, 5)]
    assert any(like(px, BALL_RGB) for px in near), near[:5]
    # exactly one ball: the drag dropped none; and it is the 3D view (its background shows)
    orange = sum(like(img.get_at((x, y))[:3], BALL_RGB) for x in range(0, 700, 2) for y in range(0, 560, 2))
    assert 0 < orange < 40
    assert any(tuple(img.get_at((x, y))[:3]) == BACKGROUND for x in range(0, 700, 7) for y in range(140, 560, 7))
