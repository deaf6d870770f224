"""A seeded random soak of the real window under Xvfb: thousands of keys, clicks, drags, wheel
turns and resizes across the lessons (Ctrl+O), for about SOAK_SECONDS. The window must stay
alive, print no traceback, and keep its memory bounded; then Q quits with status 0.
Skipped only when the Xvfb or xdotool binaries are missing (.ci/run installs them)."""
import random
import time

from tests.support.apps import pane_rect
from tests.support.x11 import NEEDS_X11, STRIP_SIZE as FORK_SIZE, quit_app, running, scrub_fork_session, wait_for

pytestmark = NEEDS_X11

SOAK_SECONDS = 45.0
SEED = 20261201
MAX_RSS_MB = 2000  # the window with a few thousand balls and every panel stays far below this
MAX_GROWTH_MB = 400  # from the first quarter of the soak to its end
# every key of the table that neither quits nor waits for a file dialog; Return for the editor
KEYS = ["space", "period", "g", "m", "n", "a", "l", "Tab", "shift+Tab", "1", "2", "3", "4", "5", "6",
        "7", "8", "9", "0", "Next", "Prior", "plus", "minus", "bracketright", "bracketleft",
        "braceright", "braceleft", "greater", "less", "r", "c", "t", "v", "f", "Home", "e",
        "question", "s", "F9", "h", "k", "j", "semicolon", "apostrophe", "y", "i", "x", "b", "u",
        "p", "ctrl+o", "ctrl+l", "ctrl+s", "Return", "Return"]  # not Esc, not Q: they quit
SIZES = [(960, 600), (640, 400), (320, 240), (1280, 800), (500, 700), (1100, 500)]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def random_action(rng: random.Random, xdo, win: str, size: tuple[int, int]) -> None:
    w, h = size
    x, y = str(rng.randrange(w)), str(rng.randrange(h))
    r = rng.random()
    if r < 0.45:
        xdo("key", "--window", win, rng.choice(KEYS), check=False)
    elif r < 0.65:
        xdo("mousemove", "--window", win, x, y, "click", rng.choice(["1", "1", "3", "2"]), check=False)
    elif r < 0.78:
        x2, y2 = str(rng.randrange(w)), str(rng.randrange(h))
        b = rng.choice(["1", "3"])
        xdo("mousemove", "--window", win, x, y, "mousedown", b, "mousemove", "--window", win,
            x2, y2, "mouseup", b, check=False)
    elif r < 0.92:
        xdo("mousemove", "--window", win, x, y, "click", rng.choice(["4", "5"]), check=False)
    else:
        xdo("mousemove", "--window", win, x, y, "click", "1", "click", "1", check=False)


def test_random_input_soak_keeps_the_window_alive(xserver, tmp_path):
    rng = random.Random(SEED)
    rss: list[float] = []
    actions = 0
    with running(xserver, ["--scene", "momentum_is_newton", "--size", "960x600"], tmp_path) as (app, win, xdo, _):
        time.sleep(1.0)
        size = SIZES[0]
        t0 = time.monotonic()
        while time.monotonic() - t0 < SOAK_SECONDS:
            assert app.poll() is None, f"the window died: {app.returncode}\n{app.stderr.read()}"
            if rng.random() < 0.03:
                size = rng.choice(SIZES)
                xdo("windowsize", win, str(size[0]), str(size[1]), check=False)
            random_action(rng, xdo, win, size)
            actions += 1
            if actions % 25 == 0:
                rss.append(rss_mb(app.pid))
        assert app.poll() is None, f"the window died: {app.returncode}\n{app.stderr.read()}"
        for k in ("Return", "Escape", "Escape", "Escape", "q"):  # close an editor or list, then quit
            if app.poll() is not None:
                break
            xdo("key", "--window", win, k, check=False)
            time.sleep(0.3)
        status = app.wait(30)
    err = app.stderr.read()
    assert "Traceback" not in err, err[-3000:]
    assert status == 0, err[-3000:]
    assert actions > 150  # xdotool runs ~10 actions a second on a busy 2-core machine
    assert max(rss) < MAX_RSS_MB, rss
    quarter = rss[len(rss) // 4]
    assert rss[-1] - quarter < MAX_GROWTH_MB, (quarter, rss[-1])


def test_rule_changes_at_scrubbed_ticks_fork_again_and_again(xserver, tmp_path):
    """Run, pause, scrub, change the rule (G, then M, then G ...), scrub back and to the end:
    each time the end of the strip is the fork (the new rule at the tick of the change)."""
    keys = {"g": "gd", "m": "momentum"}
    with running(xserver, ["--potential", "rosenbrock", "--dynamics", "momentum", "--particles", "3",
                           "--seed", "1", "--size", f"{FORK_SIZE[0]}x{FORK_SIZE[1]}"], tmp_path) as (app, win, xdo, _):
        time.sleep(3.0)
        before, saved = "momentum", 0
        for cycle in range(4):
            k = "g" if cycle % 2 == 0 else "m"
            paused, changed, earlier, end = scrub_fork_session(app, win, xdo, tmp_path, k, saved)
            saved += 4
            ticks = [s["state"]["tick_count"] for s in (paused, changed, earlier, end)]
            names = [s["rule"]["name"] for s in (paused, changed, earlier, end)]
            assert names[:2] == [before, keys[k]] and ticks[2] < ticks[1] < ticks[0], (cycle, ticks, names)
            assert ticks[3] == ticks[1] and names[3] == keys[k], (cycle, ticks, names)
            before = keys[k]
            xdo("key", "--window", win, "space")  # run on from the fork
            time.sleep(2.0)
        status = quit_app(app, xdo)
    err = app.stderr.read()
    assert status == 0 and "Traceback" not in err, err[-3000:]


DATA_SOAK_SECONDS = 20.0


def test_data_pane_soak_drags_and_shift_clicks_keep_the_world_finite(xserver, tmp_path):
    """The data pane under real input: clicks add points, Shift+clicks remove them, points are
    dragged within and far past the pane, between landscape switches and back (PageDown /
    PageUp). The window stays alive, and the scene saved at the end opens with finite data."""
    import tomllib

    import numpy as np

    argv = ["--potential", "logreg", "--dynamics", "gd", "--particles", "6", "--size", "1280x800"]
    rect = pane_rect(argv, (1280, 800))
    rng = random.Random(SEED + 1)
    inner = rect.inflate(-rect.w // 3, -rect.h // 3)  # adding here leaves the pane's bounds as they are
    actions = removals = 0
    with running(xserver, argv, tmp_path) as (app, win, xdo, _):
        time.sleep(1.5)
        t0 = time.monotonic()
        while time.monotonic() - t0 < DATA_SOAK_SECONDS:
            assert app.poll() is None, f"the window died: {app.returncode}\n{app.stderr.read()}"
            x, y = rng.randrange(inner.left, inner.right), rng.randrange(inner.top, inner.bottom)
            r = rng.random()
            if r < 0.3:  # add a point (class 1 or 0), then drag it somewhere, often far outside
                b = rng.choice(["1", "3"])
                far = (rng.randrange(-300, 1500), rng.randrange(-200, 1000))
                xdo("mousemove", "--window", win, str(x), str(y), "click", b, check=False)
                time.sleep(0.05)
                xdo("mousemove", "--window", win, str(x), str(y), "mousedown", "1", check=False)
                for k in range(rng.randrange(3, 15)):
                    xdo("mousemove", "--window", win, str(far[0] + k), str(far[1] + k), check=False)
                xdo("mouseup", "1", check=False)
            elif r < 0.55:  # a real Shift+click: removes the point there, if any
                xdo("mousemove", "--window", win, str(x), str(y), "keydown", "shift", "click", "1",
                    "keyup", "shift", check=False)
                removals += 1
            elif r < 0.65:  # another landscape and back: the edited data come back
                xdo("key", "--window", win, "Next", check=False)
                time.sleep(0.1)
                xdo("key", "--window", win, "Prior", check=False)
            elif r < 0.75:
                xdo("key", "--window", win, rng.choice(["space", "period", "r", "g", "m"]), check=False)
            else:  # a click in the pane: adds a point
                xdo("mousemove", "--window", win, str(x), str(y), "click", "1", check=False)
            actions += 1
        xdo("key", "--window", win, "ctrl+s", check=False)
        scene = wait_for(lambda: next(iter(tmp_path.glob("newton-descent-*.toml")), None), 30, "a scene")
        time.sleep(1.0)
        assert app.poll() is None, f"the window died: {app.returncode}\n{app.stderr.read()}"
        status = quit_app(app, xdo, win, timeout=30, check=False)
    err = app.stderr.read()
    assert "Traceback" not in err, err[-3000:]
    assert status == 0, err[-3000:]
    assert actions > 30 and removals > 5
    land = tomllib.loads(scene.read_text())["landscape"]
    assert land["potential"] == "logreg"
    assert "x" in land["data"], f"the edits did not survive the landscape switches: {land['data']}"
    x = np.array(land["data"]["x"], float)
    assert np.isfinite(x).all() and np.abs(x).max() < 1e6  # bounded drags: no 1e286
    from sim.scene.io import load_scene

    world, _ = load_scene(scene)
    assert np.isfinite(world.potential.value(world.particles.pos[: world.n])).all()
