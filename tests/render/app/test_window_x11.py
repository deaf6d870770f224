"""End to end: the real window under Xvfb, driven by xdotool (real click, real keys).

Starts Xvfb on a free display, launches `python main.py`, waits for its window, presses C
(clear), Space (pause), clicks to drop a ball, presses S (screenshot into a temp folder) and Q,
then checks the exit status and that the ball is in the PNG where the click was.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them).
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SIZE = (960, 600)
CLICK = (420, 260)  # window pixels
BALL_RGB = (255, 140, 50)  # render.balls.RULE_COLORS["momentum"]

pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs the Xvfb and xdotool binaries (apt-get install xvfb xdotool)",
)


def _wait(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _read_display_number(fd: int, proc: subprocess.Popen, timeout: float) -> int:
    """What Xvfb writes to -displayfd: its display number, written only once it accepts
    connections (so there is no race with a half-started or a still-dying server)."""
    import select
    data = b""
    end = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            pytest.fail(f"Xvfb did not start (status {proc.poll()}, wrote {data!r})")
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                pytest.fail(f"Xvfb closed -displayfd without a display number (status {proc.poll()})")
            data += chunk
    return int(data)


@pytest.fixture
def xserver():
    """A private Xvfb. It picks a free display number itself (-displayfd), so two tests, or two
    suites on one machine, never race for the same one."""
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(w,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        n = _read_display_number(r, proc, 20)
        # and it answers a client (xdotool) before the app is started on it
        env = dict(os.environ, DISPLAY=f":{n}")
        _wait(lambda: subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True,
                                     timeout=10).returncode == 0, 20, f"Xvfb :{n} to answer")
        yield f":{n}"
    finally:
        os.close(r)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def x_env(display: str) -> dict:
    """The environment for a real window on `display` (the X11 driver, not the suite's dummy)."""
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    env.pop("SDL_VIDEODRIVER", None)
    return env


def xdotool(env: dict):
    """A function that runs xdotool with `env`: xdo(*args, check=True)."""
    def xdo(*args, check=True):
        return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                              timeout=20, check=check)
    return xdo


def wait_window(app: subprocess.Popen, xdo) -> str:
    """The id of app's visible window, once it has one. SDL names the window in UTF-8, which
    this xdotool's --name search cannot read, so it is found by process id."""
    def window():
        if app.poll() is not None:
            raise AssertionError(f"main.py exited early: {app.returncode}\n{app.stderr.read()}")
        r = xdo("search", "--onlyvisible", "--pid", str(app.pid), check=False)
        return r.stdout.split()[0] if r.returncode == 0 and r.stdout.strip() else None

    return _wait(window, 30, "the Newton Descent window")


def launch(args: list, cwd, env: dict, xdo, tries: int = 3) -> tuple[subprocess.Popen, str]:
    """Start `python main.py *args` on the test's X server and wait for its window: (process,
    window id). SDL's X11 connection has failed now and then on a heavily loaded machine with
    "no display available" although the server answered xdotool a moment before; such a start
    is tried again (at most `tries` times). Any other early exit fails the test at once."""
    for attempt in range(tries):
        app = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            return app, wait_window(app, xdo)
        except AssertionError as e:
            if app.poll() is None:
                app.kill()
                app.wait(5)
            if "no display available" not in str(e) or attempt == tries - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def test_real_window_click_keys_screenshot_quit(xserver, tmp_path):
    env = x_env(xserver)
    xdo = xdotool(env)

    app, win = launch(["--potential", "bowl", "--dynamics", "momentum", "--size", f"{SIZE[0]}x{SIZE[1]}"],
                      tmp_path, env, xdo)
    try:
        _wait(lambda: xdo("getwindowname", win).stdout.strip() == "Newton Descent", 10,
              "the window title")
        time.sleep(1.0)  # first frames (the map) drawn
        xdo("mousemove", "--window", win, "200", "200")
        xdo("key", "--delay", "60", "c", "space")
        xdo("mousemove", "--window", win, str(CLICK[0]), str(CLICK[1]))
        xdo("click", "1")
        time.sleep(0.3)
        xdo("mousemove", "--window", win, "40", "300")  # off the ball: no hover ring
        time.sleep(0.2)
        xdo("key", "s")
        shots = _wait(lambda: sorted(tmp_path.glob("newton-descent-*.png")), 10, "the screenshot")
        time.sleep(0.3)
        xdo("key", "q")
        status = app.wait(20)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    assert status == 0, app.stderr.read()
    assert len(shots) == 1

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    img = pygame.image.load(str(shots[0]))
    assert img.get_size() == SIZE
    near = [img.get_at((CLICK[0] + dx, CLICK[1] + dy))[:3] for dx in range(-4, 5)
            for dy in range(-4, 5)]
    assert any(all(abs(c - b) < 45 for c, b in zip(px, BALL_RGB)) for px in near), near[:5]
    far = [img.get_at((CLICK[0] + dx, CLICK[1]))[:3] for dx in (-60, 60)]
    assert not any(all(abs(c - b) < 45 for c, b in zip(px, BALL_RGB)) for px in far)
