"""The step panel: arrow geometry against hand-worked directions and lengths, and pixel
probes of the drawn arrows and legend swatches, offscreen."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from render.panels import step_panel as SP
from render.panels.step_panel import StepPanel, arrow_geometry
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.rules.base import FORCE, STEP, Term
from sim.runtime.step_readout import Readout, capture, readout
from sim.core.world import World

BG = (0, 0, 0)


@pytest.fixture(scope="module")
def panel(display):
    return StepPanel(pygame.font.Font(None, 16))


def last_tick(rule: Rule) -> Readout:
    w = World(get_potential("rosenbrock"), rule, seed=1)
    w.drop(np.array([[-1.0, 1.5], [0.4, 0.2]]), vel=np.array([[0.3, 0.1]] * 2) if rule.newtonian else None)
    w.tick(3)
    b = capture(w, 0)
    w.tick()
    return readout(b, capture(w, 0), w.potential)


def test_arrows_point_along_the_terms_y_flipped_and_scale_within_a_family():
    ro = Readout(Rule("newton"), 0, 1, (
        Term("force", "−∇V", "", np.array([3.0, 4.0]), FORCE),
        Term("friction", "−γ v", "", np.array([-0.3, 0.0]), FORCE),
        Term("a", "a", "", np.array([0.0, 0.0]), FORCE),  # zero: no arrow
        Term("dx", "Δx", "", np.array([0.0, -0.01]), STEP),
        Term("c1", "c", "", 0.5),  # scalar: no arrow
    ))
    arrows = {a.key: a for a in arrow_geometry(ro, (100.0, 50.0), longest=60.0)}
    assert set(arrows) == {"force", "friction", "dx"}
    f = arrows["force"]
    assert np.allclose(f.tail, [100, 50]) and np.allclose(f.tip, [100 + 36, 50 - 48])  # 60 * (0.6, -0.8)
    fr = arrows["friction"]
    assert np.allclose(fr.tip - fr.tail, [-60 * 0.3 / 5, 0]) or np.allclose(fr.tip - fr.tail, [-SP.ARROW_SHORTEST, 0])
    assert np.hypot(*(fr.tip - fr.tail)) == pytest.approx(max(60 * 0.3 / 5, SP.ARROW_SHORTEST))
    d = arrows["dx"]  # alone in its family: its family's length, down the screen (world y down)
    assert np.allclose(d.tip - d.tail, [0, 60 * SP.FAMILY_SHARE[STEP]])
    lengths = [np.hypot(*(a.tip - a.tail)) for a in arrow_geometry(ro, (0, 0), 60.0)]
    assert lengths == sorted(lengths, reverse=True)  # longest first: short ones drawn on top
    assert f.color == SP.TERM_COLORS["force"]


@pytest.mark.parametrize("rule", [Rule("gd", lr=1e-3), Rule("adam", lr=0.02),
                                  Rule("langevin", dt=0.01, friction=0.5, temperature=0.5)],
                         ids=lambda r: r.name)
def test_drawn_arrows_and_legend_pixels(panel, rule):
    ro = last_tick(rule)
    s = pygame.Surface((400, 300))
    s.fill(BG)
    arrows = panel.draw_arrows(s, ro, (200.0, 150.0), longest=70.0)
    assert arrows
    first = arrows[-1]  # drawn last: on top of the others
    u = (first.tip - first.tail) / np.hypot(*(first.tip - first.tail))
    probe = first.tail + u * 0.5 * np.hypot(*(first.tip - first.tail))
    seen = {tuple(s.get_at((int(probe[0]) + dx, int(probe[1]) + dy))[:3])
            for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    assert first.color in seen
    if rule.name == "gd":  # gd: the step points against the gradient
        g = next(a for a in arrows if a.key == "g")
        dx = next(a for a in arrows if a.key == "dx")
        assert np.dot(g.tip - g.tail, dx.tip - dx.tail) < 0
    t = pygame.Surface((420, 600))
    t.fill(BG)
    rect = pygame.Rect(10, 10, *panel.measure(ro))
    swatches = panel.draw(t, rect, ro)
    assert set(swatches) == {a.key for a in arrows}  # the legend names every arrow
    for key, sw in swatches.items():
        assert tuple(t.get_at(sw.center)[:3]) == SP.TERM_COLORS[key]
    a = pygame.surfarray.array3d(t)
    outside = np.ones(a.shape[:2], bool)
    outside[rect.x:rect.right, rect.y:rect.bottom] = False
    assert (a[outside] == 0).all()


def test_rows_and_ascii(panel, display):
    ro = last_tick(Rule("adam", lr=0.02))
    rows = panel.lines(ro)
    assert rows[0][1].startswith("step  adam") and len(rows) == 2 + len(ro.terms)
    assert rows[-1][1] == "as a particle: n/a for adam"  # adam has no Newtonian reading
    assert any("m̂" in text for _, text, _ in rows)
    plain = StepPanel(pygame.font.Font(None, 16), unicode=False)
    assert not any(ch in text for _, text, _ in plain.lines(ro) for ch in "∇½ᵗ₁₂√\u0302")
    w, h = panel.measure(ro)
    assert h > len(rows) * 10 and w >= SP.PANEL_WIDTH
    assert panel.lines(None)[0][1] == "step: click a ball"
