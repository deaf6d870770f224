"""render.why.maps_ui: the maps of why following a live World, offscreen."""
import math

import numpy as np
import pygame
import pytest

from render.why.maps_ui import MapsUI
from render.look.view import View
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World


@pytest.fixture()
def ui(display):
    m = MapsUI(pygame.font.Font(None, 18))
    for name in ("plane", "phase", "edge", "breaks", "modified"):
        m.set(name, True)
    return m


def run(ui, world, view, frames, surf):
    for _ in range(frames):
        world.tick(1)
        ui.frame(world, view, world.particles.pos[0], 0)
    ui.draw_map(surf, world, view)
    y = 10
    for name in ui.panels_on():
        h = ui.measure(name, 300)
        ui.draw(name, surf, pygame.Rect(10, y, 300, h))
        y += h + 5


def test_ravine_momentum_numbers(ui):
    world = World(get_potential("ravine"), Rule("momentum", lr=0.02, beta=0.9))
    world.drop(np.array([[-3.5, 1.2]]))
    view = View.fit(world.potential.view, (640, 480))
    surf = pygame.Surface((640, 480))
    run(ui, world, view, 300, surf)
    r = ui.readout()
    assert r["plane.lr_opt"] == pytest.approx(1 / 9) and r["plane.beta_opt"] == pytest.approx(4 / 9)
    assert r["plane.rate_opt"] == pytest.approx(2 / 3) and r["plane.kappa"] == pytest.approx(25)
    assert 0.9 < r["plane.rate"] < 1
    assert r["phase.damping"] == "underdamped" and r["phase.turns"] >= 4
    assert r["phase.lam"] == pytest.approx(25.0) and r["phase.samples"] == 300
    assert r["edge.limit"] == pytest.approx(2 * 1.9 / 0.02) and r["edge.lam_max"] == pytest.approx(25)
    assert r["breaks.fraction"] == 0.0  # lr lam = 0.5 everywhere, far from 3.8
    assert r["modified.shift_max"] > 0 and r["modified.lr"] == 0.02
    # a click on the plane sets lr and beta
    rect = ui.rects["plane"]
    x, y = ui.plane.to_pixel(ui.plane.plot_rect, 1 / 9, 4 / 9)
    new = ui.click(world.rule, (int(x), int(y)))
    assert new.name == "momentum" and new.lr == pytest.approx(1 / 9, rel=0.05)
    assert new.beta == pytest.approx(4 / 9, abs=0.02)
    assert ui.click(world.rule, (rect.x + 1, rect.y + 1)) is None


def test_breaks_overlay_on_rosenbrock_moves_with_the_step(ui):
    world = World(get_potential("rosenbrock"), Rule("gd", lr=0.001))
    world.drop(np.array([[-1.0, 1.0]]))
    view = View.fit(world.potential.view, (300, 200))
    surf = pygame.Surface((300, 200))
    run(ui, world, view, 3, surf)
    small = ui.readout()["breaks.fraction"]
    world.set_params(lr=0.004)
    run(ui, world, view, 1, surf)
    big = ui.readout()["breaks.fraction"]
    assert 0 < small < big < 1
    assert ui.readout()["breaks.limit"] == pytest.approx(2 / 0.004)


def test_no_ball_selected_and_newton(ui):
    world = World(get_potential("himmelblau"), Rule("newton", dt=0.01, friction=0.5))
    view = View.fit(world.potential.view, (300, 200))
    surf = pygame.Surface((300, 200))
    ui.frame(world, view, None, None)
    ui.draw_map(surf, world, view)
    for name in ui.panels_on():
        ui.draw(name, surf, pygame.Rect(0, 0, 300, ui.measure(name, 300)))
    r = ui.readout()
    assert r["plane.axes"] == ["dt", "friction"] and r["phase.samples"] == 0
    assert math.isnan(r["edge.limit"]) or r["edge.limit"] > 0
    with pytest.raises(ValueError):
        ui.set("nope")


def test_a_pan_reuses_the_overlay_grids_and_shifts_the_picture(ui):
    """A pan of a few pixels computes nothing (counted): the overlays' picture moves by exactly
    the pan; leaving the region, a zoom or a new step computes again (a draft while the view
    moves, full resolution once it rests). The shading after the pan matches breaks_mask at
    each pixel's own world point (an independent evaluation)."""
    from render.why.maps_ui import REST_FRAMES
    from sim.maps import why as W

    world = World(get_potential("rosenbrock"), Rule("gd", lr=0.0015))
    view = View.fit(world.potential.view, (320, 200))
    surf = pygame.Surface((320, 200))
    ui.draw_map(surf, world, view)
    a = pygame.surfarray.array3d(surf)
    misses, builds = ui.breaks_cache.misses, ui.modified_builds
    assert misses >= 1 and builds == 1
    moved = view.pan(5, 3)
    surf.fill((0, 0, 0))
    ui.draw_map(surf, world, moved)
    b = pygame.surfarray.array3d(surf)
    assert (ui.breaks_cache.misses, ui.modified_builds) == (misses, builds)  # nothing recomputed
    np.testing.assert_array_equal(b[5:, 3:], a[:-5, :-3])  # the same picture, 5 right, 3 down
    assert a.any()
    # the breaks shading against breaks_mask at every pixel's centre
    ui.set("modified", False)
    surf.fill((0, 0, 0))
    ui.draw_map(surf, world, moved)
    red = pygame.surfarray.array3d(surf)[..., 0] > 60
    xs, ys = moved.pixel_centres()
    want, _ = W.breaks_mask(world.potential, world.rule, xs, ys)
    assert 0.05 < want.mean() < 0.95 and (red == want).mean() > 0.97
    ui.set("modified", True)
    # out of the region: computed again, as a draft while moving
    far = moved.pan(200, 0)
    ui.draw_map(surf, world, far)
    assert ui.modified_builds == builds + 1 and ui.breaks_cache.misses == misses + 1 and ui.draft
    for _ in range(REST_FRAMES):  # the view rests: full resolution, once
        ui.draw_map(surf, world, far)
    assert ui.modified_builds == builds + 2 and ui.breaks_cache.misses == misses + 2 and not ui.draft
    ui.draw_map(surf, world, far.zoom_about(160, 100, 1.2))  # a zoom
    assert ui.modified_builds == builds + 3
    world.set_params(lr=0.002)  # a new step
    ui.draw_map(surf, world, far.zoom_about(160, 100, 1.2))
    assert ui.modified_builds == builds + 4 and ui.breaks_cache.misses == misses + 4


def test_the_plane_in_the_window_click_sets_lr_and_beta_and_the_report_has_its_numbers(tmp_path):
    """O shows the plane; a click on its optimum marker sets the optimum (within a pixel's worth)
    through the runtime; --report writes plane.lr_opt etc. as the panel shows them."""
    import json
    import os

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    import main
    from render.app.app import App
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((8, 8))
    app = App(World(get_potential("ravine"), Rule("momentum", lr=0.002)), (1280, 800), headless=True)
    app.runtime.balls.drop(np.array([[1.0, 0.5]]))
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_o, mod=0, unicode="o", scancode=0))
    surf = pygame.Surface((1280, 800), 0, 32)
    app.update(1 / 60)
    app.draw(surf)
    r = app.instruments.maps.readout()
    # kappa = 25 on the ravine: best heavy ball beta ((5-1)/(5+1))^2, rate (5-1)/(5+1)
    assert r["plane.beta_opt"] == pytest.approx((4 / 6) ** 2) and r["plane.rate_opt"] == pytest.approx(4 / 6)
    rect = app.instruments.rects["plane"]
    plane = app.instruments.maps.plane
    best, at = math.inf, None
    for x in range(rect.x, rect.right, 2):
        for y in range(rect.y, rect.bottom, 2):
            s = plane.setting_at(rect, (x, y))
            if s is not None and s[0] > 0:
                d = abs(math.log(s[0] / r["plane.lr_opt"])) + abs(s[1] - r["plane.beta_opt"])
                if d < best:
                    best, at = d, (x, y)
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=at, button=1, mod=0))
    rule = app.world.rule
    assert rule.name == "momentum" and app.world.n == 1  # the click set, it dropped nothing
    assert rule.lr == pytest.approx(r["plane.lr_opt"], rel=0.1) and rule.beta == pytest.approx(r["plane.beta_opt"], abs=0.05)
    out = tmp_path / "r.json"
    assert main.main(["--headless", "--frames", "3", "--potential", "ravine", "--dynamics", "momentum",
                      "--lr", "0.002", "--start=1,0.5", "--show", "plane", "--report", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["plane.rate_opt"] == pytest.approx(4 / 6) and d["plane.rate"] == pytest.approx(r["plane.rate"])


def test_every_overlay_grid_divides_the_pan_region_exactly():
    """The breaks and modified grids, full and draft, tile the cached region with whole cells
    (a cell size that does not divide it stretches the draft picture by a pixel or two)."""
    from render.why import maps_ui as MU
    from render.map import pan_region as PR

    for cells in (MU.OVERLAY_PIXELS, MU.MODIFIED_PIXELS):
        for k in (1, MU.DRAFT_CELLS):
            assert PR.QUANTUM % (k * cells) == 0, (cells, k)
