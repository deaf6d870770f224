"""The timeline strip draws any finite range of loss samples (issue: one sample >= ~1e16 made
its scale 0/0 and the draw raised): pixel probes of the plot colour inside the plot area, and
the headless runs that crashed exit 0."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

from render.timeline.strip import Plot, TimelineStrip

ROOT = Path(__file__).resolve().parents[3]
RECT = pygame.Rect(10, 10, 600, 80)
COLOR = (250, 30, 200)  # not a colour the strip uses itself


@pytest.fixture(scope="module")
def strip(display):
    return TimelineStrip(pygame.font.Font(None, 16))


def plotted_rows(strip, values, log=False) -> np.ndarray:
    """The rows (y pixels) of the plot colour inside the plot area after drawing `values` at
    ticks 1..k on an axis 0..k+1 (the cursor at 0 and the live line off the samples)."""
    s = pygame.Surface((640, 110))
    s.fill((0, 0, 0))
    k = len(values)
    ticks = np.arange(1, k + 1)
    strip.draw(s, RECT, 0, k + 1, 0, [], [Plot("V", ticks, np.array(values, float), COLOR, log)])
    px = pygame.surfarray.array3d(s)  # [x, y, 3]
    hit = np.all(px == COLOR, axis=2)
    p = strip.plot_rect
    inside = hit[p.x:p.right, p.y:p.bottom]
    assert hit.sum() == inside.sum(), "the plot left its area"
    return np.flatnonzero(inside.any(axis=0)) + p.y


@pytest.mark.parametrize("values", [
    [1e17], [1e17, 1e17, 1e17], [1e300], [-1e308], [5e-324], [0.0],
    [1e16, 1e16 + 2], [-1.7e308, 1.7e308], [1e300, 1e300 * (1 + 1e-15)],
    [5e-324, 0.0], [3.0, float("nan"), float("inf"), 3.0],
])
def test_any_finite_range_draws_inside_the_plot(strip, values):
    rows = plotted_rows(strip, values)
    assert len(rows) > 0


def test_a_constant_series_is_drawn_level_in_the_middle(strip):
    p_rows = plotted_rows(strip, [1e17] * 5)
    p = strip.plot_rect
    mid = (p.y + p.bottom) / 2
    assert p_rows.max() - p_rows.min() <= 2 and abs(p_rows.mean() - mid) <= 3


def test_a_range_wider_than_the_largest_float_keeps_its_order(strip):
    """-1.7e308 .. 1.7e308: the difference overflows; the low one at the bottom, the high at
    the top (as for any range)."""
    p = strip.plot_rect
    lo_rows = plotted_rows(strip, [-1.7e308, -1.7e308])
    s = pygame.Surface((640, 110))
    strip.draw(s, RECT, 0, 3, 0, [], [Plot("V", np.array([1, 2]), np.array([-1.7e308, 1.7e308]), COLOR)])
    hit = np.all(pygame.surfarray.array3d(s) == COLOR, axis=2)
    xs = np.flatnonzero(hit.any(axis=1))
    first, last = np.flatnonzero(hit[xs.min()]), np.flatnonzero(hit[xs.max()])
    assert first.min() >= p.bottom - 4 and last.max() <= p.y + 3, (first, last)
    assert len(lo_rows) > 0


@pytest.mark.parametrize("expr", ["1e17", "exp(50*x)", "1e300*(x*x+y*y)"])
def test_headless_timeline_on_huge_losses_exits_0(expr, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "10",
                        "--expr", expr, "--show", "timeline", "--particles", "3"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env={**__import__("os").environ, "SDL_VIDEODRIVER": "dummy"})
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stderr
