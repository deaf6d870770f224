"""The fast paths draw the same pixels as the plain ones: sparse trails against the whole
image, the float32 fade against the table, cached HUD pieces against fresh ones."""
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.map.trails import TRAIL_DECAY, Trails  # noqa: E402
from render.map.sprites import alpha_blend, blend_matches_blit  # noqa: E402
from render.app.app import App  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402

SIZE = (640, 400)


pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py


def session(n_per_rule: int, frames: int):
    """A scripted run with three rules, a pause and x4 time: the screen after each frame."""
    world = World(get_potential("himmelblau"), Rule("momentum", lr=0.002), seed=1)
    world.add_rule(Rule("adam", lr=0.05))
    world.add_rule(Rule("newton", dt=0.01, friction=0.3))
    app = App(world, SIZE, seed=1, headless=True)
    rng = np.random.default_rng(2)
    for rid in range(3):
        world.drop(rng.uniform(-5, 5, (n_per_rule, 2)), rule_id=rid)
    app.layers.trails.forget_paths()
    surf = pygame.Surface(SIZE, 0, 32)
    shots, modes = [], []
    for i in range(frames):
        app.runtime.paused = frames // 3 <= i < frames // 3 + 3
        app.runtime.time_scale = 4.0 if i > frames // 2 else 1.0
        app.update(1 / 60)
        app.draw(surf)
        shots.append(pygame.image.tobytes(surf, "RGBX"))
        modes.append(app.layers.trails.sparse)
    return shots, modes


@pytest.mark.parametrize("n_per_rule", [30, 3000])
def test_sparse_trails_draw_the_same_pixels_as_the_whole_image(monkeypatch, n_per_rule):
    sparse, modes = session(n_per_rule, 60)
    assert any(modes)  # the sparse path ran
    monkeypatch.setattr("render.map.trails.SPARSE_ON", 0.0)
    dense, modes = session(n_per_rule, 60)
    assert not any(modes)
    for i, (a, b) in enumerate(zip(sparse, dense)):
        assert a == b, f"frame {i} differs"


@pytest.mark.parametrize("ticks", range(1, 70))
def test_float32_fade_is_the_table(ticks):
    t = Trails()
    t._set_lut(ticks)
    lut = np.floor(np.arange(256) * TRAIL_DECAY ** ticks).astype(np.uint8)
    assert np.array_equal(t._lut, lut)
    if t._lut_f32 is not None:
        got = (np.arange(256, dtype=np.uint8) * t._lut_f32).astype(np.uint8)
        assert np.array_equal(got, lut)


def test_cached_hud_layouts_draw_what_fresh_layouts_draw(monkeypatch):
    """Frames with the HUD's layout cache against frames that lay everything out afresh."""
    pass

    def run(fresh: bool):
        world = World(get_potential("rosenbrock"), Rule("newton", dt=0.002, friction=0.5), seed=4)
        app = App(world, SIZE, seed=4, headless=True)
        world.drop_random(300)
        app.runtime.balls.last_dropped = 7
        surf = pygame.Surface(SIZE, 0, 32)
        shots = []
        for i in range(40):
            if i == 20:
                app.map.zoom((200, 150), 1.2)
                app.show["help"] = True
            if fresh:
                app.hud._layouts.clear()
            app.update(1 / 60)
            app.draw(surf)
            shots.append(pygame.image.tobytes(surf, "RGBX"))
        return shots

    cached = run(False)
    monkeypatch.setattr("render.hud.hud.LAYOUT_CACHE", 0)
    fresh = run(True)
    for i, (a, b) in enumerate(zip(cached, fresh)):
        assert a == b, f"frame {i} differs"


def test_numpy_alpha_blend_is_the_blit_on_every_alpha_and_colour():
    surf = pygame.Surface((256, 256), 0, 32)
    layer = pygame.Surface((256, 256), pygame.SRCALPHA, 32)
    assert blend_matches_blit(surf, layer)  # this pygame blends as alpha_blend says
    rng = np.random.default_rng(0)
    d = rng.integers(0, 2**24, (256, 256), dtype=np.uint32)
    pygame.surfarray.blit_array(surf, d)
    layer.fill((0, 0, 0, 0))
    src = pygame.surfarray.pixels2d(layer)
    src[...] = rng.integers(0, 2**24, (256, 256), dtype=np.uint32)
    src |= np.arange(256, dtype=np.uint32)[:, None] << 24  # alpha = column
    s = src.copy()
    del src
    before = pygame.surfarray.array2d(surf).astype(np.uint32)
    surf.blit(layer, (0, 0))
    after = pygame.surfarray.array2d(surf).astype(np.uint32)
    want = alpha_blend(before.ravel(), s.ravel(), (s >> 24).ravel(), surf.get_shifts(),
                             layer.get_shifts())
    lit = (s >> 24).ravel() > 0
    assert np.array_equal(after.ravel()[lit], want[lit])


@pytest.mark.parametrize("name", ["rosenbrock", "rastrigin", "gaussian_wells", "saddle"])
def test_map_shaded_in_blocks_is_the_map_shaded_whole(monkeypatch, name):
    from render.map import landscape
    from render.look.view import View

    pot = get_potential(name)
    view = View.fit(pot.view, (333, 211)).zoom_about(100, 90, 1.3)
    xs, ys = view.pixel_centres()
    v = pot.value_grid(xs, ys)
    v[5:9, 7:12] = np.nan  # some pixels where V is not finite
    sh = landscape.Shading.for_values(v, landscape.uses_log(pot))
    blocks = landscape.shade(v, sh)
    monkeypatch.setattr(landscape, "SHADE_COLUMNS", 10_000)
    assert np.array_equal(blocks, landscape.shade(v, sh))


def test_many_balls_on_few_pixels_keep_the_trails_sparse():
    """Whether trails stay sparse depends on how many pixels are lit, not on how many balls
    stamp them (100k balls resting in a valley light a few thousand pixels)."""
    t = Trails()
    t.reset((100, 100))
    lin = np.repeat(np.arange(0, 10_000, 997), 2_000)  # 20,000 stamps on 11 pixels
    for _ in range(5):
        t.fade(1)
        t._light(lin)
        assert t.sparse
        assert sorted(t._live.tolist()) == list(range(0, 10_000, 997))


def test_hovering_the_loss_plot_shows_the_sample_under_the_cursor():
    """The sample a pixel column of the HUD plot draws, found independently of the drawing:
    the plot spreads its n samples evenly over plot.x + 2 .. plot.right - 2."""
    import numpy as np
    import pygame

    from render.hud.basics import History
    from render.hud.plots import plot_sample_at

    h = History()
    for i in range(11):
        h.add(float(i), 100.0 - i, 200.0 - i)
    plot = pygame.Rect(50, 50, 104, 40)
    assert plot_sample_at(h, plot, 52)[0] == 0.0 and plot_sample_at(h, plot, 152)[0] == 10.0
    assert np.array_equal(plot_sample_at(h, plot, 52 + 50), [5.0, 95.0, 195.0])
