"""26 rules on screen (tests/stub_rules.py: 16 stand-ins beside the old ten, 6 groups): the
control panel's rule buttons fit and never overlap at 960x600 and 1920x1080, the sliders stay on
screen, Tab visits every rule and returns, a button's pixels show its rule's colour."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame  # noqa: E402
import pytest  # noqa: E402

from tests import stub_rules  # noqa: E402
from render.input.keys import Cmd  # noqa: E402
from render.controls.controls import ControlPanel  # noqa: E402
from render.controls.sections import State, build  # noqa: E402
from render.controls.widget import WIDTH  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import POTENTIALS, get_potential  # noqa: E402
from sim.runtime.runtime import Runtime  # noqa: E402
from sim.core.world import World  # noqa: E402

pytestmark = pytest.mark.usefixtures("display")


@pytest.fixture
def rules26(monkeypatch):
    names = stub_rules.install(monkeypatch)
    assert len(names) == 26 and len({n for n in names}) == 26
    return names


@pytest.mark.parametrize("size", [(960, 600), (1920, 1080)])
@pytest.mark.parametrize("current", ["adam", "momentum", "gd", "lbfgs"])
def test_26_rule_buttons_fit_never_overlap_and_the_sliders_stay_on_screen(rules26, size, current):
    st = State(Rule(current), 1.0, 0.01, "bowl", list(POTENTIALS), {}, False)
    rect = pygame.Rect(size[0] - WIDTH, 0, WIDTH, size[1])
    panel = ControlPanel(None, None, None)
    opened = panel.open_groups(st, size[1])
    assert stub_rules.registry.get(current).group in opened
    every = frozenset(stub_rules.GROUPS)
    for groups in (opened, every):  # as shown, and with every group opened (scrolled)
        ws = build(rect, State(*list(vars(st).values())[:-1], groups))
        rules = {w.action[1]: w.rect for w in ws if w.kind == "button" and w.action[0] is Cmd.RULE}
        shown = [n for n in rules26 if stub_rules.registry.get(n).group in groups]
        assert sorted(rules) == sorted(shown)
        boxes = [w.rect for w in ws]
        for b in boxes:
            assert rect.left <= b.left and b.right <= rect.right
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.colliderect(b), (a, b)
    ws = build(rect, State(*list(vars(st).values())[:-1], opened))
    assert max(w.rect.bottom for w in ws if w.kind == "slider") <= size[1]
    heads = [w for w in ws if w.kind == "group"]
    assert [h.label for h in heads] == list(stub_rules.GROUPS) and all(h.rect.bottom <= size[1] for h in heads)
    if size == (1920, 1080):  # tall enough: every rule's button on screen
        assert opened == every


def test_tab_visits_all_26_in_registry_order_and_returns(rules26):
    rt = Runtime(World(get_potential("bowl"), Rule("gd")))
    seen = []
    for _ in range(26):
        rt.switch.cycle_rule(+1)
        seen.append(rt.world.rule.name)
    assert seen == rules26[1:] + ["gd"]
    for _ in range(26):
        rt.switch.cycle_rule(-1)
    assert rt.world.rule.name == "gd"
    rt.switch.cycle_rule(-1)
    assert rt.world.rule.name == rules26[-1]


def test_a_rule_buttons_pixels_show_its_colour(rules26):
    from render.app.app import App
    from render.look.theme import RULE_COLORS

    world = World(get_potential("bowl"), Rule("adam", lr=0.02), seed=3)
    app = App(world, (960, 600), seed=3, headless=True)
    app.apply_instruments({"controls": True})
    surf = pygame.Surface((960, 600), 0, 32)
    app.update(1 / 60)
    app.draw(surf)
    for w in app.controls.widgets:
        if w.kind == "button" and w.action[0] is Cmd.RULE and not w.lit:
            chip = (w.rect.x + 4 + 3, w.rect.centery)  # the colour chip's middle
            assert tuple(surf.get_at(chip))[:3] == RULE_COLORS[w.action[1]], w.label
    lit = next(w for w in app.controls.widgets if w.kind == "button" and w.lit and w.label == "adam")
    assert tuple(surf.get_at((lit.rect.right - 3, lit.rect.centery)))[:3] == (255, 95, 215)
