"""The shared drawing pieces against independent references: word wrap against the definition
of greedy wrapping, fit_text against a brute-force search, cached panels and boxes against
freshly drawn ones, clip nesting, array <-> surface round trips, the text cache across fonts,
the one log scale against numpy's log10, and the stable cache keys of landscapes."""
from __future__ import annotations

import gc

import numpy as np
import pygame
import pytest

from render.look import colormap, theme, widgets
from render.map.arrows import FieldOverlay
from render.hud.basics import Ring
from render.map.landscape import Landscape, Shading, uses_log
from render.look.view import View
from sim.landscapes.formula.potential import ExprPotential, expression_potential
from sim.landscapes.formula.parser import parse_formula
from sim.landscapes.many_minima import GaussianWells
from sim.data.catalog import get_potential

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py

WORDS = ["a", "bb", "ccc", "momentum", "∇V", "x", "supercalifragilistic", "—", "β=0.9", "lr·λmax"]
SEPARATORS = ["", " ", "  ", "\n", "\n\n", "\t"]


def _random_texts(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        parts = []
        for _ in range(int(rng.integers(0, 25))):
            parts.append(WORDS[rng.integers(len(WORDS))])
            parts.append(SEPARATORS[rng.integers(len(SEPARATORS))])
        yield "".join(parts), int(rng.integers(0, 300))


def _is_greedy_wrap(lines: list[str], words: list[str], font, width: int) -> bool:
    """The definition: the lines hold the words in order, one space apart; a line wider than
    width is one word; and no line could have taken the next line's first word."""
    if " ".join(lines).split() != words or any(not ln or ln != " ".join(ln.split()) for ln in lines):
        return False
    if any(font.size(ln)[0] > width and len(ln.split()) > 1 for ln in lines):
        return False
    return all(font.size(a + " " + b.split()[0])[0] > width for a, b in zip(lines, lines[1:]))


def test_wrap_is_greedy_per_paragraph():
    font = pygame.font.Font(None, 20)
    for text, width in _random_texts(400):
        lines = widgets.wrap(text, font, width)
        paras = text.splitlines() or [""]
        # each paragraph is wrapped on its own; an empty one is one empty line
        at = 0
        for para in paras:
            words = para.split()
            if not words:
                assert lines[at] == ""
                at += 1
                continue
            k = 1
            while at + k < len(lines) and " ".join(lines[at:at + k]).split() != words:
                k += 1
            assert _is_greedy_wrap(lines[at:at + k], words, font, width), (text, width)
            at += k
        assert at == len(lines)


def test_wrapped_lines_and_rows_treat_the_text_as_one_paragraph():
    font = pygame.font.Font(None, 16)
    for text, width in _random_texts(400, seed=4):
        lines = widgets.wrapped_lines(font, text, width)
        assert _is_greedy_wrap(lines, text.split(), font, width) or (not lines and not text.split())
        assert widgets.wrapped_rows(font, text, width) == len(lines)
    assert widgets.wrapped_rows(font, "   \n ", 100) == 0 and widgets.wrap("", font, 100) == [""]


def test_fit_text_is_the_longest_prefix_that_fits():
    font = pygame.font.Font(None, 18)
    s = "gradient descent with momentum β = 0.9"
    assert widgets.fit_text(font, s, 10_000) == s
    for width in (0, 5, 20, 60, 120, font.size(s)[0] - 1):
        out = widgets.fit_text(font, s, width)
        assert out.endswith("…") and out[:-1] == s[:len(out) - 1].rstrip()
        fits = [k for k in range(len(s) + 1) if font.size(s[:k].rstrip() + "…")[0] <= width]
        best = max(fits, default=0)
        assert out == s[:best].rstrip() + "…"


def test_cached_panels_are_freshly_drawn_panels():
    for size in [(1, 1), (7, 30), (40, 12), (250, 84)]:
        fresh = widgets.make_panel(size)
        cached = widgets.panel(size)
        assert cached is widgets.panel(size)  # one surface per size
        assert pygame.image.tobytes(cached, "RGBA") == pygame.image.tobytes(fresh, "RGBA")
        twice = widgets.make_panel(size)
        twice.blit(widgets.make_panel(size), (0, 0))
        assert pygame.image.tobytes(widgets.panel(size, 2), "RGBA") == pygame.image.tobytes(twice, "RGBA")
    # the fill and rim are the theme's, with rounded corners
    p = widgets.panel((60, 40))
    assert tuple(p.get_at((30, 20))) == theme.PANEL_RGBA
    assert tuple(p.get_at((30, 0))) == theme.PANEL_EDGE_RGBA
    assert p.get_at((0, 0)).a == 0


def test_draw_panel_draws_inside_its_rect_only():
    s = pygame.Surface((100, 80))
    s.fill((40, 90, 80))
    widgets.draw_panel(s, pygame.Rect(10, 20, 50, 30))
    px = pygame.surfarray.array3d(s)
    changed = (px != np.array([40, 90, 80], dtype=np.uint8)).any(axis=2)
    xs, ys = np.nonzero(changed)
    assert xs.min() >= 10 and xs.max() < 60 and ys.min() >= 20 and ys.max() < 50
    before = pygame.image.tobytes(s, "RGB")
    widgets.draw_panel(s, pygame.Rect(10, 20, 0, 30))  # empty: nothing
    assert pygame.image.tobytes(s, "RGB") == before


def test_rounded_box_and_filled_layer():
    b = widgets.rounded_box((20, 10), theme.LABEL_BOX_RGBA, 4)
    assert tuple(b.get_at((10, 5))) == theme.LABEL_BOX_RGBA and b.get_at((0, 0)).a == 0
    f = widgets.filled((5, 3), (1, 2, 3, 90))
    assert all(tuple(f.get_at((x, y))) == (1, 2, 3, 90) for x in range(5) for y in range(3))


def test_clip_nests_and_restores():
    s = pygame.Surface((100, 100))
    assert s.get_clip() == s.get_rect()
    with widgets.clip(s, pygame.Rect(10, 10, 50, 50)) as outer:
        assert outer == pygame.Rect(10, 10, 50, 50)
        with widgets.clip(s, pygame.Rect(40, 0, 100, 30)) as inner:
            assert inner == pygame.Rect(40, 10, 20, 20) == s.get_clip()  # within the outer clip
            s.fill((255, 0, 0))
        assert s.get_clip() == outer
    assert s.get_clip() == s.get_rect()
    red = (pygame.surfarray.array3d(s)[..., 0] == 255)
    xs, ys = np.nonzero(red)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (40, 59, 10, 29)
    with pytest.raises(RuntimeError):
        with widgets.clip(s, pygame.Rect(0, 0, 5, 5)):
            raise RuntimeError("drawing failed")
    assert s.get_clip() == s.get_rect()  # restored on the way out of an error too


def test_array_surfaces_round_trip():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    s = widgets.rgb_surface(rgb)
    assert s.get_size() == (7, 5)
    np.testing.assert_array_equal(pygame.surfarray.array3d(s), rgb)
    rgba = rng.integers(0, 256, (6, 4, 4), dtype=np.uint8)
    t = widgets.rgba_surface(rgba)
    assert t.get_size() == (6, 4) and t.get_flags() & pygame.SRCALPHA
    np.testing.assert_array_equal(pygame.surfarray.array3d(t), rgba[..., :3])
    np.testing.assert_array_equal(pygame.surfarray.array_alpha(t), rgba[..., 3])


def test_smooth_scale_falls_back_for_8_bit_surfaces():
    s32 = pygame.Surface((4, 4), 0, 32)
    s32.fill((200, 100, 50))
    assert widgets.smooth_scale(s32, (8, 2)).get_size() == (8, 2)
    s8 = pygame.Surface((4, 4), 0, 8)  # smoothscale refuses 8-bit: nearest-neighbour instead
    assert widgets.smooth_scale(s8, (8, 2)).get_size() == (8, 2)


def test_text_cache_tells_fonts_apart_even_after_one_is_gone():
    """The cache key holds the font itself: a font made after another is collected (and that
    may reuse its address) never gets the old font's glyphs."""
    for _ in range(20):
        small = pygame.font.Font(None, 10)
        h_small = widgets.text(small, "Wg").get_height()
        del small
        gc.collect()
        big = pygame.font.Font(None, 40)
        assert widgets.text(big, "Wg").get_height() == big.render("Wg", True, theme.TEXT).get_height()
        assert widgets.text(big, "Wg").get_height() > h_small
    f = pygame.font.Font(None, 16)
    assert widgets.text(f, "a") is widgets.text(f, "a")
    assert widgets.text(f, "a", (1, 2, 3)) is not widgets.text(f, "a")


def test_one_log_scale_is_log10_of_the_shifted_values():
    rng = np.random.default_rng(5)
    v = rng.lognormal(0.0, 5.0, 1000)
    np.testing.assert_array_equal(colormap.log_scale(v), np.log10(v))
    base, floor = -3.0, 1e-4
    with np.errstate(all="ignore"):
        want = np.log10(np.maximum(v - base, 0.0) + floor)
    np.testing.assert_array_equal(colormap.log_scale(v, base, floor), want)
    np.testing.assert_allclose(colormap.log_scale_inverse(want, base, floor), v, rtol=1e-12, atol=1e-14)
    assert np.isnan(colormap.log_scale(np.nan)) and colormap.log_scale(-1.0, 0.0, 1.0) == 0.0
    # the map's shading runs through it: its s is the log scale rescaled to [0, 1]
    sh = Shading.for_values(v.reshape(40, 25), True)
    s = sh(v)
    ref = (np.log10(np.maximum(v - sh.vmin, 0.0) + sh.floor) - sh.lo) / (sh.hi - sh.lo)
    np.testing.assert_allclose(s, np.clip(ref, 0.0, 1.0), rtol=0, atol=1e-15)


# --- stable cache keys ------------------------------------------------------------------------

def test_cache_key_tells_formulas_apart_and_stays_put():
    a = expression_potential("x**2 + 3*y**2", find_minimum=False)
    b = expression_potential("x**2 + 3*y**2", find_minimum=False)
    assert a.cache_key == a.cache_key and hash(a.cache_key) == hash(a.cache_key)
    assert a.cache_key == b.cache_key  # the same formula, view and minima: the same pictures
    others = ["x**2 + 3.0000000000001*y**2", "x**2 + 3*y**3", "y**2 + 3*x**2", "(x**2) + 3*y*y"]
    keys = {expression_potential(f, find_minimum=False).cache_key for f in others} | {a.cache_key}
    assert len(keys) == len(others) + 1
    c = expression_potential("x**2 + 3*y**2", view=(-1, 1, -1, 1), find_minimum=False)
    assert c.cache_key != a.cache_key  # another view: other minima, maybe another scale
    # the same text over another tree (made by hand): the key holds the tree as well
    x = ExprPotential(name="expr", formula="x", view=(-1.0, 1.0, -1.0, 1.0), expr=parse_formula("x"))
    y = ExprPotential(name="expr", formula="x", view=(-1.0, 1.0, -1.0, 1.0), expr=parse_formula("y"))
    assert x.cache_key != y.cache_key


def test_cache_key_of_builtins_and_parameters():
    keys = {get_potential(n).cache_key for n in ("bowl", "ravine", "himmelblau", "rosenbrock")}
    assert len(keys) == 4
    assert get_potential("himmelblau").cache_key == get_potential("himmelblau").cache_key
    w = GaussianWells("gaussian_wells", "wells", (-4.0, 4.0, -3.0, 3.0))
    k = w.cache_key
    w.depths = w.depths.copy()
    assert w.cache_key == k  # equal values, equal key
    w.depths = w.depths + np.array([1e-12, 0.0, 0.0, 0.0])
    assert w.cache_key != k  # any parameter, to the last bit
    w.log_scale = not w.log_scale
    assert w.cache_key != k and w.cache_key is w.cache_key  # made once per change
    z = GaussianWells("gaussian_wells", "wells", (-4.0, 4.0, -3.0, 3.0), stiffness=-0.0)
    assert z.cache_key != GaussianWells("gaussian_wells", "wells", (-4.0, 4.0, -3.0, 3.0),
                                        stiffness=0.0).cache_key


def test_map_and_field_rebuild_for_another_formula_of_the_same_name():
    """Formulas all named "expr", one after the other, each dropped before the next is made
    (so a new one may sit at the old one's address): every one gets its own map and field."""
    view = View.fit((-2.0, 2.0, -2.0, 2.0), (48, 30))
    land, field = Landscape(), FieldOverlay()
    seen = set()
    for k in range(1, 13):
        pot = expression_potential(f"x**2 + {k}*y**2 + {k % 3}*x", view=(-2, 2, -2, 2),
                                   find_minimum=False)
        seen.add(pygame.image.tobytes(land.surface(view, pot), "RGB"))
        land.surface(view, pot)  # the same formula again: no new build
        assert land.builds == k and uses_log(pot) == uses_log(pot)
        before = field.surface(view, pot)
        assert field.surface(view, pot) is before
        del pot, before
        gc.collect()
    assert len(seen) == 12  # other pictures, not a stale one


def test_rings_have_their_own_uid():
    a, b = Ring(4, 2), Ring(4, 2)
    assert a.uid != b.uid and a.version == b.version == 0
    uid = a.uid
    a.append((1.0, 2.0))
    a.clear()
    assert a.uid == uid and a.version == 2
