"""Under Xvfb + xdotool, as a user would: a rule key pressed while paused at a scrubbed tick
forks the future there (issue: the old future survived the next scrub). Pause, click the
strip, press G, click earlier, then at the strip's end: the world at the end is the fork's
(gd, at the tick of the change), checked in the scenes Ctrl+S saves at each step.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import time

from tests.support.x11 import NEEDS_X11, STRIP_SIZE as SIZE, quit_app, running, scrub_fork_session

pytestmark = NEEDS_X11


def test_rule_key_at_a_scrubbed_tick_forks_the_future(xserver, tmp_path):
    with running(xserver, ["--potential", "rosenbrock", "--dynamics", "momentum", "--start=-1.5,2",
                           "--start=0.5,-0.5", "--start=1.2,1.4", "--size", f"{SIZE[0]}x{SIZE[1]}"],
                 tmp_path) as (app, win, xdo, _):
        time.sleep(3.0)  # some ticks to scrub through
        paused, changed, earlier, end = scrub_fork_session(app, win, xdo, tmp_path)
        status = quit_app(app, xdo)
    assert status == 0, app.stderr.read()
    tick = [s["state"]["tick_count"] for s in (paused, changed, earlier, end)]
    rule = [s["rule"]["name"] for s in (paused, changed, earlier, end)]
    assert tick[0] > 30 and 0 < tick[2] < tick[1] < tick[0], tick
    assert rule[:3] == ["momentum", "gd", "momentum"], rule
    # the end is the fork: the tick of the change, under the new rule (not the old future)
    assert tick[3] == tick[1] and rule[3] == "gd", (tick, rule)
