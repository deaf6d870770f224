"""The 3D view's loose ends: the ball panel's mouse hint follows the half under the mouse, the
instruments read the ray's hit on the surface (nothing when it misses), a ball behind a hill is
a faint ring only, and scenes keep the 3D mode and camera. References are written here."""
from __future__ import annotations

import math

import numpy as np
import pygame
import pytest

from render.panels.panel import Context
from sim.landscapes.formula.potential import expression_potential
from sim.data.catalog import get_potential

from tests.support.view3d import SIZE, box_of, draw, own_height, own_hit, own_project, view3d_app as make_app

pytestmark = pytest.mark.usefixtures("display")


def panel_text(app, mouse):
    app.gestures.mouse = mouse
    draw(app)
    from render.hud.plots import ball_lines

    hint = app.view3d.mouse_hint(mouse)
    return " ".join(t for line in ball_lines(app.runtime, None, False, hint) for t, *_ in line.parts)


@pytest.mark.parametrize("mode,mouse,word", [("3d", (300, 200), "orbit"), ("both", (480, 200), "orbit"),
                                             ("both", (100, 200), "throw"), ("map", (300, 200), "throw")])
def test_the_ball_panel_says_what_a_drag_does_where_the_mouse_is(mode, mouse, word):
    app = make_app("himmelblau", mode=mode)
    text = panel_text(app, mouse)
    other = {"orbit": "throw", "throw": "orbit"}[word]
    assert f"drag: {word}" in text and f"drag: {other}" not in text


def world_of_box(app, P):
    cx, cy, half = box_of(app.camera.view.rect())
    return cx + P[0] * half, cy + P[1] * half


@pytest.mark.parametrize("mode,mouse", [("3d", (300, 220)), ("both", (470, 210))])
def test_the_instruments_read_the_rays_hit_over_the_3d_view(mode, mouse):
    yaw, pitch = 35.0, 40.0
    app = make_app("himmelblau", yaw, pitch, mode=mode)
    app.gestures.mouse = mouse
    draw(app)
    pot, sh = app.world.potential, app.view3d.shading
    cx, cy, half = box_of(app.camera.view.rect())
    rect = app.view3d.rect

    def zf(X, Y):
        return own_height(pot, sh, cx + np.asarray(X) * half, cy + np.asarray(Y) * half)

    P = own_hit(zf, mouse[0] - rect.x + 0.5, mouse[1] - rect.y + 0.5, yaw, pitch, 1.0, rect.size)
    want = world_of_box(app, P)
    got = app.frame.context(1).cursor_point()
    assert got is not None
    assert math.hypot(got[0] - want[0], got[1] - want[1]) < 1e-3 * half, (got, want)
    # the map's reading of that pixel would be somewhere else entirely
    mp = app.camera.view.pixel_to_world(mouse[0] + 0.5, mouse[1] + 0.5)
    assert math.hypot(mp[0] - want[0], mp[1] - want[1]) > 0.05 * half


def test_a_ray_that_misses_the_surface_gives_no_point():
    app = make_app("himmelblau", 0.0, 30.0, mode="3d")
    app.gestures.mouse = (5, 5)  # the sky in the corner
    draw(app)
    assert app.frame.context(1).cursor_point() is None
    app.instruments.on["stability"] = True
    draw(app)  # the stability panel with no point and no ball: it falls back, never a map point


def test_the_map_half_still_reads_the_map_pixel():
    app = make_app("himmelblau", mode="both")
    app.gestures.mouse = (100, 150)
    draw(app)
    v = app.camera.view
    assert app.frame.context(1).cursor_point() == v.pixel_to_world(100.5, 150.5)


def test_a_ball_behind_a_ridge_is_drawn_only_as_a_faint_ring():
    from render.view3d.ui import XRAY_ALPHA, XRAY_COLOR, XRAY_RADIUS

    pot = expression_potential("3*exp(-20*y^2)", (-2, 2, -2, 2))
    yaw, pitch = 0.0, 12.0
    app = make_app(pot, yaw, pitch)
    before = draw(app)
    cx, cy, half = box_of(app.camera.view.rect())
    behind = (0.3, 0.9)
    pb = own_project((behind[0] - cx) / half, (behind[1] - cy) / half,
                     own_height(pot, app.view3d.shading, *behind)[0], yaw, pitch, 1.0, SIZE)
    app.world.drop(np.array([behind]))
    after = draw(app)
    x0, y0 = int(pb[0]), int(pb[1])
    b = 10
    changed = np.any(before[x0 - b:x0 + b, y0 - b:y0 + b] != after[x0 - b:x0 + b, y0 - b:y0 + b], axis=2)
    xs, ys = np.nonzero(changed)
    assert len(xs) >= 20, "no ring"
    r = np.hypot(xs - b, ys - b)  # distances from the ball's pixel
    assert np.all(np.abs(r - XRAY_RADIUS) < 0.75), "something other than the ring was drawn"
    # the colour: XRAY_ALPHA of the way from the picture to XRAY_COLOR
    old = before[x0 - b + xs, y0 - b + ys].astype(float)
    want = old + XRAY_ALPHA * (np.asarray(XRAY_COLOR, float) - old)
    assert np.all(np.abs(after[x0 - b + xs, y0 - b + ys] - want) <= 1.01)
    assert app.view3d.proj.hidden[0] and not app.view3d.proj.visible[0]


def test_a_ball_in_sight_has_no_ring():
    app = make_app("bowl", 0.0, 90.0)
    app.world.drop(np.array([[0.5, 0.5]]))
    draw(app)
    assert app.view3d.proj.visible[0] and not app.view3d.proj.hidden[0]


# -- scenes keep the 3D mode and the camera ---------------------------------------------------------

def save_and_wait(app, folder):
    path = app.scene_ui.save(folder)
    if path is None:
        assert app.scene_ui.saves.wait(30)
        path = sorted(folder.glob("*.toml"))[-1]
    return path


def test_a_scene_saves_and_loads_the_3d_mode_and_camera(tmp_path):
    import tomllib

    from sim.scene.io import load_scene

    app = make_app("himmelblau", 40.0, 30.0, zoom=1.5, mode="both")
    app.world.drop(np.array([[0.5, 0.5]]))
    path = save_and_wait(app, tmp_path)
    t = tomllib.loads(path.read_text())["view3d"]  # the file itself, read by the standard library
    assert t == {"mode": "both", "yaw": 40.0, "pitch": 30.0, "zoom": 1.5}
    fresh = make_app("bowl", mode="map")
    fresh.view3d.cam.reset()
    world, info = load_scene(path)
    fresh.scene_ui.open_scene(world, info, path)
    assert fresh.view3d.mode == "both" and fresh.show["3D"]
    assert fresh.view3d.cam.key == (40.0, 30.0, 1.5)


def test_an_old_scene_without_view3d_leaves_the_view_as_it_is(tmp_path):
    from sim.scene.io import load_scene

    app = make_app("himmelblau", mode="map")
    app.view3d.cam.reset()
    path = save_and_wait(app, tmp_path)
    assert "[view3d]" not in path.read_text()  # a map-mode window at the starting camera: as before
    fresh = make_app("bowl", 10.0, 70.0, mode="3d")
    world, info = load_scene(path)
    assert info.view3d is None
    fresh.scene_ui.open_scene(world, info, path)
    assert fresh.view3d.mode == "3d" and fresh.view3d.cam.key[:2] == (10.0, 70.0)


@pytest.mark.parametrize("table,word", [('mode = "top"', "mode"), ("pitch = 2.0", "pitch"),
                                        ("zoom = -1.0", "zoom"), ('yaw = "x"', "yaw"), ("roll = 3.0", "roll")])
def test_a_bad_view3d_table_is_one_clear_error(tmp_path, table, word):
    from sim.scene.schema import SceneError
    from sim.scene.io import load_scene

    f = tmp_path / "s.toml"
    f.write_text(f'[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n[view3d]\n{table}\n')
    with pytest.raises(SceneError, match=word):
        load_scene(f)


def test_view3d_on_the_command_line_overrides_the_scenes(tmp_path):
    from render.app.loop import _make_app
    from sim.scene.io import load_scene

    f = tmp_path / "s.toml"
    f.write_text('[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n'
                 '[view3d]\nmode = "both"\nyaw = 40.0\npitch = 30.0\nzoom = 2.0\n')
    scene = load_scene(f)
    world = scene[0]
    screen = pygame.Surface(SIZE, 0, 32)
    app, err = _make_app(screen, world.potential, world.rule, 0, 0, True, {"scene": scene})
    assert err is None and app.view3d.mode == "both" and app.view3d.cam.key == (40.0, 30.0, 2.0)
    app, err = _make_app(screen, world.potential, world.rule, 0, 0, True,
                         {"scene": load_scene(f), "view3d": (10.0, 70.0)})
    assert err is None and app.view3d.cam.key[:2] == (10.0, 70.0)
