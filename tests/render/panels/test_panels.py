"""The instrument panels drawn offscreen: pixels inside the rect and none outside, status colors,
heat bars that follow the data, the basin shade where the grid is, and never a printed NaN."""
from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.look import widgets  # noqa: E402
from render.look.theme import ACCENT, BASIN_DIVERGED_RGBA, BASIN_MOVING_RGBA, BASIN_PALETTE, HEAT_BAR, HEAT_CURVE, STATUS_COLORS, TEXT  # noqa: E402
from render.panels.draw.basins import BASIN_ALPHA, basin_colors, basin_surface, draw_basin_overlay  # noqa: E402
from render.panels.draw.writer import CHIP, draw_progress_bar  # noqa: E402
from render.panels.draw.ledger import LedgerHistory, draw_ledger_panel  # noqa: E402
from render.panels.draw.stability import _limit_text, draw_stability_panel  # noqa: E402
from render.panels.draw.heat import chi_square, draw_heat_panel  # noqa: E402
from render.panels.draw.bridge import draw_bridge_panel  # noqa: E402
from render.panels.draw.race import draw_race_legend, race_rows  # noqa: E402
from sim.support.text import fmt  # noqa: E402
from sim.instruments.basins import BasinJob  # noqa: E402
from sim.instruments.heat import boltzmann_histogram, heat_values  # noqa: E402
from sim.instruments.race import find_or_add_rule  # noqa: E402
from sim.instruments.ledger import ledger  # noqa: E402
from sim.instruments.stability import omega_dt_limit  # noqa: E402
from sim.rules.dynamics import Rule, newton_twin  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402

BG = (40, 90, 80)
SIZE = (420, 320)
RECT = pygame.Rect(60, 40, 280, 230)


@pytest.fixture(scope="module")
def font():
    pygame.font.init()
    yield pygame.font.Font(None, 16)


def _surface() -> pygame.Surface:
    s = pygame.Surface(SIZE)
    s.fill(BG)
    return s


def _changed(s: pygame.Surface) -> np.ndarray:
    """[w, h] bool: pixels that differ from the background."""
    return (pygame.surfarray.array3d(s) != np.array(BG, dtype=np.uint8)).any(axis=2)


def _race_world():
    w = World(get_potential("himmelblau"), Rule("gd", lr=0.002))
    for name in ["gd", "momentum", "adam", "newton"]:  # one ball per lane, at one point
        w.drop(np.array([[0.5, -0.5]]), rule_id=find_or_add_rule(w, w.rule.with_(name=name)))
    w.tick(20)
    return w


def _twin_world():
    w = World(get_potential("gaussian_wells"), Rule("momentum", lr=0.05, beta=0.9))
    pos = np.array([[2.0, 2.0], [-2.5, 1.0]])
    balls = w.drop(pos)
    twins = w.drop(pos, rule_id=find_or_add_rule(w, newton_twin(w.rule)))
    pairs = (np.arange(balls.start, balls.stop), np.arange(twins.start, twins.stop))
    w.tick(30)
    return w, pairs


def _newton_world(integrator="verlet"):
    w = World(get_potential("bowl"), Rule("newton", dt=0.05, friction=0.2, integrator=integrator))
    w.drop(np.array([[1.5, 1.0], [-1.0, 0.5]]))
    w.add_rule(Rule("gd"))
    w.drop(np.array([[1.0, 1.0]]), rule_id=1)
    return w


def _langevin_world(n=2000, T=1.0, ticks=200):
    w = World(get_potential("bowl"), Rule("langevin", dt=0.05, friction=1.0, temperature=T), seed=2)
    w.drop(np.zeros((n, 2)))
    w.tick(ticks)
    return w


def _draw_cases(font):
    """(name, draw(surface)) for every panel in a few states."""
    race = _race_world()
    twin, pairs = _twin_world()
    newton = _newton_world()
    hist = LedgerHistory(50)
    for _ in range(30):
        newton.tick(3)
        hist.push(newton)
    lang = _langevin_world()
    empty = World(get_potential("bowl"))
    return [
        ("race", lambda s: draw_race_legend(s, RECT, race, font)),
        ("race-empty", lambda s: draw_race_legend(s, RECT, empty, font)),
        ("bridge-momentum", lambda s: draw_bridge_panel(s, RECT, twin, font, pairs=pairs)),
        ("bridge-newton", lambda s: draw_bridge_panel(s, RECT, newton, font)),
        ("bridge-adam", lambda s: draw_bridge_panel(s, RECT, World(get_potential("bowl"), Rule("adam")), font)),
        ("ledger", lambda s: draw_ledger_panel(s, RECT, newton, font, hist, rows=[0])),
        ("ledger-optimizers", lambda s: draw_ledger_panel(s, RECT, race, font, LedgerHistory())),
        ("stability-row", lambda s: draw_stability_panel(s, RECT, twin, font, row=1)),
        ("stability-point", lambda s: draw_stability_panel(s, RECT, newton, font, point=(0.3, 0.2))),
        ("stability-none", lambda s: draw_stability_panel(s, RECT, newton, font)),
        ("heat", lambda s: draw_heat_panel(s, RECT, lang, font)),
        ("heat-none", lambda s: draw_heat_panel(s, RECT, newton, font)),
        ("progress", lambda s: draw_progress_bar(s, RECT, 0.4, font, "basins")),
        ("progress-thin", lambda s: draw_progress_bar(s, RECT, 0.0, font, "basins")),
    ]


def test_each_panel_draws_inside_its_rect_only(font):
    for name, draw in _draw_cases(font):
        s = _surface()
        draw(s)
        changed = _changed(s)
        inside = np.zeros_like(changed)
        inside[RECT.left:RECT.right, RECT.top:RECT.bottom] = True
        assert not changed[~inside].any(), f"{name}: drew outside its rect"
        assert changed[inside].mean() > 0.3, f"{name}: nothing (or too little) drawn"
        assert s.get_clip() == s.get_rect(), f"{name}: clip not restored"


def test_panels_respect_an_existing_clip(font):
    s = _surface()
    clip = pygame.Rect(0, 0, RECT.centerx, SIZE[1])
    s.set_clip(clip)
    draw_ledger_panel(s, RECT, _newton_world(), font, LedgerHistory())
    assert s.get_clip() == clip
    assert not _changed(s)[RECT.centerx:].any()


def test_no_nan_or_inf_is_ever_written(font, monkeypatch):
    seen: list[str] = []
    real = widgets.text

    def spy(f, text, color=TEXT):
        seen.append(text)
        return real(f, text, color)

    monkeypatch.setattr(widgets, "text", spy)  # every panel writes its text through it
    # diverged balls, a maximum (lambda < 0), an unbounded landscape under heat, a dead twin
    w = World(get_potential("saddle"), Rule("langevin", temperature=1.0, dt=0.1, friction=0.1), seed=1)
    w.drop(np.array([[0.0, 0.5], [0.0, 0.0]]))
    w.tick(3000)
    assert (w.particles.status != 0).any()
    hat = World(get_potential("mexican_hat"), Rule("gd"))
    for name, draw in _draw_cases(font) + [
        ("saddle-heat", lambda s: draw_heat_panel(s, RECT, w, font)),
        ("saddle-ledger", lambda s: draw_ledger_panel(s, RECT, w, font, LedgerHistory(), rows=[0])),
        ("saddle-race", lambda s: draw_race_legend(s, RECT, w, font)),
        ("hat-stability", lambda s: draw_stability_panel(s, RECT, hat, font, point=(0.0, 0.0))),
        ("nan-progress", lambda s: draw_progress_bar(s, RECT, float("nan"), font, "basins")),
        ("bad-twins", lambda s: draw_bridge_panel(s, RECT, w, font, pairs=(np.array([0]), np.array([1])))),
    ]:
        draw(_surface())
    text = " ".join(seen).lower()
    assert seen and "nan" not in text and "inf" not in text
    assert "—" in text  # the dash did stand in somewhere


def test_fmt():
    assert fmt(float("nan")) == "—" and fmt(float("inf")) == "—" and fmt(None) == "—"
    assert fmt(-0.5) == "\u22120.5" and fmt(0) == "0" and fmt(1.23456e-7) == "1.23e\u22127"


def test_status_colors_are_distinct_and_shown(font):
    assert len(set(STATUS_COLORS.values())) == 4
    ravine = get_potential("ravine")

    def counts(lr):
        w = World(ravine, Rule("gd", lr=lr))
        w.drop(np.array([[0.5, 0.3]]))
        s = _surface()
        draw_stability_panel(s, RECT, w, font, row=0)
        px = pygame.surfarray.array3d(s).reshape(-1, 3)
        return {k: int((px == np.array(c, dtype=np.uint8)).all(axis=1).sum())
                for k, c in STATUS_COLORS.items()}

    ok, warn, bad = counts(0.5 * 2 / 25), counts(0.9 * 2 / 25), counts(1.1 * 2 / 25)
    chip = CHIP * CHIP
    assert ok["warn"] == 0 and ok["bad"] == 0 and ok["ok"] >= 3 * chip
    assert warn["warn"] >= chip and warn["bad"] == 0  # lr*lam max near its limit, still stable
    assert bad["bad"] >= 2 * chip and bad["warn"] == 0  # lr*lam max past it, and the step verdict


def test_heat_bars_follow_the_data(font):
    bowl = get_potential("bowl")
    w = World(bowl, Rule("langevin", temperature=1.0))
    # V = r^2 / 2: 300 balls at V = 0.5 (bin 0), 100 at V = 2.5 (bin 2), 50 at V = 3.5 (bin 3)
    for v, k in ((0.5, 300), (2.5, 100), (3.5, 50)):
        w.drop(np.tile([np.sqrt(2 * v), 0.0], (k, 1)))
    edges = np.linspace(0.0, 4.0, 5)
    s = _surface()
    bars = draw_heat_panel(s, RECT, w, font, bins=edges)
    assert len(bars) == 4
    h = [b.h for b in bars]
    assert h[1] == 0 and h[0] > h[2] > h[3] > 0
    assert h[0] / h[2] == pytest.approx(3.0, rel=0.05) and h[2] / h[3] == pytest.approx(2.0, rel=0.08)
    for b in (bars[0], bars[2], bars[3]):  # the bar color at each bar's bottom
        assert tuple(s.get_at((b.centerx, b.bottom - 1)))[:3] == HEAT_BAR
        assert RECT.contains(b)
    # the predicted curve is drawn too: its color appears inside the plot
    px = pygame.surfarray.array3d(s).reshape(-1, 3)
    assert (px == np.array(HEAT_CURVE, dtype=np.uint8)).all(axis=1).sum() > 20


def test_chi_square_small_at_equilibrium_large_off_it():
    lang = _langevin_world(3000, T=1.0, ticks=400)
    vals = heat_values(lang)
    bowl = lang.potential
    e, obs, pred = boltzmann_histogram(vals, bowl, 1.0, bowl.view, 16)
    chi2, used = chi_square(obs, pred, e, len(vals))
    assert used >= 8 and chi2 / used < 3
    e, obs, pred = boltzmann_histogram(vals, bowl, 2.0, bowl.view, 16)
    chi2, used = chi_square(obs, pred, e, len(vals))
    assert chi2 / used > 10


def test_ledger_history_is_a_ring_buffer():
    h = LedgerHistory(5)
    for i in range(7):
        h.add(float(i), {"kinetic": i, "potential": 10 + i, "dissipated": 0.0, "drift": 0.0})
    s = h.series()
    assert s.shape == (5, 5)
    np.testing.assert_array_equal(s[:, 0], [2, 3, 4, 5, 6])
    np.testing.assert_array_equal(s[:, 2], [12, 13, 14, 15, 16])
    h.clear()
    assert h.series().shape == (0, 5)
    w = _newton_world()
    total = h.push(w)
    assert h.series()[0, 1] == pytest.approx(ledger(w)["total"]["kinetic"])
    assert total["kinetic"] == h.series()[0, 1]


def _done_basin_job():
    P_ = get_potential("double_well")
    job = BasinJob(P_, Rule("gd", lr=0.01), P_.view, grid=(40, 30), max_ticks=2000)
    job.advance(2000)
    assert job.done
    return job


def _blend(c, alpha=BASIN_ALPHA):
    a = alpha / 255.0
    return np.array([a * c[i] + (1 - a) * BG[i] for i in range(3)])


def test_basin_overlay_shades_each_basin_where_the_grid_is():
    job = _done_basin_job()
    s = _surface()
    x0, x1, y0, y1 = job.view
    # the surface shows a world rect twice the job's: the grid lands in the middle half
    cx, cy, hw, hh = 0.5 * (x0 + x1), 0.5 * (y0 + y1), x1 - x0, y1 - y0
    view = (cx - hw, cx + hw, cy - hh, cy + hh)
    drawn = draw_basin_overlay(s, job, view=view)
    assert abs(drawn.x - SIZE[0] / 4) <= 1 and abs(drawn.w - SIZE[0] / 2) <= 1
    changed = _changed(s)
    assert not changed[: drawn.left - 1].any() and not changed[drawn.right + 1:].any()
    assert not changed[:, : drawn.top - 1].any() and not changed[:, drawn.bottom + 1:].any()
    left = np.array(s.get_at((drawn.x + drawn.w // 4, drawn.centery)))[:3]
    right = np.array(s.get_at((drawn.x + 3 * drawn.w // 4, drawn.centery)))[:3]
    np.testing.assert_allclose(left, _blend(BASIN_PALETTE[0]), atol=2)  # minimum 0 at x = -1
    np.testing.assert_allclose(right, _blend(BASIN_PALETTE[1]), atol=2)  # minimum 1 at x = +1
    # the same through a to_screen callable (as render.look.view.View.to_screen)
    s2 = _surface()

    def to_screen(pos):
        pos = np.asarray(pos, dtype=float)
        return np.column_stack([(pos[:, 0] - view[0]) / (view[1] - view[0]) * SIZE[0],
                                (view[3] - pos[:, 1]) / (view[3] - view[2]) * SIZE[1]])

    assert draw_basin_overlay(s2, job, to_screen=to_screen) == drawn
    assert (pygame.surfarray.array3d(s2) == pygame.surfarray.array3d(s)).all()


def test_basin_overlay_deep_zoom_and_off_screen():
    job = _done_basin_job()
    s = _surface()
    # a view 1e-4 wide around (0.5, 0.2): one grid cell fills the screen with basin 1's shade
    v = (0.5 - 5e-5, 0.5 + 5e-5, 0.2 - 4e-5, 0.2 + 4e-5)
    draw_basin_overlay(s, job, view=v)
    px = pygame.surfarray.array3d(s).reshape(-1, 3).astype(float)
    np.testing.assert_allclose(px, np.tile(_blend(BASIN_PALETTE[1]), (len(px), 1)), atol=2)
    s = _surface()
    assert draw_basin_overlay(s, job, view=(100.0, 110.0, 100.0, 110.0)) is None
    assert not _changed(s).any()


def test_basin_colors_distinguish_labels():
    lab = np.array([[0, 1, 2, -1, -2]])
    c = basin_colors(lab)
    assert len({tuple(x) for x in c[0]}) == 5
    assert tuple(c[0, 3]) == BASIN_DIVERGED_RGBA and tuple(c[0, 4]) == BASIN_MOVING_RGBA
    surf = basin_surface(np.array([[0, -1], [1, 2]]))  # [gx=2, gy=2]
    assert surf.get_size() == (2, 2)
    # x first, y up: label[0, 0] (lowest y) is the bottom-left pixel
    assert tuple(surf.get_at((0, 1))) == BASIN_PALETTE[0] + (BASIN_ALPHA,)
    assert tuple(surf.get_at((0, 0))) == BASIN_DIVERGED_RGBA


def test_progress_bar_fill_follows_progress(font):
    rect = pygame.Rect(20, 20, 300, 24)
    for p in (0.0, 0.25, 0.8, 1.0):
        s = _surface()
        draw_progress_bar(s, rect, p)  # no font: bar only
        row = pygame.surfarray.array3d(s)[:, rect.centery]
        filled = int((row == np.array(ACCENT, dtype=np.uint8)).all(axis=1).sum())
        inner = rect.w - 8 - 2
        assert filled == pytest.approx(p * inner, abs=1)


def test_race_rows_put_each_twin_under_its_lane():
    assert race_rows([0, 1, 2, 3, 4], {3: 0, 4: 2}) == [(0, False), (3, True), (1, False),
                                                           (2, False), (4, True)]
    assert race_rows([0, 1, 2], {2: 0, 1: 0}) == [(0, False), (1, True), (2, True)]
    assert race_rows([0, 2], {2: 1}) == [(0, False), (2, False)]  # its lane has no balls
    assert race_rows([0, 1], None) == [(0, False), (1, False)]


def test_fit_text_cuts_to_the_width_with_an_ellipsis():
    from render.look.widgets import fit_text

    pygame.font.init()
    font = pygame.font.Font(None, 18)
    s = "twin newton m=0.00488 dt=0.00313"
    assert fit_text(font, s, 10_000) == s
    w = font.size(s)[0]
    cut = fit_text(font, s, w - 20)
    assert cut.endswith("…") and s.startswith(cut[:-1]) and font.size(cut)[0] <= w - 20
    assert font.size(fit_text(font, s, w // 2))[0] <= w // 2
    assert fit_text(font, s, 1) == "…"


def test_limit_text_says_when_no_step_is_stable():
    # explicit Euler on a frictionless oscillator: |1 + i·ω·dt| > 1 for every dt > 0
    limit = omega_dt_limit(Rule("newton", friction=0.0, integrator="euler"))
    assert limit == 0.0
    assert _limit_text(limit) == "unstable at any step"
    assert _limit_text(2.0) == "stable < 2"
    assert _limit_text(float("inf")) == "no fixed limit"
