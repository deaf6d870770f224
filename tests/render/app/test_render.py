"""The window's pieces, offscreen: transforms, map colours, pixel probes, input -> commands,
help from the key table, headless determinism, screenshots."""
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.app import map_actions, screenshots  # noqa: E402
from render.look import camera  # noqa: E402
from render.input import keys  # noqa: E402
from render.map import vectors  # noqa: E402
from sim.runtime import balls  # noqa: E402
from render.app.app import App  # noqa: E402
from render.app.loop import run  # noqa: E402
from render.look.theme import RULE_COLORS  # noqa: E402
from render.map.sprites import SPRITE_MAX  # noqa: E402
from render.look.colormap import VIRIDIS  # noqa: E402
from sim.support.text import fmt  # noqa: E402
from render.map.landscape import Landscape  # noqa: E402
from render.look.view import View, nice_ticks  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import POTENTIALS, get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402
from tests.support.apps import app_on, click, frame_at, key  # noqa: E402

SIZE = (640, 400)


pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def make_app(potential="bowl", rule=None, size=SIZE):
    return app_on(potential, rule, size)


frame = frame_at(SIZE, update=False)


# -- the view -------------------------------------------------------------------------------

def test_view_round_trip_and_orientation():
    v = View.fit((-2.0, 2.0, -1.0, 3.0), (1280, 800))
    pts = np.random.default_rng(0).uniform(-5, 5, (100, 2))
    assert np.allclose(v.to_world(v.to_screen(pts)), pts, atol=1e-12)
    x0, x1, y0, y1 = v.rect()
    assert x0 <= -2 and x1 >= 2 and y0 <= -1 and y1 >= 3  # the whole rect fits
    a, b = v.to_screen(np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert b[0] > a[0] and b[1] < a[1]  # x to the right, y up


def test_zoom_about_keeps_the_point_under_the_cursor():
    v = View.fit((-4, 4, -3, 3), (800, 600))
    before = v.pixel_to_world(123, 456)
    z = v.zoom_about(123, 456, 1.7)
    assert z.scale == pytest.approx(1.7 * v.scale)
    assert np.allclose(z.pixel_to_world(123, 456), before, atol=1e-12)


def test_pan_moves_the_world_with_the_mouse():
    v = View.fit((-4, 4, -3, 3), (800, 600))
    p = v.pixel_to_world(100, 100)
    assert np.allclose(v.pan(30, -20).pixel_to_world(130, 80), p)


def test_nice_ticks():
    t = nice_ticks(-5.3, 5.3, 5)
    assert list(t) == [-5.0, -2.5, 0.0, 2.5, 5.0]
    assert list(nice_ticks(0.0, 1.0, 5)) == [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0] or \
        np.allclose(nice_ticks(0.0, 1.0, 5), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert len(nice_ticks(0, 1, 8)) >= 5


# -- the map --------------------------------------------------------------------------------

def _lut_position(rgb):
    """Index of the nearest viridis entry to a colour."""
    return int(np.argmin(((VIRIDIS.astype(float) - np.asarray(rgb, float)[:3]) ** 2).sum(axis=1)))


@pytest.mark.parametrize("name", ["bowl", "rosenbrock", "gaussian_wells", "styblinski_tang"])
def test_map_colours_follow_the_potential(name):
    p = get_potential(name)
    v = View.fit(p.view, SIZE)
    surf = Landscape().surface(v, p)
    low = p.minima[np.argmin(p.minimum_values)]
    lx, ly = v.world_to_pixel(*low)
    # probe next to the minimum mark (the ring covers the exact pixel)
    near = [surf.get_at((lx + dx, ly + dy)) for dx, dy in ((0, 10), (10, 0), (0, -10), (-10, 0))]
    corner = surf.get_at((2, 2))
    assert max(_lut_position(c) for c in near) < 110  # the dark, low end
    assert _lut_position(corner) > 200  # the bright, high end
    assert corner[1] > max(c[1] for c in near)  # and brighter in green, whatever the lines do


def test_map_is_cached_until_view_or_potential_changes():
    L = Landscape()
    p = get_potential("himmelblau")
    v = View.fit(p.view, SIZE)
    s1 = L.surface(v, p)
    assert L.surface(v, p) is s1 and L.builds == 1
    L.surface(v.zoom_about(10, 10, 1.2), p)
    assert L.builds == 2
    L.surface(v.zoom_about(10, 10, 1.2), get_potential("bowl"))
    assert L.builds == 3
    app = make_app()
    frame(app)
    frame(app)
    assert app.layers.landscape.builds == 1  # never per frame


def test_resizing_rebuilds_the_map_for_the_new_size():
    app = make_app()
    frame(app)
    s = frame(app, (500, 300))
    assert (app.view.w, app.view.h) == (500, 300)
    assert app.layers.landscape.builds == 2
    assert s.get_at((499, 299))[:3] != (0, 0, 0)


def test_contour_lines_are_drawn():
    """Along a ray from the bowl's minimum the colour dips at each iso-line."""
    p = get_potential("bowl")
    v = View.fit(p.view, SIZE)
    surf = Landscape().surface(v, p)
    cx, cy = v.world_to_pixel(0, 0)
    row = np.array([surf.get_at((x, cy))[:3] for x in range(cx + 12, SIZE[0] - 5)], float)
    luma = row @ np.array([0.3, 0.59, 0.11])
    smooth = np.convolve(luma, np.ones(9) / 9, mode="same")
    dips = np.flatnonzero((smooth - luma)[4:-4] > 6)
    groups = np.sum(np.diff(dips) > 2) + (len(dips) > 0)
    assert groups >= 6


# -- balls on screen ------------------------------------------------------------------------

def test_a_dropped_ball_is_drawn_where_its_world_position_maps():
    app = make_app()
    app.runtime.paused = True
    plain = pygame.surfarray.array3d(frame(app)).astype(int)
    x, y = 0.55, 0.3
    app.world.drop(np.array([[x, y]]))
    shot = pygame.surfarray.array3d(frame(app)).astype(int)
    px, py = app.view.world_to_pixel(x, y)
    assert not any(r.collidepoint(px, py) for r in app.hud.panels)
    box = (slice(px - 25, px + 26), slice(py - 25, py + 26))
    diff = np.abs(shot[box] - plain[box]).sum(axis=2)
    changed = np.argwhere(diff > 30) - 25  # offsets from the expected pixel
    assert len(changed) > 20
    assert np.abs(changed.mean(axis=0)).max() < 1.0  # centred on it
    assert np.abs(changed).max() <= 7  # a small ball, nothing else around
    c = shot[px + 1, py + 2]
    assert np.abs(c - RULE_COLORS["gd"]).max() < 60  # the rule's colour


def test_many_balls_are_splatted_at_their_pixels_in_their_rule_colour():
    app = make_app(rule=Rule("momentum", lr=0.01))
    app.runtime.paused = True
    app.show["trails"] = False
    rng = np.random.default_rng(1)
    pos = rng.uniform([-3, -2], [3, 2], (SPRITE_MAX + 500, 2))
    app.world.drop(pos)
    shot = pygame.surfarray.array3d(frame(app))
    pix = np.floor(app.view.to_screen(pos)).astype(int)
    clear = np.array([all(not r.collidepoint(int(x), int(y)) for r in app.hud.panels)
                      for x, y in pix])  # not under a HUD panel
    assert clear.sum() > 1000
    colors = shot[pix[clear, 0], pix[clear, 1]]
    assert (colors == RULE_COLORS["momentum"]).all(axis=1).all()


def test_diverged_balls_are_not_drawn_but_counted():
    app = make_app(rule=Rule("gd", lr=50.0))
    app.world.drop(np.array([[3.0, 2.0]]))
    app.world.tick(20)
    assert app.world.counts() == (0, 1)
    app.layers.proj.project(app.world, app.view, 1.0)
    assert not app.layers.proj.visible.any()
    frame(app)  # the HUD copes (no NaN anywhere)


def test_drawing_never_changes_the_world():
    app = make_app(rule=Rule("newton", dt=0.05))
    app.world.drop_random(50)
    app.world.tick(3)
    before = {k: getattr(app.world.particles, k).copy() for k in ("pos", "vel", "prev")}
    app.show.update(arrows=True, field=True, help=True)
    frame(app)
    for k, a in before.items():
        assert np.array_equal(getattr(app.world.particles, k), a)


def test_trails_fade_and_follow_balls():
    app = make_app(rule=Rule("newton", dt=0.05, friction=0.0))
    app.world.drop(np.array([[2.0, 0.0]]))
    for _ in range(20):
        app.update(1 / 60)
        frame(app)
    t = app.layers.trails.intensity
    assert t.max() == 255 and (t > 0).sum() > 20  # a path, not a dot
    app.runtime.paused = True
    for _ in range(5):  # paused: no ticks, no fading
        app.update(1 / 60)
        frame(app)
    assert (app.layers.trails.intensity > 0).sum() >= (t > 0).sum() * 0.9


# -- input ----------------------------------------------------------------------------------

def test_click_drops_one_ball_at_the_mapped_world_point():
    app = make_app()
    click(app, (400, 150))
    assert app.world.n == 1
    assert np.allclose(app.world.particles.pos[0], app.view.pixel_to_world(400, 150))
    assert np.allclose(app.world.particles.vel[0], 0.0)


def test_drag_throws_a_ball_with_the_drag_velocity():
    app = make_app(rule=Rule("newton", dt=0.02))
    ev = pygame.event.Event
    app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=(300, 200), button=1, mod=0))
    app.handle(ev(pygame.MOUSEMOTION, pos=(340, 180), rel=(40, -20), buttons=(1, 0, 0)))
    assert app.gestures.drag is not None and app.gestures.drag.moved
    frame(app)  # the drag line is drawn without trouble
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=(360, 170), button=1, mod=0))
    assert app.world.n == 1
    p = app.world.particles
    start = np.array(app.view.pixel_to_world(300, 200))
    end = np.array(app.view.pixel_to_world(360, 170))
    assert np.allclose(p.pos[0], start)
    expect = (end - start) / (vectors.THROW_SECONDS * 60 * 0.02)
    assert np.allclose(p.vel[0], expect)
    assert p.vel[0, 0] > 0 and p.vel[0, 1] > 0  # right and up on screen = +x, +y


def test_shift_click_drops_a_cloud():
    app = make_app()
    click(app, (320, 200), mod=pygame.KMOD_LSHIFT)
    assert app.world.n == balls.CLOUD_SIZE
    d = app.world.particles.pos - np.array(app.view.pixel_to_world(320, 200))
    assert np.hypot(d[:, 0], d[:, 1]).max() <= app.view.length(map_actions.CLOUD_RADIUS) + 1e-12


def test_right_click_removes_balls_near_the_cursor():
    app = make_app()
    click(app, (100, 100))
    click(app, (103, 101))
    click(app, (500, 300))
    assert app.world.n == 3
    click(app, (101, 100), button=3)
    assert app.world.n == 1
    assert np.allclose(app.world.particles.pos[0], app.view.pixel_to_world(500, 300))


def test_right_drag_pans_instead_of_removing():
    app = make_app()
    click(app, (100, 100))
    p = app.view.pixel_to_world(200, 200)
    ev = pygame.event.Event
    app.handle(ev(pygame.MOUSEBUTTONDOWN, pos=(200, 200), button=3, mod=0))
    app.handle(ev(pygame.MOUSEMOTION, pos=(250, 230), rel=(50, 30), buttons=(0, 0, 1)))
    app.handle(ev(pygame.MOUSEBUTTONUP, pos=(250, 230), button=3, mod=0))
    assert app.world.n == 1
    assert np.allclose(app.view.pixel_to_world(250, 230), p)


def test_wheel_zooms_about_the_cursor():
    app = make_app()
    ev = pygame.event.Event
    app.handle(ev(pygame.MOUSEMOTION, pos=(150, 320), rel=(0, 0), buttons=(0, 0, 0)))
    before = app.view.pixel_to_world(150, 320)
    s0 = app.view.scale
    app.handle(ev(pygame.MOUSEWHEEL, x=0, y=1, flipped=False))
    assert app.view.scale == pytest.approx(s0 * camera.ZOOM_STEP)
    assert np.allclose(app.view.pixel_to_world(150, 320), before)
    app.handle(ev(pygame.MOUSEWHEEL, x=0, y=-2, flipped=False))
    assert app.view.scale == pytest.approx(s0 / camera.ZOOM_STEP)
    key(app, pygame.K_HOME)
    assert app.view == app.camera.home


def test_space_pauses_and_period_steps_one_tick():
    app = make_app()
    app.world.drop(np.array([[1.0, 1.0]]))
    key(app, pygame.K_SPACE, " ")
    assert app.runtime.paused
    assert app.update(0.5) == 0 and app.world.tick_count == 0
    key(app, pygame.K_PERIOD, ".")
    assert app.world.tick_count == 1
    key(app, pygame.K_SPACE, " ")
    assert not app.runtime.paused
    assert app.update(3 / 60 + 1e-9) == 3


def test_rule_keys_select_rules():
    app = make_app(rule=Rule("momentum", lr=0.01))
    for k, ch, name in ((pygame.K_g, "g", "gd"), (pygame.K_n, "n", "newton"), (pygame.K_a, "a", "adam"),
                        (pygame.K_l, "l", "langevin"), (pygame.K_m, "m", "momentum")):
        key(app, k, ch)
        assert app.world.rule.name == name
    from sim.rules.dynamics import RULES

    seen = set()
    for _ in range(len(RULES)):  # ten rules: newton_method and nesterov_ode too
        key(app, pygame.K_TAB, "\t")
        seen.add(app.world.rule.name)
    assert seen == set(RULES) and app.world.rule.name == "momentum"
    key(app, pygame.K_TAB, "\t", mod=pygame.KMOD_LSHIFT)
    assert app.world.rule.name == "gd"


def test_c_clears_and_r_restarts():
    app = make_app()
    click(app, (200, 100))
    start = app.world.particles.pos.copy()
    app.world.tick(30)
    assert not np.allclose(app.world.particles.pos, start)
    key(app, pygame.K_r, "r")
    assert np.allclose(app.world.particles.pos, start)
    key(app, pygame.K_c, "c")
    assert app.world.n == 0


def test_number_keys_and_page_keys_choose_the_potential():
    app = make_app()
    names = list(POTENTIALS)
    key(app, pygame.K_3, "3")
    assert app.world.potential.name == names[2]
    key(app, pygame.K_0, "0")
    assert app.world.potential.name == names[9]
    key(app, pygame.K_PAGEDOWN)
    assert app.world.potential.name == names[10]
    key(app, pygame.K_PAGEUP)
    key(app, pygame.K_PAGEUP)
    assert app.world.potential.name == names[8]


def test_switching_potential_applies_its_suggested_step_size():
    from sim.landscapes.tuning import SUGGESTED

    app = make_app(rule=Rule("momentum", lr=0.5))
    key(app, pygame.K_3, "3")  # rosenbrock
    assert app.world.rule.lr == SUGGESTED["rosenbrock"][1]
    key(app, pygame.K_n, "n")
    assert app.world.rule.dt == SUGGESTED["rosenbrock"][2]


def test_step_size_friction_time_scale_keys_and_toasts():
    app = make_app(rule=Rule("gd", lr=0.04))
    key(app, pygame.K_EQUALS, "+", mod=pygame.KMOD_LSHIFT)
    assert app.world.rule.lr == pytest.approx(0.05)
    assert "lr = 0.05" in app.notices.toast[0]
    key(app, pygame.K_KP_MINUS, "-")
    assert app.world.rule.lr == pytest.approx(0.04)
    key(app, pygame.K_n, "n")
    dt = app.world.rule.dt
    key(app, pygame.K_MINUS, "-")
    assert app.world.rule.dt == pytest.approx(dt / 1.25)
    f = app.world.rule.friction
    key(app, pygame.K_RIGHTBRACKET, "]")
    assert app.world.rule.friction == pytest.approx(f * 1.25)
    assert "friction" in app.notices.toast[0]
    app.world.set_params(friction=0.0)
    key(app, pygame.K_RIGHTBRACKET, "]")
    assert app.world.rule.friction > 0
    key(app, pygame.K_PERIOD, ">", mod=pygame.KMOD_LSHIFT)
    assert app.runtime.time_scale == 2.0 and not app.runtime.paused  # ">" is not "."
    key(app, pygame.K_COMMA, "<", mod=pygame.KMOD_LSHIFT)
    key(app, pygame.K_COMMA, "<", mod=pygame.KMOD_LSHIFT)
    assert app.runtime.time_scale == 0.5
    key(app, pygame.K_PERIOD, "", mod=pygame.KMOD_LSHIFT)  # no text: US layout fallback
    assert app.runtime.time_scale == 1.0


def test_toggles_and_quit():
    app = make_app()
    for k, ch, what in ((pygame.K_t, "t", "trails"), (pygame.K_v, "v", "arrows"),
                        (pygame.K_f, "f", "field"), (pygame.K_h, "h", "help")):
        before = app.show[what]
        key(app, k, ch)
        assert app.show[what] != before
    key(app, pygame.K_F1)
    assert not app.show["help"]
    assert app.running
    key(app, pygame.K_q, "q")
    assert not app.running
    app2 = make_app()
    key(app2, pygame.K_ESCAPE, "\x1b")
    assert not app2.running
    app3 = make_app()
    app3.handle(pygame.event.Event(pygame.QUIT))
    assert not app3.running and app3.status == 0


def test_every_command_in_the_key_table_exists():
    app = make_app()
    table = app.router.commands
    for b in keys.KEYS:
        assert callable(table[b.command]), b.command
    assert set(table) == set(keys.Cmd)


def test_help_overlay_lists_every_binding_in_the_table(monkeypatch):
    app = make_app()
    app.show["help"] = True
    drawn = []
    real = app.fonts.text

    def spy(s, font, color=(255, 255, 255)):
        drawn.append(s)
        return real(s, font, color)

    monkeypatch.setattr(app.fonts, "text", spy)
    app.hud.help(frame(app), [p.name for p in app.potentials])
    text = "\n".join(drawn)
    for b in keys.KEYS:
        if b.command is keys.Cmd.POTENTIAL:  # the potentials column: one digit per name
            assert app.potentials[b.arg].name in drawn
            assert "1234567890"[b.arg] in drawn
        else:
            assert b.keys_label in drawn, b.keys_label
            assert b.description in drawn, b.description
    for m, d in keys.MOUSE:
        assert m in text and d in text


# -- HUD numbers ----------------------------------------------------------------------------

def test_numbers_on_screen_are_never_nan():
    assert fmt(float("nan")) == "—" and fmt(float("inf")) == "—"
    assert fmt(-1.5) == "\u22121.5"
    assert "nan" not in fmt(1e-300).lower()


# -- headless run, screenshots --------------------------------------------------------------

def test_headless_run_is_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    kw = dict(potential="gaussian_wells", rule=Rule("newton", dt=0.03), seed=5, particles=300,
              frames=20, size=(480, 300))
    assert run(screenshot=str(a), **kw) == 0
    assert run(screenshot=str(b), **kw) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].endswith(" fps") and "20 frames" in out[-1]
    pa = pygame.surfarray.array3d(pygame.image.load(str(a)))
    pb = pygame.surfarray.array3d(pygame.image.load(str(b)))
    assert pa.shape == (480, 300, 3)
    assert np.array_equal(pa, pb)
    assert a.read_bytes() == b.read_bytes()


def test_run_takes_extra_keywords_and_start_points(tmp_path, capsys):
    assert run(potential="bowl", rule="gd", frames=2, size=(200, 150), starts=[(1.0, 1.0)],
               rule_given=False, some_future_option=1) == 0
    assert "1 particles" in capsys.readouterr().out


def test_no_display_is_one_line_and_status_2(capsys):
    assert run(potential="bowl", rule="gd", frames=None) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no display" in err[0] and "--headless" in err[0]


def test_screenshot_names_never_overwrite(tmp_path):
    from render.files.names import save_screenshot

    p0 = tmp_path / "shot.png"
    open(p0, "wb").close()
    surf = pygame.Surface((4, 4))
    p1 = save_screenshot(surf, p0)  # the name is taken: saved beside it
    assert p1 != p0 and p1.parent == tmp_path and p1.suffix == ".png"
    assert os.path.getsize(p0) == 0  # untouched
    assert pygame.image.load(str(p1)).get_size() == (4, 4)
    p2 = save_screenshot(surf, p0)
    assert len({p0, p1, p2}) == 3


def test_s_saves_a_screenshot_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    click(app, (320, 200))
    frame(app)
    key(app, pygame.K_s, "s")
    frame(app)
    key(app, pygame.K_s, "s")
    frame(app)  # same second: a second file, not an overwrite
    files = sorted(tmp_path.glob("newton-descent-*.png"))
    assert len(files) == 2
    assert str(files[-1]) in app.notices.message[0] or str(files[0]) in app.notices.message[0]
    img = pygame.image.load(str(files[0]))
    assert img.get_size() == SIZE


def test_a_screenshot_that_cannot_be_written_is_a_message(tmp_path, monkeypatch):
    missing = tmp_path / "gone"
    monkeypatch.setattr(screenshots.os, "getcwd", lambda: str(missing))
    app = make_app()
    frame(app)
    key(app, pygame.K_s, "s")
    frame(app)  # saving happens after the frame is drawn: no exception
    assert app.notices.message[0].startswith("screenshot failed")
    assert app.running
    frame(app)  # and the message is drawn


def test_zooming_draws_draft_maps_then_the_full_map_once_the_view_rests():
    world = World(get_potential("bowl"), Rule("gd", lr=0.05), seed=3)
    app = App(world, SIZE, seed=3, headless=False)
    frame(app)
    assert app.layers.landscape.draft is False
    app.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(100, 100), rel=(0, 0), buttons=(0, 0, 0)))
    app.handle(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=1, flipped=False))
    frame(app)
    assert app.layers.landscape.draft is True  # a draft while the wheel turns
    app.update(camera.DRAFT_SECONDS + 0.01)
    frame(app)
    assert app.layers.landscape.draft is False and app.layers.landscape.view == app.view


def test_frame_rate_never_changes_the_physics():
    """The same second of input at 30 or 240 frames per second: the same ticks, the same balls."""
    states = []
    for fps in (30, 240):
        app = make_app(rule=Rule("newton", dt=0.02))
        app.world.drop(np.array([[2.0, 1.0], [-1.0, 0.5]]), np.array([[0.0, 1.0], [1.0, 0.0]]))
        for _ in range(fps):
            app.update(1.0 / fps)
            if _ % 7 == 0:
                frame(app)
        states.append((app.world.tick_count, app.world.particles.pos.copy()))
    (t30, p30), (t240, p240) = states
    assert t30 == t240 == 60
    assert np.array_equal(p30, p240)


def test_help_overlay_fits_a_small_window_in_more_columns():
    """At 960x600 two columns of the small font are too tall: the overlay deals the rows into
    more columns and stays inside the window, every binding's key drawn."""
    from render.hud import help_overlay as HO
    from render.look.theme import MARGIN

    app = make_app(size=(960, 600))
    names = [p.name for p in app.potentials]
    left, right = HO.help_rows(names)
    f = app.fonts
    two_high = f.small.get_linesize() * max(len(left), len(right))
    assert two_high > 600 - 2 * MARGIN  # the reason for more columns
    surf = pygame.Surface((960, 600), 0, 32)
    drawn = []
    real = f.text
    f.text = lambda s, font, c=(255, 255, 255): drawn.append(s) or real(s, font, c)
    try:
        rect = app.hud.help(surf, names)
    finally:
        f.text = real
    assert surf.get_rect().contains(rect)
    for b in keys.KEYS:
        if b.command is not keys.Cmd.POTENTIAL:
            assert b.keys_label in drawn, b.keys_label
    assert all(n in drawn for n in names)
    # every column's rows sit inside the overlay: its height was chosen for the tallest column
    cols = HO.layout(f, (960, 600), left, right)[2]
    assert len(cols) >= 3 and sum(len(c) for c in cols) >= len(left) + len(right)


def test_help_overlay_fits_even_a_tiny_map_area():
    """440x300 (a small window beside the control panel): too small for any columns, so the
    overlay is scaled down -- it lies inside the surface, none of it cut off."""
    app = make_app(size=(440, 300))
    surf = pygame.Surface((440, 300), 0, 32)
    rect = app.hud.help(surf, [p.name for p in app.potentials])
    assert surf.get_rect().contains(rect) and rect.w > 200
