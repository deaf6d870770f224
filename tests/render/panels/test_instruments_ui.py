"""The instruments in the window (render/instruments_ui.py), offscreen: each key toggles its
instrument and its panel's pixels appear; race clicks, twins that stay on their balls, the mass
control sliding Newton onto gradient flow, the integrator key, basins computed in slices across
frames (and cancelled), the help, and deterministic headless pictures with `--show`."""
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

import main as cli  # noqa: E402
from render.panels import instruments_ui as IU  # noqa: E402
from render.panels import registry as REG  # noqa: E402
from render.panels import basins_ui as BU  # noqa: E402
from render.input import keys  # noqa: E402
from sim.runtime import balls as BALLS  # noqa: E402
from render.look.theme import BASIN_PALETTE, HEAT_BAR, HEAT_CURVE, LINE_GAP, PANEL_PAD, STATUS_COLORS  # noqa: E402
from render.panels.draw.writer import CHIP  # noqa: E402
from render.panels.draw.ledger import draw_ledger_panel  # noqa: E402
from render.panels.draw.race import race_rows  # noqa: E402
from render.app.loop import run  # noqa: E402
from render.map.palette import rule_palette  # noqa: E402
from sim.instruments.basins import BasinJob, MOVING  # noqa: E402
from sim.instruments.bridge import OVERDAMPED_FRICTION_DT, flow_partner  # noqa: E402
from sim.instruments.ledger import ledger, ledger_total  # noqa: E402
from sim.rules.dynamics import newton_twin  # noqa: E402
from sim.instruments.stability import stability  # noqa: E402
from sim.rules.dynamics import RULES, Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402
from tests.support.apps import app_on, frame_at  # noqa: E402

SIZE = (1100, 760)


pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def make_app(potential="bowl", rule=None, size=SIZE, balls=()):
    return app_on(potential, rule, size, balls=balls)


frame = frame_at(SIZE, update=False)


def press(app, ch, k=None, mod=0):
    k = k if k is not None else (ord(ch) if len(ch) == 1 else ch)
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=ch, scancode=0))


def click(app, pos, button=1):
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button, mod=0))


def count_color(surf, rect, color, tol=0):
    a = pygame.surfarray.array3d(surf.subsurface(rect)).astype(int)
    return int((np.abs(a - np.array(color)).max(axis=2) <= tol).sum())


def differing(a, b, rect):
    pa = pygame.surfarray.array3d(a.subsurface(rect))
    pb = pygame.surfarray.array3d(b.subsurface(rect))
    return float((pa != pb).any(axis=2).mean())


# -- keys, panels, help ---------------------------------------------------------------------------

INSTRUMENT_KEYS = (("k", "race"), ("j", "twin"), ("y", "ledger"), ("x", "stability"),
                   ("u", "heat"), ("b", "basins"))


@pytest.mark.parametrize("ch,name", INSTRUMENT_KEYS)
def test_each_key_toggles_its_instrument_and_its_panel_appears(ch, name):
    rule = Rule("langevin", dt=0.05, temperature=0.5) if name == "heat" else Rule("newton", dt=0.05)
    app = make_app(rule=rule, balls=[(1.0, 1.0), (-1.5, 0.5)] * (200 if name == "heat" else 1))
    app.instruments.basins.sync = False
    app.update(1 / 60)
    off = frame(app)
    assert name not in app.instruments.rects
    press(app, ch)
    assert app.instruments.states()[name]
    app.update(1 / 60)
    on = frame(app)
    rect = app.instruments.rects[name]
    assert on.get_rect().contains(rect)
    assert differing(on, off, rect) > 0.3  # the panel is there: most of its pixels changed
    panel_bg = count_color(on, rect, (12, 13, 22), tol=40)
    assert panel_bg > 0.2 * rect.w * rect.h  # the dark panel backdrop
    assert rect in app.hud.panels  # the axis labels keep clear of it
    press(app, ch)
    assert not app.instruments.states()[name]
    frame(app)
    assert name not in app.instruments.rects


@pytest.mark.parametrize("size", [SIZE, (1280, 800), (800, 500)])
def test_panels_never_overlap_each_other_or_the_hud(size):
    app = make_app(rule=Rule("newton", dt=0.05), balls=[(1.0, 1.0), (-1.0, 0.5)], size=size)
    for ch, _ in INSTRUMENT_KEYS:
        press(app, ch)
    app.update(1 / 60)
    surf = frame(app, size)
    rects = list(app.instruments.rects.values())
    assert len(rects) == 6 or size == (800, 500)  # a small window holds fewer
    assert len(rects) >= 3
    hud_rects = [r for r in app.hud.panels if r not in rects]
    for i, r in enumerate(rects):
        assert surf.get_rect().contains(r)
        assert r.collidelist(hud_rects) < 0
        assert r.collidelist(rects[:i] + rects[i + 1:]) < 0


def test_help_lists_the_instrument_keys_under_their_own_heading(monkeypatch):
    rows = keys.help_lines()
    assert ("", "— instruments —") in rows
    head = rows.index(("", "— instruments —"))
    mine = [b for b in keys.KEYS if b.command in keys.INSTRUMENT_CMDS]
    assert len(mine) == 16
    assert rows[head + 1:] == [(b.keys_label, b.description) for b in mine]
    for label in ("K", "J", "Y", "I", "X", "B", "U", "Ctrl+G", "D", "O", "Z", "Ctrl+E", "Ctrl+B", "Ctrl+M", ";", "'"):
        assert label in [k for k, _ in rows[head + 1:]]
    for b in mine:  # every instrument command names an instrument or is the mass / integrator
        assert b.arg in REG.NAMES or b.command in (keys.Cmd.MASS, keys.Cmd.INTEGRATOR)
    app = make_app()
    drawn = []
    real = app.fonts.text
    monkeypatch.setattr(app.fonts, "text", lambda s, f, c=(255, 255, 255): drawn.append(s) or real(s, f, c))
    app.hud.help(frame(app), [p.name for p in app.potentials])
    for b in mine:
        assert b.keys_label in drawn and b.description in drawn
    assert "instruments" in drawn  # the overlay's heading over the group (right column)


# -- race -----------------------------------------------------------------------------------------

def race_dropped(at=(500, 300)):
    """A race on himmelblau (K) with one race drop, a click at window pixel `at`."""
    app = make_app("himmelblau", Rule("momentum", lr=1e-4))
    press(app, "k")
    frame(app)
    click(app, at)
    return app


def test_race_click_drops_one_ball_per_lane_at_one_point_in_distinct_colours():
    app = race_dropped((500, 300))
    w = app.world
    lanes = app.runtime.balls.race.lanes
    assert lanes == list(BALLS.DEFAULT_LANES)
    assert w.n == len(lanes)
    assert np.all(w.particles.pos == w.particles.pos[0])  # the same world point
    assert np.allclose(w.particles.pos[0], app.view.pixel_to_world(500, 300))
    names = [w.rules[r].name for r in w.particles.rule]
    assert names == lanes
    pal = rule_palette(w.rules)
    assert len({pal[r] for r in w.particles.rule}) == len(lanes)  # distinct colours
    # each lane has its own family's step (what its rule key would give)
    assert w.rules[w.particles.rule[names.index("adam")]].lr == app.runtime.params.steps[3]
    assert w.rules[w.particles.rule[names.index("newton")]].dt == app.runtime.params.steps[2]
    app.update(1 / 60)
    surf = frame(app)
    rect = app.instruments.rects["race"]
    for rid in set(w.particles.rule.tolist()):  # the legend shows each lane's colour
        assert count_color(surf, rect, pal[rid]) > 0


def test_race_lane_chips_toggle_lanes_and_are_not_drops():
    app = make_app()
    press(app, "k")
    frame(app)
    chip = app.instruments.race.chips["adam"]
    click(app, chip.center)
    assert "adam" not in app.runtime.balls.race.lanes and app.world.n == 0
    frame(app)
    click(app, app.instruments.race.chips["rmsprop"].center)
    assert "rmsprop" in app.runtime.balls.race.lanes
    assert app.runtime.balls.race.lanes == sorted(app.runtime.balls.race.lanes, key=list(RULES).index)
    click(app, (600, 400))
    assert sorted(app.world.rules[r].name for r in app.world.particles.rule) == sorted(app.runtime.balls.race.lanes)
    for name in list(app.runtime.balls.race.lanes):  # the last lane stays
        frame(app)
        click(app, app.instruments.race.chips[name].center)
    assert len(app.runtime.balls.race.lanes) == 1


def test_race_drag_throws_every_lane_with_the_same_world_velocity():
    app = make_app("bowl", Rule("momentum", lr=0.02))
    press(app, "k")
    app.runtime.balls.race.lanes = ["momentum", "newton"]
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(500, 300), button=1, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(560, 300), rel=(60, 0), buttons=(1, 0, 0)))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(560, 300), button=1, mod=0))
    w = app.world
    mom, newt = 0, 1
    r_mom, r_newt = w.rules[w.particles.rule[mom]], w.rules[w.particles.rule[newt]]
    # a momentum ball moves about -lr*u = v per tick; a newton ball v per unit time
    per_tick_mom = -r_mom.lr * w.particles.buf_a[mom]
    per_tick_newt = w.particles.vel[newt] * r_newt.dt
    assert per_tick_mom[0] > 0 and np.allclose(per_tick_mom, per_tick_newt)


# -- bridge: twins and the mass control --------------------------------------------------------------

def _pair_gap(app):
    b, t = app.runtime.balls.pairs
    d = app.world.particles.pos[b] - app.world.particles.pos[t]
    return float(np.abs(d).max())


def test_twin_drops_ball_and_twin_that_stay_on_top_of_each_other():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    click(app, (300, 250))
    w = app.world
    assert w.n == 2
    b, t = app.runtime.balls.pairs
    assert list(b) == [0] and list(t) == [1]
    twin = w.rules[w.particles.rule[1]]
    assert twin == newton_twin(w.rule)
    for _ in range(10):
        w.tick(100)
    assert _pair_gap(app) < 1e-9
    assert np.abs(w.particles.pos[0] - w.particles.origin[0]).max() > 0.1  # it did move


def test_twin_of_a_thrown_ball_and_after_an_lr_change_still_coincides():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(300, 250), button=1, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(340, 230), rel=(40, -20), buttons=(1, 0, 0)))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(340, 230), button=1, mod=0))
    w = app.world
    for _ in range(5):
        app.update(1 / 60)
        w.tick(100)
    assert _pair_gap(app) < 1e-9
    press(app, "+")  # lr x1.25: the twin's mass and friction follow, and its velocity
    for _ in range(5):
        app.update(1 / 60)
        w.tick(100)
    assert w.rules[w.particles.rule[1]] == newton_twin(w.rule)
    assert _pair_gap(app) < 1e-9


def test_twin_ring_is_drawn_around_the_ball_in_the_twins_colour():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    click(app, (700, 450))
    surf = frame(app)
    newton_red = rule_palette(app.world.rules)[app.world.particles.rule[1]]
    ring = pygame.Rect(700 - 12, 450 - 12, 25, 25)
    inner = pygame.Rect(700 - 4, 450 - 4, 9, 9)
    assert count_color(surf, ring, newton_red) >= 20
    momentum_orange = rule_palette(app.world.rules)[0]
    assert count_color(surf, inner, momentum_orange, tol=40) > 0  # the ball, on top of its twin


def test_removing_a_ball_takes_its_twin_and_keeps_the_other_pairs():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    click(app, (300, 250))
    click(app, (700, 500))
    assert app.world.n == 4
    click(app, (300, 250), button=3)
    w = app.world
    assert w.n == 2
    b, t = app.runtime.balls.pairs
    assert len(b) == 1 and w.rules[w.particles.rule[t[0]]].name == "newton"
    assert np.allclose(w.particles.pos[b[0]], app.view.pixel_to_world(700, 500))
    w.tick(300)
    assert _pair_gap(app) < 1e-9


def test_a_new_rule_drops_the_pairs():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    click(app, (300, 250))
    press(app, "g")
    app.update(1 / 60)
    assert len(app.runtime.balls.pairs.balls) == 0


def test_mass_keys_slide_newton_onto_its_gradient_flow_partner():
    """Newton with friction 1 and its gd partner (the integrator's overdamped step) from one point: the gap after
    the same simulated time shrinks as ';' lowers the mass (the overdamped limit)."""
    app = make_app("gaussian_wells", Rule("newton", friction=1.0, dt=0.016))
    app.runtime.params.steps[2] = 0.016
    press(app, "j")
    gaps, masses = [], []
    for presses in (0, 3, 3, 3):
        for _ in range(presses):
            press(app, ";")
        r = app.world.rule
        assert r.friction * r.dt / r.mass <= OVERDAMPED_FRICTION_DT + 1e-12
        app.runtime.balls.clear()
        click(app, (300, 250))
        w = app.world
        assert w.n == 2 and w.rules[w.particles.rule[1]] == flow_partner(r)
        w.tick(int(round(1.5 / r.dt)))  # 1.5 units of time
        gaps.append(_pair_gap(app))
        masses.append(r.mass)
    assert masses == [1.0, 0.125, 0.015625, 0.001953125]
    assert gaps[0] > gaps[1] > gaps[2] > gaps[3]
    assert gaps[3] < 0.05 * gaps[0]
    press(app, "'")
    assert app.world.rule.mass == pytest.approx(2 * masses[-1])


def test_mass_keys_only_move_newtonian_rules():
    app = make_app(rule=Rule("momentum", lr=0.02))
    press(app, ";")
    assert app.world.rule == Rule("momentum", lr=0.02)
    assert "mass" in app.notices.toast[0]


def test_flow_partner_refused_where_gradient_flow_steps_are_unstable():
    app = make_app("himmelblau", Rule("newton", friction=0.5, dt=0.05))
    press(app, "j")
    click(app, (300, 250))
    assert app.world.n == 1 and len(app.runtime.balls.pairs.balls) == 0
    assert "lr·λmax" in app.notices.toast[0]


# -- ledger and integrator ----------------------------------------------------------------------------

def test_integrator_key_cycles_verlet_symplectic_euler():
    app = make_app(rule=Rule("newton", dt=0.05))
    seen = []
    for _ in range(4):
        press(app, "i")
        seen.append(app.world.rule.integrator)
    assert seen == ["symplectic", "euler", "verlet", "symplectic"]
    assert "symplectic" in app.notices.toast[0]


def test_ledger_plot_shows_euler_drift_grow_and_verlet_stay_bounded():
    drifts = {}
    for integ in ("verlet", "euler"):
        app = make_app(rule=Rule("newton", dt=0.05, friction=0.0, integrator=integ),
                       balls=[(1.5, 1.0), (-1.0, 0.5)])
        press(app, "y")
        for _ in range(240):
            app.update(1 / 60)
        s = app.instruments.ledger.history.series()
        assert len(s) == 240 and np.isfinite(s).all()
        drifts[integ] = np.abs(s[:, 4])
    v, e = drifts["verlet"], drifts["euler"]
    assert e[-1] > 2.5 * e[len(e) // 4] > 0  # euler: grows
    assert v.max() < 0.01 * e[-1]  # verlet: stays small
    assert v[-60:].max() < 3 * v[:120].max() + 1e-12  # ... and bounded


def test_ledger_history_restarts_when_the_rule_changes():
    app = make_app(rule=Rule("newton", dt=0.05), balls=[(1.0, 1.0)])
    press(app, "y")
    for _ in range(10):
        app.update(1 / 60)
    press(app, "i")
    app.update(1 / 60)
    assert app.instruments.ledger.history.count == 1


# -- stability --------------------------------------------------------------------------------------------

def test_stability_panel_reads_the_ball_under_the_cursor_with_status_colours():
    # bowl: V = (x² + 4y²)/2-ish curvatures; lr large enough that lr·λmax passes 2
    app = make_app(rule=Rule("gd", lr=0.6))
    app.world.drop(np.array([[1.0, 1.0]]))
    press(app, "x")
    px = app.view.world_to_pixel(1.0, 1.0)
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=px, rel=(0, 0), buttons=(0, 0, 0)))
    surf = frame(app)
    assert app.frame.hover == 0
    rect = app.instruments.rects["stability"]
    lam = stability(app.world.potential, app.world.rule, np.array([[1.0, 1.0]]))["lam_max"][0]
    expect = "bad" if 0.6 * lam >= 2 else "warn" if 0.6 * lam > 1.6 else "ok"
    assert count_color(surf, rect, STATUS_COLORS[expect]) >= CHIP * CHIP
    # away from every ball: the point under the cursor, under the current rule
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(20, 700), rel=(0, 0), buttons=(0, 0, 0)))
    frame(app)
    assert app.frame.hover is None and "stability" in app.instruments.rects


# -- basins -----------------------------------------------------------------------------------------------

def _basin_app(budget=30):
    app = make_app("double_well", Rule("gd", lr=0.01))
    app.instruments.basins.sync = False
    app.instruments.basins.budget = budget
    app.instruments.basins.seconds = None  # a fixed number of ticks per frame: testable
    app.instruments.basins.pixels = 8  # a coarser map than the window's: quicker tests
    return app


def _basins_on(budget):
    """_basin_app(budget) with the basins map asked for (B) and one frame's update: (app, job)."""
    app = _basin_app(budget=budget)
    press(app, "b")
    app.update(1 / 60)
    return app, app.instruments.basins.job


def test_basins_progress_across_frames_in_slices_and_shade_the_map():
    app = _basin_app(budget=30)
    before = frame(app)
    press(app, "b")
    job = app.instruments.basins.job
    assert job is not None and job.ticks == 0
    per_frame, progress = [], []
    for _ in range(400):
        app.update(1 / 60)
        per_frame.append(app.instruments.basins.last_ticks)
        progress.append(job.progress)
        if job.done:
            break
        surf = frame(app)
        assert app.instruments.rects["basins"].h == BU.BASIN_BAR_SIZE[1]  # the progress bar
    assert job.done and len(per_frame) > 3
    assert max(per_frame) <= 30 and all(t > 0 for t in per_frame)
    assert progress == sorted(progress)
    assert app.instruments.basins.progress() == 1.0
    surf = frame(app)
    assert differing(surf, before, pygame.Rect(300, 250, 500, 300)) > 0.5  # shaded
    labels = job.labels
    assert (labels >= 0).mean() > 0.9
    assert "basins" in app.instruments.rects


def test_basins_cancel_with_esc_or_b_and_esc_does_not_quit():
    app, job = _basins_on(budget=5)
    assert job.running
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=0))
    assert app.running and job.cancelled and app.instruments.basins.job is None
    assert not app.instruments.states()["basins"]
    press(app, "b")
    app.update(1 / 60)
    assert app.instruments.basins.job.running
    job2 = app.instruments.basins.job
    press(app, "b")
    assert job2.cancelled and app.instruments.basins.job is None
    app.update(1 / 60)
    assert app.instruments.basins.last_ticks == 0
    app.instruments.basins.budget = 10_000
    press(app, "b")
    app.update(1 / 60)
    assert app.instruments.basins.job.done
    esc = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=0)
    app.handle(esc)  # a finished map: Esc takes it away first
    assert app.running and not app.instruments.states()["basins"] and app.instruments.basins.job is None
    app.handle(esc)
    assert not app.running  # no basins: Esc quits as before


def test_basins_restart_when_rule_potential_or_view_change():
    app, first = _basins_on(budget=10_000)
    assert first.done
    press(app, "m")  # a new rule: a new job, the old shading goes at once
    app.update(1 / 60)
    second = app.instruments.basins.job
    assert second is not first and second.rule.name == "momentum"
    assert app.instruments.basins.old_job is None
    app.instruments.basins.budget = 5
    app.map.zoom((500, 380), 1.5)  # a new view: the finished map stays while the new one runs
    app.update(1 / 60)
    third = app.instruments.basins.job
    assert third is not second and third.view == app.view.rect()
    assert app.instruments.basins.old_job is second
    press(app, "2")  # a new potential
    app.update(1 / 60)
    assert app.instruments.basins.job.potential is app.world.potential
    assert app.instruments.basins.old_job is None


# -- heat -------------------------------------------------------------------------------------------------

def test_heat_panel_shows_the_histogram_for_langevin_balls():
    app = make_app(rule=Rule("langevin", dt=0.05, friction=1.0, temperature=1.0))
    app.world.drop(np.zeros((2000, 2)))
    app.world.tick(200)
    press(app, "u")
    surf = frame(app)
    rect = app.instruments.rects["heat"]
    assert count_color(surf, rect, HEAT_BAR) > 200
    assert count_color(surf, rect, HEAT_CURVE) > 20


# -- scenes and the command line -------------------------------------------------------------------------

def test_scene_hooks_set_and_read_instruments():
    app = make_app()
    app.instruments.set("ledger", True)
    app.instruments.set("race", True)
    assert app.instruments.states() == {n: n in ("ledger", "race", "data") for n in REG.NAMES}
    with pytest.raises(KeyError):
        app.instruments.set("nonsense", True)
    app.instruments.set("twin", True)
    app.runtime.balls.drop(np.array([[1.0, 1.0]]))
    assert len(app.runtime.balls.pairs.balls) == 3  # gd and momentum: newton twins; newton: gd flow
    app.runtime.load_world(World(get_potential("bowl"), Rule("gd", lr=0.05)), paused=False)
    assert len(app.runtime.balls.pairs.balls) == 0


def test_seeded_balls_race_and_get_twins():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02), balls=[(1.0, 1.0), (-2.0, 0.5)])
    app.instruments.set("race", True)
    app.runtime.balls.seed_drops()
    w = app.world
    assert w.n == 2 * len(BALLS.DEFAULT_LANES)
    for name in BALLS.DEFAULT_LANES:
        rows = [i for i in range(w.n) if w.rules[w.particles.rule[i]].name == name]
        assert np.allclose(w.particles.pos[rows], [(1.0, 1.0), (-2.0, 0.5)])
    app2 = make_app("gaussian_wells", Rule("momentum", lr=0.02), balls=[(1.0, 1.0), (-2.0, 0.5)])
    app2.instruments.set("twin", True)
    app2.runtime.balls.seed_drops()
    assert app2.world.n == 4 and len(app2.runtime.balls.pairs.balls) == 2


def test_headless_show_pictures_are_deterministic_and_show_the_panels(tmp_path, capsys, monkeypatch):
    seen = []
    real = IU.Instruments.draw_panels

    def spy(self, *args):
        out = real(self, *args)
        seen.append(dict(self.rects))
        return out

    monkeypatch.setattr(IU.Instruments, "draw_panels", spy)
    show = {"ledger": True, "stability": True, "twin": True, "race": True, "basins": True}
    kw = dict(potential="gaussian_wells", rule=Rule("momentum", lr=0.02), seed=4, particles=3,
              frames=12, size=(1000, 700))
    a, b, c = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    assert run(screenshot=str(a), instruments=show, **kw) == 0
    rects = seen[-1]
    assert run(screenshot=str(b), instruments=show, **kw) == 0
    assert run(screenshot=str(c), **kw) == 0
    assert a.read_bytes() == b.read_bytes()
    assert "3 particles" in capsys.readouterr().out.splitlines()[-1]
    assert set(rects) == set(show)
    pa, pc = pygame.image.load(str(a)), pygame.image.load(str(c))
    for name, r in rects.items():
        assert differing(pa, pc, r) > 0.3, name


def test_main_show_flag_switches_instruments_on(tmp_path, capsys):
    out = tmp_path / "x.png"
    status = cli.main(["--headless", "--frames", "6", "--show", "ledger,stability", "--dynamics", "newton",
                       "--potential", "bowl", "--particles", "4", "--size", "900x600",
                       "--screenshot", str(out)])
    assert status == 0 and out.exists()
    assert "4 particles" in capsys.readouterr().out


def test_a_scene_with_lanes_races_its_own_rules_until_a_chip_is_clicked():
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    app = make_app()
    world, info = load_scene(find_scene("overdamped_limit"))
    app.scene_ui.open_scene(world, info)
    app.scene_ui.caption_open = False
    assert app.instruments.states()["race"]  # the scene switches race on
    n0 = app.world.n
    frame(app)
    click(app, (700, 420))
    w = app.world
    new = w.particles.rule[n0:].tolist()
    assert new == list(range(len(w.rules))) == [0, 1, 2, 3]
    assert np.all(w.particles.pos[n0:] == w.particles.pos[n0])
    assert [w.rules[i].mass for i in new[1:]] == [1.0, 0.2, 0.03]
    frame(app)
    click(app, app.instruments.race.chips["adam"].center)  # the scene's rule names, and adam
    assert app.runtime.balls.race.world_lanes is None and app.runtime.balls.race.lanes == ["gd", "adam", "newton"]
    frame(app)
    click(app, (760, 470))  # away from the first drop (a click on a ball selects it)
    assert [w.rules[r].name for r in w.particles.rule[-3:]] == ["gd", "adam", "newton"]
    assert w.n == n0 + 4 + 3


def test_the_ledger_reads_an_optimizer_balls_twin():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    press(app, "y")
    click(app, (700, 450))
    app.world.tick(30)
    seen = {}
    real = draw_ledger_panel

    def spy(surface, rect, world, font, history=None, rows=None, everyone=None, mouse=None):
        seen["rows"] = rows
        return real(surface, rect, world, font, history, rows, everyone, mouse)

    import unittest.mock as um
    with um.patch("render.panels.instrument_panels.draw_ledger_panel", spy):
        frame(app)
    assert app.selected() == 0 and seen["rows"] == 1  # ball 0 is momentum, 1 its newton twin


def test_newton_basins_settle_within_the_job_budget():
    """An underdamped Newtonian ball rings down slowly: the UI gives the job enough ticks and
    the job counts a slow ball deep in a listed minimum's well as settled there."""
    from sim.instruments.basins import BasinJob, MOVING
    from sim.instruments.bridge import OVERDAMPED_FRICTION_DT, flow_partner
    from sim.instruments.ledger import ledger, ledger_total
    from sim.rules.dynamics import newton_twin
    from sim.instruments.stability import stability
    from sim.data.catalog import get_potential

    pot = get_potential("himmelblau")
    rule = Rule("newton", dt=0.01, friction=0.5)
    job = BasinJob(pot, rule, pot.view, grid=(40, 25), max_ticks=BU.basin_ticks(rule))
    while not job.done:
        job.advance(2000)
    labels = job.labels
    assert (labels == MOVING).mean() < 0.05
    assert set(np.unique(labels[labels >= 0])) == {0, 1, 2, 3}
    # a point started right at a minimum is labelled with that minimum
    for k, m in enumerate(pot.minima):
        i = int((m[0] - pot.view[0]) / (pot.view[1] - pot.view[0]) * 40)
        j = int((m[1] - pot.view[2]) / (pot.view[3] - pot.view[2]) * 25)
        assert labels[i, j] == k


def test_race_lanes_survive_a_new_landscape_with_its_step_sizes():
    from sim.landscapes.tuning import suggestions

    app = race_dropped((500, 300))
    w = app.world
    ids, names = w.particles.rule.copy(), [w.rules[r].name for r in w.particles.rule]
    n_rules = len(w.rules)
    app.commands.cycle_potential(1)  # himmelblau -> the next landscape
    assert w.potential.name != "himmelblau"
    assert np.array_equal(w.particles.rule, ids)  # no lane collapsed onto one rule
    assert [w.rules[r].name for r in w.particles.rule] == names
    new = suggestions(w.potential)
    for r in w.rules:  # each lane on the new landscape's step for its family
        fam = {"gd": 0, "momentum": 1, "nesterov": 1, "newton": 2, "langevin": 2}.get(r.name, 3)
        assert (r.dt if fam == 2 else r.lr) == new[fam], r
    frame(app)
    click(app, (400, 300))  # a new race drop joins the same lanes
    assert len(w.rules) == n_rules and np.array_equal(w.particles.rule[len(ids):], ids)
    w.tick(50)
    assert len({tuple(p) for p in np.round(w.particles.pos[: len(ids)], 12)}) == len(ids)


def test_a_formula_keeps_a_scenes_lanes_and_their_relations():
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    app = make_app()
    world, info = load_scene(find_scene("overdamped_limit"))
    app.scene_ui.open_scene(world, info)
    from sim.landscapes.tuning import suggestions

    before = list(app.world.rules)
    old = suggestions(app.world.potential)
    assert app.scene_ui.apply_formula("25*x**2 + 100*y**2 + 3*x*y")  # far steeper
    frame(app)
    w = app.world
    new = suggestions(w.potential)
    assert new[0] < old[0] / 10 and new[2] < old[2] / 2
    assert len(w.rules) == 4 and [r.name for r in w.rules] == [r.name for r in before]
    assert [r.mass for r in w.rules] == [r.mass for r in before]
    assert app.instruments.states()["race"] and app.runtime.balls.race.world_lanes == [0, 1, 2, 3]
    # newton lanes moved by the dt ratio; the gd lane is the gradient flow of the first (the
    # lesson's point: lr = dt / friction), so it is derived again, not rescaled on its own
    for i in (1, 2, 3):
        assert w.rules[i].dt == pytest.approx(before[i].dt * new[2] / old[2], rel=1e-12)
    assert before[0].lr == before[1].dt / before[1].friction
    assert w.rules[0].lr == w.rules[1].dt / w.rules[1].friction
    assert w.rules[0].lr != pytest.approx(before[0].lr * new[0] / old[0], rel=1e-3)
    w.tick(400)
    assert w.counts()[1] == 0  # nothing diverged on the new landscape


def test_twins_stay_exact_across_a_landscape_change():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    click(app, (300, 250))
    w = app.world
    w.tick(50)
    app.commands.cycle_potential(1)
    app.update(1 / 60)  # the instruments follow the retuned rules
    assert w.rules[w.particles.rule[1]] == newton_twin(w.rule)
    for _ in range(5):
        app.update(1 / 60)
        w.tick(100)
    assert _pair_gap(app) < 1e-9


def test_each_basin_reads_as_its_own_colour_over_a_grey_relief():
    """Under basin shading the map is grey (colormap.grey), so a point's hue says its basin
    whatever V is there: classify sampled pixels by the nearest palette hue and compare with
    the job's labels."""
    from render.look import colormap

    g = colormap.grey(colormap.VIRIDIS)
    assert (g[:, 0] == g[:, 1]).all() and (g[:, 1] == g[:, 2]).all()
    # keeps V's order (up to the polynomial fit's wiggle of one level) over a wide range
    assert (np.diff(g[:, 0].astype(int)) >= -1).all() and g[-1, 0] - g[0, 0] > 100

    app = make_app("himmelblau", Rule("gd", lr=0.002))
    app.instruments.basins.sync = True
    press(app, "b")
    app.update(1 / 60)
    job = app.instruments.basins.job
    assert job.done
    surf = frame(app)
    pal = np.array(BASIN_PALETTE[: len(job.centers)], float)
    chroma = pal - pal.mean(axis=1, keepdims=True)
    chroma /= np.linalg.norm(chroma, axis=1, keepdims=True)
    gx, gy = job.grid
    x0, x1, y0, y1 = job.view
    hits = total = 0
    rng = np.random.default_rng(0)
    blocked = list(app.hud.panels) + list(app.instruments.rects.values())
    for _ in range(400):
        i, j = int(rng.integers(gx)), int(rng.integers(gy))
        lab = int(job.labels[i, j])
        if lab < 0:
            continue
        # the cell and its neighbours agree (not on a soft border)
        nb = job.labels[max(i - 2, 0): i + 3, max(j - 2, 0): j + 3]
        if (nb != lab).any():
            continue
        wx, wy = x0 + (i + 0.5) * (x1 - x0) / gx, y0 + (j + 0.5) * (y1 - y0) / gy
        px, py = (int(v) for v in app.view.to_screen(np.array([[wx, wy]]))[0])
        if not (0 <= px < SIZE[0] and 0 <= py < SIZE[1]) or any(r.collidepoint(px, py) for r in blocked):
            continue
        c = np.array(surf.get_at((px, py))[:3], float)
        c -= c.mean()
        if np.linalg.norm(c) < 1e-9:
            continue
        total += 1
        hits += int(np.argmax(chroma @ (c / np.linalg.norm(c))) == lab)
    assert total > 100 and hits / total > 0.97, (hits, total)
    # the colourbar went grey with the map (it is the panel at the top right)
    from render.hud.basics import COLORBAR_SIZE
    from render.look.theme import MARGIN, PAD

    rect = next(r for r in app.hud.panels if r.topright == (SIZE[0] - MARGIN, MARGIN))
    x = rect.x + PAD + COLORBAR_SIZE[0] // 2  # down the middle of the bar itself

    def bar_spread(s):
        col = [s.get_at((x, y))[:3] for y in range(rect.y + rect.h // 3, rect.y + 2 * rect.h // 3)]
        return max(max(c) - min(c) for c in col)

    assert bar_spread(surf) <= 2
    press(app, "b")  # basins off: the colour map and bar come back
    assert bar_spread(frame(app)) > 60


def test_race_legend_groups_each_twin_under_its_lane():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.002))
    press(app, "k")
    press(app, "j")
    frame(app)
    click(app, (640, 400))
    w = app.world
    b, t = app.runtime.balls.pairs
    twins = app.runtime.balls.pairs.twin_rules(app.world)
    assert len(t) and set(twins) == set(w.particles.rule[t].tolist()) - set(w.particles.rule[b].tolist())
    for tr, br in twins.items():  # each twin rule follows the lane of its balls
        rows = np.flatnonzero(w.particles.rule[t] == tr)
        assert set(w.particles.rule[b[rows]].tolist()) == {br}
        assert w.rules[br].name in app.runtime.balls.race.lanes
    order = race_rows(sorted(set(w.particles.rule.tolist())), twins)
    lane_rows = np.setdiff1d(np.arange(w.n), t)
    assert [rid for rid, tw in order if not tw] == sorted(set(w.particles.rule[lane_rows].tolist()))
    assert sum(tw for _, tw in order) == len(twins) > 0
    # the twin rows are drawn with a hollow ring (as twins are on the map), the lanes with a dot
    surf = frame(app)
    rect = app.instruments.rects["race"]
    lh = app.fonts.small.get_linesize() + LINE_GAP
    # a lane the rate meter follows has a rate row under its row (render/panels.rate_text)
    rated = {rid for rid, r in app.instruments.race._sample(w)[1].items() if r.get("status")}
    line = 1
    for k, (rid, tw) in enumerate(order):
        cy = rect.y + PANEL_PAD + line * lh + app.fonts.small.get_linesize() // 2
        line += 1 + (rid in rated)
        cx = rect.x + PANEL_PAD + (19 if tw else 5)
        centre = tuple(surf.get_at((cx, cy)))[:3]
        colour = rule_palette(w.rules)[rid]
        assert (max(abs(a - c) for a, c in zip(centre, colour)) < 40) != tw, (k, rid, tw, centre, colour)


def test_a_light_ball_keeps_the_pace_of_the_chosen_dt():
    """Lowering the mass lowers dt (stability); the window runs that many more ticks a second,
    so one real second is still about steps[2] * 60 units of simulated time (up to the cap)."""
    from sim.runtime.params import MAX_DT_BOOST

    app = make_app("gaussian_wells", Rule("newton", friction=1.0, dt=0.016), balls=[(1.0, 0.5)])
    app.runtime.params.steps[2] = 0.016
    for presses in (0, 3, 3, 6):
        for _ in range(presses):
            press(app, ";")
        said = app.notices.toast[0] if app.notices.toast else ""
        r = app.world.rule
        want = min(0.016 / r.dt, MAX_DT_BOOST)
        assert app.runtime.params.dt_boost() == pytest.approx(want)
        if want > 1:
            assert f"×{want:.3g} ticks a second" in said
            assert ("motion slower" in said) == (0.016 / r.dt > MAX_DT_BOOST)
        t0 = app.world.time
        for _ in range(60):  # one real second
            app.update(1 / 60)
        elapsed = app.world.time - t0
        assert elapsed == pytest.approx(60 * r.dt * want, rel=0.03)
        if want < MAX_DT_BOOST:
            assert elapsed == pytest.approx(60 * 0.016, rel=0.03)  # the chosen pace, exactly
    assert app.world.rule.dt < 0.016 / MAX_DT_BOOST  # the last one was capped: slower
    app.runtime.switch.set_rule("gd")  # an optimizer: no boost
    assert app.runtime.params.dt_boost() == 1.0


def test_ledger_sums_run_once_a_frame_and_match_a_fresh_count(monkeypatch):
    app = make_app("himmelblau", Rule("newton", dt=0.01, friction=0.3),
                   balls=[(1.0, 1.0), (-2.0, 0.5), (3.0, -1.0)])
    press(app, "y")
    calls = []
    real = ledger_total

    def counted(world, rows=None):
        out = real(world, rows)
        if rows is None:
            calls.append(out)
        return out

    monkeypatch.setattr("sim.instruments.readouts.ledger_total", counted)
    monkeypatch.setattr("render.panels.draw.ledger.ledger_total", counted)
    for _ in range(5):
        app.update(1 / 60)
        frame(app)
    assert len(calls) == 5  # the plot's sample, reused by the panel
    assert calls[-1] == real(app.world)
    assert calls[-1]["drift"] == pytest.approx(ledger(app.world)["total"]["drift"], abs=1e-12)
    app.world.tick(3)  # the world moved after the sample: the panel counts afresh
    frame(app)
    assert len(calls) == 6


def test_lanes_of_one_rule_get_distinct_shades_of_its_colour():
    from render.look.theme import RULE_COLORS
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    world, _ = load_scene(find_scene("overdamped_limit"))  # gd and three newton masses
    pal = rule_palette(world.rules)
    assert pal[0] == RULE_COLORS["gd"] and pal[1] == RULE_COLORS["newton"]
    assert len(set(pal)) == len(pal)
    for a in range(len(pal)):  # far enough apart to tell on screen
        for b in range(a):
            assert max(abs(x - y) for x, y in zip(pal[a], pal[b])) >= 60, (pal[a], pal[b])
    # shades keep the hue: red stays the strongest channel of every newton lane
    assert all(c[0] == max(c) for c in pal[1:])
    # and every shade of every rule colour differs from the colour (white included)
    from render.map.palette import shade_of

    for c in RULE_COLORS.values():
        for k in range(1, 5):
            assert max(abs(x - y) for x, y in zip(shade_of(c, k), c)) >= 60


def test_a_lessons_twin_lanes_stay_twins_on_a_new_landscape():
    """momentum_is_newton races momentum against its exact Newtonian twin; on another landscape
    the twin lane is derived again from the retuned momentum lane (not rescaled on its own,
    which broke the pair and sent the newton balls off to infinity)."""
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    app = make_app()
    world, info = load_scene(find_scene("momentum_is_newton"))
    app.scene_ui.open_scene(world, info)
    w = app.world
    mom = next(i for i, r in enumerate(w.rules) if r.name == "momentum")
    newt = next(i for i, r in enumerate(w.rules) if r.name == "newton")

    def twin_gap():  # the lesson's twin is taken at its own dt (any dt gives the same path)
        want = newton_twin(w.rules[mom].with_(dt=w.rules[newt].dt)).params()
        got = w.rules[newt].params()
        return max(abs(got[k] - want[k]) / abs(want[k]) for k in ("dt", "mass", "friction"))

    assert twin_gap() < 1e-12
    lr0 = w.rules[mom].lr
    press(app, "1")  # bowl
    assert w.potential.name == "bowl" and w.rules[mom].lr != lr0
    assert twin_gap() < 1e-12
    assert app.runtime.params.dt_boost() == 1.0
    app.runtime.paused = False
    for _ in range(120):
        app.update(1 / 60)
    assert w.counts()[1] == 0
    p = w.particles
    a, b = np.flatnonzero(p.rule == mom), np.flatnonzero(p.rule == newt)
    assert len(a) == len(b) > 0
    assert np.abs(p.pos[a] - p.pos[b]).max() < 1e-8  # still on top of each other


def test_a_new_landscape_does_not_speed_up_a_world_with_lanes():
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    for name in ("euler_vs_verlet", "overdamped_limit", "momentum_is_newton"):
        app = make_app()
        world, info = load_scene(find_scene(name))
        app.scene_ui.open_scene(world, info)
        assert app.runtime.params.dt_boost() == 1.0
        for key_ in "2", "4":
            press(app, key_)
            assert app.runtime.params.dt_boost() == 1.0, (name, key_)


def test_a_formula_keeps_the_twins_and_their_rings():
    app = make_app("gaussian_wells", Rule("momentum", lr=0.02, beta=0.9))
    press(app, "j")
    click(app, (300, 250))
    w = app.world
    b0, t0 = (a.copy() for a in app.runtime.balls.pairs)
    assert len(b0) == 1
    assert app.scene_ui.apply_formula("x**2 + 3*y**2 + sin(x)")
    app.update(1 / 60)
    b, t = app.runtime.balls.pairs
    assert np.array_equal(b, b0) and np.array_equal(t, t0)  # still a pair, not a race lane
    assert app.runtime.balls.race.world_lanes is None
    assert w.rules[w.particles.rule[t[0]]] == newton_twin(w.rule)
    for _ in range(5):
        app.update(1 / 60)
        w.tick(50)
    assert _pair_gap(app) < 1e-9


def test_hovering_the_ledger_plot_shows_the_exact_sample_under_the_cursor():
    """The sample under a pixel column, found independently of the drawing: the plot sits
    PAD inside the panel and spreads its k samples over its inner width (2 px in a side)."""
    app = make_app(rule=Rule("newton", dt=0.05, friction=0.3), balls=[(1.5, 1.0)])
    press(app, "y")
    for _ in range(120):
        app.update(1 / 60)
    press(app, " ", pygame.K_SPACE)  # paused: the history holds still while we hover
    frame(app)
    rect = app.instruments.rects["ledger"]
    s = app.instruments.ledger.history.series()
    k = len(s)
    assert k == 120
    x0, w = rect.x + PANEL_PAD + 2, rect.w - 2 * PANEL_PAD - 4
    y = rect.bottom - PANEL_PAD - 6
    before = frame(app)
    assert "hover" not in app.instruments.readouts["ledger"]
    for i in (0, 37, k - 1):
        x = int(round(x0 + i * (w - 1) / (k - 1)))
        app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(x, y), rel=(0, 0), buttons=(0, 0, 0)))
        surf = frame(app)
        assert np.array_equal(app.instruments.readouts["ledger"]["hover"], s[i])
    # the box with the values is drawn over the top of the plot, and only while hovering
    top = pygame.Rect(rect.x + PANEL_PAD, rect.bottom - 84, rect.w - 2 * PANEL_PAD, 20)
    assert differing(before, surf, top) > 0.05
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(5, 5), rel=(0, 0), buttons=(0, 0, 0)))
    frame(app)
    assert "hover" not in app.instruments.readouts["ledger"]
