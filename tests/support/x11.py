"""The real window under Xvfb, for the *_x11 tests: a private X server, `python main.py` launched
on it and found by its process id, xdotool, the window's pixels, and the end every such test
shares (Q, the exit status, and a kill if the program is still running when the test is over).

The `xserver` fixture (tests/conftest.py) is `xvfb()`; a test opens the program with
`with running(xserver, argv, tmp_path) as (app, win, xdo, env):` and ends with `quit_app`.
Each X11 test module sets `pytestmark = NEEDS_X11` (skipped only when the binaries are missing;
.ci/run installs them)."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def needs(*binaries: str, reason: str = ""):
    """A skip mark for a module whose tests need these programs on PATH."""
    return pytest.mark.skipif(any(shutil.which(b) is None for b in binaries),
                              reason=reason or f"needs the {', '.join(binaries)} binaries")


NEEDS_X11 = needs("Xvfb", "xdotool", reason="needs the Xvfb and xdotool binaries (apt-get install xvfb xdotool)")


def wait_for(predicate, timeout: float, what: str):
    """predicate()'s first true value, polled every 0.1 s; AssertionError after `timeout` s."""
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


@contextmanager
def xvfb() -> Iterator[str]:
    """A private Xvfb; yields its display (":N"). It picks a free display number itself
    (-displayfd), so two tests, or two suites on one machine, never race for the same one."""
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(w,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        n = _read_display_number(r, proc, 20)
        # and it answers a client (xdotool) before the app is started on it
        env = dict(os.environ, DISPLAY=f":{n}")
        wait_for(lambda: subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True,
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

    return wait_for(window, 30, "the Newton Descent window")


def stop(app: subprocess.Popen) -> None:
    """Kill the program if it is still running (a test that failed before it quit)."""
    if app.poll() is None:
        app.kill()
        app.wait(5)


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
            stop(app)
            if "no display available" not in str(e) or attempt == tries - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


class Running(NamedTuple):
    app: subprocess.Popen
    win: str  # the window's id
    xdo: object  # xdotool(env)
    env: dict  # x_env(display)


@contextmanager
def running(display: str, args: list, cwd) -> Iterator[Running]:
    """`python main.py *args` in `cwd` with its window open on `display`; on the way out (the
    test done or failed) a program still running is killed."""
    env = x_env(display)
    xdo = xdotool(env)
    app, win = launch(args, cwd, env, xdo)
    try:
        yield Running(app, win, xdo, env)
    finally:
        stop(app)


def quit_app(app: subprocess.Popen, xdo, win: str | None = None, timeout: float = 20,
             check: bool = True) -> int:
    """Q (to the focused window, or to `win`), then the program's exit status."""
    xdo("key", *(["--window", win] if win else []), "q", check=check)
    return app.wait(timeout)


def click_at(xdo, win: str, pos) -> None:
    """Move to window pixel `pos` and click the left button."""
    xdo("mousemove", "--window", win, str(pos[0]), str(pos[1]))
    xdo("click", "1")


def screenshot(xdo, folder: Path) -> list[Path]:
    """S (the program's screenshot) and the PNGs it wrote in `folder`."""
    xdo("key", "s")
    shots = wait_for(lambda: sorted(folder.glob("newton-descent-*.png")), 10, "the screenshot")
    time.sleep(0.3)
    return shots


def drop_and_screenshot(xdo, win: str, folder: Path, at, away, settle: float = 0.3) -> list[Path]:
    """Click at window pixel `at` (a ball dropped there), move the mouse to `away` (off the
    ball: no hover ring), wait `settle` s, then screenshot(): the PNGs in `folder`."""
    click_at(xdo, win, at)
    time.sleep(0.3)
    xdo("mousemove", "--window", win, str(away[0]), str(away[1]))
    time.sleep(settle)
    return screenshot(xdo, folder)


def like(px, rgb, tol: int = 45) -> bool:
    """Pixel `px` is within `tol` of colour `rgb` in each channel."""
    return all(abs(c - b) < tol for c, b in zip(px, rgb))


def scenes_saved(folder: Path, k: int, timeout: float = 15) -> list[Path]:
    """The scene files in `folder`, oldest first, once there are at least `k`."""
    return wait_for(lambda: (lambda f: f if len(f) >= k else None)(
        sorted(folder.glob("newton-descent-*.toml"), key=lambda p: p.stat().st_mtime_ns)), timeout, "a scene")


def window_pixels(env: dict, win: str, path) -> np.ndarray:
    """The window's pixels [h, w, 3] (ImageMagick import, PPM)."""
    subprocess.run(["import", "-window", win, "-depth", "8", str(path)], env=env, check=True, timeout=30)
    raw = open(path, "rb").read()
    _, w, h, _ = raw.split(maxsplit=4)[:4]  # P6 w h 255, then the pixels: the file's last w·h·3 bytes
    w, h = int(w), int(h)
    return np.frombuffer(raw[-w * h * 3:], np.uint8).reshape(h, w, 3)


# -- the timeline strip of a 960x600 window (tests/render/timeline, the soak) -------------------

STRIP_SIZE = (960, 600)
PANEL = 236  # render.controls.widget.WIDTH: the control panel on the right, open in the window
STRIP_Y = STRIP_SIZE[1] - 24  # inside the timeline strip along the bottom of the map


def strip_x(fraction: float) -> int:
    """A pixel on the strip's plot at about `fraction` of its ticks (the end: past the plot,
    which the strip clamps to its last tick)."""
    return int(120 + fraction * (STRIP_SIZE[0] - PANEL - 130))


def scrub_fork_session(app, win, xdo, folder, rule_key: str = "g", saved: int = 0) -> list[dict]:
    """Pause, click the strip, a rule key, click earlier, click the end; a scene saved after
    each (`saved`: scenes already in the folder), read as TOML."""
    import tomllib

    scenes: list[dict] = []

    def save():
        k = saved + len(scenes) + 1
        got = scenes_saved(folder, k, timeout=20)
        scenes.append(tomllib.loads(got[k - 1].read_text()))

    def key(k):
        xdo("key", "--window", win, k)
        time.sleep(0.4)

    def click(x):
        xdo("mousemove", "--window", win, str(x), str(STRIP_Y), "click", "1")
        time.sleep(0.5)

    key("space")  # pause
    key("ctrl+s")
    save()
    click(strip_x(0.7))
    key(rule_key)
    key("ctrl+s")
    save()
    click(strip_x(0.3))
    key("ctrl+s")
    save()
    click(STRIP_SIZE[0] - PANEL - 3)  # the strip's end
    key("ctrl+s")
    save()
    return scenes
