"""render.why.phase_panel and render.why.overlays_maps: pixels on an offscreen Surface and numbers."""
import math

import numpy as np
import pygame
import pytest

from render.why import overlays_maps as OM
from render.why import phase_panel as PH
from sim.maps.quadratic import QuadraticPotential
from sim.maps import why as W
from sim.rules.dynamics import Rule, State, step


def newton_path(friction, n=1500):
    h = np.array([[9.0, 2.0], [2.0, 3.0]])
    pot = QuadraticPotential(h)
    z = lambda: np.zeros((1, 2))  # noqa: E731
    s = State(np.array([[2.0, 1.0]]), z(), z(), z(), z(), np.zeros(1, dtype=np.int64), np.zeros(1),
              z(), z(), False)
    rule = Rule("newton", dt=0.01, friction=friction)
    pos, vel = [], []
    for _ in range(n):
        s.grad_valid = step(rule, s, pot, np.random.default_rng(0))
        pos.append(s.pos[0].copy())
        vel.append(s.vel[0].copy())
    q, p, e, lam = W.phase_portrait(np.array(pos), np.array(vel), (0, 0), h)
    return q, p, lam, W.damping_kind(rule, lam)


@pytest.fixture()
def font(display):
    return pygame.font.Font(None, 18)


def test_phase_panel_spiral_and_head(font):
    panel = PH.PhasePanel(font)
    q, p, lam, kind = newton_path(0.5)
    h = panel.measure(300)
    surf = pygame.Surface((320, h + 20))
    rect = pygame.Rect(10, 10, 300, h)
    panel.draw(surf, rect, q, p, lam, kind)
    r = panel.readout()
    assert r["phase.damping"] == "underdamped" and r["phase.turns"] >= 4
    assert r["phase.q"] == q[-1] and r["phase.samples"] == len(q)
    plot = panel.plot_rect
    qs, ps = panel.scale(q, p)
    hx, hy = panel.to_pixel(plot, q[-1], p[-1], qs, ps)
    assert surf.get_at((int(hx), int(hy)))[:3] == PH.HEAD_RGB
    arr = pygame.surfarray.array3d(surf)[plot.x:plot.right, plot.y:plot.bottom]
    path = (arr == PH.PATH_RGB).all(axis=2)
    assert path.sum() > 200
    # a spiral: path pixels in all four quadrants around the centre
    cx, cy = plot.w // 2, plot.h // 2
    quads = [path[:cx, :cy].any(), path[cx:, :cy].any(), path[:cx, cy:].any(), path[cx:, cy:].any()]
    assert all(quads)


def test_phase_panel_overdamped_goes_straight_in(font):
    panel = PH.PhasePanel(font)
    q, p, lam, kind = newton_path(12.0)
    panel.draw(pygame.Surface((320, 400)), pygame.Rect(10, 10, 300, panel.measure(300)), q, p, lam, kind)
    r = panel.readout()
    assert r["phase.damping"] == "overdamped" and r["phase.turns"] <= 1
    panel.draw(pygame.Surface((320, 400)), pygame.Rect(10, 10, 300, 300), [], [], math.nan, "")
    assert panel.readout()["phase.samples"] == 0


def test_edge_panel_limit_line(font):
    panel = PH.EdgePanel(font)
    lam = np.linspace(100, 1900, 50)
    h = panel.measure(300)
    surf = pygame.Surface((320, h + 20))
    rect = pygame.Rect(10, 10, 300, h)
    panel.draw(surf, rect, lam, 2000.0)
    r = panel.readout()
    assert r["edge.limit"] == 2000.0 and r["edge.ratio"] == pytest.approx(0.95)
    plot = panel.plot_rect
    top = 1.15 * 2000.0
    y = int(panel.y_pixel(plot, 2000.0, top))
    assert surf.get_at((plot.centerx, y))[:3] == PH.LIMIT_RGB
    y_last = int(panel.y_pixel(plot, 1900.0, top))
    col = [surf.get_at((plot.right - 2, y_last + d))[:3] for d in range(-2, 3)]
    assert PH.LAM_RGB in col


def test_breaks_overlay_shades_only_the_mask(display):
    from sim.data.catalog import get_potential

    pot = get_potential("rosenbrock")
    xs, ys = np.linspace(-2, 2, 80), np.linspace(-1, 3, 60)
    mask, lam = W.breaks_mask(pot, Rule("gd", lr=0.002), xs, ys)
    surf = pygame.Surface((160, 120))
    surf.fill((0, 0, 255))
    ov = OM.BreaksOverlay()
    ov.draw(surf, mask, lam, limit=1000.0, step=0.002)
    arr = pygame.surfarray.array3d(surf)
    big = np.repeat(np.repeat(mask, 2, axis=0), 2, axis=1)[:, ::-1]  # screen rows: y down
    red = arr[..., 0] > 60
    assert red[big].mean() > 0.99 and not red[~big].any()
    r = ov.readout()
    assert r["breaks.fraction"] == pytest.approx(mask.mean()) and 0 < r["breaks.fraction"] < 1
    assert r["breaks.limit"] == 1000.0


def test_modified_overlay_lines_move(display):
    xs = np.linspace(0, 1, 100)
    v = np.repeat(xs[:, None], 50, axis=1)  # V = x
    vmod = v + 0.1  # shifted up: its contours sit 0.1 further left
    levels = np.array([0.5])
    surf = pygame.Surface((100, 50))
    ov = OM.ModifiedOverlay()
    ov.draw(surf, v, vmod, levels, lr=0.4)
    arr = pygame.surfarray.array3d(surf)
    row = arr[:, 25].astype(int)  # anti-aliased lines: a line between two columns lights both
    white_cols = np.flatnonzero((row > 40).all(axis=1) & (abs(row[:, 0] - row[:, 1]) < 30))
    mag_cols = np.flatnonzero((row[:, 0] > 60) & (row[:, 1] < row[:, 0] // 2))
    assert len(white_cols) and len(mag_cols)
    assert abs(xs[white_cols[0]] - 0.5) < 0.02 and abs(xs[white_cols[-1]] - 0.5) < 0.02
    assert abs(xs[mag_cols[0]] - 0.4) < 0.02 and abs(xs[mag_cols[-1]] - 0.4) < 0.02
    r = ov.readout()
    assert r["modified.shift_max"] == pytest.approx(0.1) and r["modified.levels"] == 1
    assert r["modified.shift_rel"] == pytest.approx(0.1)


def test_modified_grids_and_levels():
    from sim.data.catalog import get_potential

    pot = get_potential("himmelblau")
    xs, ys = np.linspace(-5, 5, 30), np.linspace(-5, 5, 20)
    v, vm = W.modified_grids(pot, 0.01 / 4, xs, ys)  # gd at lr 0.01: c = lr/4
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    g = pot.grad(np.column_stack([X.ravel(), Y.ravel()]))
    np.testing.assert_allclose(vm - v, (0.0025 * (g ** 2).sum(axis=1)).reshape(v.shape))
    lv = W.contour_levels(v, 10)
    assert len(lv) == 10 and (np.diff(lv) > 0).all()
    assert len(W.contour_levels(np.zeros((3, 3)), 5)) == 0
