"""The timeline strip: pixels <-> ticks both ways, hover lookups against brute force, and
pixel probes of the drawn strip (cursor, held stretches, plots, hover line), offscreen."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from render.timeline import strip as TS
from render.timeline.strip import Plot, TickAxis, TimelineStrip, axis_marks, nearest_sample

BG = (40, 90, 80)
RECT = pygame.Rect(20, 30, 600, 80)


@pytest.fixture(scope="module")
def strip(display):
    return TimelineStrip(pygame.font.Font(None, 16))


def surface() -> pygame.Surface:
    s = pygame.Surface((660, 150))
    s.fill(BG)
    return s


@pytest.mark.parametrize("t0,t1,x0,x1", [(0, 100, 10, 610), (5000, 15000, 0, 300), (3, 4, 50, 51)])
def test_axis_maps_ticks_to_pixels_and_back(t0, t1, x0, x1):
    ax = TickAxis.span(x0, x1, t0, t1)
    assert ax.tick_to_x(t0) == pytest.approx(x0) and ax.tick_to_x(t1) == pytest.approx(x1)
    ticks = np.arange(t0, t1 + 1)
    xs = ax.tick_to_x(ticks)
    assert np.all(np.diff(xs) > 0)
    back = [ax.x_to_tick(x) for x in xs]
    assert back == list(ticks)  # every tick round-trips
    assert ax.x_to_tick(x0 - 1000) == t0 and ax.x_to_tick(x1 + 1000) == t1
    for x in np.linspace(x0, x1, 37):  # any pixel: the nearest tick by brute force
        best = np.abs(xs - x).min()
        assert abs(ax.tick_to_x(ax.x_to_tick(x)) - x) == pytest.approx(best, abs=1e-9)


def test_degenerate_axis_still_has_room():
    ax = TickAxis.span(10, 10, 7, 7)
    assert ax.t1 == 8 and ax.x1 == 11.0
    assert ax.x_to_tick(10) == 7


def test_nearest_sample_matches_brute_force():
    rng = np.random.default_rng(3)
    ticks = np.sort(rng.choice(10_000, 300, replace=False))
    values = rng.normal(size=300)
    values[rng.choice(300, 20, replace=False)] = np.nan
    ok = np.isfinite(values)
    for q in rng.uniform(-50, 10_050, 200):
        d = np.where(ok, np.abs(ticks - q), np.inf)
        best = np.flatnonzero(d == d.min())[-1]  # ties: the later sample
        assert nearest_sample(ticks, values, q) == (int(ticks[best]), float(values[best]))
    assert nearest_sample(ticks, np.full(300, np.nan), 5) is None


def test_axis_marks_are_whole_ticks_inside_the_axis():
    ax = TickAxis.span(0, 500, 1234, 9876)
    marks = axis_marks(ax)
    assert 3 <= len(marks) <= 12
    ts = [t for _, t in marks]
    assert ts == sorted(ts) and all(1234 <= t <= 9876 for t in ts)
    for x, t in marks:
        assert x == pytest.approx(ax.tick_to_x(t))


def test_drawn_strip_shows_cursor_held_stretch_and_plot(strip):
    s = surface()
    ticks = np.arange(0, 1001, 10)
    color = (10, 250, 20)
    rows = strip.draw(s, RECT, 0, 1000, cursor=700, held=[(200, 1000)],
                      plots=[Plot("loss", ticks, ticks * 2.0, color)])
    assert rows == []
    plot, ax = strip.plot_rect, strip.axis
    assert RECT.contains(plot)
    mid = plot.y + plot.h // 2
    cx = int(round(ax.tick_to_x(700)))
    assert s.get_at((cx, mid))[:3] == TS.CURSOR_RGB
    per_px = 1000 / (ax.x1 - ax.x0)  # ticks per pixel: a click lands within half of one
    assert abs(strip.tick_at(cx) - 700) <= per_px / 2 + 0.5
    hx = int(round(ax.tick_to_x(300)))  # held, below the rising line
    assert s.get_at((hx, plot.bottom - 3))[:3] == TS.HELD_RGB
    nx = int(round(ax.tick_to_x(100)))  # not held
    assert s.get_at((nx, plot.y + 3))[:3] != TS.HELD_RGB
    # the plot's line at tick 500 (linear series: mid-height)
    x5 = int(round(ax.tick_to_x(500)))
    y5 = plot.bottom - 2 - 0.5 * (plot.h - 4)
    col = [s.get_at((x5, int(y))) [:3] for y in range(int(y5) - 1, int(y5) + 2)]
    assert color in col
    a = pygame.surfarray.array3d(s)
    outside = np.ones(a.shape[:2], bool)
    outside[RECT.x:RECT.right, RECT.y:RECT.bottom] = False
    assert (a[outside] == BG).all()  # nothing outside the rect


def test_hover_shows_the_exact_value_and_tick(strip):
    s = surface()
    ticks = np.arange(0, 1001, 25)
    vals = np.sin(ticks / 100.0)
    strip.draw(s, RECT, 0, 1000, cursor=1000, plots=[Plot("E", ticks, vals, (0, 200, 255))])
    ax = strip.axis
    x = float(ax.tick_to_x(612))
    s = surface()
    rows = strip.draw(s, RECT, 0, 1000, cursor=1000, plots=[Plot("E", ticks, vals, (0, 200, 255))],
                      hover_x=x)
    assert rows == [("E", 600, float(np.sin(6.0)))]
    hx = int(round(ax.tick_to_x(612)))
    assert s.get_at((hx, strip.plot_rect.bottom - 2))[:3] == TS.HOVER_RGB
    assert strip.draw(surface(), RECT, 0, 1000, 1000, hover_x=RECT.x - 5) == []


def test_measure_fits_the_font(strip):
    w, h = strip.measure(800)
    assert w == 800 and h >= TS.STRIP_HEIGHT


def test_log_plot_puts_each_decade_at_the_same_height_step(strip):
    s = surface()
    ticks = np.arange(0, 1001, 1)
    vals = 10.0 ** (-ticks / 250.0)  # four decades, linear in log
    color = (250, 20, 200)
    strip.draw(s, RECT, 0, 1000, cursor=0, plots=[Plot("loss", ticks, vals, color, log=True)])
    plot, ax = strip.plot_rect, strip.axis
    for t in (250, 500, 750):  # a straight line in log: mid-heights at the quarter points
        x = int(round(ax.tick_to_x(t)))
        y = plot.bottom - 2 - (1 - t / 1000) * (plot.h - 4)
        col = [tuple(s.get_at((x, int(yy)))[:3]) for yy in range(int(y) - 1, int(y) + 3)]
        assert color in col, t
