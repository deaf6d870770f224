"""The 3D view: its projection, occlusion, colours and layout checked against formulas written
out for the tests (tests/support/view3d.py, not the view's own code), its camera's limits, the
click that drops a ball on the surface, the keys and the command line."""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pygame
import pytest
from hypothesis import given, settings, strategies as st

from render.app.app import App
from render.look.colormap import VIRIDIS, log_scale_inverse
from render.map.landscape import LEVELS, Landscape
from render.view3d import camera as cm
from render.view3d import surface as sf
from sim.rules.dynamics import Rule
from sim.landscapes.formula.potential import expression_potential
from sim.data.catalog import get_potential
from sim.core.world import World

from conftest import ROOT
from tests.support.view3d import SIZE, box_of, draw, own_height, own_hit, own_project, own_scale
from tests.support.view3d import view3d_app as make_app

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def picture(app):
    """The 3D view's own picture (under the HUD's panels) after a frame."""
    draw(app)
    return pygame.surfarray.array3d(app.view3d.picture.image).astype(int)


def sprite_centre(before, after, near, box=22):
    """Centre of the bounding box of the pixels that changed within `box` of `near`."""
    x0, y0 = int(near[0]) - box, int(near[1]) - box
    diff = np.any(before[x0:x0 + 2 * box, y0:y0 + 2 * box] != after[x0:x0 + 2 * box, y0:y0 + 2 * box], axis=2)
    xs, ys = np.nonzero(diff)
    if not len(xs):
        return None
    return x0 + (xs.min() + xs.max() + 1) / 2, y0 + (ys.min() + ys.max() + 1) / 2


# -- the projection of a ball -----------------------------------------------------------------------

CASES = [
    ("bowl", -28.0, 45.0, 1.0, (0.8, -0.5)),
    ("himmelblau", 60.0, 30.0, 1.3, (0.5, -1.0)),
    ("rosenbrock", 150.0, 70.0, 0.8, (0.3, 0.6)),
    ("expr", -100.0, 55.0, 1.0, (1.0, -1.0)),
    ("linreg", 20.0, 80.0, 1.0, None),
    ("mlp", 200.0, 40.0, 1.2, (0.2, -0.3)),
]


@pytest.mark.parametrize("name,yaw,pitch,zoom,at", CASES)
def test_a_ball_is_drawn_at_the_projection_of_x_y_v(name, yaw, pitch, zoom, at):
    pot = expression_potential("sin(x)*cos(y) + 0.1*(x^2 + y^2)", (-3, 3, -3, 3)) if name == "expr" else name
    app = make_app(pot, yaw, pitch, zoom)
    before = draw(app)
    pot = app.world.potential
    if at is None:  # a data landscape: near its known minimum
        at = tuple(np.asarray(pot.minima[0]) + 0.1)
    app.world.drop(np.array([at]))
    after = draw(app)
    cx, cy, half = box_of(app.camera.view.rect())
    Z = own_height(pot, app.view3d.shading, at[0], at[1])[0]
    ex, ey = own_project((at[0] - cx) / half, (at[1] - cy) / half, Z, yaw, pitch, zoom, SIZE)
    got = sprite_centre(before, after, (ex, ey))
    assert got is not None, "the ball was not drawn near its projection"
    assert abs(got[0] - ex) <= 1.0 and abs(got[1] - ey) <= 1.0, (got, (ex, ey))


def test_a_ball_behind_a_ridge_is_not_drawn_and_one_in_front_is():
    pot = expression_potential("3*exp(-20*y^2)", (-2, 2, -2, 2))
    yaw, pitch = 0.0, 12.0  # looking along +y, low: the ridge y = 0 stands between
    app = make_app(pot, yaw, pitch)
    before = draw(app)
    cx, cy, half = box_of(app.camera.view.rect())
    sh = app.view3d.shading
    behind, front = (0.3, 0.9), (-0.3, -0.9)
    pb = own_project((behind[0] - cx) / half, (behind[1] - cy) / half,
                     own_height(pot, sh, *behind)[0], yaw, pitch, 1.0, SIZE)
    ridge = own_project((behind[0] - cx) / half, (0 - cy) / half, own_height(pot, sh, behind[0], 0.0)[0],
                        yaw, pitch, 1.0, SIZE)
    assert ridge[1] < pb[1] - 8  # the geometry: the ridge's crest is drawn above the ball's place
    app.world.drop(np.array([behind, front]))
    after = draw(app)
    assert not app.view3d.proj.visible[0] and app.view3d.proj.visible[1]
    x0, y0 = int(pb[0]), int(pb[1])  # no sprite: its core is untouched (only the x-ray ring, 5 px out)
    assert not np.any(before[x0 - 3:x0 + 4, y0 - 3:y0 + 4] != after[x0 - 3:x0 + 4, y0 - 3:y0 + 4])
    pf = own_project((front[0] - cx) / half, (front[1] - cy) / half, own_height(pot, sh, *front)[0],
                     yaw, pitch, 1.0, SIZE)
    assert sprite_centre(before, after, pf) is not None


# -- colours ----------------------------------------------------------------------------------------

def own_colour(pot, shading, X, Y, cx, cy, half):
    """Viridis of the map's colour coordinate, times Lambert from a finite-difference normal."""
    def zf(Xa, Ya):
        return own_height(pot, shading, cx + np.asarray(Xa) * half, cy + np.asarray(Ya) * half)

    h = 1e-4
    gx = (zf(X + h, Y) - zf(X - h, Y))[0] / (2 * h)
    gy = (zf(X, Y + h) - zf(X, Y - h))[0] / (2 * h)
    n = np.array([-gx, -gy, 1.0]) / math.sqrt(gx * gx + gy * gy + 1)
    L = sf.LIGHT
    lam = (sf.AMBIENT + sf.DIFFUSE * max(n @ L, 0)) / (sf.AMBIENT + sf.DIFFUSE * L[2])
    lam = min(lam, sf.LIT_MAX)
    s = float(np.clip(shading(pot.value(np.array([[cx + X * half, cy + Y * half]])))[0], 0, 1))
    return VIRIDIS[int(s * 255 + 0.5)] * lam, s


@pytest.mark.parametrize("name,yaw,pitch", [("bowl", 0.0, 90.0), ("himmelblau", 0.0, 90.0),
                                            ("bowl", 30.0, 50.0), ("six_hump_camel", -60.0, 65.0)])
def test_the_surface_colour_is_the_colormap_of_v_times_the_light(name, yaw, pitch):
    app = make_app(name, yaw, pitch)
    img = picture(app)
    pot, sh = app.world.potential, app.view3d.shading
    cx, cy, half = box_of(app.camera.view.rect())
    tex = max(app.view3d.picture.surf.spacing())
    rng = np.random.default_rng(5)
    checked = 0
    for px, py in rng.uniform((200, 150), (440, 260), (60, 2)).astype(int):
        def zf(X, Y):
            return own_height(pot, sh, cx + X * half, cy + Y * half)

        P = own_hit(zf, px + 0.5, py + 0.5, yaw, pitch, 1.0, SIZE)
        want, s = own_colour(pot, sh, P[0], P[1], cx, cy, half)
        # away from iso-lines (3 grid steps) and from the minima marks
        h = 1e-4
        f = lambda X, Y: LEVELS * np.clip(sh(pot.value(np.array([[cx + X * half, cy + Y * half]]))), 0, 1)[0]
        gf = math.hypot(f(P[0] + h, P[1]) - f(P[0] - h, P[1]), f(P[0], P[1] + h) - f(P[0], P[1] - h)) / (2 * h)
        if abs(s * LEVELS - round(s * LEVELS)) < 3 * tex * gf or s * LEVELS < 0.6:
            continue
        mins = (np.asarray(pot.minima) - (cx, cy)) / half
        if len(mins) and np.min(np.hypot(*(mins - P[:2]).T)) < 12 / own_scale(1.0, SIZE):
            continue
        assert np.all(np.abs(img[px, py] - want) <= 7), (px, py, img[px, py], want)
        checked += 1
    assert checked >= 10


def test_the_bowl_from_straight_above_has_the_maps_layout():
    app = make_app("bowl", 0.0, 90.0)
    img = picture(app)
    pot, sh = app.world.potential, app.view3d.shading
    view = app.camera.view
    cx, cy, half = box_of(view.rect())
    k = own_scale(1.0, SIZE)
    assert (cx, cy) == (0.0, 0.0)
    c = (SIZE[0] // 2, SIZE[1] // 2)  # the minimum (0, 0) is at the centre, marked
    assert tuple(img[c[0], c[1]]) != tuple(img[c[0] + 20, c[1]])
    lum = img[..., 0] * 0.3 + img[..., 1] * 0.59 + img[..., 2] * 0.11

    def dips(row, x0, x1, threshold=0.07):
        """Pixels that stand out of their neighbourhood (the map draws light lines on its
        dark colours, dark ones on light colours)."""
        dev = np.zeros(len(row))
        for x in range(x0 + 6, x1 - 6):
            ref = np.median(row[x - 6:x + 7])
            dev[x] = abs(row[x] - ref) / ref
        return [x for x in range(x0 + 6, x1 - 6) if dev[x] > threshold and dev[x] == dev[x - 2:x + 3].max()]

    # the levels' radii: V = r^2 / 2 at s = j / LEVELS
    levels = np.arange(1, LEVELS) / LEVELS
    u = sh.lo + levels * (sh.hi - sh.lo)
    vk = log_scale_inverse(u, sh.vmin, sh.floor) if sh.log else u
    radii = np.sqrt(2 * np.maximum(vk, 0))
    edge = min(view.rect()[1], view.rect()[3])
    radii = radii[(radii > 0.15) & (radii < 0.95 * edge)]
    got3d = (np.array(dips(lum[:, c[1]], c[0] + 12, int(c[0] + k * edge / half))) + 0.5 - SIZE[0] / 2) / k * half
    # the map of the same view, its lines found the same way
    lmap = pygame.surfarray.array3d(Landscape().surface(view, pot)).astype(float)
    lmap = lmap[..., 0] * 0.3 + lmap[..., 1] * 0.59 + lmap[..., 2] * 0.11
    gotmap = (np.array(dips(lmap[:, c[1]], c[0] + 12, int(c[0] + view.scale * edge), 0.03))
              + 0.5 - SIZE[0] / 2) / view.scale
    assert len(radii) >= 4 and len(got3d) == len(radii), (radii, got3d)
    assert np.all(np.abs(got3d - radii) <= 1.5 * half / k)  # within 1.5 pixels
    # the map draws each of these lines at the same radius (within a pixel of each picture)
    for r in got3d:
        assert np.min(np.abs(gotmap - r)) <= 1.5 * half / k + 1.5 / view.scale, (r, gotmap)


# -- the camera -------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)), min_size=1, max_size=12))
def test_orbiting_never_flips_or_shows_the_underside(drags):
    cam = cm.OrbitCamera()
    for dx, dy in drags:
        cam.orbit(dx, dy)
        R, U, D = cam.basis()
        assert cm.PITCH_MIN <= cam.pitch <= 90.0
        assert U[2] >= -1e-12  # screen up never points down
        assert D[2] < 0  # the camera always looks down onto the top
        assert abs(R @ U) < 1e-12 and abs(R @ D) < 1e-12 and abs(U @ D) < 1e-12


def test_drag_orbits_wheel_zooms_and_the_keys_switch_and_reset():
    app = make_app("bowl", mode="map")
    draw(app)
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKQUOTE, mod=0, unicode="`", scancode=0))
    assert app.view3d.mode == "3d"
    draw(app)
    y0, p0 = app.view3d.cam.yaw, app.view3d.cam.pitch
    for t, pos in ((pygame.MOUSEBUTTONDOWN, (300, 200)), (pygame.MOUSEMOTION, (340, 180)),
                   (pygame.MOUSEBUTTONUP, (340, 180))):
        app.handle(pygame.event.Event(t, pos=pos, button=1, mod=0, rel=(0, 0), buttons=(1, 0, 0)))
    assert app.world.n == 0  # a drag orbits, it drops nothing
    assert app.view3d.cam.yaw == pytest.approx(y0 - 40 * cm.ORBIT_DEG_PER_PIXEL[0])
    assert app.view3d.cam.pitch == pytest.approx(p0 - 20 * cm.ORBIT_DEG_PER_PIXEL[1])
    app.gestures.mouse = (320, 200)
    app.handle(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=1, precise_x=0.0, precise_y=1.0, flipped=False))
    assert app.view3d.cam.zoom > 1.0
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_HOME, mod=pygame.KMOD_LSHIFT, unicode="", scancode=0))
    assert app.view3d.cam.key == (cm.DEFAULT_YAW, cm.DEFAULT_PITCH, 1.0)
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKQUOTE, mod=0, unicode="`", scancode=0))
    assert app.view3d.mode == "both"
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKQUOTE, mod=0, unicode="`", scancode=0))
    assert app.view3d.mode == "map"


@pytest.mark.parametrize("mode,click", [("3d", (300, 220)), ("both", (480, 230))])
def test_a_click_drops_a_ball_where_the_ray_meets_the_surface(mode, click):
    yaw, pitch = 35.0, 40.0
    app = make_app("himmelblau", yaw, pitch, mode=mode)
    draw(app)
    for t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        app.handle(pygame.event.Event(t, pos=click, button=1, mod=0))
    assert app.world.n == 1
    x, y = app.world.particles.pos[0]
    rect = app.view3d.rect
    cx, cy, half = box_of(app.camera.view.rect())
    Z = own_height(app.world.potential, app.view3d.shading, x, y)[0]
    px, py = own_project((x - cx) / half, (y - cy) / half, Z, yaw, pitch, 1.0, rect.size)
    assert abs(px - (click[0] - rect.x + 0.5)) < 0.05 and abs(py - (click[1] - rect.y + 0.5)) < 0.05


def test_the_picture_is_cached_until_the_camera_moves():
    app = make_app("rosenbrock")
    draw(app)
    n = app.view3d.picture.renders
    draw(app)
    draw(app)
    assert app.view3d.picture.renders == n
    app.view3d.cam.orbit(5, 0)
    draw(app)
    assert app.view3d.picture.renders == n + 1


def test_the_map_mode_draws_the_map_exactly_as_before():
    a = make_app("beale", mode="map")
    world = World(get_potential("beale"), Rule("gd", lr=0.01), seed=1)
    b = App(world, SIZE, seed=1, headless=True)
    b.show["trails"] = False
    b.frame.p.view3d = None  # no 3D view at all
    for app in (a, b):
        app.world.drop(np.array([[1.0, 0.5], [2.0, -0.2]]))
    assert np.array_equal(draw(a), draw(b))


# -- the command line -------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--view3d", "1,2,3"], ["--view3d", "abc"], ["--view3d", "0,100"],
                                  ["--view3d", "nan,45"], ["--view3d=10,-5"], ["--show", "3dd"],
                                  ["--steps", "3", "--dump", "x.json", "--view3d", "0,45"]])
def test_bad_view3d_input_is_one_line_and_status_2(args, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "1", *args]
                       if "--steps" not in args else [sys.executable, str(ROOT / "main.py"), "--headless", *args],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "--view3d" in lines[0] or "--show" in lines[0]


def test_show_3d_puts_the_3d_view_in_a_screenshot(tmp_path):
    out = tmp_path / "shot.png"
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "2", "--size", "640x400",
                        "--view3d", "0,90", "--screenshot", str(out)], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    img = pygame.surfarray.array3d(pygame.image.load(str(out)))
    from render.view3d.draw import BACKGROUND
    # straight above, the box's top view leaves the background around it (a map fills the area)
    assert tuple(img[320, 3]) == BACKGROUND and tuple(img[320, 200]) != BACKGROUND
