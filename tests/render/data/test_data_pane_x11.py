"""The data pane in the real window under Xvfb, driven by xdotool (real SDL events, which carry
no keyboard modifiers on mouse buttons): Shift+click removes a point; a point dragged far past
the pane's edge stops at the edge (it used to run off exponentially, as the pane refits its
bounds to the data every frame), and the scene saved after it holds finite points and opens.
The pane's place comes from the same App laid out offscreen at the same size, checked against
a screenshot of the window. Skipped only when the Xvfb or xdotool binaries are missing."""
import time
import tomllib

import numpy as np

from tests.support import apps
from tests.support.x11 import needs, quit_app, running, wait_for, window_pixels as shot

pytestmark = needs("Xvfb", "xdotool", "import", reason="needs the Xvfb, xdotool and ImageMagick import binaries")

SIZE = (1280, 800)
POINTS = np.array([[0.0, 1.0], [1.0, 2.9], [2.0, 5.1], [3.0, 7.2], [4.0, 8.8], [5.0, 11.1]])
POINT_RGB = (235, 235, 240)  # render.data.pane.POINT


def bounds_of(p: np.ndarray, margin: float = 0.15) -> tuple[float, float, float, float]:
    """The pane's data bounds around points p [n, 2], transcribed: the span plus 15% each side."""
    lo, hi = p.min(axis=0), p.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    return lo[0] - margin * span[0], hi[0] + margin * span[0], lo[1] - margin * span[1], hi[1] + margin * span[1]


def to_px(rect, b, p) -> tuple[int, int]:
    """Data (x, y) -> window pixel in the pane rect with bounds b (y up)."""
    x0, x1, y0, y1 = b
    return (int(rect.left + (p[0] - x0) / (x1 - x0) * rect.width),
            int(rect.bottom - (p[1] - y0) / (y1 - y0) * rect.height))


def pane_rect(argv: list[str]):
    """Where the window puts the data pane: the same App, laid out offscreen at SIZE."""
    return apps.pane_rect(argv, SIZE)


def test_shift_click_removes_and_a_drag_past_the_edge_stays_bounded(xserver, tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n" + "".join(f"{x:g},{y:g}\n" for x, y in POINTS))
    argv = ["--potential", "linreg", "--data", str(csv), "--dynamics", "gd", "--particles", "4",
            "--size", f"{SIZE[0]}x{SIZE[1]}"]
    rect = pane_rect(argv)
    b = bounds_of(POINTS)
    with running(xserver, argv, tmp_path) as (app, win, xdo, env):
        time.sleep(1.5)
        xdo("key", "--window", win, "space")  # pause: the lines in the pane stay still
        time.sleep(0.3)
        px = to_px(rect, b, POINTS[0])
        img = shot(env, win, tmp_path / "before.ppm")
        assert tuple(img[px[1], px[0]]) == POINT_RGB, "the pane is not where the layout puts it"
        xdo("mousemove", "--window", win, *map(str, px))
        time.sleep(0.2)
        xdo("keydown", "shift", "click", "1", "keyup", "shift")  # a real Shift+click
        time.sleep(0.5)
        rest = POINTS[1:]
        b = bounds_of(rest)  # the pane refits to the five points left
        grab = to_px(rect, b, rest[2])
        img = shot(env, win, tmp_path / "after.ppm")
        assert tuple(img[grab[1], grab[0]]) == POINT_RGB, "point 0 was not removed (the pane did not refit)"
        xdo("mousemove", "--window", win, *map(str, grab), "mousedown", "1")
        time.sleep(0.2)
        far = (rect.right + 40, rect.bottom + 40)  # below and right of the pane: its corner (x1, y0)
        for k in range(60):  # real motion events, each one past the edge
            xdo("mousemove", "--window", win, str(far[0] + k % 2), str(far[1] + (k // 2) % 2))
        xdo("mouseup", "1")
        time.sleep(0.5)
        xdo("key", "--window", win, "ctrl+s")
        scene = wait_for(lambda: next(iter(tmp_path.glob("newton-descent-*.toml")), None), 20, "a scene")
        time.sleep(0.5)
        assert app.poll() is None, app.stderr.read()
        status = quit_app(app, xdo, win)
    assert status == 0, app.stderr.read()
    data = tomllib.loads(scene.read_text())["landscape"]["data"]
    x = np.array(data["x"], float)[:, 0]
    got = np.column_stack([x, np.array(data["y"], float)])
    assert len(got) == 5, "Shift+click did not remove the point"
    want = rest.copy()
    want[2] = (b[1], b[2])  # the pane's corner, in the bounds held for the drag
    tol = np.array([(b[1] - b[0]) / rect.width, (b[3] - b[2]) / rect.height]) * 2.5  # 2.5 pixels
    assert np.all(np.abs(got - want) <= tol), (got, want)
    from sim.scene.io import load_scene

    world, _ = load_scene(scene)
    assert np.isfinite(world.potential.value(world.particles.pos[: world.n])).all()
