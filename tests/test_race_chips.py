"""The race legend's lane chips for the registry's 21 rules: each as wide as its short label,
wrapped in the control panel's group order, never overlapping, in fewer rows than a fixed grid
of four; a click on a chip adds or removes that lane. The help overlay's rules section names
every group and says Tab / Shift+Tab cycle them all."""
from __future__ import annotations

import math
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.hud import help_overlay as HO  # noqa: E402
from render.panels import instrument_panels as IP  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.rules import registry  # noqa: E402
from tests.support.apps import app_on  # noqa: E402

pytestmark = pytest.mark.usefixtures("display")
SIZE = (1000, 700)


def make_app():
    return app_on("bowl", Rule("gd", lr=0.05), SIZE, instruments={"race": True})


def test_chips_fit_their_labels_wrap_in_group_order_and_stay_short():
    pygame.font.init()
    font = pygame.font.Font(None, 18)
    width, lh = IP.PANEL_WIDTH - 20, font.get_linesize()
    names, rects = IP.chip_rects(font, 0, 0, width, lh)
    # the order: groups in order of their first registered rule, registry order inside
    specs = registry.specs()
    first: dict[str, int] = {}
    for i, n in enumerate(specs):
        first.setdefault(specs[n].group, i)
    want = sorted(specs, key=lambda n: (first[specs[n].group], list(specs).index(n)))
    assert names == want and len(names) == len(registry.names())
    for n, r in zip(names, rects):
        label = registry.get(n).chip or n
        assert r.w >= font.size(label)[0] and 0 <= r.left and r.right <= width
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.colliderect(b), (a, b)
    rows = sorted({r.y for r in rects})
    assert len(rows) < math.ceil(len(names) / 4)  # shorter than the old grid of four a row
    # wrapped: a row's first chip would not have fitted at the end of the row above
    for y_prev, y in zip(rows, rows[1:]):
        above = max(r.right for r in rects if r.y == y_prev)
        lead = min((r for r in rects if r.y == y), key=lambda r: r.x)
        assert above + IP.CHIP_GAP + lead.w > width


def test_a_click_on_a_chip_toggles_that_lane():
    app = make_app()
    surf = pygame.Surface(SIZE, 0, 32)
    app.draw(surf)
    chips = app.instruments.race.chips
    assert set(chips) == set(registry.names())
    name = next(n for n in ("asgd", "lbfgs", "muon") if n in chips and n not in app.runtime.balls.lane_names())
    r = chips[name]
    assert app.instruments.rects["race"].contains(r)
    # the chip is drawn where it is clicked: its rim in the panel's grid colour, not lit
    ev = pygame.event.Event
    for t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        app.handle(ev(t, pos=r.center, button=1, mod=0))
    assert name in app.runtime.balls.lane_names()
    app.draw(surf)
    from render.look.theme import RULE_COLORS

    lit = np.array(surf.get_at((app.instruments.race.chips[name].x + 3,
                                app.instruments.race.chips[name].centery))[:3])
    assert np.abs(lit - np.array(RULE_COLORS[name])).max() < 40  # filled with the rule's colour


def test_help_rules_section_names_every_group_and_the_cycle():
    rows = HO.rule_rows()
    groups = list(dict.fromkeys(s.group for s in registry.specs().values()))
    assert rows[0] == ("", "rules") and "rules" in HO.HEADINGS
    assert rows[1] == ("Tab/Shift+Tab", f"cycle all {len(registry.names())}")
    assert [d.split(":")[0] for _, d in rows[2:]] == groups
    listed = [w for _, d in rows[2:] for w in d.split(": ", 1)[1].split(" ")]
    labels = [w for n in registry.names() for w in (registry.get(n).chip or n).split(" ")]
    assert sorted(listed) == sorted(labels)
    left, right = HO.help_rows(["bowl"])
    assert right[:len(rows)] == rows
