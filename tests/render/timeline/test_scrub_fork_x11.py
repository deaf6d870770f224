"""Under Xvfb + xdotool, as a user would: a rule key pressed while paused at a scrubbed tick
forks the future there (issue: the old future survived the next scrub). Pause, click the
strip, press G, click earlier, then at the strip's end: the world at the end is the fork's
(gd, at the tick of the change), checked in the scenes Ctrl+S saves at each step.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import time
import tomllib

import pytest

from tests.render.app.test_window_x11 import _wait, launch, x_env, xdotool, xserver  # noqa: F401  (xserver is a fixture)

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("Xvfb") is None or __import__("shutil").which("xdotool") is None,
    reason="needs the Xvfb and xdotool binaries (apt-get install xvfb xdotool)",
)

SIZE = (960, 600)
PANEL = 236  # render.controls.widget.WIDTH: the control panel on the right, open in the window
STRIP_Y = SIZE[1] - 24  # inside the timeline strip along the bottom of the map


def strip_x(fraction: float) -> int:
    """A pixel on the strip's plot at about `fraction` of its ticks (the end: past the plot,
    which the strip clamps to its last tick)."""
    return int(120 + fraction * (SIZE[0] - PANEL - 130))


def scrub_fork_session(app, win, xdo, folder, rule_key: str = "g", saved: int = 0) -> list[dict]:
    """Pause, click the strip, a rule key, click earlier, click the end; a scene saved after
    each (`saved`: scenes already in the folder)."""
    scenes: list[dict] = []

    def save():
        k = saved + len(scenes) + 1
        got = _wait(lambda: (lambda f: f if len(f) >= k else None)(
            sorted(folder.glob("newton-descent-*.toml"), key=lambda p: p.stat().st_mtime_ns)), 20, "a scene")
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
    click(SIZE[0] - PANEL - 3)  # the strip's end
    key("ctrl+s")
    save()
    return scenes


def test_rule_key_at_a_scrubbed_tick_forks_the_future(xserver, tmp_path):  # noqa: F811
    env = x_env(xserver)
    xdo = xdotool(env)
    app, win = launch(["--potential", "rosenbrock", "--dynamics", "momentum", "--start=-1.5,2",
                       "--start=0.5,-0.5", "--start=1.2,1.4", "--size", f"{SIZE[0]}x{SIZE[1]}"],
                      tmp_path, env, xdo)
    try:
        time.sleep(3.0)  # some ticks to scrub through
        paused, changed, earlier, end = scrub_fork_session(app, win, xdo, tmp_path)
        xdo("key", "q")
        status = app.wait(20)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    assert status == 0, app.stderr.read()
    tick = [s["state"]["tick_count"] for s in (paused, changed, earlier, end)]
    rule = [s["rule"]["name"] for s in (paused, changed, earlier, end)]
    assert tick[0] > 30 and 0 < tick[2] < tick[1] < tick[0], tick
    assert rule[:3] == ["momentum", "gd", "momentum"], rule
    # the end is the fork: the tick of the change, under the new rule (not the old future)
    assert tick[3] == tick[1] and rule[3] == "gd", (tick, rule)
