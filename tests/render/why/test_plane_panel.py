"""render.why.plane_panel: pixels on an offscreen Surface and the numbers it reports."""
import math

import numpy as np
import pygame
import pytest

from render.why import plane_panel as PP
from sim.rules.dynamics import Rule

LAMS = (25.0, 1.0)


def hb_rate(lr, beta, lams):
    """Independent: eigenvalues of heavy ball's matrix [[1 - lr lam, -lr beta], [lam, beta]]."""
    return max(max(abs(np.linalg.eigvals(np.array([[1 - lr * l, -lr * beta], [l, beta]]))))
               for l in lams)


@pytest.fixture()
def panel(display):
    font = pygame.font.Font(None, 18)
    p = PP.PlanePanel(font, plot_size=(120, 80))
    p.update(Rule("momentum", lr=0.05, beta=0.5), LAMS)
    return p


def draw(panel, hover=None, width=320):
    h = panel.measure(width)
    surf = pygame.Surface((width + 20, h + 20))
    surf.fill((0, 0, 0))
    rect = pygame.Rect(10, 10, width, h)
    panel.draw(surf, rect, hover_pos=hover)
    return surf, rect


def test_readout_numbers(panel):
    r = panel.readout()
    assert r["plane.lr_opt"] == pytest.approx(1 / 9)
    assert r["plane.beta_opt"] == pytest.approx(4 / 9)
    assert r["plane.rate_opt"] == pytest.approx(2 / 3) and round(r["plane.rate_opt"], 3) == 0.667
    assert round(r["plane.rate_gd_opt"], 3) == 0.923
    assert r["plane.rate"] == pytest.approx(hb_rate(0.05, 0.5, LAMS), rel=1e-9)
    assert r["plane.steps"] == pytest.approx(math.log(1000) / -math.log(r["plane.rate"]))
    assert r["plane.kappa"] == pytest.approx(25.0)


def test_dot_ring_and_unstable_pixels(panel):
    surf, rect = draw(panel)
    plot = panel.plot_rect
    x, y = panel.to_pixel(plot, 0.05, 0.5)
    assert surf.get_at((int(x), int(y)))[:3] == PP.NOW_RGB  # the current setting
    bx, by = panel.to_pixel(plot, 1 / 9, 4 / 9)
    ring = [surf.get_at((int(bx) + dx, int(by)))[:3] for dx in range(-7, 8)]
    assert PP.BEST_RGB in ring  # the optimum's gold ring
    # bottom right: lr = 4.4/25 at beta ~ 0 is beyond 2/25 -> unstable colour
    assert surf.get_at((plot.right - 3, plot.bottom - 3))[:3] == PP.UNSTABLE_RGB
    # top left: small lr, beta ~ 1: stable but slow (dark viridis, not red)
    c = surf.get_at((plot.x + 2, plot.y + 2))[:3]
    assert c != PP.UNSTABLE_RGB and sum(c) < 300


def test_border_sits_at_the_exact_limit(panel):
    surf, _ = draw(panel)
    plot = panel.plot_rect
    for beta in (0.2, 0.6):
        lim = 2 * (1 + beta) / 25.0  # momentum's limit lr lam_max = 2(1 + beta)
        x, y = panel.to_pixel(plot, lim, beta)
        row = [surf.get_at((int(x) + dx, int(y)))[:3] for dx in range(-3, 4)]
        assert PP.BORDER_RGB in row
        assert surf.get_at((int(x) + 6, int(y)))[:3] == PP.UNSTABLE_RGB
        assert surf.get_at((int(x) - 6, int(y)))[:3] != PP.UNSTABLE_RGB


def test_critical_curve_pixels(panel):
    surf, _ = draw(panel)
    plot = panel.plot_rect
    hits = 0
    for lr in np.linspace(0.004, 0.03, 12):
        beta = (1 - math.sqrt(lr * 25.0)) ** 2
        x, y = panel.to_pixel(plot, lr, beta)
        col = [surf.get_at((int(x), int(y) + dy))[:3] for dy in range(-2, 3)]
        hits += PP.CRITICAL_RGB in col
    assert hits >= 6  # dashed


def test_hover_and_click(panel):
    surf, rect = draw(panel)
    plot = panel.plot_rect
    x, y = panel.to_pixel(plot, 0.08, 0.3)
    at = panel.setting_at(rect, (int(x), int(y)))
    a0, a1, b0, b1 = panel._box()
    assert at[0] == pytest.approx(0.08, abs=(a1 - a0) / plot.w)
    assert at[1] == pytest.approx(0.3, abs=(b1 - b0) / plot.h)
    h = panel.hover(rect, (int(x), int(y)))
    assert h[2] == pytest.approx(hb_rate(at[0], at[1], LAMS), rel=1e-9)
    r = panel.readout()
    assert r["plane.hover_rate"] == h[2]
    assert panel.setting_at(rect, (rect.x + 1, rect.y + 1)) is None
    draw(panel, hover=(int(x), int(y)))  # the hover row is drawn without error


def test_cache_and_newton_plane(display):
    p = PP.PlanePanel(pygame.font.Font(None, 18), plot_size=(40, 30))
    p.update(Rule("newton", dt=0.1, friction=1.0), LAMS)
    p.update(Rule("newton", dt=0.1, friction=1.0), LAMS)
    assert p.computed == 1
    p.update(Rule("newton", dt=0.1, friction=1.0), (25.000001, 1.0))  # exact eigenvalues: a new model
    assert p.computed == 2 and p.readout()["plane.lam_max"] == 25.000001
    p.update(Rule("newton", dt=0.1, friction=1.0), LAMS)
    r = p.readout()
    assert r["plane.axes"] == ["dt", "friction"] and r["plane.rate_plane_opt"] == pytest.approx(2 / 3)
    # the keys say what the panel shows: the (dt, friction) plane's own best, never heavy ball's
    assert "plane.lr_opt" not in r and "plane.beta_opt" not in r
    assert r["plane.dt_opt"] == r["plane.p1_opt"] and r["plane.friction_opt"] == r["plane.p2_opt"]
    p.update(Rule("newton", dt=0.2, friction=1.0), LAMS)
    assert p.computed == 4
    draw(p)
    p.update(Rule("adam"), LAMS)
    assert p.readout()["plane.rate"] is None and p.readout()["plane.kind"] is None  # adam: no map, no plane
    draw(p)
